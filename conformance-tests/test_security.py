"""The security frame (docs/security.md): unsigned and replayed requests are refused
with their reason code; what zeep sends is signed by `urna wss sign`."""
import datetime
import re

import pytest

from conftest import P3000, P5000
from test_sections import header, sezione


def reason(resp):
    assert resp.status_code == 500, resp.text
    m = re.search(r"<u:reason>([^<]+)</u:reason>", resp.text)
    return m.group(1) if m else None


def envelope_3008(target, new_id):
    """An unsigned 3008 (list the comune's sections) as a gestionale writes it."""
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Header/><soap:Body>'
        '<c3:Richiesta3008 xmlns:c3="http://sogei.it/ANPR/3000consultazione"><testataRichiesta>'
        f"<idOperazioneComune>{new_id()}</idOperazioneComune><codMittente>{target.istat}</codMittente>"
        "<codDestinatario>ANPR05</codDestinatario><operazioneRichiesta>3008</operazioneRichiesta>"
        f"<dataOraRichiesta>{now}</dataOraRichiesta><tipoOperazione>V</tipoOperazione><tipoInvio>TEST</tipoInvio>"
        f"<dataDecorrenza>{now[:10]}</dataDecorrenza></testataRichiesta><parametriRicerca3008><comune>"
        f"<nomeComune>{target.comune}</nomeComune><codiceIstat>{target.istat}</codiceIstat>"
        f"<siglaProvinciaIstat>{target.sigla}</siglaProvinciaIstat></comune><tipoRichiesta>2</tipoRichiesta>"
        "</parametriRicerca3008></c3:Richiesta3008></soap:Body></soap:Envelope>"
    ).encode()


def test_an_unsigned_request_is_refused(target, new_id):
    body = envelope_3008(target, new_id)
    assert reason(target.post(P3000, body, sign=False)) == "security-header-missing"


def test_a_replayed_message_is_refused(target, new_id):
    signed = target.signer.sign(envelope_3008(target, new_id))
    first = target.post(P3000, signed, sign=False)
    assert first.status_code == 200, first.text
    assert "<wsse:Security" in first.text, "responses are signed"
    again = target.post(P3000, signed, sign=False)
    assert reason(again) == "replay"
    assert "Rejected by policy. (from client)" in again.text


def test_a_tampered_body_is_refused(target, new_id):
    signed = target.signer.sign(envelope_3008(target, new_id))
    tampered = signed.replace(b"<tipoRichiesta>2</tipoRichiesta>", b"<tipoRichiesta>1</tipoRichiesta>")
    assert tampered != signed
    assert reason(target.post(P3000, tampered, sign=False)) == "digest-mismatch"


def test_an_operator_without_the_electoral_profile_cannot_change_sections(target, new_id):
    """ANPR refuses electoral changes by policy to registry operators without
    the "ufficiale elettorale" profile (docs/security.md, "Operators and
    profiles")."""
    if not target.registry_operator:
        pytest.skip("no --registry-operator given")
    resp = target.post_as(
        P5000,
        target.registry_operator,
        "mutazione_liste_sezioni",
        testataRichiesta=header(target, new_id, "5011"),
        sezione=sezione(target, "9901"),
    )
    assert reason(resp) == "operator-not-profiled", resp.text
    assert "Rejected by policy. (from client)" in resp.text
