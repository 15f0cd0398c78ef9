//! Building bundles and deltas from a compiled state. Deterministic: the same state and key
//! give the same bytes (no clock, ordered maps only, Ed25519 signatures are deterministic).

use sha2::{Digest, Sha256};

use crate::bundle::format::{
    BundleKind, Header, Prefix, TableLayout, HEADER_LEN, PROFILE, SECTIONS, SECTION_NAMES, SIGNATURE_LEN, VERSION,
};
use crate::bundle::keys::PrivateKey;
use crate::bundle::load::{decode_meta, read_base, section};
use crate::bundle::pack::TokenTable;
use crate::bundle::tokens::{prefix_of, BundleTokens};
use crate::error::{BundleError, Error};
use crate::profile::Profile;
use crate::snapshot::{Meta, TokenSource};
use crate::state::CompiledState;
use crate::time::Timestamp;
use crate::token::TokenRecord;

/// Builds a signed bundle of `state`, valid for `ttl_seconds` after the state's `issued_at`.
///
/// # Errors
/// `Error::Input` for a zero or too large ttl, two tokens whose digests share their first 16
/// bytes (give one a new secret), or a state too large for the format (2^32 tokens or 4 GiB).
///
/// # Examples
/// ```
/// use scopegate::{build_bundle, generate_key_pair, CompiledState, Engine, PrivateKey, PublicKey, Timestamp};
/// let state = CompiledState::from_json(r#"{"issued_at": "2026-11-22T10:00:00Z",
///     "profile": {"name": "tiny", "base_path": "", "scopes": [], "routes": []}}"#).unwrap();
/// let pair = generate_key_pair().unwrap();
/// let bytes = build_bundle(&state, &PrivateKey::parse(&pair.private_key).unwrap(), 3600).unwrap();
/// let keys = [PublicKey::parse(&pair.public_key).unwrap()];
/// let engine = Engine::load(&bytes, &keys, Timestamp::parse("2026-11-22T10:30:00Z").unwrap()).unwrap();
/// assert_eq!(engine.info().tokens, 0);
/// ```
pub fn build_bundle(state: &CompiledState, private_key: &PrivateKey, ttl_seconds: u64) -> Result<Vec<u8>, Error> {
    // The ttl first: a bad one costs no packing.
    expiry(state.meta.issued_at, ttl_seconds)?;
    let table = TokenTable::of(&state.tokens, state.meta.issued_at)?;
    let order = table.order();
    bundle_of(&state.meta, &state.profile, table, &order, private_key, ttl_seconds)
}

/// Builds a signed delta that turns `base_bundle` into `new_state`: the removed tokens, the
/// new and changed records (a revocation is a changed record), and the meta section only if
/// profile, directory, policies, network or token permissions changed. Deltas are cumulative:
/// each one is against the base, and applying a newer one replaces the one applied before.
///
/// The base is read, not verified: whoever builds holds the private key and the base it built.
///
/// # Errors
/// `Error::Bundle` when the base is not a well-formed full bundle; `Error::Input` for a state
/// issued before the base, a zero or too large ttl, or a digest-prefix collision.
pub fn build_delta(
    base_bundle: &[u8],
    new_state: &CompiledState,
    private_key: &PrivateKey,
    ttl_seconds: u64,
) -> Result<Vec<u8>, Error> {
    let header = read_base(base_bundle)?;
    let issued_at = new_state.meta.issued_at;
    if issued_at < header.issued_at {
        return Err(Error::Input(format!(
            "the new state was issued at {issued_at}, before the base bundle ({}): a delta cannot go back in time",
            header.issued_at
        )));
    }
    let expires_at = expiry(issued_at, ttl_seconds)?;
    let base_meta = decode_meta(&header, base_bundle)?;
    let profile_changed = section(&header, base_bundle, PROFILE)? != new_state.profile.encoded();
    let meta_changed = profile_changed || Meta { issued_at, ..base_meta } != new_state.meta;
    let (meta, profile) = if meta_changed {
        (encode_meta(&new_state.meta)?, new_state.profile.encoded().to_vec())
    } else {
        (Vec::new(), Vec::new())
    };

    let layout = TableLayout::parse(&header, base_bundle)?;
    let base = BundleTokens::new(std::sync::Arc::new(base_bundle.to_vec()), layout);
    let (upserts, removed) = diff(&base, &new_state.tokens)?;
    let mut removed_bytes = Vec::with_capacity(removed.len() * 16);
    for p in &removed {
        removed_bytes.extend_from_slice(p);
    }
    let sections = token_sections(&upserts, issued_at, meta, profile, removed_bytes)?;
    let base_hash: [u8; 32] = Sha256::digest(base_bundle).into();
    assemble(BundleKind::Delta, private_key, issued_at, expires_at, upserts.len(), removed.len(), base_hash, sections)
}

/// Merge-joins the base's records and the new state's (both in digest order) on the prefix.
fn diff<'a>(base: &BundleTokens, new: &'a [TokenRecord]) -> Result<(Vec<&'a TokenRecord>, Vec<Prefix>), Error> {
    let mut upserts = Vec::new();
    let mut removed = Vec::new();
    let mut old = base.iter();
    let mut next_old = old.next();
    let mut decoded = 0usize;
    for t in new {
        let p = prefix_of(&t.digest);
        loop {
            match &next_old {
                Some(o) if prefix_of(&o.digest) < p => {
                    removed.push(prefix_of(&o.digest));
                    decoded += 1;
                    next_old = old.next();
                }
                Some(o) if prefix_of(&o.digest) == p => {
                    let same = TokenRecord { digest: o.digest, ..t.clone() } == *o;
                    if !same {
                        upserts.push(t);
                    }
                    decoded += 1;
                    next_old = old.next();
                    break;
                }
                _ => {
                    upserts.push(t);
                    break;
                }
            }
        }
    }
    while let Some(o) = next_old {
        removed.push(prefix_of(&o.digest));
        decoded += 1;
        next_old = old.next();
    }
    if decoded != base.len() {
        return Err(Error::Bundle(BundleError::Corrupt("a record of the base bundle cannot be read".into())));
    }
    Ok((upserts, removed))
}

pub(crate) fn expiry(issued_at: Timestamp, ttl_seconds: u64) -> Result<Timestamp, Error> {
    if ttl_seconds == 0 {
        return Err(Error::Input("ttl_seconds must be at least 1".into()));
    }
    i64::try_from(ttl_seconds)
        .ok()
        .and_then(|ttl| issued_at.checked_plus(ttl))
        .ok_or_else(|| Error::Input(format!("ttl_seconds {ttl_seconds} is too large")))
}

pub(crate) fn encode_meta(meta: &Meta) -> Result<Vec<u8>, Error> {
    postcard::to_allocvec(meta).map_err(|e| Error::Input(format!("cannot encode the bundle's meta section: {e}")))
}

/// All sections: meta and profile, the token table's, and the removed prefixes.
fn token_sections(
    tokens: &[&TokenRecord],
    issued_at: Timestamp,
    meta: Vec<u8>,
    profile: Vec<u8>,
    removed: Vec<u8>,
) -> Result<[Vec<u8>; SECTIONS], Error> {
    let table = TokenTable::of(tokens.iter().copied(), issued_at)?;
    let order = table.order();
    sections_of(table, &order, meta, profile, removed)
}

fn sections_of(
    table: TokenTable,
    order: &[u32],
    meta: Vec<u8>,
    profile: Vec<u8>,
    removed: Vec<u8>,
) -> Result<[Vec<u8>; SECTIONS], Error> {
    let [strings, resources, scope_sets, ip_lists, prefixes, blocks, records] = table.sections(order)?;
    Ok([meta, profile, strings, resources, scope_sets, ip_lists, prefixes, blocks, records, removed])
}

/// A signed bundle of `meta` and the tokens of `table` in `order` (from
/// [`TokenTable::order`]): what `build_bundle` and the streaming builder both end with.
pub(crate) fn bundle_of(
    meta: &Meta,
    profile: &Profile,
    table: TokenTable,
    order: &[u32],
    private_key: &PrivateKey,
    ttl_seconds: u64,
) -> Result<Vec<u8>, Error> {
    let issued_at = meta.issued_at;
    let expires_at = expiry(issued_at, ttl_seconds)?;
    let count = table.len();
    let sections = sections_of(table, order, encode_meta(meta)?, profile.encoded().to_vec(), Vec::new())?;
    assemble(BundleKind::Bundle, private_key, issued_at, expires_at, count, 0, [0u8; 32], sections)
}

#[expect(clippy::too_many_arguments, reason = "one call per bundle kind, each field a header field")]
fn assemble(
    kind: BundleKind,
    key: &PrivateKey,
    issued_at: Timestamp,
    expires_at: Timestamp,
    tokens: usize,
    removed: usize,
    base: [u8; 32],
    sections: [Vec<u8>; SECTIONS],
) -> Result<Vec<u8>, Error> {
    let mut lens = [0usize; SECTIONS];
    for (len, s) in lens.iter_mut().zip(&sections) {
        *len = s.len();
    }
    let body_len: usize = lens.iter().sum();
    let total_len = HEADER_LEN + body_len + SIGNATURE_LEN;
    let header = Header {
        version: VERSION,
        kind,
        kind_byte: kind.byte(),
        reserved: 0,
        total_len,
        key_id: key.public_key().key_id(),
        issued_at,
        expires_at,
        tokens,
        removed,
        base,
        sections: lens,
    };
    let mut out = Vec::with_capacity(total_len);
    header.write(&mut out)?;
    debug_assert_eq!(out.len(), HEADER_LEN);
    debug_assert_eq!(SECTION_NAMES.len(), sections.len());
    for s in &sections {
        out.extend_from_slice(s);
    }
    let signature = key.sign(&out)?;
    out.extend_from_slice(&signature);
    Ok(out)
}
