//! Token records packed for a build: every value a record points at (principal and
//! `created_by` strings, resources, scope sets, IP lists) interned once, and one small
//! fixed-size entry per token. What every build writes its token table from: `build_bundle`,
//! `build_delta` and the streaming [`BundleBuilder`](crate::BundleBuilder), so they cannot
//! drift apart, and a million tokens cost about 90 bytes each while they wait to be sorted,
//! instead of a decoded `TokenRecord` with a dozen heap strings.
//!
//! The encoding is docs/bundle-format.md's (the decoder is `src/token/packed.rs`). Table entries are
//! ranked by how many records use them, most used first, ties in value order, so common values
//! get one-byte varint indexes and the output is deterministic (no hash-map order anywhere:
//! the maps here only find an entry's number).

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;

use ipnet::IpNet;

use crate::bundle::format::{BLOCK, PREFIX_LEN};
use crate::directory::ResourceKey;
use crate::error::Error;
use crate::redact::ticked;
use crate::time::{Timestamp, DAY};
use crate::token::{digest_order, split_digest, AccessMode, TokenKind, TokenRecord, LABEL, REVOKED};
use crate::wire::{put_bytes, put_varint, write_table, zigzag, Reader};

/// Values in the order they were first seen, each with its number and use count.
struct Interner<K> {
    numbers: HashMap<K, u32>,
    values: Vec<K>,
    counts: Vec<u64>,
}

impl<K: Hash + Eq + Ord + Clone> Interner<K> {
    fn new() -> Interner<K> {
        Interner { numbers: HashMap::new(), values: Vec::new(), counts: Vec::new() }
    }

    /// The number of `key`, counting one more use of it.
    fn bump<Q>(&mut self, key: &Q) -> Result<u32, Error>
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        if let Some(&n) = self.numbers.get(key) {
            if let Some(c) = self.counts.get_mut(n as usize) {
                *c += 1;
            }
            return Ok(n);
        }
        // Numbers stay below `u32::MAX - 2`, so `2 + n` (a record's `created_by`) cannot overflow.
        let n = u32::try_from(self.values.len()).ok().filter(|&n| n < u32::MAX - 2).ok_or_else(too_large)?;
        self.numbers.insert(key.to_owned(), n);
        self.values.push(key.to_owned());
        self.counts.push(1);
        Ok(n)
    }

    /// The value numbered `n`.
    fn value(&self, n: u32) -> Result<&K, Error> {
        self.values.get(n as usize).ok_or_else(missing)
    }

    /// Rank (table index) of every number: most used first, ties in value order.
    fn ranks(&self) -> Vec<u32> {
        let mut order: Vec<u32> = (0..self.values.len()).filter_map(|n| u32::try_from(n).ok()).collect();
        order.sort_by(|&a, &b| {
            let count = |n: u32| self.counts.get(n as usize).copied().unwrap_or(0);
            count(b).cmp(&count(a)).then_with(|| self.values.get(a as usize).cmp(&self.values.get(b as usize)))
        });
        let mut ranks = vec![0u32; order.len()];
        for (rank, &n) in order.iter().enumerate() {
            if let (Some(slot), Ok(rank)) = (ranks.get_mut(n as usize), u32::try_from(rank)) {
                *slot = rank;
            }
        }
        ranks
    }
}

/// The numbers in rank order.
fn in_rank_order(ranks: &[u32]) -> Vec<u32> {
    let mut order = vec![0u32; ranks.len()];
    for (n, &rank) in ranks.iter().enumerate() {
        if let (Some(slot), Ok(n)) = (order.get_mut(rank as usize), u32::try_from(n)) {
            *slot = n;
        }
    }
    order
}

fn too_large() -> Error {
    Error::Input("the bundle is too large: more than 2^32 entries in a table".into())
}

fn missing() -> Error {
    Error::Input("internal: a value missing from its bundle table".into())
}

/// Rank of number `n` in `ranks`, as a varint value.
fn rank(ranks: &[u32], n: u32) -> Result<u64, Error> {
    ranks.get(n as usize).map(|&r| u64::from(r)).ok_or_else(missing)
}

/// One token, waiting for the tables to be ranked. The time fields are already the varint
/// values of the record; the id and label sit in `TokenTable::text`.
#[derive(Clone, Copy)]
struct Packed {
    /// The digest's first 16 bytes as a number ordered like the bytes (what the table sorts
    /// and stores), and the other 16 (only to tell a repeated secret from a shared prefix).
    prefix: u128,
    rest: u128,
    /// The record's id (and label) bytes: `text[text_at .. text_at + text_len]`.
    text_at: u32,
    text_len: u32,
    /// 0 none, else 1 + string number.
    principal: u32,
    /// 0 none, else 1 + resource number.
    resource: u32,
    /// 0 none, 1 same as the principal, else 2 + string number.
    created_by: u32,
    scopes: u32,
    /// 0 none, else 1 + IP list number.
    ips: u32,
    created_at: u64,
    expires_at: u64,
    revoked_at: u64,
    head: u8,
}

/// Each table's ranks, by entry number.
struct Ranks<'a> {
    strings: &'a [u32],
    resources: &'a [u32],
    scope_sets: &'a [u32],
    ip_lists: &'a [u32],
}

/// A stored reference as the record's varint: below `base` as it is (none, or "same as the
/// principal"), else `base` + the rank of the entry it numbers.
fn indexed(ranks: &[u32], stored: u32, base: u32) -> Result<u64, Error> {
    match stored.checked_sub(base) {
        Some(n) => Ok(u64::from(base) + rank(ranks, n)?),
        None => Ok(u64::from(stored)),
    }
}

/// Tokens packed for one token table.
pub(crate) struct TokenTable {
    issued_at: Timestamp,
    strings: Interner<String>,
    resources: Interner<ResourceKey>,
    scope_sets: Interner<Vec<String>>,
    ip_lists: Interner<Vec<u8>>,
    /// Ids and labels, each as the record writes it (varint length + UTF-8).
    text: Vec<u8>,
    tokens: Vec<Packed>,
}

fn kind_index(kind: TokenKind) -> u8 {
    TokenKind::ALL.iter().position(|k| *k == kind).and_then(|i| u8::try_from(i).ok()).unwrap_or(0)
}

fn ip_list_bytes(ips: &[IpNet]) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + ips.len() * 18);
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

impl TokenTable {
    /// An empty table for records whose times are written relative to `issued_at`.
    pub(crate) fn new(issued_at: Timestamp) -> TokenTable {
        TokenTable {
            issued_at,
            strings: Interner::new(),
            resources: Interner::new(),
            scope_sets: Interner::new(),
            ip_lists: Interner::new(),
            text: Vec::new(),
            tokens: Vec::new(),
        }
    }

    /// A table of these records.
    pub(crate) fn of<'a>(
        records: impl IntoIterator<Item = &'a TokenRecord>,
        issued_at: Timestamp,
    ) -> Result<TokenTable, Error> {
        let mut table = TokenTable::new(issued_at);
        for t in records {
            table.push(t)?;
        }
        Ok(table)
    }

    /// Tokens in the table.
    pub(crate) fn len(&self) -> usize {
        self.tokens.len()
    }

    /// Adds one record. A time too far from `issued_at` for the format is an error.
    pub(crate) fn push(&mut self, t: &TokenRecord) -> Result<(), Error> {
        let range = || Error::Input(format!("token {}: a time is out of the range a bundle can hold", ticked(&t.id)));
        let mut head = kind_index(t.kind);
        head |= match t.access {
            None => 0,
            Some(AccessMode::ReadOnly) => 1 << 3,
            Some(AccessMode::ReadWrite) => 2 << 3,
        };
        let text_at = self.text.len();
        put_bytes(&mut self.text, t.id.as_bytes());
        if let Some(label) = &t.label {
            head |= LABEL;
            put_bytes(&mut self.text, label.as_bytes());
        }
        let text_len = self.text.len() - text_at;
        let principal = match &t.principal {
            None => 0,
            Some(p) => 1 + self.strings.bump(p.as_str())?,
        };
        let resource = match &t.resource {
            None => 0,
            Some(r) => 1 + self.resources.bump(r)?,
        };
        let created_by = match &t.created_by {
            None => 0,
            Some(c) if t.principal.as_ref() == Some(c) => 1,
            Some(c) => 2 + self.strings.bump(c.as_str())?,
        };
        let scopes = self.scope_sets.bump(t.scopes.as_slice())?;
        let ips = if t.allowed_ips.is_empty() { 0 } else { 1 + self.ip_lists.bump(&ip_list_bytes(&t.allowed_ips))? };
        let created_at = match t.created_at {
            None => 0,
            Some(c) => {
                zigzag(c.checked_seconds_since(self.issued_at).ok_or_else(range)?).checked_add(1).ok_or_else(range)?
            }
        };
        let expires_at = match t.expires_at {
            None => 0,
            Some(e) => {
                let d = e.checked_seconds_since(t.created_at.unwrap_or(self.issued_at)).ok_or_else(range)?;
                let code = if d % DAY == 0 {
                    zigzag(d / DAY).checked_mul(2)
                } else {
                    zigzag(d).checked_mul(2).and_then(|c| c.checked_add(1))
                };
                code.and_then(|c| c.checked_add(1)).ok_or_else(range)?
            }
        };
        let revoked_at = match t.revoked_at {
            None => 0,
            Some(r) => {
                head |= REVOKED;
                zigzag(r.checked_seconds_since(self.issued_at).ok_or_else(range)?)
            }
        };
        let big = |_| Error::Input("the token ids and labels are larger than 4 GiB".into());
        let (prefix, rest) = split_digest(&t.digest);
        self.tokens.push(Packed {
            prefix,
            rest,
            text_at: u32::try_from(text_at).map_err(big)?,
            text_len: u32::try_from(text_len).map_err(big)?,
            principal,
            resource,
            created_by,
            scopes,
            ips,
            created_at,
            expires_at,
            revoked_at,
            head,
        });
        Ok(())
    }

    /// Whether tokens `i` and `j` (in the order pushed) have the same secret digest.
    pub(crate) fn same_digest(&self, i: usize, j: usize) -> bool {
        match (self.tokens.get(i), self.tokens.get(j)) {
            (Some(a), Some(b)) => a.prefix == b.prefix && a.rest == b.rest,
            _ => false,
        }
    }

    /// The id of token `i` (in the order pushed).
    pub(crate) fn id(&self, i: usize) -> Option<&str> {
        let p = self.tokens.get(i)?;
        let at = p.text_at as usize;
        let text = self.text.get(at..at.checked_add(p.text_len as usize)?)?;
        Reader::new(text).str()
    }

    /// The tokens (numbers in the order pushed) sorted by digest prefix. Callers check the
    /// order for repeated digests before [`TokenTable::sections`] refuses them.
    pub(crate) fn order(&self) -> Vec<u32> {
        let keys: Vec<(u128, u128)> = self.tokens.iter().map(|p| (p.prefix, p.rest)).collect();
        digest_order(&keys)
    }

    /// Appends one record.
    // NOTE: a call per record, not inlined into the loop over a million of them: V8 optimises
    // a wasm function only for its later calls, so a loop that runs in one call stays slow.
    #[inline(never)]
    fn encode(&self, p: &Packed, ranks: &Ranks<'_>, records: &mut Vec<u8>) -> Result<(), Error> {
        records.push(p.head);
        let at = p.text_at as usize;
        records.extend_from_slice(self.text.get(at..at + p.text_len as usize).ok_or_else(missing)?);
        put_varint(records, indexed(ranks.strings, p.principal, 1)?);
        put_varint(records, indexed(ranks.resources, p.resource, 1)?);
        put_varint(records, indexed(ranks.strings, p.created_by, 2)?);
        put_varint(records, rank(ranks.scope_sets, p.scopes)?);
        put_varint(records, indexed(ranks.ip_lists, p.ips, 1)?);
        put_varint(records, p.created_at);
        put_varint(records, p.expires_at);
        if p.head & REVOKED != 0 {
            put_varint(records, p.revoked_at);
        }
        Ok(())
    }

    /// The token table's sections in `order` (from [`TokenTable::order`]): strings,
    /// resources, scope sets, IP lists, prefixes, blocks, records.
    ///
    /// # Errors
    /// Two tokens whose digests share their first 16 bytes (naming both ids), or a table too
    /// large for the format.
    pub(crate) fn sections(mut self, order: &[u32]) -> Result<[Vec<u8>; 7], Error> {
        if order.len() != self.tokens.len() {
            return Err(missing());
        }
        let mut previous: Option<(u128, u32)> = None;
        for &i in order {
            let key = self.tokens.get(i as usize).ok_or_else(missing)?.prefix;
            if let Some((before, j)) = previous {
                if before >= key {
                    return Err(if before == key {
                        Error::Input(format!(
                            "tokens {} and {} have secret digests that share their first 16 bytes: give one of them a new secret",
                            ticked(self.id(j as usize).unwrap_or_default()),
                            ticked(self.id(i as usize).unwrap_or_default())
                        ))
                    } else {
                        Error::Input("internal: tokens out of digest order".into())
                    });
                }
            }
            previous = Some((key, i));
        }
        // Strings inside the tables count once per table entry.
        for n in 0..self.scope_sets.values.len() {
            let set = self.scope_sets.values.get(n).cloned().unwrap_or_default();
            for s in &set {
                self.strings.bump(s.as_str())?;
            }
        }
        for n in 0..self.resources.values.len() {
            let (_, ws, name) = resource_parts(self.resources.values.get(n).ok_or_else(missing)?);
            let (ws, name) = (ws.to_owned(), name.map(str::to_owned));
            self.strings.bump(ws.as_str())?;
            if let Some(name) = name {
                self.strings.bump(name.as_str())?;
            }
        }
        let string_ranks = self.strings.ranks();
        let resource_ranks = self.resources.ranks();
        let set_ranks = self.scope_sets.ranks();
        let ip_ranks = self.ip_lists.ranks();
        let string_number = |s: &str| self.strings.numbers.get(s).copied().ok_or_else(missing);

        let mut strings = Vec::with_capacity(string_ranks.len());
        for n in in_rank_order(&string_ranks) {
            strings.push(self.strings.value(n)?.as_bytes().to_vec());
        }
        let mut resources = Vec::with_capacity(resource_ranks.len());
        for n in in_rank_order(&resource_ranks) {
            let (kind, ws, name) = resource_parts(self.resources.value(n)?);
            let mut e = vec![kind];
            put_varint(&mut e, rank(&string_ranks, string_number(ws)?)?);
            if let Some(name) = name {
                put_varint(&mut e, rank(&string_ranks, string_number(name)?)?);
            }
            resources.push(e);
        }
        let mut scope_sets = Vec::with_capacity(set_ranks.len());
        for n in in_rank_order(&set_ranks) {
            let set = self.scope_sets.value(n)?;
            let mut e = Vec::new();
            put_varint(&mut e, set.len() as u64);
            for s in set {
                put_varint(&mut e, rank(&string_ranks, string_number(s)?)?);
            }
            scope_sets.push(e);
        }
        let mut ip_lists = Vec::with_capacity(ip_ranks.len());
        for n in in_rank_order(&ip_ranks) {
            ip_lists.push(self.ip_lists.value(n)?.clone());
        }
        let table = |entries: &[Vec<u8>]| {
            write_table(entries).map_err(|e| Error::Input(format!("the bundle is too large: {e}")))
        };

        let count = self.tokens.len();
        let mut prefixes = Vec::with_capacity(count * PREFIX_LEN);
        let mut blocks = Vec::with_capacity((count / BLOCK + 2) * 4);
        let mut records = Vec::with_capacity(count * 26);
        let offset = |records: &Vec<u8>| {
            u32::try_from(records.len()).map_err(|_| Error::Input("the token records are larger than 4 GiB".into()))
        };
        let ranks =
            Ranks { strings: &string_ranks, resources: &resource_ranks, scope_sets: &set_ranks, ip_lists: &ip_ranks };
        for (pos, &i) in order.iter().enumerate() {
            let p = self.tokens.get(i as usize).ok_or_else(missing)?;
            prefixes.extend_from_slice(&p.prefix.to_be_bytes());
            if pos % BLOCK == 0 {
                blocks.extend_from_slice(&offset(&records)?.to_le_bytes());
            }
            self.encode(p, &ranks, &mut records)?;
        }
        blocks.extend_from_slice(&offset(&records)?.to_le_bytes());
        Ok([table(&strings)?, table(&resources)?, table(&scope_sets)?, table(&ip_lists)?, prefixes, blocks, records])
    }
}
