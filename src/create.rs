//! May this actor create this token? Token-management permissions and policies, as a decision.

use serde::Deserialize;

use crate::decision::{Decision, Reason};
use crate::directory::{Level, Principal};
use crate::error::Error;
use crate::policy::MAX_LIFETIME_DAYS;
use crate::snapshot::Snapshot;
use crate::state::resolve_resource;
use crate::time::{Timestamp, DAY};
use crate::token::{AccessMode, Binding, TokenKind};

/// The token someone wants to create.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenSpec {
    pub kind: TokenKind,
    /// For user-bound kinds: whose token (the actor when absent).
    #[serde(default)]
    pub principal: Option<String>,
    /// For access tokens: the repository, project or workspace.
    #[serde(default)]
    pub resource: Option<String>,
    #[serde(default)]
    pub scopes: Vec<String>,
    #[serde(default)]
    pub access: Option<AccessMode>,
    /// RFC 3339; absent means no expiry.
    #[serde(default, alias = "expiresAt")]
    pub expires_at: Option<String>,
}

type Verdict = Result<(), (Reason, String)>;

/// Decides whether `actor` may create `spec` at `now`.
///
/// # Errors
/// A spec naming an unknown scope or resource, or an unreadable expiry (bad input, not a deny).
pub fn can_create(snapshot: &Snapshot, actor: &str, spec: &TokenSpec, now: Timestamp) -> Result<Decision, Error> {
    let dir = &snapshot.meta.directory;
    for s in &spec.scopes {
        if !snapshot.profile.has_scope(s) {
            return Err(Error::Input(format!(
                "scopes: unknown scope {} in profile `{}`",
                crate::redact::ticked(s),
                snapshot.profile.name()
            )));
        }
    }
    let resource = match &spec.resource {
        Some(text) => Some(resolve_resource(dir, text).map_err(|m| Error::Input(format!("resource: {m}")))?),
        None => None,
    };
    let expires = match &spec.expires_at {
        Some(text) => Some(Timestamp::parse(text).ok_or_else(|| {
            Error::Input(format!("expires_at: expected an RFC 3339 time, got {}", crate::redact::ticked(text)))
        })?),
        None => None,
    };
    let verdict = decide(snapshot, actor, spec, resource.as_ref(), expires, now);
    let (reason, message) = match verdict {
        Ok(()) => (Reason::Ok, format!("`{actor}` may create this {}", spec.kind.as_str())),
        Err(stopped) => stopped,
    };
    let mut d = Decision::new(reason, message);
    let owner = spec.principal.as_deref().unwrap_or(actor);
    let principal =
        matches!(spec.kind.binding(), Binding::User | Binding::ServiceAccount).then(|| dir.principal(owner)).flatten();
    d.policy = Some(snapshot.meta.policies.for_principal(principal).name.clone());
    Ok(d)
}

fn decide(
    snapshot: &Snapshot,
    actor_id: &str,
    spec: &TokenSpec,
    resource: Option<&crate::directory::ResourceKey>,
    expires: Option<Timestamp>,
    now: Timestamp,
) -> Verdict {
    let dir = &snapshot.meta.directory;
    let perms = &snapshot.meta.token_permissions;
    let actor = active(dir.principal(actor_id), actor_id)?;
    if !actor.in_any(&perms.create) {
        return Err((Reason::PrincipalLacksPermission, format!("`{actor_id}` is in no group that may create tokens")));
    }
    // Writing is what a scope's level or its name's verb says (`snippet:write` needs no
    // permission on a resource, yet writes), and what a `read_write` access mode stands for.
    let writing = spec.scopes.iter().find(|s| snapshot.profile.grant_level(s).is_some_and(|l| l >= Level::Write));
    let writes = match (writing, spec.access) {
        (Some(scope), _) => Some(format!("scope `{scope}` writes")),
        (None, Some(AccessMode::ReadWrite)) => Some("access `read_write` writes".to_owned()),
        _ => None,
    };
    if let Some(why) = writes.filter(|_| !actor.in_any(&perms.create_write)) {
        return Err((
            Reason::PrincipalLacksPermission,
            format!("`{actor_id}` may create read-only tokens only: {why}"),
        ));
    }
    let owner = match spec.kind.binding() {
        Binding::User | Binding::ServiceAccount => {
            if resource.is_some() {
                return Err((
                    Reason::ResourceOutOfScope,
                    format!("a {} is bound to its principal, not a resource", spec.kind.as_str()),
                ));
            }
            let owner_id = spec.principal.as_deref().unwrap_or(actor_id);
            if owner_id != actor_id && !actor.in_any(&perms.create_for_others) {
                return Err((
                    Reason::PrincipalLacksPermission,
                    format!("`{actor_id}` may not create tokens for others"),
                ));
            }
            Some(active(dir.principal(owner_id), owner_id)?)
        }
        Binding::Resource | Binding::Organisation => {
            let needs_resource = spec.kind.binding() == Binding::Resource;
            match resource {
                None if needs_resource => {
                    return Err((Reason::ResourceOutOfScope, format!("a {} needs a resource", spec.kind.as_str())))
                }
                // Access tokens are managed by the admins of their resource.
                Some(r) if dir.level_on(actor, r) != Some(Level::Admin) => {
                    return Err((Reason::PrincipalLacksPermission, format!("`{actor_id}` is not an admin of {r}")));
                }
                None if !actor.in_any(&perms.create_for_others) => {
                    return Err((
                        Reason::PrincipalLacksPermission,
                        format!("`{actor_id}` may not create organisation keys"),
                    ));
                }
                _ => None,
            }
        }
    };
    let policy = snapshot.meta.policies.for_principal(owner);
    crate::pipeline::kind_gate(spec.kind, policy).map_err(|stop| {
        let scene = crate::pipeline::Scene { profile: &snapshot.profile, route: None, resource: None };
        (stop.reason(), stop.message(&scene))
    })?;
    let max_days = i64::from(policy.max_token_lifetime_days.min(MAX_LIFETIME_DAYS));
    match expires {
        Some(e) if e <= now => Err((Reason::TokenExpired, format!("the expiry {e} is already past"))),
        Some(e) if e.seconds_since(now) > max_days * DAY => Err((
            Reason::TokenLifetimeExceedsPolicy,
            format!("policy `{}` allows at most {max_days} days", policy.name),
        )),
        None => Err((
            Reason::TokenLifetimeExceedsPolicy,
            format!("a token needs an expiry: policy `{}` allows at most {max_days} days", policy.name),
        )),
        _ => Ok(()),
    }
}

pub(crate) fn active<'a>(p: Option<&'a Principal>, id: &str) -> Result<&'a Principal, (Reason, String)> {
    match p {
        Some(p) if p.is_active() => Ok(p),
        Some(p) => Err((Reason::PrincipalInactive, format!("`{id}` is {}", p.status.as_str()))),
        None => Err((Reason::PrincipalInactive, format!("no principal `{id}`"))),
    }
}
