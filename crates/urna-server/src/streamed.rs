//! Replies that carry a file too large to hold in memory (7002's extraction
//! files): the reply names the file ([`StreamedFile`]) and its content is
//! read from disk twice, in pieces, never whole. Once on a gate thread,
//! into the digest of the signed Body ([`sign`]); once more as the HTTP
//! body goes out ([`response`]), as base64 inside the envelope or, with
//! MTOM, as the bytes of a binary part. Both reads check the file against
//! the size and SHA-256 recorded when it was written, so what was signed,
//! what is sent and what the audit entry names are the same bytes; a file
//! changed in between cuts the reply short, which the client sees as a
//! broken transfer rather than as a wrong file (docs/security.md,
//! "Streamed replies").

use std::io::Read;

use actix_web::body::SizedStream;
use actix_web::web::Bytes;
use actix_web::HttpResponse;
use sha2::Digest;
use urna_wire::envelope::envelope;
use urna_wire::tables::StreamedFile;

use crate::security::SecurityRuntime;

/// A reply streamed around a file's content.
#[derive(Debug)]
pub struct Streamed {
    /// The HTTP Content-Type.
    pub content_type: String,
    /// What goes before the content and after it.
    pub head: Vec<u8>,
    pub tail: Vec<u8>,
    pub file: StreamedFile,
    /// The content as base64 text (inline), or as its bytes (an MTOM part).
    pub base64: bool,
}

impl Streamed {
    /// The length of the whole HTTP body.
    pub fn len(&self) -> u64 {
        let content = if self.base64 {
            self.file.base64_len()
        } else {
            self.file.bytes
        };
        self.head.len() as u64 + content + self.tail.len() as u64
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The file of a reply, read in order, checked at its end against the
/// size and digest recorded for it.
struct Checked {
    file: std::io::BufReader<std::fs::File>,
    expected: StreamedFile,
    read: u64,
    sha256: sha2::Sha256,
}

impl Checked {
    fn open(f: &StreamedFile) -> std::io::Result<Checked> {
        Ok(Checked {
            file: std::io::BufReader::with_capacity(1 << 16, std::fs::File::open(&f.path)?),
            expected: f.clone(),
            read: 0,
            sha256: sha2::Sha256::new(),
        })
    }

    /// Whether what was read is the file recorded.
    fn verify(self) -> std::io::Result<()> {
        let sha256 = hex::encode(self.sha256.finalize());
        if self.read == self.expected.bytes && sha256 == self.expected.sha256 {
            Ok(())
        } else {
            Err(std::io::Error::other(format!(
                "{} changed since it was written: {} bytes with SHA-256 {sha256}, recorded {} bytes with SHA-256 {}",
                self.expected.path.display(),
                self.read,
                self.expected.bytes,
                self.expected.sha256
            )))
        }
    }
}

impl Read for Checked {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.file.read(buf)?;
        self.sha256.update(&buf[..n]);
        self.read += n as u64;
        Ok(n)
    }
}

/// The reply whose Body child `body` names `file`: signed over the whole
/// Body when responses are signed (the file read once for the digest), as
/// MTOM when `mtom` names the part and the client accepts it, else with
/// the base64 inline. An error says why the reply cannot be sent.
pub fn sign(
    security: Option<&SecurityRuntime>,
    body: &str,
    file: &StreamedFile,
    mtom: Option<&urna_wire::mtom::Optimized>,
) -> Result<Streamed, String> {
    let env = envelope(body);
    let (head, tail) = file
        .split(&env)
        .ok_or("the reply has no place for its file")?;
    let (head, tail) = match security.and_then(|s| s.signer.as_ref()) {
        Some(signer) => {
            let mut content = Checked::open(file).map_err(|e| e.to_string())?;
            let signed = signer
                .sign_around(head, &mut content, tail, time::OffsetDateTime::now_utc())
                .map_err(|e| e.to_string())?;
            content.verify().map_err(|e| e.to_string())?;
            signed
        }
        None => (head.to_string(), tail.to_string()),
    };
    if let Some(part) = mtom {
        let element = part.path.last().map_or("part", |(_, n)| *n);
        // The boundary is random and drawn after the file was written, so
        // it occurs in the file by chance only (2^-122 per position).
        let boundary = format!("uuid:{}", uuid::Uuid::new_v4());
        let content_id = format!("{element}-{}@urna", uuid::Uuid::new_v4());
        match urna_wire::mtom::to_mtom_around(&head, &tail, part, &boundary, &content_id) {
            Ok(m) => {
                return Ok(Streamed {
                    content_type: m.content_type,
                    head: m.head,
                    tail: m.tail,
                    file: file.clone(),
                    base64: false,
                })
            }
            Err(e) => {
                tracing::warn!(error = %e, element, "the file goes inline: the reply cannot be written as MTOM")
            }
        }
    }
    Ok(Streamed {
        content_type: crate::soap::XML.to_string(),
        head: head.into_bytes(),
        tail: tail.into_bytes(),
        file: file.clone(),
        base64: true,
    })
}

/// How many pieces wait between the reading thread and the connection.
const QUEUED_PIECES: usize = 4;

/// The HTTP response: its length known up front, the file read on a
/// blocking thread a piece at a time, as fast as the client takes it.
pub fn response(s: Streamed) -> HttpResponse {
    let len = s.len();
    let content_type = s.content_type.clone();
    let (tx, rx) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(QUEUED_PIECES);
    actix_web::rt::task::spawn_blocking(move || {
        let send = |piece: std::io::Result<Bytes>| tx.blocking_send(piece).is_ok();
        if !send(Ok(Bytes::from(s.head))) {
            return;
        }
        match content(&s.file, s.base64, &send) {
            Ok(true) => {
                send(Ok(Bytes::from(s.tail)));
            }
            // The client went away.
            Ok(false) => {}
            Err(e) => {
                tracing::error!(error = %e, "a streamed reply was cut short");
                send(Err(e));
            }
        }
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|piece| (piece, rx))
    });
    HttpResponse::Ok()
        .content_type(content_type)
        .body(SizedStream::new(len, Box::pin(stream)))
}

/// Sends the file's content in pieces (base64 or bytes), then checks it:
/// `Ok(false)` when the client stopped taking it.
fn content(
    file: &StreamedFile,
    base64: bool,
    send: &dyn Fn(std::io::Result<Bytes>) -> bool,
) -> std::io::Result<bool> {
    const PIECE: usize = 64 * 1024;
    let mut reader = Checked::open(file)?;
    let mut open = true;
    if base64 {
        let sent = urna_security::wss::sign::for_each_base64_piece(&mut reader, &mut |piece| {
            open = send(Ok(Bytes::copy_from_slice(piece)));
            if open {
                Ok(())
            } else {
                Err(urna_security::wss::sign::SignError::Message(
                    "client gone".into(),
                ))
            }
        });
        match sent {
            Ok(()) => {}
            Err(_) if !open => return Ok(false),
            Err(urna_security::wss::sign::SignError::Content(e)) => return Err(e),
            Err(e) => return Err(std::io::Error::other(e.to_string())),
        }
    } else {
        loop {
            let mut piece = vec![0u8; PIECE];
            let n = reader.read(&mut piece)?;
            if n == 0 {
                break;
            }
            piece.truncate(n);
            if !send(Ok(Bytes::from(piece))) {
                return Ok(false);
            }
        }
    }
    reader.verify()?;
    Ok(true)
}
