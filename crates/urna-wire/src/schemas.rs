//! Our own WSDL and XSD files (`xsd/`, `wsdl/`; written from ANPR's public
//! interface, docs/anpr-interface.md), embedded in the binary so that the
//! server validates against, and serves, exactly what was built.

/// Every XSD file, by file name. Imports between them are relative.
pub static XSD_FILES: &[(&str, &str)] = &[
    ("tipoDato.xsd", include_str!("../../../xsd/tipoDato.xsd")),
    (
        "RispostaComune.xsd",
        include_str!("../../../xsd/RispostaComune.xsd"),
    ),
    (
        "5000mutazione.xsd",
        include_str!("../../../xsd/5000mutazione.xsd"),
    ),
    (
        "3000consultazione.xsd",
        include_str!("../../../xsd/3000consultazione.xsd"),
    ),
    (
        "2000cancellazione.xsd",
        include_str!("../../../xsd/2000cancellazione.xsd"),
    ),
    (
        "6001certificazione.xsd",
        include_str!("../../../xsd/6001certificazione.xsd"),
    ),
    (
        "1000iscrizione.xsd",
        include_str!("../../../xsd/1000iscrizione.xsd"),
    ),
    ("A000aire.xsd", include_str!("../../../xsd/A000aire.xsd")),
    (
        "4000estrazione.xsd",
        include_str!("../../../xsd/4000estrazione.xsd"),
    ),
    (
        "7001scaricoTabelle.xsd",
        include_str!("../../../xsd/7001scaricoTabelle.xsd"),
    ),
    (
        "subentroSezioni.xsd",
        include_str!("../../../xsd/subentroSezioni.xsd"),
    ),
    (
        "subentroListe.xsd",
        include_str!("../../../xsd/subentroListe.xsd"),
    ),
];

/// A SOAP port: its endpoint path, WSDL and entry schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Port {
    /// Endpoint path as on ANPR (docs/anpr-interface.md §Endpoints).
    pub path: &'static str,
    /// The service number family (5000, 3000, 2000, 6001, 1000, and A000
    /// as [`crate::messages::AIRE_FAMILY`]).
    pub family: u16,
    pub wsdl: &'static str,
    /// The XSD that declares this port's global elements.
    pub schema: &'static str,
}

pub static PORTS: &[Port] = &[
    Port {
        path: "/ANPR5000ServiziMutazione/AnprService5000",
        family: 5000,
        wsdl: include_str!("../../../wsdl/AnprService5000.wsdl"),
        schema: "5000mutazione.xsd",
    },
    Port {
        path: "/ANPR3000ServiziConsultazione/AnprService3000",
        family: 3000,
        wsdl: include_str!("../../../wsdl/AnprService3000.wsdl"),
        schema: "3000consultazione.xsd",
    },
    Port {
        path: "/ANPR2000ServiziCancellazione/AnprService2000",
        family: 2000,
        wsdl: include_str!("../../../wsdl/AnprService2000.wsdl"),
        schema: "2000cancellazione.xsd",
    },
    Port {
        path: "/ANPR6001ServizioCertificazione/AnprService6001",
        family: 6001,
        wsdl: include_str!("../../../wsdl/AnprService6001.wsdl"),
        schema: "6001certificazione.xsd",
    },
    Port {
        path: "/ANPR1000ServiziIscrizione/AnprService1000",
        family: 1000,
        wsdl: include_str!("../../../wsdl/AnprService1000.wsdl"),
        schema: "1000iscrizione.xsd",
    },
    Port {
        path: "/ANPRA000ServiziAire/AnprServiceA000",
        family: crate::messages::AIRE_FAMILY,
        wsdl: include_str!("../../../wsdl/AnprServiceA000.wsdl"),
        schema: "A000aire.xsd",
    },
    Port {
        path: "/ANPR4000ServiziEstrazione/AnprService4000",
        family: 4000,
        wsdl: include_str!("../../../wsdl/AnprService4000.wsdl"),
        schema: "4000estrazione.xsd",
    },
    Port {
        path: "/ANPR7001ServizioScaricoTabelle/AnprService7001",
        family: 7001,
        wsdl: include_str!("../../../wsdl/AnprService7001.wsdl"),
        schema: "7001scaricoTabelle.xsd",
    },
];

pub fn xsd(name: &str) -> Option<&'static str> {
    XSD_FILES.iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
}

pub fn port_by_path(path: &str) -> Option<&'static Port> {
    PORTS.iter().find(|p| p.path == path)
}

/// The WSDL with its `soap:address` pointed at `base` (e.g. `https://host:8443`).
pub fn wsdl_for(port: &Port, base: &str) -> String {
    port.wsdl
        .replace("https://127.0.0.1:8443", base.trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_port_schema_is_embedded_and_wsdl_points_at_its_path() {
        for p in PORTS {
            assert!(xsd(p.schema).is_some(), "{}", p.schema);
            assert!(p.wsdl.contains(p.path), "{} lacks {}", p.family, p.path);
        }
    }

    /// `xsd/check.sh` with xmllint: every schema and WSDL compiles, every
    /// sample validates, every invalid sample is refused.
    #[test]
    fn xmllint_accepts_the_schemas_and_samples() {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../xsd/check.sh");
        if std::process::Command::new("xmllint")
            .arg("--version")
            .output()
            .is_err()
        {
            assert!(
                std::env::var_os("URNA_REQUIRE_PEERS").is_none(),
                "xmllint is missing (package libxml2-utils)"
            );
            eprintln!("note: xmllint missing, skipped");
            return;
        }
        let out = std::process::Command::new("bash")
            .arg(script)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }

    #[test]
    fn wsdl_address_is_rewritten() {
        let w = wsdl_for(&PORTS[0], "https://urna.example:9443/");
        assert!(w.contains("https://urna.example:9443/ANPR5000ServiziMutazione/AnprService5000"));
    }
}
