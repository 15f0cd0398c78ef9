//! The byte-level pieces of the bundle format: LEB128 varints, zigzag, little-endian fixed
//! integers, and offset tables. Readers never index: every access is `get` and returns `None`
//! past the end, so a corrupt or hostile byte string can only fail a lookup, never panic.

/// A forward-only reader over a byte slice.
#[derive(Clone)]
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    #[inline(always)]
    pub(crate) fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { bytes, pos: 0 }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    pub(crate) fn remaining(&self) -> usize {
        self.bytes.len().saturating_sub(self.pos)
    }

    #[inline(always)]
    pub(crate) fn u8(&mut self) -> Option<u8> {
        let b = *self.bytes.get(self.pos)?;
        self.pos = self.pos.checked_add(1)?;
        Some(b)
    }

    #[inline(always)]
    pub(crate) fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let out = self.bytes.get(self.pos..end)?;
        self.pos = end;
        Some(out)
    }

    pub(crate) fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N)?.try_into().ok()
    }

    pub(crate) fn u16_le(&mut self) -> Option<u16> {
        self.array().map(u16::from_le_bytes)
    }

    pub(crate) fn u32_le(&mut self) -> Option<u32> {
        self.array().map(u32::from_le_bytes)
    }

    pub(crate) fn u64_le(&mut self) -> Option<u64> {
        self.array().map(u64::from_le_bytes)
    }

    pub(crate) fn i64_le(&mut self) -> Option<i64> {
        self.array().map(i64::from_le_bytes)
    }

    /// An unsigned LEB128 varint of at most 10 bytes; overlong or overflowing ones are `None`.
    // NOTE: inlined, with a one-byte fast path: most varints of a record are one byte, and the
    // size-optimised edge build would otherwise make each one a call.
    #[inline(always)]
    pub(crate) fn varint(&mut self) -> Option<u64> {
        let first = *self.bytes.get(self.pos)?;
        if first < 0x80 {
            self.pos += 1;
            return Some(u64::from(first));
        }
        self.varint_long()
    }

    /// Skips `count` varints, refusing what [`Reader::varint`] refuses (more than 10 bytes, or
    /// a tenth byte over 1), without computing their values.
    #[inline(always)]
    pub(crate) fn skip_varints(&mut self, count: usize) -> Option<()> {
        for _ in 0..count {
            let mut n = 0u8;
            loop {
                let b = *self.bytes.get(self.pos)?;
                self.pos += 1;
                n += 1;
                if n == 10 && b > 1 {
                    return None;
                }
                if b < 0x80 {
                    break;
                }
            }
        }
        Some(())
    }

    fn varint_long(&mut self) -> Option<u64> {
        let mut value: u64 = 0;
        for shift in (0..70).step_by(7) {
            let b = self.u8()?;
            let low = u64::from(b & 0x7f);
            if shift == 63 && low > 1 {
                return None;
            }
            value |= low << shift;
            if b & 0x80 == 0 {
                return Some(value);
            }
        }
        None
    }

    /// A varint that must fit a `usize`.
    #[inline(always)]
    pub(crate) fn varint_usize(&mut self) -> Option<usize> {
        usize::try_from(self.varint()?).ok()
    }

    /// A length-prefixed byte string.
    #[inline(always)]
    pub(crate) fn bytes(&mut self) -> Option<&'a [u8]> {
        let n = self.varint_usize()?;
        self.take(n)
    }

    /// A length-prefixed UTF-8 string.
    pub(crate) fn str(&mut self) -> Option<&'a str> {
        std::str::from_utf8(self.bytes()?).ok()
    }
}

pub(crate) fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

pub(crate) fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// Signed to unsigned so that small magnitudes of either sign stay short as varints.
pub(crate) fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

pub(crate) fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

/// A little-endian `u32` at `at` in `bytes`.
#[inline(always)]
pub(crate) fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    let end = at.checked_add(4)?;
    bytes.get(at..end)?.try_into().ok().map(u32::from_le_bytes)
}

/// A table of variable-length entries: `count: u32`, `count + 1` offsets (`u32`, relative to
/// the data, first 0, last the data length, never decreasing), then the data. Entry `i` is
/// `data[offsets[i]..offsets[i + 1]]`. Positions are absolute in the bundle bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Table {
    count: usize,
    offsets: usize,
    data: usize,
}

impl Table {
    /// Checks the table that fills `section` (absolute range `start..start + len` of `bytes`).
    /// Walks the offsets once: the loop is bounded by `len / 4`.
    pub(crate) fn parse(bytes: &[u8], start: usize, len: usize, what: &str) -> Result<Table, String> {
        let section = start
            .checked_add(len)
            .and_then(|end| bytes.get(start..end))
            .ok_or_else(|| format!("the {what} table lies outside the bundle"))?;
        let count = u32_at(section, 0).ok_or_else(|| format!("the {what} table is shorter than its count"))?;
        let count = usize::try_from(count).map_err(|_| format!("the {what} table is too large"))?;
        let offsets_len =
            count.checked_add(1).and_then(|n| n.checked_mul(4)).filter(|&n| n <= len.saturating_sub(4)).ok_or_else(
                || format!("the {what} table claims {count} entries, more than its {len} bytes could hold"),
            )?;
        let data_len = len.saturating_sub(4).saturating_sub(offsets_len);
        let mut previous = 0usize;
        for i in 0..=count {
            let at = 4usize.saturating_add(i.saturating_mul(4));
            let off = u32_at(section, at)
                .and_then(|o| usize::try_from(o).ok())
                .ok_or_else(|| format!("the {what} table is cut short"))?;
            let bad = if i == 0 { off != 0 } else { off < previous };
            if bad || off > data_len {
                return Err(format!("the {what} table has an offset out of order"));
            }
            previous = off;
        }
        if previous != data_len {
            return Err(format!("the {what} table's data does not end where its offsets say"));
        }
        Ok(Table { count, offsets: start.saturating_add(4), data: start.saturating_add(4).saturating_add(offsets_len) })
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.count
    }

    /// Entry `i`, or `None` when out of range.
    #[inline(always)]
    pub(crate) fn get<'a>(&self, bytes: &'a [u8], i: usize) -> Option<&'a [u8]> {
        if i >= self.count {
            return None;
        }
        let at = self.offsets.checked_add(i.checked_mul(4)?)?;
        let from = usize::try_from(u32_at(bytes, at)?).ok()?;
        let to = usize::try_from(u32_at(bytes, at.checked_add(4)?)?).ok()?;
        bytes.get(self.data.checked_add(from)?..self.data.checked_add(to)?)
    }
}

/// Writes `entries` as a [`Table`].
pub(crate) fn write_table(entries: &[Vec<u8>]) -> Result<Vec<u8>, String> {
    let data_len: usize = entries.iter().map(Vec::len).sum();
    let mut out = Vec::with_capacity(4 + 4 * (entries.len() + 1) + data_len);
    let count = u32::try_from(entries.len()).map_err(|_| "too many table entries".to_string())?;
    out.extend_from_slice(&count.to_le_bytes());
    let mut off: u32 = 0;
    out.extend_from_slice(&off.to_le_bytes());
    for e in entries {
        let n = u32::try_from(e.len()).map_err(|_| "a table entry is too large".to_string())?;
        off = off.checked_add(n).ok_or_else(|| "a table is larger than 4 GiB".to_string())?;
        out.extend_from_slice(&off.to_le_bytes());
    }
    for e in entries {
        out.extend_from_slice(e);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip() {
        for v in [0u64, 1, 127, 128, 300, 16_383, 16_384, u64::from(u32::MAX), u64::MAX] {
            let mut out = Vec::new();
            put_varint(&mut out, v);
            let mut r = Reader::new(&out);
            assert_eq!(r.varint(), Some(v));
            assert!(r.is_empty());
        }
    }

    #[test]
    fn overlong_varints_are_rejected() {
        assert_eq!(Reader::new(&[0xff; 11]).varint(), None);
        assert_eq!(Reader::new(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02]).varint(), None);
        assert_eq!(Reader::new(&[0x80]).varint(), None);
    }

    #[test]
    fn skipping_refuses_what_reading_refuses() {
        let cases: [&[u8]; 7] = [
            &[0x00],
            &[0x7f, 0x80, 0x01],
            &[0xff; 11],
            &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02],
            &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x05],
            &[0x80],
            &[],
        ];
        for bytes in cases {
            for count in 0..4 {
                let mut read = Reader::new(bytes);
                let by_reading = (0..count).try_for_each(|_| read.varint().map(|_| ())).map(|()| read.remaining());
                let mut skip = Reader::new(bytes);
                let by_skipping = skip.skip_varints(count).map(|()| skip.remaining());
                assert_eq!(by_skipping, by_reading, "{bytes:?} x{count}");
            }
        }
    }

    #[test]
    fn zigzag_round_trips() {
        for v in [0i64, 1, -1, 63, -64, i64::MAX, i64::MIN] {
            assert_eq!(unzigzag(zigzag(v)), v);
        }
        assert_eq!(zigzag(-1), 1);
        assert_eq!(zigzag(1), 2);
    }

    #[test]
    fn tables_round_trip_and_reject_bad_offsets() {
        let entries = vec![b"ab".to_vec(), Vec::new(), b"xyz".to_vec()];
        let bytes = write_table(&entries).unwrap();
        let t = Table::parse(&bytes, 0, bytes.len(), "test").unwrap();
        assert_eq!(t.len(), 3);
        for (i, e) in entries.iter().enumerate() {
            assert_eq!(t.get(&bytes, i), Some(e.as_slice()));
        }
        assert_eq!(t.get(&bytes, 3), None);
        let mut bad = bytes.clone();
        bad[0] = 200; // count larger than the bytes
        assert!(Table::parse(&bad, 0, bad.len(), "test").is_err());
        let mut bad = bytes.clone();
        bad[8] = 5; // offsets out of order
        assert!(Table::parse(&bad, 0, bad.len(), "test").is_err());
        assert!(Table::parse(&bytes, 0, bytes.len() - 1, "test").is_err());
    }
}
