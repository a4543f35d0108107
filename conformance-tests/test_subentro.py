"""Electoral takeover (subentro) over HTTPS: the one-upload rules answered
before the body is read, a broken file reported with EN009 in the job
status, and another comune's files out of reach. urna-specific endpoint
(`/subentro/<ISTAT>/…`, see urna's README)."""
import time

from conftest import P2000, P5000
from test_sections import header, ok, sezione

SUBENTRO_LISTE_NS = "http://sogei.it/ANPR/subentroListe"


def test_sections_upload_is_refused_after_a_5011(target, new_id):
    # R-T2: once the comune has an accepted 5011, the sections file is refused.
    numero = "CT-" + new_id()[-6:]
    ok(target.client(P5000).mutazione_liste_sezioni(
        testataRichiesta=header(target, new_id, "5011"), sezione=sezione(target, numero)
    ))
    try:
        r = target.session.post(f"{target.url}/subentro/{target.istat}/sezioni", data=b"<not-read/>")
        assert r.status_code == 409, r.text
        body = r.json()
        assert body["reason"] == "subentro-refused", body
        assert "R-T2" in body["message"] or "R-T5" in body["message"], body
    finally:
        ok(target.client(P2000).cancellazione_sezione(
            testataRichiesta=header(target, new_id, "2012"),
            datiSezione={"comune": target.comune_ref(), "sezioneelettoralenum": numero},
        ))


def test_a_broken_lists_file_is_reported_with_en009(target):
    status = f"{target.url}/subentro/{target.istat}"
    before = {j["id"] for j in target.session.get(status).json()["jobs"]}
    broken = f'<l:subentroListe xmlns:l="{SUBENTRO_LISTE_NS}"><listeElettorali><listaSoggetto>'
    r = target.session.post(f"{status}/liste", data=broken.encode())
    if r.status_code == 409:
        # The comune's lists are already loaded here (R-T5): nothing to probe.
        assert "R-T5" in r.json()["message"], r.text
        return
    assert r.status_code == 202, r.text
    for _ in range(100):
        jobs = [j for j in target.session.get(status).json()["jobs"] if j["id"] not in before]
        if jobs and jobs[0]["state"] != "running":
            break
        time.sleep(0.1)
    assert jobs, "no job for the upload"
    job = jobs[0]
    assert job["kind"] == "liste" and job["state"] == "failed", job
    assert job["error"].startswith("EN009"), job
    assert job["loaded"] == 0, job


def test_another_comune_files_are_out_of_reach(target):
    other = "015146" if target.istat != "015146" else "058091"
    r = target.session.get(f"{target.url}/subentro/{other}")
    assert r.status_code == 403, r.text
    assert r.json()["reason"] == "identity-mismatch"
    r = target.session.post(f"{target.url}/subentro/{other}/liste", data=b"x")
    assert r.status_code == 403, r.text
