//! The verification policy: which checks run for a credential, separate from how each runs.
//!
//! The VC API names the checks a caller wants in `options.checks`; [`Checks`] is that list,
//! typed ([`CheckKind`], serde as the VC API strings). [`plan`] decides, from the caller's
//! options and the credential itself, which of the [`super::verify`] checks run:
//!
//! | check | default (no `checks`) | with `checks` |
//! |---|---|---|
//! | `proof` (key, signature, purpose) | always | always (it cannot be turned off) |
//! | `expiration` (validFrom, validUntil) | yes | if listed |
//! | `status` | if `check_status` (default) and the credential has one | if listed |
//! | `issuer-standing` | issuer is a `did:weft` of this chain, or the credential pins a CPT, or trusted issuers / an issuer type / issuer keys were given | if listed, or the credential pins a CPT, or trusted issuers / an issuer type / issuer keys were given |
//! | `schema` (CPT pin and claims) | issuer is a `did:weft` of this chain (a status list credential excepted), or a CPT pin, or `require_schema` | if listed, or the credential pins a CPT |
//! | `evidence` | if `check_evidence` | if listed or `check_evidence` |
//!
//! A credential that pins a Weft CPT claims Weft semantics, so its schema and its issuer's
//! standing are checked whatever was asked. A caller who names trusted issuers (or an issuer
//! type, or issuer keys) asks for the issuer to be judged by them, so `issuer-standing` runs
//! then too, even with `checks: ["proof"]`: a credential claiming a trusted issuer but signed by
//! a key not bound to it fails. A check that does not run is reported as passed
//! with reason `not_requested` (or `not_applicable`), so the report always names every check.
//!
//! # Trust in URL issuers
//!
//! A DID issuer is bound to its keys by its DID document: the proof's verification method must
//! belong to the issuer's DID. A URL issuer (`https://…`) has no document Weft can read, so
//! nothing in the credential proves which key speaks for it: a trusted URL issuer passes
//! `issuer-standing` only with an [`IssuerKeyBinding`] naming the verification method (or its
//! DID) that signed. Without `issuer-standing` the report says the link was not checked.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

/// One check the VC API lets a caller ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum CheckKind {
    /// The proof: key, signature and purpose.
    #[serde(rename = "proof")]
    Proof,
    /// The validity period (`validFrom`, `validUntil`; VC 1.1 `issuanceDate`,
    /// `expirationDate`).
    #[serde(
        rename = "expiration",
        alias = "validity",
        alias = "validUntil",
        alias = "expirationDate"
    )]
    Expiration,
    /// `credentialStatus`.
    #[serde(rename = "status", alias = "credentialStatus")]
    Status,
    /// The CPT pin (`credentialSchema`) and the claims against it.
    #[serde(rename = "schema", alias = "credentialSchema")]
    Schema,
    /// The issuer's standing (authority issuer, issuer type, trusted issuer).
    #[serde(rename = "issuer-standing", alias = "issuer")]
    IssuerStanding,
    /// Evidence anchoring of the credential's hash.
    #[serde(rename = "evidence")]
    Evidence,
}

impl CheckKind {
    /// The VC API name.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckKind::Proof => "proof",
            CheckKind::Expiration => "expiration",
            CheckKind::Status => "status",
            CheckKind::Schema => "schema",
            CheckKind::IssuerStanding => "issuer-standing",
            CheckKind::Evidence => "evidence",
        }
    }
}

/// Most names accepted in one `checks` list.
pub const MAX_CHECKS: usize = 16;

/// The set of checks a caller asked for (`options.checks`). Serde: an array of
/// [`CheckKind`] names; an unknown name is an error, not ignored.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(transparent)]
pub struct Checks(BTreeSet<CheckKind>);

impl<'de> Deserialize<'de> for Checks {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let list = Vec::<CheckKind>::deserialize(d)?;
        if list.len() > MAX_CHECKS {
            return Err(serde::de::Error::custom(format!(
                "at most {MAX_CHECKS} checks"
            )));
        }
        Ok(Checks(list.into_iter().collect()))
    }
}

impl Checks {
    /// The given checks.
    pub fn of(kinds: &[CheckKind]) -> Checks {
        Checks(kinds.iter().copied().collect())
    }

    /// Whether `kind` was asked for.
    pub fn contains(&self, kind: CheckKind) -> bool {
        self.0.contains(&kind)
    }

    /// The checks, in a stable order.
    pub fn iter(&self) -> impl Iterator<Item = CheckKind> + '_ {
        self.0.iter().copied()
    }
}

/// A URL issuer bound to a key that may sign for it (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IssuerKeyBinding {
    /// The issuer as credentials name it (`https://issuer.example/`).
    pub issuer: String,
    /// A verification method DID URL (`did:key:z6Mk…#z6Mk…`) or a DID (any of its keys).
    pub verification_method: String,
}

impl IssuerKeyBinding {
    /// Whether this binding lets `method` sign for `issuer`.
    pub fn allows(&self, issuer: &str, method: &str) -> bool {
        let did = method.split_once('#').map_or(method, |(d, _)| d);
        self.issuer == issuer
            && (self.verification_method == method || self.verification_method == did)
    }
}

/// Why a check does or does not run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// The check runs.
    Run,
    /// The check does not run; the report says why (`not_requested`) with this detail.
    Skip(&'static str),
}

impl Decision {
    /// Whether the check runs.
    pub fn runs(&self) -> bool {
        matches!(self, Decision::Run)
    }
}

/// Which checks run for one credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// `valid_from` / `valid_until`.
    pub expiration: Decision,
    /// `status`.
    pub status: Decision,
    /// `issuer`.
    pub issuer: Decision,
    /// `schema`.
    pub schema: Decision,
    /// `evidence`.
    pub evidence: Decision,
}

/// What [`plan`] needs to know about the credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CredentialTraits {
    /// The issuer is a `did:weft` of the verifier's chain.
    pub weft_local_issuer: bool,
    /// The credential pins a Weft CPT (`urn:weft:cpt:…`).
    pub cpt_pinned: bool,
    /// The credential is a `BitstringStatusListCredential`.
    pub status_list: bool,
}

/// The caller's side of [`plan`] (a view of [`super::verify::VerifyOptions`]).
#[derive(Debug, Clone, Copy)]
pub struct Asked<'a> {
    /// `options.checks`.
    pub checks: Option<&'a Checks>,
    /// Legacy `checkStatus` (default true).
    pub check_status: bool,
    /// Legacy `checkEvidence`.
    pub check_evidence: bool,
    /// Require a CPT pin whatever the issuer.
    pub require_schema: bool,
    /// Trusted issuers, an issuer type or issuer keys were given.
    pub issuer_policy_given: bool,
}

/// Decides which checks run (see the module docs for the table).
pub fn plan(asked: &Asked<'_>, traits: CredentialTraits) -> Plan {
    let run = |yes: bool, why: &'static str| {
        if yes {
            Decision::Run
        } else {
            Decision::Skip(why)
        }
    };
    match asked.checks {
        Some(checks) => Plan {
            expiration: run(
                checks.contains(CheckKind::Expiration),
                "expiration was not in options.checks",
            ),
            status: run(
                checks.contains(CheckKind::Status),
                "status was not in options.checks",
            ),
            issuer: run(
                checks.contains(CheckKind::IssuerStanding)
                    || traits.cpt_pinned
                    || asked.issuer_policy_given,
                "issuer-standing was not in options.checks: who the issuer is, and which keys \
                 speak for a URL issuer, was not checked",
            ),
            schema: run(
                checks.contains(CheckKind::Schema) || traits.cpt_pinned || asked.require_schema,
                "schema was not in options.checks",
            ),
            evidence: run(
                checks.contains(CheckKind::Evidence) || asked.check_evidence,
                "evidence was not in options.checks",
            ),
        },
        None => Plan {
            expiration: Decision::Run,
            status: run(asked.check_status, "status checking was turned off"),
            issuer: run(
                traits.weft_local_issuer || traits.cpt_pinned || asked.issuer_policy_given,
                "the issuer is not a did:weft of this chain and no issuer policy was given: who \
                 the issuer is, and which keys speak for a URL issuer, was not checked",
            ),
            schema: run(
                (traits.weft_local_issuer && !traits.status_list)
                    || traits.cpt_pinned
                    || asked.require_schema,
                "no Weft CPT pin is expected of this issuer",
            ),
            evidence: run(asked.check_evidence, "evidence was not requested"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_parse_vc_api_names_and_refuse_unknown() {
        let c: Checks =
            serde_json::from_str(r#"["proof","credentialStatus","issuer-standing"]"#).unwrap();
        assert!(c.contains(CheckKind::Proof));
        assert!(c.contains(CheckKind::Status));
        assert!(c.contains(CheckKind::IssuerStanding));
        assert!(!c.contains(CheckKind::Schema));
        assert!(serde_json::from_str::<Checks>(r#"["proof","telepathy"]"#).is_err());
        assert!(serde_json::from_str::<Checks>(r#""proof""#).is_err());
        let many = serde_json::to_string(&vec!["proof"; MAX_CHECKS + 1]).unwrap();
        assert!(serde_json::from_str::<Checks>(&many).is_err());
        assert_eq!(
            serde_json::to_string(&Checks::of(&[CheckKind::Schema, CheckKind::Proof])).unwrap(),
            r#"["proof","schema"]"#
        );
    }

    #[test]
    fn cpt_pin_forces_schema_and_issuer() {
        let checks = Checks::of(&[CheckKind::Proof]);
        let asked = Asked {
            checks: Some(&checks),
            check_status: true,
            check_evidence: false,
            require_schema: false,
            issuer_policy_given: false,
        };
        let foreign = CredentialTraits {
            weft_local_issuer: false,
            cpt_pinned: false,
            status_list: false,
        };
        let p = plan(&asked, foreign);
        assert!(!p.issuer.runs() && !p.schema.runs() && !p.status.runs());
        let pinned = CredentialTraits {
            cpt_pinned: true,
            ..foreign
        };
        let p = plan(&asked, pinned);
        assert!(p.issuer.runs() && p.schema.runs());
        // Naming trusted issuers asks for the issuer check, even with checks ["proof"].
        let with_policy = Asked {
            issuer_policy_given: true,
            ..asked
        };
        let p = plan(&with_policy, foreign);
        assert!(p.issuer.runs() && !p.schema.runs() && !p.status.runs());
    }

    #[test]
    fn url_issuer_binding() {
        let b = IssuerKeyBinding {
            issuer: "https://i.example/".into(),
            verification_method: "did:key:z6MkA".into(),
        };
        assert!(b.allows("https://i.example/", "did:key:z6MkA#z6MkA"));
        assert!(!b.allows("https://i.example/", "did:key:z6MkB#z6MkB"));
        assert!(!b.allows("https://other.example/", "did:key:z6MkA#z6MkA"));
    }
}
