//! One token record on the wire, and the shared tables it points into (strings, resources,
//! scope sets, IP lists), read back. The writer is `pack.rs`; the tests here round-trip both.
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

use crate::bundle::wire::{unzigzag, Reader, Table};
use crate::directory::ResourceKey;
use crate::time::{Timestamp, DAY};
use crate::token::{AccessMode, TokenKind, TokenRecord};

pub(crate) const LABEL: u8 = 1 << 5;
pub(crate) const REVOKED: u8 = 1 << 6;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::pack::TokenTable;

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
        // Digests `[i; 32]` for i in 0..30: pushed in digest order.
        let records: Vec<TokenRecord> = (0..30).map(record).collect();
        let issued = Timestamp(1_700_000_000);
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
        let table = TokenTable::of([&t], Timestamp(0)).unwrap();
        let order = table.order();
        let [.., records] = table.sections(&order).unwrap();
        assert_eq!(records.len(), crate::bundle::format::MIN_RECORD_LEN);
    }
}
