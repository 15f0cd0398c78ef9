//! Token lookups straight from the verified bundle bytes: nothing is deserialised at load, a
//! lookup searches the sorted digest prefixes and decodes the one record it finds.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::sync::Arc;

use crate::bundle::format::{Prefix, BLOCK, PREFIX_LEN};
use crate::snapshot::{TokenSource, Unreadable};
use crate::token::{decode_record, read_record, skip_record, Dict, TableLayout, TokenRecord, TokenView};
use crate::wire::{u32_at, Reader};

/// The slot bit of a delta's records in an overlay (the base's have it clear).
pub(crate) const DELTA_SLOT: u32 = 1 << 31;

/// The first [`PREFIX_LEN`] bytes of a digest.
#[cfg_attr(scopegate_speed, optimize(speed))]
pub(crate) fn prefix_of(digest: &[u8; 32]) -> Prefix {
    let mut p = [0u8; PREFIX_LEN];
    p.copy_from_slice(digest.get(..PREFIX_LEN).unwrap_or(&[0u8; PREFIX_LEN]));
    p
}

/// The digest a record iterated from a bundle carries: the stored prefix, then zeros (the
/// rest of the digest is not in the bundle; lookups return the full digest asked for).
pub(crate) fn digest_of_prefix(prefix: &Prefix) -> [u8; 32] {
    let mut d = [0u8; 32];
    if let Some(head) = d.get_mut(..PREFIX_LEN) {
        head.copy_from_slice(prefix);
    }
    d
}

/// A sorted array of digest prefixes inside the bytes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PrefixArray {
    pub start: usize,
    pub count: usize,
}

impl PrefixArray {
    #[inline(always)]
    pub(crate) fn get<'a>(&self, bytes: &'a [u8], i: usize) -> Option<&'a [u8]> {
        if i >= self.count {
            return None;
        }
        let at = self.start.checked_add(i.checked_mul(PREFIX_LEN)?)?;
        bytes.get(at..at.checked_add(PREFIX_LEN)?)
    }

    /// The first 8 bytes, big-endian: ordered like the prefixes themselves.
    #[inline(always)]
    fn key(slot: &[u8]) -> u64 {
        slot.get(..8).and_then(|s| s.try_into().ok()).map_or(0, u64::from_be_bytes)
    }

    /// The index of `prefix`. Interpolation search while the range is large (SHA-256 digests
    /// are uniform, so a handful of probes land next to the target), then binary search; both
    /// are bounded (at most 8 interpolation steps, then `log2(count)` halvings).
    #[cfg_attr(scopegate_speed, optimize(speed))]
    pub(crate) fn find(&self, bytes: &[u8], prefix: &Prefix) -> Option<usize> {
        let target = Self::key(prefix);
        let (mut lo, mut hi) = (0usize, self.count);
        for _ in 0..8 {
            if hi.saturating_sub(lo) <= 64 {
                break;
            }
            let last = hi.checked_sub(1)?;
            let (klo, khi) = (Self::key(self.get(bytes, lo)?), Self::key(self.get(bytes, last)?));
            if target < klo || target > khi {
                return None;
            }
            if khi == klo {
                break;
            }
            let span = u128::from(khi - klo);
            let offset = u128::from(target - klo) * ((last - lo) as u128) / span;
            let pos = lo.saturating_add(usize::try_from(offset).ok()?).min(last);
            match self.get(bytes, pos)?.cmp(prefix.as_slice()) {
                Ordering::Equal => return Some(pos),
                Ordering::Less => lo = pos + 1,
                Ordering::Greater => hi = pos,
            }
        }
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.get(bytes, mid)?.cmp(prefix.as_slice()) {
                Ordering::Equal => return Some(mid),
                Ordering::Less => lo = mid + 1,
                Ordering::Greater => hi = mid,
            }
        }
        None
    }
}

/// The token table of one verified bundle or delta, read in place.
#[derive(Clone)]
pub(crate) struct BundleTokens {
    bytes: Arc<Vec<u8>>,
    layout: TableLayout,
    /// Or-ed into the slots of this table's records ([`DELTA_SLOT`] for a delta's).
    slot_bit: u32,
}

impl std::fmt::Debug for BundleTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BundleTokens").field("count", &self.layout.count).finish_non_exhaustive()
    }
}

impl BundleTokens {
    pub(crate) fn new(bytes: Arc<Vec<u8>>, layout: TableLayout) -> BundleTokens {
        BundleTokens { bytes, layout, slot_bit: 0 }
    }

    /// The same table, its records' slots marked as a delta's.
    pub(crate) fn into_delta(self) -> BundleTokens {
        BundleTokens { slot_bit: DELTA_SLOT, ..self }
    }

    #[cfg_attr(scopegate_speed, optimize(speed))]
    fn prefixes(&self) -> PrefixArray {
        PrefixArray { start: self.layout.prefixes, count: self.layout.count }
    }

    /// The removed-prefix list of a delta.
    pub(crate) fn removed(&self) -> PrefixArray {
        PrefixArray { start: self.layout.removed.0, count: self.layout.removed.1 }
    }

    pub(crate) fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    #[cfg_attr(scopegate_speed, optimize(speed))]
    fn dict(&self) -> Dict<'_> {
        Dict { bytes: &self.bytes, tables: &self.layout }
    }

    /// Whether a token with this prefix is in the table.
    pub(crate) fn contains(&self, prefix: &Prefix) -> bool {
        self.prefixes().find(&self.bytes, prefix).is_some()
    }

    /// The record at `index`, read in place: its block's offset, then skip to it (at most
    /// `BLOCK - 1` skips).
    #[cfg_attr(scopegate_speed, optimize(speed))]
    fn view_at(&self, index: usize) -> Option<TokenView<'_>> {
        if index >= self.layout.count {
            return None;
        }
        let block = index / BLOCK;
        let blocks = self.layout.blocks;
        let from = usize::try_from(u32_at(&self.bytes, blocks.checked_add(block.checked_mul(4)?)?)?).ok()?;
        let to =
            usize::try_from(u32_at(&self.bytes, blocks.checked_add(block.checked_add(1)?.checked_mul(4)?)?)?).ok()?;
        let (start, _) = self.layout.records;
        let slice = self.bytes.get(start.checked_add(from)?..start.checked_add(to)?)?;
        let mut r = Reader::new(slice);
        for _ in 0..index % BLOCK {
            skip_record(&mut r)?;
        }
        let slot = u32::try_from(index).ok().filter(|&i| i & DELTA_SLOT == 0)? | self.slot_bit;
        read_record(&mut r, &self.dict(), slot).map(TokenView::packed)
    }

    /// Every record in digest order, decoded one at a time as the iterator advances.
    pub(crate) fn iter(&self) -> impl Iterator<Item = TokenRecord> + '_ {
        let (start, len) = self.layout.records;
        let records = self.bytes.get(start..start.saturating_add(len)).unwrap_or(&[]);
        let mut reader = Reader::new(records);
        let dict = self.dict();
        let prefixes = self.prefixes();
        (0..self.layout.count).map_while(move |i| {
            let prefix: Prefix = prefixes.get(&self.bytes, i)?.try_into().ok()?;
            decode_record(&mut reader, &dict, digest_of_prefix(&prefix))
        })
    }
}

impl TokenSource for BundleTokens {
    #[cfg_attr(scopegate_speed, optimize(speed))]
    fn view(&self, digest: &[u8; 32]) -> Result<Option<TokenView<'_>>, Unreadable> {
        // NOTE: a 128-bit prefix match is the match: finding another secret whose SHA-256
        // shares 128 bits with a listed digest is a second-preimage search of about 2^128 work.
        match self.prefixes().find(&self.bytes, &prefix_of(digest)) {
            None => Ok(None),
            Some(index) => self.view_at(index).map(Some).ok_or(Unreadable),
        }
    }

    #[cfg_attr(scopegate_speed, optimize(speed))]
    fn at_slot(&self, slot: u32) -> Option<TokenView<'_>> {
        (slot & DELTA_SLOT == self.slot_bit).then(|| self.view_at((slot & !DELTA_SLOT) as usize)).flatten()
    }

    fn len(&self) -> usize {
        self.layout.count
    }

    fn records(&self) -> Box<dyn Iterator<Item = TokenRecord> + '_> {
        Box::new(self.iter())
    }

    fn whole_digests(&self) -> bool {
        false
    }
}

/// A base bundle with a delta on top: the delta's records win, its removed digests are gone.
#[derive(Clone, Debug)]
pub(crate) struct OverlayTokens {
    pub base: BundleTokens,
    pub delta: BundleTokens,
    pub len: usize,
}

impl OverlayTokens {
    /// Joins a base and a delta; counts the tokens once, here.
    pub(crate) fn new(base: BundleTokens, delta: BundleTokens) -> OverlayTokens {
        let removed = delta.removed();
        let gone = (0..removed.count)
            .filter_map(|i| removed.get(delta.bytes(), i))
            .filter_map(|p| <Prefix>::try_from(p).ok())
            .filter(|p| base.contains(p))
            .count();
        let upserts = delta.prefixes();
        let added = (0..upserts.count)
            .filter_map(|i| upserts.get(delta.bytes(), i))
            .filter_map(|p| <Prefix>::try_from(p).ok())
            .filter(|p| !base.contains(p))
            .count();
        let len = base.len().saturating_sub(gone).saturating_add(added);
        OverlayTokens { base, delta, len }
    }
}

impl TokenSource for OverlayTokens {
    #[cfg_attr(scopegate_speed, optimize(speed))]
    fn view(&self, digest: &[u8; 32]) -> Result<Option<TokenView<'_>>, Unreadable> {
        let prefix = prefix_of(digest);
        if let Some(index) = self.delta.prefixes().find(self.delta.bytes(), &prefix) {
            return self.delta.view_at(index).map(Some).ok_or(Unreadable);
        }
        if self.delta.removed().find(self.delta.bytes(), &prefix).is_some() {
            return Ok(None);
        }
        self.base.view(digest)
    }

    #[cfg_attr(scopegate_speed, optimize(speed))]
    fn at_slot(&self, slot: u32) -> Option<TokenView<'_>> {
        if slot & DELTA_SLOT == 0 {
            self.base.at_slot(slot)
        } else {
            self.delta.at_slot(slot)
        }
    }

    fn len(&self) -> usize {
        self.len
    }

    fn whole_digests(&self) -> bool {
        false
    }

    fn records(&self) -> Box<dyn Iterator<Item = TokenRecord> + '_> {
        let removed = self.delta.removed();
        let mut next_removed = 0usize;
        let mut upserts = self.delta.iter().peekable();
        let mut base = self.base.iter().peekable();
        Box::new(std::iter::from_fn(move || loop {
            let take_upsert = match (base.peek(), upserts.peek()) {
                (None, None) => return None,
                (None, Some(_)) => true,
                (Some(_), None) => false,
                (Some(b), Some(u)) => u.digest <= b.digest,
            };
            if take_upsert {
                let u = upserts.next()?;
                // A changed record replaces the base's.
                if base.peek().is_some_and(|b| b.digest == u.digest) {
                    base.next();
                }
                return Some(u);
            }
            let b = base.next()?;
            // Both lists are sorted: walk the removed list alongside (each step consumes one).
            while removed
                .get(self.delta.bytes(), next_removed)
                .is_some_and(|p| p < b.digest.get(..PREFIX_LEN).unwrap_or(&[]))
            {
                next_removed += 1;
            }
            let is_removed =
                removed.get(self.delta.bytes(), next_removed).is_some_and(|p| Some(p) == b.digest.get(..PREFIX_LEN));
            if !is_removed {
                return Some(b);
            }
        }))
    }
}

/// Records read back from a bundle (the stored prefix, then zeros) with changes applied in
/// memory (`Engine::with_changes`): looked up by prefix, as the bundle they came from is.
#[derive(Clone, Debug, Default)]
pub(crate) struct PrefixTokens {
    by_prefix: BTreeMap<Prefix, TokenRecord>,
}

impl PrefixTokens {
    pub(crate) fn new(records: Vec<TokenRecord>) -> PrefixTokens {
        PrefixTokens { by_prefix: records.into_iter().map(|t| (prefix_of(&t.digest), t)).collect() }
    }
}

impl TokenSource for PrefixTokens {
    #[cfg_attr(scopegate_speed, optimize(speed))]
    fn view(&self, digest: &[u8; 32]) -> Result<Option<TokenView<'_>>, Unreadable> {
        // Like a bundle lookup: found by prefix (`lookup` gives the record the digest asked for).
        Ok(self.by_prefix.get(&prefix_of(digest)).map(TokenView::record))
    }

    fn len(&self) -> usize {
        self.by_prefix.len()
    }

    fn records(&self) -> Box<dyn Iterator<Item = TokenRecord> + '_> {
        Box::new(self.by_prefix.values().cloned())
    }

    fn whole_digests(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn array(prefixes: &[Prefix]) -> (Vec<u8>, PrefixArray) {
        let bytes: Vec<u8> = prefixes.iter().flatten().copied().collect();
        (bytes, PrefixArray { start: 0, count: prefixes.len() })
    }

    fn check(mut prefixes: Vec<Prefix>) {
        prefixes.sort();
        prefixes.dedup();
        let (bytes, a) = array(&prefixes);
        for (i, p) in prefixes.iter().enumerate() {
            assert_eq!(a.find(&bytes, p), Some(i));
            // Neighbours that are not in the list are not found.
            let mut q = *p;
            q[15] = q[15].wrapping_add(1);
            if prefixes.binary_search(&q).is_err() {
                assert_eq!(a.find(&bytes, &q), None);
            }
        }
        assert_eq!(a.find(&bytes, &[0u8; 16]), prefixes.binary_search(&[0u8; 16]).ok());
        assert_eq!(a.find(&bytes, &[0xff; 16]), prefixes.binary_search(&[0xff; 16]).ok());
    }

    #[test]
    fn search_finds_every_prefix_whatever_the_distribution() {
        // Uniform (as SHA-256 gives).
        check((0u32..2000).map(|i| prefix_of(&crate::token::digest_token(&i.to_string()))).collect());
        // All equal in the first 8 bytes: interpolation has nothing to go on.
        check(
            (0u32..500)
                .map(|i| {
                    let mut p = [7u8; 16];
                    p[12..].copy_from_slice(&i.to_be_bytes());
                    p
                })
                .collect(),
        );
        // Skewed: a dense cluster and a few outliers (chosen `secret_sha256` values).
        let mut skewed: Vec<Prefix> = (0u32..1000)
            .map(|i| {
                let mut p = [0u8; 16];
                p[4..8].copy_from_slice(&i.to_be_bytes());
                p
            })
            .collect();
        skewed.push([0xff; 16]);
        skewed.push([0x80; 16]);
        check(skewed);
        check(Vec::new());
        check(vec![[1; 16]]);
    }
}
