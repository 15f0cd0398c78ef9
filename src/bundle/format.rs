//! The header, the signature check and the section layout (docs/bundle-format.md).
//!
//! Reading order is the security argument: only the fixed framing (magic, version, total
//! length, key id) is read before the signature is verified; every other byte is read only
//! after it, so a tampered bundle is rejected before any of its contents is interpreted.

use crate::bundle::keys::{KeyId, PublicKey};
use crate::error::{BundleError, Error};
use crate::time::Timestamp;
pub(crate) use crate::token::TableLayout;
use crate::wire::{Reader, Table};

/// The first four bytes of every bundle and delta.
pub(crate) const MAGIC: [u8; 4] = *b"SGDB";
/// The one format version this build reads and writes.
pub(crate) const VERSION: u16 = 4;
/// Bytes of the fixed header.
pub(crate) const HEADER_LEN: usize = 120;
/// Bytes of the Ed25519 signature at the end.
pub(crate) const SIGNATURE_LEN: usize = 64;
/// Bytes of a digest prefix in the token table.
pub(crate) const PREFIX_LEN: usize = 16;
/// Records per block: one `u32` offset for every `BLOCK` records.
pub(crate) const BLOCK: usize = 16;
/// The smallest record: head, empty id, and seven one-byte varints.
pub(crate) const MIN_RECORD_LEN: usize = 9;

/// A digest prefix: what the token table stores and searches instead of the full digest.
pub(crate) type Prefix = [u8; PREFIX_LEN];

/// How many sections follow the header.
pub(crate) const SECTIONS: usize = 10;
/// The sections, in the order they follow the header.
pub(crate) const SECTION_NAMES: [&str; SECTIONS] =
    ["meta", "profile", "strings", "resources", "scope_sets", "ip_lists", "prefixes", "blocks", "records", "removed"];
pub(crate) const META: usize = 0;
pub(crate) const PROFILE: usize = 1;
pub(crate) const STRINGS: usize = 2;
pub(crate) const RESOURCES: usize = 3;
pub(crate) const SCOPE_SETS: usize = 4;
pub(crate) const IP_LISTS: usize = 5;
pub(crate) const PREFIXES: usize = 6;
pub(crate) const BLOCKS: usize = 7;
pub(crate) const RECORDS: usize = 8;
pub(crate) const REMOVED: usize = 9;

/// A full bundle, or a delta on top of one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BundleKind {
    /// A complete snapshot.
    Bundle,
    /// Changes against a named base bundle.
    Delta,
}

impl BundleKind {
    pub(crate) fn byte(self) -> u8 {
        match self {
            BundleKind::Bundle => 1,
            BundleKind::Delta => 2,
        }
    }

    /// `bundle` or `delta`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            BundleKind::Bundle => "bundle",
            BundleKind::Delta => "delta",
        }
    }
}

/// The fixed header, as read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Header {
    pub version: u16,
    /// Judged by [`check_layout`] after the signature check: `kind_byte` and `reserved` as read.
    pub kind: BundleKind,
    pub kind_byte: u8,
    pub reserved: u8,
    pub total_len: usize,
    pub key_id: KeyId,
    pub issued_at: Timestamp,
    pub expires_at: Timestamp,
    pub tokens: usize,
    pub removed: usize,
    /// SHA-256 of the base bundle (deltas); zeros in a full bundle.
    pub base: [u8; 32],
    pub sections: [usize; SECTIONS],
}

impl Header {
    /// Absolute `(start, len)` of section `i`.
    pub(crate) fn section(&self, i: usize) -> (usize, usize) {
        let start = HEADER_LEN.saturating_add(self.sections.iter().take(i).sum::<usize>());
        (start, self.sections.get(i).copied().unwrap_or(0))
    }

    pub(crate) fn write(&self, out: &mut Vec<u8>) -> Result<(), Error> {
        let u32_of = |v: usize, what: &str| {
            u32::try_from(v).map_err(|_| {
                Error::Input(format!("the bundle's {what} does not fit the format (more than 4 GiB or 2^32 entries)"))
            })
        };
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&self.version.to_le_bytes());
        out.push(self.kind.byte());
        out.push(0);
        out.extend_from_slice(&(self.total_len as u64).to_le_bytes());
        out.extend_from_slice(&self.key_id.0);
        out.extend_from_slice(&self.issued_at.unix_seconds().to_le_bytes());
        out.extend_from_slice(&self.expires_at.unix_seconds().to_le_bytes());
        out.extend_from_slice(&u32_of(self.tokens, "token count")?.to_le_bytes());
        out.extend_from_slice(&u32_of(self.removed, "removed count")?.to_le_bytes());
        out.extend_from_slice(&self.base);
        for (len, name) in self.sections.iter().zip(SECTION_NAMES) {
            out.extend_from_slice(&u32_of(*len, name)?.to_le_bytes());
        }
        Ok(())
    }
}

fn corrupt(what: impl Into<String>) -> Error {
    Error::Bundle(BundleError::Corrupt(what.into()))
}

/// Reads the framing and the header, picks the key by its id, and verifies the signature
/// over everything before it. Nothing else is interpreted before this returns `Ok`.
pub(crate) fn verify(bytes: &[u8], keys: &[PublicKey]) -> Result<Header, Error> {
    let header = read_header(bytes)?;
    let key = keys
        .iter()
        .find(|k| k.key_id() == header.key_id)
        .ok_or_else(|| Error::Bundle(BundleError::UnknownKey(header.key_id.to_string())))?;
    let (body, signature) = split_signature(bytes)?;
    if !key.verifies(body, &signature) {
        return Err(Error::Bundle(BundleError::BadSignature));
    }
    check_layout(&header, bytes)?;
    Ok(header)
}

/// The body and the signature after it.
pub(crate) fn split_signature(bytes: &[u8]) -> Result<(&[u8], [u8; 64]), Error> {
    let at = bytes.len().checked_sub(SIGNATURE_LEN).ok_or(Error::Bundle(BundleError::Truncated))?;
    let body = bytes.get(..at).ok_or(Error::Bundle(BundleError::Truncated))?;
    let signature: [u8; 64] =
        bytes.get(at..).and_then(|s| s.try_into().ok()).ok_or(Error::Bundle(BundleError::Truncated))?;
    Ok((body, signature))
}

/// The header fields. Before the signature check only magic, version, total length and key
/// id matter; the rest is returned unchecked and checked by [`check_layout`] afterwards.
pub(crate) fn read_header(bytes: &[u8]) -> Result<Header, Error> {
    let truncated = Error::Bundle(BundleError::Truncated);
    match bytes.get(..MAGIC.len()) {
        Some(m) if m == MAGIC => {}
        Some(_) => return Err(Error::Bundle(BundleError::WrongMagic)),
        None if MAGIC.starts_with(bytes) => return Err(truncated),
        None => return Err(Error::Bundle(BundleError::WrongMagic)),
    }
    let mut r = Reader::new(bytes);
    r.take(MAGIC.len()).ok_or(truncated.clone())?;
    let version = r.u16_le().ok_or(truncated.clone())?;
    if version != VERSION {
        return Err(Error::Bundle(BundleError::UnknownVersion(version)));
    }
    if bytes.len() < HEADER_LEN.saturating_add(SIGNATURE_LEN) {
        return Err(truncated);
    }
    let kind_byte = r.u8().ok_or(truncated.clone())?;
    let reserved = r.u8().ok_or(truncated.clone())?;
    let total_len = r.u64_le().ok_or(truncated.clone())?;
    let key_id = KeyId(r.array().ok_or(truncated.clone())?);
    let issued_at = Timestamp::from_unix_seconds(r.i64_le().ok_or(truncated.clone())?);
    let expires_at = Timestamp::from_unix_seconds(r.i64_le().ok_or(truncated.clone())?);
    let tokens = r.u32_le().ok_or(truncated.clone())?;
    let removed = r.u32_le().ok_or(truncated.clone())?;
    let base: [u8; 32] = r.array().ok_or(truncated.clone())?;
    let mut sections = [0usize; SECTIONS];
    for s in &mut sections {
        *s = usize::try_from(r.u32_le().ok_or(truncated.clone())?).map_err(|_| corrupt("a section is too large"))?;
    }
    let len = bytes.len() as u64;
    if len < total_len {
        return Err(truncated);
    }
    if len > total_len {
        return Err(corrupt(format!("{} bytes follow the end of the bundle", len.saturating_sub(total_len))));
    }
    // Read now, judged after the signature check.
    let kind = if kind_byte == 2 { BundleKind::Delta } else { BundleKind::Bundle };
    Ok(Header {
        version,
        kind,
        kind_byte,
        reserved,
        total_len: usize::try_from(total_len)
            .map_err(|_| corrupt("the bundle is larger than this platform can address"))?,
        key_id,
        issued_at,
        expires_at,
        tokens: usize::try_from(tokens).map_err(|_| corrupt("token count too large"))?,
        removed: usize::try_from(removed).map_err(|_| corrupt("removed count too large"))?,
        base,
        sections,
    })
}

/// Checks that the sections fill the bundle exactly and that the counts fit their sections.
pub(crate) fn check_layout(h: &Header, bytes: &[u8]) -> Result<(), Error> {
    if !matches!(h.kind_byte, 1 | 2) {
        return Err(corrupt(format!("unknown bundle type {}", h.kind_byte)));
    }
    if h.reserved != 0 {
        return Err(corrupt("reserved header byte is not zero"));
    }
    let oversized = |count: usize, what: &str| {
        corrupt(format!("{what} count {count} is larger than the {} bytes of the bundle could hold", bytes.len()))
    };
    let per_token = PREFIX_LEN.saturating_add(MIN_RECORD_LEN);
    if h.tokens.checked_mul(per_token).is_none_or(|n| n > bytes.len()) {
        return Err(oversized(h.tokens, "token"));
    }
    if h.removed.checked_mul(PREFIX_LEN).is_none_or(|n| n > bytes.len()) {
        return Err(oversized(h.removed, "removed token"));
    }
    let sum = h.sections.iter().try_fold(0usize, |a, &s| a.checked_add(s));
    let expected = sum.and_then(|s| s.checked_add(HEADER_LEN)).and_then(|s| s.checked_add(SIGNATURE_LEN));
    if expected != Some(h.total_len) {
        return Err(corrupt("the section lengths do not add up to the bundle's length"));
    }
    let blocks = h.tokens.div_ceil(BLOCK).saturating_add(1).saturating_mul(4);
    let want = |i: usize, len: usize| -> Result<(), Error> {
        let got = h.sections.get(i).copied().unwrap_or(0);
        if got == len {
            Ok(())
        } else {
            let name = SECTION_NAMES.get(i).copied().unwrap_or("?");
            Err(corrupt(format!("the {name} section has {got} bytes, its count needs {len}")))
        }
    };
    want(PREFIXES, h.tokens.saturating_mul(PREFIX_LEN))?;
    want(BLOCKS, blocks)?;
    want(REMOVED, h.removed.saturating_mul(PREFIX_LEN))?;
    if h.sections.get(RECORDS).copied().unwrap_or(0) < h.tokens.saturating_mul(MIN_RECORD_LEN) {
        return Err(oversized(h.tokens, "token"));
    }
    if h.expires_at < h.issued_at {
        return Err(corrupt("expires_at is before issued_at"));
    }
    match h.kind {
        BundleKind::Bundle => {
            if h.removed != 0 || h.base != [0u8; 32] {
                return Err(corrupt("a full bundle names a base or removed tokens"));
            }
            if h.sections.get(META).copied().unwrap_or(0) == 0 {
                return Err(corrupt("a full bundle has no meta section"));
            }
            if h.sections.get(PROFILE).copied().unwrap_or(0) == 0 {
                return Err(corrupt("a full bundle has no profile section"));
            }
        }
        BundleKind::Delta => {
            // A delta carries the meta and the profile together, or neither.
            if (h.sections.get(META).copied().unwrap_or(0) == 0) != (h.sections.get(PROFILE).copied().unwrap_or(0) == 0)
            {
                return Err(corrupt("a delta carries a meta section without a profile section, or the reverse"));
            }
        }
    }
    Ok(())
}

impl TableLayout {
    /// Checks the tables, the block offsets and the order of the digest prefixes. Each loop
    /// is bounded by a section length already checked against the bundle's.
    pub(crate) fn parse(h: &Header, bytes: &[u8]) -> Result<TableLayout, Error> {
        let table = |i: usize, what: &str| {
            let (start, len) = h.section(i);
            Table::parse(bytes, start, len, what).map_err(corrupt)
        };
        let strings = table(STRINGS, "string")?;
        let resources = table(RESOURCES, "resource")?;
        let scope_sets = table(SCOPE_SETS, "scope set")?;
        let ip_lists = table(IP_LISTS, "ip list")?;
        let (prefixes, prefixes_len) = h.section(PREFIXES);
        check_sorted(bytes, prefixes, prefixes_len, "token digest")?;
        let (removed, removed_len) = h.section(REMOVED);
        check_sorted(bytes, removed, removed_len, "removed digest")?;
        let (blocks, blocks_len) = h.section(BLOCKS);
        let records = h.section(RECORDS);
        let mut previous = 0usize;
        let n_offsets = blocks_len / 4;
        for i in 0..n_offsets {
            let off = crate::wire::u32_at(bytes, blocks.saturating_add(i.saturating_mul(4)))
                .and_then(|o| usize::try_from(o).ok())
                .ok_or_else(|| corrupt("the block offsets are cut short"))?;
            let bad = if i == 0 { off != 0 } else { off < previous };
            // A block holds at least its records' minimum length.
            if bad || off > records.1 {
                return Err(corrupt("the block offsets are out of order"));
            }
            previous = off;
        }
        if previous != records.1 {
            return Err(corrupt("the records do not end where the block offsets say"));
        }
        Ok(TableLayout {
            count: h.tokens,
            issued_at: h.issued_at,
            prefixes,
            blocks,
            records,
            strings,
            resources,
            scope_sets,
            ip_lists,
            removed: (removed, h.removed),
        })
    }
}

/// Digest prefixes must be strictly increasing: binary search depends on it, and a repeated
/// prefix would make a lookup ambiguous.
fn check_sorted(bytes: &[u8], start: usize, len: usize, what: &str) -> Result<(), Error> {
    let section = start
        .checked_add(len)
        .and_then(|end| bytes.get(start..end))
        .ok_or_else(|| corrupt(format!("the {what} section lies outside the bundle")))?;
    let mut previous: Option<&[u8]> = None;
    for chunk in section.chunks_exact(PREFIX_LEN) {
        if previous.is_some_and(|p| p >= chunk) {
            return Err(corrupt(format!("the {what}s are not in strictly increasing order")));
        }
        previous = Some(chunk);
    }
    Ok(())
}
