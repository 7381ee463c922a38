//! Reading the cache's own binary records (summary pages, search buckets
//! and document pages): little-endian counts and lengths in front of
//! byte runs. Every read is bounds-checked; a short or overlong record is
//! a `Corrupt` error naming what it was, never a panic.

use super::error::Error;

pub struct RecordReader<'a> {
    rest: &'a [u8],
    what: &'static str,
}

impl<'a> RecordReader<'a> {
    pub fn new(bytes: &'a [u8], what: &'static str) -> Self {
        RecordReader { rest: bytes, what }
    }

    pub fn corrupt(&self) -> Error {
        Error::Corrupt { what: self.what }
    }

    pub fn bytes(&mut self, n: usize) -> Result<&'a [u8], Error> {
        let (head, tail) = self
            .rest
            .split_at_checked(n)
            .ok_or_else(|| self.corrupt())?;
        self.rest = tail;
        Ok(head)
    }

    pub fn u32(&mut self) -> Result<u32, Error> {
        let (head, tail) = self
            .rest
            .split_first_chunk::<4>()
            .ok_or_else(|| self.corrupt())?;
        self.rest = tail;
        Ok(u32::from_le_bytes(*head))
    }

    pub fn u8(&mut self) -> Result<u8, Error> {
        let byte = self.bytes(1)?.first().copied();
        byte.ok_or_else(|| self.corrupt())
    }

    /// Bytes not read yet.
    pub fn remaining(&self) -> usize {
        self.rest.len()
    }

    /// The record must end here.
    pub fn finish(self) -> Result<(), Error> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(self.corrupt())
        }
    }
}
