//! Secrets never reach a message (issue 11 item 4): tokens are fed into every field of a state
//! and of a changes document (values of every type, and unknown keys) and into every position of
//! a credential, and every output (errors, decisions, traces, audits, the estate) is scanned for
//! any part of them. `tests/js/secrets.test.mjs` does the same through the package and the CLI.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic, clippy::string_slice)]

use base64::Engine as _;
use scopegate::{
    build_bundle, build_delta_from_changes, mint_from_seed, CompiledState, Engine, PrivateKey, Request, Timestamp,
    TokenKind,
};
use serde_json::{json, Value};

/// Tokens of every prefix family the engine knows, and one with none.
fn tokens() -> Vec<String> {
    let minted = |kind, n: u8| mint_from_seed(kind, &[n; 32]).token;
    vec![
        minted(TokenKind::ApiToken, 1),
        minted(TokenKind::RepositoryAccessToken, 2),
        format!("ATBB{}", "k3Xq9ZpT7wLm2Rv8Yb4Nc6Hd1Fg5Js0A"),
        format!("ATATT3xFfGF0{}=1A2B3C4D", "Qw7Er9Ty2Ui4Op6As8Df1Gh3Jk5Lz7Xc9Vb2Nm4Qw6Er8Ty0Ui3Op5As7Df9Gh"),
        format!("ATCTT3xFfGN0{}=9F8E7D6C", "Zx1Cv3Bn5Mq7Wr9Ty2Ui4Op6As8Df0Gh2Jk4Lz6Xc8Vb1Nm3Qw5Er7Ty9Ui2Op"),
    ]
}

/// Whether `output` shows any 10 consecutive characters of `token` (more than the prefixes).
fn leaks(output: &str, token: &str) -> Option<String> {
    let chars: Vec<char> = token.chars().collect();
    chars.windows(10).map(|w| w.iter().collect::<String>()).find(|w| output.contains(w.as_str()))
}

fn assert_clean(output: &str, token: &str, what: &str) {
    if let Some(part) = leaks(output, token) {
        panic!("{what}: shows `{part}` of a token:\n{output}");
    }
}

const ISSUED: &str = "2026-11-22T10:00:00Z";

fn now() -> Timestamp {
    Timestamp::parse("2026-11-22T12:00:00Z").unwrap()
}

/// A state with every field of DESIGN.md §3 present at least once.
fn full_state() -> Value {
    json!({
        "issued_at": ISSUED,
        "profile": "bitbucket-cloud",
        "resources": {
            "workspaces": [{"slug": "acme"}],
            "projects": [{"workspace": "acme", "key": "PROJ"}],
            "repositories": [{"workspace": "acme", "slug": "web", "project": "PROJ", "public": false}]
        },
        "principals": [
            {"id": "u-mary", "kind": "user", "email": "mary@acme.test", "username": "mary", "status": "active",
             "groups": ["developers"], "two_factor": true, "name": "Mary",
             "permissions": [{"resource": "acme/web", "level": "write"}]},
            {"id": "sa-ci", "kind": "service_account", "permissions": [{"resource": "acme", "level": "read"}]}
        ],
        "tokens": [
            {"id": "t-1", "kind": "api_token", "label": "laptop", "secret": "secret-1", "principal": "u-mary",
             "scopes": ["repository"], "created_at": "2026-10-01T00:00:00Z", "expires_at": "2027-01-01T00:00:00Z",
             "created_by": "u-mary", "allowed_ips": ["203.0.113.0/24"], "revoked_at": null},
            {"id": "t-2", "kind": "repository_access_token",
             "secret_sha256": "10c7c24c304bc5af386a8bf7790fe9ef845928024b997444cac97eebb1f1e6e0", "resource": "acme/web",
             "access": "read_only", "created_at": "2026-10-01T00:00:00Z"}
        ],
        "policies": [
            {"name": "contractors", "members": {"groups": ["contractors"], "principals": ["sa-ci"]},
             "api_tokens": "allow", "app_passwords": "block", "password_auth": "disable",
             "max_token_lifetime_days": 90, "ip_allowlist": ["198.51.100.0/24"],
             "revoke_issued_before": "2026-01-01T00:00:00Z", "require_2fa": true}
        ],
        "default_policy": {"api_tokens": "allow", "app_passwords": "allow", "password_auth": "allow",
                           "max_token_lifetime_days": 365, "ip_allowlist": []},
        "network": {"trusted_proxies": ["10.0.0.0/8"], "client_ip_header": "x-forwarded-for"},
        "token_permissions": {"use": ["*"], "create": ["developers"], "create_write": ["developers"],
                              "create_for_others": ["admins"]},
        "unknown_route": "deny"
    })
}

/// Every variant of `doc` with `token` in one place: each leaf replaced (whatever its type), each
/// list given one more element, and each object given an unknown key.
fn variants(doc: &Value, token: &str) -> Vec<(String, Value)> {
    fn walk(v: &Value, path: &str, out: &mut Vec<String>) {
        out.push(path.to_string());
        match v {
            Value::Object(m) => m.iter().for_each(|(k, x)| walk(x, &format!("{path}/{k}"), out)),
            Value::Array(a) => a.iter().enumerate().for_each(|(i, x)| walk(x, &format!("{path}/{i}"), out)),
            _ => {}
        }
    }
    let mut pointers = Vec::new();
    walk(doc, "", &mut pointers);
    let mut out = Vec::new();
    for p in pointers {
        let mut d = doc.clone();
        let target = if p.is_empty() { &mut d } else { d.pointer_mut(&p).unwrap() };
        match target {
            Value::Object(m) => {
                m.insert(token.to_string(), json!("x"));
                out.push((format!("{p} (unknown key)"), d));
            }
            Value::Array(a) => {
                a.push(json!(token));
                out.push((format!("{p} (one more element)"), d));
            }
            leaf => {
                *leaf = json!(token);
                out.push((p, d));
            }
        }
    }
    out
}

fn basic(user: &str, secret: &str) -> String {
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{secret}")))
}

/// Requests with `token` in every credential position, next to a listed token (`listed`).
fn credential_requests(token: &str, listed: &str) -> Vec<Request> {
    let url = "/2.0/repositories/acme/web";
    let auth = [
        format!("Bearer {token}"),
        format!("bearer  {token} "),
        format!("Bearer {token} {token}"),
        format!("Bearer {token}\u{1}"),
        basic(token, "x"),
        basic("mary@acme.test", token),
        basic(token, token),
        basic(token, listed),
        basic(listed, token),
        basic("x-token-auth", token),
        basic(token, "hunter2"),
        format!("Basic {token}"),
        format!("Token {token}"),
        token.to_string(),
    ];
    let mut out: Vec<Request> = auth.iter().map(|a| Request::new("GET", url).header("Authorization", a)).collect();
    out.push(Request::new("GET", url).header("Authorization", &auth[0]).header("Authorization", &auth[4]));
    out.push(Request::new("GET", &format!("{url}?access_token={token}")).header("Authorization", &auth[0]));
    out.push(Request::new("GET", "/2.0/nowhere").header("Authorization", &basic("mary", listed)));
    out
}

#[test]
fn tokens_in_state_fields_never_reach_errors_or_decisions() {
    let base = full_state();
    let listed = "secret-1";
    let mut loaded = 0;
    let mut refused = 0;
    for token in tokens() {
        for (where_, state) in variants(&base, &token) {
            match Engine::from_state_json(&state.to_string()) {
                Err(e) => {
                    refused += 1;
                    assert_clean(&e.to_string(), &token, &format!("state error for {where_}"));
                }
                Ok(engine) => {
                    loaded += 1;
                    let mut out = String::new();
                    for r in credential_requests(&token, listed) {
                        out += &serde_json::to_string(&engine.explain(&r, now())).unwrap();
                    }
                    out += &serde_json::to_string(&engine.audit(now(), 30)).unwrap();
                    out += &serde_json::to_string(&engine.estate(now(), 4)).unwrap();
                    out += &engine.policies_json().to_string();
                    out += &serde_json::to_string(&engine.info()).unwrap();
                    assert_clean(&out, &token, &format!("outputs of a state with it at {where_}"));
                }
            }
        }
    }
    eprintln!("secrets: {refused} states refused, {loaded} loaded and decided, no token shown");
    // Where a token belongs (`secret`, or a list that can hold anything) the state loads.
    assert!(loaded > 0 && refused > 100, "{loaded} loaded, {refused} refused");
}

#[test]
fn tokens_in_credentials_never_reach_decisions_or_traces() {
    let state = full_state();
    let engine = Engine::from_state_json(&state.to_string()).unwrap();
    let early = Timestamp::from_unix_seconds(0);
    for token in tokens() {
        // Also as a listed token, so requests get past the lookup with it.
        let mut with_token = state.clone();
        with_token["tokens"][0]["secret"] = json!(token);
        with_token["tokens"][0]["kind"] = json!(match &token[..4] {
            "sgr_" | "ATCT" => "repository_access_token",
            "ATBB" => "app_password",
            _ => "api_token",
        });
        if with_token["tokens"][0]["kind"] == "repository_access_token" {
            with_token["tokens"][0]["resource"] = json!("acme/web");
            with_token["tokens"][0].as_object_mut().unwrap().remove("principal");
        }
        let listing = Engine::from_state_json(&with_token.to_string()).unwrap();
        for e in [&engine, &listing] {
            for r in credential_requests(&token, "secret-1") {
                for at in [now(), early] {
                    let out = serde_json::to_string(&e.explain(&r, at)).unwrap();
                    assert_clean(&out, &token, &format!("{:?}", r.headers.get("authorization").map(str::len)));
                }
            }
        }
    }
}

#[test]
fn tokens_in_changes_documents_never_reach_errors() {
    let key = PrivateKey::from_bytes(&[3; 32]);
    let base = build_bundle(&CompiledState::from_json(&full_state().to_string()).unwrap(), &key, 86_400).unwrap();
    let changes = json!({
        "issued_at": "2026-11-22T11:00:00Z",
        "revoke": ["t-1", {"id": "t-2", "at": "2026-11-22T10:30:00Z"}],
        "upsert": [full_state()["tokens"][0].clone()],
        "policies": full_state()["policies"].clone(),
        "default_policy": full_state()["default_policy"].clone(),
        "network": full_state()["network"].clone(),
        "token_permissions": full_state()["token_permissions"].clone(),
        "unknown_route": "defer"
    });
    let mut changes = changes;
    changes["upsert"][0]["id"] = json!("t-9");
    changes["upsert"][0]["secret"] = json!("secret-9");
    assert!(build_delta_from_changes(&base, &changes.to_string(), &key, 3600).is_ok());
    let remove = json!({"issued_at": "2026-11-22T11:00:00Z", "remove": ["t-1"]});
    let mut refused = 0;
    for token in tokens() {
        for doc in [&changes, &remove] {
            for (where_, variant) in variants(doc, &token) {
                if let Err(e) = build_delta_from_changes(&base, &variant.to_string(), &key, 3600) {
                    refused += 1;
                    assert_clean(&e.to_string(), &token, &format!("changes error for {where_}"));
                }
            }
        }
    }
    assert!(refused > 100, "{refused}");
}
