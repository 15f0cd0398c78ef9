//! "What would this policy change do?": every token whose standing changes, grouped by reason
//! and by owner, and which replayed requests would flip.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::decision::{Effect, Reason};
use crate::error::Error;
use crate::pipeline::{self, Headers, Request};
use crate::snapshot::Snapshot;
use crate::state::{apply_policy_change, CompiledState};
use crate::time::Timestamp;
use crate::token::TokenRecord;

/// Longest list of changed tokens or flipped requests reported one by one by default; counts
/// stay exact.
pub const MAX_LISTED: usize = 1000;

/// A past request, naming its token by id (never by secret).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReplayRequest {
    pub token_id: String,
    #[serde(default = "get")]
    pub method: String,
    pub url: String,
    #[serde(default)]
    pub headers: Headers,
    #[serde(default)]
    pub remote_addr: Option<String>,
    /// When it was made, in ms since the epoch; the preview's `now` otherwise.
    #[serde(default)]
    pub now: Option<f64>,
}

fn get() -> String {
    "GET".into()
}

/// One token whose standing changes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenChange {
    pub id: String,
    pub kind: String,
    pub owner: String,
    pub before: Reason,
    pub after: Reason,
    /// Why, after the change.
    pub message: String,
    pub policy_before: String,
    pub policy_after: String,
}

/// One replayed request whose decision flips.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Flip {
    pub index: usize,
    pub token_id: String,
    pub method: String,
    pub url: String,
    pub before: Outcome,
    pub after: Outcome,
}

/// Effect and reason of one decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Outcome {
    pub effect: Effect,
    pub reason: Reason,
}

/// The replay part of a preview.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplayReport {
    pub requests: usize,
    pub flipped_count: usize,
    pub newly_denied: usize,
    pub newly_allowed: usize,
    /// Requests naming a token id neither snapshot knows.
    pub unknown_token_ids: usize,
    pub flipped: Vec<Flip>,
}

/// The impact report.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PreviewReport {
    pub tokens_evaluated: usize,
    pub changed_count: usize,
    /// Usable before, not after.
    pub newly_denied: usize,
    /// Not usable before, usable after.
    pub newly_allowed: usize,
    /// Changed tokens by their reason after the change.
    pub by_reason: BTreeMap<String, usize>,
    /// Changed tokens by owner (principal, else creator, else resource).
    pub by_owner: BTreeMap<String, usize>,
    /// The first `max_listed` (default [`MAX_LISTED`]) changed tokens, in id order.
    pub changed: Vec<TokenChange>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replay: Option<ReplayReport>,
}

/// Builds the proposed snapshot: a whole state (it has `issued_at`) or a policy change.
///
/// # Errors
/// `Error::State` with the JSON path when the proposal cannot be read.
pub fn proposed_snapshot(current: &Snapshot, proposal_json: &str) -> Result<Snapshot, Error> {
    let is_state = crate::read::has_key(proposal_json, "issued_at")
        .map_err(|e| Error::state("", format!("the proposal is not JSON: {e}")))?;
    if is_state {
        return Ok(CompiledState::from_json(proposal_json)?.into_snapshot());
    }
    let mut next = current.clone();
    next.meta = apply_policy_change(proposal_json, &current.meta)?;
    Ok(next)
}

fn owner(t: &TokenRecord) -> String {
    t.principal
        .clone()
        .or_else(|| t.created_by.clone())
        .or_else(|| t.resource.as_ref().map(crate::directory::ResourceKey::short))
        .unwrap_or_else(|| "(none)".into())
}

/// Compares `current` and `proposed` for every token, and replays `replay` on both; lists at
/// most `max_listed` changed tokens and as many flipped requests.
#[must_use]
pub fn preview(
    current: &Snapshot,
    proposed: &Snapshot,
    replay: &[ReplayRequest],
    now: Timestamp,
    max_listed: usize,
) -> PreviewReport {
    let mut report = PreviewReport::default();
    let replay_ids: HashSet<&str> = replay.iter().map(|r| r.token_id.as_str()).collect();
    // NOTE: a policy change shares the token store: each record is its own "after", so no copy
    // of a million records is made. A whole new state is keyed by id; what is left in the map
    // after the walk over the current tokens is new.
    let same_tokens = Arc::ptr_eq(&current.tokens, &proposed.tokens);
    let mut after_by_id: HashMap<String, TokenRecord> =
        if same_tokens { HashMap::new() } else { proposed.tokens.records().map(|t| (t.id.clone(), t)).collect() };
    let (mut replay_before, mut replay_after) = (HashMap::new(), HashMap::new());
    let mut changes = Vec::new();
    let mut compare = |before: Option<&TokenRecord>, after: Option<&TokenRecord>, report: &mut PreviewReport| {
        report.tokens_evaluated += 1;
        let gone = (Reason::UnknownToken, "not in the proposed state".to_string(), String::new());
        let (b, _, pb) = before.map_or_else(|| gone.clone(), |t| pipeline::standing(current, t, now));
        let (a, message, pa) = after.map_or_else(|| gone.clone(), |t| pipeline::standing(proposed, t, now));
        if a == b {
            return;
        }
        let Some(t) = after.or(before) else { return };
        report.changed_count += 1;
        match (b == Reason::Ok, a == Reason::Ok) {
            (true, false) => report.newly_denied += 1,
            (false, true) => report.newly_allowed += 1,
            _ => {}
        }
        let owner = owner(t);
        *report.by_reason.entry(a.code().to_string()).or_default() += 1;
        *report.by_owner.entry(owner.clone()).or_default() += 1;
        changes.push(TokenChange {
            id: t.id.clone(),
            kind: t.kind.as_str().into(),
            owner,
            before: b,
            after: a,
            message,
            policy_before: pb,
            policy_after: pa,
        });
    };
    for before in current.tokens.records() {
        let moved = if same_tokens { None } else { after_by_id.remove(&before.id) };
        let after = if same_tokens { Some(&before) } else { moved.as_ref() };
        compare(Some(&before), after, &mut report);
        if replay_ids.contains(before.id.as_str()) {
            if let Some(after) = after {
                replay_after.insert(after.id.clone(), after.clone());
            }
            replay_before.insert(before.id.clone(), before.clone());
        }
    }
    for after in after_by_id.into_values() {
        compare(None, Some(&after), &mut report);
        if replay_ids.contains(after.id.as_str()) {
            replay_after.insert(after.id.clone(), after);
        }
    }
    changes.sort_by(|a, b| a.id.cmp(&b.id));
    changes.truncate(max_listed);
    report.changed = changes;
    if !replay.is_empty() {
        report.replay =
            Some(replay_requests(current, proposed, &replay_before, &replay_after, replay, now, max_listed));
    }
    report
}

fn replay_requests(
    current: &Snapshot,
    proposed: &Snapshot,
    before_by_id: &HashMap<String, TokenRecord>,
    after_by_id: &HashMap<String, TokenRecord>,
    replay: &[ReplayRequest],
    now: Timestamp,
    max_listed: usize,
) -> ReplayReport {
    let mut out = ReplayReport { requests: replay.len(), ..ReplayReport::default() };
    for (index, r) in replay.iter().enumerate() {
        let at = r.now.and_then(Timestamp::from_millis).unwrap_or(now);
        let request = Request {
            method: r.method.clone(),
            url: r.url.clone(),
            headers: r.headers.clone(),
            remote_addr: r.remote_addr.clone(),
        };
        let decide = |snapshot: &Snapshot, token: Option<&TokenRecord>| match token {
            Some(t) => {
                let d = pipeline::evaluate_as(snapshot, &request, t, at);
                Outcome { effect: d.effect, reason: d.reason }
            }
            None => Outcome { effect: Effect::Deny, reason: Reason::UnknownToken },
        };
        let (tb, ta) = (before_by_id.get(&r.token_id), after_by_id.get(&r.token_id));
        if tb.is_none() && ta.is_none() {
            out.unknown_token_ids += 1;
        }
        let (before, after) = (decide(current, tb), decide(proposed, ta));
        if before == after {
            continue;
        }
        out.flipped_count += 1;
        match (before.effect == Effect::Allow, after.effect == Effect::Allow) {
            (true, false) => out.newly_denied += 1,
            (false, true) => out.newly_allowed += 1,
            _ => {}
        }
        if out.flipped.len() < max_listed {
            out.flipped.push(Flip {
                index,
                token_id: r.token_id.clone(),
                method: r.method.clone(),
                url: r.url.clone(),
                before,
                after,
            });
        }
    }
    out
}
