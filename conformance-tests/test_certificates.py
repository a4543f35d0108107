"""6001 emissioneCertificato: the electoral certificate comes back as a sealed PDF.

As ANPR sends it, the reply is MTOM/XOP (`multipart/related`, an
`xop:Include` in `certificatoPdf`, the PDF a binary part) unless the request's
Accept header admits neither `multipart/related` nor `application/xop+xml`
(e.g. `Accept: text/xml`): then `text/xml` with the PDF inline in base64.
zeep decodes both into bytes. A raw client checks the multipart format and
that the response signature, which covers the envelope with the base64
inline, verifies once the PDF is put back in place of the include.

The holder is `--holder` (default: Roma's first demo person in urna's demo
world); the certificate is 22, iscrizione nelle liste elettorali.
"""
import base64
import datetime
import re
from urllib.parse import unquote

from lxml import etree
from requests_toolbelt.multipart.decoder import MultipartDecoder
from zeep.plugins import HistoryPlugin

from conftest import P6001
from test_peers import ZeepPeer, coverage, xmlsec_or_skip
from test_sections import header

XOP = "http://www.w3.org/2004/08/xop/include"


def control():
    """The control data of an electoral certificate asked for at the counter."""
    return {
        "cognomeUffAnagrafe": "BIANCHI",
        "nomeUffAnagrafe": "LAURA",
        "tipoRichiedente": "2",
        "tipoRichiesta": "1",
        "paEstera": "0",
        "emissione": "1",
        "bollo": "0",
        "esenzioneDiritti": "1",
        "diritti": "0",
        "esenzioneBollo": "11",
    }


def issue(service, target, new_id):
    r = service.emissioneCertificato(
        testataRichiesta=header(target, new_id, "6001"),
        listaTipiCertificati={"tipoCertificato": ["22"]},
        soggettoIntestatario={
            "generalita": {"codiceFiscale": {"codFiscale": target.holder}, "senzaCognome": "1", "senzaNome": "1"}
        },
        datiControllo=control(),
    )
    assert r["Risposta6001KO"] is None, r["Risposta6001KO"]
    return r["Risposta6001OK"]


def a_pdf(pdf):
    assert isinstance(pdf, bytes), type(pdf)
    assert pdf.startswith(b"%PDF-"), pdf[:16]
    assert pdf.rstrip().endswith(b"%%EOF"), pdf[-16:]


def received_content_type(history):
    return history.last_received["http_headers"]["Content-Type"]


def test_zeep_gets_the_certificate_as_mtom_and_decodes_it(target, new_id):
    history = HistoryPlugin()
    ok = issue(target.zeep(P6001, plugins=[history]), target, new_id)
    assert received_content_type(history).startswith("multipart/related;"), received_content_type(history)
    a_pdf(ok["file"]["certificatoPdf"])
    assert ok["listaTipiCertificato"]["tipoCertificato"] == ["22"]


def test_a_client_that_accepts_only_xml_gets_the_certificate_inline(target, new_id):
    history = HistoryPlugin()
    service = target.zeep(P6001, headers={"Accept": "text/xml"}, plugins=[history])
    ok = issue(service, target, new_id)
    assert received_content_type(history).startswith("text/xml"), received_content_type(history)
    a_pdf(ok["file"]["certificatoPdf"])


def test_zeep_verifies_the_signature_of_the_mtom_reply(target, new_id):
    """zeep's own WS-Security verifies after it has put the PDF back inline."""
    xmlsec_or_skip()
    peer, history = ZeepPeer(target), HistoryPlugin()
    ok = issue(target.zeep(P6001, wsse=peer, plugins=[history]), target, new_id)
    assert received_content_type(history).startswith("multipart/related;")
    assert peer.verified == 1
    a_pdf(ok["file"]["certificatoPdf"])


def envelope_6001(target, new_id):
    """An unsigned 6001 for the holder, as a gestionale writes it."""
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    dati = "".join(f"<{k}>{v}</{k}>" for k, v in control().items())
    return (
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Header/><soap:Body>'
        '<cert:Richiesta6001 xmlns:cert="http://sogei.it/ANPR/6001certificazione"><testataRichiesta>'
        f"<idOperazioneComune>{new_id()}</idOperazioneComune><codMittente>{target.istat}</codMittente>"
        "<codDestinatario>ANPR05</codDestinatario><operazioneRichiesta>6001</operazioneRichiesta>"
        f"<dataOraRichiesta>{now}</dataOraRichiesta><tipoOperazione>V</tipoOperazione><tipoInvio>TEST</tipoInvio>"
        f"<dataDecorrenza>{now[:10]}</dataDecorrenza></testataRichiesta>"
        "<listaTipiCertificati><tipoCertificato>22</tipoCertificato></listaTipiCertificati>"
        f"<soggettoIntestatario><generalita><codiceFiscale><codFiscale>{target.holder}</codFiscale></codiceFiscale>"
        "<senzaCognome>1</senzaCognome><senzaNome>1</senzaNome></generalita></soggettoIntestatario>"
        f"<datiControllo>{dati}</datiControllo></cert:Richiesta6001></soap:Body></soap:Envelope>"
    ).encode()


def params(content_type):
    """The parameters of a Content-Type value, unquoted."""
    return {k.lower(): v for k, v in re.findall(r';\s*([^=;\s]+)="?([^";]*)"?', content_type)}


def test_the_mtom_reply_raw(target, new_id):
    """No Accept header at all: MTOM. Its format, the include's cid naming
    the PDF part, and the signature over the envelope with the PDF inline."""
    r = target.post(P6001, envelope_6001(target, new_id), headers={"Accept": None})
    assert "Accept" not in r.request.headers
    assert r.status_code == 200, r.content[:2000]
    ct = r.headers["Content-Type"]
    assert ct.startswith("multipart/related;"), ct
    p = params(ct)
    assert p["type"] == "application/xop+xml" and p["start"] == "<root.message@urna>", ct
    assert p["start-info"] == "text/xml" and p["boundary"].startswith("uuid:"), ct
    parts = MultipartDecoder(r.content, ct).parts
    assert len(parts) == 2
    h = lambda part, name: part.headers[name.encode()].decode()  # noqa: E731
    root, pdf = parts
    assert h(root, "Content-ID") == "<root.message@urna>"
    assert h(root, "Content-Type") == 'application/xop+xml; charset=UTF-8; type="text/xml"'
    assert h(root, "Content-Transfer-Encoding") == "8bit"
    assert h(pdf, "Content-Type") == "application/pdf"
    assert h(pdf, "Content-Transfer-Encoding") == "binary"
    a_pdf(pdf.content)

    doc = etree.fromstring(root.content)
    includes = doc.findall(f".//{{{XOP}}}Include")
    assert len(includes) == 1 and includes[0].getparent().tag == "certificatoPdf"
    href = includes[0].get("href")
    assert href.startswith("cid:") and f"<{unquote(href[4:])}>" == h(pdf, "Content-ID"), href

    # What an MTOM-aware receiver reconstructs: the base64 back in place.
    signed_as = etree.fromstring(root.content)
    holder = signed_as.find(f".//{{{XOP}}}Include").getparent()
    holder.remove(holder[0])
    holder.text = base64.b64encode(pdf.content).decode()
    xmlsec_or_skip()
    from zeep.exceptions import SignatureVerificationFailed
    from zeep.wsse.signature import verify_envelope

    verify_envelope(signed_as, target.service_cert)
    coverage(signed_as)
    try:
        verify_envelope(doc, target.service_cert)
    except SignatureVerificationFailed:
        pass
    else:
        raise AssertionError("the envelope with the include is not what was signed")


def test_the_inline_reply_raw(target, new_id):
    r = target.post(P6001, envelope_6001(target, new_id), headers={"Accept": "text/xml"})
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("text/xml"), r.headers["Content-Type"]
    doc = etree.fromstring(r.content)
    assert doc.find(f".//{{{XOP}}}Include") is None
    a_pdf(base64.b64decode(doc.find(".//certificatoPdf").text, validate=True))
