"""Section services driven by a stock SOAP client (zeep) from the served WSDL."""
import datetime

from conftest import P2000, P3000, P5000


def header(target, new_id, op, decorrenza=True):
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    t = {
        "idOperazioneComune": new_id(),
        "codMittente": target.istat,
        "codDestinatario": "ANPR05",
        "operazioneRichiesta": op,
        "dataOraRichiesta": now,
        "tipoOperazione": "V",
        "tipoInvio": "TEST",
    }
    if decorrenza:
        t["dataDecorrenza"] = now.date()
    return t


def sezione(target, numero, **override):
    s = {
        "comune": target.comune_ref(),
        "sezioneelettoralenum": numero,
        "sezioneelettoraledenom": "SCUOLA DI PROVA",
        "sezioneelettoraleind": {
            "cap": "00100",
            "comune": target.comune_ref(),
            "toponimo": {"specie": "VIA", "denominazioneToponimo": "DELLE PROVE"},
            "numeroCivico": {"numero": "1"},
        },
        "circoscrelezionimembriue": target.values["ue"],
        "collegiocameradeputati": target.values["camera"],
        "circoscrregionali": target.values["regionali"],
        "collegiosenatorepubblica": target.values["senato"],
        "altraLinguaSezione": [
            {
                "sezioneelettoraledenomtrad": "PRUEFSCHULE",
                "altraLinguaIndirizzo": {"idLingua": "2", "specie": "STRASSE", "denominazioneToponimo": "PRUEFWEG"},
            }
        ],
    }
    s.update(override)
    return s


def ok(reply):
    assert reply["rispostaKO"] is None, reply["rispostaKO"]
    return reply["Risposta_Comune"]


def ko_codes(reply):
    ko = reply["rispostaKO"]
    assert ko is not None, reply
    return [e["codiceErroreAnomalia"] for e in ko["listaErrori"]["errore"]]


def test_create_read_update_delete(target, new_id):
    s5000, s3000, s2000 = target.client(P5000), target.client(P3000), target.client(P2000)
    num = "CT-" + new_id()[-6:]
    r = ok(s5000.mutazione_liste_sezioni(testataRichiesta=header(target, new_id, "5011"), sezione=sezione(target, num)))
    assert r["testataRisposta"]["esitoOperazione"] == "0000"
    assert int(r["testataRisposta"]["idOperazioneANPR"]) > 0

    q = s3000.consultazione_sezione(
        testataRichiesta=header(target, new_id, "3008"),
        parametriRicerca3008={"comune": target.comune_ref(), "sezioneelettoralenum": num, "tipoRichiesta": "1"},
    )
    got = q["Risposta3008_OK"]["sezione"]["sezioni"]
    assert len(got) == 1 and got[0]["sezioneelettoralenum"] == num
    assert got[0]["altraLinguaSezione"][0]["sezioneelettoraledenomtrad"] == "PRUEFSCHULE"

    ok(s5000.mutazione_liste_sezioni(
        testataRichiesta=header(target, new_id, "5011"),
        sezione=sezione(target, num, sezioneelettoraledenom="PALESTRA"),
    ))
    q = s3000.consultazione_sezione(
        testataRichiesta=header(target, new_id, "3008"),
        parametriRicerca3008={"comune": target.comune_ref(), "tipoRichiesta": "2"},
    )
    mine = [s for s in q["Risposta3008_OK"]["sezione"]["sezioni"] if s["sezioneelettoralenum"] == num]
    assert [s["sezioneelettoraledenom"] for s in mine] == ["PALESTRA"]

    ok(s2000.cancellazione_sezione(
        testataRichiesta=header(target, new_id, "2012"),
        datiSezione={"comune": target.comune_ref(), "sezioneelettoralenum": num},
    ))
    q = s3000.consultazione_sezione(
        testataRichiesta=header(target, new_id, "3008"),
        parametriRicerca3008={"comune": target.comune_ref(), "sezioneelettoralenum": num, "tipoRichiesta": "1"},
    )
    assert ko_codes(q) == ["EN122", "EN527"]


def test_business_refusals_are_rispostako(target, new_id):
    s5000, s2000 = target.client(P5000), target.client(P2000)
    r = s5000.mutazione_liste_sezioni(
        testataRichiesta=header(target, new_id, "5011"),
        sezione=sezione(target, "CT-BAD", collegiocameradeputati="NON ESISTE"),
    )
    assert ko_codes(r) == ["EN562", "EN527"]
    r = s5000.mutazione_liste_sezioni(testataRichiesta=header(target, new_id, "5011", decorrenza=False), sezione=sezione(target, "CT-BAD"))
    assert ko_codes(r) == ["EHR97", "EN527"]
    r = s2000.cancellazione_sezione(
        testataRichiesta=header(target, new_id, "2012"),
        datiSezione={"comune": target.comune_ref(), "sezioneelettoralenum": "CT-NONE"},
    )
    assert ko_codes(r) == ["EN557", "EN527"]


def test_idempotent_replay(target, new_id):
    s5000 = target.client(P5000)
    t = header(target, new_id, "5011")
    num = "CT-" + new_id()[-6:]
    first = s5000.mutazione_liste_sezioni(testataRichiesta=t, sezione=sezione(target, num))
    again = s5000.mutazione_liste_sezioni(testataRichiesta=t, sezione=sezione(target, num))
    assert first["Risposta_Comune"]["testataRisposta"]["idOperazioneANPR"] == again["Risposta_Comune"]["testataRisposta"]["idOperazioneANPR"]
    other = s5000.mutazione_liste_sezioni(testataRichiesta=t, sezione=sezione(target, num + "X"))
    assert ko_codes(other) == ["EN148", "EN527"]
    target.client(P2000).cancellazione_sezione(
        testataRichiesta=header(target, new_id, "2012"),
        datiSezione={"comune": target.comune_ref(), "sezioneelettoralenum": num},
    )
