//! One token record on the wire, and the shared tables it points into (strings, resources,
//! scope sets, IP lists), read back in place: what a [`TokenView`](super::TokenView) of a bundle
//! reads. The writer is `bundle/pack.rs`; the tests here round-trip both. Here, not in `bundle`,
//! so that `token` (which the bundle layer builds on) does not depend on `bundle`.
//!
//! ```text
//! head        u8      bits 0-2 kind, bits 3-4 access (0 none, 1 read_only, 2 read_write),
//!                     bit 5 label present, bit 6 revoked_at present, bit 7 zero
//! id          varint length + UTF-8
//! label       varint length + UTF-8                      (only if bit 5)
//! principal   varint  0 none, else 1 + string index
//! resource    varint  0 none, else 1 + resource index
//! created_by  varint  0 none, 1 same string as principal, else 2 + string index
//! scopes      varint  scope-set index
//! allowed_ips varint  0 none, else 1 + ip-list index
//! created_at  varint  0 none, else 1 + zigzag(created_at - issued_at)
//! expires_at  varint  0 none, else 1 + duration code of expires_at - (created_at or issued_at)
//! revoked_at  varint  zigzag(revoked_at - issued_at)     (only if bit 6)
//! ```
//! A duration code is `zigzag(days) << 1` for a whole number of days (most expiries are
//! "N days after creation": one or two bytes) and `zigzag(seconds) << 1 | 1` otherwise.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

use crate::directory::ResourceRef;
use crate::time::{Timestamp, DAY};
use crate::token::{AccessMode, TokenKind, TokenRecord};
use crate::wire::{unzigzag, Reader, Table};

/// The token table of a bundle or delta: positions of its sections in the bytes, checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TableLayout {
    pub count: usize,
    pub issued_at: Timestamp,
    pub prefixes: usize,
    pub blocks: usize,
    pub records: (usize, usize),
    pub strings: Table,
    pub resources: Table,
    pub scope_sets: Table,
    pub ip_lists: Table,
    pub removed: (usize, usize),
}

pub(crate) const LABEL: u8 = 1 << 5;
pub(crate) const REVOKED: u8 = 1 << 6;

/// The shared tables of one token table, over the verified bytes.
#[derive(Clone, Copy)]
pub(crate) struct Dict<'a> {
    pub bytes: &'a [u8],
    /// Where the tables lie in `bytes` (and the `issued_at` times count from): held by the
    /// token source, so a record view carries two references, not the tables.
    pub tables: &'a TableLayout,
}

impl<'a> Dict<'a> {
    #[cfg_attr(scopegate_speed, optimize(speed))]
    fn str(&self, i: usize) -> Option<&'a str> {
        std::str::from_utf8(self.tables.strings.get(self.bytes, i)?).ok()
    }

    #[cfg_attr(scopegate_speed, optimize(speed))]
    fn resource(&self, i: usize) -> Option<ResourceRef<'a>> {
        let mut r = Reader::new(self.tables.resources.get(self.bytes, i)?);
        let kind = r.u8()?;
        let workspace = self.str(r.varint_usize()?)?;
        let key = match kind {
            0 => ResourceRef::Workspace(workspace),
            1 => ResourceRef::Project(workspace, self.str(r.varint_usize()?)?),
            2 => ResourceRef::Repository(workspace, self.str(r.varint_usize()?)?),
            _ => return None,
        };
        r.is_empty().then_some(key)
    }

    /// A scope set's entry, checked: every element a string of the table, nothing after them.
    #[cfg_attr(scopegate_speed, optimize(speed))]
    fn scope_set(&self, i: usize) -> Option<&'a [u8]> {
        let entry = self.tables.scope_sets.get(self.bytes, i)?;
        let mut r = Reader::new(entry);
        let n = r.varint_usize()?;
        // Every element takes at least one byte: bounds the loop.
        if n > r.remaining() {
            return None;
        }
        for _ in 0..n {
            self.str(r.varint_usize()?)?;
        }
        r.is_empty().then_some(entry)
    }

    /// An IP list's entry, checked: every element an address and a prefix length that fits it.
    #[cfg_attr(scopegate_speed, optimize(speed))]
    fn ip_list(&self, i: usize) -> Option<&'a [u8]> {
        let entry = self.tables.ip_lists.get(self.bytes, i)?;
        let mut r = Reader::new(entry);
        let n = r.varint_usize()?;
        if n > r.remaining() {
            return None;
        }
        for _ in 0..n {
            next_net(&mut r)?;
        }
        r.is_empty().then_some(entry)
    }
}

#[cfg_attr(scopegate_speed, optimize(speed))]
fn next_net(r: &mut Reader<'_>) -> Option<IpNet> {
    let addr = match r.u8()? {
        4 => IpAddr::V4(Ipv4Addr::from(r.array::<4>()?)),
        6 => IpAddr::V6(Ipv6Addr::from(r.array::<16>()?)),
        _ => return None,
    };
    IpNet::new(addr, r.u8()?).ok()
}

/// The scope names of a checked scope-set entry, borrowed from the bundle.
#[derive(Clone)]
pub(crate) struct PackedScopes<'a> {
    dict: Dict<'a>,
    reader: Reader<'a>,
    left: usize,
}

impl<'a> Iterator for PackedScopes<'a> {
    type Item = &'a str;
    #[cfg_attr(scopegate_speed, optimize(speed))]
    fn next(&mut self) -> Option<&'a str> {
        self.left = self.left.checked_sub(1)?;
        self.dict.str(self.reader.varint_usize()?)
    }
}

/// The networks of a checked IP-list entry.
#[derive(Clone)]
pub(crate) struct PackedNets<'a> {
    reader: Reader<'a>,
    left: usize,
}

impl Iterator for PackedNets<'_> {
    type Item = IpNet;
    #[cfg_attr(scopegate_speed, optimize(speed))]
    fn next(&mut self) -> Option<IpNet> {
        self.left = self.left.checked_sub(1)?;
        next_net(&mut self.reader)
    }
}

/// One record read in place: every field checked, strings borrowed from the bundle.
#[derive(Clone, Copy)]
pub(crate) struct Packed<'a> {
    dict: Dict<'a>,
    /// What the record is called in its token source (see `TokenView::slot`).
    pub slot: u32,
    pub kind: TokenKind,
    pub access: Option<AccessMode>,
    pub id: &'a str,
    pub label: Option<&'a str>,
    pub principal: Option<&'a str>,
    pub resource: Option<ResourceRef<'a>>,
    pub created_by: Option<&'a str>,
    scope_set: &'a [u8],
    ip_list: Option<&'a [u8]>,
    pub created_at: Option<Timestamp>,
    pub expires_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

impl<'a> Packed<'a> {
    #[cfg_attr(scopegate_speed, optimize(speed))]
    pub(crate) fn scopes(&self) -> PackedScopes<'a> {
        let mut reader = Reader::new(self.scope_set);
        let left = reader.varint_usize().unwrap_or(0);
        PackedScopes { dict: self.dict, reader, left }
    }

    #[cfg_attr(scopegate_speed, optimize(speed))]
    pub(crate) fn allowed_ips(&self) -> PackedNets<'a> {
        let mut reader = Reader::new(self.ip_list.unwrap_or_default());
        let left = reader.varint_usize().unwrap_or(0);
        PackedNets { reader, left }
    }

    /// The record, decoded into owned values.
    pub(crate) fn to_record(self, digest: [u8; 32]) -> TokenRecord {
        TokenRecord {
            digest,
            id: self.id.to_owned(),
            kind: self.kind,
            label: self.label.map(str::to_owned),
            principal: self.principal.map(str::to_owned),
            resource: self.resource.map(|r| r.to_key()),
            scopes: self.scopes().map(str::to_owned).collect(),
            access: self.access,
            created_at: self.created_at,
            expires_at: self.expires_at,
            revoked_at: self.revoked_at,
            created_by: self.created_by.map(str::to_owned),
            allowed_ips: self.allowed_ips().collect(),
        }
    }
}

/// Skips one record: reads just enough to find where the next one starts.
#[cfg_attr(scopegate_speed, optimize(speed))]
pub(crate) fn skip_record(r: &mut Reader<'_>) -> Option<()> {
    let head = r.u8()?;
    r.bytes()?;
    if head & LABEL != 0 {
        r.bytes()?;
    }
    r.skip_varints(if head & REVOKED != 0 { 8 } else { 7 })
}

/// Reads one record in place; `None` for anything malformed (the lookup then fails closed).
#[cfg_attr(scopegate_speed, optimize(speed))]
pub(crate) fn read_record<'a>(r: &mut Reader<'a>, dict: &Dict<'a>, slot: u32) -> Option<Packed<'a>> {
    let head = r.u8()?;
    if head & 0x80 != 0 {
        return None;
    }
    let kind = *TokenKind::ALL.get(usize::from(head & 0x07))?;
    let access = match (head >> 3) & 0x03 {
        0 => None,
        1 => Some(AccessMode::ReadOnly),
        2 => Some(AccessMode::ReadWrite),
        _ => return None,
    };
    let id = r.str()?;
    let label = if head & LABEL != 0 { Some(r.str()?) } else { None };
    let principal = match r.varint_usize()? {
        0 => None,
        i => Some(dict.str(i.checked_sub(1)?)?),
    };
    let resource = match r.varint_usize()? {
        0 => None,
        i => Some(dict.resource(i.checked_sub(1)?)?),
    };
    let created_by = match r.varint_usize()? {
        0 => None,
        1 => Some(principal?),
        i => Some(dict.str(i.checked_sub(2)?)?),
    };
    let scope_set = dict.scope_set(r.varint_usize()?)?;
    let ip_list = match r.varint_usize()? {
        0 => None,
        i => Some(dict.ip_list(i.checked_sub(1)?)?),
    };
    let created_at = match r.varint()? {
        0 => None,
        v => Some(dict.tables.issued_at.checked_plus(unzigzag(v.checked_sub(1)?))?),
    };
    let expires_at = match r.varint()? {
        0 => None,
        v => {
            let code = v.checked_sub(1)?;
            let amount = unzigzag(code >> 1);
            let seconds = if code & 1 == 0 { amount.checked_mul(DAY)? } else { amount };
            Some(created_at.unwrap_or(dict.tables.issued_at).checked_plus(seconds)?)
        }
    };
    let revoked_at =
        if head & REVOKED != 0 { Some(dict.tables.issued_at.checked_plus(unzigzag(r.varint()?))?) } else { None };
    Some(Packed {
        dict: *dict,
        slot,
        kind,
        access,
        id,
        label,
        principal,
        resource,
        created_by,
        scope_set,
        ip_list,
        created_at,
        expires_at,
        revoked_at,
    })
}

/// Decodes one record into owned values; `None` for anything malformed.
pub(crate) fn decode_record<'a>(r: &mut Reader<'a>, dict: &Dict<'a>, digest: [u8; 32]) -> Option<TokenRecord> {
    read_record(r, dict, 0).map(|p| p.to_record(digest))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::TokenTable;
    use crate::directory::ResourceKey;

    fn record(i: u8) -> TokenRecord {
        TokenRecord {
            digest: [i; 32],
            id: format!("t-{i}"),
            kind: TokenKind::ALL[usize::from(i) % 8],
            label: (i % 2 == 0).then(|| format!("label {i}")),
            principal: (i % 3 == 0).then(|| "u-mary".to_string()),
            resource: (i % 3 == 1).then(|| ResourceKey::Repository { workspace: "acme".into(), slug: "web".into() }),
            scopes: if i % 2 == 0 { vec!["repository".into(), "pullrequest".into()] } else { Vec::new() },
            access: [None, Some(AccessMode::ReadOnly), Some(AccessMode::ReadWrite)][usize::from(i) % 3],
            created_at: (i % 4 != 0).then_some(Timestamp::from_unix_seconds(1_700_000_000 - i64::from(i) * 1000)),
            expires_at: match i % 3 {
                0 => None,
                1 => Some(Timestamp::from_unix_seconds(1_700_000_000 - i64::from(i) * 1000 + 90 * DAY)),
                _ => Some(Timestamp::from_unix_seconds(1_600_000_007)),
            },
            revoked_at: (i % 5 == 0).then_some(Timestamp::from_unix_seconds(1_700_000_123)),
            created_by: match i % 4 {
                0 => None,
                1 => Some("u-admin".into()),
                _ => (i % 3 == 0).then(|| "u-mary".to_string()),
            },
            allowed_ips: if i % 2 == 1 {
                vec!["203.0.113.0/24".parse().unwrap(), "2001:db8::/32".parse().unwrap()]
            } else {
                Vec::new()
            },
        }
    }

    #[test]
    fn records_round_trip() {
        // Digests `[i; 32]` for i in 0..30: pushed in digest order.
        let records: Vec<TokenRecord> = (0..30).map(record).collect();
        let issued = Timestamp::from_unix_seconds(1_700_000_000);
        let table = TokenTable::of(&records, issued).unwrap();
        let order = table.order();
        assert_eq!(order, (0..30).collect::<Vec<u32>>());
        let [s, r, ss, ip, _prefixes, _blocks, recs] = table.sections(&order).unwrap();
        let mut bytes = Vec::new();
        let mut starts = Vec::new();
        for v in [&s, &r, &ss, &ip] {
            starts.push(bytes.len());
            bytes.extend_from_slice(v);
        }
        starts.push(bytes.len());
        let table = |i: usize| Table::parse(&bytes, starts[i], starts[i + 1] - starts[i], "t").unwrap();
        let (strings, resources, scope_sets, ip_lists) = (table(0), table(1), table(2), table(3));
        let records_at = bytes.len();
        bytes.extend_from_slice(&recs);
        let tables = TableLayout {
            count: 0,
            issued_at: issued,
            prefixes: 0,
            blocks: 0,
            records: (0, 0),
            strings,
            resources,
            scope_sets,
            ip_lists,
            removed: (0, 0),
        };
        let dict = Dict { bytes: &bytes, tables: &tables };
        let mut reader = Reader::new(&bytes[records_at..]);
        let mut skipper = Reader::new(&bytes[records_at..]);
        for t in &records {
            let got = decode_record(&mut reader, &dict, t.digest).unwrap();
            assert_eq!(&got, t);
            skip_record(&mut skipper).unwrap();
            assert_eq!(skipper.remaining(), reader.remaining());
        }
        assert!(reader.is_empty());
    }

    #[test]
    fn minimal_record_is_min_record_len() {
        let t = TokenRecord {
            digest: [0; 32],
            id: String::new(),
            kind: TokenKind::OrgApiKey,
            label: None,
            principal: None,
            resource: None,
            scopes: Vec::new(),
            access: None,
            created_at: None,
            expires_at: None,
            revoked_at: None,
            created_by: None,
            allowed_ips: Vec::new(),
        };
        let table = TokenTable::of([&t], Timestamp::from_unix_seconds(0)).unwrap();
        let order = table.order();
        let [.., records] = table.sections(&order).unwrap();
        assert_eq!(records.len(), crate::bundle::MIN_RECORD_LEN);
    }
}
