//! A compact, lossless binary form of a secured JSON credential, so that a typical credential
//! fits inline in a QR code: `WEFTC1:` + base45(deflate(CBOR)).
//!
//! The CBOR mirrors the JSON value (maps, arrays, integers, floats, booleans, null, text) with
//! the strings that dominate a credential replaced by short forms, each a CBOR tag from the
//! one-byte range 6..=13 (unassigned in the IANA registry; this is a closed format, not
//! interchange CBOR):
//!
//! | tag | content | stands for |
//! |---|---|---|
//! | 6 | uint `i` | entry `i` of [`DICTIONARY`] (contexts, types, member names, proof values) |
//! | 7 | `[chain, bytes(20), fragment?]` | `did:weft:<chain>:0x<40 hex>[#fragment]` |
//! | 8 | bytes | `z` + base58btc(bytes) (a multibase `proofValue`) |
//! | 9 | bytes(16) | `urn:uuid:<lowercase uuid>` |
//! | 10 | int | a dateTime `YYYY-MM-DDThh:mm:ssZ` as seconds since the epoch |
//! | 11 | `[bytes(32), bool]` | `did:key:z6Mk…` of an Ed25519 key, `true`: with `#z6Mk…` (itself) |
//! | 12 | bytes(32) | `sha256-<base64>` (a `digestSRI`) |
//! | 13 | `[uint i, text]` | entry `i` of [`PREFIXES`] followed by the text |
//!
//! Every short form is used only when decoding it gives back exactly the original string
//! (checked at encoding), so `decode(encode(v)) == v` for every JSON value and a Data Integrity
//! proof (JCS over the value) still verifies after the round trip. The dictionary is versioned
//! by the prefix: entries are only ever appended.
//!
//! Decoding is bounded: the text length ([`MAX_TEXT`]), the inflated size ([`MAX_INFLATED`]),
//! nesting depth ([`MAX_DEPTH`]), and unknown tags, indexes or malformed short forms are typed
//! errors ([`CompactError`]).

use std::io::{Read, Write};

use base64::Engine as _;
use ciborium::Value as Cbor;
use flate2::read::DeflateDecoder;
use flate2::write::DeflateEncoder;
use flate2::Compression;
use serde_json::{Map, Number, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// The text prefix.
pub const PREFIX: &str = "WEFTC1:";
/// Largest text accepted by [`decode_text`].
pub const MAX_TEXT: usize = 4296;
/// Largest inflated CBOR accepted.
pub const MAX_INFLATED: usize = 64 * 1024;
/// Deepest nesting accepted.
pub const MAX_DEPTH: usize = 32;

/// Strings replaced by an index (tag 6). Append only.
pub const DICTIONARY: &[&str] = &[
    // 0: contexts
    "https://www.w3.org/ns/credentials/v2",
    "https://www.w3.org/ns/credentials/examples/v2",
    "https://www.w3.org/2018/credentials/v1",
    "https://w3id.org/security/data-integrity/v2",
    // 4: member names
    "@context",
    "id",
    "type",
    "issuer",
    "validFrom",
    "validUntil",
    "credentialSubject",
    "credentialSchema",
    "credentialStatus",
    "proof",
    "name",
    "description",
    "digestSRI",
    "statusPurpose",
    "statusListIndex",
    "statusListCredential",
    "cryptosuite",
    "created",
    "verificationMethod",
    "proofPurpose",
    "proofValue",
    "weft:commitments",
    "issuanceDate",
    "expirationDate",
    "evidence",
    "termsOfUse",
    "holder",
    "verifiableCredential",
    "challenge",
    "domain",
    "expires",
    // 35: values
    "VerifiableCredential",
    "VerifiablePresentation",
    "DataIntegrityProof",
    "eddsa-jcs-2022",
    "assertionMethod",
    "authentication",
    "JsonSchema",
    "BitstringStatusListEntry",
    "BitstringStatusListCredential",
    "BitstringStatusList",
    "revocation",
    "suspension",
    "encodedList",
    // 48: common claim names
    "degree",
    "university",
    "birthDate",
    "age",
    "givenName",
    "familyName",
    "UniversityDegreeCredential",
    "BachelorDegree",
    "MasterDegree",
];

/// Prefixes replaced by an index (tag 13). Append only.
pub const PREFIXES: &[&str] = &[
    "https://",
    "http://",
    "urn:weft:cpt:",
    "did:example:",
    "http://localhost:8080/status-lists/",
];

/// Why a compact form could not be made or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompactError {
    /// The text lacks the `WEFTC1:` prefix.
    #[error("missing {PREFIX} prefix")]
    MissingPrefix,
    /// The text is longer than [`MAX_TEXT`].
    #[error("text longer than {MAX_TEXT} characters")]
    TooLong,
    /// Invalid base45.
    #[error("invalid base45")]
    BadBase45,
    /// Invalid deflate stream, or it inflates beyond [`MAX_INFLATED`].
    #[error("invalid or oversized deflate stream")]
    Inflate,
    /// The CBOR is malformed, nested deeper than [`MAX_DEPTH`], or has an unknown or malformed
    /// short form.
    #[error("invalid compact CBOR: {0}")]
    BadCbor(String),
    /// A number or map key cannot be represented.
    #[error("cannot encode: {0}")]
    Encode(String),
}

impl CompactError {
    /// A stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            CompactError::MissingPrefix => "missing_prefix",
            CompactError::TooLong => "too_long",
            CompactError::BadBase45 => "bad_base45",
            CompactError::Inflate => "bad_deflate",
            CompactError::BadCbor(_) => "bad_cbor",
            CompactError::Encode(_) => "encode_failed",
        }
    }
}

fn tag(t: u64, v: Cbor) -> Cbor {
    Cbor::Tag(t, Box::new(v))
}

/// The short form of `s`, if one round-trips exactly.
fn short_string(s: &str) -> Option<Cbor> {
    if let Some(i) = DICTIONARY.iter().position(|d| *d == s) {
        return Some(tag(6, Cbor::Integer((i as u64).into())));
    }
    let candidates = [
        weft_did_form(s),
        multibase_form(s),
        uuid_form(s),
        datetime_form(s),
        did_key_form(s),
        sri_form(s),
    ];
    for c in candidates.into_iter().flatten() {
        if expand_tag(&c).ok().as_deref() == Some(s) {
            return Some(c);
        }
    }
    for (i, p) in PREFIXES.iter().enumerate().rev() {
        if let Some(rest) = s.strip_prefix(p) {
            let c = tag(
                13,
                Cbor::Array(vec![
                    Cbor::Integer((i as u64).into()),
                    Cbor::Text(rest.into()),
                ]),
            );
            return Some(c);
        }
    }
    None
}

fn weft_did_form(s: &str) -> Option<Cbor> {
    let rest = s.strip_prefix("did:weft:")?;
    let (did, fragment) = match rest.split_once('#') {
        Some((d, f)) => (d, Some(f)),
        None => (rest, None),
    };
    let (chain, addr) = did.rsplit_once(":0x")?;
    let bytes = hex::decode(addr).ok()?;
    if bytes.len() != 20 {
        return None;
    }
    let chain = short_string_plain(chain);
    let mut items = vec![chain, Cbor::Bytes(bytes)];
    if let Some(f) = fragment {
        items.push(short_string_plain(f));
    }
    Some(tag(7, Cbor::Array(items)))
}

/// A dictionary index or the text (no other short forms: used inside tag 7).
fn short_string_plain(s: &str) -> Cbor {
    match DICTIONARY.iter().position(|d| *d == s) {
        Some(i) => tag(6, Cbor::Integer((i as u64).into())),
        None => Cbor::Text(s.into()),
    }
}

fn multibase_form(s: &str) -> Option<Cbor> {
    let body = s.strip_prefix('z')?;
    if body.len() < 16 {
        return None;
    }
    Some(tag(8, Cbor::Bytes(bs58::decode(body).into_vec().ok()?)))
}

fn uuid_form(s: &str) -> Option<Cbor> {
    let u = s.strip_prefix("urn:uuid:")?;
    if u.len() != 36 {
        return None;
    }
    let bytes = hex::decode(u.replace('-', "")).ok()?;
    Some(tag(9, Cbor::Bytes(bytes)))
}

fn datetime_form(s: &str) -> Option<Cbor> {
    if s.len() != 20 || !s.ends_with('Z') {
        return None;
    }
    let t = OffsetDateTime::parse(s, &Rfc3339).ok()?;
    Some(tag(10, Cbor::Integer(t.unix_timestamp().into())))
}

fn did_key_form(s: &str) -> Option<Cbor> {
    let rest = s.strip_prefix("did:key:")?;
    let (mb, with_fragment) = match rest.split_once('#') {
        Some((m, f)) if m == f => (m, true),
        Some(_) => return None,
        None => (rest, false),
    };
    let key = crate::multikey::decode(mb).ok()?;
    Some(tag(
        11,
        Cbor::Array(vec![Cbor::Bytes(key.0.to_vec()), Cbor::Bool(with_fragment)]),
    ))
}

fn sri_form(s: &str) -> Option<Cbor> {
    let b64 = s.strip_prefix("sha256-")?;
    let bytes = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
    (bytes.len() == 32).then(|| tag(12, Cbor::Bytes(bytes)))
}

fn bad(why: &str) -> CompactError {
    CompactError::BadCbor(why.into())
}

fn index(v: &Cbor, table: &[&'static str]) -> Result<&'static str, CompactError> {
    let i = match v {
        Cbor::Integer(i) => u64::try_from(*i).map_err(|_| bad("index"))?,
        _ => return Err(bad("index must be an unsigned integer")),
    };
    usize::try_from(i)
        .ok()
        .and_then(|i| table.get(i).copied())
        .ok_or_else(|| bad("index out of range"))
}

fn text_or_dict(v: &Cbor) -> Result<String, CompactError> {
    match v {
        Cbor::Text(t) => Ok(t.clone()),
        Cbor::Tag(6, i) => Ok(index(i, DICTIONARY)?.to_string()),
        _ => Err(bad("expected text")),
    }
}

/// The string a short form (tag 6..=13) stands for.
fn expand_tag(v: &Cbor) -> Result<String, CompactError> {
    let Cbor::Tag(t, inner) = v else {
        return Err(bad("not a short form"));
    };
    let inner = inner.as_ref();
    match (*t, inner) {
        (6, i) => Ok(index(i, DICTIONARY)?.to_string()),
        (7, Cbor::Array(items)) if (2..=3).contains(&items.len()) => {
            let chain = text_or_dict(&items[0])?;
            let Cbor::Bytes(addr) = &items[1] else {
                return Err(bad("did:weft address must be bytes"));
            };
            if addr.len() != 20 {
                return Err(bad("did:weft address must be 20 bytes"));
            }
            let mut s = format!("did:weft:{chain}:0x{}", hex::encode(addr));
            if let Some(f) = items.get(2) {
                s.push('#');
                s.push_str(&text_or_dict(f)?);
            }
            Ok(s)
        }
        (8, Cbor::Bytes(b)) => Ok(format!("z{}", bs58::encode(b).into_string())),
        (9, Cbor::Bytes(b)) if b.len() == 16 => {
            let h = hex::encode(b);
            Ok(format!(
                "urn:uuid:{}-{}-{}-{}-{}",
                &h[0..8],
                &h[8..12],
                &h[12..16],
                &h[16..20],
                &h[20..32]
            ))
        }
        (10, Cbor::Integer(i)) => {
            let secs = i64::try_from(*i).map_err(|_| bad("time out of range"))?;
            let t =
                OffsetDateTime::from_unix_timestamp(secs).map_err(|_| bad("time out of range"))?;
            t.format(&Rfc3339).map_err(|_| bad("time out of range"))
        }
        (11, Cbor::Array(items)) if items.len() == 2 => {
            let (Cbor::Bytes(k), Cbor::Bool(frag)) = (&items[0], &items[1]) else {
                return Err(bad("did:key form"));
            };
            let k: [u8; 32] = k.as_slice().try_into().map_err(|_| bad("did:key length"))?;
            let mb = crate::multikey::encode(&weft_chain::PublicKey(k));
            Ok(if *frag {
                format!("did:key:{mb}#{mb}")
            } else {
                format!("did:key:{mb}")
            })
        }
        (12, Cbor::Bytes(b)) if b.len() == 32 => Ok(format!(
            "sha256-{}",
            base64::engine::general_purpose::STANDARD.encode(b)
        )),
        (13, Cbor::Array(items)) if items.len() == 2 => {
            let p = index(&items[0], PREFIXES)?;
            let Cbor::Text(rest) = &items[1] else {
                return Err(bad("prefix form needs text"));
            };
            Ok(format!("{p}{rest}"))
        }
        _ => Err(bad("unknown or malformed short form")),
    }
}

fn to_cbor(v: &Value, depth: usize) -> Result<Cbor, CompactError> {
    if depth > MAX_DEPTH {
        return Err(CompactError::Encode("nested too deeply".into()));
    }
    Ok(match v {
        Value::Null => Cbor::Null,
        Value::Bool(b) => Cbor::Bool(*b),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Cbor::Integer(i.into())
            } else if let Some(u) = n.as_u64() {
                Cbor::Integer(u.into())
            } else {
                Cbor::Float(
                    n.as_f64()
                        .ok_or_else(|| CompactError::Encode("number".into()))?,
                )
            }
        }
        Value::String(s) => short_string(s).unwrap_or_else(|| Cbor::Text(s.clone())),
        Value::Array(items) => Cbor::Array(
            items
                .iter()
                .map(|x| to_cbor(x, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(m) => Cbor::Map(
            m.iter()
                .map(|(k, x)| {
                    let key = short_string(k).unwrap_or_else(|| Cbor::Text(k.clone()));
                    Ok((key, to_cbor(x, depth + 1)?))
                })
                .collect::<Result<_, CompactError>>()?,
        ),
    })
}

fn from_cbor(v: &Cbor, depth: usize) -> Result<Value, CompactError> {
    if depth > MAX_DEPTH {
        return Err(bad("nested too deeply"));
    }
    Ok(match v {
        Cbor::Null => Value::Null,
        Cbor::Bool(b) => Value::Bool(*b),
        Cbor::Integer(i) => {
            let i = i128::from(*i);
            if let Ok(x) = i64::try_from(i) {
                Value::from(x)
            } else if let Ok(x) = u64::try_from(i) {
                Value::from(x)
            } else {
                return Err(bad("integer out of range"));
            }
        }
        Cbor::Float(f) => {
            Value::Number(Number::from_f64(*f).ok_or_else(|| bad("not a JSON number"))?)
        }
        Cbor::Text(t) => Value::String(t.clone()),
        Cbor::Tag(..) => Value::String(expand_tag(v)?),
        Cbor::Array(items) => Value::Array(
            items
                .iter()
                .map(|x| from_cbor(x, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        Cbor::Map(entries) => {
            let mut m = Map::new();
            for (k, x) in entries {
                let key = match k {
                    Cbor::Text(t) => t.clone(),
                    Cbor::Tag(..) => expand_tag(k)?,
                    _ => return Err(bad("map keys must be text")),
                };
                if m.insert(key, from_cbor(x, depth + 1)?).is_some() {
                    return Err(bad("duplicate map key"));
                }
            }
            Value::Object(m)
        }
        _ => return Err(bad("unsupported CBOR item")),
    })
}

/// The compact CBOR of a JSON value.
pub fn encode(v: &Value) -> Result<Vec<u8>, CompactError> {
    let mut out = Vec::new();
    ciborium::into_writer(&to_cbor(v, 0)?, &mut out)
        .map_err(|e| CompactError::Encode(e.to_string()))?;
    Ok(out)
}

/// The JSON value of a compact CBOR.
pub fn decode(bytes: &[u8]) -> Result<Value, CompactError> {
    if bytes.len() > MAX_INFLATED {
        return Err(CompactError::Inflate);
    }
    let cbor: Cbor = ciborium::de::from_reader_with_recursion_limit(bytes, MAX_DEPTH + 8)
        .map_err(|e| CompactError::BadCbor(e.to_string()))?;
    from_cbor(&cbor, 0)
}

/// `WEFTC1:` + base45(deflate(compact CBOR)): alphanumeric QR text.
pub fn encode_text(v: &Value) -> Result<String, CompactError> {
    let cbor = encode(v)?;
    let mut enc = DeflateEncoder::new(Vec::new(), Compression::best());
    enc.write_all(&cbor)
        .map_err(|e| CompactError::Encode(e.to_string()))?;
    let deflated = enc
        .finish()
        .map_err(|e| CompactError::Encode(e.to_string()))?;
    Ok(format!("{PREFIX}{}", base45::encode(deflated)))
}

/// Reads [`encode_text`]'s output (strictly and with bounds: see the module docs).
pub fn decode_text(text: &str) -> Result<Value, CompactError> {
    let body = text
        .strip_prefix(PREFIX)
        .ok_or(CompactError::MissingPrefix)?;
    if text.len() > MAX_TEXT {
        return Err(CompactError::TooLong);
    }
    let deflated = base45::decode(body).map_err(|_| CompactError::BadBase45)?;
    let mut cbor = Vec::new();
    DeflateDecoder::new(&deflated[..])
        .take(MAX_INFLATED as u64 + 1)
        .read_to_end(&mut cbor)
        .map_err(|_| CompactError::Inflate)?;
    if cbor.len() > MAX_INFLATED {
        return Err(CompactError::Inflate);
    }
    decode(&cbor)
}
