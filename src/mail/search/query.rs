//! The search language, in the spirit of mutt/aerc patterns but in words:
//!
//! - plain words match any field or the body: `échographie`;
//! - `"quoted words"` match as a phrase (adjacent words, in order);
//! - prefixes restrict to a field: `from:` (`de:`), `to:` (`a:`, `à:`, also
//!   Cc), `subject:` (`objet:`, `sujet:`), `body:` (`corps:`); values may be quoted;
//! - `date:2026-01-01..2026-02-01` (both ends inclusive, whole days in the
//!   user's UTC offset given to [`parse_query_at`], UTC for [`parse_query`]; either end may be
//!   left out), `date:2026-01-31` or `date:31/01/2026` for one day;
//! - a leading `-` excludes: `-from:robot`.
//!
//! All clauses must match. Words unknown as prefixes (`10:30`, `http:`) are
//! plain text.

use super::{Error, Field, tokenize};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pub clauses: Vec<Clause>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clause {
    pub negated: bool,
    pub term: Term,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Term {
    /// Tokens that must appear adjacent and in order; `field: None` = any field.
    Words {
        field: Option<Field>,
        words: Vec<String>,
    },
    Date(DateRange),
}

/// Inclusive range of UTC seconds; `None` ends are open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateRange {
    pub start: Option<i64>,
    pub end: Option<i64>,
}

impl DateRange {
    pub fn contains(&self, utc_seconds: i64) -> bool {
        self.start.is_none_or(|s| utc_seconds >= s) && self.end.is_none_or(|e| utc_seconds <= e)
    }

    /// `2026-01-01..2026-02-01`, `2026-01-31`, `..31/01/2026`, `2026-01-01..`.
    pub fn parse(text: &str) -> Result<DateRange, Error> {
        DateRange::parse_at(text, time::UtcOffset::UTC)
    }

    /// [`DateRange::parse`] with days starting at midnight in `offset`.
    pub fn parse_at(text: &str, offset: time::UtcOffset) -> Result<DateRange, Error> {
        let bad = || Error::BadDate {
            text: text.to_string(),
        };
        let (start, end) = match text.split_once("..") {
            Some((a, b)) => (a.trim(), b.trim()),
            None => (text.trim(), text.trim()),
        };
        if start.is_empty() && end.is_empty() {
            return Err(bad());
        }
        let day = |s: &str| -> Result<Option<i64>, Error> {
            if s.is_empty() {
                return Ok(None);
            }
            parse_day(s, offset).map(Some).ok_or_else(bad)
        };
        let range = DateRange {
            start: day(start)?,
            end: day(end)?.map(|d| d + 86_399),
        };
        if let (Some(s), Some(e)) = (range.start, range.end)
            && s > e
        {
            return Err(bad());
        }
        Ok(range)
    }
}

/// Start of a day (midnight at `offset`) in UTC seconds, from `YYYY-MM-DD`
/// or `DD/MM/YYYY`.
fn parse_day(text: &str, offset: time::UtcOffset) -> Option<i64> {
    let numbers: Vec<&str> = text.split(['-', '/']).collect();
    let [a, b, c] = numbers.as_slice() else {
        return None;
    };
    let (y, m, d) = if text.contains('/') {
        (c, b, a)
    } else {
        (a, b, c)
    };
    let year: i32 = y.parse().ok()?;
    let month: u8 = m.parse().ok()?;
    let day: u8 = d.parse().ok()?;
    let month = time::Month::try_from(month).ok()?;
    let date = time::Date::from_calendar_date(year, month, day).ok()?;
    Some(date.midnight().assume_offset(offset).unix_timestamp())
}

fn prefix_field(prefix: &str) -> Option<Option<Field>> {
    match prefix.to_lowercase().as_str() {
        "from" | "de" => Some(Some(Field::From)),
        "to" | "a" | "à" | "cc" => Some(Some(Field::To)),
        "subject" | "objet" | "sujet" => Some(Some(Field::Subject)),
        "body" | "corps" => Some(Some(Field::Body)),
        "date" => Some(None),
        _ => None,
    }
}

/// Split the input into items, keeping quoted runs together.
fn items(input: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for ch in input.chars() {
        match ch {
            '"' => {
                quoted = !quoted;
                current.push(ch);
            }
            c if c.is_whitespace() && !quoted => {
                if !current.is_empty() {
                    out.push(std::mem::take(&mut current));
                }
            }
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// Parse a query, with `date:` days in UTC.
pub fn parse_query(input: &str) -> Result<Query, Error> {
    parse_query_at(input, time::UtcOffset::UTC)
}

/// Parse a query, with `date:` days in the user's offset (a message sent at
/// 00:30 in Paris belongs to that day, not to the previous UTC day).
pub fn parse_query_at(input: &str, offset: time::UtcOffset) -> Result<Query, Error> {
    let mut clauses = Vec::new();
    for item in items(input) {
        let (negated, body) = match item.strip_prefix('-') {
            Some(rest) if !rest.is_empty() => (true, rest),
            _ => (false, item.as_str()),
        };
        let split = body
            .split_once(':')
            .filter(|(p, _)| !p.starts_with('"'))
            .and_then(|(p, v)| prefix_field(p).map(|f| (p, f, v)));
        let term = match split {
            Some((prefix, None, value)) => {
                let value = value.trim_matches('"');
                if value.is_empty() {
                    return Err(Error::EmptyValue {
                        prefix: prefix.to_string(),
                    });
                }
                Term::Date(DateRange::parse_at(value, offset)?)
            }
            Some((prefix, Some(field), value)) => {
                let words = tokenize(value);
                if words.is_empty() {
                    return Err(Error::EmptyValue {
                        prefix: prefix.to_string(),
                    });
                }
                Term::Words {
                    field: Some(field),
                    words,
                }
            }
            None => {
                let words = tokenize(body);
                if words.is_empty() {
                    continue;
                }
                Term::Words { field: None, words }
            }
        };
        clauses.push(Clause { negated, term });
    }
    Ok(Query { clauses })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(field: Option<Field>, w: &[&str]) -> Term {
        Term::Words {
            field,
            words: w.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn prefixes_phrases_and_negation() {
        let q = parse_query(
            "from:martin de:\"Dr Émile\" to:secretariat objet:IRM \"compte rendu\" -corps:annulé 10:30",
        )
        .unwrap();
        let terms: Vec<(bool, Term)> = q.clauses.into_iter().map(|c| (c.negated, c.term)).collect();
        assert_eq!(
            terms,
            vec![
                (false, words(Some(Field::From), &["martin"])),
                (false, words(Some(Field::From), &["dr", "emile"])),
                (false, words(Some(Field::To), &["secretariat"])),
                (false, words(Some(Field::Subject), &["irm"])),
                (false, words(None, &["compte", "rendu"])),
                (true, words(Some(Field::Body), &["annule"])),
                (false, words(None, &["10", "30"])),
            ]
        );
    }

    #[test]
    fn date_ranges() {
        let q = parse_query("date:2026-01-01..2026-02-01").unwrap();
        let Term::Date(r) = &q.clauses[0].term else {
            panic!()
        };
        assert_eq!(r.start, Some(1_767_225_600));
        assert_eq!(r.end, Some(1_769_904_000 + 86_399));
        assert!(r.contains(1_769_904_000 + 3_600));
        assert!(!r.contains(1_767_225_599));
        let one = DateRange::parse("31/01/2026").unwrap();
        assert_eq!(one.start, Some(1_769_817_600));
        let open = DateRange::parse("..2026-01-31").unwrap();
        assert_eq!(open.start, None);
        assert!(DateRange::parse("2026-02-30").is_err());
        assert!(DateRange::parse("2026-03-01..2026-02-01").is_err());
        assert!(matches!(
            parse_query("date:demain"),
            Err(Error::BadDate { .. })
        ));
        assert!(matches!(
            parse_query("from:"),
            Err(Error::EmptyValue { .. })
        ));
    }
}
