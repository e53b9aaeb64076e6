//! The W3C Verifiable Credentials Data Model 2.0 as a well-formedness check, for credentials and
//! presentations that Weft did not make.
//!
//! [`validate_credential`] and [`validate_presentation`] apply the normative statements of the
//! data model that can be checked on the JSON itself, without fetching anything and without a
//! JSON-LD processor:
//!
//! - `@context` is an ordered set whose first item is the base context
//!   (`https://www.w3.org/ns/credentials/v2`; VC 1.1's `https://www.w3.org/2018/credentials/v1`
//!   only when [`ModelOptions::allow_v1`]); every other item is a URL or an inline context object.
//! - Term definitions of inline contexts map to URLs; the base context's terms are protected (a
//!   later context may not redefine them), and so are the terms of an inline context marked
//!   `@protected`.
//! - `type` contains `VerifiableCredential` (or `VerifiablePresentation`), and every type is
//!   mapped: an absolute URL, a term of a context, or a name under an `@vocab` still in force
//!   (the base context has one; `{"@vocab": null}` removes it). A remote context that is not in
//!   [`KNOWN_CONTEXTS`] may define any term; with [`ModelOptions::known_contexts_only`] it is
//!   refused instead ([`ModelError::UnknownContext`]).
//! - `id` values are single URLs; `issuer` is a URL or an object whose `id` is a URL;
//!   `credentialSubject` is a non-empty object (or array of them) whose `id`, if any, is one URL;
//!   `validFrom` / `validUntil` are XML Schema `dateTimeStamp`s and `validUntil` is not before
//!   `validFrom`; `name` / `description` are strings or language-value objects (`@value`,
//!   `@language`, `@direction`, nothing else).
//! - `credentialStatus`, `credentialSchema`, `evidence`, `termsOfUse`, `refreshService` and
//!   `proof` entries each carry a `type`; status and schema ids are single URLs, and a schema has
//!   an `id`.
//!
//! Every refusal is a typed [`ModelError`] with a stable [`ModelError::code`]. Input sizes are
//! bounded ([`MAX_ITEMS`] per array). Nothing here panics on any JSON value.

use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// The VC 2.0 base context.
pub const CONTEXT_V2: &str = "https://www.w3.org/ns/credentials/v2";
/// The VC 1.1 base context.
pub const CONTEXT_V1: &str = "https://www.w3.org/2018/credentials/v1";
/// The VC 2.0 examples context (defines an `@vocab` of its own).
pub const CONTEXT_EXAMPLES_V2: &str = "https://www.w3.org/ns/credentials/examples/v2";
/// Remote contexts whose terms are known without fetching them.
pub const KNOWN_CONTEXTS: &[&str] = &[
    CONTEXT_V2,
    CONTEXT_V1,
    CONTEXT_EXAMPLES_V2,
    "https://www.w3.org/2018/credentials/examples/v1",
    "https://w3id.org/security/data-integrity/v2",
    "https://w3id.org/security/multikey/v1",
    "https://w3id.org/security/suites/ed25519-2020/v1",
    "https://w3id.org/vc/status-list/2021/v1",
    "https://www.w3.org/ns/credentials/undefined-terms/v2",
];
/// Most items accepted in any one array of the document (contexts, types, subjects, entries).
pub const MAX_ITEMS: usize = 256;

/// The protected top-level terms of the VC 2.0 base context.
const BASE_TERMS: &[&str] = &[
    "id",
    "type",
    "description",
    "digestMultibase",
    "digestSRI",
    "mediaType",
    "name",
    "kid",
    "iss",
    "sub",
    "jku",
    "x5u",
    "exp",
    "nbf",
    "iat",
    "cnf",
    "_sd",
    "_sd_alg",
    "VerifiableCredential",
    "VerifiablePresentation",
    "EnvelopedVerifiableCredential",
    "EnvelopedVerifiablePresentation",
    "JsonSchemaCredential",
    "JsonSchema",
    "BitstringStatusListCredential",
    "BitstringStatusList",
    "BitstringStatusListEntry",
    "DataIntegrityProof",
    "renderMethod",
    "confidenceMethod",
    "relatedResource",
];

/// Why a document is not a well-formed credential or presentation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    /// The document is not a JSON object.
    #[error("the document must be a JSON object")]
    NotAnObject,
    /// `@context` is missing or its first item is not the base context.
    #[error("@context must be an ordered set starting with {CONTEXT_V2:?}")]
    MissingBaseContext,
    /// An `@context` item is neither a URL nor an object.
    #[error("@context item {0} is neither a URL nor a context object")]
    BadContext(String),
    /// A remote context outside [`KNOWN_CONTEXTS`] while only known contexts are allowed.
    #[error("unknown @context {0:?} (nothing is fetched)")]
    UnknownContext(String),
    /// A context redefines a protected term.
    #[error("the protected term {0:?} is redefined")]
    ProtectedTermRedefined(String),
    /// An inline term definition does not map to a URL.
    #[error("term {0:?} does not map to a URL")]
    BadTermDefinition(String),
    /// `type` is missing, empty, not strings, or lacks the required base type.
    #[error("type must contain {0:?}")]
    MissingType(&'static str),
    /// A type is not mapped to a URL by any context.
    #[error("type {0:?} is not defined by any @context")]
    UnmappedType(String),
    /// A property that must be one URL is not (`id`, `issuer`, `holder`, entry ids).
    #[error("{0} must be a single URL")]
    NotAUrl(String),
    /// `issuer` is missing.
    #[error("issuer is required")]
    MissingIssuer,
    /// `credentialSubject` is missing, empty or not objects.
    #[error("credentialSubject: {0}")]
    BadSubject(String),
    /// A date is not an XML Schema dateTimeStamp.
    #[error("{0} is not an XML Schema dateTimeStamp")]
    BadDate(String),
    /// `validUntil` is before `validFrom`.
    #[error("validUntil is before validFrom")]
    DateOrder,
    /// `name` / `description` is not a string or language value.
    #[error("{0} must be a string or a language value object")]
    BadLanguageValue(String),
    /// An entry (`credentialStatus`, `proof`, …) is not an object or lacks a member.
    #[error("{property}: {problem}")]
    BadEntry {
        /// The property (`credentialStatus`, `credentialSchema`, `evidence`, …).
        property: String,
        /// What is wrong.
        problem: String,
    },
    /// An enclosed credential of a presentation is malformed (index and reason).
    #[error("verifiableCredential[{index}]: {error}")]
    BadEnclosedCredential {
        /// Index in `verifiableCredential`.
        index: usize,
        /// Why.
        error: Box<ModelError>,
    },
    /// An array is longer than [`MAX_ITEMS`].
    #[error("{0} has more than {MAX_ITEMS} items")]
    TooMany(String),
}

impl ModelError {
    /// A stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            ModelError::NotAnObject => "not_an_object",
            ModelError::MissingBaseContext => "missing_base_context",
            ModelError::BadContext(_) => "bad_context",
            ModelError::UnknownContext(_) => "unknown_context",
            ModelError::ProtectedTermRedefined(_) => "protected_term_redefined",
            ModelError::BadTermDefinition(_) => "bad_term_definition",
            ModelError::MissingType(_) => "missing_type",
            ModelError::UnmappedType(_) => "unmapped_type",
            ModelError::NotAUrl(_) => "not_a_url",
            ModelError::MissingIssuer => "missing_issuer",
            ModelError::BadSubject(_) => "bad_subject",
            ModelError::BadDate(_) => "bad_date",
            ModelError::DateOrder => "date_order",
            ModelError::BadLanguageValue(_) => "bad_language_value",
            ModelError::BadEntry { .. } => "bad_entry",
            ModelError::BadEnclosedCredential { .. } => "bad_enclosed_credential",
            ModelError::TooMany(_) => "too_many_items",
        }
    }
}

/// What the validator accepts beyond VC 2.0 itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ModelOptions {
    /// Accept VC 1.1 documents (base context [`CONTEXT_V1`], `issuanceDate`, `expirationDate`).
    pub allow_v1: bool,
    /// Refuse remote contexts outside [`KNOWN_CONTEXTS`].
    pub known_contexts_only: bool,
}

/// Which version of the data model a valid document follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelVersion {
    /// VC Data Model 1.1.
    V1_1,
    /// VC Data Model 2.0.
    V2_0,
}

/// Whether `text` is an absolute URL (RFC 3986 `scheme ":" rest`, no whitespace or control
/// characters, no characters RFC 3986 excludes).
pub fn is_url(text: &str) -> bool {
    let Some((scheme, rest)) = text.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    first_ok
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        && !rest.is_empty()
        && !text.chars().any(|c| {
            c.is_whitespace()
                || c.is_control()
                || matches!(c, '<' | '>' | '"' | '{' | '}' | '|' | '\\' | '^' | '`')
        })
}

/// The terms in scope after processing `@context`.
struct Terms {
    vocab: bool,
    open_world: bool,
    defined: Vec<String>,
    protected: Vec<(String, Value)>,
}

impl Terms {
    fn maps(&self, name: &str) -> bool {
        BASE_TERMS.contains(&name)
            || is_url(name)
            || self.defined.iter().any(|t| t == name)
            || self.vocab
            || self.open_world
    }
}

fn bounded<'a>(property: &str, items: &'a [Value]) -> Result<&'a [Value], ModelError> {
    if items.len() > MAX_ITEMS {
        Err(ModelError::TooMany(property.into()))
    } else {
        Ok(items)
    }
}

/// `@context` must be an array (an ordered set), except where `single_ok` (an enveloped
/// credential's context may be the base context alone, as a string).
fn contexts(
    doc: &Map<String, Value>,
    opts: &ModelOptions,
    single_ok: bool,
) -> Result<(ModelVersion, Terms), ModelError> {
    let items: Vec<&Value> = match doc.get("@context") {
        Some(Value::Array(items)) => bounded("@context", items)?.iter().collect(),
        Some(v @ Value::String(_)) if single_ok => vec![v],
        _ => return Err(ModelError::MissingBaseContext),
    };
    let version = match items.first().and_then(|v| v.as_str()) {
        Some(CONTEXT_V2) => ModelVersion::V2_0,
        Some(CONTEXT_V1) if opts.allow_v1 => ModelVersion::V1_1,
        _ => return Err(ModelError::MissingBaseContext),
    };
    let mut terms = Terms {
        vocab: version == ModelVersion::V2_0,
        open_world: false,
        defined: Vec::new(),
        protected: Vec::new(),
    };
    for item in &items[1..] {
        match item {
            Value::String(url) => {
                if !is_url(url) {
                    return Err(ModelError::BadContext(format!("{url:?}")));
                }
                if url == CONTEXT_V2 || url == CONTEXT_V1 {
                    return Err(ModelError::BadContext(format!(
                        "{url:?} (the base context must come first and only once)"
                    )));
                }
                if url == CONTEXT_EXAMPLES_V2 {
                    terms.vocab = true;
                } else if !KNOWN_CONTEXTS.contains(&url.as_str()) {
                    if opts.known_contexts_only {
                        return Err(ModelError::UnknownContext(url.clone()));
                    }
                    terms.open_world = true;
                }
            }
            Value::Object(ctx) => inline_context(ctx, &mut terms)?,
            other => return Err(ModelError::BadContext(other.to_string())),
        }
    }
    Ok((version, terms))
}

fn inline_context(ctx: &Map<String, Value>, terms: &mut Terms) -> Result<(), ModelError> {
    let protect = ctx.get("@protected") == Some(&Value::Bool(true));
    if ctx.len() > MAX_ITEMS {
        return Err(ModelError::TooMany("@context object".into()));
    }
    for (name, def) in ctx {
        match name.as_str() {
            "@vocab" => match def {
                Value::Null => terms.vocab = false,
                Value::String(s) if is_url(s) => terms.vocab = true,
                _ => return Err(ModelError::BadTermDefinition("@vocab".into())),
            },
            n if n.starts_with('@') => {}
            _ => {
                if BASE_TERMS.contains(&name.as_str()) {
                    return Err(ModelError::ProtectedTermRedefined(name.clone()));
                }
                if let Some((_, old)) = terms.protected.iter().find(|(t, _)| t == name) {
                    if old != def {
                        return Err(ModelError::ProtectedTermRedefined(name.clone()));
                    }
                }
                let iri = match def {
                    Value::String(s) => Some(s.as_str()),
                    Value::Object(o) => o.get("@id").and_then(Value::as_str),
                    Value::Null => None,
                    _ => return Err(ModelError::BadTermDefinition(name.clone())),
                };
                if let Some(iri) = iri {
                    if !(iri.starts_with('@') || is_url(iri)) {
                        return Err(ModelError::BadTermDefinition(name.clone()));
                    }
                    terms.defined.push(name.clone());
                }
                if protect {
                    terms.protected.push((name.clone(), def.clone()));
                }
            }
        }
    }
    Ok(())
}

fn types(
    doc: &Map<String, Value>,
    required: &'static str,
    terms: &Terms,
) -> Result<Vec<String>, ModelError> {
    let list: Vec<String> = match doc.get("type") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => bounded("type", items)?
            .iter()
            .map(|t| t.as_str().map(str::to_string))
            .collect::<Option<_>>()
            .ok_or(ModelError::MissingType(required))?,
        _ => return Err(ModelError::MissingType(required)),
    };
    if !list.iter().any(|t| t == required) {
        return Err(ModelError::MissingType(required));
    }
    if let Some(t) = list.iter().find(|t| !terms.maps(t)) {
        return Err(ModelError::UnmappedType(t.clone()));
    }
    Ok(list)
}

fn single_url(property: &str, v: &Value) -> Result<(), ModelError> {
    match v {
        Value::String(s) if is_url(s) => Ok(()),
        _ => Err(ModelError::NotAUrl(property.into())),
    }
}

fn optional_id(property: &str, obj: &Map<String, Value>) -> Result<(), ModelError> {
    match obj.get("id") {
        None => Ok(()),
        Some(v) => single_url(&format!("{property}.id"), v),
    }
}

fn language_value(property: &str, v: &Value) -> Result<(), ModelError> {
    let one = |v: &Value| match v {
        Value::String(_) => true,
        Value::Object(o) => {
            o.get("@value").is_some_and(Value::is_string)
                && o.get("@language").is_none_or(Value::is_string)
                && o.get("@direction").is_none_or(|d| d == "ltr" || d == "rtl")
                && o.keys()
                    .all(|k| matches!(k.as_str(), "@value" | "@language" | "@direction"))
        }
        _ => false,
    };
    let ok = match v {
        Value::Array(items) => items.len() <= MAX_ITEMS && items.iter().all(one),
        other => one(other),
    };
    if ok {
        Ok(())
    } else {
        Err(ModelError::BadLanguageValue(property.into()))
    }
}

fn names(property: &str, obj: &Map<String, Value>) -> Result<(), ModelError> {
    for member in ["name", "description"] {
        if let Some(v) = obj.get(member) {
            let path = if property.is_empty() {
                member.to_string()
            } else {
                format!("{property}.{member}")
            };
            language_value(&path, v)?;
        }
    }
    Ok(())
}

fn date(doc: &Map<String, Value>, name: &str) -> Result<Option<OffsetDateTime>, ModelError> {
    match doc.get(name) {
        None => Ok(None),
        Some(Value::String(s)) if is_date_time_stamp(s) => OffsetDateTime::parse(s, &Rfc3339)
            .map(Some)
            .map_err(|_| ModelError::BadDate(name.into())),
        Some(_) => Err(ModelError::BadDate(name.into())),
    }
}

/// `YYYY-MM-DDThh:mm:ss(.s+)?(Z|±hh:mm)` (the XML Schema dateTimeStamp lexical space, four-digit
/// years; RFC 3339 parsing does the range checks).
fn is_date_time_stamp(s: &str) -> bool {
    let b = s.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|x| x.iter().all(u8::is_ascii_digit));
    if b.len() < 20
        || !digits(0..4)
        || b[4] != b'-'
        || !digits(5..7)
        || b[7] != b'-'
        || !digits(8..10)
        || b[10] != b'T'
        || !digits(11..13)
        || b[13] != b':'
        || !digits(14..16)
        || b[16] != b':'
        || !digits(17..19)
    {
        return false;
    }
    let mut i = 19;
    if b[i] == b'.' {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    match &b[i..] {
        [b'Z'] => true,
        [s, h1, h2, b':', m1, m2] => {
            (*s == b'+' || *s == b'-') && [h1, h2, m1, m2].iter().all(|c| c.is_ascii_digit())
        }
        _ => false,
    }
}

/// An object or array of objects, each with a `type` (strings, each mapped); returns them.
fn entries<'a>(
    doc: &'a Map<String, Value>,
    property: &str,
    terms: &Terms,
) -> Result<Vec<&'a Map<String, Value>>, ModelError> {
    let bad = |problem: &str| ModelError::BadEntry {
        property: property.into(),
        problem: problem.into(),
    };
    let list: Vec<&Map<String, Value>> = match doc.get(property) {
        None => return Ok(Vec::new()),
        Some(Value::Object(o)) => vec![o],
        Some(Value::Array(items)) => bounded(property, items)?
            .iter()
            .map(Value::as_object)
            .collect::<Option<_>>()
            .ok_or_else(|| bad("must be an object or an array of objects"))?,
        Some(_) => return Err(bad("must be an object or an array of objects")),
    };
    for e in &list {
        let ok = match e.get("type") {
            Some(Value::String(t)) => terms.maps(t),
            Some(Value::Array(ts)) => {
                !ts.is_empty()
                    && ts.len() <= MAX_ITEMS
                    && ts.iter().all(|t| t.as_str().is_some_and(|t| terms.maps(t)))
            }
            _ => false,
        };
        if !ok {
            return Err(bad("every entry needs a type (a mapped term or URL)"));
        }
    }
    Ok(list)
}

/// Checks that `doc` is a well-formed (unsigned or secured) verifiable credential.
pub fn validate_credential(doc: &Value, opts: &ModelOptions) -> Result<ModelVersion, ModelError> {
    let doc = doc.as_object().ok_or(ModelError::NotAnObject)?;
    let (version, terms) = contexts(doc, opts, false)?;
    types(doc, "VerifiableCredential", &terms)?;
    if let Some(id) = doc.get("id") {
        single_url("id", id)?;
    }
    match doc.get("issuer") {
        None => return Err(ModelError::MissingIssuer),
        Some(Value::String(s)) if is_url(s) => {}
        Some(Value::Object(o)) => {
            match o.get("id") {
                Some(v) => single_url("issuer.id", v)?,
                None => return Err(ModelError::NotAUrl("issuer.id".into())),
            }
            names("issuer", o)?;
        }
        Some(_) => return Err(ModelError::NotAUrl("issuer".into())),
    }
    names("", doc)?;
    let subjects: Vec<&Map<String, Value>> = match doc.get("credentialSubject") {
        Some(Value::Object(o)) => vec![o],
        Some(Value::Array(items)) if !items.is_empty() => bounded("credentialSubject", items)?
            .iter()
            .map(Value::as_object)
            .collect::<Option<_>>()
            .ok_or_else(|| ModelError::BadSubject("every subject must be an object".into()))?,
        Some(_) => {
            return Err(ModelError::BadSubject(
                "must be an object or a non-empty array of objects".into(),
            ))
        }
        None => return Err(ModelError::BadSubject("is required".into())),
    };
    for s in &subjects {
        if s.is_empty() {
            return Err(ModelError::BadSubject(
                "a subject must make at least one claim or carry an id".into(),
            ));
        }
        optional_id("credentialSubject", s)?;
    }
    let (from_name, until_name) = match version {
        ModelVersion::V2_0 => ("validFrom", "validUntil"),
        ModelVersion::V1_1 => ("issuanceDate", "expirationDate"),
    };
    let from = date(doc, from_name)?;
    let until = date(doc, until_name)?;
    if version == ModelVersion::V1_1 && from.is_none() {
        return Err(ModelError::BadDate(
            "issuanceDate (required in VC 1.1)".into(),
        ));
    }
    if let (Some(f), Some(u)) = (from, until) {
        if u < f {
            return Err(ModelError::DateOrder);
        }
    }
    for e in entries(doc, "credentialStatus", &terms)? {
        optional_id("credentialStatus", e)?;
    }
    for e in entries(doc, "credentialSchema", &terms)? {
        match e.get("id") {
            Some(v) => single_url("credentialSchema.id", v)?,
            None => return Err(ModelError::NotAUrl("credentialSchema.id".into())),
        }
    }
    for property in ["evidence", "termsOfUse", "refreshService", "proof"] {
        for e in entries(doc, property, &terms)? {
            optional_id(property, e)?;
        }
    }
    Ok(version)
}

/// Checks that `doc` is a well-formed verifiable presentation: its own shape, and every
/// enclosed credential (an object; `EnvelopedVerifiableCredential`s need a `data:` URL id).
pub fn validate_presentation(doc: &Value, opts: &ModelOptions) -> Result<ModelVersion, ModelError> {
    let doc = doc.as_object().ok_or(ModelError::NotAnObject)?;
    let (version, terms) = contexts(doc, opts, false)?;
    types(doc, "VerifiablePresentation", &terms)?;
    if let Some(id) = doc.get("id") {
        single_url("id", id)?;
    }
    match doc.get("holder") {
        None => {}
        Some(Value::String(s)) if is_url(s) => {}
        Some(Value::Object(o)) => match o.get("id") {
            Some(v) => single_url("holder.id", v)?,
            None => return Err(ModelError::NotAUrl("holder.id".into())),
        },
        Some(_) => return Err(ModelError::NotAUrl("holder".into())),
    }
    let credentials: &[Value] = match doc.get("verifiableCredential") {
        None => &[],
        Some(Value::Array(items)) => bounded("verifiableCredential", items)?,
        Some(v @ Value::Object(_)) => std::slice::from_ref(v),
        Some(_) => {
            return Err(ModelError::BadEnclosedCredential {
                index: 0,
                error: Box::new(ModelError::NotAnObject),
            })
        }
    };
    for (index, c) in credentials.iter().enumerate() {
        let wrap = |error| ModelError::BadEnclosedCredential {
            index,
            error: Box::new(error),
        };
        let obj = c.as_object().ok_or_else(|| wrap(ModelError::NotAnObject))?;
        let enveloped = match obj.get("type") {
            Some(Value::String(t)) => t == "EnvelopedVerifiableCredential",
            Some(Value::Array(ts)) => ts.iter().any(|t| t == "EnvelopedVerifiableCredential"),
            _ => false,
        };
        let is_data_url = obj
            .get("id")
            .and_then(Value::as_str)
            .is_some_and(|s| s.starts_with("data:"));
        if enveloped || (is_data_url && !obj.contains_key("credentialSubject")) {
            if !enveloped {
                return Err(wrap(ModelError::MissingType(
                    "EnvelopedVerifiableCredential",
                )));
            }
            if !is_data_url {
                return Err(wrap(ModelError::NotAUrl("id (a data: URL)".into())));
            }
            contexts(obj, opts, true).map_err(wrap)?;
        } else {
            validate_credential(c, opts).map_err(wrap)?;
        }
    }
    if let Some(e) = entries(doc, "proof", &terms)?.into_iter().next() {
        optional_id("proof", e)?;
    }
    Ok(version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        for ok in [
            "https://a.example/x",
            "did:key:z6Mk",
            "urn:uuid:1",
            "data:,x",
        ] {
            assert!(is_url(ok), "{ok}");
        }
        for bad in ["https ://x", "fake", ":x", "1a:b", "a:", "http://a b", ""] {
            assert!(!is_url(bad), "{bad}");
        }
    }

    #[test]
    fn date_time_stamps() {
        for ok in [
            "2023-02-26T01:02:58.447Z",
            "2023-02-25T19:10:39-06:00",
            "4023-02-26T01:02:58Z",
        ] {
            assert!(is_date_time_stamp(ok), "{ok}");
        }
        for bad in [
            "2023-02-26T01:02:58",
            "2023-02-26 01:02:58Z",
            "Sat 25 Feb 2023",
            "2023-02-26T01:02:58.Z",
            "2023-02-26T01:02:58+0600",
        ] {
            assert!(!is_date_time_stamp(bad), "{bad}");
        }
    }
}
