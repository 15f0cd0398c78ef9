//! May this actor revoke this token? Seed 001's token-management permissions, as a decision.
//!
//! - an active principal may revoke its own tokens: those it is the principal of, and, for
//!   tokens without a principal (access tokens), those it created;
//! - members of a `create_for_others` group may revoke anybody's tokens, org keys included;
//! - admins of an access token's resource may revoke it (Bitbucket lets them manage it);
//! - nobody else: an unknown or inactive actor is a deny, never an error.

use crate::create::active;
use crate::decision::{Decision, Reason};
use crate::directory::Level;
use crate::error::Error;
use crate::pipeline::summary;
use crate::snapshot::Snapshot;
use crate::time::Timestamp;
use crate::token::{digest_token, Binding, TokenKind, TokenRecord};

/// Decides whether `actor` may revoke the token with id `token_id` at `now`.
///
/// # Errors
/// No token has this id (bad input, not a deny). The message never repeats the id: a caller
/// that mixes up ids and secrets must not see a secret echoed.
pub fn can_revoke(snapshot: &Snapshot, actor: &str, token_id: &str, now: Timestamp) -> Result<Decision, Error> {
    let Some(token) = snapshot.tokens.records().find(|t| t.id == token_id) else {
        let message = if snapshot.tokens.get(&digest_token(token_id)).is_some() {
            "tokenId: expected a token id, got a token secret: revoke tokens by id"
        } else {
            "tokenId: no token has this id"
        };
        return Err(Error::Input(message.to_owned()));
    };
    let (reason, message) = match decide(snapshot, actor, &token) {
        Ok(why) => {
            let already = token.revoked_at.filter(|&at| at <= now).map(|at| format!(" (already revoked at {at})"));
            (Reason::Ok, format!("`{actor}` may revoke `{}`: {why}{}", token.id, already.unwrap_or_default()))
        }
        Err(stopped) => stopped,
    };
    let mut d = Decision::new(reason, message);
    d.token = Some(summary(&token));
    Ok(d)
}

fn decide(snapshot: &Snapshot, actor_id: &str, token: &TokenRecord) -> Result<&'static str, (Reason, String)> {
    let dir = &snapshot.meta.directory;
    let actor = active(dir.principal(actor_id), actor_id)?;
    let own = match token.principal.as_deref() {
        Some(principal) => principal == actor_id,
        None => token.created_by.as_deref() == Some(actor_id),
    };
    // An org key acts for the whole organisation: only those who manage others' tokens may
    // revoke one, its creator included.
    if own && token.kind != TokenKind::OrgApiKey {
        return Ok("it is its own token");
    }
    if actor.in_any(&snapshot.meta.token_permissions.create_for_others) {
        return Ok("it may manage other users' tokens");
    }
    if token.kind.binding() == Binding::Resource
        && token.resource.as_ref().is_some_and(|r| dir.level_on(actor, r) == Some(Level::Admin))
    {
        return Ok("it is an admin of the token's resource");
    }
    let whose = match (token.kind, &token.resource) {
        (TokenKind::OrgApiKey, _) => "an organisation key".to_owned(),
        (_, Some(r)) if token.kind.binding() == Binding::Resource => {
            format!("an access token of {}, of which `{actor_id}` is no admin", r.short())
        }
        _ => "another principal's token".to_owned(),
    };
    Err((
        Reason::PrincipalLacksPermission,
        format!(
            "`{actor_id}` may not revoke `{}`: {whose}, and `{actor_id}` is in no group that manages others' tokens",
            token.id
        ),
    ))
}
