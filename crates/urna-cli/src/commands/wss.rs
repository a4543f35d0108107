//! `urna wss`: sign SOAP requests the way ANPR's gestionali do, for clients without that WS-Security profile.

use std::io::{Read, Write};
use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;
use urna_security::wss::sign::KeyInfoForm;
use urna_security::wss::{ClientSigner, DigestAlg, Operator, SignatureAlg, SigningKey};

#[derive(Subcommand)]
pub enum WssCommand {
    /// Read a SOAP envelope on standard input and print it signed the way
    /// gestionali sign for ANPR (docs/security.md): Timestamp, SAML assertion
    /// with IdSede/IdPostazione/IdPostazioneFirmato (signed), message
    /// signature over Timestamp and Body. For SOAP clients without that
    /// profile (e.g. the zeep conformance suite).
    Sign {
        #[command(flatten)]
        station: StationSigning,
        /// IdApplicazione.
        #[arg(long, default_value = "urna-wss-sign")]
        application: String,
        /// How the message signature names its key (x509-data: ANPR's examples).
        #[arg(long, value_enum, default_value_t = KeyInfoForm::X509Data)]
        key_info: KeyInfoForm,
    },
    /// Read a request already signed by another WS-Security stack (zeep's
    /// BinarySignature, node-soap's WSSecurityCert, …: Timestamp and Body
    /// signed with the station key) on standard input and print it with
    /// ANPR's signed SAML assertion added to its wsse:Security. The peer's
    /// signature is left as it is (it does not cover wsse:Security).
    AddAssertion {
        #[command(flatten)]
        station: StationSigning,
        /// IdApplicazione.
        #[arg(long, default_value = "urna-wss-add-assertion")]
        application: String,
    },
}

/// The station and operator a `wss` command signs for.
#[derive(clap::Args)]
pub struct StationSigning {
    /// Station certificate (PEM, RSA); its CN is IdPostazione. For
    /// add-assertion, the one the peer signed with.
    #[arg(long)]
    cert: PathBuf,
    /// Its private key (PEM).
    #[arg(long)]
    key: PathBuf,
    /// The operator's codice fiscale (SAML NameID).
    #[arg(long, default_value = "RSSMRA80A01H501U")]
    operator: String,
    /// The assertion's signature, and for sign the message's (rsa-sha1:
    /// ANPR's examples; the digest follows: SHA-1 or SHA-256).
    #[arg(long, value_enum, default_value_t = SignatureAlg::RsaSha1)]
    algorithm: SignatureAlg,
}

/// Reads standard input, signs or completes it, writes the result to
/// standard output.
pub fn run(command: WssCommand) -> anyhow::Result<()> {
    match command {
        WssCommand::Sign {
            station,
            application,
            key_info,
        } => sign(station, application, key_info),
        WssCommand::AddAssertion {
            station,
            application,
        } => add_assertion(station, application),
    }
}

fn sign(station: StationSigning, application: String, key_info: KeyInfoForm) -> anyhow::Result<()> {
    let mut signer = client_signer(station, application)?;
    signer.key_info = key_info;
    let envelope = read_stdin()?;
    let signed = signer.sign(&envelope, time::OffsetDateTime::now_utc())?;
    std::io::stdout().write_all(signed.as_bytes())?;
    Ok(())
}

fn add_assertion(station: StationSigning, application: String) -> anyhow::Result<()> {
    let signer = client_signer(station, application)?;
    let signed = read_stdin()?;
    let assertion = signer.assertion(time::OffsetDateTime::now_utc())?;
    let out = urna_security::wss::sign::add_assertion(&signed, &assertion)?;
    std::io::stdout().write_all(out.as_bytes())?;
    Ok(())
}

/// The ANPR-profile client signer of the station whose certificate and key
/// are given (IdPostazione = the certificate CN).
fn client_signer(station: StationSigning, application: String) -> anyhow::Result<ClientSigner> {
    let StationSigning {
        cert,
        key,
        operator,
        algorithm,
    } = station;
    let cert_pem = std::fs::read(&cert).with_context(|| cert.display().to_string())?;
    let signing = SigningKey::from_pem(
        &cert_pem,
        &std::fs::read(&key).with_context(|| key.display().to_string())?,
    )?;
    let cn = urna_pki::station_cert_pem(&String::from_utf8_lossy(&cert_pem))?
        .station
        .cn();
    let mut signer = ClientSigner::anpr(
        signing,
        &cn,
        Operator {
            codice_fiscale: operator,
            application,
        },
    );
    signer.algorithm = algorithm;
    signer.digest = match algorithm {
        SignatureAlg::RsaSha1 => DigestAlg::Sha1,
        SignatureAlg::RsaSha256 => DigestAlg::Sha256,
    };
    Ok(signer)
}

fn read_stdin() -> anyhow::Result<String> {
    let mut text = String::new();
    std::io::stdin().read_to_string(&mut text)?;
    Ok(text)
}
