//! Deltas from a *changes* document (read by `read::changes`) instead of a whole new state:
//! revocations, removals, upserts and a policy change, applied to the base bundle's own records
//! and meta, then diffed by [`build_delta`] like any new state (so both forms give the same
//! bytes for the same end state).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use crate::bundle::build::build_delta;
use crate::bundle::format::{Prefix, TableLayout};
use crate::bundle::keys::PrivateKey;
use crate::bundle::load::{decode_meta, decode_profile, read_base};
use crate::bundle::tokens::{prefix_of, BundleTokens, PrefixTokens};
use crate::error::{BundleError, Error};
use crate::profile::Profile;
use crate::read;
use crate::redact::quoted;
use crate::snapshot::{Meta, Snapshot, TokenSource};
use crate::state::{apply_policy_doc, compile_token, CompiledState, Place, ResourceCache};
use crate::token::TokenRecord;

/// Builds a signed delta on `base_bundle` from a changes document: `revoke` (token ids, or
/// `{"id", "at"}` objects; `at` defaults to `issued_at`; an earlier revocation is kept), `remove`
/// (token ids), `upsert` (token objects as in the state's `tokens`, compiled against the base's
/// directory and profile; an existing id is replaced, even with a new secret), and the policy
/// change keys of [`Engine::with_policies`](crate::Engine::with_policies). An id may appear
/// only once across `revoke`, `remove` and `upsert`.
///
/// The changes are against the BASE bundle, not against a delta applied since: a delta is
/// cumulative (docs/bundle-format.md), so a second changes delta must repeat the first's changes.
///
/// # Errors
/// `Error::State` with the JSON path (`revoke[3].id: unknown token "t-9"`,
/// `upsert[0].expires_at: expected an RFC 3339 time, got "x"`, `issued_at` before the base);
/// `Error::Bundle` when the base is not a well-formed full bundle; and [`build_delta`]'s errors.
/// Nothing is produced on any error.
pub fn build_delta_from_changes(
    base_bundle: &[u8],
    changes_json: &str,
    private_key: &PrivateKey,
    ttl_seconds: u64,
) -> Result<Vec<u8>, Error> {
    let state = apply_changes(base_bundle, changes_json)?;
    build_delta(base_bundle, &state, private_key, ttl_seconds)
}

/// The base bundle's state with the changes applied, in memory.
fn apply_changes(base_bundle: &[u8], changes_json: &str) -> Result<CompiledState, Error> {
    let header = read_base(base_bundle)?;
    let base_meta = decode_meta(&header, base_bundle)?;
    let profile = decode_profile(&header, base_bundle)?;
    let layout = TableLayout::parse(&header, base_bundle)?;
    let base = BundleTokens::new(Arc::new(base_bundle.to_vec()), layout);
    let records: Vec<TokenRecord> = base.iter().collect();
    if records.len() != base.len() {
        return Err(Error::Bundle(BundleError::Corrupt("a record of the base bundle cannot be read".into())));
    }
    apply(&base_meta, profile, records, changes_json)
}

/// `snapshot` with a changes document applied, unsigned: what a delta built from the same
/// document on the snapshot's bundle makes of it (the admin page's working state). Records read
/// from a bundle keep being looked up by their digest prefix.
///
/// # Errors
/// As [`build_delta_from_changes`], naming the JSON path; a record that cannot be read.
pub(crate) fn apply_to_snapshot(snapshot: &Snapshot, changes_json: &str) -> Result<Snapshot, Error> {
    let state = apply(&snapshot.meta, snapshot.profile.clone(), snapshot.records()?, changes_json)?;
    if snapshot.tokens.whole_digests() {
        return Ok(state.into_snapshot());
    }
    Ok(Snapshot::new(state.meta, state.profile, None, Arc::new(PrefixTokens::new(state.tokens))))
}

/// The changes of `changes_json` on a base's meta and records (in digest order).
fn apply(
    base_meta: &Meta,
    profile: Profile,
    records: Vec<TokenRecord>,
    changes_json: &str,
) -> Result<CompiledState, Error> {
    let mut slots: Vec<Option<TokenRecord>> = records.into_iter().map(Some).collect();
    let by_id: HashMap<String, usize> =
        slots.iter().enumerate().filter_map(|(i, t)| t.as_ref().map(|t| (t.id.clone(), i))).collect();

    let doc = read::changes(changes_json)?;
    let issued_at = doc.issued_at;
    if issued_at < base_meta.issued_at {
        return Err(Error::state(
            "issued_at",
            format!(
                "{issued_at} is before the base bundle's issued_at ({}): a delta cannot go back in time",
                base_meta.issued_at
            ),
        ));
    }

    // Which list first named each id: an id may be changed once.
    let mut claimed: HashMap<String, String> = HashMap::new();
    let mut claim = |id: &str, path: String| -> Result<(), Error> {
        if let Some(first) = claimed.get(id) {
            return Err(Error::state(path, format!("token {} is already changed by {first}", quoted(id))));
        }
        claimed.insert(id.to_string(), path.rsplit_once('.').map_or(path.clone(), |(head, _)| head.to_string()));
        Ok(())
    };
    let base_slot = |id: &str, path: &str| {
        by_id.get(id).copied().ok_or_else(|| Error::state(path, format!("unknown token {}", quoted(id))))
    };

    for (i, revocation) in doc.revoke.iter().enumerate() {
        let id_path = if revocation.object { format!("revoke[{i}].id") } else { format!("revoke[{i}]") };
        let slot = base_slot(&revocation.id, &id_path)?;
        claim(&revocation.id, id_path)?;
        let at = revocation.at.unwrap_or(issued_at);
        if let Some(Some(t)) = slots.get_mut(slot) {
            // An earlier revocation stands: revoking again must not un-revoke for a while.
            t.revoked_at = Some(t.revoked_at.map_or(at, |r| r.min(at)));
        }
    }

    for (i, id) in doc.remove.iter().enumerate() {
        let path = format!("remove[{i}]");
        let slot = base_slot(id, &path)?;
        claim(id, path)?;
        if let Some(s) = slots.get_mut(slot) {
            *s = None;
        }
    }

    // Upserts: `(record, index in upsert)`; replaced base tokens leave their slot.
    let mut upserts = Vec::new();
    let mut resources = ResourceCache::default();
    for (i, token) in doc.upsert.into_iter().enumerate() {
        let record = compile_token(Place::Listed("upsert", i), token, &base_meta.directory, &profile, &mut resources)?;
        claim(&record.id, format!("upsert[{i}].id"))?;
        if let Some(slot) = by_id.get(&record.id).and_then(|&s| slots.get_mut(s)) {
            *slot = None;
        }
        upserts.push((record, i));
    }

    let meta = apply_policy_doc(doc.policy, base_meta)?;
    let mut tokens: BTreeMap<Prefix, TokenRecord> =
        slots.into_iter().flatten().map(|t| (prefix_of(&t.digest), t)).collect();
    for (record, i) in upserts {
        let prefix = prefix_of(&record.digest);
        if let Some(other) = tokens.get(&prefix) {
            return Err(Error::state(
                format!("upsert[{i}]"),
                format!("same secret digest as token {}: every token needs its own secret", quoted(&other.id)),
            ));
        }
        tokens.insert(prefix, record);
    }
    Ok(CompiledState { meta: Meta { issued_at, ..meta }, profile, tokens: tokens.into_values().collect() })
}
