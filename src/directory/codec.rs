//! A minimal length-prefixed binary codec for the index files and the import
//! spool. Reading is bounds-checked everywhere: a truncated or damaged file
//! yields `Damaged`, never a panic or an out-of-memory allocation.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damaged(pub &'static str);

pub fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

pub fn put_str(out: &mut Vec<u8>, s: &str) {
    put_varint(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

pub fn put_u32s(out: &mut Vec<u8>, v: &[u32]) {
    out.extend_from_slice(&(v.len() as u64).to_le_bytes());
    for x in v {
        out.extend_from_slice(&x.to_le_bytes());
    }
}

pub fn put_u64s(out: &mut Vec<u8>, v: &[u64]) {
    out.extend_from_slice(&(v.len() as u64).to_le_bytes());
    for x in v {
        out.extend_from_slice(&x.to_le_bytes());
    }
}

pub fn put_bytes(out: &mut Vec<u8>, v: &[u8]) {
    out.extend_from_slice(&(v.len() as u64).to_le_bytes());
    out.extend_from_slice(v);
}

pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.pos >= self.buf.len()
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], Damaged> {
        let end = self.pos.checked_add(n).ok_or(Damaged("length overflow"))?;
        let s = self.buf.get(self.pos..end).ok_or(Damaged("truncated"))?;
        self.pos = end;
        Ok(s)
    }

    pub fn u8(&mut self) -> Result<u8, Damaged> {
        Ok(self.take(1)?[0])
    }

    pub fn varint(&mut self) -> Result<u64, Damaged> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.u8()?;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(Damaged("varint too long"))
    }

    pub fn str(&mut self) -> Result<&'a str, Damaged> {
        let n = usize::try_from(self.varint()?).map_err(|_| Damaged("length overflow"))?;
        std::str::from_utf8(self.take(n)?).map_err(|_| Damaged("invalid UTF-8"))
    }

    fn count(&mut self, width: usize) -> Result<usize, Damaged> {
        let raw = self.take(8)?;
        let mut b = [0u8; 8];
        b.copy_from_slice(raw);
        let n = usize::try_from(u64::from_le_bytes(b)).map_err(|_| Damaged("length overflow"))?;
        // Refuse counts the remaining bytes cannot hold before allocating.
        if n.checked_mul(width)
            .is_none_or(|need| need > self.buf.len() - self.pos)
        {
            return Err(Damaged("array longer than the file"));
        }
        Ok(n)
    }

    pub fn u32s(&mut self) -> Result<Vec<u32>, Damaged> {
        let n = self.count(4)?;
        let raw = self.take(n * 4)?;
        Ok(raw
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect())
    }

    pub fn u64s(&mut self) -> Result<Vec<u64>, Damaged> {
        let n = self.count(8)?;
        let raw = self.take(n * 8)?;
        Ok(raw
            .chunks_exact(8)
            .map(|c| u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
            .collect())
    }

    pub fn bytes(&mut self) -> Result<Vec<u8>, Damaged> {
        let n = self.count(1)?;
        Ok(self.take(n)?.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_truncation() {
        let mut out = Vec::new();
        put_str(&mut out, "Médecin");
        put_varint(&mut out, 300);
        put_u32s(&mut out, &[1, 2, u32::MAX]);
        let mut r = Reader::new(&out);
        assert_eq!(r.str().unwrap(), "Médecin");
        assert_eq!(r.varint().unwrap(), 300);
        assert_eq!(r.u32s().unwrap(), vec![1, 2, u32::MAX]);
        assert!(r.is_empty());
        let cut = &out[..out.len() - 1];
        let mut r = Reader::new(cut);
        r.str().unwrap();
        r.varint().unwrap();
        assert!(r.u32s().is_err());
    }
}
