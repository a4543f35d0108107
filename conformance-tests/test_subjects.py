"""3002 (interrogazioneCittadino_famiglia_convivenza), electoral parts, driven
by zeep from the served WSDL: the complete electoral view for the electoral
profile, the flag and a warning for a registry operator (docs/consultation.md)."""
import datetime

import pytest
from conftest import P3000
from test_sections import header


def request(target, new_id, **criteria):
    today = datetime.date.today()
    return dict(
        testataRichiesta=header(target, new_id, "3002", decorrenza=False),
        criteriRicerca=criteria,
        datiRichiesta={
            "schedaAnagraficaRichiesta": "1",
            "dataRiferimentoRichiesta": today,
            "datiAnagraficiRichiesti": ["18"],
        },
    )


def test_zeep_reads_an_elector_with_the_complete_electoral_view(target, new_id):
    service = target.client(P3000)
    r = service.interrogazioneCittadino_famiglia_convivenza(**request(target, new_id, codiceFiscale=target.holder))
    assert r["rispostaKO"] is None, r["rispostaKO"]
    [subject] = r["Risposta3002_OK"]["listaSoggetti"]["datiSoggetto"]
    assert subject["generalita"]["codiceFiscale"]["codFiscale"] == target.holder
    assert subject["listaElettorale"]["elettore"] == "S"
    complete = subject["listaElettoraleCompleta"]
    general = [l for l in complete["liste"] if l["listaGenerale"] is not None]
    assert general, complete
    assert general[0]["listaGenerale"]["comune"]["codiceIstat"] == target.istat
    assert general[0]["sezione"]["sezioneelettoralenum"] == general[0]["listaGenerale"]["sezioneelettoralenum"]


def test_insufficient_criteria_and_no_subject_are_rispostako(target, new_id):
    service = target.client(P3000)
    r = service.interrogazioneCittadino_famiglia_convivenza(**request(target, new_id, cognome="ROSSI", nome="MARIA"))
    assert [e["codiceErroreAnomalia"] for e in r["rispostaKO"]["listaErrori"]["errore"]][0] == "EN148"
    r = service.interrogazioneCittadino_famiglia_convivenza(**request(target, new_id, codiceFiscale="ZZZZZZ00Z00Z000Z"))
    assert [e["codiceErroreAnomalia"] for e in r["rispostaKO"]["listaErrori"]["errore"]][0] == "EN130"


def test_a_registry_operator_gets_the_flag_and_a_warning(target, new_id):
    if not target.registry_operator:
        pytest.skip("no --registry-operator given")
    resp = target.post_as(
        P3000,
        target.registry_operator,
        "interrogazioneCittadino_famiglia_convivenza",
        **request(target, new_id, codiceFiscale=target.holder),
    )
    assert resp.status_code == 200, resp.text
    assert "<listaElettorale>" in resp.text
    assert "<listaElettoraleCompleta>" not in resp.text
    assert "<codiceErroreAnomalia>EN174</codiceErroreAnomalia><tipoErroreAnomalia>W</tipoErroreAnomalia>" in resp.text


def test_zeep_finds_its_past_request_with_the_reply_it_got(target, new_id):
    import gzip

    service = target.client(P3000)
    first = header(target, new_id, "3008")
    r = service.consultazione_sezione(
        testataRichiesta=first,
        parametriRicerca3008={"comune": target.comune_ref(), "tipoRichiesta": "2"},
    )
    assert r["rispostaKO"] is None, r["rispostaKO"]
    found = service.gestione_richieste(
        testataRichiesta=header(target, new_id, "3003", decorrenza=False),
        ricercaSingolaRichiesta={"idOperazioneComune": first["idOperazioneComune"]},
    )
    assert found["rispostaKO"] is None, found["rispostaKO"]
    [past] = found["Risposta3003_OK"]["elencoRisposte"]["risposta"]
    assert past["operazioneRichiesta"] == "3008"
    assert past["statoLavorazione"] == "1"
    reply = gzip.decompress(past["contenutoRisposta"]).decode()
    assert "Risposta3008_OK" in reply
    request = gzip.decompress(past["contenutoRichiesta"]).decode()
    assert first["idOperazioneComune"] in request


@pytest.mark.parametrize(
    "path,operation,code",
    [
        ("/ANPR1000ServiziIscrizione/AnprService1000", "iscrizione_altriMotivi", "1002"),
        ("/ANPRA000ServiziAire/AnprServiceA000", "AIRE_iscrizioneAltriMotivi", "A002"),
    ],
)
def test_zeep_gets_en562_for_the_legacy_electoral_datum_in_1002_and_a002(target, new_id, path, operation, code):
    from lxml import etree

    service = target.client(path)
    datum = etree.Element("listaElettorale")
    etree.SubElement(datum, "elettore").text = "S"
    r = getattr(service, operation)(testataRichiesta=header(target, new_id, code), _value_1=[datum])
    assert r["Risposta_Comune"] is None, r
    assert [e["codiceErroreAnomalia"] for e in r["rispostaKO"]["listaErrori"]["errore"]][0] == "EN562"
