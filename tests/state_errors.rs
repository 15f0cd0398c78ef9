//! Bad state JSON gets one clear error naming the JSON path and what was expected.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use scopegate::CompiledState;

fn err(json: &str) -> String {
    CompiledState::from_json(json).unwrap_err().to_string()
}

const HEAD: &str = r#""issued_at": "2026-11-22T10:00:00Z", "resources": {"workspaces": [{"slug": "acme"}], "repositories": [{"workspace": "acme", "slug": "web"}]}"#;

fn with_tokens(tokens: &str) -> String {
    format!(r#"{{{HEAD}, "tokens": [{tokens}]}}"#)
}

const GOOD: &str = r#"{"id": "t-0", "kind": "repository_access_token", "secret": "s0", "resource": "acme/web", "scopes": ["repository"], "created_at": "2026-11-01T00:00:00Z"}"#;

#[test]
fn wrong_time_names_its_path() {
    let bad = r#"{"id": "t-1", "kind": "repository_access_token", "secret": "s1", "resource": "acme/web", "expires_at": "tomorrow"}"#;
    assert_eq!(
        err(&with_tokens(&format!("{GOOD}, {bad}"))),
        r#"tokens[1].expires_at: expected an RFC 3339 time, got "tomorrow""#
    );
}

#[test]
fn unknown_field_is_a_typo_not_ignored() {
    let bad = r#"{"id": "t-1", "kind": "repository_access_token", "secret": "s1", "resource": "acme/web", "expires_on": "2027-01-01T00:00:00Z"}"#;
    let e = err(&with_tokens(bad));
    assert!(e.starts_with("tokens[0].expires_on: unknown field `expires_on`, expected one of"), "{e}");
}

#[test]
fn wrong_types_and_variants() {
    assert_eq!(err(r#"{"issued_at": 5}"#), "issued_at: expected an RFC 3339 time, got number `5`");
    assert_eq!(
        err(r#"{"issued_at": "2026-11-22T10:00:00Z", "tokens": {}}"#),
        "tokens: expected an array, got an object"
    );
    let e = err(&with_tokens(r#"{"id": "t", "kind": "repo_token", "secret": "s"}"#));
    assert!(
        e.starts_with(r#"tokens[0].kind: unknown variant "repo_token", expected one of `repository_access_token`"#),
        "{e}"
    );
    let e = err(
        r#"{"issued_at": "2026-11-22T10:00:00Z", "policies": [{"name": "p", "ip_allowlist": ["10.0.0.0/8", "nope"]}]}"#,
    );
    assert_eq!(e, r#"policies[0].ip_allowlist[1]: expected a CIDR block like "203.0.113.0/24", got "nope""#);
}

#[test]
fn missing_fields_and_references() {
    assert_eq!(err("{}"), "missing field `issued_at`");
    assert_eq!(err(&with_tokens(r#"{"kind": "api_token"}"#)), "tokens[0]: missing field `id`");
    let e =
        err(&with_tokens(r#"{"id": "t", "kind": "repository_access_token", "secret": "s", "resource": "acme/nope"}"#));
    assert_eq!(e, r#"tokens[0].resource: unknown resource "acme/nope""#);
    let e = err(&with_tokens(
        r#"{"id": "t", "kind": "repository_access_token", "secret": "s", "resource": "acme/web", "scopes": ["repo"]}"#,
    ));
    assert_eq!(e, r#"tokens[0].scopes[0]: unknown scope "repo" in profile "bitbucket-cloud""#);
}

#[test]
fn secrets_never_echoed() {
    let e = err(&with_tokens(
        r#"{"id": "t", "kind": "repository_access_token", "secret_sha256": "hunter2-is-my-password", "resource": "acme/web"}"#,
    ));
    assert!(!e.contains("hunter2"), "{e}");
    assert!(e.starts_with("tokens[0].secret_sha256: expected 64 hex digits"), "{e}");
}

#[test]
fn not_json_at_all() {
    assert!(err("{\"issued_at\": ").starts_with("not valid JSON: "));
}
