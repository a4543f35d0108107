//! Mutual TLS: rustls with the station CA, and the station identity of each
//! connection.
//!
//! Choice (documented in README and ARCHITECTURE): the TLS handshake asks for a
//! client certificate but does not *decide* on it; the chain is checked right
//! after the handshake, with the same webpki verifier and CRLs, and the verdict
//! is stored with the connection. Every SOAP request on a connection without a
//! valid station certificate is answered with a SOAP fault that says why (no
//! certificate, unknown CA, expired, revoked, not a station) instead of a bare
//! TLS alert that a gestionale cannot explain. Possession of the private key is
//! still proven in the handshake (CertificateVerify is checked by rustls).

use std::any::Any;
use std::path::Path;
use std::sync::Arc;

use actix_web::dev::Extensions;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, CertificateRevocationListDer, PrivateKeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::server::WebPkiClientVerifier;
use rustls::{
    CertificateError, DigitallySignedStruct, DistinguishedName, RootCertStore, ServerConfig,
    SignatureScheme,
};

use urna_pki::StationCert;

/// The verdict on a connection's client certificate.
#[derive(Debug, Clone)]
pub enum PeerIdentity {
    Station(StationCert),
    Refused {
        reason: urna_wire::FaultReason,
        message: String,
    },
}

/// Everything needed to build the server's TLS configuration.
#[derive(Debug)]
pub struct TlsMaterial {
    pub config: Arc<ServerConfig>,
    pub verifier: Arc<dyn ClientCertVerifier>,
}

fn read_certs(path: &Path) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| anyhow::anyhow!("bad certificate in {}: {e}", path.display()))?;
    anyhow::ensure!(!certs.is_empty(), "no certificate in {}", path.display());
    Ok(certs)
}

/// Builds the rustls server configuration.
pub fn load(ca: &Path, cert: &Path, key: &Path, crl: Option<&Path>) -> anyhow::Result<TlsMaterial> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut roots = RootCertStore::empty();
    for c in read_certs(ca)? {
        roots
            .add(c)
            .map_err(|e| anyhow::anyhow!("station CA {}: {e}", ca.display()))?;
    }
    let mut crls = Vec::new();
    if let Some(crl) = crl {
        for c in CertificateRevocationListDer::pem_file_iter(crl)
            .map_err(|e| anyhow::anyhow!("cannot read CRL {}: {e}", crl.display()))?
        {
            crls.push(c.map_err(|e| anyhow::anyhow!("bad CRL in {}: {e}", crl.display()))?);
        }
    }
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .with_crls(crls)
        .build()
        .map_err(|e| anyhow::anyhow!("client verifier: {e}"))?;
    let chain = read_certs(cert)?;
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| anyhow::anyhow!("cannot read key {}: {e}", key.display()))?;
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_client_cert_verifier(Arc::new(DeferredVerifier {
            inner: verifier.clone(),
        }))
        .with_single_cert(chain, key)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsMaterial {
        config: Arc::new(config),
        verifier,
    })
}

/// Asks for a certificate, checks the handshake signature, defers the chain
/// decision to [`identify`].
#[derive(Debug)]
struct DeferredVerifier {
    inner: Arc<dyn ClientCertVerifier>,
}

impl ClientCertVerifier for DeferredVerifier {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        false
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        self.inner.root_hint_subjects()
    }

    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// Decides on a presented chain: valid for the station CA (and CRLs), and a
/// station certificate (`CN=<ISTAT>-<CO|PC>-<NNNN>`, `OU=Postazioni di lavoro`).
pub fn identify(
    verifier: &dyn ClientCertVerifier,
    chain: Option<&[CertificateDer<'static>]>,
) -> PeerIdentity {
    let Some((leaf, rest)) = chain.and_then(|c| c.split_first()) else {
        return PeerIdentity::Refused {
            reason: urna_wire::FaultReason::NoClientCertificate,
            message: "the TLS connection presented no client certificate: every call needs a station certificate issued by the CA Postazioni".into(),
        };
    };
    if let Err(e) = verifier.verify_client_cert(leaf, rest, UnixTime::now()) {
        let (reason, what) = match &e {
            rustls::Error::InvalidCertificate(CertificateError::Expired)
            | rustls::Error::InvalidCertificate(CertificateError::ExpiredContext { .. }) => (
                urna_wire::FaultReason::Security(urna_wire::SecurityReason::CertificateExpired),
                "the station certificate has expired".to_string(),
            ),
            rustls::Error::InvalidCertificate(CertificateError::NotValidYet)
            | rustls::Error::InvalidCertificate(CertificateError::NotValidYetContext { .. }) => (
                urna_wire::FaultReason::CertificateNotYetValid,
                "the station certificate is not valid yet".to_string(),
            ),
            rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer)
            | rustls::Error::InvalidCertificate(CertificateError::BadSignature) => (
                urna_wire::FaultReason::Security(urna_wire::SecurityReason::UntrustedCertificate),
                "the station certificate was not issued by the configured CA Postazioni"
                    .to_string(),
            ),
            rustls::Error::InvalidCertificate(CertificateError::Revoked) => (
                urna_wire::FaultReason::Security(urna_wire::SecurityReason::CertificateRevoked),
                "the station certificate is revoked (CRL)".to_string(),
            ),
            other => (
                urna_wire::FaultReason::InvalidCertificate,
                format!("the station certificate is not acceptable: {other}"),
            ),
        };
        let subject = urna_pki::station_cert(leaf.as_ref())
            .map(|s| s.subject)
            .unwrap_or_else(|_| "(unparsable subject)".into());
        return PeerIdentity::Refused {
            reason,
            message: format!("{what} (subject {subject})"),
        };
    }
    match urna_pki::station_cert(leaf.as_ref()) {
        Ok(s) => PeerIdentity::Station(s),
        Err(e) => PeerIdentity::Refused {
            reason: urna_wire::FaultReason::Security(
                urna_wire::SecurityReason::NotAStationCertificate,
            ),
            message: e.to_string(),
        },
    }
}

/// actix `on_connect` hook: records the verdict for the connection.
pub fn on_connect(
    verifier: Arc<dyn ClientCertVerifier>,
) -> impl Fn(&dyn Any, &mut Extensions) + Send + Sync + 'static {
    move |conn: &dyn Any, ext: &mut Extensions| {
        if let Some(tls) = conn.downcast_ref::<actix_tls::accept::rustls_0_23::TlsStream<actix_web::rt::net::TcpStream>>() {
            let chain = tls.get_ref().1.peer_certificates();
            ext.insert(identify(verifier.as_ref(), chain));
        }
    }
}
