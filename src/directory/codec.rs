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
}

/// The same decoding over a byte stream of known length, so that loading an
/// index does not hold the file and its decoded arrays in memory at once.
pub struct StreamReader<R> {
    inner: R,
    remaining: u64,
}

impl<R: std::io::Read> StreamReader<R> {
    pub fn new(inner: R, len: u64) -> Self {
        StreamReader {
            inner,
            remaining: len,
        }
    }

    fn fill(&mut self, out: &mut [u8]) -> Result<(), Damaged> {
        if out.len() as u64 > self.remaining {
            return Err(Damaged("truncated"));
        }
        self.inner
            .read_exact(out)
            .map_err(|_| Damaged("unreadable or truncated"))?;
        self.remaining -= out.len() as u64;
        Ok(())
    }

    pub fn magic(&mut self, expected: &[u8; 8]) -> Result<(), Damaged> {
        let mut b = [0u8; 8];
        self.fill(&mut b)?;
        if &b == expected {
            Ok(())
        } else {
            Err(Damaged("not a directory index"))
        }
    }

    pub fn fixed_u64(&mut self) -> Result<u64, Damaged> {
        let mut b = [0u8; 8];
        self.fill(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    fn count(&mut self, width: u64) -> Result<usize, Damaged> {
        let n = self.fixed_u64()?;
        if n.checked_mul(width)
            .is_none_or(|need| need > self.remaining)
        {
            return Err(Damaged("array longer than the file"));
        }
        usize::try_from(n).map_err(|_| Damaged("length overflow"))
    }

    fn numbers<T, const W: usize>(&mut self, conv: fn([u8; W]) -> T) -> Result<Vec<T>, Damaged> {
        let n = self.count(W as u64)?;
        let mut out = Vec::with_capacity(n);
        let mut chunk = vec![0u8; W * 8192];
        let mut left = n;
        while left > 0 {
            let take = left.min(8192);
            let buf = &mut chunk[..take * W];
            self.fill(buf)?;
            for c in buf.chunks_exact(W) {
                let mut a = [0u8; W];
                a.copy_from_slice(c);
                out.push(conv(a));
            }
            left -= take;
        }
        Ok(out)
    }

    pub fn u32s(&mut self) -> Result<Vec<u32>, Damaged> {
        self.numbers::<u32, 4>(u32::from_le_bytes)
    }

    pub fn u64s(&mut self) -> Result<Vec<u64>, Damaged> {
        self.numbers::<u64, 8>(u64::from_le_bytes)
    }

    pub fn bytes(&mut self) -> Result<Vec<u8>, Damaged> {
        let n = self.count(1)?;
        let mut out = vec![0u8; n];
        self.fill(&mut out)?;
        Ok(out)
    }

    fn varint(&mut self) -> Result<u64, Damaged> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let mut b = [0u8; 1];
            self.fill(&mut b)?;
            v |= u64::from(b[0] & 0x7f) << shift;
            if b[0] & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(Damaged("varint too long"))
    }

    pub fn string(&mut self) -> Result<String, Damaged> {
        let n = self.varint()?;
        if n > self.remaining {
            return Err(Damaged("truncated"));
        }
        let mut out = vec![0u8; usize::try_from(n).map_err(|_| Damaged("length overflow"))?];
        self.fill(&mut out)?;
        String::from_utf8(out).map_err(|_| Damaged("invalid UTF-8"))
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
        let mut r = Reader::new(&out);
        assert_eq!(r.str().unwrap(), "Médecin");
        assert_eq!(r.varint().unwrap(), 300);
        assert!(r.is_empty());
        assert!(Reader::new(&out[..out.len() - 1]).str().is_ok());
        let mut r = Reader::new(&out[..3]);
        assert!(r.str().is_err(), "truncated string");

        let mut arrays = Vec::new();
        put_u32s(&mut arrays, &[1, 2, u32::MAX]);
        put_bytes(&mut arrays, b"abc");
        let mut r = StreamReader::new(&arrays[..], arrays.len() as u64);
        assert_eq!(r.u32s().unwrap(), vec![1, 2, u32::MAX]);
        assert_eq!(r.bytes().unwrap(), b"abc");
        let cut = &arrays[..arrays.len() - 1];
        let mut r = StreamReader::new(cut, cut.len() as u64);
        r.u32s().unwrap();
        assert!(r.bytes().is_err());
        // A count larger than the file is refused before any allocation.
        let mut huge = Vec::new();
        huge.extend_from_slice(&u64::MAX.to_le_bytes());
        assert!(StreamReader::new(&huge[..], 8).u32s().is_err());
    }
}
