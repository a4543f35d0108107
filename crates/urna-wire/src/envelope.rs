//! The SOAP 1.1 envelope (docs/anpr-interface.md §Endpoints, "SOAP binding")
//! and faults (docs/security.md, "Gateway faults").

use crate::ns;
use crate::reason::FaultReason;
use crate::xml::Out;

/// Wraps a Body child in a SOAP 1.1 envelope.
pub fn envelope(body_child: &str) -> String {
    let mut s = String::with_capacity(body_child.len() + 200);
    s.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?><soap:Envelope xmlns:soap=\"");
    s.push_str(ns::SOAP_ENV);
    s.push_str("\"><soap:Header/><soap:Body>");
    s.push_str(body_child);
    s.push_str("</soap:Body></soap:Envelope>");
    s
}

/// Who is at fault (SOAP 1.1 `faultcode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultCode {
    Client,
    Server,
}

/// A SOAP fault with urna's precise detail.
///
/// `faultstring` starts with ANPR's gateway wording ("Internal Error (from
/// client)", "Rejected by policy. (from client)", "Internal Error (from
/// server)") so that gestionali that match on it keep working, then says
/// precisely what is wrong; `detail` carries the same in structured form, with
/// the correlation id that is also in the server log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub code: FaultCode,
    /// Stable machine-readable reason (e.g. `xsd-invalid`, `doctype`).
    pub reason: FaultReason,
    pub message: String,
    pub correlation_id: String,
    pub line: Option<u32>,
    pub column: Option<u32>,
    /// Element path or XSD rule concerned, when known.
    pub path: Option<String>,
    /// Seconds after which a retry may succeed (rate limits).
    pub retry_after: Option<u64>,
    /// ANPR's policy wording ("Rejected by policy.") instead of "Internal Error".
    pub policy: bool,
}

impl Fault {
    pub fn client(reason: impl Into<FaultReason>, message: impl Into<String>) -> Self {
        Fault {
            code: FaultCode::Client,
            reason: reason.into(),
            message: message.into(),
            correlation_id: String::new(),
            line: None,
            column: None,
            path: None,
            retry_after: None,
            policy: false,
        }
    }

    pub fn server(reason: impl Into<FaultReason>, message: impl Into<String>) -> Self {
        Fault {
            code: FaultCode::Server,
            ..Fault::client(reason, message)
        }
    }

    pub fn policy(reason: impl Into<FaultReason>, message: impl Into<String>) -> Self {
        Fault {
            policy: true,
            ..Fault::client(reason, message)
        }
    }

    pub fn at(mut self, line: Option<u32>, column: Option<u32>) -> Self {
        self.line = line;
        self.column = column;
        self
    }

    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }

    pub fn correlation(mut self, id: impl Into<String>) -> Self {
        self.correlation_id = id.into();
        self
    }

    pub fn faultstring(&self) -> String {
        let prefix = match (self.code, self.policy) {
            (FaultCode::Client, true) => "Rejected by policy. (from client)",
            (FaultCode::Client, false) => "Internal Error (from client)",
            (FaultCode::Server, _) => "Internal Error (from server)",
        };
        format!("{prefix}: {}", self.message)
    }

    /// The whole SOAP envelope carrying this fault.
    pub fn to_envelope(&self) -> String {
        let code = match self.code {
            FaultCode::Client => "soap:Client",
            FaultCode::Server => "soap:Server",
        };
        let mut o = Out::with_capacity(600);
        o.0.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
        o.open_ns("soap:Envelope", "soap", ns::SOAP_ENV);
        o.open("soap:Body").open("soap:Fault");
        o.leaf("faultcode", code)
            .leaf("faultstring", &self.faultstring());
        o.open("detail");
        o.open_ns("u:fault", "u", ns::URNA_FAULT);
        o.leaf("u:reason", self.reason.code())
            .leaf("u:message", &self.message)
            .leaf("u:correlationId", &self.correlation_id);
        if let Some(l) = self.line {
            o.leaf("u:line", &l.to_string());
        }
        if let Some(c) = self.column {
            o.leaf("u:column", &c.to_string());
        }
        o.opt_leaf("u:path", self.path.as_deref());
        if let Some(r) = self.retry_after {
            o.leaf("u:retryAfter", &r.to_string());
        }
        o.close("u:fault").close("detail");
        o.close("soap:Fault")
            .close("soap:Body")
            .close("soap:Envelope");
        o.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_carries_anpr_wording_and_precise_detail() {
        let f = Fault::client(
            FaultReason::XsdInvalid,
            "element 'cap': [facet 'pattern'] <bad>",
        )
        .at(Some(12), Some(7))
        .path("/Richiesta5011/sezione/sezioneelettoraleind/cap")
        .correlation("c-1");
        let x = f.to_envelope();
        assert!(x.contains("<faultcode>soap:Client</faultcode>"));
        assert!(x.contains("<faultstring>Internal Error (from client): element 'cap': [facet 'pattern'] &lt;bad&gt;</faultstring>"));
        assert!(x.contains("<u:reason>xsd-invalid</u:reason>"));
        assert!(x.contains(
            "<u:correlationId>c-1</u:correlationId><u:line>12</u:line><u:column>7</u:column>"
        ));
        assert!(Fault::server(FaultReason::StorageUnavailable, "x")
            .to_envelope()
            .contains("soap:Server"));
        assert!(Fault::policy(FaultReason::NoClientCertificate, "x")
            .faultstring()
            .starts_with("Rejected by policy. (from client)"));
    }

    #[test]
    fn envelope_wraps_body() {
        let e = envelope("<x/>");
        assert!(e.ends_with("<soap:Header/><soap:Body><x/></soap:Body></soap:Envelope>"));
    }
}
