//! Any request JSON (method, URL, headers, peer address) against a fixed state: always a
//! decision, and whenever the engine checks a resource, a standard URL parser (the `url` crate,
//! WHATWG rules: what the origin behind the gate reads) finds the same one in the URL.
#![no_main]

#[path = "../../tests/url_reference/mod.rs"]
mod url_reference;

use std::sync::OnceLock;

static ENGINE: OnceLock<scopegate::Engine> = OnceLock::new();

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let engine = ENGINE.get_or_init(|| scopegate::Engine::from_state_json(STATE).unwrap());
    let Ok(request) = serde_json::from_slice::<scopegate::Request>(data) else { return };
    let d = engine.check(&request, scopegate::Timestamp(1_795_341_660));
    assert_eq!(d.allow, d.effect == scopegate::Effect::Allow);
    if let Some(checked) = d.required.as_ref().and_then(|r| r.resource.as_ref()) {
        match url_reference::reference(&request.url) {
            Err(e) => panic!("{:?}: the engine checked {checked}, a standard URL parser refuses it: {e}", request.url),
            Ok(Some(read)) => assert_eq!(&read, checked, "{:?}", request.url),
            // A route shape the reference does not know: nothing to compare.
            Ok(None) => {}
        }
    }
});

const STATE: &str = r#"{"issued_at": "2026-11-22T10:00:00Z",
  "resources": {"workspaces": [{"slug": "acme"}], "repositories": [{"workspace": "acme", "slug": "web", "public": true}]},
  "principals": [{"id": "u-1", "kind": "user", "email": "u@acme.test", "permissions": [{"resource": "acme", "level": "write"}]}],
  "tokens": [{"id": "t-0", "kind": "api_token", "secret": "secret-0", "principal": "u-1", "scopes": ["repository:write"], "created_at": "2026-11-01T00:00:00Z"}],
  "policies": [{"name": "p", "members": {"principals": ["u-1"]}, "ip_allowlist": ["203.0.113.0/24", "2001:db8::/32"]}],
  "network": {"trusted_proxies": ["10.0.0.0/8"], "client_ip_header": "forwarded"}}"#;
