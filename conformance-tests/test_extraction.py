"""4001 → 4005 → 7002 driven by zeep from the served WSDLs: an extraction of
the comune's electors is answered at once with its idOperazioneANPR, run in
the background, followed with 4005 verificaStato until statoRichiesta 2 and
downloaded with 7002 (a gzip file, MTOM when accepted); 4005 elaborazione
gives back a past exchange with its request and reply."""
import gzip
import time

from lxml import etree

from conftest import P4000, P7001
from test_sections import header


def extract(target, new_id, **selections):
    criteria = {"datiAnagraficiRichiesti": ["18"]}
    if selections:
        criteria["ulterioriSelezioni"] = selections
    return target.client(P4000).estrazione_dati_cittadini(
        testataRichiesta=header(target, new_id, "4001", decorrenza=False),
        criteriRicerca=criteria,
    )


def status(target, new_id, job):
    return target.client(P4000).richieste_asincrone(
        testataRichiesta=header(target, new_id, "4005", decorrenza=False),
        verificaStato={"idOperazioneANPR": job},
    )


def test_zeep_extracts_the_comunes_women_and_downloads_the_file(target, new_id):
    r = extract(target, new_id, sesso="F")
    assert r["rispostaKO"] is None, r["rispostaKO"]
    job = r["RispostaMultipla4001"]["idOperazioneANPR"]
    assert r["RispostaMultipla4001"]["criteriRicerca"]["ulterioriSelezioni"]["sesso"] == "F"
    deadline = time.time() + 30
    while True:
        s = status(target, new_id, job)["RispostaMultipla4005"]
        if s["statoRichiesta"] == "2" or time.time() > deadline:
            break
        time.sleep(0.2)
    assert s["statoRichiesta"] == "2", s
    d = target.zeep(P7001).download_file(
        testataRichiesta=header(target, new_id, "7002", decorrenza=False),
        datiRichiesta={"idOperazioneANPR": job},
    )
    ok = d["RispostaMultipla7002"]
    assert ok["file"]["formato"] == "gz"
    root = etree.fromstring(gzip.decompress(ok["file"]["contenutoFile"]))
    assert root.tag == "{http://sogei.it/ANPR/4000estrazione}estrazione4001"
    sexes = [e.text for e in root.iter("sesso")]
    assert sexes and set(sexes) == {"F"}, sexes
    assert root.findtext("numeroSoggetti") == str(len(sexes))


def test_a_selection_outside_the_rules_is_rispostako(target, new_id):
    r = extract(target, new_id, elettoreAllaDataRiferimento="N")
    codes = [e["codiceErroreAnomalia"] for e in r["rispostaKO"]["listaErrori"]["errore"]]
    assert codes[0] == "EHR14", codes


def test_zeep_gets_back_a_past_exchange_with_its_reply(target, new_id):
    job = extract(target, new_id)["RispostaMultipla4001"]["idOperazioneANPR"]
    r = target.client(P4000).richieste_asincrone(
        testataRichiesta=header(target, new_id, "4005", decorrenza=False),
        elaborazione={"idOperazioneANPR": job},
    )
    [past] = r["RispostaMultipla4005"]["elencoRisposte"]["risposta"]
    assert past["tipoOperazione"] == "4001" and past["formatoRisposta"] == "gz"
    reply = gzip.decompress(past["contenutoRisposta"]).decode()
    assert f"<idOperazioneANPR>{job}</idOperazioneANPR>" in reply
