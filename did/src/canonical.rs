//! Canonical JSON: object members sorted by key, no insignificant whitespace, strings escaped
//! minimally (as RFC 8785 JCS does).
//!
//! This is JCS for documents whose numbers are integers (every schema and DID document here);
//! non-integral numbers are written by `serde_json` (shortest round-trip form), which can differ
//! from JCS's ECMAScript form for some exponents. Keys are sorted by their UTF-8 bytes, which
//! differs from JCS's UTF-16 order only for keys mixing characters above U+FFFF with
//! U+E000..U+FFFF.

use serde_json::Value;

/// The canonical text of `value`.
pub fn to_string(value: &Value) -> String {
    // serde_json's Map is a BTreeMap in this workspace (no `preserve_order` feature), so
    // serialising sorts keys; the compact serializer adds no whitespace.
    serde_json::to_string(value).expect("a Value always serialises")
}

/// The canonical bytes of `value`.
pub fn to_vec(value: &Value) -> Vec<u8> {
    to_string(value).into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_and_compact() {
        let v: Value =
            serde_json::from_str(r#"{ "b": [1, {"z": 1, "a": "\u00e9\n"}], "a": null }"#).unwrap();
        assert_eq!(
            to_string(&v),
            "{\"a\":null,\"b\":[1,{\"a\":\"\u{e9}\\n\",\"z\":1}]}"
        );
    }
}
