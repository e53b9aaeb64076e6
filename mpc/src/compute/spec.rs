//! Declarative job specs: parse, validate, plan the aggregate layout and the ring, and hash.
//!
//! A [`JobSpec`] is what the parties agree on (JSON). [`Job::from_spec`] validates it and
//! derives everything the protocol needs: the common fixed-point scale, the public layout of the
//! aggregate vector (which slot holds which count or sum), a worst-case bound for every slot,
//! the ring Z_{2^k} (refusing any job whose bounds do not fit), and the canonical job hash the
//! chain registers.
//!
//! ## Overflow bound (derivation, also in `mpc/docs/notes-compute.md`)
//!
//! Let party i declare range [m_i, M_i] at scale s_i and at most R_i rows. With the common
//! scale S = max s_i every value is the integer x = v * 10^S, and party i's values satisfy
//! |x| <= A_i = max(|m_i|, |M_i|) * 10^(S - s_i). Every aggregate slot is a sum over all rows
//! of all parties of one of 1, x or x^2 (restricted to a bin or a category), so its true total
//! T satisfies |T| <= B = sum_i R_i * A_i^p for p in {0, 1, 2}. If B < 2^(k-1) then T is the
//! unique representative of (T mod 2^k) in [-2^(k-1), 2^(k-1)), whatever the shares: the
//! reconstruction is exact. The smallest k in {64, 128} with max B < 2^(k-1) is chosen; a job
//! with max B >= 2^127 is refused with [`ComputeError::Overflow`]. Local aggregates are sums
//! over fewer rows, so they obey the same bound and fit an `i128`.

use std::collections::BTreeSet;

use num_bigint::BigUint;
use serde::{Deserialize, Serialize};

use super::error::ComputeError;
use super::ring::Ring;
use super::transcript;

/// Fewest parties of a job.
pub const MIN_PARTIES: usize = 3;
/// Most parties of a job.
pub const MAX_PARTIES: usize = 50;
/// Largest fixed-point scale (decimal digits after the point).
pub const MAX_SCALE: u32 = 18;
/// Largest `max_rows` a party may declare (2^40).
pub const MAX_ROWS: u64 = 1 << 40;
/// Most computations in one job.
pub const MAX_COMPUTATIONS: usize = 32;
/// Most bins of one histogram.
pub const MAX_BINS: usize = 1024;
/// Most categories of one group-by.
pub const MAX_CATEGORIES: usize = 1024;
/// Most slots of an aggregate vector (bounds every message length).
pub const MAX_SLOTS: usize = 1 << 16;
/// Largest accepted spec JSON, in bytes.
pub const MAX_SPEC_BYTES: usize = 1 << 20;
/// Longest DID, column name, category or job name.
pub const MAX_NAME_LEN: usize = 256;

/// A job as the parties write it (JSON). Validate it with [`Job::from_spec`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobSpec {
    /// Schema version; must be 1.
    pub version: u32,
    /// A name unique to this job (it is hashed, so two otherwise equal jobs differ).
    pub name: String,
    /// The parties, in protocol order (index 0, 1, ...).
    pub parties: Vec<PartySpec>,
    /// What to compute over the union of all parties' rows.
    pub computations: Vec<Computation>,
    /// DIDs of the parties that receive the results (a non-empty subset of the parties).
    pub receivers: Vec<String>,
    /// Optional join key: recorded (and hashed); rows are aligned by PSI before aggregation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub join_key: Option<JoinKey>,
}

/// One party and its input.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartySpec {
    /// The party's DID.
    pub did: String,
    /// Its input column.
    pub input: InputSpec,
}

/// A party's input column and its declared bounds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputSpec {
    /// CSV column holding the values.
    pub column: String,
    /// Integer or fixed point.
    #[serde(rename = "type")]
    pub kind: ValueType,
    /// Decimal digits after the point (0 for `int`, 1..=18 for `fixed`).
    #[serde(default)]
    pub scale: u32,
    /// Declared minimum, a decimal string with at most `scale` fractional digits.
    pub min: String,
    /// Declared maximum, likewise.
    pub max: String,
    /// Most rows this party may contribute.
    pub max_rows: u64,
    /// CSV column holding the public category (needed by `group-by`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category_column: Option<String>,
}

/// Value type of an input column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ValueType {
    /// Integers.
    Int,
    /// Decimal fixed point with `scale` fractional digits.
    Fixed,
}

/// One computation over the union of the parties' rows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Computation {
    /// Sum of the values.
    Sum,
    /// Number of rows.
    Count,
    /// Mean (exact rational).
    Mean,
    /// Population and sample variance (exact rationals).
    Variance,
    /// Histogram over public bin edges e_0 < ... < e_m: bin j is [e_j, e_{j+1}); values below
    /// e_0 or at/above e_m are counted in `below` / `above`.
    Histogram {
        /// Bin edges (decimal strings, at most the common scale's fractional digits).
        edges: Vec<String>,
    },
    /// A statistic per public category.
    GroupBy {
        /// The public category list (rows with another category are refused).
        categories: Vec<String>,
        /// Statistic per category.
        stat: Stat,
    },
}

/// Statistic computed per category by `group-by`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stat {
    /// Row count.
    Count,
    /// Sum.
    Sum,
    /// Mean.
    Mean,
    /// Variance.
    Variance,
}

impl Stat {
    fn needs_sum(self) -> bool {
        !matches!(self, Stat::Count)
    }
    fn needs_sumsq(self) -> bool {
        matches!(self, Stat::Variance)
    }
}

/// Join key recorded with the job (PSI aligns the rows before local aggregation).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JoinKey {
    /// CSV column of the identifier, the same name at every party.
    pub column: String,
}

/// What a slot of the aggregate vector holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlotKind {
    /// A row count.
    Count,
    /// A sum of values.
    Sum,
    /// A sum of squared values.
    SumSq,
    /// Random salt (jointly random, keeps the result digest unguessable).
    Salt,
}

/// One slot of the public aggregate layout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slot {
    /// What it holds.
    pub kind: SlotKind,
    /// Worst-case magnitude of its total over all parties (0 for salt).
    pub bound: u128,
    /// Human-readable name (for errors).
    pub what: String,
}

/// Slots of the global moments (count, sum, sum of squares).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Moments {
    pub count: usize,
    pub sum: Option<usize>,
    pub sumsq: Option<usize>,
}

/// Slots of one histogram: `first` is `below`, then one per bin, then `above`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct HistPlan {
    pub first: usize,
    pub edges: Vec<i128>,
}

/// Slots of one group-by: per category, `stride` slots (count, [sum], [sumsq]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct GroupPlan {
    pub first: usize,
    pub stride: usize,
    pub stat: Stat,
    pub categories: Vec<String>,
}

/// The part of the layout a computation reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Plan {
    Moments,
    Hist(HistPlan),
    Group(GroupPlan),
}

/// A party's derived input parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PartyPlan {
    pub did: String,
    /// 10^(S - s_i): multiplies the party's values to the common scale.
    pub factor: i128,
    /// Declared bounds at the party's own scale.
    pub min: i128,
    pub max: i128,
    pub max_rows: u64,
}

/// A validated job: the spec plus everything derived from it.
#[derive(Clone, Debug)]
pub struct Job {
    spec: JobSpec,
    hash: [u8; 32],
    scale: u32,
    ring: Ring,
    slots: Vec<Slot>,
    salt: std::ops::Range<usize>,
    pub(crate) parties: Vec<PartyPlan>,
    pub(crate) moments: Option<Moments>,
    pub(crate) plans: Vec<Plan>,
    pub(crate) receivers: Vec<usize>,
    pub(crate) categories: Option<Vec<String>>,
}

/// Parses a decimal string with at most `scale` fractional digits into `value * 10^scale`.
/// Accepts an optional sign, digits, and an optional `.` with digits; nothing else.
pub fn parse_decimal(s: &str, scale: u32) -> Option<i128> {
    let b = s.as_bytes();
    let (neg, rest) = match b.first()? {
        b'-' => (true, &b[1..]),
        b'+' => (false, &b[1..]),
        _ => (false, b),
    };
    let (int, frac) = match rest.iter().position(|&c| c == b'.') {
        Some(p) => (&rest[..p], &rest[p + 1..]),
        None => (rest, &rest[rest.len()..]),
    };
    if int.is_empty() && frac.is_empty() || frac.len() > scale as usize || int.len() > 38 {
        return None;
    }
    if rest.contains(&b'.') && frac.is_empty() {
        return None;
    }
    let mut v: i128 = 0;
    for &c in int.iter().chain(frac) {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add((c - b'0') as i128)?;
    }
    v = v.checked_mul(10i128.checked_pow(scale - frac.len() as u32)?)?;
    Some(if neg { -v } else { v })
}

fn check_name(field: &str, s: &str) -> Result<(), ComputeError> {
    if s.is_empty() || s.len() > MAX_NAME_LEN {
        return Err(ComputeError::spec(
            field,
            format!("must be 1 to {MAX_NAME_LEN} bytes"),
        ));
    }
    if s.chars().any(|c| c.is_control()) {
        return Err(ComputeError::spec(field, "contains control characters"));
    }
    Ok(())
}

/// Appends length-prefixed fields: the canonical encoding of a job.
#[derive(Default)]
struct Canon(Vec<u8>);

impl Canon {
    fn bytes(&mut self, b: &[u8]) {
        self.0.extend_from_slice(&(b.len() as u64).to_le_bytes());
        self.0.extend_from_slice(b);
    }
    fn str(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn i128(&mut self, v: i128) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
}

fn big(v: u128) -> BigUint {
    BigUint::from(v)
}

impl Job {
    /// Parses and validates a JSON job spec (at most [`MAX_SPEC_BYTES`]).
    pub fn from_json(json: &[u8]) -> Result<Job, ComputeError> {
        if json.len() > MAX_SPEC_BYTES {
            return Err(ComputeError::SpecSyntax(format!(
                "spec is {} bytes, at most {MAX_SPEC_BYTES} allowed",
                json.len()
            )));
        }
        let spec: JobSpec =
            serde_json::from_slice(json).map_err(|e| ComputeError::SpecSyntax(e.to_string()))?;
        Job::from_spec(spec)
    }

    /// Validates a spec and derives scale, layout, bounds, ring and hash.
    pub fn from_spec(spec: JobSpec) -> Result<Job, ComputeError> {
        if spec.version != 1 {
            return Err(ComputeError::spec("version", "only version 1 is known"));
        }
        check_name("name", &spec.name)?;
        let n = spec.parties.len();
        if !(MIN_PARTIES..=MAX_PARTIES).contains(&n) {
            return Err(ComputeError::spec(
                "parties",
                format!("{n} parties; a job has {MIN_PARTIES} to {MAX_PARTIES}"),
            ));
        }
        let mut dids = BTreeSet::new();
        let mut scale = 0;
        for (i, p) in spec.parties.iter().enumerate() {
            let f = |s: &str| format!("parties[{i}].{s}");
            check_name(&f("did"), &p.did)?;
            if !p.did.starts_with("did:") || p.did.contains(char::is_whitespace) {
                return Err(ComputeError::spec(f("did"), "not a DID"));
            }
            if !dids.insert(p.did.as_str()) {
                return Err(ComputeError::spec(f("did"), "party listed twice"));
            }
            let inp = &p.input;
            check_name(&f("input.column"), &inp.column)?;
            if let Some(c) = &inp.category_column {
                check_name(&f("input.category_column"), c)?;
            }
            match (inp.kind, inp.scale) {
                (ValueType::Int, 0) => {}
                (ValueType::Int, _) => {
                    return Err(ComputeError::spec(f("input.scale"), "must be 0 for int"))
                }
                (ValueType::Fixed, 1..=MAX_SCALE) => {}
                (ValueType::Fixed, _) => {
                    return Err(ComputeError::spec(
                        f("input.scale"),
                        format!("must be 1 to {MAX_SCALE} for fixed"),
                    ))
                }
            }
            if inp.max_rows == 0 || inp.max_rows > MAX_ROWS {
                return Err(ComputeError::spec(
                    f("input.max_rows"),
                    format!("must be 1 to {MAX_ROWS}"),
                ));
            }
            scale = scale.max(inp.scale);
        }
        let mut parties = Vec::with_capacity(n);
        for (i, p) in spec.parties.iter().enumerate() {
            let f = |s: &str| format!("parties[{i}].input.{s}");
            let inp = &p.input;
            let bad = |s: &str| {
                ComputeError::spec(
                    f(s),
                    format!("not a decimal with at most {} fractional digits", inp.scale),
                )
            };
            let min = parse_decimal(&inp.min, inp.scale).ok_or_else(|| bad("min"))?;
            let max = parse_decimal(&inp.max, inp.scale).ok_or_else(|| bad("max"))?;
            if min > max {
                return Err(ComputeError::spec(f("min"), "greater than max"));
            }
            let factor = 10i128.pow(scale - inp.scale);
            // The magnitude at the common scale must fit an i128 with room for squares checked
            // below; refuse here if even the value does not fit.
            for v in [min, max] {
                v.checked_mul(factor)
                    .ok_or_else(|| ComputeError::spec(f("min"), "too large at the job's scale"))?;
            }
            parties.push(PartyPlan {
                did: p.did.clone(),
                factor,
                min,
                max,
                max_rows: inp.max_rows,
            });
        }

        // Bounds over all parties: sum_i R_i * A_i^p.
        let bound_pow = |p: u32| -> BigUint {
            parties
                .iter()
                .map(|q| {
                    let a =
                        big(q.min.unsigned_abs().max(q.max.unsigned_abs())) * big(q.factor as u128);
                    BigUint::from(q.max_rows) * a.pow(p)
                })
                .sum()
        };
        let limit = BigUint::from(1u8) << 127u32;
        let fit = |b: BigUint, what: &str| -> Result<u128, ComputeError> {
            if b >= limit {
                Err(ComputeError::Overflow {
                    what: what.into(),
                    bits_needed: b.bits() + 1,
                })
            } else {
                Ok(u128::try_from(b).unwrap_or(u128::MAX))
            }
        };

        if spec.computations.is_empty() || spec.computations.len() > MAX_COMPUTATIONS {
            return Err(ComputeError::spec(
                "computations",
                format!("1 to {MAX_COMPUTATIONS} computations"),
            ));
        }
        let need_sum = spec.computations.iter().any(|c| {
            matches!(
                c,
                Computation::Sum | Computation::Mean | Computation::Variance
            )
        });
        let need_sumsq = spec
            .computations
            .iter()
            .any(|c| matches!(c, Computation::Variance));
        let need_moments = need_sum
            || spec
                .computations
                .iter()
                .any(|c| matches!(c, Computation::Count));

        let mut slots: Vec<Slot> = Vec::new();
        let push = |slots: &mut Vec<Slot>, kind, what: String| -> Result<usize, ComputeError> {
            let bound = fit(
                bound_pow(match kind {
                    SlotKind::Count => 0,
                    SlotKind::Sum => 1,
                    _ => 2,
                }),
                &what,
            )?;
            if slots.len() >= MAX_SLOTS {
                return Err(ComputeError::spec(
                    "computations",
                    format!("more than {MAX_SLOTS} aggregate slots"),
                ));
            }
            slots.push(Slot { kind, bound, what });
            Ok(slots.len() - 1)
        };
        let moments = if need_moments {
            let count = push(&mut slots, SlotKind::Count, "count".into())?;
            let sum = if need_sum {
                Some(push(&mut slots, SlotKind::Sum, "sum".into())?)
            } else {
                None
            };
            let sumsq = if need_sumsq {
                Some(push(&mut slots, SlotKind::SumSq, "sum of squares".into())?)
            } else {
                None
            };
            Some(Moments { count, sum, sumsq })
        } else {
            None
        };

        let mut plans = Vec::new();
        let mut categories: Option<Vec<String>> = None;
        for (ci, c) in spec.computations.iter().enumerate() {
            let f = |s: &str| format!("computations[{ci}].{s}");
            plans.push(match c {
                Computation::Sum
                | Computation::Count
                | Computation::Mean
                | Computation::Variance => Plan::Moments,
                Computation::Histogram { edges } => {
                    if edges.len() < 2 || edges.len() > MAX_BINS + 1 {
                        return Err(ComputeError::spec(
                            f("edges"),
                            format!("2 to {} edges", MAX_BINS + 1),
                        ));
                    }
                    let parsed = edges
                        .iter()
                        .map(|e| parse_decimal(e, scale))
                        .collect::<Option<Vec<_>>>()
                        .ok_or_else(|| {
                            ComputeError::spec(
                                f("edges"),
                                format!("not decimals with at most {scale} fractional digits"),
                            )
                        })?;
                    if parsed.windows(2).any(|w| w[0] >= w[1]) {
                        return Err(ComputeError::spec(f("edges"), "not strictly increasing"));
                    }
                    let first = slots.len();
                    push(&mut slots, SlotKind::Count, format!("histogram {ci} below"))?;
                    for b in 0..parsed.len() - 1 {
                        push(
                            &mut slots,
                            SlotKind::Count,
                            format!("histogram {ci} bin {b}"),
                        )?;
                    }
                    push(&mut slots, SlotKind::Count, format!("histogram {ci} above"))?;
                    Plan::Hist(HistPlan {
                        first,
                        edges: parsed,
                    })
                }
                Computation::GroupBy {
                    categories: cats,
                    stat,
                } => {
                    if cats.is_empty() || cats.len() > MAX_CATEGORIES {
                        return Err(ComputeError::spec(
                            f("categories"),
                            format!("1 to {MAX_CATEGORIES} categories"),
                        ));
                    }
                    let mut seen = BTreeSet::new();
                    for cat in cats {
                        check_name(&f("categories"), cat)?;
                        if !seen.insert(cat) {
                            return Err(ComputeError::spec(f("categories"), "listed twice"));
                        }
                    }
                    match &categories {
                        None => categories = Some(cats.clone()),
                        Some(prev) if prev == cats => {}
                        Some(_) => {
                            return Err(ComputeError::spec(
                                f("categories"),
                                "every group-by of a job must use the same category list",
                            ))
                        }
                    }
                    for (i, p) in spec.parties.iter().enumerate() {
                        if p.input.category_column.is_none() {
                            return Err(ComputeError::spec(
                                format!("parties[{i}].input.category_column"),
                                "required by group-by",
                            ));
                        }
                    }
                    let first = slots.len();
                    let stride = 1 + stat.needs_sum() as usize + stat.needs_sumsq() as usize;
                    for cat in 0..cats.len() {
                        push(
                            &mut slots,
                            SlotKind::Count,
                            format!("group {ci} category {cat} count"),
                        )?;
                        if stat.needs_sum() {
                            push(
                                &mut slots,
                                SlotKind::Sum,
                                format!("group {ci} category {cat} sum"),
                            )?;
                        }
                        if stat.needs_sumsq() {
                            push(
                                &mut slots,
                                SlotKind::SumSq,
                                format!("group {ci} category {cat} sum of squares"),
                            )?;
                        }
                    }
                    Plan::Group(GroupPlan {
                        first,
                        stride,
                        stat: *stat,
                        categories: cats.clone(),
                    })
                }
            });
        }

        let max_bound = slots.iter().map(|s| s.bound).max().unwrap_or(0);
        let ring = Ring::for_bound(max_bound).ok_or_else(|| ComputeError::Overflow {
            what: "aggregate".into(),
            bits_needed: 128,
        })?;
        // 256 bits of joint salt.
        let salt_start = slots.len();
        for i in 0..(256 / ring.bits()) {
            if slots.len() >= MAX_SLOTS {
                return Err(ComputeError::spec(
                    "computations",
                    format!("more than {MAX_SLOTS} aggregate slots"),
                ));
            }
            slots.push(Slot {
                kind: SlotKind::Salt,
                bound: 0,
                what: format!("salt {i}"),
            });
        }
        let salt = salt_start..slots.len();

        if spec.receivers.is_empty() {
            return Err(ComputeError::spec("receivers", "at least one receiver"));
        }
        let mut receivers = Vec::new();
        for (i, r) in spec.receivers.iter().enumerate() {
            let idx = spec
                .parties
                .iter()
                .position(|p| &p.did == r)
                .ok_or_else(|| ComputeError::spec(format!("receivers[{i}]"), "not a party"))?;
            if receivers.contains(&idx) {
                return Err(ComputeError::spec(
                    format!("receivers[{i}]"),
                    "listed twice",
                ));
            }
            receivers.push(idx);
        }
        receivers.sort_unstable();
        if let Some(j) = &spec.join_key {
            check_name("join_key.column", &j.column)?;
        }

        let hash = canonical_hash(&spec, &parties, scale, &plans);
        Ok(Job {
            spec,
            hash,
            scale,
            ring,
            slots,
            salt,
            parties,
            moments,
            plans,
            receivers,
            categories,
        })
    }

    /// The spec as validated.
    pub fn spec(&self) -> &JobSpec {
        &self.spec
    }

    /// The canonical job hash (what the chain registers and every message carries).
    pub fn hash(&self) -> [u8; 32] {
        self.hash
    }

    /// The common fixed-point scale S (results are in units of 10^-S).
    pub fn scale(&self) -> u32 {
        self.scale
    }

    /// The ring of the shares.
    pub fn ring(&self) -> Ring {
        self.ring
    }

    /// The public aggregate layout (one entry per slot, salt last).
    pub fn slots(&self) -> &[Slot] {
        &self.slots
    }

    /// Number of parties.
    pub fn n_parties(&self) -> usize {
        self.parties.len()
    }

    /// DID of party `i`.
    pub fn did(&self, i: usize) -> Option<&str> {
        self.parties.get(i).map(|p| p.did.as_str())
    }

    /// Index of the party with this DID.
    pub fn index_of(&self, did: &str) -> Option<usize> {
        self.parties.iter().position(|p| p.did == did)
    }

    /// Indices of the result receivers, ascending.
    pub fn receivers(&self) -> &[usize] {
        &self.receivers
    }

    /// Whether party `i` receives the results.
    pub fn is_receiver(&self, i: usize) -> bool {
        self.receivers.contains(&i)
    }

    pub(crate) fn salt_slots(&self) -> std::ops::Range<usize> {
        self.salt.clone()
    }
}

fn canonical_hash(spec: &JobSpec, parties: &[PartyPlan], scale: u32, plans: &[Plan]) -> [u8; 32] {
    let mut c = Canon::default();
    c.u64(spec.version as u64);
    c.str(&spec.name);
    c.u64(scale as u64);
    c.u64(parties.len() as u64);
    for (p, ps) in parties.iter().zip(&spec.parties) {
        c.str(&p.did);
        c.str(&ps.input.column);
        c.u64(match ps.input.kind {
            ValueType::Int => 0,
            ValueType::Fixed => 1,
        });
        c.u64(ps.input.scale as u64);
        c.i128(p.min);
        c.i128(p.max);
        c.u64(p.max_rows);
        match &ps.input.category_column {
            None => c.u64(0),
            Some(col) => {
                c.u64(1);
                c.str(col);
            }
        }
    }
    c.u64(plans.len() as u64);
    for (plan, comp) in plans.iter().zip(&spec.computations) {
        match (comp, plan) {
            (Computation::Sum, _) => c.u64(1),
            (Computation::Count, _) => c.u64(2),
            (Computation::Mean, _) => c.u64(3),
            (Computation::Variance, _) => c.u64(4),
            (Computation::Histogram { .. }, Plan::Hist(h)) => {
                c.u64(5);
                c.u64(h.edges.len() as u64);
                for e in &h.edges {
                    c.i128(*e);
                }
            }
            (Computation::GroupBy { categories, stat }, _) => {
                c.u64(6);
                c.u64(*stat as u64);
                c.u64(categories.len() as u64);
                for cat in categories {
                    c.str(cat);
                }
            }
            (Computation::Histogram { .. }, _) => c.u64(0),
        }
    }
    let mut recv: Vec<&str> = spec.receivers.iter().map(String::as_str).collect();
    recv.sort_unstable();
    c.u64(recv.len() as u64);
    for r in recv {
        c.str(r);
    }
    match &spec.join_key {
        None => c.u64(0),
        Some(j) => {
            c.u64(1);
            c.str(&j.column);
        }
    }
    transcript::hash_parts(transcript::JOB_HASH, &[&c.0])
}
