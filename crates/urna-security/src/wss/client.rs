//! The client side of the security frame, for gestionali and tests: the
//! ANPR-profile signer of a workstation (`ClientSigner`: Timestamp, the
//! signed SAML assertion, the message signature) and `add_assertion`, which
//! completes a request another WS-Security stack signed. The server's
//! response signer and the shared pieces are in `sign.rs`.

use openssl::cms::{CMSOptions, CmsContentInfo};
use quick_xml::events::Event;
use time::OffsetDateTime;

use super::algorithms::{DigestAlg, SignatureAlg};
use super::sign::*;
use super::{b64, ns};

/// The operator a request is sent for (SAML Subject) and the application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operator {
    /// Codice fiscale (NameID).
    pub codice_fiscale: String,
    pub application: String,
}

/// Signs requests the way gestionali do for ANPR (docs/security.md, "ANPR's
/// security profile").
#[derive(Debug, Clone)]
pub struct ClientSigner {
    pub key: SigningKey,
    /// Station CN `<ISTAT>-<TT>-<NNNN>` (IdPostazione); IdSede is its ISTAT.
    pub station: String,
    pub operator: Operator,
    pub algorithm: SignatureAlg,
    pub digest: DigestAlg,
    pub key_info: KeyInfoForm,
    pub ttl_secs: i64,
    /// A fixed IdPostazioneFirmato instead of the CMS computed from the key
    /// (negative tests: a value signed by another key).
    pub id_postazione_firmato_override: Option<String>,
}

impl ClientSigner {
    /// The ANPR profile: RSA-SHA1, SHA-1, inline X509Data, PrefixList
    /// `wsse soap` on the Timestamp reference, 5-minute lifetime.
    pub fn anpr(key: SigningKey, station: &str, operator: Operator) -> ClientSigner {
        ClientSigner {
            key,
            station: station.to_string(),
            operator,
            algorithm: SignatureAlg::RsaSha1,
            digest: DigestAlg::Sha1,
            key_info: KeyInfoForm::X509Data,
            ttl_secs: 300,
            id_postazione_firmato_override: None,
        }
    }

    /// `IdPostazioneFirmato`: base64 CMS SignedData over the station CN.
    pub fn id_postazione_firmato(&self) -> Result<String, SignError> {
        let (cert, key) = (self.key.thread_cert()?, self.key.thread_key()?);
        let cms = CmsContentInfo::sign(
            Some(&cert),
            Some(&key),
            None,
            Some(self.station.as_bytes()),
            CMSOptions::BINARY,
        )
        .map_err(fail)?;
        Ok(b64(&cms.to_der()?))
    }

    /// The signed SAML assertion for `now`.
    pub fn assertion(&self, now: OffsetDateTime) -> Result<String, SignError> {
        let id = format!("_{}", uuid::Uuid::new_v4().simple());
        let istat = self.station.get(..6).unwrap_or_default();
        let (from, to) = (
            instant(now),
            instant(now + time::Duration::seconds(self.ttl_secs)),
        );
        let attr = |name: &str, value: &str| {
            format!(
                "<saml2:Attribute Name=\"{name}\" NameFormat=\"urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified\"><saml2:AttributeValue xsi:type=\"xs:string\">{}</saml2:AttributeValue></saml2:Attribute>",
                urna_wire::xml::escape(value)
            )
        };
        let head = format!(
            "<saml2:Assertion xmlns:saml2=\"{}\" xmlns:xsi=\"{}\" xmlns:xs=\"{}\" ID=\"{id}\" IssueInstant=\"{from}\" Version=\"2.0\"><saml2:Issuer>XS</saml2:Issuer>",
            ns::SAML2,
            ns::XSI,
            ns::XS
        );
        let tail = format!(
            "<saml2:Subject><saml2:NameID Format=\"urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified\">{}</saml2:NameID><saml2:SubjectConfirmation Method=\"urn:oasis:names:tc:SAML:2.0:cm:bearer\"><saml2:SubjectConfirmationData NotBefore=\"{from}\" NotOnOrAfter=\"{to}\"/></saml2:SubjectConfirmation></saml2:Subject><saml2:Conditions NotBefore=\"{from}\" NotOnOrAfter=\"{to}\"/><saml2:AuthnStatement AuthnInstant=\"{from}\" SessionNotOnOrAfter=\"{to}\"><saml2:SubjectLocality Address=\"127.0.0.1\"/><saml2:AuthnContext><saml2:AuthnContextClassRef></saml2:AuthnContextClassRef></saml2:AuthnContext></saml2:AuthnStatement><saml2:AttributeStatement>{}{}{}{}</saml2:AttributeStatement></saml2:Assertion>",
            urna_wire::xml::escape(&self.operator.codice_fiscale),
            attr("IdSede", istat),
            attr("IdPostazione", &self.station),
            attr(
                "IdPostazioneFirmato",
                &match &self.id_postazione_firmato_override {
                    Some(v) => v.clone(),
                    None => self.id_postazione_firmato()?,
                }
            ),
            attr("IdApplicazione", &self.operator.application),
        );
        let unsigned = format!("{head}{tail}");
        // The assertion declares every prefix it uses, so its canonical form
        // here equals its canonical form inside the envelope.
        let doc = parse(&unsigned)?;
        let root = doc.get_root_element().ok_or_else(|| fail("no assertion"))?;
        let digest = self.digest.digest(canonical(&root, &[])?.as_bytes());
        drop(doc);
        let sig = signature(
            &self.key,
            self.algorithm,
            self.digest,
            &[RefSpec {
                id: &id,
                enveloped: true,
                prefixes: &[],
                digest,
            }],
            &key_info(&self.key, KeyInfoForm::X509Data, "")?,
        )?;
        Ok(format!("{head}{sig}{tail}"))
    }

    /// Signs a complete (unsigned) request envelope, with a new assertion.
    pub fn sign(&self, envelope: &str, now: OffsetDateTime) -> Result<String, SignError> {
        self.sign_with_assertion(envelope, now, &self.assertion(now)?)
    }

    /// Signs a request envelope carrying `assertion` (from
    /// [`ClientSigner::assertion`]; one assertion may serve many messages
    /// while its Conditions hold, each message gets its own Timestamp and
    /// signature).
    pub fn sign_with_assertion(
        &self,
        envelope: &str,
        now: OffsetDateTime,
        assertion: &str,
    ) -> Result<String, SignError> {
        let ts_id = new_id("TS");
        let body_id = new_id("id");
        let bst_id = new_id("X509");
        let l = layout(envelope)?;
        let mu = if l.soap_prefix.is_empty() {
            String::new()
        } else {
            format!("{}:", l.soap_prefix)
        };
        let mut security = security_open(&mu);
        security.push_str(&timestamp(&ts_id, now, self.ttl_secs));
        security.push_str(assertion);
        if self.key_info == KeyInfoForm::BinarySecurityToken {
            security.push_str(&bst(&self.key, &bst_id));
        }
        security.push_str(SIGNATURE_MARK);
        security.push_str("</wsse:Security>");
        let xml = with_security(envelope, &security, &body_id)?;
        let ki = key_info(&self.key, self.key_info, &bst_id)?;
        let prefixes: Vec<&str> = if l.soap_prefix.is_empty() {
            vec!["wsse"]
        } else {
            vec!["wsse", l.soap_prefix.as_str()]
        };
        sign_message(
            &xml,
            &self.key,
            self.algorithm,
            self.digest,
            &ts_id,
            &body_id,
            &prefixes,
            &ki,
        )
    }
}

/// Adds a signed SAML assertion (from [`ClientSigner::assertion`]) to a
/// request that a third-party WS-Security stack has already signed (zeep's
/// `BinarySignature`, node-soap's `WSSecurityCert`, …), which know nothing of
/// ANPR's assertion.
///
/// The assertion becomes the first child of
/// `/soap:Envelope/soap:Header/wsse:Security`. The peer's message signature
/// covers the Timestamp and the Body, not `wsse:Security` itself, so it stays
/// valid; the assertion carries its own enveloped signature and declares
/// every namespace it uses, so its canonical form does not depend on where
/// it is put. Nothing else in the message is touched.
pub fn add_assertion(signed: &str, assertion: &str) -> Result<String, SignError> {
    use quick_xml::name::ResolveResult;
    /// What an event is, once the reader is free again.
    enum Seen {
        Open {
            empty: bool,
            soap: bool,
            wsse: bool,
            saml: bool,
            local: Vec<u8>,
        },
        Close,
        Eof,
        Other,
    }
    let mut r = quick_xml::NsReader::from_str(signed);
    r.config_mut().check_end_names = true;
    let mut depth = 0usize;
    let mut in_header = false;
    let mut in_security = false;
    let mut insert_at: Option<usize> = None;
    loop {
        let seen = {
            let (res, ev) = r.read_resolved_event().map_err(|e| {
                SignError::Message(format!("the signed message is not well-formed: {e}"))
            })?;
            let bound =
                |uri: &str| matches!(&res, ResolveResult::Bound(n) if n.as_ref() == uri.as_bytes());
            match ev {
                Event::Start(ref e) | Event::Empty(ref e) => Seen::Open {
                    empty: matches!(ev, Event::Empty(_)),
                    soap: bound(urna_wire::ns::SOAP_ENV),
                    wsse: bound(ns::WSSE),
                    saml: bound(ns::SAML2),
                    local: e.local_name().as_ref().to_vec(),
                },
                Event::End(_) => Seen::Close,
                Event::Eof => Seen::Eof,
                _ => Seen::Other,
            }
        };
        match seen {
            Seen::Open {
                empty,
                soap,
                wsse,
                saml,
                local,
            } => {
                // The element is at depth + 1 (Envelope 1, Header 2, …).
                match depth + 1 {
                    2 if soap && local == b"Header" => in_header = !empty,
                    3 if in_header && wsse && local == b"Security" => {
                        if insert_at.is_some() {
                            return Err(SignError::Message(
                                "the message has two wsse:Security headers".into(),
                            ));
                        }
                        if empty {
                            return Err(SignError::Message(
                                "wsse:Security is empty: the message is not signed".into(),
                            ));
                        }
                        insert_at = Some(r.buffer_position() as usize);
                        in_security = true;
                    }
                    4 if in_security && saml && local == b"Assertion" => {
                        return Err(SignError::Message(
                            "wsse:Security already carries a saml2:Assertion".into(),
                        ));
                    }
                    _ => {}
                }
                if !empty {
                    depth += 1;
                }
            }
            Seen::Close => {
                match depth {
                    2 => in_header = false,
                    3 => in_security = false,
                    _ => {}
                }
                depth = depth.saturating_sub(1);
            }
            Seen::Eof => break,
            Seen::Other => {}
        }
    }
    let at = insert_at.ok_or_else(|| {
        SignError::Message("no soap:Header/wsse:Security in the message: sign it first".into())
    })?;
    let mut out = String::with_capacity(signed.len() + assertion.len());
    out.push_str(&signed[..at]);
    out.push_str(assertion);
    out.push_str(&signed[at..]);
    Ok(out)
}
