//! The public Rust API: an engine over one snapshot. The JavaScript API mirrors it.

use serde::Serialize;

use crate::audit::{self, AuditReport};
use crate::bundle::{LoadedBundle, PrivateKey};
use crate::create::{self, TokenSpec};
use crate::decision::{Decision, Explanation};
use crate::error::{BundleError, Error};
use crate::estate::{self, Estate};
use crate::export;
use crate::pipeline::{self, Request};
use crate::preview::{self, PreviewReport, ReplayRequest};
use crate::revoke;
use crate::snapshot::Snapshot;
use crate::state::CompiledState;
use crate::time::Timestamp;
use crate::token::TokenRecord;

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
        let tokens: Vec<TokenRecord> = s.tokens.records().collect();
        if tokens.len() != s.tokens.len() {
            return Err(Error::Bundle(BundleError::Corrupt("a record of the snapshot cannot be read".into())));
        }
        let state = CompiledState { meta: s.meta.clone(), profile: s.profile.clone(), tokens };
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
            principals: s.meta.directory.principals.len(),
            workspaces: s.meta.directory.workspaces.len(),
            projects: s.meta.directory.projects.len(),
            repositories: s.meta.directory.repositories.len(),
            policies: s.meta.policies.listed.len(),
            routes: s.meta.profile.routes.len(),
            signed: s.expires_at.is_some(),
            bundle_bytes: self.bundle.as_ref().map_or(0, |b| b.bytes),
        }
    }
}
