//! Opening a verified bundle into a snapshot, applying deltas, reading a bundle's meta and
//! profile sections back, and inspecting bundles. The `Engine` keeps what `open` returns.

use std::sync::{Arc, OnceLock};

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::bundle::format::{
    check_layout, read_header, verify, BundleKind, Header, TableLayout, META, PROFILE, SECTION_NAMES,
};
use crate::bundle::keys::PublicKey;
use crate::bundle::tokens::{BundleTokens, OverlayTokens};
use crate::error::{BundleError, Error};
use crate::profile::Profile;
use crate::snapshot::{Meta, Snapshot};
use crate::time::{Timestamp, CLOCK_SKEW_SECONDS};

/// What an engine keeps of the verified bundle it was loaded from: the keys (to verify
/// deltas), the base bundle (its bytes back the token lookups), and the applied delta.
#[derive(Clone, Debug)]
pub(crate) struct LoadedBundle {
    /// Size of the bundle bytes (and of the applied delta, if any).
    bytes: usize,
    keys: Vec<PublicKey>,
    base: Arc<Base>,
    delta: Option<AppliedDelta>,
}

impl LoadedBundle {
    /// Size of the bundle bytes, and of the applied delta if any.
    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }
}

/// The verified base bundle an engine keeps, for lookups and for deltas.
struct Base {
    bytes: Arc<Vec<u8>>,
    issued_at: Timestamp,
    tokens: BundleTokens,
    meta: Meta,
    profile: Profile,
    /// SHA-256 of the bytes, computed on the first delta: loading does not pay for it.
    sha256: OnceLock<[u8; 32]>,
}

impl std::fmt::Debug for Base {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Base")
            .field("bytes", &self.bytes.len())
            .field("issued_at", &self.issued_at)
            .finish_non_exhaustive()
    }
}

impl Base {
    fn sha256(&self) -> [u8; 32] {
        *self.sha256.get_or_init(|| Sha256::digest(self.bytes.as_slice()).into())
    }
}

/// The delta applied on top of the base.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct AppliedDelta {
    issued_at: Timestamp,
    /// SHA-256 of the delta's bytes: a delta with the same `issued_at` must be this one.
    sha256: [u8; 32],
}

/// The times a bundle or delta must be within at `now`: not expired, not issued in the future
/// (beyond the clock-skew allowance), and not before `min_issued_at` (no rollback).
fn check_times(h: &Header, now: Timestamp, min_issued_at: Option<Timestamp>) -> Result<(), Error> {
    if now >= h.expires_at {
        return Err(Error::Bundle(BundleError::Expired(h.expires_at.to_string())));
    }
    if now < h.issued_at.plus(-CLOCK_SKEW_SECONDS) {
        return Err(Error::Bundle(BundleError::NotYetValid(h.issued_at.to_string(), now.to_string())));
    }
    if let Some(floor) = min_issued_at.filter(|&floor| h.issued_at < floor) {
        return Err(Error::Bundle(BundleError::Rollback(h.issued_at.to_string(), floor.to_string())));
    }
    Ok(())
}

/// Opens a signed full bundle: the signature first, with the public key the bundle's key id
/// names; then the times (expired, not yet valid, issued before `min_issued_at`), then the
/// layout. The token table is not deserialised: lookups read the bytes in place.
///
/// # Errors
/// `Error::Bundle` saying why (see `Engine::load`).
pub(crate) fn open(
    bytes: Vec<u8>,
    public_keys: &[PublicKey],
    now: Timestamp,
    min_issued_at: Option<Timestamp>,
) -> Result<(Snapshot, LoadedBundle), Error> {
    let header = verify(&bytes, public_keys)?;
    check_bundle(&header, now, min_issued_at)?;
    opened(Arc::new(bytes), &header, public_keys)
}

/// Like [`open`], copying borrowed bytes once they verified: a rejected bundle costs no
/// allocation.
///
/// # Errors
/// As [`open`].
pub(crate) fn open_borrowed(
    bytes: &[u8],
    public_keys: &[PublicKey],
    now: Timestamp,
) -> Result<(Snapshot, LoadedBundle), Error> {
    let header = verify(bytes, public_keys)?;
    check_bundle(&header, now, None)?;
    opened(Arc::new(bytes.to_vec()), &header, public_keys)
}

/// A full bundle, within its times at `now`.
fn check_bundle(header: &Header, now: Timestamp, min_issued_at: Option<Timestamp>) -> Result<(), Error> {
    if header.kind != BundleKind::Bundle {
        return Err(Error::Bundle(BundleError::WrongType("a full bundle, got a delta (apply it with apply_delta)")));
    }
    check_times(header, now, min_issued_at)
}

/// The snapshot and loaded bundle of verified bytes.
fn opened(bytes: Arc<Vec<u8>>, header: &Header, public_keys: &[PublicKey]) -> Result<(Snapshot, LoadedBundle), Error> {
    let meta = decode_meta(header, &bytes)?;
    let profile = decode_profile(header, &bytes)?;
    let layout = TableLayout::parse(header, &bytes)?;
    let tokens = BundleTokens::new(Arc::clone(&bytes), layout);
    let snapshot = Snapshot::new(meta.clone(), profile.clone(), Some(header.expires_at), Arc::new(tokens.clone()));
    let base = Base { bytes, issued_at: header.issued_at, tokens, meta, profile, sha256: OnceLock::new() };
    let loaded =
        LoadedBundle { bytes: base.bytes.len(), keys: public_keys.to_vec(), base: Arc::new(base), delta: None };
    Ok((snapshot, loaded))
}

/// Applies a signed delta to `loaded` and the `snapshot` opened from it (see
/// `Engine::apply_delta` for the rules), atomically: both are replaced once the new ones are
/// complete, and left as they were on any error (or when `bytes` are the delta already applied).
///
/// # Errors
/// `Error::Bundle` for a delta with a bad signature or unknown key, built for another base,
/// expired, not yet valid, stale, a rollback, or corrupt.
pub(crate) fn apply_delta(
    loaded: &mut LoadedBundle,
    snapshot: &mut Snapshot,
    bytes: &[u8],
    now: Timestamp,
    min_issued_at: Option<Timestamp>,
) -> Result<(), Error> {
    let header = verify(bytes, &loaded.keys)?;
    if header.kind != BundleKind::Delta {
        return Err(Error::Bundle(BundleError::WrongType("a delta, got a full bundle")));
    }
    let base = &loaded.base;
    if header.base != base.sha256() {
        return Err(Error::Bundle(BundleError::WrongBase));
    }
    check_times(&header, now, min_issued_at)?;
    let applying = AppliedDelta { issued_at: header.issued_at, sha256: Sha256::digest(bytes).into() };
    let own = loaded.delta;
    let current = own.map_or(base.issued_at, |d| d.issued_at);
    if header.issued_at < current {
        return Err(Error::Bundle(BundleError::Stale(format!(
            "issued at {}, before the snapshot in use (issued at {current}): a rollback",
            header.issued_at
        ))));
    }
    if own.is_some_and(|d| d.issued_at == header.issued_at && d.sha256 != applying.sha256) {
        return Err(Error::Bundle(BundleError::Stale(format!(
            "issued at {}, like the delta applied, but not the same bytes: one time names one delta",
            header.issued_at
        ))));
    }
    if own == Some(applying) {
        // Delivered again: the same delta, already in use.
        return Ok(());
    }
    let (meta, profile) = if header.sections.first().copied().unwrap_or(0) == 0 {
        (base.meta.reissued(header.issued_at), base.profile.clone())
    } else {
        (decode_meta(&header, bytes)?, decode_profile(&header, bytes)?)
    };
    let layout = TableLayout::parse(&header, bytes)?;
    let delta = BundleTokens::new(Arc::new(bytes.to_vec()), layout).into_delta();
    check_disjoint(&delta)?;
    let tokens = OverlayTokens::new(base.tokens.clone(), delta);
    // Nothing can fail past this point: the swap is the only change.
    *snapshot = Snapshot::new(meta, profile, Some(header.expires_at), Arc::new(tokens));
    loaded.bytes = base.bytes.len().saturating_add(bytes.len());
    loaded.delta = Some(applying);
    Ok(())
}

/// A digest both removed and changed by one delta is contradictory: refuse it.
fn check_disjoint(delta: &BundleTokens) -> Result<(), Error> {
    let removed = delta.removed();
    for i in 0..removed.count {
        let contradictory =
            removed.get(delta.bytes(), i).and_then(|p| <[u8; 16]>::try_from(p).ok()).is_none_or(|p| delta.contains(&p));
        if contradictory {
            return Err(Error::Bundle(BundleError::Corrupt("a delta both removes and changes the same token".into())));
        }
    }
    Ok(())
}

/// The header of a full bundle that a delta is built on, read and its layout checked, not
/// verified: whoever builds holds the private key and the base it built.
pub(crate) fn read_base(base_bundle: &[u8]) -> Result<Header, Error> {
    let header = read_header(base_bundle)?;
    check_layout(&header, base_bundle)?;
    if header.kind != BundleKind::Bundle {
        return Err(Error::Bundle(BundleError::WrongType("a full bundle as the base of a delta, got a delta")));
    }
    Ok(header)
}

/// The bytes of section `i`.
pub(crate) fn section<'b>(header: &Header, bytes: &'b [u8], i: usize) -> Result<&'b [u8], Error> {
    let (start, len) = header.section(i);
    start.checked_add(len).and_then(|end| bytes.get(start..end)).ok_or(Error::Bundle(BundleError::Truncated))
}

/// Reads the compiled profile in place: every index checked against its table.
pub(crate) fn decode_profile(header: &Header, bytes: &[u8]) -> Result<Profile, Error> {
    Profile::load(section(header, bytes, PROFILE)?)
        .map_err(|e| Error::Bundle(BundleError::Corrupt(format!("the bundle's profile cannot be used: {e}"))))
}

/// Decodes the meta section: the whole section one `Meta`, nothing after it, and its
/// `issued_at` the header's.
pub(crate) fn decode_meta(header: &Header, bytes: &[u8]) -> Result<Meta, Error> {
    let section = section(header, bytes, META)?;
    let corrupt = |what: String| Error::Bundle(BundleError::Corrupt(what));
    let (meta, rest): (Meta, &[u8]) =
        postcard::take_from_bytes(section).map_err(|e| corrupt(format!("the meta section cannot be read: {e}")))?;
    if !rest.is_empty() {
        return Err(corrupt("the meta section has bytes after its end".into()));
    }
    if meta.issued_at() != header.issued_at {
        return Err(corrupt("the meta section's issued_at differs from the header's".into()));
    }
    Ok(meta)
}

/// Sizes of a bundle's sections, in bytes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SectionSizes {
    pub header: usize,
    pub meta: usize,
    pub profile: usize,
    pub strings: usize,
    pub resources: usize,
    pub scope_sets: usize,
    pub ip_lists: usize,
    pub prefixes: usize,
    pub blocks: usize,
    pub records: usize,
    pub removed: usize,
    pub signature: usize,
}

/// What a verified bundle or delta says about itself (`scopegate inspect`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BundleInfo {
    /// `bundle` or `delta`.
    pub kind: &'static str,
    pub version: u16,
    /// Hex id of the signing key.
    pub key_id: String,
    pub issued_at: String,
    pub expires_at: String,
    /// Records in the token table (a delta: new and changed records).
    pub tokens: usize,
    /// Tokens a delta removes (0 for a bundle).
    pub removed: usize,
    /// Whether a delta carries a new meta section (a bundle always does).
    pub meta: bool,
    /// Hex SHA-256 of the base bundle, for a delta.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base: Option<String>,
    /// Hex SHA-256 of these bytes: the name a delta built on this bundle gives its base.
    pub sha256: String,
    pub bytes: usize,
    pub sections: SectionSizes,
}

impl BundleInfo {
    /// Whether the bundle is past its `expires_at` at `now` (the rule loading applies: expired
    /// from `expires_at` on). An unreadable time counts as expired: fail closed.
    #[must_use]
    pub fn expired_at(&self, now: Timestamp) -> bool {
        Timestamp::parse(&self.expires_at).is_none_or(|expires_at| now >= expires_at)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Verifies a bundle or delta (signature and layout, not expiry: old bundles can be looked
/// at) and reports its header.
///
/// # Errors
/// As [`Engine::load`](crate::Engine::load), except that an expired bundle is reported, not refused.
pub fn inspect_bundle(bytes: &[u8], public_keys: &[PublicKey]) -> Result<BundleInfo, Error> {
    let h = verify(bytes, public_keys)?;
    TableLayout::parse(&h, bytes)?;
    let s = |name: &str| {
        SECTION_NAMES.iter().position(|n| *n == name).and_then(|i| h.sections.get(i)).copied().unwrap_or(0)
    };
    Ok(BundleInfo {
        kind: h.kind.as_str(),
        version: h.version,
        key_id: h.key_id.to_string(),
        issued_at: h.issued_at.to_string(),
        expires_at: h.expires_at.to_string(),
        tokens: h.tokens,
        removed: h.removed,
        meta: s("meta") > 0,
        base: (h.kind == BundleKind::Delta).then(|| hex(&h.base)),
        sha256: hex(&Sha256::digest(bytes)),
        bytes: bytes.len(),
        sections: SectionSizes {
            header: crate::bundle::format::HEADER_LEN,
            meta: s("meta"),
            profile: s("profile"),
            strings: s("strings"),
            resources: s("resources"),
            scope_sets: s("scope_sets"),
            ip_lists: s("ip_lists"),
            prefixes: s("prefixes"),
            blocks: s("blocks"),
            records: s("records"),
            removed: s("removed"),
            signature: crate::bundle::format::SIGNATURE_LEN,
        },
    })
}
