//! The closed set of algorithms of the profile (docs/security.md, "The message
//! signature" and "What is accepted"), by their XML-DSig URIs.

use openssl::hash::MessageDigest;

pub const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
pub const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";

/// Digest methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DigestAlg {
    Sha1,
    Sha256,
}

impl DigestAlg {
    pub const ALL: [DigestAlg; 2] = [DigestAlg::Sha1, DigestAlg::Sha256];

    pub fn uri(self) -> &'static str {
        match self {
            DigestAlg::Sha1 => "http://www.w3.org/2000/09/xmldsig#sha1",
            DigestAlg::Sha256 => "http://www.w3.org/2001/04/xmlenc#sha256",
        }
    }

    pub fn from_uri(uri: &str) -> Option<DigestAlg> {
        DigestAlg::ALL.into_iter().find(|a| a.uri() == uri)
    }

    pub fn md(self) -> MessageDigest {
        match self {
            DigestAlg::Sha1 => MessageDigest::sha1(),
            DigestAlg::Sha256 => MessageDigest::sha256(),
        }
    }

    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            DigestAlg::Sha1 => openssl::sha::sha1(data).to_vec(),
            DigestAlg::Sha256 => openssl::sha::sha256(data).to_vec(),
        }
    }
}

/// Signature methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Deserialize, serde::Serialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "kebab-case")]
pub enum SignatureAlg {
    RsaSha1,
    RsaSha256,
}

impl SignatureAlg {
    pub const ALL: [SignatureAlg; 2] = [SignatureAlg::RsaSha1, SignatureAlg::RsaSha256];

    pub fn uri(self) -> &'static str {
        match self {
            SignatureAlg::RsaSha1 => "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
            SignatureAlg::RsaSha256 => "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
        }
    }

    pub fn from_uri(uri: &str) -> Option<SignatureAlg> {
        SignatureAlg::ALL.into_iter().find(|a| a.uri() == uri)
    }

    pub fn md(self) -> MessageDigest {
        match self {
            SignatureAlg::RsaSha1 => MessageDigest::sha1(),
            SignatureAlg::RsaSha256 => MessageDigest::sha256(),
        }
    }

    /// The digest that goes with it in urna's own signatures.
    pub fn digest(self) -> DigestAlg {
        match self {
            SignatureAlg::RsaSha1 => DigestAlg::Sha1,
            SignatureAlg::RsaSha256 => DigestAlg::Sha256,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_round_trip() {
        for d in DigestAlg::ALL {
            assert_eq!(DigestAlg::from_uri(d.uri()), Some(d));
        }
        for s in SignatureAlg::ALL {
            assert_eq!(SignatureAlg::from_uri(s.uri()), Some(s));
        }
        assert_eq!(
            DigestAlg::from_uri("http://www.w3.org/2001/04/xmldsig-more#md5"),
            None
        );
        assert_eq!(
            hex::encode(DigestAlg::Sha1.digest(b"abc")),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
    }
}
