import os
import shutil
import subprocess
import uuid

import pytest
import requests
from lxml import etree
from zeep import Client, Plugin, Settings
from zeep.transports import Transport

P5000 = "/ANPR5000ServiziMutazione/AnprService5000"
P3000 = "/ANPR3000ServiziConsultazione/AnprService3000"
P2000 = "/ANPR2000ServiziCancellazione/AnprService2000"
P6001 = "/ANPR6001ServizioCertificazione/AnprService6001"
P7001 = "/ANPR7001ServizioScaricoTabelle/AnprService7001"
P4000 = "/ANPR4000ServiziEstrazione/AnprService4000"


def pytest_addoption(parser):
    env = os.environ.get
    parser.addoption("--url", default=env("URNA_URL", "https://127.0.0.1:8443"))
    parser.addoption("--ca", default=env("URNA_CA", "var/pki/ca.crt"))
    parser.addoption("--cert", default=env("URNA_CERT", "var/pki/stations/058091-PC-0001.crt"))
    parser.addoption("--key", default=env("URNA_KEY", "var/pki/stations/058091-PC-0001.key"))
    parser.addoption("--istat", default=env("URNA_ISTAT", "058091"))
    parser.addoption("--comune", default=env("URNA_COMUNE", "ROMA"))
    parser.addoption("--sigla", default=env("URNA_SIGLA", "RM"))
    parser.addoption("--camera", default=env("URNA_CAMERA", "LAZIO 1 - U01"))
    parser.addoption("--senato", default=env("URNA_SENATO", "LAZIO - U01"))
    parser.addoption("--regionali", default=env("URNA_REGIONALI", "ROMA"))
    parser.addoption("--ue", default=env("URNA_UE", "ITALIA CENTRALE"))
    # An elector of the comune in the general list, and the circumscriptions
    # of its table (defaults: urna's demo world for Roma).
    parser.addoption("--elector", default=env("URNA_ELECTOR", "9058091000"))
    parser.addoption("--circ-camera", default=env("URNA_CIRC_CAMERA", "LAZIO 1"))
    parser.addoption("--circ-senato", default=env("URNA_CIRC_SENATO", "LAZIO"))
    # A person on the general list whose electoral certificate (6001) may be
    # issued, by codice fiscale (default: Roma's first demo person, ROMANO
    # ANNA, subject 9058091000 of urna's demo world).
    parser.addoption("--holder", default=env("URNA_HOLDER", "RMNNNA50A41H501H"))
    # The security frame (docs/security.md) is added by `urna wss sign` with the
    # station's certificate and key (the same as the TLS identity).
    parser.addoption("--signer", default=env("URNA_SIGNER", shutil.which("urna") or "target/debug/urna"))
    # The certificate urna signs its responses with (default: the one of the
    # development PKI, beside the CA).
    parser.addoption("--service-cert", default=env("URNA_SERVICE_CERT", None))
    # An operator of the comune registered without the electoral profile
    # (urna's demo world has this one); empty skips the profile test.
    parser.addoption("--registry-operator", default=env("URNA_REGISTRY_OPERATOR", "VRDGPP75C15H501P"))


class Signer:
    """Signs envelopes with ANPR's security frame through `urna wss sign`."""

    def __init__(self, urna, cert, key, operator=None):
        self.command = [urna, "wss", "sign", "--cert", cert, "--key", key]
        if operator:
            self.command += ["--operator", operator]

    def sign(self, data: bytes) -> bytes:
        done = subprocess.run(self.command, input=data, capture_output=True)
        if done.returncode != 0:
            raise RuntimeError(done.stderr.decode())
        return done.stdout


class SigningPlugin(Plugin):
    """zeep has no SAML assertion: sign the outgoing envelope with urna's helper."""

    def __init__(self, signer):
        self.signer = signer

    def egress(self, envelope, http_headers, operation, binding_options):
        signed = self.signer.sign(etree.tostring(envelope))
        return etree.fromstring(signed), http_headers


class Target:
    def __init__(self, config):
        o = config.getoption
        self.url = o("--url").rstrip("/")
        self.istat, self.comune, self.sigla = o("--istat"), o("--comune"), o("--sigla")
        self.values = {k: o("--" + k) for k in ("camera", "senato", "regionali", "ue", "circ-camera", "circ-senato")}
        self.elector = o("--elector")
        self.holder = o("--holder")
        self.session = requests.Session()
        # Environment CA bundles (REQUESTS_CA_BUNDLE) would override verify.
        self.session.trust_env = False
        self.session.verify = o("--ca")
        self.session.cert = (o("--cert"), o("--key"))
        self.signer = Signer(o("--signer"), o("--cert"), o("--key"))
        self.urna, self.cert, self.key, self.ca = o("--signer"), o("--cert"), o("--key"), o("--ca")
        self.registry_operator = o("--registry-operator")
        self.service_cert = o("--service-cert") or os.path.join(os.path.dirname(self.ca), "service-signing.crt")
        self._clients = {}

    def client(self, path):
        if path not in self._clients:
            self._clients[path] = self.zeep(path)
        return self._clients[path]

    def zeep(self, path, headers=None, plugins=(), wsse=None):
        """A zeep service for `path`, its requests signed by `urna wss sign`
        (or by `wsse`); `headers` are added to every HTTP request of it."""
        session = self.session
        if headers:
            session = requests.Session()
            session.trust_env = False
            session.verify, session.cert = self.session.verify, self.session.cert
            session.headers.update(headers)
        c = Client(
            f"{self.url}{path}?wsdl",
            transport=Transport(session=session),
            settings=Settings(strict=True, xml_huge_tree=False),
            plugins=list(plugins) if wsse else [SigningPlugin(self.signer), *plugins],
            wsse=wsse,
        )
        return c.create_service(next(iter(c.wsdl.bindings.keys())), f"{self.url}{path}")

    def post(self, path, body, sign=True, content_type="text/xml; charset=UTF-8", headers=None):
        data = body.encode("utf-8") if isinstance(body, str) else body
        if sign:
            try:
                data = self.signer.sign(data)
            except RuntimeError:
                pass  # not an envelope (bad-input probes): sent as it is
        sent = {"SOAPAction": '""'}
        if content_type is not None:
            sent["Content-Type"] = content_type
        # A header given as None is not sent (requests' own default included).
        sent.update(headers or {})
        return self.session.post(f"{self.url}{path}", data=data, headers=sent)

    def post_as(self, path, operator, operation, **kwargs):
        """Sends `operation` of the service at `path`, built by zeep from the
        WSDL but signed as `operator` instead of the default one; returns the
        HTTP response."""
        service = self.client(path)
        client, plugins = service._client, service._client.plugins
        client.plugins = []  # unsigned: signed below as the other operator
        try:
            message = client.create_message(service, operation, **kwargs)
        finally:
            client.plugins = plugins
        signer = Signer(self.urna, self.cert, self.key, operator)
        return self.post(path, signer.sign(etree.tostring(message)), sign=False)

    def comune_ref(self):
        return {"nomeComune": self.comune, "codiceIstat": self.istat, "siglaProvinciaIstat": self.sigla}


@pytest.fixture(scope="session")
def target(request):
    return Target(request.config)


@pytest.fixture
def new_id():
    return lambda: "CT" + uuid.uuid4().hex[:20].upper()
