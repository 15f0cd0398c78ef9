//! Bad state JSON gets one clear error naming the JSON path and what was expected.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic, clippy::string_slice)]

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

/// A made-up token of each prefix family (issue 11 item 4).
fn secrets() -> [String; 3] {
    [
        scopegate::mint_from_seed(scopegate::TokenKind::ApiToken, &[9; 32]).token,
        format!("ATBB{}", "k3Xq9ZpT7wLm2Rv8Yb4Nc6Hd1Fg5Js0A"),
        format!("ATCTT3xFfGN0{}=9F8E7D6C", "Zx1Cv3Bn5Mq7Wr9Ty2Ui4Op6As8Df0Gh2Jk4Lz6Xc8Vb1Nm3Qw5"),
    ]
}

#[test]
fn a_value_that_could_be_a_token_is_named_by_its_length() {
    for secret in secrets() {
        let n = secret.chars().count();
        let e = err(&with_tokens(
            &GOOD.replace(r#""created_at": "2026-11-01T00:00:00Z""#, &format!(r#""created_at": "{secret}""#)),
        ));
        assert_eq!(e, format!("tokens[0].created_at: this looks like a token secret ({n} characters with a token prefix); a secret goes only in `secret`, or as its SHA-256 in `secret_sha256`"));
        // A pasted token where a label or an id goes would be copied into decisions and logs.
        let e = err(&with_tokens(&GOOD.replace(r#""id": "t-0""#, &format!(r#""id": "t-0", "label": "{secret}""#))));
        assert!(e.starts_with("tokens[0].label: this looks like a token secret"), "{e}");
        // An unknown key: not in the path, not in the message.
        let e = err(&with_tokens(&GOOD.replace(r#""id": "t-0""#, &format!(r#""id": "t-0", "{secret}": 1"#))));
        assert_eq!(e, format!("tokens[0]: unknown field <{n} characters, not shown: it could be a secret>, expected one of `id`, `kind`, `label`, `secret_sha256`, `secret`, `principal`, `resource`, `scopes`, `access`, `created_at`, `expires_at`, `created_by`, `allowed_ips`, `revoked_at`"));
    }
    // Long values without a token prefix are refused as before, named by their length.
    let long = "x".repeat(40);
    let e = err(&with_tokens(&GOOD.replace(r#""2026-11-01T00:00:00Z""#, &format!(r#""{long}""#))));
    assert_eq!(
        e,
        "tokens[0].created_at: expected an RFC 3339 time, got <40 characters, not shown: it could be a secret>"
    );
    // Short ones without a prefix are still quoted.
    let e = err(&with_tokens(&GOOD.replace(r#""2026-11-01T00:00:00Z""#, r#""ATB-tomorrow""#)));
    assert_eq!(e, r#"tokens[0].created_at: expected an RFC 3339 time, got "ATB-tomorrow""#);
}

#[test]
fn a_secret_whose_prefix_names_another_kind_is_refused() {
    let [minted, atbb, atctt] = secrets();
    let token = |kind: &str, secret: &str, binding: &str| {
        format!(
            r#"{{"id": "t", "kind": "{kind}", "secret": "{secret}", {binding}, "created_at": "2026-11-01T00:00:00Z"}}"#
        )
    };
    let user = r#""principal": "u""#;
    let head = r#""issued_at": "2026-11-22T10:00:00Z", "resources": {"workspaces": [{"slug": "acme"}], "repositories": [{"workspace": "acme", "slug": "web"}]}, "principals": [{"id": "u", "kind": "user"}]"#;
    let state = |t: String| format!(r#"{{{head}, "tokens": [{t}]}}"#);
    let e = err(&state(token("app_password", &minted, user)));
    assert_eq!(e, "tokens[0].secret: the secret's prefix says api_token, but the token's kind is app_password");
    let e = err(&state(token("api_token", &atbb, user)));
    assert_eq!(
        e,
        "tokens[0].secret: the secret's `ATBB` prefix says a Bitbucket app password, but the token's kind is api_token"
    );
    let e = err(&state(token("app_password", &atctt, user)));
    assert!(e.starts_with("tokens[0].secret: the secret's `ATCTT` prefix says a Bitbucket access token"), "{e}");
    let mut typo = minted.clone();
    typo.pop();
    let e = err(&state(token("api_token", &typo, user)));
    assert_eq!(
        e,
        "tokens[0].secret: the secret has a scopegate prefix but its checksum fails: it was mistyped or cut short"
    );
    assert!(!e.contains(&typo[4..16]), "{e}");
    // The kinds they name load.
    assert!(CompiledState::from_json(&state(token("app_password", &atbb, user))).is_ok());
    assert!(CompiledState::from_json(&state(token("api_token", &minted, user))).is_ok());
    for kind in ["repository_access_token", "workspace_access_token"] {
        let binding =
            if kind == "workspace_access_token" { r#""resource": "acme""# } else { r#""resource": "acme/web""# };
        assert!(CompiledState::from_json(&state(token(kind, &atctt, binding))).is_ok(), "{kind}");
    }
}

#[test]
fn usernames_name_one_principal() {
    let state = |principals: &str| format!(r#"{{"issued_at": "2026-11-22T10:00:00Z", "principals": [{principals}]}}"#);
    let ok = state(
        r#"{"id": "u-1", "kind": "user", "email": "a@x.test", "username": "ann"}, {"id": "u-2", "kind": "user", "username": "bob"}"#,
    );
    let compiled = CompiledState::from_json(&ok).unwrap();
    let ann = compiled.meta().directory().principal("u-1").unwrap();
    assert!(ann.answers_to("ann") && ann.answers_to("A@X.test") && ann.answers_to("u-1"));
    assert!(!ann.answers_to("Ann"), "usernames are exact");
    assert!(!ann.answers_to("bob"));

    let e = err(&state(
        r#"{"id": "u-1", "kind": "user", "username": "ann"}, {"id": "u-2", "kind": "user", "username": "Ann"}"#,
    ));
    assert_eq!(e, r#"principals[1].username: username "Ann" is also principals[0]'s"#);
    let e = err(&state(
        r#"{"id": "u-1", "kind": "user", "email": "ann@x.test"}, {"id": "u-2", "kind": "user", "username": "ann@x.test"}"#,
    ));
    assert_eq!(
        e,
        r#"principals[1].username: username "ann@x.test" is principals[0]'s id or email: a Basic username must name one principal"#
    );
    let e = err(&state(r#"{"id": "ann", "kind": "user"}, {"id": "u-2", "kind": "user", "username": "ann"}"#));
    assert!(e.starts_with(r#"principals[1].username: username "ann" is principals[0]'s id or email"#), "{e}");
    for bad in ["", "a:b", "a b", "x-token-auth"] {
        let e = err(&state(&format!(r#"{{"id": "u-1", "kind": "user", "username": "{bad}"}}"#)));
        assert!(e.starts_with("principals[0].username: expected a Bitbucket username"), "{bad:?}: {e}");
    }
    // A principal's own email as its username is no clash.
    assert!(
        CompiledState::from_json(&state(r#"{"id": "u-1", "kind": "user", "email": "ann", "username": "ann"}"#)).is_ok()
    );
}

/// A state with `profile` as given (JSON text).
fn with_profile(profile: &str) -> String {
    format!(r#"{{"issued_at": "2026-11-22T10:00:00Z", "profile": {profile}}}"#)
}

const TINY: &str = r#"{"name": "tiny", "base_path": "/2.0", "scopes": [{"name": "repository", "level": "read"}, {"name": "repository:write", "implies": ["repository"]}], "routes": [{"method": "GET", "path": "/2.0/repositories/{workspace}/{repo_slug}", "any_of": [["repository"]]}]}"#;

#[test]
fn an_inline_profile_is_read_with_its_paths() {
    assert!(CompiledState::from_json(&with_profile(TINY)).is_ok());
    let bad = |from: &str, to: &str| {
        assert!(TINY.contains(from), "{from}");
        err(&with_profile(&TINY.replacen(from, to, 1)))
    };
    // What a value is: the reader's paths, through the profile.
    assert_eq!(
        bad(r#""any_of": [["repository"]]"#, r#""any_of": [["repository", 5]]"#),
        "profile.routes[0].any_of[0][1]: expected a scope name, got number `5`"
    );
    assert_eq!(
        bad(r#""level": "read""#, r#""level": "owner""#),
        r#"profile.scopes[0].level: unknown variant "owner", expected one of `read`, `write`, `admin`"#
    );
    assert_eq!(bad(r#""name": "tiny", "#, ""), "profile: missing field `name`");
    assert_eq!(bad(r#""method": "GET", "#, ""), "profile.routes[0]: missing field `method`");
    assert!(
        bad(r#""base_path""#, r#""base_paht""#).starts_with(
            "profile.base_paht: unknown field `base_paht`, expected one of `name`, `base_path`, `scopes`, `routes`"
        ),
        "a typo is reported, not ignored"
    );
    assert_eq!(
        bad(r#""implies": ["repository"]"#, r#""implies": "repository""#),
        r#"profile.scopes[1].implies: expected an array, got string "repository""#
    );
    assert_eq!(
        err(&with_profile("7")),
        "profile: expected a built-in profile's name or a profile object, got number `7`"
    );
    // What values mean together: the profile compiler's paths, under `profile`.
    assert_eq!(
        bad(r#""implies": ["repository"]"#, r#""implies": ["repo"]"#),
        "profile.scopes[1].implies[0]: unknown scope `repo`"
    );
    assert_eq!(
        bad(r#"[["repository"]]"#, r#"[["pipeline"]]"#),
        "profile.routes[0].any_of[0][0]: scope `pipeline` is not in the catalogue"
    );
    assert_eq!(
        err(&with_profile(r#""gitlab""#)),
        r#"profile: unknown built-in profile "gitlab" (expected "bitbucket-cloud" or a profile object)"#
    );
}

#[test]
fn secrets_in_an_inline_profile_are_refused_and_never_echoed() {
    for secret in secrets() {
        let n = secret.chars().count();
        let e = err(&with_profile(&TINY.replacen(r#""name": "tiny""#, &format!(r#""name": "{secret}""#), 1)));
        assert_eq!(e, format!("profile.name: this looks like a token secret ({n} characters with a token prefix); a secret goes only in `secret`, or as its SHA-256 in `secret_sha256`"));
        let e = err(&with_profile(&TINY.replacen(r#""base_path""#, &format!(r#""{secret}""#), 1)));
        assert!(e.starts_with(&format!("profile: unknown field <{n} characters, not shown")), "{e}");
        assert!(!e.contains(&secret), "{e}");
    }
    // The compiler's own messages are redacted too: a long scope name is named by its length.
    let long = "x".repeat(40);
    let e = err(&with_profile(&TINY.replacen(r#"["repository"]]"#, &format!(r#"["{long}"]]"#), 1)));
    assert_eq!(
        e,
        "profile.routes[0].any_of[0][0]: scope <40 characters, not shown: it could be a secret> is not in the catalogue"
    );
}

#[test]
fn a_key_given_twice_is_refused() {
    let e = err(r#"{"issued_at": "2026-11-22T10:00:00Z", "issued_at": "2026-11-23T10:00:00Z"}"#);
    assert_eq!(e, "issued_at: duplicate field `issued_at`: each key once");
    let e = err(&with_tokens(&GOOD.replace(r#""id": "t-0""#, r#""id": "t-0", "id": "t-1""#)));
    assert_eq!(e, "tokens[0].id: duplicate field `id`: each key once");
}

#[test]
fn a_policy_change_is_read_by_the_same_reader() {
    let engine = scopegate::Engine::from_state_json(&with_tokens(GOOD)).unwrap();
    let err = |change: &str| engine.with_policies(change).unwrap_err().to_string();
    assert_eq!(
        err(r#"{"default_policy": {"ip_allowlist": ["10.0.0.0/8", 5]}}"#),
        "default_policy.ip_allowlist[1]: expected a CIDR block, got number `5`"
    );
    assert_eq!(
        err(r#"{"network": {"trusted_proxies": ["nope"]}}"#),
        r#"network.trusted_proxies[0]: expected a CIDR block like "203.0.113.0/24", got "nope""#
    );
    assert_eq!(
        err(r#"{"token_permissions": {"use": "*"}}"#),
        r#"token_permissions.use: expected an array, got string "*""#
    );
    assert!(err(r#"{"tokens": []}"#).starts_with("tokens: unknown field `tokens`, expected one of `policies`"));
    assert_eq!(err("[]"), "expected an object, got an array");
}
