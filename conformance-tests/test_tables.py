"""The 7001 port driven by zeep from the served WSDL: 7001 scarica_tabelle
hands a decode table out as a ZIP holding its CSV (MTOM/XOP when the client
accepts it, inline otherwise), an unknown table is rispostaKO EN189, 7002
has no file without an asynchronous request (EN122), 7003 lists the
interface versions served (docs/tables.md)."""
import io
import zipfile

from zeep.plugins import HistoryPlugin

from conftest import P7001
from test_sections import header


def table(service, target, new_id, number):
    return service.scarica_tabelle(
        testataRichiesta=header(target, new_id, "7001", decorrenza=False),
        datiRichiesta={"idTabella": number},
    )


def test_zeep_downloads_the_cancellation_motives_as_a_zip_over_mtom(target, new_id):
    history = HistoryPlugin()
    r = table(target.zeep(P7001, plugins=[history]), target, new_id, "901")
    assert r["rispostaKO"] is None, r["rispostaKO"]
    ct = history.last_received["http_headers"]["Content-Type"]
    assert ct.startswith("multipart/related;"), ct
    ok = r["RispostaMultipla7001"]["datiDettaglioRisposta"]
    assert ok["idTabella"] == "901"
    [archive] = ok["xmlFile"]
    with zipfile.ZipFile(io.BytesIO(archive)) as z:
        assert z.namelist() == ["DEC_MOTIVO_CANC_ELE.csv"]
        lines = z.read("DEC_MOTIVO_CANC_ELE.csv").decode().splitlines()
    assert lines[0] == "CODICE,DESCRIZIONE,LISTA"
    assert [l.split(",")[0] for l in lines[1:]] == [str(n) for n in range(1, 10)]


def test_a_client_that_accepts_only_xml_gets_the_archive_inline(target, new_id):
    history = HistoryPlugin()
    service = target.zeep(P7001, headers={"Accept": "text/xml"}, plugins=[history])
    r = table(service, target, new_id, "014")
    assert history.last_received["http_headers"]["Content-Type"].startswith("text/xml")
    [archive] = r["RispostaMultipla7001"]["datiDettaglioRisposta"]["xmlFile"]
    with zipfile.ZipFile(io.BytesIO(archive)) as z:
        assert z.read("LINGUA_CERTIFICATO.csv").decode().splitlines()[1:] == [
            "IT,ITALIANO", "DE,TEDESCO", "FR,FRANCESE", "SL,SLOVENO"
        ]


def test_an_unknown_table_and_a_download_without_a_request_are_rispostako(target, new_id):
    service = target.client(P7001)
    r = table(service, target, new_id, "042")
    codes = [e["codiceErroreAnomalia"] for e in r["rispostaKO"]["listaErrori"]["errore"]]
    assert codes[0] == "EN189", codes
    r = service.download_file(
        testataRichiesta=header(target, new_id, "7002", decorrenza=False),
        datiRichiesta={"idOperazioneANPR": "42"},
    )
    codes = [e["codiceErroreAnomalia"] for e in r["rispostaKO"]["listaErrori"]["errore"]]
    assert codes[0] == "EN122", codes


def test_zeep_lists_the_interface_versions(target, new_id):
    r = target.client(P7001).elenco_versioni(
        testataRichiesta=header(target, new_id, "7003", decorrenza=False),
        datiRichiesta={"tipoVersioni": "2"},
    )
    [state] = r["RispostaMultipla7003"]["statoVersioni"]
    assert state["versioneCorrente"]["CodDestinatario"] == "ANPR05"
    assert [v["CodDestinatario"] for v in state["versioniSupportate"]] == ["ANPR03", "ANPR04", "ANPR05"]
