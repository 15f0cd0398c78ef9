//! Who may create and revoke tokens (seed 001, issue 7), and what an audit calls over-broad,
//! over the built-in Bitbucket profile. The golden corpus (tests/cases/soundness.json) pins the
//! decisions; this file pins the errors, the messages and the edges around them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use scopegate::{digest_hex, digest_token, Effect, Engine, Error, FindingKind, Reason, Timestamp, TokenSpec};
use serde_json::json;

fn now() -> Timestamp {
    Timestamp::parse("2026-11-22T12:00:00Z").unwrap()
}

const SECRET: &str = "mary-secret-not-an-id";

fn engine() -> Engine {
    let token = |id: &str, extra: serde_json::Value| {
        let mut t = json!({"id": id, "created_at": "2026-11-01T00:00:00Z", "expires_at": "2027-01-01T00:00:00Z",
                           "secret_sha256": digest_hex(&digest_token(&format!("secret-of-{id}")))});
        t.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        t
    };
    let state = json!({
        "issued_at": "2026-11-22T10:00:00Z",
        "resources": {"workspaces": [{"slug": "acme"}], "projects": [{"workspace": "acme", "key": "PROJ"}],
                      "repositories": [{"workspace": "acme", "slug": "web", "project": "PROJ"},
                                       {"workspace": "acme", "slug": "api", "project": "PROJ"}]},
        "principals": [
            {"id": "u-mary", "kind": "user", "groups": ["developers"], "permissions": [{"resource": "acme/web", "level": "admin"}]},
            {"id": "u-olga", "kind": "user", "groups": ["developers"], "permissions": [{"resource": "acme/api", "level": "write"}]},
            {"id": "u-root", "kind": "user", "groups": ["admins"], "permissions": []},
            {"id": "u-left", "kind": "user", "status": "deleted", "groups": ["admins"]},
            {"id": "sa-ci", "kind": "service_account", "permissions": [{"resource": "acme", "level": "read"}]}
        ],
        "tokens": [
            token("t-mary", json!({"kind": "api_token", "principal": "u-mary", "scopes": ["repository"],
                                   "secret_sha256": digest_hex(&digest_token(SECRET))})),
            token("t-olga", json!({"kind": "api_token", "principal": "u-olga", "scopes": ["delete:snippet:bitbucket"]})),
            token("t-ci", json!({"kind": "service_account_token", "principal": "sa-ci", "access": "read_only", "created_by": "u-mary"})),
            token("t-web", json!({"kind": "repository_access_token", "resource": "acme/web", "scopes": ["repository"], "created_by": "u-olga"})),
            token("t-proj", json!({"kind": "project_access_token", "resource": "acme/PROJ", "scopes": ["repository"], "created_by": "u-root"})),
            token("t-org", json!({"kind": "org_api_key", "scopes": ["account"], "created_by": "u-mary"})),
            token("t-gone", json!({"kind": "api_token", "principal": "u-mary", "scopes": ["repository"],
                                   "revoked_at": "2026-11-20T00:00:00Z"}))
        ],
        "token_permissions": {"use": ["*"], "create": ["developers", "admins"], "create_write": ["admins"],
                              "create_for_others": ["admins"]}
    });
    Engine::from_state_json(&state.to_string()).unwrap()
}

fn revoke(actor: &str, token: &str) -> (Reason, String) {
    let d = engine().can_revoke_token(actor, token, now()).unwrap();
    assert_eq!(d.allow, d.effect == Effect::Allow);
    assert_eq!(d.token.as_ref().map(|t| t.id.as_str()), Some(token), "the decision names the token");
    (d.reason, d.message)
}

#[test]
fn own_tokens_are_revocable_by_their_principal_or_creator() {
    assert_eq!(revoke("u-mary", "t-mary").0, Reason::Ok);
    assert_eq!(revoke("u-olga", "t-olga").0, Reason::Ok);
    // An access token has no principal: its creator's.
    assert_eq!(revoke("u-olga", "t-web").0, Reason::Ok);
    // A principal's token is the principal's, not its creator's.
    assert_eq!(revoke("u-mary", "t-ci").0, Reason::PrincipalLacksPermission);
    let (reason, message) = revoke("u-mary", "t-gone");
    assert_eq!(reason, Reason::Ok);
    assert!(message.contains("already revoked at 2026-11-20T00:00:00Z"), "{message}");
}

#[test]
fn others_tokens_need_create_for_others_or_admin_of_the_resource() {
    let (reason, message) = revoke("u-olga", "t-mary");
    assert_eq!(reason, Reason::PrincipalLacksPermission);
    assert_eq!(
        message,
        "`u-olga` may not revoke `t-mary`: another principal's token, and `u-olga` is in no group that manages others' tokens"
    );
    assert_eq!(revoke("u-root", "t-mary").0, Reason::Ok);
    assert_eq!(revoke("u-root", "t-ci").0, Reason::Ok);
    // Mary administers acme/web: its access tokens are hers to revoke, not the project's.
    assert_eq!(revoke("u-mary", "t-web").0, Reason::Ok);
    let (reason, message) = revoke("u-mary", "t-proj");
    assert_eq!(reason, Reason::PrincipalLacksPermission);
    assert!(message.contains("an access token of acme/PROJ, of which `u-mary` is no admin"), "{message}");
    // A write user of a repository is no admin of it.
    assert_eq!(revoke("u-olga", "t-proj").0, Reason::PrincipalLacksPermission);
}

#[test]
fn org_keys_need_create_for_others_even_for_their_creator() {
    let (reason, message) = revoke("u-mary", "t-org");
    assert_eq!(reason, Reason::PrincipalLacksPermission);
    assert!(message.contains("an organisation key"), "{message}");
    assert_eq!(revoke("u-root", "t-org").0, Reason::Ok);
}

#[test]
fn unknown_or_inactive_actors_are_denied() {
    let (reason, message) = revoke("u-left", "t-mary");
    assert_eq!((reason, message.as_str()), (Reason::PrincipalInactive, "`u-left` is deleted"));
    assert_eq!(revoke("u-nobody", "t-mary"), (Reason::PrincipalInactive, "no principal `u-nobody`".to_owned()));
}

#[test]
fn an_unknown_token_id_is_an_error_that_never_echoes_it() {
    let err = engine().can_revoke_token("u-root", "t-missing", now()).unwrap_err();
    assert_eq!(err, Error::Input("tokenId: no token has this id".into()));
    // A secret passed as an id is recognised, and not repeated.
    let err = engine().can_revoke_token("u-root", SECRET, now()).unwrap_err().to_string();
    assert_eq!(err, "tokenId: expected a token id, got a token secret: revoke tokens by id");
    assert!(!err.contains(SECRET));
}

fn create(actor: &str, spec: serde_json::Value) -> (Reason, String) {
    let mut spec = spec;
    spec["expires_at"] = json!("2026-12-20T00:00:00Z");
    let spec: TokenSpec = serde_json::from_value(spec).unwrap();
    let d = engine().can_create_token(actor, &spec, now()).unwrap();
    (d.reason, d.message)
}

#[test]
fn create_write_covers_every_scope_that_writes_by_level_or_verb() {
    for scope in [
        "snippet:write",
        "account:write",
        "team:write",
        "repository:write",
        "repository:delete",
        "pipeline:variable",
        "webhook",
        "write:snippet:bitbucket",
        "admin:repository:bitbucket",
        "delete:ssh-key:bitbucket",
    ] {
        let (reason, message) = create("u-olga", json!({"kind": "api_token", "scopes": ["repository", scope]}));
        assert_eq!(reason, Reason::PrincipalLacksPermission, "{scope}");
        assert_eq!(message, format!("`u-olga` may create read-only tokens only: scope `{scope}` writes"));
        assert_eq!(create("u-root", json!({"kind": "api_token", "scopes": [scope]})).0, Reason::Ok, "{scope}");
    }
    for scope in ["repository", "account", "email", "snippet", "read:user:bitbucket", "read:repository:bitbucket"] {
        assert_eq!(create("u-olga", json!({"kind": "api_token", "scopes": [scope]})).0, Reason::Ok, "{scope}");
    }
    let (reason, message) = create("u-olga", json!({"kind": "api_token", "access": "read_write"}));
    assert_eq!(reason, Reason::PrincipalLacksPermission);
    assert!(message.ends_with("access `read_write` writes"), "{message}");
    assert_eq!(create("u-olga", json!({"kind": "api_token", "access": "read_only"})).0, Reason::Ok);
}

#[test]
fn audit_calls_admin_and_delete_scopes_over_broad() {
    let report = engine().audit(now(), 0);
    let over: Vec<&str> = report
        .findings
        .iter()
        .filter(|f| f.kind == FindingKind::OverBroad)
        .filter_map(|f| f.token_id.as_deref())
        .collect();
    // `delete:snippet:bitbucket` needs no permission on a resource, yet deletes.
    assert_eq!(over, ["t-olga"]);
}
