//! Deltas from a changes document (revoke / remove / upsert / policy change) on a base bundle.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod bundle_support;

use bundle_support::*;
use scopegate::{build_delta, build_delta_from_changes, inspect_bundle, Engine, Error, Reason};
use serde_json::{json, Value};

const SECRETS: [&str; 6] =
    ["secret-t-mary", "secret-t-repo", "secret-t-ci", "secret-t-org", "secret-t-new", "secret-t-ci-2"];

fn changes_delta(base: &[u8], changes: &Value) -> Result<Vec<u8>, Error> {
    build_delta_from_changes(base, &changes.to_string(), &private_key(1), TTL)
}

fn applied(base: &[u8], delta: &[u8]) -> Engine {
    let mut engine = load(base);
    engine.apply_delta(delta, now()).unwrap();
    engine
}

/// The engine after the changes decides exactly like the equivalent full state, unsigned.
fn assert_like_state(engine: &Engine, state: &Value) {
    let unsigned = Engine::from_state_json(&state.to_string()).unwrap();
    for s in SECRETS {
        assert_eq!(decisions(engine, s, now()), decisions(&unsigned, s, now()), "{s}");
    }
    let ids: Vec<String> = engine.snapshot().tokens().map(|t| t.id).collect();
    let want: Vec<String> = unsigned.snapshot().tokens().map(|t| t.id).collect();
    assert_eq!(ids, want);
}

fn token_mut<'a>(state: &'a mut Value, id: &str) -> &'a mut Value {
    state["tokens"].as_array_mut().unwrap().iter_mut().find(|t| t["id"] == id).unwrap()
}

fn t_new() -> Value {
    json!({"id": "t-new", "kind": "personal_access_token", "secret": "secret-t-new", "principal": "u-mary",
           "scopes": ["repository"], "created_at": "2026-11-22T10:00:40Z"})
}

#[test]
fn revoke_by_id_reaches_token_revoked() {
    let base = build(&small_state());
    assert_eq!(decision(&load(&base), "secret-t-mary", now()).reason, Reason::Ok);
    let d = changes_delta(&base, &json!({"issued_at": "2026-11-22T10:01:00Z", "revoke": [{"id": "t-mary"}]})).unwrap();
    let info = inspect_bundle(&d, &[public_key(1)]).unwrap();
    assert_eq!((info.kind, info.tokens, info.removed, info.meta), ("delta", 1, 0, false));
    let engine = applied(&base, &d);
    assert_eq!(decision(&engine, "secret-t-mary", now()).reason, Reason::TokenRevoked);
    assert_eq!(decision(&engine, "secret-t-ci", now()).reason, Reason::Ok);
    // `at` defaults to the changes' issued_at.
    let mut want = small_state();
    want["issued_at"] = json!("2026-11-22T10:01:00Z");
    token_mut(&mut want, "t-mary")["revoked_at"] = json!("2026-11-22T10:01:00Z");
    assert_like_state(&engine, &want);
    // A bare id is the same revocation.
    let bare = changes_delta(&base, &json!({"issued_at": "2026-11-22T10:01:00Z", "revoke": ["t-mary"]})).unwrap();
    assert_eq!(bare, d);
}

#[test]
fn an_earlier_revocation_stands() {
    let mut s = small_state();
    token_mut(&mut s, "t-mary")["revoked_at"] = json!("2026-11-21T00:00:00Z");
    let base = build(&s);
    let d = changes_delta(
        &base,
        &json!({"issued_at": "2026-11-22T10:01:00Z", "revoke": [{"id": "t-mary", "at": "2026-11-22T10:00:30Z"}]}),
    )
    .unwrap();
    // Nothing changed: no record in the delta.
    assert_eq!(inspect_bundle(&d, &[public_key(1)]).unwrap().tokens, 0);
}

#[test]
fn remove_makes_the_token_unknown() {
    let base = build(&small_state());
    let d = changes_delta(&base, &json!({"issued_at": "2026-11-22T10:01:00Z", "remove": ["t-org"]})).unwrap();
    let info = inspect_bundle(&d, &[public_key(1)]).unwrap();
    assert_eq!((info.tokens, info.removed), (0, 1));
    let engine = applied(&base, &d);
    assert_eq!(decision(&engine, "secret-t-org", now()).reason, Reason::UnknownToken);
    assert_eq!(engine.info().tokens, 3);
}

#[test]
fn upsert_adds_a_new_token() {
    let base = build(&small_state());
    assert_eq!(decision(&load(&base), "secret-t-new", now()).reason, Reason::UnknownToken);
    let d = changes_delta(&base, &json!({"issued_at": "2026-11-22T10:01:00Z", "upsert": [t_new()]})).unwrap();
    let engine = applied(&base, &d);
    let got = decision(&engine, "secret-t-new", now());
    assert_eq!(got.reason, Reason::Ok);
    assert_eq!(got.token.unwrap().id, "t-new");
    assert_eq!(engine.info().tokens, 5);
}

#[test]
fn upsert_replaces_a_tokens_scopes_and_secret() {
    let base = build(&small_state());
    assert_eq!(decision(&load(&base), "secret-t-ci", now()).reason, Reason::Ok);
    let narrowed = json!({"id": "t-ci", "kind": "service_account_token", "secret": "secret-t-ci", "principal": "sa-ci",
                          "scopes": ["pipeline"], "created_at": "2026-09-01T00:00:00Z", "expires_at": "2027-03-01T12:34:56Z"});
    let d = changes_delta(&base, &json!({"issued_at": "2026-11-22T10:01:00Z", "upsert": [narrowed]})).unwrap();
    let engine = applied(&base, &d);
    // GET a repository needs `repository`, which t-ci no longer has.
    let got = decision(&engine, "secret-t-ci", now());
    assert_ne!(got.reason, Reason::Ok);
    assert_eq!(got.token.unwrap().id, "t-ci");
    let mut want = small_state();
    want["issued_at"] = json!("2026-11-22T10:01:00Z");
    token_mut(&mut want, "t-ci")["scopes"] = json!(["pipeline"]);
    assert_like_state(&engine, &want);

    // Same id, new secret: the old secret is gone, the new one is t-ci.
    let mut rotated = narrowed_with_secret();
    rotated["scopes"] = json!(["repository", "pipeline"]);
    let d = changes_delta(&base, &json!({"issued_at": "2026-11-22T10:01:00Z", "upsert": [rotated]})).unwrap();
    let info = inspect_bundle(&d, &[public_key(1)]).unwrap();
    assert_eq!((info.tokens, info.removed), (1, 1));
    let engine = applied(&base, &d);
    assert_eq!(decision(&engine, "secret-t-ci", now()).reason, Reason::UnknownToken);
    assert_eq!(decision(&engine, "secret-t-ci-2", now()).reason, Reason::Ok);
    assert_eq!(engine.info().tokens, 4);
}

fn narrowed_with_secret() -> Value {
    json!({"id": "t-ci", "kind": "service_account_token", "secret": "secret-t-ci-2", "principal": "sa-ci",
           "created_at": "2026-09-01T00:00:00Z", "expires_at": "2027-03-01T12:34:56Z"})
}

#[test]
fn a_policy_change_blocks_api_tokens() {
    let base = build(&small_state());
    let d = changes_delta(&base, &json!({"issued_at": "2026-11-22T10:05:00Z", "policies": policies(), "default_policy": {"api_tokens": "block"}})).unwrap();
    assert!(inspect_bundle(&d, &[public_key(1)]).unwrap().meta);
    let engine = applied(&base, &d);
    assert_eq!(decision(&engine, "secret-t-mary", now()).reason, Reason::ApiTokensBlocked);
    let mut want = small_state();
    want["issued_at"] = json!("2026-11-22T10:05:00Z");
    want["default_policy"] = json!({"api_tokens": "block"});
    assert_like_state(&engine, &want);
}

#[test]
fn changes_and_full_state_give_the_same_delta() {
    let base = build(&small_state());
    // The full new state: t-mary revoked, t-org removed, t-new added, api tokens blocked.
    let mut state = small_state();
    state["issued_at"] = json!("2026-11-22T10:01:00Z");
    state["default_policy"] = json!({"api_tokens": "block"});
    token_mut(&mut state, "t-mary")["revoked_at"] = json!("2026-11-22T10:00:30Z");
    state["tokens"].as_array_mut().unwrap().retain(|t| t["id"] != "t-org");
    state["tokens"].as_array_mut().unwrap().push(t_new());
    let full = build_delta(&base, &compile(&state), &private_key(1), TTL).unwrap();

    let changes = json!({
        "issued_at": "2026-11-22T10:01:00Z",
        "revoke": [{"id": "t-mary", "at": "2026-11-22T10:00:30Z"}],
        "remove": ["t-org"],
        "upsert": [t_new()],
        "policies": policies(),
        "default_policy": {"api_tokens": "block"}
    });
    let from_changes = changes_delta(&base, &changes).unwrap();
    assert_eq!(from_changes, full, "identical bytes");
    // Deterministic.
    assert_eq!(changes_delta(&base, &changes).unwrap(), from_changes);
    let engine = applied(&base, &from_changes);
    assert_like_state(&engine, &state);
    assert_eq!(decision(&engine, "secret-t-org", now()).reason, Reason::UnknownToken);
}

#[test]
fn bad_changes_fail_whole_with_their_path() {
    let base = build(&small_state());
    let err = |changes: Value| changes_delta(&base, &changes).unwrap_err().to_string();
    let at = "2026-11-22T10:01:00Z";
    assert_eq!(
        err(json!({"issued_at": at, "revoke": [{"id": "t-mary"}, {"id": "t-ci"}, {"id": "t-repo"}, {"id": "t-9"}]})),
        "revoke[3].id: unknown token \"t-9\""
    );
    assert_eq!(err(json!({"issued_at": at, "remove": ["t-mary", "t-9"]})), "remove[1]: unknown token \"t-9\"");
    let mut bad = t_new();
    bad["expires_at"] = json!("x");
    assert_eq!(
        err(json!({"issued_at": at, "revoke": ["t-mary"], "upsert": [bad]})),
        "upsert[0].expires_at: expected an RFC 3339 time, got \"x\""
    );
    assert_eq!(
        err(json!({"issued_at": at, "upsert": [t_new(), t_new()]})),
        "upsert[1].id: token \"t-new\" is already changed by upsert[0]"
    );
    let mut bad = t_new();
    bad["id"] = json!("t-new2");
    bad["scopes"] = json!(["repository", "nope"]);
    assert!(err(json!({"issued_at": at, "upsert": [t_new(), bad]}))
        .starts_with("upsert[1].scopes[1]: unknown scope \"nope\""));
    let mut bad = t_new();
    bad["principal"] = json!("u-nobody");
    assert_eq!(err(json!({"issued_at": at, "upsert": [bad]})), "upsert[0].principal: unknown principal \"u-nobody\"");
    let e = err(json!({"issued_at": "2026-11-22T09:00:00Z", "revoke": ["t-mary"]}));
    assert!(e.starts_with("issued_at: 2026-11-22T09:00:00Z is before the base bundle's issued_at"), "{e}");
    assert_eq!(err(json!({"issued_at": "soon"})), "issued_at: expected an RFC 3339 time, got \"soon\"");
    assert_eq!(err(json!({"revoke": ["t-mary"]})), "missing field `issued_at`");
    assert_eq!(
        err(json!({"issued_at": at, "revoke": [{"id": "t-mary", "at": "x"}]})),
        "revoke[0].at: expected an RFC 3339 time, got \"x\""
    );
    assert!(err(json!({"issued_at": at, "revokes": ["t-mary"]})).starts_with("revokes: unknown field `revokes`"));
    // An id changed twice, and a new token reusing an existing secret.
    assert_eq!(
        err(json!({"issued_at": at, "revoke": ["t-mary"], "remove": ["t-mary"]})),
        "remove[0]: token \"t-mary\" is already changed by revoke[0]"
    );
    let mut dup = t_new();
    dup["secret"] = json!("secret-t-repo");
    assert_eq!(
        err(json!({"issued_at": at, "upsert": [dup]})),
        "upsert[0]: same secret digest as token \"t-repo\": every token needs its own secret"
    );
    // A bad policy change, and a delta as the base.
    assert!(err(json!({"issued_at": at, "policies": [], "default_policy": {"api_tokens": "maybe"}}))
        .starts_with("default_policy.api_tokens: unknown variant"));
    let d = changes_delta(&base, &json!({"issued_at": at, "revoke": ["t-mary"]})).unwrap();
    assert!(matches!(changes_delta(&d, &json!({"issued_at": at})), Err(Error::Bundle(_))));
    assert!(matches!(changes_delta(&base, &json!(["t-mary"])), Err(Error::State { .. })));
    assert!(build_delta_from_changes(&base, "{", &private_key(1), TTL)
        .unwrap_err()
        .to_string()
        .contains("not valid JSON"));
}

#[test]
fn a_changes_document_is_read_with_the_state_readers_paths() {
    let base = build(&small_state());
    let err = |changes: &str| build_delta_from_changes(&base, changes, &private_key(1), TTL).unwrap_err().to_string();
    let at = r#""issued_at": "2026-11-22T10:01:00Z""#;
    // What each list holds.
    assert_eq!(
        err(&format!(r#"{{{at}, "revoke": ["t-mary", 7]}}"#)),
        r#"revoke[1]: expected a token id or {"id", "at"}, got number `7`"#
    );
    assert_eq!(
        err(&format!(r#"{{{at}, "revoke": [{{"id": ["t-mary"]}}]}}"#)),
        "revoke[0].id: expected a token id, got an array"
    );
    assert_eq!(
        err(&format!(r#"{{{at}, "revoke": [{{"at": "2026-11-22T10:00:00Z"}}]}}"#)),
        "revoke[0]: missing field `id`"
    );
    assert!(err(&format!(r#"{{{at}, "revoke": [{{"id": "t-mary", "when": 1}}]}}"#))
        .starts_with("revoke[0].when: unknown field `when`, expected one of `id`, `at`"));
    assert_eq!(err(&format!(r#"{{{at}, "remove": [null]}}"#)), "remove[0]: expected a token id, got null");
    assert_eq!(err(&format!(r#"{{{at}, "upsert": {{}}}}"#)), "upsert: expected an array, got an object");
    assert_eq!(err(r#"["t-mary"]"#), "expected a changes object, got an array");
    // A token in `upsert` is read as in a state's `tokens`, with `upsert[i]` for `tokens[i]`.
    let mut token = t_new();
    token["kind"] = json!("repo_token");
    let e = err(&json!({"issued_at": "2026-11-22T10:01:00Z", "upsert": [token]}).to_string());
    assert!(
        e.starts_with(r#"upsert[0].kind: unknown variant "repo_token", expected one of `repository_access_token`"#),
        "{e}"
    );
    let mut token = t_new();
    token["allowed_ips"] = json!(["10.0.0.0/8", "nope"]);
    assert_eq!(
        err(&json!({"issued_at": "2026-11-22T10:01:00Z", "upsert": [token]}).to_string()),
        r#"upsert[0].allowed_ips[1]: expected a CIDR block like "203.0.113.0/24", got "nope""#
    );
    // The policy keys, as in a state or a policy change.
    assert_eq!(
        err(&format!(r#"{{{at}, "policies": [{{"name": "p", "ip_allowlist": ["nope"]}}]}}"#)),
        r#"policies[0].ip_allowlist[0]: expected a CIDR block like "203.0.113.0/24", got "nope""#
    );
    assert_eq!(
        err(&format!(r#"{{{at}, "network": {{"trusted_proxies": [1]}}}}"#)),
        "network.trusted_proxies[0]: expected a CIDR block, got number `1`"
    );
    assert!(
        err(&format!(r#"{{{at}, "unknown_route": "allow"}}"#)).starts_with(r#"unknown_route: unknown variant "allow""#)
    );
    assert_eq!(
        err(&format!(r#"{{{at}, "policies": [{{"name": "p", "max_token_lifetime_days": 0}}]}}"#)),
        "policies[0].max_token_lifetime_days: expected a whole number of days from 1 to 365, got 0"
    );
    // A key twice, in the document or in a token.
    assert_eq!(
        err(&format!(r#"{{{at}, "remove": [], "remove": []}}"#)),
        "remove: duplicate field `remove`: each key once"
    );
    // A pasted secret where an id goes: refused, and named by its length only.
    let secret = scopegate::mint_from_seed(scopegate::TokenKind::ApiToken, &[3; 32]).token;
    for changes in [
        format!(r#"{{{at}, "revoke": ["{secret}"]}}"#),
        format!(r#"{{{at}, "revoke": [{{"id": "{secret}"}}]}}"#),
        format!(r#"{{{at}, "remove": ["{secret}"]}}"#),
    ] {
        let e = err(&changes);
        assert!(e.contains("this looks like a token secret (53 characters"), "{e}");
        assert!(!e.contains(&secret), "{e}");
    }
}

#[test]
fn a_default_policy_alone_keeps_the_listed_policies() {
    let base = build(&small_state());
    let alone =
        changes_delta(&base, &json!({"issued_at": "2026-11-22T10:05:00Z", "default_policy": {"api_tokens": "block"}}));
    let with_list = changes_delta(
        &base,
        &json!({"issued_at": "2026-11-22T10:05:00Z", "policies": policies(), "default_policy": {"api_tokens": "block"}}),
    );
    assert_eq!(alone.unwrap(), with_list.unwrap(), "the base's listed policies are kept");
}

/// The admin page's working state: the same changes in memory, before anything is signed.
#[test]
fn with_changes_decides_like_the_signed_delta_on_a_bundle_and_on_its_state() {
    let base = build(&small_state());
    let changes = json!({
        "issued_at": "2026-11-22T10:01:00Z",
        "revoke": [{"id": "t-mary", "at": "2026-11-22T10:00:30Z"}],
        "remove": ["t-org"],
        "upsert": [t_new()],
        "default_policy": {"max_token_lifetime_days": 200}
    });
    let signed = applied(&base, &changes_delta(&base, &changes).unwrap());
    let on_bundle = load(&base).with_changes(&changes.to_string()).unwrap();
    let on_state =
        Engine::from_state_json(&small_state().to_string()).unwrap().with_changes(&changes.to_string()).unwrap();
    for s in SECRETS {
        assert_eq!(decisions(&on_bundle, s, now()), decisions(&signed, s, now()), "{s} on the bundle");
        assert_eq!(decisions(&on_state, s, now()), decisions(&signed, s, now()), "{s} on the state");
    }
    assert_eq!(decision(&on_bundle, "secret-t-mary", now()).reason, Reason::TokenRevoked);
    assert_eq!(decision(&on_bundle, "secret-t-new", now()).reason, Reason::Ok);
    assert_eq!(decision(&on_bundle, "secret-t-org", now()).reason, Reason::UnknownToken);
    let info = on_bundle.info();
    assert_eq!((info.tokens, info.signed, info.issued_at.as_str()), (4, false, "2026-11-22T10:01:00Z"));
    // Both give the same full bundle, and it is the bundle of the equivalent state.
    let rebuilt = on_bundle.build_bundle(&private_key(1), TTL).unwrap();
    assert_eq!(on_state.build_bundle(&private_key(1), TTL).unwrap(), rebuilt);
    let state = on_state.state_json().unwrap();
    assert_eq!(build(&state), rebuilt, "the exported state builds the same bytes");
    assert_eq!(load(&rebuilt).info().tokens, 4);
    // The base engine is unchanged, and errors name their JSON path.
    assert_eq!(decision(&load(&base), "secret-t-mary", now()).reason, Reason::Ok);
    let e = load(&base).with_changes(r#"{"issued_at": "2026-11-22T10:01:00Z", "revoke": ["t-nope"]}"#).unwrap_err();
    assert_eq!(e.to_string(), r#"revoke[0]: unknown token "t-nope""#);
}

#[test]
fn a_bundle_cannot_be_written_back_as_a_state() {
    let base = build(&small_state());
    let e = load(&base).state_json().unwrap_err().to_string();
    assert!(e.contains("keeps only the first 16 bytes of each secret digest"), "{e}");
    let changed = load(&base).with_changes(r#"{"issued_at": "2026-11-22T10:01:00Z"}"#).unwrap();
    assert!(changed.state_json().is_err(), "nor its changes");
    // A state can, and reads back as the same snapshot.
    let engine = Engine::from_state_json(&small_state().to_string()).unwrap();
    let exported = engine.state_json().unwrap();
    let again = Engine::from_state_json(&exported.to_string()).unwrap();
    assert_eq!(again.snapshot().meta(), engine.snapshot().meta());
    let records = |e: &Engine| e.snapshot().tokens().collect::<Vec<_>>();
    assert_eq!(records(&again), records(&engine));
    assert_eq!(again.state_json().unwrap(), exported, "a fixed point");
    assert!(!exported.to_string().contains("secret-t-"), "digests only, never a secret");
}
