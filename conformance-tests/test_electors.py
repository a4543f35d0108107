"""5010 mutazione_liste_elettorali driven by zeep from the served WSDL."""
from conftest import P5000
from test_sections import header, ko_codes, ok, sezione


def liste(target, numero, **override):
    l = {
        "elettore": "S",
        "listaGenerale": {"comune": target.comune_ref(), "sezioneelettoralenum": numero},
        "referendumnazionali": "S",
        "elezionimembriue": "S",
        "senatorepubblica": "S",
        "circoscrsenatorepubblica": target.values["circ-senato"],
        "cameradeputati": "S",
        "circoscrcameradeputati": target.values["circ-camera"],
        "regionali": "S",
        "comunali": "S",
        "circoscrizionali": "N",
    }
    l.update(override)
    return l


def test_move_an_elector_between_sections_and_refusals(target, new_id):
    s5000 = target.client(P5000)
    num = "CT-" + new_id()[-6:]
    ok(s5000.mutazione_liste_sezioni(testataRichiesta=header(target, new_id, "5011"), sezione=sezione(target, num)))

    r = s5000.mutazione_liste_elettorali(
        testataRichiesta=header(target, new_id, "5010"),
        idSoggetto=target.elector,
        liste=liste(target, num),
        datiControllo={"tipoMutazione": ["01"]},
    )
    assert ok(r)["testataRisposta"]["esitoOperazione"] == "0000"

    r = s5000.mutazione_liste_elettorali(
        testataRichiesta=header(target, new_id, "5010"),
        idSoggetto=target.elector,
        liste=liste(target, "CT-MISSING"),
        datiControllo={"tipoMutazione": ["01"]},
    )
    assert ko_codes(r) == ["EN557", "EN527"]

    r = s5000.mutazione_liste_elettorali(
        testataRichiesta=header(target, new_id, "5010"),
        idSoggetto=target.elector,
        liste=liste(target, num, circoscrcameradeputati="NON ESISTE"),
        datiControllo={"tipoMutazione": ["01"]},
    )
    assert ko_codes(r) == ["EN562", "EN527"]

    r = s5000.mutazione_liste_elettorali(
        testataRichiesta=header(target, new_id, "5010"),
        idSoggetto="1",
        liste=liste(target, num),
        datiControllo={"tipoMutazione": ["01"]},
    )
    assert ko_codes(r) == ["EN185", "EN527"]

    # Back to section 1 so the test can run again.
    ok(s5000.mutazione_liste_elettorali(
        testataRichiesta=header(target, new_id, "5010"),
        idSoggetto=target.elector,
        liste=liste(target, "1"),
        datiControllo={"tipoMutazione": ["01"]},
    ))
