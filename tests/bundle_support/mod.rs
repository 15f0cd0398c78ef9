//! Shared by the `bundle_*` integration tests: states with known secrets, keys, requests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use proptest::prelude::*;
use scopegate::{CompiledState, Decision, Engine, PrivateKey, PublicKey, Request, Timestamp};
use serde_json::{json, Value};

pub const ISSUED: &str = "2026-11-22T10:00:00Z";
pub const TTL: u64 = 3600;

pub fn issued() -> Timestamp {
    Timestamp::parse(ISSUED).unwrap()
}

/// A time inside the bundle's life.
pub fn now() -> Timestamp {
    issued().plus(600)
}

pub fn private_key(n: u8) -> PrivateKey {
    PrivateKey::from_bytes(&[n; 32])
}

/// Test key `n`'s public half, derived once (a scalar multiplication is slow in debug builds).
pub fn public_key(n: u8) -> PublicKey {
    static KEYS: std::sync::OnceLock<Vec<PublicKey>> = std::sync::OnceLock::new();
    KEYS.get_or_init(|| (0..8).map(|i| private_key(i).public_key()).collect())
        .get(usize::from(n))
        .cloned()
        .unwrap_or_else(|| private_key(n).public_key())
}

pub fn resources() -> Value {
    json!({
        "workspaces": [{"slug": "acme"}, {"slug": "other"}],
        "projects": [{"workspace": "acme", "key": "PROJ"}],
        "repositories": [
            {"workspace": "acme", "slug": "web", "project": "PROJ"},
            {"workspace": "acme", "slug": "docs", "public": true},
            {"workspace": "other", "slug": "api"}
        ]
    })
}

pub fn principals() -> Value {
    json!([
        {"id": "u-mary", "kind": "user", "email": "mary@acme.test", "groups": ["developers"], "two_factor": true,
         "permissions": [{"resource": "acme/web", "level": "write"}]},
        {"id": "u-carl", "kind": "user", "email": "carl@contractor.test", "groups": ["contractors"],
         "permissions": [{"resource": "acme", "level": "read"}]},
        {"id": "u-gone", "kind": "user", "status": "deactivated", "permissions": [{"resource": "acme", "level": "admin"}]},
        {"id": "sa-ci", "kind": "service_account", "permissions": [{"resource": "acme/PROJ", "level": "write"}]}
    ])
}

pub fn policies() -> Value {
    json!([{"name": "contractors", "members": {"groups": ["contractors"]}, "app_passwords": "block",
            "max_token_lifetime_days": 90, "ip_allowlist": ["198.51.100.0/24"]}])
}

/// A small state with one token of each binding; secrets `secret-<id>`.
pub fn small_state() -> Value {
    json!({
        "issued_at": ISSUED,
        "resources": resources(),
        "principals": principals(),
        "policies": policies(),
        "tokens": [
            {"id": "t-mary", "kind": "api_token", "secret": "secret-t-mary", "principal": "u-mary", "label": "laptop",
             "scopes": ["repository:write", "pullrequest"], "created_at": "2026-11-01T00:00:00Z", "expires_at": "2026-12-01T00:00:00Z"},
            {"id": "t-repo", "kind": "repository_access_token", "secret": "secret-t-repo", "resource": "acme/web",
             "scopes": ["repository"], "created_at": "2026-10-01T00:00:00Z", "created_by": "u-mary", "allowed_ips": ["203.0.113.0/24"]},
            {"id": "t-ci", "kind": "service_account_token", "secret": "secret-t-ci", "principal": "sa-ci",
             "scopes": ["repository", "pipeline"], "created_at": "2026-09-01T00:00:00Z", "expires_at": "2027-03-01T12:34:56Z"},
            {"id": "t-org", "kind": "org_api_key", "secret": "secret-t-org", "resource": "acme", "access": "read_only",
             "created_by": "u-gone", "created_at": "2026-01-01T00:00:00Z"}
        ]
    })
}

pub fn compile(state: &Value) -> CompiledState {
    CompiledState::from_json(&state.to_string()).unwrap()
}

pub fn build(state: &Value) -> Vec<u8> {
    scopegate::build_bundle(&compile(state), &private_key(1), TTL).unwrap()
}

pub fn load(bytes: &[u8]) -> Engine {
    Engine::load(bytes, &[public_key(1)], now()).unwrap()
}

/// Requests that walk different parts of the pipeline for one secret.
pub fn requests(secret: &str) -> Vec<Request> {
    let bearer = format!("Bearer {secret}");
    let basic = |user: &str| {
        use base64::Engine as _;
        format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{secret}")))
    };
    vec![
        Request::new("GET", "/2.0/repositories/acme/web").header("Authorization", &bearer),
        Request::new("POST", "/2.0/repositories/acme/web/pullrequests")
            .header("Authorization", &bearer)
            .from_addr("203.0.113.9"),
        Request::new("GET", "/2.0/repositories/other/api").header("Authorization", &bearer).from_addr("198.51.100.7"),
        Request::new("DELETE", "/2.0/repositories/acme/docs").header("Authorization", &bearer),
        Request::new("GET", "/2.0/user").header("Authorization", &bearer),
        Request::new("GET", "/acme/web.git/info/refs?service=git-receive-pack")
            .header("Authorization", &basic("x-token-auth")),
        Request::new("GET", "/2.0/repositories/acme/web").header("Authorization", &basic("mary@acme.test")),
    ]
}

/// Decisions as comparable JSON.
pub fn decisions(engine: &Engine, secret: &str, at: Timestamp) -> Vec<Value> {
    requests(secret).iter().map(|r| serde_json::to_value(engine.check(r, at)).unwrap()).collect()
}

pub fn decision(engine: &Engine, secret: &str, at: Timestamp) -> Decision {
    engine.check(&requests(secret)[0], at)
}

const SCOPES: [&str; 8] = [
    "repository",
    "repository:write",
    "repository:admin",
    "pullrequest",
    "pullrequest:write",
    "pipeline",
    "account",
    "project",
];

prop_compose! {
    /// One token of a random kind, with the binding its kind needs and random optional fields.
    fn token(i: usize)(
        kind in 0usize..8,
        who in 0usize..4,
        scopes in proptest::sample::subsequence(SCOPES.to_vec(), 0..4),
        label in proptest::option::of("[a-zA-Z0-9 ]{0,12}"),
        access in 0u8..3,
        created in proptest::option::of(-400i64 * 86_400..0),
        life in proptest::option::of(prop_oneof![1i64..400, (1i64..40_000_000).prop_map(|s| -s)]),
        revoked in proptest::option::of(-100_000i64..100_000),
        created_by in proptest::option::of(0usize..5),
        ips in proptest::sample::subsequence(vec!["203.0.113.0/24", "198.51.100.7", "2001:db8::/32", "10.0.0.0/8"], 0..3),
        minted in any::<bool>(),
        salt in any::<u64>(),
    ) -> (Value, String) {
        let kind = scopegate::TokenKind::ALL[kind].as_str();
        let secret = if minted {
            let mut seed = [0u8; 32];
            seed[..8].copy_from_slice(&salt.to_le_bytes());
            seed[8..16].copy_from_slice(&(i as u64).to_le_bytes());
            let k = scopegate::TokenKind::parse(kind).unwrap();
            scopegate::mint_from_seed(k, &seed).token
        } else {
            format!("foreign-{i}-{salt:x}")
        };
        let issued = issued();
        let mut t = json!({"id": format!("t-{i:06}"), "kind": kind, "secret": secret, "scopes": scopes});
        match kind {
            "api_token" | "app_password" | "personal_access_token" => t["principal"] = json!(["u-mary", "u-carl", "u-gone", "u-mary"][who]),
            "service_account_token" => t["principal"] = json!("sa-ci"),
            "repository_access_token" => t["resource"] = json!(["acme/web", "acme/docs", "other/api", "acme/web"][who]),
            "project_access_token" => t["resource"] = json!("acme/PROJ"),
            "workspace_access_token" => t["resource"] = json!(["acme", "other", "acme", "acme"][who]),
            _ => if who % 2 == 0 { t["resource"] = json!("acme") },
        }
        if let Some(l) = label { t["label"] = json!(l); }
        if access > 0 { t["access"] = json!(["read_only", "read_write"][usize::from(access) - 1]); }
        if let Some(c) = created { t["created_at"] = json!(issued.plus(c).to_string()); }
        if let Some(life) = life {
            // Positive: whole days after creation; negative: seconds before issue (may be expired).
            let at = if life > 0 { issued.plus(created.unwrap_or(0)).plus(life * 86_400) } else { issued.plus(life) };
            let at = if created.is_some_and(|c| issued.plus(c) > at) { issued.plus(created.unwrap_or(0)) } else { at };
            t["expires_at"] = json!(at.to_string());
        }
        if let Some(r) = revoked { t["revoked_at"] = json!(issued.plus(r).to_string()); }
        if let Some(c) = created_by { t["created_by"] = json!(["u-mary", "u-carl", "u-gone", "sa-ci", "someone-else"][c]); }
        if !ips.is_empty() { t["allowed_ips"] = json!(ips); }
        (t, secret)
    }
}

/// A random state (0 to 12 tokens) and the secrets of its tokens.
pub fn random_state() -> impl Strategy<Value = (Value, Vec<String>)> {
    (0usize..13).prop_flat_map(|n| {
        let tokens: Vec<_> = (0..n).map(token).collect();
        (tokens, any::<bool>()).prop_map(|(tokens, with_policy)| {
            let secrets = tokens.iter().map(|(_, s)| s.clone()).collect();
            let tokens: Vec<Value> = tokens.into_iter().map(|(t, _)| t).collect();
            let mut state = json!({
                "issued_at": ISSUED,
                "resources": resources(),
                "principals": principals(),
                "tokens": tokens,
            });
            if with_policy {
                state["policies"] = policies();
            }
            (state, secrets)
        })
    })
}
