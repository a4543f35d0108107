"""The error model for malformed or hostile requests: SOAP 1.1 faults with a reason."""
import re

from conftest import P5000

ENV = '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>{}</soap:Body></soap:Envelope>'


def reason(resp):
    assert resp.status_code == 500, resp.text
    assert "<faultcode>soap:Client</faultcode>" in resp.text, resp.text
    m = re.search(r"<u:reason>([^<]+)</u:reason>", resp.text)
    return m.group(1) if m else None


def test_not_xml(target):
    assert reason(target.post(P5000, "not xml")) == "not-well-formed"


def test_doctype_is_refused(target):
    body = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>' + ENV.format("<x>&e;</x>")
    assert reason(target.post(P5000, body)) == "doctype"


def test_two_body_children(target):
    assert reason(target.post(P5000, ENV.format("<a/><b/>"))) == "multiple-body-children"


def test_unknown_operation(target):
    body = ENV.format('<m:Richiesta5099 xmlns:m="http://sogei.it/ANPR/5000mutazione"/>')
    assert reason(target.post(P5000, body)) == "unknown-operation"


def test_schema_invalid(target):
    body = ENV.format('<m:Richiesta5011 xmlns:m="http://sogei.it/ANPR/5000mutazione"><testataRichiesta/></m:Richiesta5011>')
    assert reason(target.post(P5000, body)) == "xsd-invalid"


def test_body_too_large(target):
    body = ENV.format("<x>" + "a" * (2 * 1024 * 1024) + "</x>")
    assert reason(target.post(P5000, body)) == "body-too-large"


def test_a_request_cut_short_is_not_well_formed(target):
    body = '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Header><x>1</x>'
    resp = target.post(P5000, body, sign=False)
    assert reason(resp) == "not-well-formed"
    assert "<u:line>" in resp.text and "<u:column>" in resp.text


def test_cpu_bombs_stop_at_the_prescan(target):
    attrs = "".join(f' a{i}=""' for i in range(3000))
    assert reason(target.post(P5000, ENV.format(f"<x{attrs}/>"), sign=False)) == "too-many-attributes"
    nss = "".join(f' xmlns:p{i}="urn:{i}"' for i in range(1000))
    assert reason(target.post(P5000, ENV.format(f"<x{nss}/>"), sign=False)) == "too-many-namespaces"
    assert reason(target.post(P5000, ENV.format("<r>" + "<x/>" * 5000 + "</r>"), sign=False)) == "too-many-elements"
    assert reason(target.post(P5000, ENV.format("<" + "n" * 5000 + "/>"), sign=False)) == "name-too-long"


def test_content_type_must_be_text_xml(target):
    body = ENV.format('<m:Richiesta5011 xmlns:m="http://sogei.it/ANPR/5000mutazione"/>')
    for ct, why in [
        ("application/json", "unsupported-media-type"),
        (None, "unsupported-media-type"),
        ("application/soap+xml; charset=utf-8", "soap-version-mismatch"),
    ]:
        resp = target.post(P5000, body, sign=False, content_type=ct)
        assert resp.status_code == 415, resp.text
        assert f"<u:reason>{why}</u:reason>" in resp.text, resp.text
        assert "text/xml" in resp.text
