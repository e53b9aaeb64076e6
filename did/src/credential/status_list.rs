//! Bitstring Status List credentials as a verifier reads them, and the public URLs they live at.
//!
//! - [`PublicBaseUrl`]: the node's public base URL (configured by the operator; the library has
//!   no default). Every status list URL Weft writes into a credential is
//!   [`PublicBaseUrl::status_list_url`] = `<base>/status-lists/<list id hex>`. A loopback base is
//!   allowed (for development) but [`PublicBaseUrl::is_loopback`] lets the caller warn, since
//!   outside verifiers cannot fetch from it.
//! - [`verify_status_list_credential`]: checks a `BitstringStatusListCredential`'s proof and
//!   validity period (checks `proof` and `expiration` only: a list has no status, schema or
//!   standing of its own; its authority is that its issuer is the issuer of the credential whose
//!   status it gives), its shape (Bitstring Status List v1.0 §2.2: type, `credentialSubject.type`
//!   `BitstringStatusList`, `statusPurpose`, `encodedList`), and decodes the list (GZIP bounded,
//!   at least [`crate::status::MIN_LENGTH`] bits as §2.1 requires).
//! - [`check_entry_with_list`]: the validation algorithm of §3.2 for one `credentialStatus`
//!   entry against a verified list: same list URL, same issuer, same purpose, index in range.

use serde_json::Value;
use weft_chain::Hash;

use super::policy::{CheckKind, Checks};
use super::verify::{verify_credential, CredentialLedger, VerificationReport, VerifyOptions};
use crate::status::{self, StatusEntry, StatusError, StatusOutcome, StatusPurpose};

/// The `type` of a status list credential.
pub const LIST_CREDENTIAL_TYPE: &str = "BitstringStatusListCredential";
/// The `credentialSubject.type` of a status list.
pub const LIST_TYPE: &str = "BitstringStatusList";
/// Path of status list credentials under the public base URL.
pub const STATUS_LIST_PATH: &str = "/status-lists/";
/// Longest public base URL accepted.
pub const MAX_BASE_URL_LEN: usize = 512;

/// Why a public base URL was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BaseUrlError {
    /// Not `http://` or `https://` followed by a host.
    #[error("the public URL must be http:// or https:// followed by a host: {0:?}")]
    NotHttp(String),
    /// It carries a query, a fragment, user information or whitespace.
    #[error("the public URL must not carry a query, fragment, user info or spaces: {0:?}")]
    Extra(String),
    /// Longer than [`MAX_BASE_URL_LEN`].
    #[error("the public URL is longer than {MAX_BASE_URL_LEN} bytes")]
    TooLong,
}

impl BaseUrlError {
    /// A stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            BaseUrlError::NotHttp(_) => "public_url_not_http",
            BaseUrlError::Extra(_) => "public_url_extra",
            BaseUrlError::TooLong => "public_url_too_long",
        }
    }
}

/// The node's public base URL, validated, without a trailing `/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicBaseUrl(String);

impl PublicBaseUrl {
    /// Parses `http(s)://host[:port][/path]`.
    pub fn parse(text: &str) -> Result<PublicBaseUrl, BaseUrlError> {
        if text.len() > MAX_BASE_URL_LEN {
            return Err(BaseUrlError::TooLong);
        }
        let trimmed = text.trim_end_matches('/');
        let rest = trimmed
            .strip_prefix("https://")
            .or_else(|| trimmed.strip_prefix("http://"))
            .ok_or_else(|| BaseUrlError::NotHttp(text.into()))?;
        let host = rest.split('/').next().unwrap_or_default();
        if host.is_empty() {
            return Err(BaseUrlError::NotHttp(text.into()));
        }
        if trimmed
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '?' | '#' | '@' | '\\'))
        {
            return Err(BaseUrlError::Extra(text.into()));
        }
        Ok(PublicBaseUrl(trimmed.to_string()))
    }

    /// The base as text (no trailing `/`).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `<base>/status-lists/<list id hex>`: the URL of a list's status list credential.
    pub fn status_list_url(&self, list: &Hash) -> String {
        format!("{}{STATUS_LIST_PATH}{}", self.0, hex::encode(list.0))
    }

    /// Whether the host is a loopback or unspecified address (`localhost`, `127.x`, `[::1]`,
    /// `0.0.0.0`): outside verifiers cannot reach it.
    pub fn is_loopback(&self) -> bool {
        let rest = self.0.split_once("://").map_or("", |(_, r)| r);
        let authority = rest.split('/').next().unwrap_or_default();
        let host = if let Some(v6) = authority.strip_prefix('[') {
            v6.split(']').next().unwrap_or_default()
        } else {
            authority.split(':').next().unwrap_or_default()
        };
        let host = host.to_ascii_lowercase();
        host == "localhost"
            || host.ends_with(".localhost")
            || host.starts_with("127.")
            || host == "::1"
            || host == "0.0.0.0"
            || host == "::"
    }

    /// The list id of a status list URL under this base, if it is one.
    pub fn list_of(&self, url: &str) -> Option<Hash> {
        let tail = url.strip_prefix(&self.0)?.strip_prefix(STATUS_LIST_PATH)?;
        let bytes: [u8; 32] = hex::decode(tail).ok()?.try_into().ok()?;
        Some(Hash(bytes))
    }
}

/// Why a status list credential, or a status entry against it, was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatusListError {
    /// The list credential's proof or validity period did not verify (the report says which).
    #[error("the status list credential did not verify: {}", .0.failures().join(", "))]
    NotVerified(Box<VerificationReport>),
    /// It is not shaped as a `BitstringStatusListCredential`.
    #[error("not a BitstringStatusListCredential: {0}")]
    NotAStatusList(String),
    /// `encodedList` does not decode, or a status entry is malformed.
    #[error(transparent)]
    Status(#[from] StatusError),
    /// The decoded list is shorter than the specification's minimum.
    #[error(
        "the list has {bits} bits, fewer than the minimum {}",
        status::MIN_LENGTH
    )]
    TooShort {
        /// Bits in the decoded list.
        bits: u64,
    },
    /// The entry's `statusListCredential` is not this list's URL.
    #[error("the entry points at {entry:?}, the list is {list:?}")]
    WrongList {
        /// The entry's `statusListCredential`.
        entry: String,
        /// The list credential's `id`.
        list: String,
    },
    /// The list's issuer is not the credential's issuer.
    #[error("the list is issued by {list:?}, the credential by {credential:?}")]
    IssuerMismatch {
        /// The list credential's issuer.
        list: String,
        /// The checked credential's issuer.
        credential: String,
    },
}

impl StatusListError {
    /// A stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            StatusListError::NotVerified(_) => "status_list_not_verified",
            StatusListError::NotAStatusList(_) => "not_a_status_list",
            StatusListError::Status(StatusError::PurposeMismatch { .. }) => "purpose_mismatch",
            StatusListError::Status(StatusError::OutOfRange { .. }) => "index_out_of_range",
            StatusListError::Status(StatusError::TooLarge) => "status_list_too_large",
            StatusListError::Status(_) => "status_malformed",
            StatusListError::TooShort { .. } => "status_list_too_short",
            StatusListError::WrongList { .. } => "wrong_status_list",
            StatusListError::IssuerMismatch { .. } => "status_issuer_mismatch",
        }
    }
}

/// A verified, decoded status list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedStatusList {
    /// The list credential's `id` (the URL entries point at).
    pub url: String,
    /// Its issuer.
    pub issuer: String,
    /// `statusPurpose`.
    pub purpose: StatusPurpose,
    /// The decoded bitstring (index 0 = most significant bit of the first byte).
    pub bits: Vec<u8>,
    /// The verification report of the list credential (proof and validity).
    pub report: VerificationReport,
}

/// Verifies a `BitstringStatusListCredential` (proof and validity at `opts.now`; the other
/// options, e.g. issuer keys for a URL issuer, apply as given) and decodes its list.
pub fn verify_status_list_credential(
    list_vc: &Value,
    ledger: &impl CredentialLedger,
    opts: &VerifyOptions,
) -> Result<VerifiedStatusList, StatusListError> {
    let not_list = |why: &str| StatusListError::NotAStatusList(why.into());
    let opts = VerifyOptions {
        checks: Some(Checks::of(&[CheckKind::Proof, CheckKind::Expiration])),
        check_evidence: false,
        require_schema: false,
        ..opts.clone()
    };
    let report = verify_credential(list_vc, ledger, &opts);
    if !report.verified {
        return Err(StatusListError::NotVerified(Box::new(report)));
    }
    let parsed = super::vc::parse(list_vc).map_err(|e| not_list(&e.to_string()))?;
    if !parsed.types.iter().any(|t| t == LIST_CREDENTIAL_TYPE) {
        return Err(not_list("type lacks BitstringStatusListCredential"));
    }
    let url = parsed
        .id
        .clone()
        .ok_or_else(|| not_list("the list has no id"))?;
    let subject = &parsed.subject;
    let type_ok = match subject.get("type") {
        Some(Value::String(t)) => t == LIST_TYPE,
        Some(Value::Array(ts)) => ts.iter().any(|t| t == LIST_TYPE),
        _ => false,
    };
    if !type_ok {
        return Err(not_list(
            "credentialSubject.type must be BitstringStatusList",
        ));
    }
    let purpose = match subject.get("statusPurpose") {
        Some(Value::String(p)) => StatusPurpose::parse(p)?,
        _ => return Err(not_list("credentialSubject.statusPurpose must be a string")),
    };
    let encoded = subject
        .get("encodedList")
        .and_then(Value::as_str)
        .ok_or_else(|| not_list("credentialSubject.encodedList must be a string"))?;
    let bits = status::decode_list_capped(encoded, (status::MAX_LENGTH / 8) as usize)?;
    let len = bits.len() as u64 * 8;
    if len < status::MIN_LENGTH {
        return Err(StatusListError::TooShort { bits: len });
    }
    Ok(VerifiedStatusList {
        url,
        issuer: parsed.issuer,
        purpose,
        bits,
        report,
    })
}

/// Checks one `credentialStatus` entry of a credential issued by `credential_issuer` against a
/// verified list.
pub fn check_entry_with_list(
    entry: &Value,
    credential_issuer: &str,
    list: &VerifiedStatusList,
) -> Result<StatusOutcome, StatusListError> {
    let entry = StatusEntry::parse(entry)?;
    if entry.list_credential != list.url {
        return Err(StatusListError::WrongList {
            entry: entry.list_credential,
            list: list.url.clone(),
        });
    }
    if credential_issuer != list.issuer {
        return Err(StatusListError::IssuerMismatch {
            list: list.issuer.clone(),
            credential: credential_issuer.into(),
        });
    }
    Ok(status::check_entry(&entry, list.purpose, &list.bits)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls() {
        let b = PublicBaseUrl::parse("https://weft.example.org/").unwrap();
        assert_eq!(b.as_str(), "https://weft.example.org");
        assert!(!b.is_loopback());
        let list = Hash([7; 32]);
        let url = b.status_list_url(&list);
        assert_eq!(
            url,
            format!("https://weft.example.org/status-lists/{}", "07".repeat(32))
        );
        assert_eq!(b.list_of(&url), Some(list));
        assert_eq!(b.list_of("https://other.example/status-lists/00"), None);
        for lo in [
            "http://localhost:8080",
            "http://127.0.0.1:8080/",
            "http://[::1]:8080",
            "http://0.0.0.0",
        ] {
            assert!(PublicBaseUrl::parse(lo).unwrap().is_loopback(), "{lo}");
        }
        for bad in [
            "ftp://x",
            "https://",
            "weft.example",
            "https://a.example/?q=1",
            "https://a.example/#f",
            "https://u@a.example",
            "https://a .example",
        ] {
            assert!(PublicBaseUrl::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            PublicBaseUrl::parse(&format!("https://{}", "a".repeat(600)))
                .unwrap_err()
                .code(),
            "public_url_too_long"
        );
    }
}
