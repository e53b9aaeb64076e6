//! The `issuer` module: authority-issuer applications and specific issuer types (whitelists).
//!
//! # Who decides what (always checked on the transaction signer)
//!
//! - **Apply**: any account with an active DID applies for itself with a name and a description
//!   (re-applying updates them; the applicant counter counts accounts, not applications).
//! - **Recognise / de-recognise**: a committee decision in the governance module,
//!   `Action::Grant` / `Action::Revoke` of [`permissions::AUTHORITY_ISSUER`] to the applicant's
//!   address, voted like every proposal (only committee members may propose or vote). An account
//!   is an *authority issuer* when it has applied, holds that permission and its DID is active;
//!   a grant to an account that never applied recognises nothing.
//! - **Issuer types**: an authority issuer creates a type and becomes its owner; only the owner,
//!   while it is still an authority issuer, adds or removes members. Adding a member twice or
//!   removing a non-member changes nothing (counters stay exact).
//!
//! # State (namespace `issuer`)
//!
//! `a/<addr>` → [`Application`]; `n` → applicant count (u64 BE); `i/<index u64 BE>` → address;
//! `t/<type>` → [`IssuerType`]; `m/<type>\0<addr>` → membership marker;
//! `x/<type>\0<index u64 BE>` → address of the index-th member ever added (listing).

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};
use weft_chain::governance::permissions;
use weft_chain::{Address, Call, Module, ModuleError, ReadContext, TxContext};

use crate::registry;

/// Module name and state namespace.
pub const NAME: &str = "issuer";

/// Longest issuer name or type name (bytes).
pub const MAX_NAME: usize = 128;
/// Longest description (bytes).
pub const MAX_DESCRIPTION: usize = 1024;
/// Largest page of a listing.
pub const MAX_PAGE: u64 = 1000;

/// An `issuer` transaction.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub enum IssuerCall {
    /// Apply (or update the application) to be an authority issuer.
    Apply {
        /// Display name.
        name: String,
        /// Who the issuer is and what it issues.
        description: String,
    },
    /// Create an issuer type owned by the signer (an authority issuer).
    CreateType {
        /// Type name (`[A-Za-z0-9._-]`).
        name: String,
    },
    /// Add a member to a type (its owner only).
    AddMember {
        /// Type name.
        type_name: String,
        /// The member (a DID's address).
        member: Address,
    },
    /// Remove a member from a type (its owner only).
    RemoveMember {
        /// Type name.
        type_name: String,
        /// The member.
        member: Address,
    },
}

impl IssuerCall {
    /// The method name used in [`Call::method`].
    pub fn method(&self) -> &'static str {
        match self {
            IssuerCall::Apply { .. } => "apply",
            IssuerCall::CreateType { .. } => "create_type",
            IssuerCall::AddMember { .. } => "add_member",
            IssuerCall::RemoveMember { .. } => "remove_member",
        }
    }

    /// The chain [`Call`] of this transaction.
    pub fn call(&self) -> Call {
        Call {
            module: NAME.to_string(),
            method: self.method().to_string(),
            args: borsh::to_vec(self).expect("write to Vec"),
        }
    }
}

/// An `issuer` query.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum IssuerQuery {
    /// Returns borsh `Option<IssuerInfo>`.
    Issuer {
        /// The account.
        account: Address,
    },
    /// Returns borsh `(u64, Vec<IssuerInfo>)`: the applicant count and one page of applicants
    /// in application order.
    List {
        /// First index.
        offset: u64,
        /// Page size (at most [`MAX_PAGE`]).
        limit: u64,
    },
    /// Returns borsh `Option<(IssuerType, Vec<Address>)>`: the type and its current members
    /// among the page of ever-added members `[offset, offset + limit)`.
    Type {
        /// Type name.
        name: String,
        /// First index.
        offset: u64,
        /// Page size (at most [`MAX_PAGE`]).
        limit: u64,
    },
    /// Returns borsh `bool`.
    IsMember {
        /// Type name.
        type_name: String,
        /// The account.
        account: Address,
    },
}

impl IssuerQuery {
    /// The method name used with `Node::call`.
    pub fn method(&self) -> &'static str {
        match self {
            IssuerQuery::Issuer { .. } => "issuer",
            IssuerQuery::List { .. } => "list",
            IssuerQuery::Type { .. } => "type",
            IssuerQuery::IsMember { .. } => "is_member",
        }
    }

    /// `(method, args)` for `Node::call`.
    pub fn args(&self) -> (&'static str, Vec<u8>) {
        (self.method(), borsh::to_vec(self).expect("write to Vec"))
    }
}

/// An application to be an authority issuer.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct Application {
    /// Display name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Height of the first application.
    pub applied_height: u64,
}

/// An applicant and its standing.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct IssuerInfo {
    /// The account (its DID's address).
    pub account: Address,
    /// The application.
    pub application: Application,
    /// Whether the committee's grant is in force (and the DID active).
    pub recognised: bool,
}

/// A specific issuer type (whitelist).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct IssuerType {
    /// Type name.
    pub name: String,
    /// The authority issuer that created it.
    pub owner: Address,
    /// Current members.
    pub member_count: u64,
    /// Members ever added (length of the listing index).
    pub index_len: u64,
}

fn app_key(a: &Address) -> Vec<u8> {
    [b"a/".as_slice(), &a.0].concat()
}
fn index_key(i: u64) -> Vec<u8> {
    [b"i/".as_slice(), &i.to_be_bytes()].concat()
}
fn type_key(name: &str) -> Vec<u8> {
    [b"t/".as_slice(), name.as_bytes()].concat()
}
fn member_key(name: &str, a: &Address) -> Vec<u8> {
    [b"m/".as_slice(), name.as_bytes(), &[0], &a.0].concat()
}
fn member_index_key(name: &str, i: u64) -> Vec<u8> {
    [b"x/".as_slice(), name.as_bytes(), &[0], &i.to_be_bytes()].concat()
}
const COUNT_KEY: &[u8] = b"n";

fn stored<T: BorshDeserialize>(bytes: &[u8]) -> Result<T, ModuleError> {
    borsh::from_slice(bytes).map_err(|e| ModuleError::Storage(format!("corrupt issuer state: {e}")))
}

fn read_u64(bytes: Option<Vec<u8>>) -> Result<u64, ModuleError> {
    match bytes {
        None => Ok(0),
        Some(b) => stored(&b),
    }
}

/// Read access to the `issuer` namespace and governance grants, from any context.
pub trait IssuerReader: registry::DidReader {
    /// The value at `key` of namespace `issuer`.
    fn issuer_get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, ModuleError>;
    /// Whether governance granted `permission` to `account`.
    fn granted(&self, account: &Address, permission: &str) -> Result<bool, ModuleError>;
}

impl IssuerReader for TxContext<'_> {
    fn issuer_get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, ModuleError> {
        self.read(NAME, key)
    }
    fn granted(&self, account: &Address, permission: &str) -> Result<bool, ModuleError> {
        self.has_permission(account, permission)
    }
}

impl IssuerReader for ReadContext<'_> {
    fn issuer_get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, ModuleError> {
        self.read(NAME, key)
    }
    fn granted(&self, account: &Address, permission: &str) -> Result<bool, ModuleError> {
        self.has_permission(account, permission)
    }
}

/// The application and standing of `account`, if it applied.
pub fn issuer_info(
    r: &impl IssuerReader,
    account: &Address,
) -> Result<Option<IssuerInfo>, ModuleError> {
    let Some(bytes) = r.issuer_get(&app_key(account))? else {
        return Ok(None);
    };
    let application: Application = stored(&bytes)?;
    let recognised =
        r.granted(account, permissions::AUTHORITY_ISSUER)? && registry::is_active(r, account)?;
    Ok(Some(IssuerInfo {
        account: *account,
        application,
        recognised,
    }))
}

/// Whether `account` is a recognised authority issuer (applied, granted, DID active).
pub fn is_authority_issuer(r: &impl IssuerReader, account: &Address) -> Result<bool, ModuleError> {
    Ok(issuer_info(r, account)?.is_some_and(|i| i.recognised))
}

fn check_name(what: &str, s: &str, ident: bool) -> Result<(), ModuleError> {
    let ok = !s.is_empty()
        && s.len() <= MAX_NAME
        && if ident {
            s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        } else {
            !s.chars().any(char::is_control)
        };
    if ok {
        Ok(())
    } else if ident {
        Err(ModuleError::InvalidArgs(format!(
            "{what} must be 1..={MAX_NAME} characters of A-Z a-z 0-9 . _ -"
        )))
    } else {
        Err(ModuleError::InvalidArgs(format!(
            "{what} must be 1..={MAX_NAME} bytes without control characters"
        )))
    }
}

/// The `issuer` module.
#[derive(Debug, Clone, Copy, Default)]
pub struct IssuerRegistry;

impl IssuerRegistry {
    fn apply(
        ctx: &mut TxContext<'_>,
        name: String,
        description: String,
    ) -> Result<(), ModuleError> {
        check_name("issuer name", &name, false)?;
        if description.len() > MAX_DESCRIPTION
            || description.chars().any(|c| c.is_control() && c != '\n')
        {
            return Err(ModuleError::InvalidArgs(format!(
                "description must be at most {MAX_DESCRIPTION} bytes without control characters"
            )));
        }
        let signer = ctx.signer();
        if !registry::is_active(ctx, &signer)? {
            return Err(ModuleError::Unauthorized(format!(
                "{signer} has no active DID: create one before applying"
            )));
        }
        let existing: Option<Application> = ctx
            .get(&app_key(&signer))?
            .map(|b| stored(&b))
            .transpose()?;
        let applied_height = match &existing {
            Some(a) => a.applied_height,
            None => {
                let n = read_u64(ctx.get(COUNT_KEY)?)?;
                ctx.set(&index_key(n), signer.0.to_vec());
                ctx.set(COUNT_KEY, borsh::to_vec(&(n + 1)).expect("write to Vec"));
                ctx.height()
            }
        };
        let app = Application {
            name,
            description,
            applied_height,
        };
        if existing.as_ref() != Some(&app) {
            ctx.set(
                &app_key(&signer),
                borsh::to_vec(&app).expect("write to Vec"),
            );
            ctx.emit(
                "applied",
                vec![
                    ("account".into(), signer.to_string()),
                    ("name".into(), app.name),
                ],
            );
        }
        Ok(())
    }

    fn owned_type(ctx: &TxContext<'_>, name: &str) -> Result<IssuerType, ModuleError> {
        let t: IssuerType = match ctx.get(&type_key(name))? {
            Some(b) => stored(&b)?,
            None => return Err(ModuleError::NotFound(format!("issuer type {name:?}"))),
        };
        let signer = ctx.signer();
        if t.owner != signer || !is_authority_issuer(ctx, &signer)? {
            return Err(ModuleError::Unauthorized(format!(
                "only the owner of issuer type {name:?}, while an authority issuer, manages it"
            )));
        }
        Ok(t)
    }

    fn create_type(ctx: &mut TxContext<'_>, name: String) -> Result<(), ModuleError> {
        check_name("type name", &name, true)?;
        let signer = ctx.signer();
        if !is_authority_issuer(ctx, &signer)? {
            return Err(ModuleError::Unauthorized(format!(
                "{signer} is not a recognised authority issuer"
            )));
        }
        if ctx.get(&type_key(&name))?.is_some() {
            return Err(ModuleError::Rejected(format!(
                "issuer type {name:?} exists"
            )));
        }
        let t = IssuerType {
            name: name.clone(),
            owner: signer,
            member_count: 0,
            index_len: 0,
        };
        ctx.set(&type_key(&name), borsh::to_vec(&t).expect("write to Vec"));
        ctx.emit("type_created", vec![("type".into(), name)]);
        Ok(())
    }

    fn set_member(
        ctx: &mut TxContext<'_>,
        name: String,
        member: Address,
        add: bool,
    ) -> Result<(), ModuleError> {
        check_name("type name", &name, true)?;
        let mut t = Self::owned_type(ctx, &name)?;
        let mk = member_key(&name, &member);
        let present = ctx.get(&mk)?;
        match (add, present) {
            (true, Some(_)) | (false, None) => return Ok(()), // idempotent
            (true, None) => {
                if !registry::is_active(ctx, &member)? {
                    return Err(ModuleError::NotFound(format!(
                        "{member} is not an active DID"
                    )));
                }
                // The marker remembers whether the member is already in the listing index.
                ctx.set(&mk, vec![1]);
                let listed = ctx.get(&[b"l/".as_slice(), &mk].concat())?.is_some();
                if !listed {
                    ctx.set(&member_index_key(&name, t.index_len), member.0.to_vec());
                    ctx.set(&[b"l/".as_slice(), &mk].concat(), vec![1]);
                    t.index_len += 1;
                }
                t.member_count += 1;
            }
            (false, Some(_)) => {
                ctx.delete(&mk);
                t.member_count -= 1;
            }
        }
        ctx.set(&type_key(&name), borsh::to_vec(&t).expect("write to Vec"));
        ctx.emit(
            if add {
                "member_added"
            } else {
                "member_removed"
            },
            vec![
                ("type".into(), name),
                ("account".into(), member.to_string()),
            ],
        );
        Ok(())
    }
}

fn page(offset: u64, limit: u64, len: u64) -> Result<std::ops::Range<u64>, ModuleError> {
    if limit > MAX_PAGE {
        return Err(ModuleError::InvalidArgs(format!(
            "limit is at most {MAX_PAGE}"
        )));
    }
    let start = offset.min(len);
    Ok(start..start.saturating_add(limit).min(len))
}

fn address_of(bytes: Option<Vec<u8>>) -> Result<Address, ModuleError> {
    match bytes {
        Some(b) if b.len() == 20 => {
            let mut a = [0u8; 20];
            a.copy_from_slice(&b);
            Ok(Address(a))
        }
        _ => Err(ModuleError::Storage("corrupt issuer index".into())),
    }
}

impl Module for IssuerRegistry {
    fn name(&self) -> &'static str {
        NAME
    }

    fn execute(
        &self,
        ctx: &mut TxContext<'_>,
        method: &str,
        args: &[u8],
    ) -> Result<(), ModuleError> {
        let c: IssuerCall =
            borsh::from_slice(args).map_err(|e| ModuleError::InvalidArgs(e.to_string()))?;
        if c.method() != method {
            return Err(ModuleError::InvalidArgs(format!(
                "method {method:?} does not match arguments ({})",
                c.method()
            )));
        }
        match c {
            IssuerCall::Apply { name, description } => Self::apply(ctx, name, description),
            IssuerCall::CreateType { name } => Self::create_type(ctx, name),
            IssuerCall::AddMember { type_name, member } => {
                Self::set_member(ctx, type_name, member, true)
            }
            IssuerCall::RemoveMember { type_name, member } => {
                Self::set_member(ctx, type_name, member, false)
            }
        }
    }

    fn query(
        &self,
        ctx: &ReadContext<'_>,
        method: &str,
        args: &[u8],
    ) -> Result<Vec<u8>, ModuleError> {
        let q: IssuerQuery =
            borsh::from_slice(args).map_err(|e| ModuleError::InvalidArgs(e.to_string()))?;
        if q.method() != method {
            return Err(ModuleError::UnknownMethod(method.to_string()));
        }
        let out = match q {
            IssuerQuery::Issuer { account } => borsh::to_vec(&issuer_info(ctx, &account)?),
            IssuerQuery::List { offset, limit } => {
                let n = read_u64(ctx.get(COUNT_KEY)?)?;
                let mut out = Vec::new();
                for i in page(offset, limit, n)? {
                    let a = address_of(ctx.get(&index_key(i))?)?;
                    if let Some(info) = issuer_info(ctx, &a)? {
                        out.push(info);
                    }
                }
                borsh::to_vec(&(n, out))
            }
            IssuerQuery::Type {
                name,
                offset,
                limit,
            } => {
                let t: Option<IssuerType> =
                    ctx.get(&type_key(&name))?.map(|b| stored(&b)).transpose()?;
                let result = match t {
                    None => None,
                    Some(t) => {
                        let mut members = Vec::new();
                        for i in page(offset, limit, t.index_len)? {
                            let a = address_of(ctx.get(&member_index_key(&name, i))?)?;
                            if ctx.get(&member_key(&name, &a))?.is_some() {
                                members.push(a);
                            }
                        }
                        Some((t, members))
                    }
                };
                borsh::to_vec(&result)
            }
            IssuerQuery::IsMember { type_name, account } => {
                borsh::to_vec(&ctx.get(&member_key(&type_name, &account))?.is_some())
            }
        };
        Ok(out.expect("write to Vec"))
    }

    fn describe_call(&self, _method: &str, args: &[u8]) -> Option<serde_json::Value> {
        let c: IssuerCall = borsh::from_slice(args).ok()?;
        serde_json::to_value(c).ok()
    }
}
