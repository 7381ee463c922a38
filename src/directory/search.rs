//! Search over an open [`Index`]: as-you-type, multi-criteria, ranked.
//!
//! The query text is split into words after normalisation. Words with `@` or a
//! dot search mailbox addresses (or domains when they start with `@`); long
//! digit runs search RPPS/ADELI/IDNPS; 5 digits set a postcode and 2–3 digits a
//! department. Other words are names: the first one is looked up by binary
//! search in the sorted family-name and given-name arrays (prefix match, so it
//! works while typing), the others must start a word of the same name. When
//! that leaves room, a typo pass compares the first word to each distinct name
//! that shares its first letter (optimal string alignment distance, 1 typo for
//! 4–7 letters, 2 beyond). Ranking tiers: exact family name, exact given name,
//! family prefix, given prefix, typo, filter-only; alphabetical inside a tier.
//! Every scan is bounded, so one keystroke costs at most a few milliseconds.

use serde::Serialize;

use super::error::Error;
use super::index::Index;
use super::model::{Entry, MailboxKind};
use super::normalize::{PART_SEP, bounded_distance, normalize, typo_budget};

/// A search request. Filters are combined with AND and must hold for one
/// same activity of the entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    pub text: String,
    /// Profession code ("10") or label start ("médecin", "infirm").
    pub profession: Option<String>,
    /// Savoir-faire code ("SM54") or a word start of its label ("cardio").
    pub speciality: Option<String>,
    pub city: Option<String>,
    pub postcode: Option<String>,
    /// Department code ("75", "2A", "971").
    pub department: Option<String>,
    /// Only entries with at least one MSSanté mailbox.
    pub with_mailbox: bool,
    pub limit: usize,
}

impl Query {
    pub fn text(text: &str) -> Query {
        Query {
            text: text.to_string(),
            limit: 50,
            ..Query::default()
        }
    }

    /// Whether a full entry passes the filters (not the text), with the same
    /// rules as the index: used for online results, which the API cannot
    /// filter the same way.
    pub fn filters_accept(&self, e: &Entry) -> bool {
        if self.with_mailbox && e.mailboxes.is_empty() {
            return false;
        }
        let norm = |v: &Option<String>| v.as_deref().map(normalize).filter(|v| !v.is_empty());
        let (prof, spec, dept, city, post) = (
            norm(&self.profession),
            norm(&self.speciality),
            norm(&self.department),
            norm(&self.city),
            norm(&self.postcode),
        );
        if prof.is_none() && spec.is_none() && dept.is_none() && city.is_none() && post.is_none() {
            return true;
        }
        let coded = |want: &Option<String>, code: &str, label: &str| {
            want.as_ref()
                .is_none_or(|w| normalize(code) == *w || word_start(&normalize(label), w))
        };
        let plain = |want: &Option<String>, value: &str, prefix: bool| {
            want.as_ref().is_none_or(|w| {
                let v = normalize(value);
                if prefix {
                    v.starts_with(w.as_str())
                } else {
                    v == *w
                }
            })
        };
        e.activities.iter().any(|a| {
            coded(&prof, &a.profession_code, &a.profession)
                && coded(&spec, &a.speciality_code, &a.speciality)
                && plain(&dept, &a.department, false)
                && plain(&city, &a.city, true)
                && plain(&post, &a.postcode, true)
        })
    }
}

/// Rank tiers, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rank {
    ExactId,
    ExactFamily,
    ExactGiven,
    FamilyPrefix,
    GivenPrefix,
    Typo,
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    pub id: u32,
    pub rank: Rank,
}

/// A recipient suggestion for the composer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Completion {
    pub address: String,
    pub kind: MailboxKind,
    /// "Dr Alice MARTIN — Médecin, LYON".
    pub label: String,
}

/// Upper bound on index positions examined per source; keeps worst-case
/// latency bounded when filters reject most candidates.
const MAX_SCAN: usize = 200_000;

/// Facet predicates resolved to the index's string table.
struct Filters {
    profession: Option<Vec<bool>>,
    speciality: Option<Vec<bool>>,
    department: Option<Vec<bool>>,
    city: Option<Vec<bool>>,
    postcode: Option<Vec<bool>>,
    with_mailbox: bool,
}

impl Filters {
    fn has_facets(&self) -> bool {
        self.profession.is_some()
            || self.speciality.is_some()
            || self.department.is_some()
            || self.city.is_some()
            || self.postcode.is_some()
    }

    fn is_empty(&self) -> bool {
        !self.has_facets() && !self.with_mailbox
    }
}

fn word_start(haystack: &str, needle: &str) -> bool {
    haystack.starts_with(needle) || haystack.contains(&format!(" {needle}"))
}

impl Index {
    fn compile(&self, q: &Query, extra_dept: Option<&str>, extra_post: Option<&str>) -> Filters {
        let table = |value: Option<&str>, pred: &dyn Fn(&str, &str) -> bool| {
            let v = normalize(value?);
            if v.is_empty() {
                return None;
            }
            Some(self.norm_strings.iter().map(|s| pred(s, &v)).collect())
        };
        let coded = |s: &str, v: &str| {
            let (code, label) = s.split_once(' ').unwrap_or((s, ""));
            code == v || word_start(label, v)
        };
        Filters {
            profession: table(q.profession.as_deref(), &coded),
            speciality: table(q.speciality.as_deref(), &coded),
            department: table(q.department.as_deref().or(extra_dept), &|s, v| s == v),
            city: table(q.city.as_deref(), &|s, v| s.starts_with(v)),
            postcode: table(q.postcode.as_deref().or(extra_post), &|s, v| {
                s.starts_with(v)
            }),
            with_mailbox: q.with_mailbox,
        }
    }

    fn accepts(&self, id: u32, f: &Filters) -> bool {
        if f.with_mailbox && !self.has_mailbox(id) {
            return false;
        }
        if !f.has_facets() {
            return true;
        }
        let d = &self.data;
        let ok = |table: &Option<Vec<bool>>, value: u32| {
            table
                .as_ref()
                .is_none_or(|t| t.get(value as usize).copied().unwrap_or(false))
        };
        self.activities(id).any(|a| {
            ok(&f.profession, d.f_profession[a])
                && ok(&f.speciality, d.f_speciality[a])
                && ok(&f.department, d.f_department[a])
                && ok(&f.city, d.f_city[a])
                && ok(&f.postcode, d.f_postcode[a])
        })
    }

    fn has_mailbox(&self, id: u32) -> bool {
        self.mail_owner.get(id as usize).copied().unwrap_or(false)
    }

    /// Ranked entry numbers for `q` (at most `q.limit`).
    pub fn search_ids(&self, q: &Query) -> Vec<Hit> {
        let limit = if q.limit == 0 { 50 } else { q.limit };
        let mut names: Vec<String> = Vec::new();
        let mut ids: Vec<String> = Vec::new();
        let mut mail: Vec<String> = Vec::new();
        let (mut dept, mut post) = (None, None);
        for raw in q.text.split_whitespace() {
            if raw.contains('@') || (raw.contains('.') && raw.len() > 3) {
                mail.push(raw.trim().to_ascii_lowercase());
                continue;
            }
            for w in normalize(raw).split(' ').filter(|w| !w.is_empty()) {
                if w.bytes().all(|b| b.is_ascii_digit()) {
                    match w.len() {
                        2 | 3 => dept = Some(w.to_string()),
                        5 => post = Some(w.to_string()),
                        _ => ids.push(w.to_string()),
                    }
                } else {
                    names.push(w.to_string());
                }
            }
        }
        let filters = self.compile(q, dept.as_deref(), post.as_deref());
        let mut hits: Vec<Hit> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut push = |hits: &mut Vec<Hit>, id: u32, rank: Rank| {
            if seen.insert(id) {
                hits.push(Hit { id, rank });
            }
        };

        if let Some(m) = mail.first() {
            for (id, rank) in self.mail_candidates(m, &filters, limit) {
                push(&mut hits, id, rank);
            }
            return self.finish(hits, limit);
        }
        if let Some(number) = ids.first() {
            for (id, rank) in self.id_candidates(number, &filters, limit) {
                push(&mut hits, id, rank);
            }
            return self.finish(hits, limit);
        }
        let Some((first, rest)) = names.split_first() else {
            if !filters.is_empty() {
                for &id in self.data.by_family.iter().take(MAX_SCAN * 10) {
                    if hits.len() >= limit {
                        break;
                    }
                    if self.accepts(id, &filters) {
                        push(&mut hits, id, Rank::Other);
                    }
                }
            }
            return self.finish(hits, limit);
        };
        let others_match = |id: u32, rest: &[String]| {
            let (f, g) = self.name_parts(id);
            rest.iter().all(|t| {
                let t = t.as_bytes();
                words(f).chain(words(g)).any(|w| w.starts_with(t))
            })
        };
        // Sources, each contributing up to `limit` candidates: the whole text
        // as a compound family name ("le gall"), then the first word against
        // family and given names with the other words checked on the entry.
        let joined = names.join(" ");
        let mut sources: Vec<(&str, bool, &[String])> = Vec::new();
        if !rest.is_empty() {
            sources.push((&joined, false, &[]));
        }
        sources.push((first, false, rest));
        sources.push((first, true, rest));
        for (prefix, given, others) in sources {
            let order = if given {
                &self.data.by_given
            } else {
                &self.data.by_family
            };
            let range = self.prefix_range(order, prefix.as_bytes(), given);
            let mut taken = 0;
            for &id in order[range].iter().take(MAX_SCAN) {
                if taken >= limit {
                    break;
                }
                if !others_match(id, others) || !self.accepts(id, &filters) {
                    continue;
                }
                let (f, g) = self.name_parts(id);
                let part = if given { g } else { f };
                let exact = part == prefix.as_bytes();
                let rank = match (given, exact) {
                    (false, true) => Rank::ExactFamily,
                    (true, true) => Rank::ExactGiven,
                    (false, false) => Rank::FamilyPrefix,
                    (true, false) => Rank::GivenPrefix,
                };
                push(&mut hits, id, rank);
                taken += 1;
            }
        }
        if hits.len() < limit && typo_budget(first.len()) > 0 {
            for given in [false, true] {
                for id in self.typo_candidates(
                    first.as_bytes(),
                    given,
                    limit - hits.len().min(limit),
                    &|id| others_match(id, rest) && self.accepts(id, &filters),
                ) {
                    push(&mut hits, id, Rank::Typo);
                }
            }
        }
        self.finish(hits, limit)
    }

    fn finish(&self, mut hits: Vec<Hit>, limit: usize) -> Vec<Hit> {
        hits.sort_by(|a, b| {
            a.rank
                .cmp(&b.rank)
                .then_with(|| self.name_key(a.id).cmp(self.name_key(b.id)))
        });
        hits.truncate(limit);
        hits
    }

    /// Positions in `order` whose family (or given) part starts with `prefix`.
    fn prefix_range(&self, order: &[u32], prefix: &[u8], given: bool) -> std::ops::Range<usize> {
        let part = |id: u32| {
            let (f, g) = self.name_parts(id);
            if given { g } else { f }
        };
        let lo = order.partition_point(|&id| part(id) < prefix);
        let hi = lo + order[lo..].partition_point(|&id| part(id).starts_with(prefix));
        lo..hi
    }

    /// Entries whose family (or given) name starts within the typo budget of
    /// `q`. Instead of scanning, it looks up every one-edit variant of `q`
    /// (deletion, transposition, substitution, insertion) as a prefix: a few
    /// hundred binary searches whatever the size of the index. For long words
    /// (budget 2) the variants are built on `q` minus its last two letters,
    /// so a second typo may sit at the end; every candidate is then checked
    /// against the whole of `q` with the real budget.
    fn typo_candidates(
        &self,
        q: &[u8],
        given: bool,
        want: usize,
        accept: &dyn Fn(u32) -> bool,
    ) -> Vec<u32> {
        let budget = typo_budget(q.len());
        let order = if given {
            &self.data.by_given
        } else {
            &self.data.by_family
        };
        let probe = if budget >= 2 { &q[..q.len() - 2] } else { q };
        let mut out = Vec::new();
        for variant in one_edit_variants(probe) {
            if out.len() >= want {
                break;
            }
            let range = self.prefix_range(order, &variant, given);
            let mut last: &[u8] = &[];
            let mut last_ok = false;
            for &id in order[range].iter().take(want * 4 + 64) {
                if out.len() >= want {
                    break;
                }
                let (f, g) = self.name_parts(id);
                let part = if given { g } else { f };
                let head = &part[..part.len().min(q.len() + budget)];
                if head != last {
                    last = head;
                    last_ok = typo_match(q, head, budget);
                }
                if last_ok && !out.contains(&id) && accept(id) {
                    out.push(id);
                }
            }
        }
        out
    }

    fn id_candidates(&self, number: &str, f: &Filters, limit: usize) -> Vec<(u32, Rank)> {
        let mut out: Vec<(u32, Rank)> = Vec::new();
        // RPPS (11 digits) and ADELI (9) are stored inside the IDNPS with their
        // type digit; the likeliest reading goes first.
        let mut prefixes = vec![
            number.to_string(),
            format!("8{number}"),
            format!("0{number}"),
        ];
        match number.len() {
            11 => prefixes.swap(0, 1),
            9 => prefixes.swap(0, 2),
            _ => {}
        }
        for prefix in prefixes {
            let p = prefix.as_bytes();
            let order = &self.data.by_id;
            let lo = order.partition_point(|&id| self.id_key(id) < p);
            let mut taken = 0;
            for &id in order[lo..].iter().take(MAX_SCAN) {
                let key = self.id_key(id);
                if !key.starts_with(p) || taken >= limit {
                    break;
                }
                if self.accepts(id, f) && !out.iter().any(|&(x, _)| x == id) {
                    let exact = key == p && (p.len() == 10 || p.len() == 12);
                    out.push((id, if exact { Rank::ExactId } else { Rank::Other }));
                    taken += 1;
                }
            }
        }
        out
    }

    fn mail_candidates(&self, text: &str, f: &Filters, limit: usize) -> Vec<(u32, Rank)> {
        let (order, needle, domain_only) = match text.strip_prefix('@') {
            Some(d) => (&self.data.by_domain, d, true),
            None if !text.contains('@') => (&self.data.by_domain, text, true),
            None => (&self.data.by_addr, text, false),
        };
        let key = |m: u32| {
            let k = self.mail_key(m);
            if domain_only {
                let at = k.iter().rposition(|&b| b == b'@').map_or(0, |p| p + 1);
                &k[at..]
            } else {
                k
            }
        };
        let n = needle.as_bytes();
        let lo = order.partition_point(|&m| key(m) < n);
        let mut out = Vec::new();
        for &m in order[lo..].iter().take(MAX_SCAN) {
            let k = key(m);
            if !k.starts_with(n) || out.len() >= limit {
                break;
            }
            let Some(&id) = self.data.mail_entry.get(m as usize) else {
                continue;
            };
            if self.accepts(id, f) && !out.iter().any(|&(x, _)| x == id) {
                let rank = if k == n && !domain_only {
                    Rank::ExactId
                } else {
                    Rank::Other
                };
                out.push((id, rank));
            }
        }
        out
    }

    /// Full entries for `q`, best first.
    pub fn search(&self, q: &Query) -> Result<Vec<Entry>, Error> {
        self.search_ids(q)
            .iter()
            .map(|h| self.entry(h.id))
            .collect()
    }

    /// Recipient suggestions for a prefix typed in the composer (name or address).
    pub fn completions(&self, prefix: &str, limit: usize) -> Result<Vec<Completion>, Error> {
        let q = Query {
            text: prefix.to_string(),
            with_mailbox: true,
            limit,
            ..Query::default()
        };
        let typed = prefix.trim().to_ascii_lowercase();
        let mut out = Vec::new();
        for hit in self.search_ids(&q) {
            let e = self.entry(hit.id)?;
            let what = e
                .activities
                .first()
                .map(|a| {
                    let mut s = a.profession.clone();
                    if !a.city.is_empty() {
                        s.push_str(", ");
                        s.push_str(&a.city);
                    }
                    s
                })
                .unwrap_or_default();
            let label = if what.is_empty() {
                e.display_name()
            } else {
                format!("{} — {what}", e.display_name())
            };
            let mut boxes: Vec<_> = e.mailboxes.iter().collect();
            // Personal boxes first; when an address is being typed, only those that match it.
            boxes.sort_by_key(|m| m.kind != MailboxKind::Personal);
            for m in boxes {
                let addr = m.address.to_ascii_lowercase();
                if typed.contains('@') && !addr.starts_with(&typed) {
                    continue;
                }
                out.push(Completion {
                    address: m.address.clone(),
                    kind: m.kind,
                    label: label.clone(),
                });
            }
            if out.len() >= limit {
                break;
            }
        }
        out.truncate(limit);
        Ok(out)
    }
}

/// Letters a normalised key can hold.
const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789 ";

/// Every string one edit away from `q` (the first letter included).
fn one_edit_variants(q: &[u8]) -> Vec<Vec<u8>> {
    let n = q.len();
    let mut out = Vec::with_capacity(n * 2 * ALPHABET.len() + 2 * n);
    for i in 0..n {
        let mut v = q.to_vec();
        v.remove(i);
        if !v.is_empty() {
            out.push(v);
        }
    }
    for i in 0..n.saturating_sub(1) {
        let mut v = q.to_vec();
        v.swap(i, i + 1);
        out.push(v);
    }
    for i in 0..n {
        for &c in ALPHABET {
            if c != q[i] && !(i == 0 && c == b' ') {
                let mut v = q.to_vec();
                v[i] = c;
                out.push(v);
            }
        }
    }
    // Insertion at the end is already a prefix match.
    for i in 0..n {
        for &c in ALPHABET {
            if !(i == 0 && c == b' ') {
                let mut v = q.to_vec();
                v.insert(i, c);
                out.push(v);
            }
        }
    }
    out
}

fn words(part: &[u8]) -> impl Iterator<Item = &[u8]> {
    part.split(|&b| b == b' ' || b == PART_SEP)
        .filter(|w| !w.is_empty())
}

/// Whether `q` is within `budget` edits of `word` or of one of its prefixes
/// of about the same length (the user may still be typing).
fn typo_match(q: &[u8], word: &[u8], budget: usize) -> bool {
    let lo = q.len().saturating_sub(budget).max(1);
    let hi = (q.len() + budget).min(word.len());
    (lo..=hi).any(|l| bounded_distance(q, &word[..l], budget).is_some())
}
