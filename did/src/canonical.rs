//! Canonical JSON: RFC 8785 (JCS) — members sorted by the UTF-16 code units of their keys, no
//! insignificant whitespace, minimal string escapes, numbers in their ECMAScript form.
//!
//! Used for CPT digests and for Data Integrity proofs, so a digest or signature made elsewhere
//! by a conformant implementation matches ours.

use serde_json::Value;

/// The canonical text of `value`.
pub fn to_string(value: &Value) -> String {
    // A `Value` holds no NaN or infinity, the only inputs JCS refuses.
    serde_json_canonicalizer::to_string(value).expect("every serde_json::Value has a JCS form")
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

    #[test]
    fn numbers_take_their_ecmascript_form() {
        let v: Value = serde_json::from_str(r#"[1.0, 1e21, 1e-7, 0.1, -0.0, 100]"#).unwrap();
        assert_eq!(to_string(&v), "[1,1e+21,1e-7,0.1,0,100]");
    }

    #[test]
    fn keys_sort_by_utf16_code_units() {
        // U+1F600 is the surrogate pair D83D DE00, which sorts before U+FB01 (UTF-16) although
        // its UTF-8 bytes sort after.
        let v: Value = serde_json::from_str(r#"{"\ufb01": 1, "\ud83d\ude00": 2}"#).unwrap();
        assert_eq!(to_string(&v), "{\"\u{1f600}\":2,\"\u{fb01}\":1}");
    }
}
