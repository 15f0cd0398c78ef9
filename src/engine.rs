//! The public Rust API: an engine over one snapshot. The JavaScript API mirrors it.

use serde::Serialize;

use crate::audit::{self, AuditReport};
use crate::bundle::{self, LoadedBundle, PrivateKey, PublicKey};
use crate::create::{self, TokenSpec};
use crate::decision::{Decision, Explanation};
use crate::error::Error;
use crate::estate::{self, Estate};
use crate::export;
use crate::pipeline::{self, Request, RequestParts, Verdict};
use crate::preview::{self, PreviewReport, ReplayRequest};
use crate::revoke;
use crate::snapshot::Snapshot;
use crate::state::CompiledState;
use crate::time::Timestamp;

/// Verifies tokens and evaluates policies against one snapshot.
#[derive(Clone, Debug)]
pub struct Engine {
    pub(crate) snapshot: Snapshot,
    /// Set when the snapshot came from a signed bundle.
    pub(crate) bundle: Option<LoadedBundle>,
}

/// Counts and times of the loaded snapshot (`engine.info()`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Info {
    pub profile: String,
    pub issued_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    pub tokens: usize,
    pub principals: usize,
    pub workspaces: usize,
    pub projects: usize,
    pub repositories: usize,
    pub policies: usize,
    pub routes: usize,
    pub signed: bool,
    /// Bytes of the loaded bundle (0 for an unsigned state snapshot).
    pub bundle_bytes: usize,
}

impl Engine {
    /// An engine over an unsigned state (admin previews, tests, scripts).
    ///
    /// # Errors
    /// `Error::State` with the JSON path of the first problem.
    ///
    /// # Examples
    /// ```
    /// use scopegate::{Engine, Request, Timestamp};
    /// let engine = Engine::from_state_json(r#"{"issued_at": "2026-11-22T10:00:00Z"}"#).unwrap();
    /// let now = Timestamp::parse("2026-11-22T11:00:00Z").unwrap();
    /// let d = engine.check(&Request::new("GET", "/2.0/user"), now);
    /// assert_eq!(d.reason.code(), "no_credentials");
    /// ```
    pub fn from_state_json(json: &str) -> Result<Engine, Error> {
        Ok(Engine::from_snapshot(CompiledState::from_json(json)?.into_snapshot()))
    }

    /// An engine over a snapshot built elsewhere (a verified bundle).
    #[must_use]
    pub fn from_snapshot(snapshot: Snapshot) -> Engine {
        Engine { snapshot, bundle: None }
    }

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
        Ok(Engine::opened(bundle::open_borrowed(bytes, public_keys, now)?))
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
        Ok(Engine::opened(bundle::open(bytes, public_keys, now, min_issued_at)?))
    }

    fn opened((snapshot, bundle): (Snapshot, LoadedBundle)) -> Engine {
        Engine { snapshot, bundle: Some(bundle) }
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
            .as_mut()
            .ok_or_else(|| Error::Input("a delta applies only to an engine loaded from a signed bundle".into()))?;
        bundle::apply_delta(loaded, &mut self.snapshot, bytes, now, min_issued_at)
    }

    /// The snapshot decisions are made from.
    #[must_use]
    pub fn snapshot(&self) -> &Snapshot {
        &self.snapshot
    }

    /// Decides one request at `now`. Never fails: problems are denies.
    #[must_use]
    pub fn check(&self, request: &Request, now: Timestamp) -> Decision {
        pipeline::evaluate(&self.snapshot, request, now, None)
    }

    /// Decides one request and reports every step taken.
    #[must_use]
    pub fn explain(&self, request: &Request, now: Timestamp) -> Explanation {
        let mut steps = Vec::new();
        let decision = pipeline::evaluate(&self.snapshot, request, now, Some(&mut steps));
        Explanation { decision, steps }
    }

    /// Decides one request into a [`Verdict`]: the reason and effect, and borrowed views of what
    /// the pipeline learned, from which [`Verdict::decision`] makes the same [`Decision`] as
    /// [`Engine::check`]. Allocates nothing for the usual outcomes (an allowed request, a
    /// missing scope, an unknown token) over a bundle: what the edge calls per request.
    ///
    /// # Examples
    /// ```
    /// use scopegate::{Engine, Request, Timestamp};
    /// let engine = Engine::from_state_json(r#"{"issued_at": "2026-11-22T10:00:00Z"}"#).unwrap();
    /// let now = Timestamp::parse("2026-11-22T11:00:00Z").unwrap();
    /// let request = Request::new("GET", "/2.0/user");
    /// let verdict = engine.decide(&request.parts(), now);
    /// assert_eq!(verdict.reason().code(), "no_credentials");
    /// assert_eq!(verdict.decision(), engine.check(&request, now));
    /// ```
    #[must_use]
    pub fn decide<'a>(&'a self, request: &RequestParts<'a>, now: Timestamp) -> Verdict<'a> {
        pipeline::decide(&self.snapshot, request, now, None)
    }

    /// The impact of a proposed state or policy change (JSON) on every token, and on `replay`.
    ///
    /// # Errors
    /// A proposal that cannot be read, with its JSON path.
    pub fn preview(
        &self,
        proposal_json: &str,
        replay: &[ReplayRequest],
        now: Timestamp,
    ) -> Result<PreviewReport, Error> {
        self.preview_listing(proposal_json, replay, now, preview::MAX_LISTED)
    }

    /// Like [`Engine::preview`], listing up to `max_listed` changed tokens and flipped requests
    /// one by one (the counts are exact either way): all of them, to act on every token a change
    /// breaks.
    ///
    /// # Errors
    /// A proposal that cannot be read, with its JSON path.
    pub fn preview_listing(
        &self,
        proposal_json: &str,
        replay: &[ReplayRequest],
        now: Timestamp,
        max_listed: usize,
    ) -> Result<PreviewReport, Error> {
        let proposed = preview::proposed_snapshot(&self.snapshot, proposal_json)?;
        Ok(preview::preview(&self.snapshot, &proposed, replay, now, max_listed))
    }

    /// Findings over the whole token estate at `now`.
    #[must_use]
    pub fn audit(&self, now: Timestamp, expiring_within_days: u32) -> AuditReport {
        audit::audit(&self.snapshot, now, expiring_within_days)
    }

    /// Whether `actor` may create the token `spec` describes, as a decision.
    ///
    /// # Errors
    /// A spec with an unknown scope or resource, or an unreadable expiry.
    pub fn can_create_token(&self, actor: &str, spec: &TokenSpec, now: Timestamp) -> Result<Decision, Error> {
        create::can_create(&self.snapshot, actor, spec, now)
    }

    /// Whether `actor` may revoke the token with id `token_id`, as a decision: its own tokens;
    /// anybody's with `create_for_others`; an access token as an admin of its resource.
    ///
    /// # Errors
    /// No token has this id.
    ///
    /// # Examples
    /// ```
    /// use scopegate::{Engine, Timestamp};
    /// let engine = Engine::from_state_json(r#"{"issued_at": "2026-11-22T10:00:00Z"}"#).unwrap();
    /// let now = Timestamp::parse("2026-11-22T11:00:00Z").unwrap();
    /// assert!(engine.can_revoke_token("u-mary", "t-1", now).is_err()); // no such token
    /// ```
    pub fn can_revoke_token(&self, actor: &str, token_id: &str, now: Timestamp) -> Result<Decision, Error> {
        revoke::can_revoke(&self.snapshot, actor, token_id, now)
    }

    /// Counts by kind and an expiry timeline of `weeks` weeks, at `now`.
    #[must_use]
    pub fn estate(&self, now: Timestamp, weeks: u32) -> Estate {
        estate::estate(&self.snapshot, now, weeks)
    }

    /// The policies, network and token permissions in the state's JSON form.
    #[must_use]
    pub fn policies_json(&self) -> serde_json::Value {
        export::policies_json(&self.snapshot.meta)
    }

    /// The whole snapshot as a state document (DESIGN.md §3): read back, it decides exactly as
    /// this engine does, and builds the same bundle as [`Engine::build_bundle`].
    ///
    /// # Errors
    /// An engine over a signed bundle (or changes on one): a bundle keeps only the first 16 bytes
    /// of each secret digest, which cannot be written back as `secret_sha256`.
    ///
    /// # Examples
    /// ```
    /// use scopegate::Engine;
    /// let engine = Engine::from_state_json(r#"{"issued_at": "2026-11-22T10:00:00Z"}"#).unwrap();
    /// let state = engine.state_json().unwrap();
    /// assert_eq!(state["issued_at"], "2026-11-22T10:00:00Z");
    /// assert_eq!(Engine::from_state_json(&state.to_string()).unwrap().info(), engine.info());
    /// ```
    pub fn state_json(&self) -> Result<serde_json::Value, Error> {
        export::state_json(&self.snapshot)
    }

    /// A new unsigned engine with a changes document applied (`issued_at`, `revoke`, `remove`,
    /// `upsert` and the policy change keys; see [`build_delta_from_changes`](crate::build_delta_from_changes)):
    /// what a delta built from the same document on this engine's bundle decides. The admin
    /// page's working state between a reviewed change and its signed delta.
    ///
    /// # Errors
    /// A document that cannot be read or applied, with its JSON path (`revoke[0].id: unknown
    /// token "t-9"`, an `issued_at` before this snapshot's).
    pub fn with_changes(&self, changes_json: &str) -> Result<Engine, Error> {
        Ok(Engine::from_snapshot(crate::bundle::apply_to_snapshot(&self.snapshot, changes_json)?))
    }

    /// A signed full bundle of this snapshot, valid for `ttl_seconds` after its `issued_at`:
    /// the bundle of a working state, whether it came from a state or a bundle.
    ///
    /// # Errors
    /// As [`build_bundle`](crate::build_bundle); a record that cannot be read.
    pub fn build_bundle(&self, private_key: &PrivateKey, ttl_seconds: u64) -> Result<Vec<u8>, Error> {
        let s = &self.snapshot;
        let state = CompiledState { meta: s.meta.clone(), profile: s.profile.clone(), tokens: s.records()? };
        crate::bundle::build_bundle(&state, private_key, ttl_seconds)
    }

    /// A new unsigned engine over the same tokens with a policy change applied (what "apply" in
    /// the admin page does after a preview). The tokens are shared, not copied.
    ///
    /// # Errors
    /// A change that cannot be read, with its JSON path.
    pub fn with_policies(&self, change_json: &str) -> Result<Engine, Error> {
        let mut snapshot = self.snapshot.clone();
        snapshot.meta = crate::state::apply_policy_change(change_json, &self.snapshot.meta)?;
        snapshot.expires_at = None;
        Ok(Engine::from_snapshot(snapshot))
    }

    /// Counts and times.
    #[must_use]
    pub fn info(&self) -> Info {
        let s = &self.snapshot;
        Info {
            profile: s.profile.name().to_string(),
            issued_at: s.meta.issued_at.to_string(),
            expires_at: s.expires_at.map(|t| t.to_string()),
            tokens: s.tokens.len(),
            principals: s.meta.directory.principals().len(),
            workspaces: s.meta.directory.workspaces().len(),
            projects: s.meta.directory.projects().len(),
            repositories: s.meta.directory.repositories().len(),
            policies: s.meta.policies.listed.len(),
            routes: s.profile.route_count(),
            signed: s.expires_at.is_some(),
            bundle_bytes: self.bundle.as_ref().map_or(0, LoadedBundle::bytes),
        }
    }
}
