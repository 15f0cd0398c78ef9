//! The token estate at a glance: counts by kind and an expiry timeline, for the admin page.
//! Works the same for a state and a signed bundle (whose records live only in the engine).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::snapshot::Snapshot;
use crate::time::{Timestamp, DAY};

/// Longest timeline: two years of weeks.
pub const MAX_WEEKS: u32 = 104;

/// Counts of the whole estate at one moment.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Estate {
    pub total: usize,
    pub by_kind: BTreeMap<String, usize>,
    pub revoked: usize,
    pub expired: usize,
    pub no_expiry: usize,
    /// Live tokens expiring in week 1, 2, ... from `now`.
    pub weeks: Vec<usize>,
    /// Live tokens expiring after the last week.
    pub later: usize,
}

/// Counts every token at `now`, with `weeks` weeks of expiry timeline.
#[must_use]
pub fn estate(snapshot: &Snapshot, now: Timestamp, weeks: u32) -> Estate {
    let weeks = weeks.min(MAX_WEEKS);
    let mut out = Estate { weeks: vec![0; usize::try_from(weeks).unwrap_or(0)], ..Estate::default() };
    for t in snapshot.tokens.records() {
        out.total += 1;
        *out.by_kind.entry(t.kind.as_str().to_string()).or_default() += 1;
        if t.revoked_at.is_some_and(|r| r <= now) {
            out.revoked += 1;
            continue;
        }
        match t.expires_at {
            None => out.no_expiry += 1,
            Some(e) if e <= now => out.expired += 1,
            Some(e) => {
                let week = usize::try_from((e.seconds_since(now) - 1) / (7 * DAY)).unwrap_or(usize::MAX);
                match out.weeks.get_mut(week) {
                    Some(slot) => *slot += 1,
                    None => out.later += 1,
                }
            }
        }
    }
    out
}
