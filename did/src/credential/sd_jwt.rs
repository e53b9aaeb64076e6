//! Selective disclosure with SD-JWT (RFC 9901), signed with EdDSA (Ed25519) and hashed with
//! `sha-256`, with mandatory key binding.
//!
//! - [`issue`]: the issuer turns a claim set into `<JWT>~<disclosure>~…~`. Each selectively
//!   disclosable claim becomes a disclosure `base64url(JSON [salt, name, value])` (object
//!   properties) or `base64url(JSON [salt, value])` (array elements) with a 128-bit salt from the
//!   OS CSPRNG; the payload keeps only `base64url(SHA-256(disclosure))` in a sorted `_sd` array
//!   (or `{"...": digest}` in arrays), optionally padded with decoy digests. Claims are named by
//!   paths: `name`, `address/street` (nested objects) or `nationalities/1` (array elements).
//!   The holder's key goes in `cnf.jwk` (OKP / Ed25519).
//! - [`present`]: the holder keeps the disclosures of the claims it chooses (plus the enclosing
//!   ones a nested claim needs) and appends a key-binding JWT (`typ: kb+jwt`) with the verifier's
//!   `nonce` and `aud`, `iat`, and `sd_hash` over the presented `<JWT>~<disclosures>~`.
//! - [`verify`]: checks the issuer signature (only `alg: EdDSA`; `none` and everything else are
//!   refused), expiry, every disclosure (each must be referenced exactly once by a digest in the
//!   payload or an enclosing disclosure; no duplicates, no name clashes, no `_sd` / `...` names),
//!   and the key-binding JWT (signature by `cnf.jwk`, exact nonce and audience, fresh `iat`, exact
//!   `sd_hash`). It returns the processed payload without `_sd`, `_sd_alg` or `...` entries.
//!
//! Salts come from [`rand_core::OsRng`]; nothing here logs claims or keys.

use std::collections::{BTreeSet, HashMap, HashSet};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand_core::{OsRng, RngCore};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use weft_chain::{Keypair, PublicKey, Signature};

/// The only hash algorithm issued and accepted (`_sd_alg`).
pub const SD_ALG: &str = "sha-256";
/// The only JWS algorithm issued and accepted.
pub const JWS_ALG: &str = "EdDSA";
/// The `typ` header of an issuer-signed JWT (SD-JWT VC media type).
pub const SD_JWT_TYP: &str = "dc+sd-jwt";
/// The `typ` header of a key-binding JWT.
pub const KB_JWT_TYP: &str = "kb+jwt";
/// Salt length in bytes (128 bits, the RFC's recommended minimum).
pub const SALT_BYTES: usize = 16;
/// Largest SD-JWT or presentation accepted, in bytes.
pub const MAX_LEN: usize = 64 * 1024;
/// Largest number of decoy digests per `_sd` array.
pub const MAX_DECOYS: usize = 16;
/// Claims set by the issuer itself; the claim set passed to [`issue`] may not contain them.
pub const RESERVED_CLAIMS: &[&str] = &["iss", "iat", "exp", "nbf", "cnf", "vct", "_sd", "_sd_alg"];

/// Why an SD-JWT could not be issued, presented or verified.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SdJwtError {
    /// The text is not a well-formed SD-JWT, JWT or disclosure.
    #[error("malformed SD-JWT: {0}")]
    Malformed(String),
    /// The input exceeds [`MAX_LEN`].
    #[error("SD-JWT larger than {MAX_LEN} bytes")]
    TooLarge,
    /// A JWS uses an algorithm other than EdDSA (including `none`).
    #[error("unsupported JWS algorithm {0:?}; only EdDSA is accepted")]
    UnsupportedAlgorithm(String),
    /// A JWT carries the wrong `typ` header.
    #[error("wrong JWT type {0:?}")]
    WrongType(String),
    /// `_sd_alg` names a hash other than sha-256.
    #[error("unsupported _sd_alg {0:?}")]
    UnsupportedHash(String),
    /// The issuer key named by `kid` could not be resolved.
    #[error("issuer key {kid}: {reason}")]
    IssuerKey {
        /// The `kid` header.
        kid: String,
        /// Why it did not resolve.
        reason: String,
    },
    /// The issuer signature does not verify.
    #[error("the issuer signature does not verify")]
    BadIssuerSignature,
    /// The SD-JWT has expired (`exp`) or is not yet valid (`nbf`).
    #[error("the SD-JWT is outside its validity period")]
    Expired,
    /// A disclosure is not a base64url JSON array of the right shape.
    #[error("bad disclosure: {0}")]
    BadDisclosure(String),
    /// The same disclosure appears twice.
    #[error("duplicate disclosure")]
    DuplicateDisclosure,
    /// A digest appears more than once in the payload and disclosures.
    #[error("duplicate digest")]
    DuplicateDigest,
    /// A disclosure whose digest is referenced nowhere (forged or from another SD-JWT).
    #[error("disclosure not referenced by the issuer-signed payload")]
    UnreferencedDisclosure,
    /// A disclosure's claim name is `_sd` or `...`.
    #[error("reserved claim name {0:?} in a disclosure")]
    ReservedName(String),
    /// A disclosed claim name already exists in its object.
    #[error("claim name clash: {0:?}")]
    ClaimNameClash(String),
    /// An object-property disclosure used in an array or an array-element one in an object.
    #[error("disclosure used in the wrong place")]
    MisplacedDisclosure,
    /// The presentation has no key-binding JWT.
    #[error("missing key-binding JWT")]
    MissingKeyBinding,
    /// The SD-JWT has no usable `cnf.jwk` holder key.
    #[error("no Ed25519 holder key in cnf.jwk")]
    MissingHolderKey,
    /// The key-binding JWT signature does not verify with the holder key.
    #[error("the key-binding signature does not verify")]
    BadKeyBindingSignature,
    /// The key-binding nonce is not the expected one.
    #[error("key-binding nonce mismatch")]
    NonceMismatch,
    /// The key-binding audience is not the expected one.
    #[error("key-binding audience mismatch")]
    AudienceMismatch,
    /// The key-binding `iat` is older than allowed or in the future.
    #[error("key-binding iat outside the accepted window")]
    StaleKeyBinding,
    /// `sd_hash` does not match the presented SD-JWT.
    #[error("key-binding sd_hash mismatch")]
    SdHashMismatch,
    /// A claim path names no claim (issuing) or no disclosable claim (presenting).
    #[error("unknown claim path {0:?}")]
    UnknownPath(String),
    /// The claim set contains a claim the issuer sets itself, or `...`.
    #[error("reserved claim {0:?} in the claim set")]
    ReservedClaim(String),
    /// More decoys than [`MAX_DECOYS`] were requested.
    #[error("at most {MAX_DECOYS} decoys per _sd array")]
    TooManyDecoys,
}

type Result<T> = std::result::Result<T, SdJwtError>;

/// Issuer-side settings of [`issue`].
#[derive(Debug, Clone)]
pub struct IssueOptions<'a> {
    /// `iss`: the issuer's DID.
    pub issuer: &'a str,
    /// `kid` header: the DID URL of the signing verification method.
    pub kid: &'a str,
    /// `vct`: the credential type, if any.
    pub vct: Option<&'a str>,
    /// The holder's key, bound through `cnf.jwk`.
    pub holder_key: &'a PublicKey,
    /// `iat` (seconds since the epoch).
    pub iat: i64,
    /// `exp` (seconds since the epoch), if any.
    pub exp: Option<i64>,
    /// Decoy digests added to each `_sd` array (at most [`MAX_DECOYS`]).
    pub decoys: usize,
}

/// Verifier-side settings of [`verify`].
#[derive(Debug, Clone)]
pub struct VerifyOptions<'a> {
    /// The nonce the verifier issued.
    pub nonce: &'a str,
    /// The verifier's identifier the presentation must be addressed to.
    pub aud: &'a str,
    /// Current time (seconds since the epoch).
    pub now: i64,
    /// Oldest accepted key-binding `iat`, in seconds before `now`.
    pub max_kb_age: i64,
    /// Accepted clock skew for `iat` in the future and for `exp`, in seconds.
    pub leeway: i64,
}

/// A verified presentation.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    /// The processed payload: registered claims plus the disclosed ones, without `_sd`,
    /// `_sd_alg` or `...`.
    pub claims: Map<String, Value>,
    /// The issuer's `kid`.
    pub kid: String,
    /// The holder key from `cnf.jwk`.
    pub holder_key: PublicKey,
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn unb64(text: &str, what: &str) -> Result<Vec<u8>> {
    URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|_| SdJwtError::Malformed(format!("{what} is not base64url")))
}

fn digest(disclosure: &str) -> String {
    b64(&Sha256::digest(disclosure.as_bytes()))
}

fn new_salt() -> String {
    let mut salt = [0u8; SALT_BYTES];
    OsRng.fill_bytes(&mut salt);
    b64(&salt)
}

/// The `cnf.jwk` of an Ed25519 key.
pub fn ed25519_jwk(key: &PublicKey) -> Value {
    json!({ "kty": "OKP", "crv": "Ed25519", "x": b64(key.as_bytes()) })
}

/// The Ed25519 key of a JWK (`kty: OKP`, `crv: Ed25519`).
pub fn jwk_key(jwk: &Value) -> Option<PublicKey> {
    if jwk.get("kty")?.as_str()? != "OKP" || jwk.get("crv")?.as_str()? != "Ed25519" {
        return None;
    }
    let x = URL_SAFE_NO_PAD.decode(jwk.get("x")?.as_str()?).ok()?;
    let bytes: [u8; 32] = x.try_into().ok()?;
    Some(PublicKey(bytes))
}

fn sign_jwt(header: &Value, payload: &Value, key: &Keypair) -> String {
    let signing_input = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(payload.to_string().as_bytes())
    );
    let signature = key.sign(signing_input.as_bytes());
    format!("{signing_input}.{}", b64(&signature.0))
}

/// A JWT split and decoded, signature not yet checked.
struct Jwt<'a> {
    header: Map<String, Value>,
    payload: Map<String, Value>,
    signing_input: &'a str,
    signature: Signature,
}

fn parse_jwt<'a>(jwt: &'a str, expected_typ: &str) -> Result<Jwt<'a>> {
    let mut parts = jwt.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(SdJwtError::Malformed("a JWT has three parts".into()));
    };
    let header: Map<String, Value> = serde_json::from_slice(&unb64(h, "JWT header")?)
        .map_err(|_| SdJwtError::Malformed("JWT header is not a JSON object".into()))?;
    match header.get("alg").and_then(Value::as_str) {
        Some(JWS_ALG) => {}
        Some(other) => return Err(SdJwtError::UnsupportedAlgorithm(other.to_string())),
        None => return Err(SdJwtError::UnsupportedAlgorithm(String::new())),
    }
    if header.contains_key("crit") {
        return Err(SdJwtError::Malformed(
            "critical JWT header extensions".into(),
        ));
    }
    match header.get("typ").and_then(Value::as_str) {
        Some(t) if t == expected_typ => {}
        other => return Err(SdJwtError::WrongType(other.unwrap_or("").to_string())),
    }
    let payload: Map<String, Value> = serde_json::from_slice(&unb64(p, "JWT payload")?)
        .map_err(|_| SdJwtError::Malformed("JWT payload is not a JSON object".into()))?;
    let sig: [u8; 64] = unb64(s, "JWT signature")?
        .try_into()
        .map_err(|_| SdJwtError::Malformed("an Ed25519 signature has 64 bytes".into()))?;
    Ok(Jwt {
        header,
        payload,
        signing_input: &jwt[..h.len() + 1 + p.len()],
        signature: Signature(sig),
    })
}

/// A claim path: `a/b/0` → `["a", "b", "0"]`.
fn split_path(path: &str) -> Vec<&str> {
    path.split('/').collect()
}

struct Issuer<'a> {
    targets: &'a HashSet<Vec<String>>,
    matched: HashSet<Vec<String>>,
    disclosures: Vec<String>,
    decoys: usize,
}

impl Issuer<'_> {
    fn conceal(&mut self, value: Value, path: &mut Vec<String>) -> Value {
        match value {
            Value::Object(map) => {
                let mut out = Map::new();
                let mut sd = Vec::new();
                for (name, v) in map {
                    path.push(name.clone());
                    let v = self.conceal(v, path);
                    if self.targets.contains(path.as_slice()) {
                        self.matched.insert(path.clone());
                        let d = b64(json!([new_salt(), name, v]).to_string().as_bytes());
                        sd.push(digest(&d));
                        self.disclosures.push(d);
                    } else {
                        out.insert(name, v);
                    }
                    path.pop();
                }
                if !sd.is_empty() {
                    for _ in 0..self.decoys {
                        sd.push(digest(&new_salt()));
                    }
                    sd.sort();
                    out.insert("_sd".into(), Value::from(sd));
                }
                Value::Object(out)
            }
            Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, v) in items.into_iter().enumerate() {
                    path.push(i.to_string());
                    let v = self.conceal(v, path);
                    if self.targets.contains(path.as_slice()) {
                        self.matched.insert(path.clone());
                        let d = b64(json!([new_salt(), v]).to_string().as_bytes());
                        out.push(json!({ "...": digest(&d) }));
                        self.disclosures.push(d);
                    } else {
                        out.push(v);
                    }
                    path.pop();
                }
                Value::Array(out)
            }
            other => other,
        }
    }
}

/// Issues an SD-JWT: `claims` with the claims at `disclosable` paths (`name`, `a/b`, `list/0`)
/// made selectively disclosable, signed by `key`, bound to `options.holder_key`. Returns
/// `<JWT>~<disclosure>~…~`.
pub fn issue(
    claims: &Map<String, Value>,
    disclosable: &[&str],
    key: &Keypair,
    options: &IssueOptions<'_>,
) -> Result<String> {
    if options.decoys > MAX_DECOYS {
        return Err(SdJwtError::TooManyDecoys);
    }
    if let Some(name) = claims
        .keys()
        .find(|k| RESERVED_CLAIMS.contains(&k.as_str()))
    {
        return Err(SdJwtError::ReservedClaim(name.clone()));
    }
    fn check_names(v: &Value) -> Result<()> {
        match v {
            Value::Object(m) => m.iter().try_for_each(|(k, v)| {
                if k == "_sd" || k == "..." {
                    Err(SdJwtError::ReservedClaim(k.clone()))
                } else {
                    check_names(v)
                }
            }),
            Value::Array(a) => a.iter().try_for_each(check_names),
            _ => Ok(()),
        }
    }
    claims.values().try_for_each(check_names)?;
    let targets: HashSet<Vec<String>> = disclosable
        .iter()
        .map(|p| split_path(p).into_iter().map(str::to_string).collect())
        .collect();
    let mut issuer = Issuer {
        targets: &targets,
        matched: HashSet::new(),
        disclosures: Vec::new(),
        decoys: options.decoys,
    };
    let concealed = issuer.conceal(Value::Object(claims.clone()), &mut Vec::new());
    if let Some(missing) = disclosable.iter().find(|p| {
        !issuer.matched.contains(
            &split_path(p)
                .into_iter()
                .map(str::to_string)
                .collect::<Vec<_>>(),
        )
    }) {
        return Err(SdJwtError::UnknownPath((*missing).to_string()));
    }
    let Value::Object(mut payload) = concealed else {
        return Err(SdJwtError::Malformed("claims are not an object".into()));
    };
    payload.insert("iss".into(), options.issuer.into());
    payload.insert("iat".into(), options.iat.into());
    if let Some(exp) = options.exp {
        payload.insert("exp".into(), exp.into());
    }
    if let Some(vct) = options.vct {
        payload.insert("vct".into(), vct.into());
    }
    payload.insert(
        "cnf".into(),
        json!({ "jwk": ed25519_jwk(options.holder_key) }),
    );
    payload.insert("_sd_alg".into(), SD_ALG.into());
    let header = json!({ "alg": JWS_ALG, "typ": SD_JWT_TYP, "kid": options.kid });
    let mut out = sign_jwt(&header, &Value::Object(payload), key);
    out.push('~');
    for d in &issuer.disclosures {
        out.push_str(d);
        out.push('~');
    }
    Ok(out)
}

/// A decoded disclosure.
struct Disclosure {
    text: String,
    name: Option<String>,
    value: Value,
}

fn decode_disclosure(text: &str) -> Result<Disclosure> {
    let bytes = URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|_| SdJwtError::BadDisclosure("not base64url".into()))?;
    let array: Vec<Value> = serde_json::from_slice(&bytes)
        .map_err(|_| SdJwtError::BadDisclosure("not a JSON array".into()))?;
    let mut it = array.into_iter();
    let salt = it.next();
    if !matches!(salt, Some(Value::String(_))) {
        return Err(SdJwtError::BadDisclosure("the salt is not a string".into()));
    }
    let (first, second, rest) = (it.next(), it.next(), it.next());
    match (first, second, rest) {
        (Some(value), None, None) => Ok(Disclosure {
            text: text.to_string(),
            name: None,
            value,
        }),
        (Some(Value::String(name)), Some(value), None) => {
            if name == "_sd" || name == "..." {
                return Err(SdJwtError::ReservedName(name));
            }
            Ok(Disclosure {
                text: text.to_string(),
                name: Some(name),
                value,
            })
        }
        _ => Err(SdJwtError::BadDisclosure(
            "not [salt, value] or [salt, name, value]".into(),
        )),
    }
}

/// The parts of `<JWT>~<D>~…~[<KB-JWT>]`.
struct Parts<'a> {
    jwt: &'a str,
    disclosures: Vec<&'a str>,
    /// `<JWT>~<D>~…~`, the input of `sd_hash`.
    prefix: &'a str,
    kb: &'a str,
}

fn split(text: &str) -> Result<Parts<'_>> {
    if text.len() > MAX_LEN {
        return Err(SdJwtError::TooLarge);
    }
    let last = text
        .rfind('~')
        .ok_or_else(|| SdJwtError::Malformed("no '~' separator".into()))?;
    let prefix = &text[..=last];
    let kb = &text[last + 1..];
    let mut items = prefix[..prefix.len() - 1].split('~');
    let jwt = items.next().unwrap_or_default();
    let disclosures: Vec<&str> = items.collect();
    if jwt.is_empty() || disclosures.iter().any(|d| d.is_empty()) {
        return Err(SdJwtError::Malformed("empty component".into()));
    }
    Ok(Parts {
        jwt,
        disclosures,
        prefix,
        kb,
    })
}

/// Walks a payload, replacing digests by the disclosures they reference.
struct Resolver {
    by_digest: HashMap<String, Disclosure>,
    seen_digests: HashSet<String>,
    used: usize,
    /// Path of each used disclosure (for [`present`]).
    paths: Vec<(Vec<String>, String)>,
}

impl Resolver {
    fn new(disclosures: &[&str]) -> Result<Self> {
        let mut by_digest = HashMap::new();
        for text in disclosures {
            let d = decode_disclosure(text)?;
            if by_digest.insert(digest(text), d).is_some() {
                return Err(SdJwtError::DuplicateDisclosure);
            }
        }
        Ok(Self {
            by_digest,
            seen_digests: HashSet::new(),
            used: 0,
            paths: Vec::new(),
        })
    }

    fn note_digest(&mut self, d: &str) -> Result<Option<Disclosure>> {
        if !self.seen_digests.insert(d.to_string()) {
            return Err(SdJwtError::DuplicateDigest);
        }
        Ok(self.by_digest.remove(d).inspect(|_| self.used += 1))
    }

    fn process(&mut self, value: Value, path: &mut Vec<String>) -> Result<Value> {
        match value {
            Value::Object(mut map) => {
                let sd = map.remove("_sd");
                let mut out = Map::new();
                for (name, v) in map {
                    if name == "..." {
                        return Err(SdJwtError::Malformed("'...' key in an object".into()));
                    }
                    path.push(name.clone());
                    let v = self.process(v, path)?;
                    path.pop();
                    out.insert(name, v);
                }
                match sd {
                    None => {}
                    Some(Value::Array(digests)) => {
                        for d in digests {
                            let Value::String(d) = d else {
                                return Err(SdJwtError::Malformed("_sd holds a non-string".into()));
                            };
                            let Some(disclosure) = self.note_digest(&d)? else {
                                continue;
                            };
                            let Some(name) = disclosure.name else {
                                return Err(SdJwtError::MisplacedDisclosure);
                            };
                            if out.contains_key(&name) {
                                return Err(SdJwtError::ClaimNameClash(name));
                            }
                            path.push(name.clone());
                            self.paths.push((path.clone(), disclosure.text));
                            let v = self.process(disclosure.value, path)?;
                            path.pop();
                            out.insert(name, v);
                        }
                    }
                    Some(_) => return Err(SdJwtError::Malformed("_sd is not an array".into())),
                }
                Ok(Value::Object(out))
            }
            Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.into_iter().enumerate() {
                    path.push(i.to_string());
                    match item {
                        Value::Object(m) if m.len() == 1 && m.contains_key("...") => {
                            let Some(Value::String(d)) = m.get("...") else {
                                return Err(SdJwtError::Malformed("'...' is not a string".into()));
                            };
                            if let Some(disclosure) = self.note_digest(d)? {
                                if disclosure.name.is_some() {
                                    return Err(SdJwtError::MisplacedDisclosure);
                                }
                                self.paths.push((path.clone(), disclosure.text));
                                out.push(self.process(disclosure.value, path)?);
                            }
                        }
                        other => out.push(self.process(other, path)?),
                    }
                    path.pop();
                }
                Ok(Value::Array(out))
            }
            other => Ok(other),
        }
    }
}

fn sd_alg_ok(payload: &Map<String, Value>) -> Result<()> {
    match payload.get("_sd_alg") {
        None => Ok(()),
        Some(Value::String(s)) if s == SD_ALG => Ok(()),
        Some(other) => Err(SdJwtError::UnsupportedHash(other.to_string())),
    }
}

/// Builds a presentation: the SD-JWT's JWT, the disclosures of the claims at `disclose` (a path
/// discloses its claim, everything under it and the enclosing disclosable claims), and a
/// key-binding JWT signed by `holder_key` over `nonce`, `aud`, `iat` and `sd_hash`.
pub fn present(
    sd_jwt: &str,
    disclose: &[&str],
    holder_key: &Keypair,
    nonce: &str,
    aud: &str,
    iat: i64,
) -> Result<String> {
    let parts = split(sd_jwt)?;
    if !parts.kb.is_empty() {
        return Err(SdJwtError::Malformed("already a presentation".into()));
    }
    // The holder parses its own credential (the signature is the verifier's concern).
    let jwt = parse_jwt(parts.jwt, SD_JWT_TYP)?;
    sd_alg_ok(&jwt.payload)?;
    let mut resolver = Resolver::new(&parts.disclosures)?;
    resolver.process(Value::Object(jwt.payload), &mut Vec::new())?;
    let wanted: Vec<Vec<&str>> = disclose.iter().map(|p| split_path(p)).collect();
    let mut chosen = Vec::new();
    for (i, want) in wanted.iter().enumerate() {
        let mut any = false;
        for (path, text) in &resolver.paths {
            let n = path.len().min(want.len());
            if path[..n].iter().zip(&want[..n]).all(|(a, b)| a == b) {
                any = true;
                if !chosen.contains(text) {
                    chosen.push(text.clone());
                }
            }
        }
        if !any {
            return Err(SdJwtError::UnknownPath(disclose[i].to_string()));
        }
    }
    // Keep the issuer's order.
    let mut prefix = format!("{}~", parts.jwt);
    for d in parts
        .disclosures
        .iter()
        .filter(|d| chosen.iter().any(|c| c == *d))
    {
        prefix.push_str(d);
        prefix.push('~');
    }
    let header = json!({ "alg": JWS_ALG, "typ": KB_JWT_TYP });
    let payload = json!({
        "nonce": nonce,
        "aud": aud,
        "iat": iat,
        "sd_hash": digest(&prefix),
    });
    let kb = sign_jwt(&header, &payload, holder_key);
    Ok(prefix + &kb)
}

/// Verifies a presentation `<JWT>~<disclosures>~<KB-JWT>`; `resolve` maps the issuer's `kid` to
/// its key (the caller checks it is an assertion key of a trusted issuer). Returns the disclosed
/// claims.
pub fn verify(
    presentation: &str,
    resolve: impl FnOnce(&str) -> std::result::Result<PublicKey, String>,
    options: &VerifyOptions<'_>,
) -> Result<Verified> {
    let parts = split(presentation)?;
    let jwt = parse_jwt(parts.jwt, SD_JWT_TYP)?;
    let kid = jwt
        .header
        .get("kid")
        .and_then(Value::as_str)
        .ok_or_else(|| SdJwtError::Malformed("no kid header".into()))?
        .to_string();
    let issuer_key = resolve(&kid).map_err(|reason| SdJwtError::IssuerKey {
        kid: kid.clone(),
        reason,
    })?;
    if !issuer_key.verify(jwt.signing_input.as_bytes(), &jwt.signature) {
        return Err(SdJwtError::BadIssuerSignature);
    }
    let payload = jwt.payload;
    sd_alg_ok(&payload)?;
    let time_claim = |name: &str| -> Result<Option<i64>> {
        match payload.get(name) {
            None => Ok(None),
            Some(v) => v
                .as_i64()
                .map(Some)
                .ok_or_else(|| SdJwtError::Malformed(format!("{name} is not an integer"))),
        }
    };
    if let Some(exp) = time_claim("exp")? {
        if options.now >= exp.saturating_add(options.leeway) {
            return Err(SdJwtError::Expired);
        }
    }
    if let Some(nbf) = time_claim("nbf")? {
        if options.now.saturating_add(options.leeway) < nbf {
            return Err(SdJwtError::Expired);
        }
    }
    let holder_key = payload
        .get("cnf")
        .and_then(|c| c.get("jwk"))
        .and_then(jwk_key)
        .ok_or(SdJwtError::MissingHolderKey)?;

    let mut resolver = Resolver::new(&parts.disclosures)?;
    let Value::Object(mut claims) = resolver.process(Value::Object(payload), &mut Vec::new())?
    else {
        return Err(SdJwtError::Malformed("payload is not an object".into()));
    };
    if resolver.used != parts.disclosures.len() {
        return Err(SdJwtError::UnreferencedDisclosure);
    }
    claims.remove("_sd_alg");

    if parts.kb.is_empty() {
        return Err(SdJwtError::MissingKeyBinding);
    }
    let kb = parse_jwt(parts.kb, KB_JWT_TYP)?;
    if !holder_key.verify(kb.signing_input.as_bytes(), &kb.signature) {
        return Err(SdJwtError::BadKeyBindingSignature);
    }
    if kb.payload.get("nonce").and_then(Value::as_str) != Some(options.nonce) {
        return Err(SdJwtError::NonceMismatch);
    }
    if kb.payload.get("aud").and_then(Value::as_str) != Some(options.aud) {
        return Err(SdJwtError::AudienceMismatch);
    }
    let iat = kb
        .payload
        .get("iat")
        .and_then(Value::as_i64)
        .ok_or(SdJwtError::StaleKeyBinding)?;
    if iat > options.now.saturating_add(options.leeway)
        || iat < options.now.saturating_sub(options.max_kb_age)
    {
        return Err(SdJwtError::StaleKeyBinding);
    }
    if kb.payload.get("sd_hash").and_then(Value::as_str) != Some(digest(parts.prefix).as_str()) {
        return Err(SdJwtError::SdHashMismatch);
    }
    Ok(Verified {
        claims,
        kid,
        holder_key,
    })
}

/// The issuer JWT's `kid`, `iss` and `iat` **without checking any signature**: only for choosing
/// the key to verify with (a `did:weft` issuer's key depends on the time it signed). After
/// [`verify`] succeeds with that key, the values are authentic.
pub fn unverified_issuer(presentation: &str) -> Result<(String, Option<String>, Option<i64>)> {
    let parts = split(presentation)?;
    let jwt = parse_jwt(parts.jwt, SD_JWT_TYP)?;
    let kid = jwt
        .header
        .get("kid")
        .and_then(Value::as_str)
        .ok_or_else(|| SdJwtError::Malformed("no kid header".into()))?
        .to_string();
    let iss = jwt
        .payload
        .get("iss")
        .and_then(Value::as_str)
        .map(str::to_string);
    let iat = jwt.payload.get("iat").and_then(Value::as_i64);
    Ok((kid, iss, iat))
}

/// The disclosable claim paths of an SD-JWT (without checking its signature): what a wallet
/// can offer to disclose.
pub fn disclosable_paths(sd_jwt: &str) -> Result<BTreeSet<String>> {
    let parts = split(sd_jwt)?;
    let jwt = parse_jwt(parts.jwt, SD_JWT_TYP)?;
    let mut resolver = Resolver::new(&parts.disclosures)?;
    resolver.process(Value::Object(jwt.payload), &mut Vec::new())?;
    Ok(resolver
        .paths
        .into_iter()
        .map(|(p, _)| p.join("/"))
        .collect())
}
