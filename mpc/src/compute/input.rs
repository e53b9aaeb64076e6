//! Party inputs: a bounded CSV column reader and local aggregation.
//!
//! Every value is checked against the party's declared range and every row count against its
//! declared `max_rows` *before* anything is aggregated or shared: an out-of-range value is
//! refused, never clamped. Errors name the line, never the value.

use std::collections::HashMap;
use std::io::{BufRead, Read};

use zeroize::{Zeroize, ZeroizeOnDrop};

use super::error::ComputeError;
use super::spec::{parse_decimal, Job, Plan};

/// Longest accepted CSV line, in bytes.
pub const MAX_LINE: usize = 64 * 1024;

/// One party's validated rows, at the job's common scale. Holds plaintext inputs: zeroized on
/// drop, never printed by `Debug`.
#[derive(ZeroizeOnDrop)]
pub struct LocalData {
    party: usize,
    values: Vec<i128>,
    categories: Vec<u32>,
}

impl std::fmt::Debug for LocalData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalData")
            .field("party", &self.party)
            .field("rows", &self.values.len())
            .finish_non_exhaustive()
    }
}

/// A party's local aggregate vector (one signed integer per non-salt slot of the job layout).
/// Secret: zeroized on drop, never printed by `Debug`.
#[derive(Clone, ZeroizeOnDrop)]
pub struct LocalAggregate {
    pub(crate) party: usize,
    pub(crate) slots: Vec<i128>,
}

impl std::fmt::Debug for LocalAggregate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalAggregate")
            .field("party", &self.party)
            .field("slots", &self.slots.len())
            .finish_non_exhaustive()
    }
}

impl LocalAggregate {
    /// The party index.
    pub fn party(&self) -> usize {
        self.party
    }
}

fn party_plan(job: &Job, party: usize) -> Result<&super::spec::PartyPlan, ComputeError> {
    job.parties
        .get(party)
        .ok_or_else(|| ComputeError::UnknownParty(format!("index {party}")))
}

fn category_index(job: &Job) -> Option<HashMap<&str, u32>> {
    job.categories.as_ref().map(|c| {
        c.iter()
            .enumerate()
            .map(|(i, s)| (s.as_str(), i as u32))
            .collect()
    })
}

impl LocalData {
    /// Party `party`'s rows from integers at the party's own declared scale (row numbers in
    /// errors are 0-based indices). `categories` is required iff the job has a group-by.
    pub fn from_values(
        job: &Job,
        party: usize,
        values: &[i128],
        categories: Option<&[&str]>,
    ) -> Result<LocalData, ComputeError> {
        let plan = party_plan(job, party)?;
        let input = &job.spec().parties[party].input;
        if values.len() as u64 > plan.max_rows {
            return Err(ComputeError::TooManyRows {
                max_rows: plan.max_rows,
            });
        }
        let index = category_index(job);
        let cats = match (&index, categories) {
            (None, _) => Vec::new(),
            (Some(_), None) => {
                return Err(ComputeError::Input(
                    "this job groups by category: categories are required".into(),
                ))
            }
            (Some(ix), Some(c)) => {
                if c.len() != values.len() {
                    return Err(ComputeError::Input(format!(
                        "{} values but {} categories",
                        values.len(),
                        c.len()
                    )));
                }
                c.iter()
                    .enumerate()
                    .map(|(r, s)| {
                        ix.get(s).copied().ok_or_else(|| ComputeError::BadRow {
                            row: r as u64,
                            reason: "category not in the job's category list".into(),
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?
            }
        };
        let mut out = Vec::with_capacity(values.len());
        for (r, &v) in values.iter().enumerate() {
            if v < plan.min || v > plan.max {
                return Err(ComputeError::OutOfRange {
                    row: r as u64,
                    min: input.min.clone(),
                    max: input.max.clone(),
                });
            }
            out.push(v * plan.factor);
        }
        Ok(LocalData {
            party,
            values: out,
            categories: cats,
        })
    }

    /// Party `party`'s rows from a CSV file: a header row, then one row per record, comma
    /// separated, the same number of fields on every row, no quoted fields. Values are read
    /// from the party's declared column (and category column, for group-by jobs). Blank lines
    /// are skipped; line numbers in errors are 1-based with the header as line 1.
    pub fn from_csv(
        job: &Job,
        party: usize,
        mut reader: impl BufRead,
    ) -> Result<LocalData, ComputeError> {
        let plan = party_plan(job, party)?;
        let input = &job.spec().parties[party].input;
        let index = category_index(job);
        let mut line = Vec::new();
        let mut read_line = |line: &mut Vec<u8>| -> Result<bool, ComputeError> {
            line.clear();
            let n = (&mut reader)
                .take(MAX_LINE as u64 + 1)
                .read_until(b'\n', line)
                .map_err(|e| ComputeError::Input(e.to_string()))?;
            if n > MAX_LINE {
                return Err(ComputeError::Input(format!(
                    "a line is longer than {MAX_LINE} bytes"
                )));
            }
            while matches!(line.last(), Some(b'\n' | b'\r')) {
                line.pop();
            }
            Ok(n > 0)
        };
        if !read_line(&mut line)? {
            return Err(ComputeError::Input("empty CSV: no header row".into()));
        }
        let header_text = std::str::from_utf8(&line)
            .map_err(|_| ComputeError::Input("header is not UTF-8".into()))?
            .trim_start_matches('\u{feff}');
        if header_text.contains('"') {
            return Err(ComputeError::Input(
                "quoted fields are not supported".into(),
            ));
        }
        let header: Vec<&str> = header_text.split(',').map(str::trim).collect();
        let width = header.len();
        let find = |name: &str| {
            header
                .iter()
                .position(|h| *h == name)
                .ok_or_else(|| ComputeError::Input(format!("no column {name:?} in the header")))
        };
        let vcol = find(&input.column)?;
        let ccol = match (&index, &input.category_column) {
            (Some(_), Some(c)) => Some(find(c)?),
            _ => None,
        };
        let mut values = Vec::new();
        let mut cats = Vec::new();
        let mut lineno: u64 = 1;
        while read_line(&mut line)? {
            lineno += 1;
            if line.iter().all(|b| b.is_ascii_whitespace()) {
                continue;
            }
            let bad = |reason: &str| ComputeError::BadRow {
                row: lineno,
                reason: reason.into(),
            };
            let text = std::str::from_utf8(&line).map_err(|_| bad("not UTF-8"))?;
            if text.contains('"') {
                return Err(bad("quoted fields are not supported"));
            }
            let mut fields = 0usize;
            let mut value = None;
            let mut cat = None;
            for (i, f) in text.split(',').enumerate() {
                fields += 1;
                if i == vcol {
                    value = Some(f.trim());
                }
                if Some(i) == ccol {
                    cat = Some(f.trim());
                }
            }
            if fields != width {
                return Err(bad(&format!("{fields} fields, the header has {width}")));
            }
            if values.len() as u64 >= plan.max_rows {
                return Err(ComputeError::TooManyRows {
                    max_rows: plan.max_rows,
                });
            }
            let v = value
                .and_then(|s| parse_decimal(s, input.scale))
                .ok_or_else(|| {
                    bad(&format!(
                        "not a number with at most {} fractional digits",
                        input.scale
                    ))
                })?;
            if v < plan.min || v > plan.max {
                return Err(ComputeError::OutOfRange {
                    row: lineno,
                    min: input.min.clone(),
                    max: input.max.clone(),
                });
            }
            values.push(v * plan.factor);
            if let (Some(ix), Some(c)) = (&index, cat) {
                cats.push(
                    *ix.get(c)
                        .ok_or_else(|| bad("category not in the job's category list"))?,
                );
            }
        }
        line.zeroize();
        Ok(LocalData {
            party,
            values,
            categories: cats,
        })
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.values.len()
    }

    /// The party index.
    pub fn party(&self) -> usize {
        self.party
    }

    /// Aggregates the rows locally into the job's layout (without the salt slots).
    ///
    /// Cannot overflow: the rows were checked against the declared range and row count, and
    /// [`Job::from_spec`] checked that every slot's worst case fits below 2^127.
    pub fn aggregate(&self, job: &Job) -> LocalAggregate {
        let n_slots = job.salt_slots().start;
        let mut acc = vec![0i128; n_slots];
        if let Some(m) = job.moments {
            acc[m.count] = self.values.len() as i128;
            if let Some(s) = m.sum {
                acc[s] = self.values.iter().sum();
            }
            if let Some(q) = m.sumsq {
                acc[q] = self.values.iter().map(|x| x * x).sum();
            }
        }
        for plan in &job.plans {
            match plan {
                Plan::Moments => {}
                Plan::Hist(h) => {
                    for x in &self.values {
                        acc[h.first + h.edges.partition_point(|e| e <= x)] += 1;
                    }
                }
                Plan::Group(g) => {
                    for (x, &c) in self.values.iter().zip(&self.categories) {
                        let base = g.first + c as usize * g.stride;
                        acc[base] += 1;
                        if g.stride > 1 {
                            acc[base + 1] += x;
                        }
                        if g.stride > 2 {
                            acc[base + 2] += x * x;
                        }
                    }
                }
            }
        }
        LocalAggregate {
            party: self.party,
            slots: acc,
        }
    }
}
