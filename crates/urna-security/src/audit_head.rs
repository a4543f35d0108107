//! Signed heads of the audit chain: one JSON line per export, signed with
//! urna's service key, so a rewrite of the whole audit table (a new chain
//! that is consistent in itself) is still detected by `urna audit verify`.

use openssl::hash::MessageDigest;
use openssl::sign::{Signer, Verifier};
use openssl::x509::X509;

use crate::wss::{b64, unb64, SigningKey};

/// One exported head.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SignedHead {
    pub seq: i64,
    pub hash: String,
    /// When it was signed (RFC 3339).
    pub at: String,
    /// Always `rsa-sha256`.
    pub alg: String,
    /// Base64 RSA-SHA256 over [`SignedHead::message`].
    pub signature: String,
    /// Base64 RFC 3161 TimeStampToken over [`SignedHead::imprint`], from the
    /// configured time-stamping authority (`audit.tsa_url`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tsa_token: Option<String>,
}

impl SignedHead {
    fn message(seq: i64, hash: &str, at: &str) -> String {
        format!("urna-audit-head\n{seq}\n{hash}\n{at}")
    }

    /// Signs the head `(seq, hash)` at `at`.
    pub fn sign(key: &SigningKey, seq: i64, hash: &str, at: &str) -> Result<SignedHead, String> {
        let pkey = key.thread_key().map_err(|e| e.to_string())?;
        let mut s = Signer::new(MessageDigest::sha256(), &pkey).map_err(|e| e.to_string())?;
        s.update(Self::message(seq, hash, at).as_bytes())
            .map_err(|e| e.to_string())?;
        Ok(SignedHead {
            seq,
            hash: hash.to_string(),
            at: at.to_string(),
            alg: "rsa-sha256".into(),
            signature: b64(&s.sign_to_vec().map_err(|e| e.to_string())?),
            tsa_token: None,
        })
    }

    /// What the time-stamping authority stamps: SHA-256 of the signed
    /// message (sequence number, hash and signing time of the head).
    pub fn imprint(&self) -> [u8; 32] {
        openssl::sha::sha256(Self::message(self.seq, &self.hash, &self.at).as_bytes())
    }

    /// Checks the signature with the service certificate.
    pub fn verify(&self, cert: &X509) -> Result<(), String> {
        crate::wss::init_openssl();
        if self.alg != "rsa-sha256" {
            return Err(format!("unknown algorithm {}", self.alg));
        }
        let sig = unb64(&self.signature).ok_or("the signature is not base64")?;
        let key = cert.public_key().map_err(|e| e.to_string())?;
        let mut v = Verifier::new(MessageDigest::sha256(), &key).map_err(|e| e.to_string())?;
        v.update(Self::message(self.seq, &self.hash, &self.at).as_bytes())
            .map_err(|e| e.to_string())?;
        match v.verify(&sig) {
            Ok(true) => Ok(()),
            _ => Err(format!(
                "the signature of head {} does not verify",
                self.seq
            )),
        }
    }
}
