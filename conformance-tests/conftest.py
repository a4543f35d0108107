import os
import uuid

import pytest
import requests
from zeep import Client, Settings
from zeep.transports import Transport

P5000 = "/ANPR5000ServiziMutazione/AnprService5000"
P3000 = "/ANPR3000ServiziConsultazione/AnprService3000"
P2000 = "/ANPR2000ServiziCancellazione/AnprService2000"


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


class Target:
    def __init__(self, config):
        o = config.getoption
        self.url = o("--url").rstrip("/")
        self.istat, self.comune, self.sigla = o("--istat"), o("--comune"), o("--sigla")
        self.values = {k: o("--" + k) for k in ("camera", "senato", "regionali", "ue", "circ-camera", "circ-senato")}
        self.elector = o("--elector")
        self.session = requests.Session()
        # Environment CA bundles (REQUESTS_CA_BUNDLE) would override verify.
        self.session.trust_env = False
        self.session.verify = o("--ca")
        self.session.cert = (o("--cert"), o("--key"))
        self._clients = {}

    def client(self, path):
        if path not in self._clients:
            c = Client(
                f"{self.url}{path}?wsdl",
                transport=Transport(session=self.session),
                settings=Settings(strict=True, xml_huge_tree=False),
            )
            self._clients[path] = c.create_service(
                next(iter(c.wsdl.bindings.keys())), f"{self.url}{path}"
            )
        return self._clients[path]

    def post(self, path, body):
        return self.session.post(
            f"{self.url}{path}",
            data=body.encode("utf-8") if isinstance(body, str) else body,
            headers={"Content-Type": "text/xml; charset=UTF-8", "SOAPAction": '""'},
        )

    def comune_ref(self):
        return {"nomeComune": self.comune, "codiceIstat": self.istat, "siglaProvinciaIstat": self.sigla}


@pytest.fixture(scope="session")
def target(request):
    return Target(request.config)


@pytest.fixture
def new_id():
    return lambda: "CT" + uuid.uuid4().hex[:20].upper()
