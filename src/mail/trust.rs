//! The MSSanté trust space: a recipient is inside it when the domain of its
//! address is an MSSanté domain the directory knows. Writing outside it (to
//! a patient, to ordinary mail) is allowed but must be confirmed, and the
//! attachments should then travel in a protected archive (see
//! [`crate::mail::protect`]).
//!
//! Pure functions over "is this domain known?", so the TUI (through the
//! directory thread, [`outside_trust_space_via`]) and the CLI (with the index
//! opened in place, [`outside_trust_space_in`]) share one rule. Without a
//! directory nothing is known to be inside: every recipient is reported, the
//! caller warns — the safe side.

use crate::directory::{DirectoryHandle, Index};
use crate::mail::compose::Mailbox;

/// Where a recipient stands.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Outsider {
    pub email: String,
    /// The domain (lower case) that the directory does not know.
    pub domain: String,
}

/// The recipients whose domain `is_mssante_domain` does not accept, in the
/// order given, each address once.
pub fn outside_trust_space<'a>(
    recipients: impl IntoIterator<Item = &'a Mailbox>,
    is_mssante_domain: impl Fn(&str) -> bool,
) -> Vec<Outsider> {
    let mut out: Vec<Outsider> = Vec::new();
    for m in recipients {
        let domain = m.domain();
        if is_mssante_domain(&domain) {
            continue;
        }
        if out.iter().any(|o| m.same_address(&o.email)) {
            continue;
        }
        out.push(Outsider {
            email: m.email.clone(),
            domain,
        });
    }
    out
}

/// The same with an opened directory index (`None`: no directory imported,
/// so every recipient is outside as far as we can tell).
pub fn outside_trust_space_in<'a>(
    recipients: impl IntoIterator<Item = &'a Mailbox>,
    index: Option<&Index>,
) -> Vec<Outsider> {
    outside_trust_space(recipients, |d| {
        index.is_some_and(|i| i.is_mssante_domain(d))
    })
}

/// The same through the directory thread: one request for the domain list,
/// then the pure check. A directory that cannot answer (no index yet, thread
/// gone) counts as knowing no domain.
pub async fn outside_trust_space_via(
    recipients: &[Mailbox],
    directory: Option<&DirectoryHandle>,
) -> Vec<Outsider> {
    let domains = match directory {
        Some(h) => h.domains().await.unwrap_or_default(),
        None => Vec::new(),
    };
    outside_trust_space(recipients, |d| known(&domains, d))
}

/// `domains` is the directory's sorted lower-case list.
fn known(domains: &[String], domain: &str) -> bool {
    let d = domain.trim().to_ascii_lowercase();
    domains.binary_search(&d).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mb(s: &str) -> Mailbox {
        Mailbox::parse(s).unwrap()
    }

    #[test]
    fn only_unknown_domains_are_reported_once_each() {
        let domains = vec![
            "ch-exemple.mssante.fr".to_string(),
            "medecin.mssante.fr".to_string(),
        ];
        let rcpt = [
            mb("dr.x@medecin.mssante.fr"),
            mb("patient@gmail.example"),
            mb("y@CH-Exemple.MSSante.fr"),
            mb("patient@GMAIL.example"),
            mb("other@laposte.example"),
        ];
        let out = outside_trust_space(&rcpt, |d| known(&domains, d));
        assert_eq!(
            out,
            vec![
                Outsider {
                    email: "patient@gmail.example".into(),
                    domain: "gmail.example".into()
                },
                Outsider {
                    email: "other@laposte.example".into(),
                    domain: "laposte.example".into()
                },
            ]
        );
    }

    #[test]
    fn without_a_directory_everyone_is_outside() {
        let rcpt = [mb("a@medecin.mssante.fr")];
        assert_eq!(outside_trust_space_in(&rcpt, None).len(), 1);
    }

    #[tokio::test]
    async fn a_directory_without_index_knows_no_domain() {
        let dir = tempfile::tempdir().unwrap();
        let h = DirectoryHandle::spawn(dir.path().join("none")).unwrap();
        let rcpt = [mb("a@medecin.mssante.fr")];
        assert_eq!(outside_trust_space_via(&rcpt, Some(&h)).await.len(), 1);
        assert_eq!(outside_trust_space_via(&rcpt, None).await.len(), 1);
    }
}
