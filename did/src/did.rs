//! DID syntax: `did:weft:<chain-id>:0x<40 hex>` and `did:key:z6Mk...` (Ed25519).

use std::fmt;
use std::str::FromStr;

use weft_chain::{is_valid_chain_id, Address, PublicKey};

use crate::error::DidError;
use crate::multikey;

/// Longest DID accepted anywhere (bytes).
pub const MAX_DID_LEN: usize = 256;

/// A DID this library understands.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Did {
    /// `did:weft:<chain-id>:0x<address>`: a document registered on a Weft chain.
    Weft {
        /// The chain's id.
        chain_id: String,
        /// The DID's id: the address of the key that created it.
        address: Address,
    },
    /// `did:key:<multikey>`: an Ed25519 key, resolved locally.
    Key(PublicKey),
}

impl Did {
    /// The `did:weft` DID of `address` on `chain_id`.
    pub fn weft(chain_id: &str, address: Address) -> Did {
        Did::Weft {
            chain_id: chain_id.to_string(),
            address,
        }
    }

    /// Parses a DID. Syntax errors are [`DidError::InvalidDid`]; a well-formed DID of another
    /// method is [`DidError::MethodNotSupported`].
    pub fn parse(text: &str) -> Result<Did, DidError> {
        let invalid = |why: &str| DidError::InvalidDid(why.to_string());
        if text.len() > MAX_DID_LEN {
            return Err(invalid("longer than 256 bytes"));
        }
        let rest = text
            .strip_prefix("did:")
            .ok_or_else(|| invalid("must start with \"did:\""))?;
        let (method, specific) = rest
            .split_once(':')
            .ok_or_else(|| invalid("missing method-specific id"))?;
        if method.is_empty()
            || !method
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        {
            return Err(invalid("method name must be lowercase letters and digits"));
        }
        if specific.is_empty() || !specific.bytes().all(is_id_char) {
            return Err(invalid("bad method-specific id"));
        }
        match method {
            "weft" => {
                let (chain_id, hex_part) = specific
                    .rsplit_once(':')
                    .ok_or_else(|| invalid("expected did:weft:<chain-id>:0x<40 hex>"))?;
                if !is_valid_chain_id(chain_id) {
                    return Err(invalid("bad chain id"));
                }
                let digits = hex_part
                    .strip_prefix("0x")
                    .ok_or_else(|| invalid("the id must be 0x + 40 hex digits"))?;
                if digits.len() != 40
                    || !digits
                        .bytes()
                        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
                {
                    return Err(invalid("the id must be 0x + 40 lowercase hex digits"));
                }
                let address = Address::from_str(hex_part)
                    .map_err(|_| invalid("the id must be 0x + 40 hex digits"))?;
                Ok(Did::weft(chain_id, address))
            }
            "key" => match multikey::decode(specific) {
                Ok(key) => Ok(Did::Key(key)),
                Err(e) => Err(DidError::InvalidDid(e.to_string())),
            },
            other => Err(DidError::MethodNotSupported(other.to_string())),
        }
    }
}

/// Characters of a method-specific id (DID Core `idchar`, plus `:`; no percent-encoding).
fn is_id_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b':')
}

impl fmt::Display for Did {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Did::Weft { chain_id, address } => write!(f, "did:weft:{chain_id}:{address}"),
            Did::Key(key) => write!(f, "did:key:{}", multikey::encode(key)),
        }
    }
}

impl FromStr for Did {
    type Err = DidError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Did::parse(s)
    }
}

impl serde::Serialize for Did {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Did {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <String as serde::Deserialize>::deserialize(d)?;
        Did::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use weft_chain::Keypair;

    #[test]
    fn weft_round_trip() {
        let addr = Keypair::from_seed(&[1; 32]).address();
        let did = Did::weft("weft-local", addr);
        let text = did.to_string();
        assert_eq!(text, format!("did:weft:weft-local:{addr}"));
        assert_eq!(Did::parse(&text).unwrap(), did);
    }

    #[test]
    fn key_round_trip() {
        let key = Keypair::from_seed(&[2; 32]).public_key();
        let text = Did::Key(key).to_string();
        assert!(text.starts_with("did:key:z6Mk"));
        assert_eq!(Did::parse(&text).unwrap(), Did::Key(key));
    }

    #[test]
    fn error_kinds() {
        let invalid = [
            "",
            "did",
            "did:",
            "did:weft",
            "did:weft:",
            "weft:x:0x00",
            "did:WEFT:c:0x0000000000000000000000000000000000000000",
            "did:weft:c:0x00",
            "did:weft:c:0x000000000000000000000000000000000000000g",
            "did:weft:c:0X0000000000000000000000000000000000000000",
            "did:weft:c:0xAB00000000000000000000000000000000000000",
            "did:weft:0x0000000000000000000000000000000000000000",
            "did:weft:c%20:0x0000000000000000000000000000000000000000",
            "did:key:zNotAKey",
            "did:key:",
        ];
        for text in invalid {
            assert!(
                matches!(Did::parse(text), Err(DidError::InvalidDid(_))),
                "{text:?} -> {:?}",
                Did::parse(text)
            );
        }
        assert!(matches!(
            Did::parse("did:example:123"),
            Err(DidError::MethodNotSupported(m)) if m == "example"
        ));
        assert!(Did::parse(&format!(
            "did:weft:{}:0x{}",
            "a".repeat(300),
            "0".repeat(40)
        ))
        .is_err());
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in ".{0,300}") {
            let _ = Did::parse(&s);
        }

        #[test]
        fn parse_display_inverse(bytes in any::<[u8; 20]>()) {
            let did = Did::weft("weft-test", Address(bytes));
            prop_assert_eq!(Did::parse(&did.to_string()).unwrap(), did);
        }
    }
}
