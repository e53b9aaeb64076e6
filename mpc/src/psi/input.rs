//! Inputs and outputs: identifier normalisation and CSV columns.
//!
//! Both parties must normalise the same way, or equal customers will not match: the chosen
//! [`Normalise`] is part of what the parties agree on before a session.

use std::io::{BufRead, Write};

use serde::{Deserialize, Serialize};

use super::error::PsiError;

/// How identifiers are normalised before hashing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Normalise {
    /// As read.
    None,
    /// Leading and trailing whitespace removed.
    Trim,
    /// Trimmed and lowercased.
    Lowercase,
    /// E.164 phone number: `+` and 8 to 15 digits. Spaces, dots, dashes and parentheses are
    /// dropped; a leading `00` becomes `+`; a number without a prefix gets `default_country`.
    Phone {
        /// Country calling code (digits only) for numbers without `+` or `00`.
        default_country: Option<String>,
    },
    /// E-mail address: trimmed, lowercased, exactly one `@` with non-empty parts.
    Email,
}

impl Normalise {
    /// Normalises one value; `None` means the value is not valid under this rule (skipped and
    /// counted by [`read_csv_column`]).
    pub fn apply(&self, raw: &str) -> Option<String> {
        let t = raw.trim();
        match self {
            Normalise::None => Some(raw.to_string()),
            Normalise::Trim => (!t.is_empty()).then(|| t.to_string()),
            Normalise::Lowercase => (!t.is_empty()).then(|| t.to_lowercase()),
            Normalise::Email => {
                let l = t.to_lowercase();
                let (user, domain) = l.split_once('@')?;
                if user.is_empty()
                    || domain.is_empty()
                    || domain.contains('@')
                    || l.contains(char::is_whitespace)
                {
                    return None;
                }
                Some(l)
            }
            Normalise::Phone { default_country } => {
                let mut s: String = t
                    .chars()
                    .filter(|c| !matches!(c, ' ' | '.' | '-' | '(' | ')' | '\u{a0}'))
                    .collect();
                if let Some(rest) = s.strip_prefix("00") {
                    s = format!("+{rest}");
                }
                if !s.starts_with('+') {
                    let cc = default_country.as_deref()?;
                    let national = s.strip_prefix('0').unwrap_or(&s);
                    s = format!("+{cc}{national}");
                }
                let digits = &s[1..];
                if !(8..=15).contains(&digits.len())
                    || !digits.bytes().all(|b| b.is_ascii_digit())
                    || digits.starts_with('0')
                {
                    return None;
                }
                Some(s)
            }
        }
    }
}

/// Splits one CSV record (RFC 4180: commas, double-quoted fields with `""` escapes). Records
/// spanning several lines are not supported and are reported as errors.
pub fn split_csv_line(line: &str) -> Result<Vec<String>, PsiError> {
    let mut fields = Vec::new();
    let mut cur = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    let mut at_start = true;
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    cur.push('"');
                    chars.next();
                } else {
                    quoted = false;
                }
            } else {
                cur.push(c);
            }
        } else if c == '"' && at_start {
            quoted = true;
            at_start = false;
        } else if c == ',' {
            fields.push(std::mem::take(&mut cur));
            at_start = true;
        } else {
            cur.push(c);
            at_start = false;
        }
    }
    if quoted {
        return Err(PsiError::Input("unterminated quoted field".into()));
    }
    fields.push(cur);
    Ok(fields)
}

/// Quotes a CSV field when needed.
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// A column read from a CSV file.
#[derive(Clone, PartialEq, Eq)]
pub struct Column {
    /// Normalised values (not yet deduplicated).
    pub values: Vec<Vec<u8>>,
    /// Rows skipped because the value was invalid under the normalisation.
    pub skipped: u64,
}

impl std::fmt::Debug for Column {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Column({} values, {} skipped)",
            self.values.len(),
            self.skipped
        )
    }
}

/// The data rows of a CSV stream, read after its header row. Each row must have exactly as many
/// fields as the header: a ragged row is an error naming its line ([`PsiError::RaggedRow`]), never
/// skipped. Blank lines are skipped (and counted in line numbers). Yields `(line, fields)` with
/// 1-based line numbers, the header being line 1.
pub struct CsvRows<R> {
    header: Vec<String>,
    lines: std::io::Lines<R>,
    line: u64,
}

impl<R> std::fmt::Debug for CsvRows<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CsvRows")
            .field("columns", &self.header.len())
            .field("line", &self.line)
            .finish_non_exhaustive()
    }
}

impl<R: BufRead> CsvRows<R> {
    /// Reads the header row (a leading byte-order mark is ignored).
    pub fn new(reader: R) -> Result<Self, PsiError> {
        let mut lines = reader.lines();
        let header = lines
            .next()
            .ok_or_else(|| PsiError::Input("empty CSV: no header row".into()))?
            .map_err(|e| PsiError::Input(e.to_string()))?;
        let header = split_csv_line(header.trim_start_matches('\u{feff}'))
            .map_err(|e| PsiError::Input(format!("CSV line 1: {e}")))?;
        Ok(Self {
            header,
            lines,
            line: 1,
        })
    }

    /// The header row's fields, as read.
    pub fn header(&self) -> &[String] {
        &self.header
    }

    /// The index of column `name` (compared with the header fields trimmed).
    pub fn column(&self, name: &str) -> Result<usize, PsiError> {
        self.header
            .iter()
            .position(|h| h.trim() == name)
            .ok_or_else(|| PsiError::NoColumn(name.to_string()))
    }
}

impl<R: BufRead> Iterator for CsvRows<R> {
    type Item = Result<(u64, Vec<String>), PsiError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let line = self.lines.next()?;
            self.line += 1;
            let n = self.line;
            let line = match line {
                Ok(line) => line,
                Err(e) => return Some(Err(PsiError::Input(format!("CSV line {n}: {e}")))),
            };
            if line.trim().is_empty() {
                continue;
            }
            let fields = match split_csv_line(&line) {
                Ok(fields) => fields,
                Err(e) => return Some(Err(PsiError::Input(format!("CSV line {n}: {e}")))),
            };
            if fields.len() != self.header.len() {
                return Some(Err(PsiError::RaggedRow {
                    line: n,
                    expected: self.header.len(),
                    found: fields.len(),
                }));
            }
            return Some(Ok((n, fields)));
        }
    }
}

/// Reads column `name` (from the header row) of a CSV stream, normalising each value. A row
/// with another number of fields than the header is an error ([`PsiError::RaggedRow`]); a value
/// invalid under `rule` is skipped and counted.
pub fn read_csv_column(
    reader: impl BufRead,
    name: &str,
    rule: &Normalise,
) -> Result<Column, PsiError> {
    let rows = CsvRows::new(reader)?;
    let col = rows.column(name)?;
    let mut values = Vec::new();
    let mut skipped = 0;
    for row in rows {
        let (_, fields) = row?;
        match rule.apply(&fields[col]) {
            Some(v) => values.push(v.into_bytes()),
            None => skipped += 1,
        }
    }
    Ok(Column { values, skipped })
}

/// Writes a one-column CSV of `items` under `header`.
pub fn write_csv_column(
    mut w: impl Write,
    header: &str,
    items: &[Vec<u8>],
) -> Result<(), PsiError> {
    let io = |e: std::io::Error| PsiError::Input(e.to_string());
    writeln!(w, "{}", csv_field(header)).map_err(io)?;
    for it in items {
        writeln!(w, "{}", csv_field(&String::from_utf8_lossy(it))).map_err(io)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation_rules() {
        assert_eq!(Normalise::Trim.apply("  a b "), Some("a b".into()));
        assert_eq!(Normalise::Lowercase.apply(" AbC "), Some("abc".into()));
        assert_eq!(
            Normalise::Email.apply(" Alice@Example.COM "),
            Some("alice@example.com".into())
        );
        assert_eq!(Normalise::Email.apply("no-at-sign"), None);
        assert_eq!(Normalise::Email.apply("a@b@c"), None);
        let uk = Normalise::Phone {
            default_country: Some("44".into()),
        };
        assert_eq!(uk.apply("020 7946 0958"), Some("+442079460958".into()));
        assert_eq!(
            uk.apply("0044 (20) 7946-0958"),
            Some("+442079460958".into())
        );
        assert_eq!(uk.apply("+44 20 7946 0958"), Some("+442079460958".into()));
        assert_eq!(uk.apply("12ab"), None);
        assert_eq!(
            Normalise::Phone {
                default_country: None
            }
            .apply("2079460958"),
            None
        );
    }

    #[test]
    fn csv_column_with_quotes_and_invalid_rows() {
        let data = "id,\"e-mail, work\",name\n1,A@X.org,\"Smith, J\"\n2,bad,x\n3,\"b@\"\"q\"\".org\",y\n\n";
        let col = read_csv_column(data.as_bytes(), "e-mail, work", &Normalise::Email).unwrap();
        assert_eq!(
            col.values,
            vec![b"a@x.org".to_vec(), b"b@\"q\".org".to_vec()]
        );
        assert_eq!(col.skipped, 1);
        assert_eq!(
            read_csv_column(data.as_bytes(), "phone", &Normalise::Trim),
            Err(PsiError::NoColumn("phone".into()))
        );
        assert!(split_csv_line("\"open").is_err());
        let mut out = Vec::new();
        write_csv_column(&mut out, "email", &[b"a,b".to_vec()]).unwrap();
        assert_eq!(out, b"email\n\"a,b\"\n");
    }

    #[test]
    fn ragged_rows_are_errors_naming_their_line() {
        // Line 1 is the header; the blank line 3 still counts.
        let short = "id,email\n1,a@x.org\n\n2\n3,c@x.org\n";
        assert_eq!(
            read_csv_column(short.as_bytes(), "email", &Normalise::Email),
            Err(PsiError::RaggedRow {
                line: 4,
                expected: 2,
                found: 1
            })
        );
        // A row without the column, and a row with a surplus field, are both ragged.
        let missing = "id,name,email\n1,A,a@x.org\n2,B\n";
        let err = read_csv_column(missing.as_bytes(), "email", &Normalise::Email).unwrap_err();
        assert_eq!(
            err,
            PsiError::RaggedRow {
                line: 3,
                expected: 3,
                found: 2
            }
        );
        assert_eq!(err.code(), "psi.ragged_row");
        assert!(err.to_string().contains("line 3"), "{err}");
        let long = "email\na@x.org\nb@x.org,extra\n";
        assert_eq!(
            read_csv_column(long.as_bytes(), "email", &Normalise::Email),
            Err(PsiError::RaggedRow {
                line: 3,
                expected: 1,
                found: 2
            })
        );
        // Quoted commas are not field separators; CRLF line ends are fine.
        let quoted = "name,email\r\n\"Smith, J\",a@x.org\r\n";
        let col = read_csv_column(quoted.as_bytes(), "email", &Normalise::Email).unwrap();
        assert_eq!(col.values, vec![b"a@x.org".to_vec()]);
        // An unterminated quote names its line too.
        let open = "email\na@x.org\n\"b@x.org\n";
        let err = read_csv_column(open.as_bytes(), "email", &Normalise::Email).unwrap_err();
        assert!(err.to_string().contains("line 3"), "{err}");
        // The rows iterator reports line numbers with the fields.
        let rows: Vec<_> = CsvRows::new("a,b\n\n1,2\n".as_bytes())
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(rows, vec![(3, vec!["1".to_string(), "2".to_string()])]);
    }
}
