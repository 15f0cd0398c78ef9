//! preview, audit and canCreateToken over small states with an inline profile.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use scopegate::{Engine, FindingKind, Reason, ReplayRequest, Timestamp, TokenSpec};
use serde_json::{json, Value};

fn now() -> Timestamp {
    Timestamp::parse("2026-11-22T12:00:00Z").unwrap()
}

fn profile() -> Value {
    json!({
        "name": "mini", "base_path": "/2.0",
        "scopes": [
            {"name": "repository", "level": "read"},
            {"name": "repository:write", "implies": ["repository"], "level": "write"},
            {"name": "repository:admin", "level": "admin"},
            {"name": "account"}
        ],
        "routes": [
            {"method": "GET", "path": "/2.0/repositories/{workspace}/{repo_slug}", "any_of": [["repository"]]},
            {"method": "PUT", "path": "/2.0/repositories/{workspace}/{repo_slug}", "any_of": [["repository:admin"]]}
        ]
    })
}

fn state() -> Value {
    json!({
        "issued_at": "2026-11-22T10:00:00Z",
        "profile": profile(),
        "resources": {
            "workspaces": [{"slug": "acme"}],
            "projects": [{"workspace": "acme", "key": "PROJ"}],
            "repositories": [{"workspace": "acme", "slug": "web", "project": "PROJ"}]
        },
        "principals": [
            {"id": "u-mary", "kind": "user", "email": "mary@acme.test", "groups": ["developers"], "two_factor": true,
             "permissions": [{"resource": "acme/web", "level": "write"}]},
            {"id": "u-carl", "kind": "user", "email": "carl@contractor.test", "groups": ["contractors"], "two_factor": false,
             "permissions": [{"resource": "acme", "level": "read"}]},
            {"id": "u-gone", "kind": "user", "status": "deleted", "groups": []},
            {"id": "u-admin", "kind": "user", "groups": ["admins"], "two_factor": true,
             "permissions": [{"resource": "acme", "level": "admin"}]}
        ],
        "tokens": [
            {"id": "t-mary", "kind": "api_token", "secret": "mary-secret", "principal": "u-mary", "scopes": ["repository:write"],
             "created_at": "2026-11-01T00:00:00Z", "expires_at": "2026-11-30T00:00:00Z"},
            {"id": "t-carl", "kind": "api_token", "secret": "carl-secret", "principal": "u-carl", "scopes": ["repository"],
             "created_at": "2026-06-01T00:00:00Z", "expires_at": "2027-07-01T00:00:00Z"},
            {"id": "t-carl-app", "kind": "app_password", "secret": "carl-app", "principal": "u-carl", "scopes": ["repository"],
             "created_at": "2026-10-01T00:00:00Z"},
            {"id": "t-repo", "kind": "repository_access_token", "secret": "repo-secret", "resource": "acme/web",
             "scopes": ["repository:admin"], "created_at": "2026-11-01T00:00:00Z", "expires_at": "2027-01-01T00:00:00Z",
             "created_by": "u-gone", "allowed_ips": ["0.0.0.0/0"]}
        ],
        "policies": [
            {"name": "contractors", "members": {"groups": ["contractors"]}, "require_2fa": true}
        ],
        "token_permissions": {"use": ["*"], "create": ["developers", "admins"], "create_write": ["admins"], "create_for_others": ["admins"]}
    })
}

fn engine() -> Engine {
    Engine::from_state_json(&state().to_string()).unwrap()
}

#[test]
fn preview_blocking_api_tokens_for_contractors() {
    let proposal = json!({"policies": [{"name": "contractors", "members": {"groups": ["contractors"]},
        "api_tokens": "block", "app_passwords": "block", "max_token_lifetime_days": 200}]});
    let report = engine().preview(&proposal.to_string(), &[], now()).unwrap();
    assert_eq!(report.tokens_evaluated, 4);
    // Carl's API token (174 days old, within 200) is blocked; his app password is blocked as a kind.
    assert_eq!(report.changed_count, 2, "{report:?}");
    assert_eq!(report.newly_denied, 2);
    assert_eq!(report.by_reason.get("api_tokens_blocked"), Some(&1));
    assert_eq!(report.by_reason.get("token_kind_blocked"), Some(&1));
    assert_eq!(report.by_owner.get("u-carl"), Some(&2));
    assert!(report.changed.iter().all(|c| c.before == Reason::Ok));
}

#[test]
fn preview_lifetime_limit_and_bulk_revoke() {
    let proposal = json!({"policies": [], "default_policy": {"max_token_lifetime_days": 60, "revoke_issued_before": "2026-10-15T00:00:00Z"}});
    let report = engine().preview(&proposal.to_string(), &[], now()).unwrap();
    let by_id = |id: &str| report.changed.iter().find(|c| c.id == id).map(|c| c.after);
    // t-carl is 174 days old: over a 60-day limit. t-carl-app (52 days) was issued before the cutoff.
    assert_eq!(by_id("t-carl"), Some(Reason::TokenLifetimeExceedsPolicy));
    assert_eq!(by_id("t-carl-app"), Some(Reason::TokenRevoked));
    assert_eq!(by_id("t-mary"), None, "21 days old, issued after the cutoff");
}

#[test]
fn preview_replays_requests_by_token_id() {
    let proposal = json!({"policies": [{"name": "contractors", "members": {"groups": ["contractors"]}, "ip_allowlist": ["198.51.100.0/24"]}]});
    let replay: Vec<ReplayRequest> = serde_json::from_value(json!([
        {"tokenId": "t-carl", "method": "GET", "url": "/2.0/repositories/acme/web", "remoteAddr": "203.0.113.9"},
        {"tokenId": "t-carl", "method": "GET", "url": "/2.0/repositories/acme/web", "remoteAddr": "198.51.100.20"},
        {"tokenId": "t-nope", "url": "/2.0/repositories/acme/web"}
    ]))
    .unwrap();
    let report = engine().preview(&proposal.to_string(), &replay, now()).unwrap();
    let replay = report.replay.unwrap();
    assert_eq!(replay.requests, 3);
    assert_eq!(replay.unknown_token_ids, 1);
    assert_eq!(replay.flipped_count, 1, "{replay:?}");
    assert_eq!(replay.flipped[0].index, 0);
    assert_eq!(replay.flipped[0].after.reason, Reason::IpNotAllowed);
}

#[test]
fn preview_rejects_bad_proposals_with_a_path() {
    let err =
        engine().preview(r#"{"policies": [{"name": "x", "max_token_lifetime_days": 900}]}"#, &[], now()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "policies[0].max_token_lifetime_days: expected a whole number of days from 1 to 365, got 900"
    );
    let err = engine().preview(r#"{"polices": []}"#, &[], now()).unwrap_err();
    assert!(err.to_string().contains("unknown field `polices`"), "{err}");
}

#[test]
fn audit_finds_what_an_admin_should_see() {
    let report = engine().audit(now(), 14);
    let has = |kind: FindingKind, id: &str| {
        report
            .findings
            .iter()
            .any(|f| f.kind == kind && (f.token_id.as_deref() == Some(id) || f.principal.as_deref() == Some(id)))
    };
    assert!(has(FindingKind::ExpiringSoon, "t-mary"), "{report:#?}");
    assert!(!has(FindingKind::ExpiringSoon, "t-carl"));
    assert!(has(FindingKind::Orphaned, "t-repo"));
    assert!(has(FindingKind::NoExpiry, "t-carl-app"));
    assert!(has(FindingKind::BeyondPolicyLifetime, "t-carl"), "395 days declared, 365 allowed");
    assert!(!has(FindingKind::BeyondPolicyLifetime, "t-mary"));
    assert!(has(FindingKind::AppPassword, "t-carl-app"));
    assert!(has(FindingKind::OverBroad, "t-repo"));
    assert!(has(FindingKind::No2fa, "u-carl"));
    assert!(!has(FindingKind::No2fa, "u-mary"));
    assert_eq!(report.active_tokens, 4);
}

#[test]
fn can_create_token_applies_token_permissions() {
    let e = engine();
    let spec = |v: Value| -> TokenSpec { serde_json::from_value(v).unwrap() };
    let read = spec(json!({"kind": "api_token", "scopes": ["repository"], "expires_at": "2027-01-01T00:00:00Z"}));
    let write =
        spec(json!({"kind": "api_token", "scopes": ["repository:write"], "expires_at": "2027-01-01T00:00:00Z"}));
    assert_eq!(e.can_create_token("u-mary", &read, now()).unwrap().reason, Reason::Ok);
    assert_eq!(e.can_create_token("u-mary", &write, now()).unwrap().reason, Reason::PrincipalLacksPermission);
    assert_eq!(e.can_create_token("u-admin", &write, now()).unwrap().reason, Reason::Ok);
    assert_eq!(e.can_create_token("u-carl", &read, now()).unwrap().reason, Reason::PrincipalLacksPermission);
    assert_eq!(e.can_create_token("u-gone", &read, now()).unwrap().reason, Reason::PrincipalInactive);
    let for_mary = spec(
        json!({"kind": "api_token", "principal": "u-mary", "scopes": ["repository"], "expires_at": "2027-01-01T00:00:00Z"}),
    );
    assert_eq!(e.can_create_token("u-admin", &for_mary, now()).unwrap().reason, Reason::Ok);
    let for_admin = spec(
        json!({"kind": "api_token", "principal": "u-admin", "scopes": ["repository"], "expires_at": "2027-01-01T00:00:00Z"}),
    );
    assert_eq!(e.can_create_token("u-mary", &for_admin, now()).unwrap().reason, Reason::PrincipalLacksPermission);
    let forever = spec(json!({"kind": "api_token", "scopes": ["repository"]}));
    assert_eq!(e.can_create_token("u-mary", &forever, now()).unwrap().reason, Reason::TokenLifetimeExceedsPolicy);
    let repo = spec(
        json!({"kind": "repository_access_token", "resource": "acme/web", "scopes": ["repository"], "expires_at": "2027-01-01T00:00:00Z"}),
    );
    assert_eq!(
        e.can_create_token("u-mary", &repo, now()).unwrap().reason,
        Reason::PrincipalLacksPermission,
        "mary is no repo admin"
    );
    assert_eq!(e.can_create_token("u-admin", &repo, now()).unwrap().reason, Reason::Ok);
    let bad = spec(json!({"kind": "api_token", "scopes": ["nope"]}));
    assert!(e.can_create_token("u-mary", &bad, now()).unwrap_err().to_string().contains("unknown scope `nope`"));
}

#[test]
fn estate_counts_kinds_and_expiry_weeks() {
    let e = engine().estate(now(), 4);
    assert_eq!(e.total, 4);
    assert_eq!(e.by_kind.get("api_token"), Some(&2));
    assert_eq!(e.no_expiry, 1, "t-carl-app");
    // t-mary expires in 8 days (week 2), t-repo in ~6 weeks, t-carl in ~7 months: later.
    assert_eq!(e.weeks, vec![0, 1, 0, 0]);
    assert_eq!(e.later, 2);
    assert_eq!((e.revoked, e.expired), (0, 0));
}

#[test]
fn policies_round_trip_through_their_json_form() {
    let e = engine();
    let json = e.policies_json();
    assert_eq!(json["policies"][0]["name"], "contractors");
    assert_eq!(json["default_policy"]["max_token_lifetime_days"], 365);
    assert!(json["default_policy"].get("name").is_none());
    let same = e.with_policies(&json.to_string()).unwrap();
    assert_eq!(same.snapshot().meta(), e.snapshot().meta());
    let stricter = e.with_policies(r#"{"policies": [], "default_policy": {"api_tokens": "block"}}"#).unwrap();
    let report = e.preview(r#"{"policies": [], "default_policy": {"api_tokens": "block"}}"#, &[], now()).unwrap();
    assert_eq!(report.by_reason.get("api_tokens_blocked"), Some(&2));
    // After applying, the same proposal changes nothing.
    let again = stricter.preview(r#"{"policies": [], "default_policy": {"api_tokens": "block"}}"#, &[], now()).unwrap();
    assert_eq!(again.changed_count, 0);
}

#[test]
fn a_default_policy_only_change_keeps_the_listed_policies() {
    let e = engine();
    let change = r#"{"default_policy": {"api_tokens": "block"}}"#;
    let changed = e.with_policies(change).unwrap();
    assert_eq!(changed.snapshot().meta().policies().listed, e.snapshot().meta().policies().listed, "contractors kept");
    assert_eq!(changed.policies_json()["default_policy"]["api_tokens"], "block");
    // Mary falls under the default policy and is blocked; Carl stays under `contractors`.
    let report = e.preview(change, &[], now()).unwrap();
    assert_eq!(report.changed_count, 1, "{report:?}");
    assert_eq!((report.changed[0].id.as_str(), report.changed[0].after), ("t-mary", Reason::ApiTokensBlocked));
    // And `policies` alone keeps the default policy.
    let listed_only = changed.with_policies(r#"{"policies": []}"#).unwrap();
    assert!(listed_only.snapshot().meta().policies().listed.is_empty());
    assert_eq!(listed_only.snapshot().meta().policies().default, changed.snapshot().meta().policies().default);
}

#[test]
fn preview_of_a_whole_new_state_sees_removed_and_new_tokens() {
    let mut next = state();
    let tokens = next["tokens"].as_array_mut().unwrap();
    tokens.retain(|t| t["id"] != "t-carl-app");
    tokens.push(json!({"id": "t-new", "kind": "api_token", "secret": "new-secret", "principal": "u-mary",
        "scopes": ["repository"], "created_at": "2026-11-20T00:00:00Z", "expires_at": "2026-12-20T00:00:00Z"}));
    let replay: Vec<ReplayRequest> = serde_json::from_value(json!([
        {"tokenId": "t-carl-app", "url": "/2.0/repositories/acme/web", "remoteAddr": "203.0.113.9"},
        {"tokenId": "t-new", "url": "/2.0/repositories/acme/web", "remoteAddr": "203.0.113.9"}
    ]))
    .unwrap();
    let report = engine().preview(&next.to_string(), &replay, now()).unwrap();
    assert_eq!(report.tokens_evaluated, 5);
    let by_id = |id: &str| report.changed.iter().find(|c| c.id == id).map(|c| (c.before, c.after));
    assert_eq!(by_id("t-carl-app"), Some((Reason::Ok, Reason::UnknownToken)));
    assert_eq!(by_id("t-new"), Some((Reason::UnknownToken, Reason::Ok)));
    assert_eq!((report.newly_denied, report.newly_allowed), (1, 1));
    let replay = report.replay.unwrap();
    assert_eq!(replay.flipped_count, 2, "{replay:?}");
    assert_eq!(replay.unknown_token_ids, 0);
}

#[test]
fn the_state_export_reads_back_as_the_same_snapshot() {
    // An inline profile, and a project and a repository that share a name (`acme/site`): the
    // export must say which one a reference means.
    let mut s = state();
    s["resources"]["projects"].as_array_mut().unwrap().push(json!({"workspace": "acme", "key": "site"}));
    s["resources"]["repositories"]
        .as_array_mut()
        .unwrap()
        .push(json!({"workspace": "acme", "slug": "site", "public": true}));
    s["tokens"].as_array_mut().unwrap().push(json!({"id": "t-site", "kind": "repository_access_token",
        "secret": "site-secret", "resource": "repository:acme/site", "scopes": ["repository"], "revoked_at": "2026-11-20T00:00:00Z"}));
    s["network"] = json!({"trusted_proxies": ["10.0.0.0/8"], "client_ip_header": "cf-connecting-ip"});
    s["principals"][0]["username"] = json!("mary");
    let engine = Engine::from_state_json(&s.to_string()).unwrap();
    let exported = engine.state_json().unwrap();
    assert_eq!(exported["principals"][0]["username"], "mary", "the Bitbucket username is kept");
    assert_eq!(exported["profile"]["name"], "mini", "an inline profile is written whole");
    let site = exported["tokens"].as_array().unwrap().iter().find(|t| t["id"] == "t-site").unwrap();
    assert_eq!(site["resource"], "repository:acme/site");
    assert_eq!(site["revoked_at"], "2026-11-20T00:00:00Z");
    let web = exported["tokens"].as_array().unwrap().iter().find(|t| t["id"] == "t-repo").unwrap();
    assert_eq!(web["resource"], "acme/web", "the short form where it is not ambiguous");
    assert_eq!(web["secret_sha256"], scopegate::digest_hex(&scopegate::digest_token("repo-secret")));

    let again = Engine::from_state_json(&exported.to_string()).unwrap();
    assert_eq!(again.snapshot().meta(), engine.snapshot().meta());
    let records = |e: &Engine| e.snapshot().tokens().collect::<Vec<_>>();
    assert_eq!(records(&again), records(&engine));
    assert_eq!(again.estate(now(), 8), engine.estate(now(), 8));

    // The built-in profile is written by name.
    let builtin = Engine::from_state_json(r#"{"issued_at": "2026-11-22T10:00:00Z"}"#).unwrap();
    assert_eq!(builtin.state_json().unwrap()["profile"], "bitbucket-cloud");
}

#[test]
fn preview_lists_as_many_changes_as_asked_and_counts_them_all() {
    let proposal = r#"{"default_policy": {"api_tokens": "block"}, "policies": []}"#;
    let one = engine().preview_listing(proposal, &[], now(), 1).unwrap();
    assert_eq!((one.changed_count, one.changed.len()), (2, 1));
    let all = engine().preview_listing(proposal, &[], now(), usize::MAX).unwrap();
    assert_eq!(all.changed.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), ["t-carl", "t-mary"]);
    assert_eq!(engine().preview(proposal, &[], now()).unwrap(), all, "1000 by default");
}
