//! The cardholder PIN. It lives in a zeroizing buffer, cannot be cloned or
//! printed, and is consumed by the card thread when sent: the only copy that
//! reaches the wire is the VERIFY APDU, itself in a zeroizing buffer.

use std::io::Read;

use zeroize::Zeroizing;

use super::error::Error;

/// A CPS PIN: 4 to 8 ASCII digits.
pub struct Pin(Zeroizing<Vec<u8>>);

impl Pin {
    /// Validates and wraps a PIN typed by the user. Surrounding whitespace
    /// (the newline of a pipe) is dropped.
    pub fn new(text: Zeroizing<String>) -> Result<Pin, Error> {
        let t = text.trim();
        if !(4..=8).contains(&t.len()) || !t.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::InvalidPin);
        }
        Ok(Pin(Zeroizing::new(t.as_bytes().to_vec())))
    }

    /// Reads a PIN from a reader (a `--pin-fd` descriptor): the first line, at most 64 bytes.
    pub fn read_from(mut input: impl Read) -> Result<Pin, Error> {
        let mut buf = Zeroizing::new(vec![0u8; 64]);
        let mut len = 0;
        while len < buf.len() {
            let n = input.read(&mut buf[len..]).map_err(|source| Error::Io {
                context: "cannot read the PIN".into(),
                source,
            })?;
            if n == 0 || buf[..len + n].contains(&b'\n') {
                len += n;
                break;
            }
            len += n;
        }
        let line = buf[..len].split(|b| *b == b'\n').next().unwrap_or(&[]);
        // Validate in place: a failed conversion must not keep a copy of the bytes.
        let text = Zeroizing::new(
            std::str::from_utf8(line)
                .map_err(|_| Error::InvalidPin)?
                .to_string(),
        );
        Pin::new(text)
    }

    pub(crate) fn bytes(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for Pin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pin(****)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_and_hides() {
        let p = Pin::new(Zeroizing::new("1234\n".into())).unwrap();
        assert_eq!(p.bytes(), b"1234");
        assert_eq!(format!("{p:?}"), "Pin(****)");
        for bad in ["12", "123456789", "12a4", ""] {
            assert!(matches!(
                Pin::new(Zeroizing::new(bad.into())),
                Err(Error::InvalidPin)
            ));
        }
    }

    #[test]
    fn reads_first_line_of_a_descriptor() {
        let p = Pin::read_from(&b"4321\nrest"[..]).unwrap();
        assert_eq!(p.bytes(), b"4321");
        assert!(Pin::read_from(&b""[..]).is_err());
    }
}
