"""Interoperability with WS-Security stacks urna did not write.

Requests: zeep (python-xmlsec) and node-soap (xml-crypto) sign Timestamp and
Body with the station key in their own layout; `urna wss add-assertion` adds
ANPR's signed SAML assertion, which neither knows, without touching their
signature. urna must serve them.

Responses: urna's signature must verify in zeep (`verify_envelope` with
urna's service certificate) and in WSS4J 1.6 (peers/wss4j), each with a
coverage check that the signature is over the Body and the Timestamp at
their paths; a tampered response must fail in both.

Each peer test skips when its peer is not installed here, and fails instead
when URNA_REQUIRE_PEERS=1 (CI).
"""
import copy
import datetime
import os
import pathlib
import re
import shutil
import subprocess

import pytest
from lxml import etree

from conftest import P3000
from test_security import envelope_3008, reason

HERE = pathlib.Path(__file__).resolve().parent
NODE_PEER = HERE / "peers" / "node"
WSS4J_PEER = HERE / "peers" / "wss4j" / "run.sh"
SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
DS = "http://www.w3.org/2000/09/xmldsig#"
SAML2 = "urn:oasis:names:tc:SAML:2.0:assertion"
RSA_SHA256 = b"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"


def missing(what):
    """A peer that is not installed: a failure in CI, a skip elsewhere."""
    if os.environ.get("URNA_REQUIRE_PEERS") == "1":
        pytest.fail(f"{what} is required (URNA_REQUIRE_PEERS=1) but not available")
    pytest.skip(f"{what} not available")


def xmlsec_or_skip():
    try:
        import xmlsec  # noqa: F401  (zeep's signing and verification)
    except ImportError:
        missing("python-xmlsec (zeep's WS-Security)")
    import xmlsec

    return xmlsec


def add_assertion(target, signed, cert=None, key=None):
    """ANPR's signed SAML assertion added by urna's helper to a peer-signed request."""
    done = subprocess.run(
        [target.urna, "wss", "add-assertion", "--cert", cert or target.cert, "--key", key or target.key],
        input=signed,
        capture_output=True,
    )
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout


def zulu(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def zeep_sign(target, envelope):
    """zeep's BinarySignature (RSA-SHA256/SHA-256) over Body and a wsu:Timestamp."""
    xmlsec = xmlsec_or_skip()
    from zeep.wsse.signature import BinarySignature
    from zeep.wsse.utils import WSU as WSU_E
    from zeep.wsse.utils import get_security_header

    doc = etree.fromstring(envelope) if isinstance(envelope, bytes) else envelope
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    get_security_header(doc).append(
        WSU_E.Timestamp(WSU_E.Created(zulu(now)), WSU_E.Expires(zulu(now + datetime.timedelta(minutes=5))))
    )
    BinarySignature(
        target.key,
        target.cert,
        signature_method=xmlsec.Transform.RSA_SHA256,
        digest_method=xmlsec.Transform.SHA256,
    ).apply(doc, {})
    return etree.tostring(doc)


def node_sign(target, envelope):
    """node-soap's WSSecurityCert (RSA-SHA256/SHA-256, BinarySecurityToken, Timestamp)."""
    node = shutil.which("node")
    if node is None or not (NODE_PEER / "node_modules" / "soap").is_dir():
        missing(f"node-soap (node, and `npm ci` in {NODE_PEER})")
    done = subprocess.run(
        [node, "sign.js", target.key, target.cert], input=envelope, capture_output=True, cwd=NODE_PEER
    )
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout


def served_3008(resp):
    assert resp.status_code == 200, resp.text
    assert "<esitoOperazione>0000</esitoOperazione>" in resp.text, resp.text
    assert "<sezioneelettoralenum>" in resp.text, resp.text


def signature_value(xml):
    return re.search(rb"SignatureValue[^>]*>([^<]+)<", xml).group(1)


# -- requests signed by zeep and node-soap ------------------------------------


def test_zeep_binary_signature_with_the_assertion_is_served(target, new_id):
    signed = zeep_sign(target, envelope_3008(target, new_id))
    assert RSA_SHA256 in signed and b"BinarySecurityToken" in signed
    request = add_assertion(target, signed)
    # zeep's signature is sent as zeep made it; the assertion is beside it.
    assert signature_value(signed) in request and b"<saml2:Assertion" in request
    served_3008(target.post(P3000, request, sign=False))


def test_node_soap_ws_security_cert_with_the_assertion_is_served(target, new_id):
    signed = node_sign(target, envelope_3008(target, new_id))
    # node-soap's dialect: unqualified Id on Body and Timestamp, the
    # Timestamp in a default namespace, an enveloped-signature transform on
    # a reference that does not enclose the signature.
    assert b'<soap:Body Id="' in signed and b"<Timestamp xmlns=" in signed
    assert b"enveloped-signature" in signed and RSA_SHA256 in signed
    request = add_assertion(target, signed)
    assert signature_value(signed) in request
    served_3008(target.post(P3000, request, sign=False))


def test_without_the_assertion_a_peer_signed_request_is_refused(target, new_id):
    for sign in (zeep_sign, node_sign):
        signed = sign(target, envelope_3008(target, new_id))
        assert reason(target.post(P3000, signed, sign=False)) == "assertion-missing"


def test_a_peer_signed_request_changed_after_signing_is_refused(target, new_id):
    for sign in (zeep_sign, node_sign):
        request = add_assertion(target, sign(target, envelope_3008(target, new_id)))
        tampered = request.replace(b"<tipoRichiesta>2</tipoRichiesta>", b"<tipoRichiesta>1</tipoRichiesta>")
        assert tampered != request
        assert reason(target.post(P3000, tampered, sign=False)) == "digest-mismatch"


def test_an_assertion_of_another_station_is_refused(target, new_id):
    other = pathlib.Path(target.cert).with_name("015146-PC-0001.crt")
    if not other.exists():
        pytest.skip("no second station certificate beside --cert (urna's development PKI has one)")
    signed = zeep_sign(target, envelope_3008(target, new_id))
    request = add_assertion(target, signed, cert=str(other), key=str(other.with_suffix(".key")))
    assert reason(target.post(P3000, request, sign=False)) == "identity-mismatch"


# -- urna's responses verified by zeep and WSS4J ------------------------------


def a_response(target, new_id):
    r = target.post(P3000, envelope_3008(target, new_id))
    served_3008(r)
    return r.content


def tampered(response):
    out = response.replace(b"<esitoOperazione>0000<", b"<esitoOperazione>0001<", 1)
    assert out != response
    return out


def wrapped(response):
    """Signature wrapping: the signed Body moved into a header element and
    a forged Body, without id, put in its place. Every digest still matches."""
    doc = etree.fromstring(response)
    body = doc.find(f"{{{SOAP}}}Body")
    forged = copy.deepcopy(body)
    del forged.attrib[f"{{{WSU}}}Id"]
    forged.find(".//esitoOperazione").text = "0001"
    doc.replace(body, forged)
    etree.SubElement(doc.find(f"{{{SOAP}}}Header"), "{urn:x}Wrapper").append(body)
    return etree.tostring(doc)


def coverage(doc):
    """What zeep does not check: the references name exactly the Body at
    /soap:Envelope/soap:Body and the Timestamp of wsse:Security."""
    security = doc.find(f"{{{SOAP}}}Header/{{{WSSE}}}Security")
    signature = security.find(f"{{{DS}}}Signature")
    uris = sorted(r.get("URI") for r in signature.iterfind(f"{{{DS}}}SignedInfo/{{{DS}}}Reference"))
    body = doc.find(f"{{{SOAP}}}Body").get(f"{{{WSU}}}Id")
    ts = security.find(f"{{{WSU}}}Timestamp").get(f"{{{WSU}}}Id")
    assert body and ts and uris == sorted([f"#{body}", f"#{ts}"]), f"references {uris}: not the Body and the Timestamp"


def test_urna_responses_verify_in_zeep(target, new_id):
    xmlsec_or_skip()
    from zeep.exceptions import SignatureVerificationFailed
    from zeep.wsse.signature import verify_envelope

    response = a_response(target, new_id)
    doc = etree.fromstring(response)
    verify_envelope(doc, target.service_cert)
    coverage(doc)
    with pytest.raises(SignatureVerificationFailed):
        verify_envelope(etree.fromstring(tampered(response)), target.service_cert)
    # zeep resolves references by id only, so it would take the wrapped
    # message; the coverage check above is what refuses it.
    with pytest.raises(AssertionError, match="not the Body"):
        coverage(etree.fromstring(wrapped(response)))


class ZeepPeer:
    """zeep's own WS-Security as a gestionale would configure it: requests
    signed by BinarySignature (plus ANPR's assertion through urna's helper),
    every response verified with urna's service certificate."""

    def __init__(self, target):
        self.target = target

    def apply(self, envelope, headers):
        signed = add_assertion(self.target, zeep_sign(self.target, envelope))
        return etree.fromstring(signed), headers

    def verify(self, envelope):
        from zeep.wsse.signature import verify_envelope

        verify_envelope(envelope, self.target.service_cert)
        coverage(envelope)
        self.verified = getattr(self, "verified", 0) + 1
        return envelope


def test_a_zeep_client_signs_with_zeep_and_verifies_every_response(target, new_id):
    xmlsec_or_skip()
    from zeep import Client, Settings
    from zeep.transports import Transport

    from test_sections import header

    peer = ZeepPeer(target)
    client = Client(
        f"{target.url}{P3000}?wsdl",
        transport=Transport(session=target.session),
        settings=Settings(strict=True, xml_huge_tree=False),
        wsse=peer,
    )
    service = client.create_service(next(iter(client.wsdl.bindings.keys())), f"{target.url}{P3000}")
    q = service.consultazione_sezione(
        testataRichiesta=header(target, new_id, "3008"),
        parametriRicerca3008={"comune": target.comune_ref(), "tipoRichiesta": "2"},
    )
    assert q["Risposta3008_OK"]["sezione"]["sezioni"], q
    assert peer.verified == 1


def wss4j(path, cert):
    if not WSS4J_PEER.exists() or shutil.which("java") is None:
        missing("WSS4J peer (JDK 17)")
    done = subprocess.run(["bash", str(WSS4J_PEER), "verify", str(path), str(cert)], capture_output=True, text=True)
    if done.returncode == 3:
        missing(f"WSS4J peer: {done.stderr.strip()}")
    return done.returncode, done.stdout + done.stderr


def test_urna_responses_verify_in_wss4j(target, new_id, tmp_path):
    response = a_response(target, new_id)
    other = pathlib.Path(target.cert)  # a station certificate: not urna's signer
    cases = [
        ("ok", response, target.service_cert, 0),
        ("tampered", tampered(response), target.service_cert, 1),
        ("wrapped", wrapped(response), target.service_cert, 1),
        ("other-signer", response, other, 1),
    ]
    for name, body, cert, want in cases:
        f = tmp_path / f"{name}.xml"
        f.write_bytes(body)
        rc, out = wss4j(f, cert)
        assert rc == want, f"WSS4J on the {name} response: {out}"
        if name == "wrapped":
            assert "covers Body elsewhere" in out, out
