//! Decoding reconstructed aggregates into results: exact integers and exact rationals.
//!
//! With common scale S, a sum slot holds sum(x) where x = v * 10^S, so
//! sum(v) = S1 / 10^S, mean = S1 / (n 10^S), population variance
//! = (n S2 - S1^2) / (n^2 10^(2S)) and sample variance = (n S2 - S1^2) / (n (n-1) 10^(2S)).
//! Every rational is reduced and exact (big integers); `approx` is its nearest `f64`, for
//! display only.

use num_bigint::BigInt;
use serde::Serialize;

use super::spec::{Computation, Job, Plan, Stat};

/// An exact rational number `num / den` in lowest terms, `den > 0`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Rational {
    /// Numerator (decimal, signed).
    pub num: String,
    /// Denominator (decimal, positive).
    pub den: String,
    /// Nearest `f64` (display only; the exact value is `num / den`).
    #[serde(skip)]
    pub approx: OrdF64,
}

/// An `f64` compared bitwise, so results can be `Eq`.
#[derive(Clone, Copy, Debug)]
pub struct OrdF64(pub f64);

impl PartialEq for OrdF64 {
    fn eq(&self, other: &Self) -> bool {
        self.0.to_bits() == other.0.to_bits()
    }
}
impl Eq for OrdF64 {}

fn gcd(mut a: BigInt, mut b: BigInt) -> BigInt {
    while b != BigInt::from(0) {
        let r = &a % &b;
        a = b;
        b = r;
    }
    if a < BigInt::from(0) {
        -a
    } else {
        a
    }
}

fn to_f64(x: &BigInt) -> f64 {
    x.to_string().parse().unwrap_or(f64::NAN)
}

impl Rational {
    /// `num / den`, reduced; `None` if `den` is zero.
    pub fn new(num: BigInt, den: BigInt) -> Option<Rational> {
        let zero = BigInt::from(0);
        if den == zero {
            return None;
        }
        let (mut num, mut den) = if den < zero { (-num, -den) } else { (num, den) };
        let g = gcd(num.clone(), den.clone());
        if g > BigInt::from(1) {
            num /= &g;
            den /= &g;
        }
        let approx = OrdF64(to_f64(&num) / to_f64(&den));
        Some(Rational {
            num: num.to_string(),
            den: den.to_string(),
            approx,
        })
    }

    /// Numerator as a big integer.
    pub fn numer(&self) -> BigInt {
        self.num.parse().unwrap_or_default()
    }

    /// Denominator as a big integer.
    pub fn denom(&self) -> BigInt {
        self.den.parse().unwrap_or_default()
    }
}

/// One group of a group-by.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Group {
    /// The category.
    pub category: String,
    /// Rows in it.
    pub count: u64,
    /// Sum (for `sum`, `mean`, `variance`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sum: Option<Rational>,
    /// Mean (for `mean`, `variance`; absent if the group is empty).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean: Option<Rational>,
    /// Population variance (for `variance`; absent if the group is empty).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variance: Option<Rational>,
}

/// The result of one computation, in the order of the spec.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
pub enum ComputationResult {
    /// Sum of all values.
    Sum {
        /// Exact sum.
        value: Rational,
    },
    /// Number of rows.
    Count {
        /// Row count.
        value: u64,
    },
    /// Mean of all values (absent when there are no rows).
    Mean {
        /// Exact mean.
        value: Option<Rational>,
    },
    /// Variance of all values.
    Variance {
        /// Population variance (absent with no rows).
        population: Option<Rational>,
        /// Sample variance (absent with fewer than two rows).
        sample: Option<Rational>,
    },
    /// Histogram counts.
    Histogram {
        /// Values below the first edge.
        below: u64,
        /// One count per bin.
        bins: Vec<u64>,
        /// Values at or above the last edge.
        above: u64,
    },
    /// Per-category statistics.
    GroupBy {
        /// The statistic asked for.
        #[serde(skip)]
        stat: Option<Stat>,
        /// One entry per category, in the spec's order.
        groups: Vec<Group>,
    },
}

/// Everything a receiver learns.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct JobResult {
    /// Job hash (hex).
    pub job: String,
    /// One result per computation.
    pub results: Vec<ComputationResult>,
}

fn pow10(s: u32) -> BigInt {
    BigInt::from(10).pow(s)
}

/// Mean, population variance and sample variance from (n, S1, S2) at scale `s`.
fn moments(
    n: i128,
    s1: i128,
    s2: Option<i128>,
    s: u32,
) -> (Option<Rational>, Option<Rational>, Option<Rational>) {
    let nb = BigInt::from(n);
    let s1b = BigInt::from(s1);
    let mean = Rational::new(s1b.clone(), &nb * pow10(s));
    let (pop, sample) = match s2 {
        None => (None, None),
        Some(s2) => {
            let num = &nb * BigInt::from(s2) - &s1b * &s1b;
            let pop = Rational::new(num.clone(), &nb * &nb * pow10(2 * s));
            let sample = if n >= 2 {
                Rational::new(num, &nb * (&nb - 1) * pow10(2 * s))
            } else {
                None
            };
            (pop, sample)
        }
    };
    (mean, pop, sample)
}

impl JobResult {
    /// Decodes reconstructed slot totals (signed, salt included) into results.
    pub(crate) fn from_totals(job: &Job, totals: &[i128]) -> JobResult {
        let s = job.scale();
        let m = job.moments;
        let get = |i: Option<usize>| i.map(|i| totals[i]);
        let n = m.map(|m| totals[m.count]).unwrap_or(0);
        let s1 = m.and_then(|m| get(m.sum)).unwrap_or(0);
        let s2 = m.and_then(|m| get(m.sumsq));
        let (mean, pop, sample) = moments(n, s1, s2, s);
        let results = job
            .spec()
            .computations
            .iter()
            .zip(&job.plans)
            .map(|(c, p)| match (c, p) {
                (Computation::Sum, _) => ComputationResult::Sum {
                    value: Rational::new(BigInt::from(s1), pow10(s)).unwrap_or_else(zero),
                },
                (Computation::Count, _) => ComputationResult::Count { value: n as u64 },
                (Computation::Mean, _) => ComputationResult::Mean {
                    value: mean.clone(),
                },
                (Computation::Variance, _) => ComputationResult::Variance {
                    population: pop.clone(),
                    sample: sample.clone(),
                },
                (_, Plan::Hist(h)) => {
                    let k = h.edges.len() - 1;
                    let c = |i: usize| totals[h.first + i] as u64;
                    ComputationResult::Histogram {
                        below: c(0),
                        bins: (1..=k).map(c).collect(),
                        above: c(k + 1),
                    }
                }
                (_, Plan::Group(g)) => ComputationResult::GroupBy {
                    stat: Some(g.stat),
                    groups: g
                        .categories
                        .iter()
                        .enumerate()
                        .map(|(ci, cat)| {
                            let base = g.first + ci * g.stride;
                            let cn = totals[base];
                            let cs1 = (g.stride > 1).then(|| totals[base + 1]);
                            let cs2 = (g.stride > 2).then(|| totals[base + 2]);
                            let (cmean, cvar, _) = moments(cn, cs1.unwrap_or(0), cs2, s);
                            Group {
                                category: cat.clone(),
                                count: cn as u64,
                                sum: cs1.and_then(|v| Rational::new(BigInt::from(v), pow10(s))),
                                mean: if matches!(g.stat, Stat::Mean | Stat::Variance) {
                                    cmean
                                } else {
                                    None
                                },
                                variance: cvar,
                            }
                        })
                        .collect(),
                },
                // Unreachable by construction (plans are built from the computations).
                (_, Plan::Moments) => ComputationResult::Count { value: n as u64 },
            })
            .collect();
        JobResult {
            job: hex::encode(job.hash()),
            results,
        }
    }
}

fn zero() -> Rational {
    Rational {
        num: "0".into(),
        den: "1".into(),
        approx: OrdF64(0.0),
    }
}
