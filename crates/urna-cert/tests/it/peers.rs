//! The sealed certificate checked by tools urna did not write: qpdf
//! (structure), pdfsig (poppler: signature and coverage), pdftoppm + zbarimg
//! (the QR code as a phone would read a print) and pyHanko (PAdES
//! validation against the development CA).
//!
//! A missing tool skips its test with a note, and fails it when
//! `URNA_REQUIRE_PEERS=1` (CI), as in urna-server's peer tests.
//! `scripts/setup.sh test` installs the Debian tools; pyHanko comes from
//! PyPI into `conformance-tests/.venv` (`conformance-tests/venv.sh`, which
//! installs only when requirements.txt changed).

use std::path::{Path, PathBuf};
use std::process::Command;

use urna_cert::{render, CertificateDoc, CertificateType, Languages};

use crate::timestamp::{stamped, tsa};
use crate::{doc, pki, sealed, tampered};

/// A peer program on PATH; CI (URNA_REQUIRE_PEERS=1) requires it.
fn peer(name: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        missing(name);
    }
    found
}

fn missing(what: &str) {
    assert!(
        std::env::var("URNA_REQUIRE_PEERS").as_deref() != Ok("1"),
        "{what} is required (URNA_REQUIRE_PEERS=1) but not available"
    );
    eprintln!("note: {what} not available; interoperability check skipped");
}

/// Runs `program args…`, returning (exit success, stdout + stderr).
fn run(program: &Path, args: &[&std::ffi::OsStr]) -> (bool, String) {
    let (ok, stdout, stderr) = run_split(program, args);
    (ok, stdout + &stderr)
}

/// Runs `program args…`, returning (exit success, stdout, stderr).
fn run_split(program: &Path, args: &[&std::ffi::OsStr]) -> (bool, String, String) {
    let out = Command::new(program).args(args).output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A temporary directory with `name` holding `bytes`.
fn file(name: &str, bytes: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    (dir, path)
}

#[test]
fn qpdf_finds_no_error_in_the_sealed_file() {
    let Some(qpdf) = peer("qpdf") else { return };
    for languages in Languages::ALL {
        let (_dir, path) = file(
            "c.pdf",
            &sealed(&doc(CertificateType::Iscrizione, languages)),
        );
        let (ok, out) = run(&qpdf, &["--check".as_ref(), path.as_os_str()]);
        assert!(ok, "{languages:?}: {out}");
        assert!(
            out.contains("No syntax or stream encoding errors found"),
            "{out}"
        );
        assert!(!out.contains("WARNING"), "{out}");
    }
}

#[test]
fn pdfsig_reports_a_valid_seal_over_the_whole_document_and_a_mismatch_after_one_byte() {
    let Some(pdfsig) = peer("pdfsig") else { return };
    let pdf = sealed(&CertificateDoc::example());
    let (_dir, path) = file("c.pdf", &pdf);
    let (_, out) = run(&pdfsig, &[path.as_os_str()]);
    eprintln!("{out}");
    assert!(out.contains("Signature Type: ETSI.CAdES.detached"), "{out}");
    assert!(out.contains("Total document signed"), "{out}");
    assert!(
        out.contains("Signature Validation: Signature is Valid."),
        "{out}"
    );
    assert!(out.contains("Signing Time: Dec 05 2026"), "{out}");
    assert!(out.contains("urna sigillo elettronico (sviluppo)"), "{out}");

    let (_dir2, bad) = file("t.pdf", &tampered(&pdf));
    let (_, out) = run(&pdfsig, &[bad.as_os_str()]);
    assert!(out.contains("Digest Mismatch"), "{out}");
    assert!(!out.contains("Signature is Valid"), "{out}");
}

/// pyHanko's interpreter in the peers' venv, made or refreshed first; `None`
/// (skip, or fail in CI) when that is not possible here.
fn pyhanko() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let script = root.join("conformance-tests/venv.sh");
    let python = root.join("conformance-tests/.venv/bin/python");
    let made = Command::new("bash")
        .arg(&script)
        .output()
        .map(|o| {
            if !o.status.success() {
                eprintln!("venv.sh: {}", String::from_utf8_lossy(&o.stderr));
            }
            o.status.success()
        })
        .unwrap_or(false);
    let importable = made
        && Command::new(&python)
            .args(["-c", "import pyhanko"])
            .status()
            .is_ok_and(|s| s.success());
    if !importable {
        missing("pyHanko (conformance-tests/.venv, from requirements.txt)");
        return None;
    }
    Some(python)
}

/// pyHanko's verdict on `pdf` against `ca_pem`, as JSON text.
fn pyhanko_validate(python: &Path, pdf: &[u8], ca_pem: &str) -> String {
    pyhanko_validate_with(python, pdf, ca_pem, None)
}

/// pyHanko's verdict on `pdf` against `ca_pem`, the signature time-stamp's
/// chain checked against `tsa_ca` when given, as JSON text.
fn pyhanko_validate_with(python: &Path, pdf: &[u8], ca_pem: &str, tsa_ca: Option<&Path>) -> String {
    let dir = tempfile::tempdir().unwrap();
    let (path, ca) = (dir.path().join("c.pdf"), dir.path().join("ca.pem"));
    std::fs::write(&path, pdf).unwrap();
    std::fs::write(&ca, ca_pem).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/pyhanko_validate.py");
    let mut args = vec![script.as_os_str(), path.as_os_str(), ca.as_os_str()];
    if let Some(tsa_ca) = tsa_ca {
        args.push(tsa_ca.as_os_str());
    }
    let (ok, out) = run(python, &args);
    assert!(ok, "pyhanko_validate.py: {out}");
    out
}

#[test]
fn pyhanko_finds_the_seal_intact_valid_trusted_and_covering_the_whole_file() {
    let Some(python) = pyhanko() else { return };
    for languages in Languages::ALL {
        let pdf = sealed(&doc(CertificateType::GodimentoDirittiPolitici, languages));
        let out = pyhanko_validate(&python, &pdf, &pki().ca_pem);
        eprintln!("{languages:?}: {out}");
        for expected in [
            r#""intact": true"#,
            r#""valid": true"#,
            r#""trusted": true"#,
            r#""coverage": "ENTIRE_FILE""#,
            r#""modification_level": "NONE""#,
            r#""signing_time": "2026-12-05T10:30:00+01:00""#,
            "urna sigillo elettronico (sviluppo)",
        ] {
            assert!(
                out.contains(expected),
                "{languages:?}: {expected} not in {out}"
            );
        }
        // No signingTime attribute (1.2.840.113549.1.9.5).
        assert!(!out.contains("1.2.840.113549.1.9.5\""), "{out}");
    }
}

#[test]
fn pyhanko_finds_one_changed_byte_and_distrusts_a_foreign_ca() {
    let Some(python) = pyhanko() else { return };
    let pdf = sealed(&CertificateDoc::example());
    let out = pyhanko_validate(&python, &tampered(&pdf), &pki().ca_pem);
    assert!(out.contains(r#""intact": false"#), "{out}");
    let other = urna_pki::Ca::generate("CA estranea").unwrap();
    let out = pyhanko_validate(&python, &pdf, other.cert_pem());
    assert!(
        out.contains(r#""intact": true"#) && out.contains(r#""trusted": false"#),
        "{out}"
    );
}

/// PAdES B-T: pyHanko finds the signature time-stamp intact, valid and
/// trusted (its chain checked against the test authority's CA), over this
/// signature, and the seal as valid as a B-B one; pdfsig still finds the
/// signature valid over the whole file.
#[test]
fn pyhanko_and_pdfsig_accept_a_time_stamped_seal() {
    let pdf = stamped(&CertificateDoc::example());
    if let Some(pdfsig) = peer("pdfsig") {
        let (_dir, path) = file("c.pdf", &pdf);
        let (_, out) = run(&pdfsig, &[path.as_os_str()]);
        eprintln!("{out}");
        assert!(out.contains("Total document signed"), "{out}");
        assert!(
            out.contains("Signature Validation: Signature is Valid."),
            "{out}"
        );
    }
    let Some(python) = pyhanko() else { return };
    let tsa_ca = tsa().ca_cert();
    let out = pyhanko_validate_with(&python, &pdf, &pki().ca_pem, Some(&tsa_ca));
    eprintln!("{out}");
    for expected in [
        r#""intact": true"#,
        r#""valid": true"#,
        r#""trusted": true"#,
        r#""coverage": "ENTIRE_FILE""#,
        r#""modification_level": "NONE""#,
        r#""signing_time": "2026-12-05T10:30:00+01:00""#,
        r#""timestamp": {"intact": true, "valid": true, "trusted": true"#,
    ] {
        assert!(out.contains(expected), "{expected} not in {out}");
    }
    // The same time as verify_seal reads from the token.
    let ts = urna_cert::verify_seal(&pdf, pki().ca_pem.as_bytes())
        .unwrap()
        .timestamp
        .unwrap();
    let time = ts
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap()
        .replace('Z', "+00:00");
    assert!(
        out.contains(&format!(r#""time": "{time}""#)),
        "{time} in {out}"
    );
    // Against another anchor the time-stamp is intact but not trusted.
    let other = urna_pki::Ca::generate("CA estranea").unwrap();
    let (_dir, other_ca) = file("other.pem", other.cert_pem().as_bytes());
    let out = pyhanko_validate_with(&python, &pdf, &pki().ca_pem, Some(&other_ca));
    assert!(
        out.contains(r#""timestamp": {"intact": true, "valid": true, "trusted": false"#),
        "{out}"
    );
}

#[test]
fn zbarimg_reads_the_contrassegno_url_from_a_150_dpi_render() {
    let (Some(pdftoppm), Some(zbarimg)) = (peer("pdftoppm"), peer("zbarimg")) else {
        return;
    };
    for languages in Languages::ALL {
        let mut d = doc(CertificateType::Iscrizione, languages);
        let contrassegno = d.contrassegno.as_mut().unwrap();
        contrassegno.url = format!("https://anpr.example/verifica/{languages:?}/7K3Q-9F2M-X4TB");
        let url = contrassegno.url.clone();
        let (dir, path) = file("c.pdf", &sealed(&d));
        let prefix = dir.path().join("page");
        let (ok, out) = run(
            &pdftoppm,
            &[
                "-r".as_ref(),
                "150".as_ref(),
                "-png".as_ref(),
                "-singlefile".as_ref(),
                path.as_os_str(),
                prefix.as_os_str(),
            ],
        );
        assert!(ok, "{out}");
        let png = dir.path().join("page.png");
        // stdout only: zbarimg may complain on stderr about D-Bus.
        let (ok, out, err) = run_split(
            &zbarimg,
            &["-q".as_ref(), "--raw".as_ref(), png.as_os_str()],
        );
        assert!(ok, "zbarimg found no code: {out}{err}");
        assert_eq!(out.trim(), url, "{languages:?}");
    }
}

#[test]
fn a_preview_has_no_qr_code() {
    let (Some(pdftoppm), Some(zbarimg)) = (peer("pdftoppm"), peer("zbarimg")) else {
        return;
    };
    let mut d = CertificateDoc::example();
    d.preview = true;
    d.protocol = None;
    d.contrassegno = None;
    let (dir, path) = file("p.pdf", &render(&d).unwrap());
    let prefix = dir.path().join("page");
    let args: [&std::ffi::OsStr; 6] = [
        "-r".as_ref(),
        "150".as_ref(),
        "-png".as_ref(),
        "-singlefile".as_ref(),
        path.as_os_str(),
        prefix.as_os_str(),
    ];
    assert!(run(&pdftoppm, &args).0);
    let png = dir.path().join("page.png");
    // zbarimg exits 4 when it finds no symbol.
    let (ok, out, _) = run_split(
        &zbarimg,
        &["-q".as_ref(), "--raw".as_ref(), png.as_os_str()],
    );
    assert!(!ok && out.trim().is_empty(), "{out}");
}

/// The text as a reader extracts it (pdftotext: the embedded subsets map
/// back to Unicode): both languages, the signatory, the preview's marks.
#[test]
fn pdftotext_reads_both_languages_and_the_preview_marks() {
    let Some(pdftotext) = peer("pdftotext") else {
        return;
    };
    // -raw: in content-stream order, so the diagonal word is not mixed
    // into the lines it crosses.
    let text_of = |pdf: &[u8]| {
        let (_dir, path) = file("c.pdf", pdf);
        let (ok, out, err) = run_split(
            &pdftotext,
            &["-raw".as_ref(), path.as_os_str(), "-".as_ref()],
        );
        assert!(ok, "{err}");
        out
    };
    let expected: [(Languages, &[&str]); 4] = [
        (
            Languages::It,
            &[
                "CERTIFICATO DI ISCRIZIONE NELLE LISTE ELETTORALI",
                "risulta iscritta",
                "Il Sindaco",
            ],
        ),
        (
            Languages::ItDe,
            &[
                "Cognome / Nachname",
                "BESCHEINIGUNG ÜBER DIE EINTRAGUNG IN DIE WÄHLERLISTEN",
                "Der Bürgermeister",
            ],
        ),
        (
            Languages::ItFr,
            &[
                "Nome / Prénom",
                "est inscrite sur les listes électorales",
                "Le syndic",
            ],
        ),
        (
            Languages::ItSl,
            &[
                "Codice fiscale / Davčna številka",
                "je vpisana v volilne imenike",
                "Župan",
            ],
        ),
    ];
    for (languages, phrases) in expected {
        let d = doc(CertificateType::Iscrizione, languages);
        let text = text_of(&sealed(&d));
        for phrase in phrases.iter().chain(&[
            "Ministero dell'Interno",
            "ROSSI",
            "RSSMRA80A41H501Y",
            "954",
            "2026000012345678",
            "05/12/2026",
        ]) {
            assert!(
                text.contains(phrase),
                "{languages:?}: {phrase:?} not in\n{text}"
            );
        }
        assert!(!text.contains("ANTEPRIMA"), "{text}");
    }
    let mut d = doc(CertificateType::GodimentoDirittiPolitici, Languages::It);
    d.preview = true;
    d.protocol = None;
    d.contrassegno = None;
    d.issuer.signatory = urna_cert::Signatory::Delegate;
    let text = text_of(&render(&d).unwrap());
    // The diagonal word comes out one letter per line.
    let joined: String = text.split_whitespace().collect();
    assert!(joined.contains("ANTEPRIMA"), "{text}");
    for phrase in [
        "CERTIFICATO DI GODIMENTO DEI DIRITTI POLITICI",
        "gode dei diritti politici",
        "Il delegato del Sindaco",
    ] {
        assert!(text.contains(phrase), "{phrase:?} not in\n{text}");
    }
    for absent in ["Protocollo", "Contrassegno", "sigillato"] {
        assert!(!text.contains(absent), "{absent:?} in a preview:\n{text}");
    }
}

/// A name with letters outside the prepared subsets (Latin Extended-A and
/// -B, which ANPR's names admit) is printed from an extra subset made for
/// that certificate: pdffonts sees every font embedded as a subset with a
/// ToUnicode map, and pdftotext reads the name back.
#[test]
fn letters_outside_the_prepared_subsets_are_embedded_and_extract() {
    let (Some(pdffonts), Some(pdftotext)) = (peer("pdffonts"), peer("pdftotext")) else {
        return;
    };
    let mut d = doc(CertificateType::Iscrizione, Languages::It);
    d.holder.surname = "ŁUKASIEWICZ ĐURIĆ Ɖ".into();
    d.holder.name = "ŒDIPE".into();
    let pdf = sealed(&d);
    let (_dir, path) = file("x.pdf", &pdf);
    let (ok, fonts) = run(&pdffonts, &[path.as_os_str()]);
    assert!(ok, "{fonts}");
    // name, type, encoding, emb, sub, uni, object, id
    let rows: Vec<Vec<&str>> = fonts
        .lines()
        .skip(2)
        .map(|l| l.split_whitespace().collect())
        .collect();
    // The two prepared subsets, and the extra regular subset for the name
    // (the bold face prints the surname too).
    assert!(rows.len() >= 3, "{fonts}");
    for row in &rows {
        let n = row.len();
        assert_eq!(&row[n - 5..n - 2], &["yes", "yes", "yes"], "{fonts}");
        assert!(row[0].contains("+DejaVuSans"), "{fonts}");
    }
    let (ok, text, err) = run_split(
        &pdftotext,
        &["-raw".as_ref(), path.as_os_str(), "-".as_ref()],
    );
    assert!(ok, "{err}");
    for phrase in ["ŁUKASIEWICZ ĐURIĆ Ɖ", "ŒDIPE", "RSSMRA80A41H501Y"] {
        assert!(text.contains(phrase), "{phrase:?} not in\n{text}");
    }
}
