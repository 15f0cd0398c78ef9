//! Any request JSON (method, URL, headers, peer address) against a fixed state: always a decision.
#![no_main]

use std::sync::OnceLock;

static ENGINE: OnceLock<scopegate::Engine> = OnceLock::new();

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let engine = ENGINE.get_or_init(|| scopegate::Engine::from_state_json(STATE).unwrap());
    let Ok(request) = serde_json::from_slice::<scopegate::Request>(data) else { return };
    let d = engine.check(&request, scopegate::Timestamp(1_795_341_660));
    assert_eq!(d.allow, d.effect == scopegate::Effect::Allow);
});

const STATE: &str = r#"{"issued_at": "2026-11-22T10:00:00Z",
  "resources": {"workspaces": [{"slug": "acme"}], "repositories": [{"workspace": "acme", "slug": "web", "public": true}]},
  "principals": [{"id": "u-1", "kind": "user", "email": "u@acme.test", "permissions": [{"resource": "acme", "level": "write"}]}],
  "tokens": [{"id": "t-0", "kind": "api_token", "secret": "secret-0", "principal": "u-1", "scopes": ["repository:write"], "created_at": "2026-11-01T00:00:00Z"}],
  "policies": [{"name": "p", "members": {"principals": ["u-1"]}, "ip_allowlist": ["203.0.113.0/24", "2001:db8::/32"]}],
  "network": {"trusted_proxies": ["10.0.0.0/8"], "client_ip_header": "forwarded"}}"#;
