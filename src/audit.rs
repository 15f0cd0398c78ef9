//! Audit findings over the whole token estate: what an admin should look at today.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::directory::{Level, PrincipalKind};
use crate::snapshot::Snapshot;
use crate::time::{Timestamp, DAY};
use crate::token::{Binding, TokenKind, TokenRecord};

/// Longest list of findings reported one by one; the summary counts stay exact.
pub const MAX_FINDINGS: usize = 10_000;

/// What kind of problem a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FindingKind {
    /// Expires within the window.
    ExpiringSoon,
    /// Its principal, or the admin who created it, is no longer active.
    Orphaned,
    /// Never expires.
    NoExpiry,
    /// Its declared lifetime is longer than its policy allows.
    BeyondPolicyLifetime,
    /// An app password is still present (deprecated).
    AppPassword,
    /// Admin or delete scopes, or an allowlist open to every address.
    OverBroad,
    /// A user without two-factor authentication under a `require_2fa` policy.
    No2fa,
}

/// How urgent a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
}

/// One finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    pub kind: FindingKind,
    pub severity: Severity,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal: Option<String>,
    pub message: String,
}

/// The audit report.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditReport {
    pub now: String,
    pub tokens: usize,
    /// Live tokens (not revoked, not expired).
    pub active_tokens: usize,
    /// Findings per kind.
    pub summary: BTreeMap<String, usize>,
    /// Most severe first, at most `MAX_FINDINGS`.
    pub findings: Vec<Finding>,
    pub truncated: bool,
}

impl FindingKind {
    /// The kind as the report spells it (its serde name).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::ExpiringSoon => "expiring_soon",
            FindingKind::Orphaned => "orphaned",
            FindingKind::NoExpiry => "no_expiry",
            FindingKind::BeyondPolicyLifetime => "beyond_policy_lifetime",
            FindingKind::AppPassword => "app_password",
            FindingKind::OverBroad => "over_broad",
            FindingKind::No2fa => "no2fa",
        }
    }
}

/// Audits every live token and principal at `now`.
#[must_use]
pub fn audit(snapshot: &Snapshot, now: Timestamp, expiring_within_days: u32) -> AuditReport {
    let mut report = AuditReport { now: now.to_string(), ..AuditReport::default() };
    let mut findings = Vec::new();
    let mut add = |f: Finding, report: &mut AuditReport| {
        *report.summary.entry(f.kind.as_str().to_string()).or_default() += 1;
        findings.push(f);
    };
    let dir = &snapshot.meta.directory;
    let window = now.plus(i64::from(expiring_within_days) * DAY);
    for t in snapshot.tokens.records() {
        report.tokens += 1;
        let live = t.revoked_at.is_none_or(|r| r > now) && t.expires_at.is_none_or(|e| e > now);
        if !live {
            continue;
        }
        report.active_tokens += 1;
        let finding = |kind, severity, message: String| Finding {
            kind,
            severity,
            token_id: Some(t.id.clone()),
            principal: t.principal.clone().or_else(|| t.created_by.clone()),
            message,
        };
        if let Some(e) = t.expires_at.filter(|&e| e <= window) {
            add(finding(FindingKind::ExpiringSoon, Severity::Low, format!("`{}` expires at {e}", t.id)), &mut report);
        }
        for (who, what) in [(t.principal.as_deref(), "principal"), (t.created_by.as_deref(), "creator")] {
            let Some(id) = who else { continue };
            let active = dir.principal(id).is_some_and(crate::directory::Principal::is_active);
            if !active {
                let severity = if t.kind == TokenKind::OrgApiKey || t.kind.binding() == Binding::User {
                    Severity::High
                } else {
                    Severity::Medium
                };
                let state = dir.principal(id).map_or("gone", |p| p.status.as_str());
                add(
                    finding(FindingKind::Orphaned, severity, format!("`{}`: its {what} `{id}` is {state}", t.id)),
                    &mut report,
                );
                break;
            }
        }
        let principal = t.principal.as_deref().and_then(|id| dir.principal(id));
        let policy = snapshot.meta.policies.for_principal(principal);
        match (t.created_at, t.expires_at) {
            (_, None) => {
                add(finding(FindingKind::NoExpiry, Severity::Medium, format!("`{}` never expires", t.id)), &mut report)
            }
            (Some(c), Some(e)) if e.seconds_since(c) > i64::from(policy.max_token_lifetime_days) * DAY => add(
                finding(
                    FindingKind::BeyondPolicyLifetime,
                    Severity::Medium,
                    format!(
                        "`{}` lives {} days; policy `{}` allows {}",
                        t.id,
                        e.seconds_since(c) / DAY,
                        policy.name,
                        policy.max_token_lifetime_days
                    ),
                ),
                &mut report,
            ),
            _ => {}
        }
        if t.kind == TokenKind::AppPassword {
            add(
                finding(
                    FindingKind::AppPassword,
                    Severity::Low,
                    format!("`{}` is an app password: deprecated, replace it with an API token", t.id),
                ),
                &mut report,
            );
        }
        if let Some(why) = over_broad(snapshot, &t) {
            add(finding(FindingKind::OverBroad, Severity::High, format!("`{}` {why}", t.id)), &mut report);
        }
    }
    for p in dir.principals() {
        if p.kind != PrincipalKind::User || !p.is_active() || p.two_factor {
            continue;
        }
        let policy = snapshot.meta.policies.for_principal(Some(p));
        if policy.require_2fa {
            let f = Finding {
                kind: FindingKind::No2fa,
                severity: Severity::Medium,
                token_id: None,
                principal: Some(p.id.clone()),
                message: format!(
                    "`{}` has no two-factor authentication, which policy `{}` requires",
                    p.id, policy.name
                ),
            };
            add(f, &mut report);
        }
    }
    findings.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.kind.cmp(&b.kind)).then(a.token_id.cmp(&b.token_id)));
    report.truncated = findings.len() > MAX_FINDINGS;
    findings.truncate(MAX_FINDINGS);
    report.findings = findings;
    report
}

fn over_broad(snapshot: &Snapshot, t: &TokenRecord) -> Option<String> {
    let admin: Vec<&str> =
        t.scopes.iter().filter(|s| snapshot.profile.grant_level(s) == Some(Level::Admin)).map(String::as_str).collect();
    if !admin.is_empty() {
        return Some(format!("holds admin scopes: {}", admin.join(", ")));
    }
    if t.allowed_ips.iter().any(|net| net.prefix_len() == 0) {
        return Some("allows every address (a /0 allowlist)".into());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::FindingKind;

    #[test]
    fn names_match_serde() {
        for k in [
            FindingKind::ExpiringSoon,
            FindingKind::Orphaned,
            FindingKind::NoExpiry,
            FindingKind::BeyondPolicyLifetime,
            FindingKind::AppPassword,
            FindingKind::OverBroad,
            FindingKind::No2fa,
        ] {
            assert_eq!(serde_json::to_value(k).unwrap(), serde_json::json!(k.as_str()));
        }
    }
}
