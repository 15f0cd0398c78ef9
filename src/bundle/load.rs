//! Loading a verified bundle into an [`Engine`], applying deltas, and inspecting bundles.

use std::sync::{Arc, OnceLock};

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::bundle::build::{decode_meta, decode_profile};
use crate::bundle::format::{verify, BundleKind, Header, TableLayout, SECTION_NAMES};
use crate::bundle::keys::PublicKey;
use crate::bundle::tokens::{BundleTokens, OverlayTokens};
use crate::bundle::LoadedBundle;
use crate::engine::Engine;
use crate::error::{BundleError, Error};
use crate::profile::Profile;
use crate::snapshot::{Meta, Snapshot};
use crate::time::{Timestamp, CLOCK_SKEW_SECONDS};

/// The verified base bundle an engine keeps, for lookups and for deltas.
pub(crate) struct Base {
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
pub(crate) struct AppliedDelta {
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

impl Engine {
    /// An engine over a signed bundle. The signature is checked first, with the public key
    /// the bundle's key id names (give several keys while rotating); then expiry (a bundle at
    /// or past its `expires_at` is refused: fail closed), then the layout. The token table is
    /// not deserialised: lookups read the bytes in place.
    ///
    /// Copies `bytes` once; [`Engine::load_owned`] takes a `Vec` without copying.
    ///
    /// # Errors
    /// `Error::Bundle` saying why: truncated, wrong magic, unknown version, unknown key, bad
    /// signature, a delta where a bundle was expected, expired, or corrupt (counts that do not
    /// fit, sections out of order).
    pub fn load(bytes: &[u8], public_keys: &[PublicKey], now: Timestamp) -> Result<Engine, Error> {
        // Verify before copying: a rejected bundle costs no allocation.
        let header = verify(bytes, public_keys)?;
        check_bundle(&header, now, None)?;
        Engine::from_verified(Arc::new(bytes.to_vec()), header, public_keys)
    }

    /// Like [`Engine::load`], keeping `bytes` as they are (no copy).
    ///
    /// # Errors
    /// As [`Engine::load`].
    pub fn load_owned(bytes: Vec<u8>, public_keys: &[PublicKey], now: Timestamp) -> Result<Engine, Error> {
        Engine::load_since(bytes, public_keys, now, None)
    }

    /// Like [`Engine::load_owned`], and refusing a bundle issued before `min_issued_at`: a
    /// refresh passes the `issued_at` of the snapshot in use, so an older (still signed, still
    /// unexpired) bundle cannot bring back the tokens revoked since.
    ///
    /// # Errors
    /// As [`Engine::load`], and `BundleError::Rollback` naming both times.
    ///
    /// # Examples
    /// ```
    /// # use scopegate::{build_bundle, generate_key_pair, CompiledState, Engine, PrivateKey, PublicKey, Timestamp};
    /// let keys = generate_key_pair().unwrap();
    /// let (private, public) = (PrivateKey::parse(&keys.private_key).unwrap(), PublicKey::parse(&keys.public_key).unwrap());
    /// let state = |at: &str| CompiledState::from_json(&format!(r#"{{"issued_at": "{at}"}}"#)).unwrap();
    /// let older = build_bundle(&state("2026-11-22T10:00:00Z"), &private, 86_400).unwrap();
    /// let now = Timestamp::parse("2026-11-22T12:00:00Z").unwrap();
    /// let in_use = Timestamp::parse("2026-11-22T11:00:00Z");
    /// let refused = Engine::load_since(older, &[public], now, in_use).unwrap_err();
    /// assert!(refused.to_string().starts_with("bundle is a rollback"));
    /// ```
    pub fn load_since(
        bytes: Vec<u8>,
        public_keys: &[PublicKey],
        now: Timestamp,
        min_issued_at: Option<Timestamp>,
    ) -> Result<Engine, Error> {
        let header = verify(&bytes, public_keys)?;
        check_bundle(&header, now, min_issued_at)?;
        Engine::from_verified(Arc::new(bytes), header, public_keys)
    }

    fn from_verified(bytes: Arc<Vec<u8>>, header: Header, public_keys: &[PublicKey]) -> Result<Engine, Error> {
        let meta = decode_meta(&header, &bytes)?;
        if meta.issued_at != header.issued_at {
            return Err(Error::Bundle(BundleError::Corrupt(
                "the meta section's issued_at differs from the header's".into(),
            )));
        }
        let profile = decode_profile(&header, &bytes)?;
        let layout = TableLayout::parse(&header, &bytes)?;
        let tokens = BundleTokens::new(Arc::clone(&bytes), layout);
        let snapshot = Snapshot {
            meta: meta.clone(),
            profile: profile.clone(),
            expires_at: Some(header.expires_at),
            tokens: Arc::new(tokens.clone()),
        };
        let base = Base { bytes, issued_at: header.issued_at, tokens, meta, profile, sha256: OnceLock::new() };
        Ok(Engine {
            snapshot,
            bundle: Some(LoadedBundle {
                bytes: base.bytes.len(),
                keys: public_keys.to_vec(),
                base: Arc::new(base),
                delta: None,
            }),
        })
    }

    /// Applies a signed delta built against this engine's base bundle, atomically: the new
    /// snapshot is built in full, then swapped in; on any error the engine is unchanged.
    /// Deltas are cumulative against the base: a newer delta replaces the one applied before.
    /// Afterwards the snapshot is fresh until the delta's `expires_at`.
    ///
    /// Deltas only move forward: one issued before the snapshot in use (the base, or the delta
    /// applied) is refused, and one with the same `issued_at` as the applied delta is accepted
    /// only when it is byte for byte that delta (applying it again changes nothing). The rule
    /// holds per engine (a clone carries its own); across engines (a reload, another isolate)
    /// pass the `issued_at` in use to [`Engine::apply_delta_since`] and [`Engine::load_since`].
    ///
    /// # Errors
    /// `Error::Input` when the engine was not loaded from a bundle; `Error::Bundle` for a
    /// delta with a bad signature or unknown key, built for another base (`WrongBase`),
    /// expired, not yet valid, stale (issued before the snapshot it would replace, or another
    /// delta with the same `issued_at`), or corrupt.
    pub fn apply_delta(&mut self, bytes: &[u8], now: Timestamp) -> Result<(), Error> {
        self.apply_delta_since(bytes, now, None)
    }

    /// Like [`Engine::apply_delta`], and refusing a delta issued before `min_issued_at` (the
    /// `issued_at` of a snapshot in use elsewhere, e.g. by the engine this one replaces).
    ///
    /// # Errors
    /// As [`Engine::apply_delta`], and `BundleError::Rollback` naming both times.
    pub fn apply_delta_since(
        &mut self,
        bytes: &[u8],
        now: Timestamp,
        min_issued_at: Option<Timestamp>,
    ) -> Result<(), Error> {
        let loaded = self
            .bundle
            .as_ref()
            .ok_or_else(|| Error::Input("a delta applies only to an engine loaded from a signed bundle".into()))?;
        let header = verify(bytes, &loaded.keys)?;
        if header.kind != BundleKind::Delta {
            return Err(Error::Bundle(BundleError::WrongType("a delta, got a full bundle")));
        }
        let base = Arc::clone(&loaded.base);
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
            (Meta { issued_at: header.issued_at, ..base.meta.clone() }, base.profile.clone())
        } else {
            let meta = decode_meta(&header, bytes)?;
            if meta.issued_at != header.issued_at {
                return Err(Error::Bundle(BundleError::Corrupt(
                    "the meta section's issued_at differs from the header's".into(),
                )));
            }
            let profile = decode_profile(&header, bytes)?;
            (meta, profile)
        };
        let layout = TableLayout::parse(&header, bytes)?;
        let delta = BundleTokens::new(Arc::new(bytes.to_vec()), layout).into_delta();
        check_disjoint(&delta)?;
        let tokens = OverlayTokens::new(base.tokens.clone(), delta);
        let snapshot = Snapshot { meta, profile, expires_at: Some(header.expires_at), tokens: Arc::new(tokens) };
        let bundle = LoadedBundle {
            bytes: base.bytes.len().saturating_add(bytes.len()),
            keys: loaded.keys.clone(),
            base: Arc::clone(&base),
            delta: Some(applying),
        };
        // Nothing can fail past this point: the swap is the only change.
        self.snapshot = snapshot;
        self.bundle = Some(bundle);
        Ok(())
    }
}

fn check_bundle(header: &Header, now: Timestamp, min_issued_at: Option<Timestamp>) -> Result<(), Error> {
    if header.kind != BundleKind::Bundle {
        return Err(Error::Bundle(BundleError::WrongType("a full bundle, got a delta (apply it with apply_delta)")));
    }
    check_times(header, now, min_issued_at)
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
/// As [`Engine::load`], except that an expired bundle is reported, not refused.
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
