//! The genesis document (`genesis.json`): chain id, validators, committee and configuration.

use std::collections::BTreeMap;

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

use crate::crypto::{Address, Hash, Keypair, PublicKey};
use crate::error::ChainError;

/// A validator listed in genesis (and in the on-chain validator set).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct GenesisValidator {
    /// Human-readable name.
    pub name: String,
    /// Consensus key.
    pub public_key: PublicKey,
    /// Voting power (> 0).
    pub power: u64,
}

/// The initial state of a chain.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct Genesis {
    /// Chain id, `[a-z0-9-]{1,32}`.
    pub chain_id: String,
    /// Genesis block timestamp, ms since the Unix epoch.
    pub timestamp_ms: u64,
    /// Initial validator set.
    pub validators: Vec<GenesisValidator>,
    /// Initial governance committee.
    pub committee: Vec<Address>,
    /// Initial chain configuration values.
    #[serde(default)]
    pub config: BTreeMap<String, String>,
}

/// Whether `id` is a valid chain id: 1 to 32 characters of `[a-z0-9-]`.
pub fn is_valid_chain_id(id: &str) -> bool {
    (1..=32).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

impl Genesis {
    /// A genesis with one validator (power 1) and the given committee, timestamp 0.
    pub fn single_validator(
        chain_id: impl Into<String>,
        validator: &Keypair,
        committee: Vec<Address>,
    ) -> Genesis {
        Genesis {
            chain_id: chain_id.into(),
            timestamp_ms: 0,
            validators: vec![GenesisValidator {
                name: "validator-0".into(),
                public_key: validator.public_key(),
                power: 1,
            }],
            committee,
            config: BTreeMap::new(),
        }
    }

    /// Checks the document is usable.
    pub fn validate(&self) -> Result<(), ChainError> {
        let bad = |m: &str| Err(ChainError::InvalidGenesis(m.to_string()));
        if !is_valid_chain_id(&self.chain_id) {
            return bad("chain_id must match [a-z0-9-]{1,32}");
        }
        if self.validators.is_empty() {
            return bad("at least one validator is required");
        }
        if self.validators.iter().any(|v| v.power == 0) {
            return bad("validator power must be positive");
        }
        if self
            .validators
            .iter()
            .any(|v| v.public_key.to_verifying_key().is_none())
        {
            return bad("validator public key is not a valid Ed25519 key");
        }
        let mut keys: Vec<_> = self.validators.iter().map(|v| v.public_key).collect();
        keys.sort();
        keys.dedup();
        if keys.len() != self.validators.len() {
            return bad("duplicate validator key");
        }
        if self.committee.is_empty() {
            return bad("the governance committee must not be empty");
        }
        Ok(())
    }

    /// SHA-256 of the borsh encoding; identifies the chain in the data directory.
    pub fn hash(&self) -> Hash {
        Hash::sha256(&borsh::to_vec(self).expect("write to Vec"))
    }
}
