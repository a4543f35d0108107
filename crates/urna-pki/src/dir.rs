//! The on-disk development PKI.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use urna_domain::StationId;

use crate::ca::{parse_serial, serial_hex};
use crate::{station_cert_pem, Ca, Issued, PkiError, DEV_CA_COMMON_NAME};

/// On-disk layout of the development PKI (default [`PkiDir::DEFAULT_ROOT`], `var/pki/`):
///
/// | file | content |
/// |---|---|
/// | `ca.crt`, `ca.key` | the CA ("CA Postazioni Svil") certificate and key |
/// | `server.crt`, `server.key` | the TLS server certificate and key |
/// | `crl.pem` | the CA's CRL (initially revoking nothing) |
/// | `revoked.txt` | revoked serial numbers, one lowercase hex per line |
/// | `stations/<CN>.crt`, `stations/<CN>.key` | station certificates and keys (RSA 2048) |
/// | `service-signing.crt`, `service-signing.key` | the key urna signs its responses with (RSA 2048) |
/// | `seal.crt`, `seal.key` | the electronic seal of the electoral certificates (RSA 2048, [`Ca::issue_seal`]) |
///
/// Keys are PKCS#8 PEM written with mode 0600 on unix; every file is written to a
/// temporary file and renamed into place, so readers never see a partial file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PkiDir {
    /// The directory holding the files.
    pub root: PathBuf,
}

/// What [`PkiDir::init`] created or found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitReport {
    /// Whether a new CA was generated (false: `ca.crt` already existed).
    pub created_ca: bool,
    /// Every requested station, in order: (CN, certificate path, key path), whether
    /// issued now or already present.
    pub stations: Vec<(String, PathBuf, PathBuf)>,
    /// CNs of the stations issued by this call (a subset of `stations`).
    pub issued_stations: Vec<String>,
}

impl Default for PkiDir {
    fn default() -> Self {
        PkiDir::new(Self::DEFAULT_ROOT)
    }
}

impl PkiDir {
    /// The default location, relative to the working directory.
    pub const DEFAULT_ROOT: &'static str = "var/pki";

    /// A PKI directory rooted at `root` (nothing is read or written).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        PkiDir { root: root.into() }
    }

    /// `ca.crt`.
    pub fn ca_cert(&self) -> PathBuf {
        self.root.join("ca.crt")
    }

    /// `ca.key`.
    pub fn ca_key(&self) -> PathBuf {
        self.root.join("ca.key")
    }

    /// `server.crt`.
    pub fn server_cert(&self) -> PathBuf {
        self.root.join("server.crt")
    }

    /// `server.key`.
    pub fn server_key(&self) -> PathBuf {
        self.root.join("server.key")
    }

    /// `crl.pem`.
    pub fn crl(&self) -> PathBuf {
        self.root.join("crl.pem")
    }

    /// `revoked.txt`.
    pub fn revoked(&self) -> PathBuf {
        self.root.join("revoked.txt")
    }

    /// `stations/`.
    pub fn stations_dir(&self) -> PathBuf {
        self.root.join("stations")
    }

    /// `stations/<cn>.crt`.
    pub fn station_cert(&self, cn: &str) -> PathBuf {
        self.stations_dir().join(format!("{cn}.crt"))
    }

    /// `stations/<cn>.key`.
    pub fn station_key(&self, cn: &str) -> PathBuf {
        self.stations_dir().join(format!("{cn}.key"))
    }

    /// `service-signing.crt`: the certificate of the key urna signs responses with.
    pub fn service_signer_cert(&self) -> PathBuf {
        self.root.join("service-signing.crt")
    }

    /// `service-signing.key`.
    pub fn service_signer_key(&self) -> PathBuf {
        self.root.join("service-signing.key")
    }

    /// `seal.crt`: the electronic seal certificate ("sigillo elettronico").
    pub fn seal_cert(&self) -> PathBuf {
        self.root.join("seal.crt")
    }

    /// `seal.key`.
    pub fn seal_key(&self) -> PathBuf {
        self.root.join("seal.key")
    }

    /// The electronic seal certificate and key (`seal.crt`, `seal.key`), as
    /// [`Issued`] (PEM strings and the serial number), e.g. for
    /// `urna_cert::Sealer::from_pem`.
    pub fn load_seal(&self) -> Result<Issued, PkiError> {
        if !self.exists() {
            return Err(PkiError::NotInitialised(self.root.clone()));
        }
        let cert_pem = read(&self.seal_cert())?;
        let key_pem = read(&self.seal_key())?;
        let der = crate::pem_certs_to_der(&cert_pem)?
            .into_iter()
            .next()
            .ok_or_else(|| {
                PkiError::Pem(format!("no certificate in {}", self.seal_cert().display()))
            })?;
        let (_, x509) = x509_parser::parse_x509_certificate(&der)
            .map_err(|e| PkiError::Parse(e.to_string()))?;
        let serial_hex = serial_hex(x509.raw_serial());
        Ok(Issued {
            cert_pem,
            key_pem,
            serial_hex,
        })
    }

    /// Whether the PKI has been initialised (`ca.crt` present).
    pub fn exists(&self) -> bool {
        self.ca_cert().is_file()
    }

    /// Creates the PKI: the CA ([`DEV_CA_COMMON_NAME`]), a server certificate for
    /// `server_names`, the service signing and electronic seal certificates, an
    /// empty CRL and `revoked.txt`, and one certificate per station.
    ///
    /// If `ca.crt` already exists the CA is kept (and loaded, which checks `ca.key`); then
    /// only what is missing is created: the server, service signing and seal
    /// certificates, the CRL, `revoked.txt`
    /// and the station certificates whose `.crt` or `.key` is absent. Existing station
    /// certificates are never re-issued (use [`PkiDir::issue_station`] for that).
    pub fn init(
        &self,
        server_names: &[&str],
        stations: &[StationId],
    ) -> Result<InitReport, PkiError> {
        create_dir(&self.stations_dir())?;
        let created_ca = !self.exists();
        let ca = if created_ca {
            let ca = Ca::generate(DEV_CA_COMMON_NAME)?;
            write_file(&self.ca_key(), ca.key_pem(), true)?;
            write_file(&self.ca_cert(), ca.cert_pem(), false)?;
            ca
        } else {
            self.load_ca()?
        };
        if created_ca || !self.server_cert().is_file() || !self.server_key().is_file() {
            let server = ca.issue_server(server_names)?;
            write_file(&self.server_key(), &server.key_pem, true)?;
            write_file(&self.server_cert(), &server.cert_pem, false)?;
        }
        if created_ca
            || !self.service_signer_cert().is_file()
            || !self.service_signer_key().is_file()
        {
            let signer = ca.issue_service_signer()?;
            write_file(&self.service_signer_key(), &signer.key_pem, true)?;
            write_file(&self.service_signer_cert(), &signer.cert_pem, false)?;
        }
        if created_ca || !self.seal_cert().is_file() || !self.seal_key().is_file() {
            let seal = ca.issue_seal()?;
            write_file(&self.seal_key(), &seal.key_pem, true)?;
            write_file(&self.seal_cert(), &seal.cert_pem, false)?;
        }
        if created_ca || !self.revoked().is_file() {
            write_file(&self.revoked(), "", false)?;
        }
        if created_ca || !self.crl().is_file() {
            self.write_crl(&ca)?;
        }
        let mut report = InitReport {
            created_ca,
            stations: Vec::with_capacity(stations.len()),
            issued_stations: Vec::new(),
        };
        for station in stations {
            let cn = station.cn();
            let (crt, key) = (self.station_cert(&cn), self.station_key(&cn));
            // Stations of a PKI made before keys were RSA are re-issued: the
            // XML signatures of the security frame need RSA keys.
            if !crt.is_file() || !key.is_file() || !is_rsa(&crt) {
                self.write_station(&ca, station)?;
                report.issued_stations.push(cn.clone());
            }
            report.stations.push((cn, crt, key));
        }
        Ok(report)
    }

    /// Issues (or re-issues, overwriting) the certificate and key of `station` with the
    /// CA on disk, with the default validity ([`Ca::issue_station_default`]). Returns the
    /// certificate path. A previous certificate of the station is not revoked.
    pub fn issue_station(&self, station: &StationId) -> Result<PathBuf, PkiError> {
        let ca = self.load_ca()?;
        create_dir(&self.stations_dir())?;
        self.write_station(&ca, station)
    }

    /// Revokes the current certificate of station `cn`: adds its serial number to
    /// `revoked.txt` (once) and rewrites `crl.pem`.
    pub fn revoke_station(&self, cn: &str) -> Result<(), PkiError> {
        let station: StationId = cn
            .parse()
            .map_err(|_| PkiError::InvalidStation(cn.to_string()))?;
        let ca = self.load_ca()?;
        let path = self.station_cert(&station.cn());
        if !path.is_file() {
            return Err(PkiError::UnknownStation {
                cn: cn.to_string(),
                path,
            });
        }
        let serial = station_cert_pem(&read(&path)?)?.serial_hex;
        let mut revoked = self.revoked_serials()?;
        if !revoked.contains(&serial) {
            revoked.push(serial);
            write_file(&self.revoked(), &format_revoked(&revoked), false)?;
        }
        self.write_crl(&ca)
    }

    /// The serial numbers in `revoked.txt` (normalised lowercase hex; blank lines and
    /// `#` comments ignored; an absent file is an empty list).
    pub fn revoked_serials(&self) -> Result<Vec<String>, PkiError> {
        let path = self.revoked();
        if !path.exists() {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        for line in read(&path)?.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let serial = serial_hex(&parse_serial(line)?);
            if !out.contains(&serial) {
                out.push(serial);
            }
        }
        Ok(out)
    }

    /// Rewrites `crl.pem` from `revoked.txt` (e.g. to renew its 30-day nextUpdate).
    pub fn refresh_crl(&self) -> Result<(), PkiError> {
        let ca = self.load_ca()?;
        self.write_crl(&ca)
    }

    /// Loads the CA from `ca.crt` and `ca.key`.
    pub fn load_ca(&self) -> Result<Ca, PkiError> {
        if !self.exists() {
            return Err(PkiError::NotInitialised(self.root.clone()));
        }
        Ca::from_pem(&read(&self.ca_cert())?, &read(&self.ca_key())?)
    }

    fn write_station(&self, ca: &Ca, station: &StationId) -> Result<PathBuf, PkiError> {
        let cn = station.cn();
        let issued = ca.issue_station_default(station)?;
        let crt = self.station_cert(&cn);
        write_file(&self.station_key(&cn), &issued.key_pem, true)?;
        write_file(&crt, &issued.cert_pem, false)?;
        Ok(crt)
    }

    fn write_crl(&self, ca: &Ca) -> Result<(), PkiError> {
        let pem = ca.crl_pem(&self.revoked_serials()?)?;
        write_file(&self.crl(), &pem, false)
    }
}

/// Whether the certificate at `path` has an RSA public key.
fn is_rsa(path: &Path) -> bool {
    let Ok(pem) = fs::read_to_string(path) else {
        return false;
    };
    crate::pem_certs_to_der(&pem)
        .ok()
        .and_then(|ders| ders.into_iter().next())
        .is_some_and(|der| {
            x509_parser::parse_x509_certificate(&der).is_ok_and(|(_, c)| {
                c.public_key().algorithm.algorithm
                    == x509_parser::oid_registry::OID_PKCS1_RSAENCRYPTION
            })
        })
}

fn format_revoked(serials: &[String]) -> String {
    serials.iter().map(|s| format!("{s}\n")).collect()
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> PkiError + '_ {
    move |source| PkiError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn read(path: &Path) -> Result<String, PkiError> {
    fs::read_to_string(path).map_err(io_err(path))
}

fn create_dir(path: &Path) -> Result<(), PkiError> {
    fs::create_dir_all(path).map_err(io_err(path))
}

/// Writes `contents` to a temporary file beside `path` (mode 0600 if `secret`, on unix)
/// and renames it over `path`.
fn write_file(path: &Path, contents: &str, secret: bool) -> Result<(), PkiError> {
    let mut tmp_name = path.file_name().unwrap_or_default().to_os_string();
    tmp_name.push(".tmp");
    let tmp = path.with_file_name(tmp_name);
    // A stale temporary file would keep its old permissions: start afresh.
    match fs::remove_file(&tmp) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io_err(&tmp)(e)),
    }
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(if secret { 0o600 } else { 0o644 });
    }
    #[cfg(not(unix))]
    let _ = secret;
    let mut file = options.open(&tmp).map_err(io_err(&tmp))?;
    file.write_all(contents.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(io_err(&tmp))?;
    drop(file);
    fs::rename(&tmp, path).map_err(io_err(path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use x509_parser::prelude::parse_x509_crl;

    fn station(cn: &str) -> StationId {
        cn.parse().unwrap()
    }

    fn stations() -> Vec<StationId> {
        vec![station("058091-PC-0001"), station("058091-CO-9999")]
    }

    fn crl_serials(dir: &PkiDir) -> Vec<String> {
        let pem = fs::read_to_string(dir.crl()).unwrap();
        let der = crate::pem_crls_to_der(&pem).unwrap().remove(0);
        let (rest, crl) = parse_x509_crl(&der).unwrap();
        assert!(rest.is_empty());
        assert_eq!(
            crl.issuer().to_string(),
            "C=IT, O=Ministero dell'Interno, OU=ANPR, CN=CA Postazioni Svil"
        );
        crl.iter_revoked_certificates()
            .map(|r| serial_hex(r.raw_serial()))
            .collect()
    }

    #[test]
    fn init_creates_everything() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = PkiDir::new(tmp.path().join("pki"));
        assert!(!dir.exists());
        assert!(matches!(dir.load_ca(), Err(PkiError::NotInitialised(_))));
        let report = dir.init(&["localhost", "127.0.0.1"], &stations()).unwrap();
        assert!(dir.exists());
        assert!(report.created_ca);
        assert_eq!(report.issued_stations, ["058091-PC-0001", "058091-CO-9999"]);
        assert_eq!(report.stations.len(), 2);
        for p in [
            dir.ca_cert(),
            dir.ca_key(),
            dir.server_cert(),
            dir.server_key(),
            dir.crl(),
            dir.revoked(),
            dir.seal_cert(),
            dir.seal_key(),
        ] {
            assert!(p.is_file(), "{}", p.display());
        }
        for (cn, crt, key) in &report.stations {
            assert_eq!(crt, &dir.station_cert(cn));
            assert_eq!(key, &dir.station_key(cn));
            let sc = station_cert_pem(&fs::read_to_string(crt).unwrap()).unwrap();
            assert_eq!(&sc.station.cn(), cn);
            assert!(fs::read_to_string(key)
                .unwrap()
                .starts_with("-----BEGIN PRIVATE KEY-----"));
        }
        assert_eq!(
            dir.station_cert("058091-PC-0001"),
            tmp.path().join("pki/stations/058091-PC-0001.crt")
        );
        assert!(crl_serials(&dir).is_empty());
        assert!(dir.revoked_serials().unwrap().is_empty());
        // No temporary files left behind.
        for entry in fs::read_dir(&dir.root).unwrap() {
            let name = entry.unwrap().file_name();
            assert!(!name.to_string_lossy().ends_with(".tmp"), "{name:?}");
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: PathBuf| fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(dir.ca_key()), 0o600);
            assert_eq!(mode(dir.server_key()), 0o600);
            assert_eq!(mode(dir.station_key("058091-PC-0001")), 0o600);
            assert_eq!(mode(dir.seal_key()), 0o600);
        }
    }

    #[test]
    fn seal_is_created_loaded_and_kept() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = PkiDir::new(tmp.path());
        assert!(matches!(dir.load_seal(), Err(PkiError::NotInitialised(_))));
        dir.init(&["localhost"], &[]).unwrap();
        let seal = dir.load_seal().unwrap();
        assert!(seal.key_pem.starts_with("-----BEGIN PRIVATE KEY-----"));
        let der = crate::pem_certs_to_der(&seal.cert_pem).unwrap().remove(0);
        let (_, x) = x509_parser::parse_x509_certificate(&der).unwrap();
        assert_eq!(
            x.subject().to_string(),
            format!(
                "C=IT, O=Ministero dell'Interno, OU=ANPR, CN={}",
                crate::SEAL_CN
            )
        );
        assert_eq!(serial_hex(x.raw_serial()), seal.serial_hex);
        // init keeps it; a PKI made before the seal existed gets one.
        dir.init(&["localhost"], &[]).unwrap();
        assert_eq!(dir.load_seal().unwrap(), seal);
        fs::remove_file(dir.seal_cert()).unwrap();
        let report = dir.init(&["localhost"], &[]).unwrap();
        assert!(!report.created_ca);
        assert_ne!(dir.load_seal().unwrap().serial_hex, seal.serial_hex);
    }

    #[test]
    fn init_is_idempotent() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = PkiDir::new(tmp.path());
        dir.init(&["localhost"], &stations()).unwrap();
        let ca = fs::read_to_string(dir.ca_cert()).unwrap();
        let server = fs::read_to_string(dir.server_cert()).unwrap();
        let pc = fs::read_to_string(dir.station_cert("058091-PC-0001")).unwrap();

        let mut more = stations();
        more.push(station("001272-PC-0002"));
        let report = dir.init(&["localhost"], &more).unwrap();
        assert!(!report.created_ca);
        assert_eq!(report.issued_stations, ["001272-PC-0002"]);
        assert_eq!(report.stations.len(), 3);
        assert_eq!(fs::read_to_string(dir.ca_cert()).unwrap(), ca);
        assert_eq!(fs::read_to_string(dir.server_cert()).unwrap(), server);
        assert_eq!(
            fs::read_to_string(dir.station_cert("058091-PC-0001")).unwrap(),
            pc
        );

        // A missing station key makes init re-issue that station only.
        fs::remove_file(dir.station_key("058091-CO-9999")).unwrap();
        let report = dir.init(&["localhost"], &more).unwrap();
        assert_eq!(report.issued_stations, ["058091-CO-9999"]);
        assert_eq!(fs::read_to_string(dir.ca_cert()).unwrap(), ca);
    }

    #[test]
    fn issue_station_adds_and_overwrites() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = PkiDir::new(tmp.path());
        assert!(matches!(
            dir.issue_station(&station("058091-PC-0003")),
            Err(PkiError::NotInitialised(_))
        ));
        dir.init(&["localhost"], &[]).unwrap();
        let path = dir.issue_station(&station("058091-PC-0003")).unwrap();
        assert_eq!(path, dir.station_cert("058091-PC-0003"));
        assert!(dir.station_key("058091-PC-0003").is_file());
        let first = station_cert_pem(&fs::read_to_string(&path).unwrap()).unwrap();
        dir.issue_station(&station("058091-PC-0003")).unwrap();
        let second = station_cert_pem(&fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(first.station, second.station);
        assert_ne!(first.serial_hex, second.serial_hex);
    }

    #[test]
    fn revoke_station_writes_crl() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = PkiDir::new(tmp.path());
        dir.init(&["localhost"], &stations()).unwrap();
        let serial = |cn: &str| {
            station_cert_pem(&fs::read_to_string(dir.station_cert(cn)).unwrap())
                .unwrap()
                .serial_hex
        };
        let pc = serial("058091-PC-0001");
        dir.revoke_station("058091-PC-0001").unwrap();
        assert_eq!(crl_serials(&dir), vec![pc.clone()]);
        assert_eq!(
            fs::read_to_string(dir.revoked()).unwrap(),
            format!("{pc}\n")
        );
        // Revoking twice does not duplicate.
        dir.revoke_station("058091-PC-0001").unwrap();
        assert_eq!(dir.revoked_serials().unwrap(), vec![pc.clone()]);
        let co = serial("058091-CO-9999");
        dir.revoke_station("058091-CO-9999").unwrap();
        assert_eq!(crl_serials(&dir), [pc.clone(), co.clone()]);
        // init keeps the CRL and the revoked list.
        dir.init(&["localhost"], &stations()).unwrap();
        assert_eq!(crl_serials(&dir), [pc, co]);

        assert!(matches!(
            dir.revoke_station("058091-PC-0042"),
            Err(PkiError::UnknownStation { .. })
        ));
        assert!(matches!(
            dir.revoke_station("../ca"),
            Err(PkiError::InvalidStation(_))
        ));
    }

    /// The files work with rustls: the server certificate is accepted for localhost, the
    /// station certificates as client certificates, and the CRL is honoured.
    #[test]
    fn rustls_accepts_certificates_and_crl() {
        use rustls::client::danger::ServerCertVerifier;
        use rustls::server::WebPkiClientVerifier;
        use rustls::{CertificateError, RootCertStore};
        use rustls_pki_types::{
            CertificateDer, CertificateRevocationListDer, ServerName, UnixTime,
        };
        use std::sync::Arc;

        let tmp = tempfile::tempdir().unwrap();
        let dir = PkiDir::new(tmp.path());
        dir.init(&["localhost", "127.0.0.1"], &stations()).unwrap();
        dir.revoke_station("058091-CO-9999").unwrap();
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let ders = |p: PathBuf| crate::pem_certs_to_der(&fs::read_to_string(p).unwrap()).unwrap();
        let mut roots = RootCertStore::empty();
        roots
            .add(CertificateDer::from(ders(dir.ca_cert()).remove(0)))
            .unwrap();
        let roots = Arc::new(roots);
        let crl = crate::pem_crls_to_der(&fs::read_to_string(dir.crl()).unwrap()).unwrap();
        let verifier = WebPkiClientVerifier::builder_with_provider(roots.clone(), provider.clone())
            .with_crls(crl.into_iter().map(CertificateRevocationListDer::from))
            .build()
            .unwrap();
        let now = UnixTime::now();
        let pc = CertificateDer::from(ders(dir.station_cert("058091-PC-0001")).remove(0));
        verifier.verify_client_cert(&pc, &[], now).unwrap();
        let co = CertificateDer::from(ders(dir.station_cert("058091-CO-9999")).remove(0));
        assert_eq!(
            verifier.verify_client_cert(&co, &[], now).unwrap_err(),
            rustls::Error::InvalidCertificate(CertificateError::Revoked)
        );
        // The server certificate is not a client certificate.
        let server = CertificateDer::from(ders(dir.server_cert()).remove(0));
        assert!(verifier.verify_client_cert(&server, &[], now).is_err());

        let server_verifier =
            rustls::client::WebPkiServerVerifier::builder_with_provider(roots, provider)
                .build()
                .unwrap();
        for name in ["localhost", "127.0.0.1"] {
            server_verifier
                .verify_server_cert(&server, &[], &ServerName::try_from(name).unwrap(), &[], now)
                .unwrap();
        }
        assert!(server_verifier
            .verify_server_cert(
                &pc,
                &[],
                &ServerName::try_from("localhost").unwrap(),
                &[],
                now
            )
            .is_err());
    }
}
