//! A mailbox (display name + addr-spec) with the minimal validation we need
//! before an address reaches an SMTP envelope: one `@`, non-empty parts, no
//! whitespace, angle brackets or control characters that could break a
//! command line or a header.

use super::Error;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Mailbox {
    pub name: Option<String>,
    pub email: String,
}

impl Mailbox {
    pub fn new(name: Option<&str>, email: &str) -> Result<Self, Error> {
        let email = email.trim();
        if !is_valid_addr_spec(email) {
            return Err(Error::BadAddress(email.to_string()));
        }
        Ok(Self {
            name: name
                .map(|n| n.trim().replace(['\r', '\n'], " "))
                .filter(|n| !n.is_empty()),
            email: email.to_string(),
        })
    }

    /// A bare address, as typed on the command line.
    pub fn parse(email: &str) -> Result<Self, Error> {
        Self::new(None, email)
    }

    /// The domain part, lower-cased (domains are case-insensitive).
    pub fn domain(&self) -> String {
        self.email
            .rsplit_once('@')
            .map(|(_, d)| d.to_ascii_lowercase())
            .unwrap_or_default()
    }

    /// Same addr-spec: local part compared exactly, domain without case.
    pub fn same_address(&self, other: &str) -> bool {
        same_addr_spec(&self.email, other)
    }
}

/// Compares two addr-specs the way RFC 5321 allows: the local part may be
/// case-sensitive, the domain is not.
pub fn same_addr_spec(a: &str, b: &str) -> bool {
    match (a.trim().rsplit_once('@'), b.trim().rsplit_once('@')) {
        (Some((la, da)), Some((lb, db))) => la == lb && da.eq_ignore_ascii_case(db),
        _ => false,
    }
}

fn is_valid_addr_spec(s: &str) -> bool {
    let Some((local, domain)) = s.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.is_empty()
        && (domain.contains('.') || domain.eq_ignore_ascii_case("localhost"))
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | ';'))
        && !domain.contains('@')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_addresses_and_rejects_injection() {
        assert!(Mailbox::parse("bob@example.test").is_ok());
        assert_eq!(
            Mailbox::parse("Bob@Example.TEST").unwrap().domain(),
            "example.test"
        );
        for bad in [
            "",
            "bob",
            "@example.test",
            "bob@",
            "bob@x.test>\r\nRCPT TO:<e@v.il",
            "a b@x.test",
            "a@b@c",
        ] {
            assert!(Mailbox::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn addr_spec_comparison_ignores_domain_case_only() {
        assert!(same_addr_spec("bob@Example.Test", "bob@example.test"));
        assert!(!same_addr_spec("Bob@example.test", "bob@example.test"));
        assert!(!same_addr_spec("bob", "bob"));
    }
}
