//! A local RFC 3161 time-stamping authority for tests: `openssl ts -reply`
//! behind a minimal HTTP listener on 127.0.0.1, with its own CA and a TSA
//! certificate (extended key usage timeStamping, critical).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

pub struct LocalTsa {
    /// `http://127.0.0.1:<port>/tsa`
    pub url: String,
    /// The TSA's CA certificate (PEM): what verifiers trust.
    pub ca_cert: PathBuf,
    /// Requests answered so far.
    pub answered: Arc<AtomicUsize>,
    _dir: tempfile::TempDir,
}

fn openssl(dir: &Path, args: &[&str]) -> anyhow::Result<()> {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()?;
    anyhow::ensure!(
        out.status.success(),
        "openssl {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(())
}

impl LocalTsa {
    /// Creates the TSA's keys and certificates and starts answering.
    pub fn start(name: &str) -> anyhow::Result<LocalTsa> {
        let dir = tempfile::tempdir()?;
        let d = dir.path();
        openssl(
            d,
            &[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "ca.key",
                "-out",
                "ca.crt",
                "-days",
                "2",
                "-subj",
                &format!("/CN={name} test TSA CA"),
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign,cRLSign",
            ],
        )?;
        openssl(
            d,
            &[
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "tsa.key",
                "-out",
                "tsa.csr",
                "-subj",
                &format!("/CN={name} test TSA"),
            ],
        )?;
        std::fs::write(
            d.join("ext.cnf"),
            "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=critical,timeStamping\n",
        )?;
        openssl(
            d,
            &[
                "x509",
                "-req",
                "-in",
                "tsa.csr",
                "-CA",
                "ca.crt",
                "-CAkey",
                "ca.key",
                "-set_serial",
                "2",
                "-days",
                "2",
                "-out",
                "tsa.crt",
                "-extfile",
                "ext.cnf",
            ],
        )?;
        std::fs::write(d.join("serial"), "01\n")?;
        std::fs::write(
            d.join("tsa.cnf"),
            format!(
                "[tsa]\ndefault_tsa = tsa1\n[tsa1]\ndir = {}\nserial = $dir/serial\n\
                 crypto_device = builtin\nsigner_cert = $dir/tsa.crt\ncerts = $dir/ca.crt\n\
                 signer_key = $dir/tsa.key\nsigner_digest = sha256\ndefault_policy = 1.3.6.1.4.1.99999.1\n\
                 digests = sha256\naccuracy = secs:1\nordering = yes\ntsa_name = yes\n\
                 ess_cert_id_chain = no\ness_cert_id_alg = sha256\n",
                d.display()
            ),
        )?;
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let url = format!("http://127.0.0.1:{}/tsa", listener.local_addr()?.port());
        let answered = Arc::new(AtomicUsize::new(0));
        let (root, count) = (d.to_path_buf(), answered.clone());
        std::thread::Builder::new()
            .name("urna-test-tsa".into())
            .spawn(move || {
                for stream in listener.incoming().flatten() {
                    if answer(stream, &root, &count).is_err() {
                        continue;
                    }
                }
            })?;
        Ok(LocalTsa {
            url,
            ca_cert: d.join("ca.crt"),
            answered,
            _dir: dir,
        })
    }
}

/// One HTTP/1.1 POST of a TimeStampReq, answered with `openssl ts -reply`.
fn answer(stream: TcpStream, root: &Path, count: &AtomicUsize) -> anyhow::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line)?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                length = v.trim().parse()?;
            }
        }
    }
    anyhow::ensure!(length <= 64 * 1024, "request too large");
    let mut query = vec![0u8; length];
    reader.read_exact(&mut query)?;
    let n = count.fetch_add(1, Ordering::SeqCst);
    let (q, r) = (format!("q{n}.tsq"), format!("r{n}.tsr"));
    std::fs::write(root.join(&q), &query)?;
    let reply = openssl(
        root,
        &[
            "ts",
            "-reply",
            "-config",
            "tsa.cnf",
            "-queryfile",
            &q,
            "-out",
            &r,
        ],
    )
    .and_then(|_| Ok(std::fs::read(root.join(&r))?));
    let mut out = stream;
    match reply {
        Ok(body) => {
            write!(
                out,
                "HTTP/1.1 200 OK\r\nContent-Type: application/timestamp-reply\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            )?;
            out.write_all(&body)?;
        }
        Err(e) => {
            let msg = e.to_string();
            write!(
                out,
                "HTTP/1.1 500 Internal Server Error\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{msg}",
                msg.len()
            )?;
        }
    }
    Ok(())
}
