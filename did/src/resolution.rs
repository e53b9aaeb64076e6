//! W3C DID Resolution results: document metadata and times.

use serde_json::{json, Map, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::did::Did;
use crate::document;
use crate::error::DidError;
use crate::registry::Resolution;

/// `ms` since the epoch as an XML Schema `dateTime` in UTC to the second (`2026-01-02T03:04:05Z`).
pub fn format_time(ms: u64) -> String {
    let secs = i64::try_from(ms / 1000).unwrap_or(i64::MAX);
    match OffsetDateTime::from_unix_timestamp(secs).and_then(|t| t.replace_nanosecond(0)) {
        Ok(t) => t.format(&Rfc3339).unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// Parses an RFC 3339 time (a `versionTime`) into ms since the epoch.
pub fn parse_time(text: &str) -> Result<u64, DidError> {
    let t = OffsetDateTime::parse(text, &Rfc3339)
        .map_err(|e| DidError::InvalidDid(format!("versionTime {text:?}: {e}")))?;
    let ms = t.unix_timestamp_nanos() / 1_000_000;
    u64::try_from(ms).map_err(|_| DidError::InvalidDid("versionTime before 1970".into()))
}

/// `didDocumentMetadata` of a resolved `did:weft` version.
pub fn document_metadata(res: &Resolution) -> Value {
    let mut m = Map::new();
    m.insert("created".into(), json!(format_time(res.head.created_ms)));
    if res.version > 1 {
        m.insert(
            "updated".into(),
            json!(format_time(res.record.timestamp_ms)),
        );
    }
    m.insert("versionId".into(), json!(res.version.to_string()));
    if let Some(next) = res.next_update_ms {
        m.insert("nextUpdate".into(), json!(format_time(next)));
        m.insert("nextVersionId".into(), json!((res.version + 1).to_string()));
    }
    if res.head.deactivated {
        m.insert("deactivated".into(), json!(true));
    }
    Value::Object(m)
}

/// The document of a resolved `did:weft` version.
pub fn document(did: &Did, res: &Resolution) -> Value {
    match did {
        Did::Weft { chain_id, address } => document::render(chain_id, *address, &res.record.state),
        Did::Key(key) => document::render_did_key(key),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_round_trip_to_the_second() {
        let ms = 1_763_719_200_123;
        let text = format_time(ms);
        assert_eq!(text, "2025-11-21T10:00:00Z");
        assert_eq!(parse_time(&text).unwrap(), 1_763_719_200_000);
        assert_eq!(
            parse_time("2025-11-21T10:00:00.5+00:00").unwrap(),
            1_763_719_200_500
        );
        assert!(parse_time("yesterday").is_err());
        assert!(parse_time("1960-01-01T00:00:00Z").is_err());
    }
}
