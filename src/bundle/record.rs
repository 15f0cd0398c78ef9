//! One token record on the wire, and the shared tables it points into (strings, resources,
//! scope sets, IP lists). Encoding and decoding sit side by side so they cannot drift apart.
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

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

use crate::bundle::wire::{put_bytes, put_varint, unzigzag, zigzag, Reader, Table};
use crate::directory::ResourceKey;
use crate::error::Error;
use crate::time::{Timestamp, DAY};
use crate::token::{AccessMode, TokenKind, TokenRecord};

const LABEL: u8 = 1 << 5;
const REVOKED: u8 = 1 << 6;

/// The shared tables of one token table, over the verified bytes.
#[derive(Clone, Copy)]
pub(crate) struct Dict<'a> {
    pub bytes: &'a [u8],
    pub strings: Table,
    pub resources: Table,
    pub scope_sets: Table,
    pub ip_lists: Table,
    pub issued_at: Timestamp,
}

impl Dict<'_> {
    fn string(&self, i: usize) -> Option<String> {
        std::str::from_utf8(self.strings.get(self.bytes, i)?).ok().map(str::to_string)
    }

    fn resource(&self, i: usize) -> Option<ResourceKey> {
        let mut r = Reader::new(self.resources.get(self.bytes, i)?);
        let kind = r.u8()?;
        let workspace = self.string(r.varint_usize()?)?;
        let key = match kind {
            0 => ResourceKey::Workspace { workspace },
            1 => ResourceKey::Project { workspace, key: self.string(r.varint_usize()?)? },
            2 => ResourceKey::Repository { workspace, slug: self.string(r.varint_usize()?)? },
            _ => return None,
        };
        r.is_empty().then_some(key)
    }

    fn scope_set(&self, i: usize) -> Option<Vec<String>> {
        let mut r = Reader::new(self.scope_sets.get(self.bytes, i)?);
        let n = r.varint_usize()?;
        // Every element takes at least one byte: bounds the loop and the allocation.
        if n > r.remaining() {
            return None;
        }
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            out.push(self.string(r.varint_usize()?)?);
        }
        r.is_empty().then_some(out)
    }

    fn ip_list(&self, i: usize) -> Option<Vec<IpNet>> {
        let mut r = Reader::new(self.ip_lists.get(self.bytes, i)?);
        let n = r.varint_usize()?;
        if n > r.remaining() {
            return None;
        }
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            let addr = match r.u8()? {
                4 => IpAddr::V4(Ipv4Addr::from(r.array::<4>()?)),
                6 => IpAddr::V6(Ipv6Addr::from(r.array::<16>()?)),
                _ => return None,
            };
            out.push(IpNet::new(addr, r.u8()?).ok()?);
        }
        r.is_empty().then_some(out)
    }
}

fn kind_index(kind: TokenKind) -> u8 {
    TokenKind::ALL.iter().position(|k| *k == kind).and_then(|i| u8::try_from(i).ok()).unwrap_or(0)
}

/// Skips one record: reads just enough to find where the next one starts.
pub(crate) fn skip_record(r: &mut Reader<'_>) -> Option<()> {
    let head = r.u8()?;
    r.bytes()?;
    if head & LABEL != 0 {
        r.bytes()?;
    }
    for _ in 0..7 {
        r.varint()?;
    }
    if head & REVOKED != 0 {
        r.varint()?;
    }
    Some(())
}

/// Decodes one record; `None` for anything malformed (the lookup then fails closed).
pub(crate) fn decode_record(r: &mut Reader<'_>, dict: &Dict<'_>, digest: [u8; 32]) -> Option<TokenRecord> {
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
    let id = r.str()?.to_string();
    let label = if head & LABEL != 0 { Some(r.str()?.to_string()) } else { None };
    let principal = match r.varint_usize()? {
        0 => None,
        i => Some(dict.string(i.checked_sub(1)?)?),
    };
    let resource = match r.varint_usize()? {
        0 => None,
        i => Some(dict.resource(i.checked_sub(1)?)?),
    };
    let created_by = match r.varint_usize()? {
        0 => None,
        1 => Some(principal.clone()?),
        i => Some(dict.string(i.checked_sub(2)?)?),
    };
    let scopes = dict.scope_set(r.varint_usize()?)?;
    let allowed_ips = match r.varint_usize()? {
        0 => Vec::new(),
        i => dict.ip_list(i.checked_sub(1)?)?,
    };
    let created_at = match r.varint()? {
        0 => None,
        v => Some(Timestamp(dict.issued_at.0.checked_add(unzigzag(v.checked_sub(1)?))?)),
    };
    let expires_at = match r.varint()? {
        0 => None,
        v => {
            let code = v.checked_sub(1)?;
            let amount = unzigzag(code >> 1);
            let seconds = if code & 1 == 0 { amount.checked_mul(DAY)? } else { amount };
            Some(Timestamp(created_at.unwrap_or(dict.issued_at).0.checked_add(seconds)?))
        }
    };
    let revoked_at =
        if head & REVOKED != 0 { Some(Timestamp(dict.issued_at.0.checked_add(unzigzag(r.varint()?))?)) } else { None };
    Some(TokenRecord {
        digest,
        id,
        kind,
        label,
        principal,
        resource,
        scopes,
        access,
        created_at,
        expires_at,
        revoked_at,
        created_by,
        allowed_ips,
    })
}

/// Values ranked by how often records use them, most used first (ties in value order), so
/// the common ones get one-byte varint indexes. Deterministic: no hash-map order anywhere.
struct Ranked<K: Ord> {
    order: Vec<K>,
    index: BTreeMap<K, usize>,
}

impl<K: Ord + Clone> Ranked<K> {
    fn new(counts: BTreeMap<K, u64>) -> Ranked<K> {
        let mut order: Vec<(K, u64)> = counts.into_iter().collect();
        // Stable sort on a value-ordered list: ties stay in value order.
        order.sort_by_key(|e| std::cmp::Reverse(e.1));
        let order: Vec<K> = order.into_iter().map(|(k, _)| k).collect();
        let index = order.iter().enumerate().map(|(i, k)| (k.clone(), i)).collect();
        Ranked { order, index }
    }

    fn get(&self, key: &K) -> Result<usize, Error> {
        self.index
            .get(key)
            .copied()
            .ok_or_else(|| Error::Input("internal: a value missing from its bundle table".into()))
    }
}

fn ip_list_bytes(ips: &[IpNet]) -> Vec<u8> {
    let mut out = Vec::new();
    put_varint(&mut out, ips.len() as u64);
    for net in ips {
        match net.addr() {
            IpAddr::V4(a) => {
                out.push(4);
                out.extend_from_slice(&a.octets());
            }
            IpAddr::V6(a) => {
                out.push(6);
                out.extend_from_slice(&a.octets());
            }
        }
        out.push(net.prefix_len());
    }
    out
}

fn resource_parts(key: &ResourceKey) -> (u8, &str, Option<&str>) {
    match key {
        ResourceKey::Workspace { workspace } => (0, workspace, None),
        ResourceKey::Project { workspace, key } => (1, workspace, Some(key)),
        ResourceKey::Repository { workspace, slug } => (2, workspace, Some(slug)),
    }
}

/// The shared tables for a set of records, and the encoder that points into them. Keys borrow
/// from the records: counting a million tokens clones no strings.
pub(crate) struct Encoder<'a> {
    strings: Ranked<&'a str>,
    resources: Ranked<&'a ResourceKey>,
    scope_sets: Ranked<&'a [String]>,
    ip_lists: Ranked<Vec<u8>>,
    issued_at: Timestamp,
}

fn bump<K: Ord>(map: &mut BTreeMap<K, u64>, key: K) {
    *map.entry(key).or_insert(0) += 1;
}

impl<'a> Encoder<'a> {
    pub(crate) fn new(tokens: &[&'a TokenRecord], issued_at: Timestamp) -> Encoder<'a> {
        let mut strings: BTreeMap<&'a str, u64> = BTreeMap::new();
        let mut resources: BTreeMap<&'a ResourceKey, u64> = BTreeMap::new();
        let mut scope_sets: BTreeMap<&'a [String], u64> = BTreeMap::new();
        let mut ip_lists = BTreeMap::new();
        for t in tokens {
            if let Some(p) = &t.principal {
                bump(&mut strings, p.as_str());
            }
            if let Some(c) = &t.created_by {
                if t.principal.as_ref() != Some(c) {
                    bump(&mut strings, c.as_str());
                }
            }
            if let Some(r) = &t.resource {
                bump(&mut resources, r);
            }
            bump(&mut scope_sets, t.scopes.as_slice());
            if !t.allowed_ips.is_empty() {
                bump(&mut ip_lists, ip_list_bytes(&t.allowed_ips));
            }
        }
        // Strings inside the tables count once per table entry.
        for set in scope_sets.keys() {
            for s in *set {
                bump(&mut strings, s.as_str());
            }
        }
        for r in resources.keys() {
            let (_, ws, name) = resource_parts(r);
            bump(&mut strings, ws);
            if let Some(n) = name {
                bump(&mut strings, n);
            }
        }
        Encoder {
            strings: Ranked::new(strings),
            resources: Ranked::new(resources),
            scope_sets: Ranked::new(scope_sets),
            ip_lists: Ranked::new(ip_lists),
            issued_at,
        }
    }

    /// The four table sections: strings, resources, scope sets, IP lists (entry bytes).
    pub(crate) fn tables(&self) -> Result<[Vec<Vec<u8>>; 4], Error> {
        let strings = self.strings.order.iter().map(|s| s.as_bytes().to_vec()).collect();
        let mut resources = Vec::with_capacity(self.resources.order.len());
        for r in &self.resources.order {
            let (kind, ws, name) = resource_parts(r);
            let mut e = vec![kind];
            put_varint(&mut e, self.strings.get(&ws)? as u64);
            if let Some(n) = name {
                put_varint(&mut e, self.strings.get(&n)? as u64);
            }
            resources.push(e);
        }
        let mut scope_sets = Vec::with_capacity(self.scope_sets.order.len());
        for set in &self.scope_sets.order {
            let mut e = Vec::new();
            put_varint(&mut e, set.len() as u64);
            for s in *set {
                put_varint(&mut e, self.strings.get(&s.as_str())? as u64);
            }
            scope_sets.push(e);
        }
        Ok([strings, resources, scope_sets, self.ip_lists.order.clone()])
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>, t: &TokenRecord) -> Result<(), Error> {
        let range = || {
            Error::Input(format!("token {}: a time is out of the range a bundle can hold", crate::error::ticked(&t.id)))
        };
        let mut head = kind_index(t.kind);
        head |= match t.access {
            None => 0,
            Some(AccessMode::ReadOnly) => 1 << 3,
            Some(AccessMode::ReadWrite) => 2 << 3,
        };
        if t.label.is_some() {
            head |= LABEL;
        }
        if t.revoked_at.is_some() {
            head |= REVOKED;
        }
        out.push(head);
        put_bytes(out, t.id.as_bytes());
        if let Some(label) = &t.label {
            put_bytes(out, label.as_bytes());
        }
        match &t.principal {
            None => put_varint(out, 0),
            Some(p) => put_varint(out, 1 + self.strings.get(&p.as_str())? as u64),
        }
        match &t.resource {
            None => put_varint(out, 0),
            Some(r) => put_varint(out, 1 + self.resources.get(&r)? as u64),
        }
        match &t.created_by {
            None => put_varint(out, 0),
            Some(c) if t.principal.as_ref() == Some(c) => put_varint(out, 1),
            Some(c) => put_varint(out, 2 + self.strings.get(&c.as_str())? as u64),
        }
        put_varint(out, self.scope_sets.get(&t.scopes.as_slice())? as u64);
        if t.allowed_ips.is_empty() {
            put_varint(out, 0);
        } else {
            put_varint(out, 1 + self.ip_lists.get(&ip_list_bytes(&t.allowed_ips))? as u64);
        }
        match t.created_at {
            None => put_varint(out, 0),
            Some(c) => {
                let d = c.0.checked_sub(self.issued_at.0).ok_or_else(range)?;
                put_varint(out, zigzag(d).checked_add(1).ok_or_else(range)?);
            }
        }
        match t.expires_at {
            None => put_varint(out, 0),
            Some(e) => {
                let d = e.0.checked_sub(t.created_at.unwrap_or(self.issued_at).0).ok_or_else(range)?;
                let code = if d % DAY == 0 {
                    zigzag(d / DAY).checked_mul(2)
                } else {
                    zigzag(d).checked_mul(2).and_then(|c| c.checked_add(1))
                };
                put_varint(out, code.and_then(|c| c.checked_add(1)).ok_or_else(range)?);
            }
        }
        if let Some(r) = t.revoked_at {
            put_varint(out, zigzag(r.0.checked_sub(self.issued_at.0).ok_or_else(range)?));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::wire::write_table;

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
            created_at: (i % 4 != 0).then_some(Timestamp(1_700_000_000 - i64::from(i) * 1000)),
            expires_at: match i % 3 {
                0 => None,
                1 => Some(Timestamp(1_700_000_000 - i64::from(i) * 1000 + 90 * DAY)),
                _ => Some(Timestamp(1_600_000_007)),
            },
            revoked_at: (i % 5 == 0).then_some(Timestamp(1_700_000_123)),
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
        let records: Vec<TokenRecord> = (0..30).map(record).collect();
        let refs: Vec<&TokenRecord> = records.iter().collect();
        let issued = Timestamp(1_700_000_000);
        let enc = Encoder::new(&refs, issued);
        let [s, r, ss, ip] = enc.tables().unwrap();
        let mut bytes = Vec::new();
        let mut starts = Vec::new();
        for (v, _) in [(&s, 0), (&r, 1), (&ss, 2), (&ip, 3)] {
            starts.push(bytes.len());
            bytes.extend(write_table(v).unwrap());
        }
        starts.push(bytes.len());
        let table = |i: usize| Table::parse(&bytes, starts[i], starts[i + 1] - starts[i], "t").unwrap();
        let (strings, resources, scope_sets, ip_lists) = (table(0), table(1), table(2), table(3));
        let records_at = bytes.len();
        for t in &records {
            enc.encode(&mut bytes, t).unwrap();
        }
        let dict = Dict { bytes: &bytes, strings, resources, scope_sets, ip_lists, issued_at: issued };
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
        let enc = Encoder::new(&[&t], Timestamp(0));
        let mut out = Vec::new();
        enc.encode(&mut out, &t).unwrap();
        assert_eq!(out.len(), crate::bundle::format::MIN_RECORD_LEN);
    }
}
