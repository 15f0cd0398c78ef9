//! The numbers and tables of a fast check make the same decision as `Engine::check`: rebuilt
//! here as the JS layer builds them (js/fast.js), for many requests over a signed bundle.

use proptest::prelude::*;
use serde_json::{json, Map, Value};

use super::*;
use crate::{build_bundle, CompiledState, PrivateKey, Request};

const ISSUED: &str = "2026-11-22T10:00:00Z";

fn engine(ttl: u64) -> Engine {
    let state = json!({
        "issued_at": ISSUED,
        "resources": {
            "workspaces": [{"slug": "acme"}, {"slug": "other"}],
            "projects": [{"workspace": "acme", "key": "PROJ"}],
            "repositories": [{"workspace": "acme", "slug": "web", "project": "PROJ"}, {"workspace": "acme", "slug": "docs", "public": true},
                             {"workspace": "other", "slug": "api"}]
        },
        "principals": [
            {"id": "u-mary", "kind": "user", "email": "mary@acme.test", "groups": ["developers"],
             "permissions": [{"resource": "acme/PROJ", "level": "write"}]},
            {"id": "u-carl", "kind": "user", "email": "carl@contractor.test", "groups": ["contractors"], "permissions": [{"resource": "acme", "level": "read"}]},
            {"id": "u-gone", "kind": "user", "status": "deactivated"}
        ],
        "policies": [{"name": "contractors", "members": {"groups": ["contractors"]}, "app_passwords": "block", "api_tokens": "block",
                      "password_auth": "disable", "max_token_lifetime_days": 90, "ip_allowlist": ["198.51.100.0/24"]}],
        "network": {"trusted_proxies": ["10.0.0.0/8"], "client_ip_header": "x-forwarded-for"},
        "tokens": [
            {"id": "t-repo", "kind": "repository_access_token", "secret": "repo-secret", "resource": "acme/web",
             "scopes": ["repository", "pullrequest:write"], "label": "CI", "created_at": "2026-11-01T00:00:00Z",
             "expires_at": "2027-01-01T00:00:00Z", "allowed_ips": ["203.0.113.0/24", "2001:db8::/32"]},
            {"id": "t-read", "kind": "repository_access_token", "secret": "read-secret", "resource": "acme/web",
             "scopes": ["repository"], "created_at": "2026-11-01T00:00:00Z"},
            {"id": "t-mary", "kind": "api_token", "secret": "mary-secret", "principal": "u-mary",
             "scopes": ["repository:write"], "created_at": "2026-11-01T00:00:00Z", "expires_at": "2026-12-01T00:00:00Z"},
            {"id": "t-carl", "kind": "app_password", "secret": "carl-secret", "principal": "u-carl", "scopes": ["repository"], "created_at": "2026-11-01T00:00:00Z"},
            {"id": "t-capi", "kind": "api_token", "secret": "capi-secret", "principal": "u-carl", "scopes": ["repository"], "created_at": "2026-11-01T00:00:00Z"},
            {"id": "t-gone", "kind": "api_token", "secret": "gone-secret", "principal": "u-gone", "scopes": ["repository"], "created_at": "2026-11-01T00:00:00Z"},
            {"id": "t-old", "kind": "workspace_access_token", "secret": "old-secret", "resource": "acme", "scopes": ["repository"],
             "created_at": "2026-01-01T00:00:00Z", "expires_at": "2026-11-10T00:00:00Z"},
            {"id": "t-rev", "kind": "project_access_token", "secret": "rev-secret", "resource": "acme/PROJ", "access": "read_only",
             "created_at": "2026-11-01T00:00:00Z", "revoked_at": "2026-11-20T00:00:00Z"},
            {"id": "t-mode", "kind": "project_access_token", "secret": "mode-secret", "resource": "acme/PROJ", "access": "read_write",
             "created_at": "2026-11-01T00:00:00Z"},
            {"id": "t-key", "kind": "org_api_key", "secret": "key-secret", "scopes": ["repository"]}
        ]
    });
    let compiled = CompiledState::from_json(&state.to_string()).unwrap();
    let key = PrivateKey::from_bytes(&[5; 32]);
    let bytes = build_bundle(&compiled, &key, ttl).unwrap();
    Engine::load(&bytes, &[key.public_key()], Timestamp::parse(ISSUED).unwrap()).unwrap()
}

/// The JS layer's builder, in Rust: the decision from the numbers, the text area and the
/// tables.
fn rebuild(
    engine: &Engine,
    code: u32,
    out: &[i32; OUT_LEN],
    text: &[u8; TEXT_LEN],
    url: &str,
    peer: Option<&str>,
) -> Value {
    let constants: Value = serde_json::from_str(&constants(engine)).unwrap();
    let at = |slot: usize| out[slot] as usize;
    let text_of = |from: usize, len: usize| std::str::from_utf8(&text[from..from + len]).unwrap().to_owned();
    let reason = constants["reasons"][(code & 0x1f) as usize].as_str().unwrap().to_owned();
    let effect = ["allow", "deny", "defer"][((code >> EFFECT_SHIFT) & 3) as usize];
    let token: Option<Value> =
        (code & HAS_TOKEN != 0).then(|| serde_json::from_str(&token(engine, out[SLOT] as u32).unwrap()).unwrap());
    let policy: Option<Value> =
        (code & HAS_POLICY != 0).then(|| serde_json::from_str(&policy(engine, at(POLICY)).unwrap()).unwrap());
    let route: Option<Value> =
        (code & HAS_ROUTE != 0).then(|| serde_json::from_str(&route(engine, out[ROUTE] as u32).unwrap()).unwrap());
    let param = at(MESSAGE);
    let message = match code >> MESSAGE_SHIFT {
        0 => constants["messages"][param].clone(),
        1 => constants["routeUnknown"].clone(),
        2 => constants["bundleExpired"].clone(),
        3 => policy.as_ref().unwrap()["passwordDisabled"].clone(),
        4 => policy.as_ref().unwrap()["apiTokensBlocked"].clone(),
        5 => policy.as_ref().unwrap()["appPasswordsBlocked"].clone(),
        6 => route.as_ref().unwrap()["scopeMissing"].clone(),
        7 => constants["access"][param].clone(),
        8 => token.as_ref().unwrap()["revoked"].clone(),
        9 => token.as_ref().unwrap()["expired"].clone(),
        10 => token.as_ref().unwrap()["outOfScope"].clone(),
        11 => Value::from(text_of(at(MESSAGE_AT), at(MESSAGE_LEN))),
        other => panic!("message kind {other}"),
    };
    let mut d = Map::new();
    d.insert("effect".into(), effect.into());
    d.insert("allow".into(), (effect == "allow").into());
    d.insert("reason".into(), reason.into());
    d.insert("message".into(), message);
    if let Some(t) = &token {
        d.insert("token".into(), t["token"].clone());
    }
    if let Some(r) = &route {
        let mut required = Map::new();
        required.insert("anyOf".into(), r["anyOf"].clone());
        if code & HAS_RESOURCE != 0 {
            let part = |i: usize| {
                let (a, b) = (at(RESOURCE_AT + 2 * i), at(RESOURCE_AT + 2 * i + 1));
                if code & RESOURCE_TEXT != 0 {
                    text_of(a, b - a)
                } else {
                    url.get(a..b).unwrap().to_owned()
                }
            };
            let resource = match at(RESOURCE_KIND) {
                0 => format!("workspace:{}", part(0)),
                1 => format!("project:{}/{}", part(0), part(1)),
                _ => format!("repository:{}/{}", part(0), part(1)),
            };
            required.insert("resource".into(), resource.into());
        }
        d.insert("required".into(), required.into());
    }
    if code & HAS_GRANTED != 0 {
        d.insert("granted".into(), token.as_ref().unwrap()["granted"].clone());
    }
    if code & HAS_CLIENT_IP != 0 {
        let ip = if code & IP_AS_GIVEN != 0 { peer.unwrap().to_owned() } else { text_of(at(IP_AT), at(IP_LEN)) };
        d.insert("clientIp".into(), ip.into());
    }
    if let Some(p) = &policy {
        d.insert("policy".into(), p["name"].clone());
    }
    if let Some(e) = token.as_ref().and_then(|t| t.get("expiresAt")) {
        d.insert("expiresAt".into(), e.clone());
    }
    Value::Object(d)
}

/// One request through the areas, as the JS layer writes it.
fn fast(engine: &Engine, areas: &mut Areas, request: &Request, now: Timestamp) -> Option<Value> {
    let header = |name: &'static str| request.headers.get_all(name).collect::<Vec<&str>>();
    let auth = header("authorization");
    let ip_header = engine.snapshot().meta.network.client_ip_header;
    let ips = header(ip_header.name());
    let ip_value = match ip_header {
        crate::ClientIpHeader::XForwardedFor | crate::ClientIpHeader::Forwarded => ips.join(","),
        _ => ips.first().map(|s| s.to_string()).unwrap_or_default(),
    };
    let peer = request.remote_addr.as_deref();
    let parts = [
        request.method.as_str(),
        request.url.as_str(),
        auth.first().copied().unwrap_or(""),
        &ip_value,
        peer.unwrap_or(""),
    ];
    let total: usize = parts.iter().map(|p| p.len()).sum();
    assert!(areas.reserve(total));
    let mut at = 0;
    for p in parts {
        areas.request[at..at + p.len()].copy_from_slice(p.as_bytes());
        at += p.len();
    }
    let mut flags = auth.len().min(2) as u32;
    if !ips.is_empty() {
        flags |= HAS_CLIENT_IP_HEADER;
    }
    if peer.is_some() {
        flags |= HAS_PEER;
    }
    for (i, name) in crate::METHOD_OVERRIDE_HEADERS.iter().enumerate() {
        if request.headers.get(name).is_some() {
            flags |= 1 << (OVERRIDE_SHIFT + i as u32);
        }
    }
    let code = check(engine, areas, parts.map(str::len), flags, now);
    if code & FULL != 0 {
        return None;
    }
    assert_eq!(areas.out[0] as u32, code);
    Some(rebuild(engine, code, &areas.out, &areas.text, &request.url, peer))
}

fn basic(user: &str, secret: &str) -> String {
    use base64::Engine as _;
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{secret}")))
}

const URLS: [&str; 12] = [
    "/2.0/repositories/acme/web",
    "/2.0/repositories/ACME/Web/pullrequests",
    "/2.0/repositories/acme/web/pullrequests/7/comments/9",
    "https://api.example.test/2.0/repositories/acme/docs/src/main/a/b.md?x=1",
    "/acme/web.git/info/refs?service=git-upload-pack",
    "/2.0/repositories/other/api",
    "/2.0/workspaces/acme/projects/PROJ",
    "/2.0/repositories/acme/w%65b/issues",
    "/2.0/repositories/acme/caf%C3%A9",
    "/2.0/nothing/here",
    "/2.0/repositories/acme/../web",
    "/2.0/user",
];
const METHODS: [&str; 6] = ["GET", "POST", "PUT", "DELETE", "HEAD", "G3T"];
const SECRETS: [&str; 12] = [
    "capi-secret",
    "repo-secret",
    "read-secret",
    "mary-secret",
    "carl-secret",
    "gone-secret",
    "old-secret",
    "rev-secret",
    "mode-secret",
    "key-secret",
    "no-such-secret",
    "sgr_typo",
];

fn request(method: usize, url: usize, auth: usize, secret: usize, net: usize, extra: usize) -> Request {
    let mut r = Request::new(METHODS[method % METHODS.len()], URLS[url % URLS.len()]);
    let secret = SECRETS[secret % SECRETS.len()];
    match auth % 6 {
        0 => {}
        1 | 2 => r = r.header("Authorization", &format!("Bearer {secret}")),
        3 => r = r.header("Authorization", &basic("x-token-auth", secret)),
        4 if !secret.starts_with(['n', 'c']) => r = r.header("Authorization", &basic("mary@acme.test", secret)),
        4 => r = r.header("Authorization", &basic("carl@contractor.test", secret)),
        _ => r = r.header("Authorization", "Bearer a").header("authorization", "Bearer b"),
    }
    r = match net % 6 {
        0 => r,
        1 => r.from_addr("203.0.113.7"),
        2 => r.from_addr("10.0.0.1:443").header("X-Forwarded-For", "203.0.113.9, 10.0.0.2"),
        3 => r.from_addr("[2001:db8::1]:443"),
        4 => r.from_addr("::ffff:198.51.100.4"),
        _ => r.from_addr("10.0.0.1").header("x-forwarded-for", "not-an-ip"),
    };
    if extra % 7 == 0 {
        r = r.header("X-HTTP-Method", "DELETE");
    }
    r
}

#[test]
fn fast_decisions_are_the_full_decisions() {
    let engine = engine(86_400 * 30);
    let mut areas = Areas::default();
    let now = Timestamp::parse("2026-11-22T11:00:00Z").unwrap();
    let mut kinds = std::collections::BTreeSet::new();
    let mut reasons = std::collections::BTreeSet::new();
    for method in 0..METHODS.len() {
        for url in 0..URLS.len() {
            for auth in 0..6 {
                for secret in 0..SECRETS.len() {
                    for net in 0..6 {
                        let r = request(method, url, auth, secret, net, url + secret);
                        let want = serde_json::to_value(engine.check(&r, now)).unwrap();
                        let got =
                            fast(&engine, &mut areas, &r, now).expect("a bundle's decisions all take the fast path");
                        assert_eq!(got, want, "{} {} {:?}", r.method, r.url, r.headers);
                        kinds.insert(areas.out[0] as u32 >> MESSAGE_SHIFT);
                        reasons.insert(want["reason"].as_str().unwrap().to_owned());
                    }
                }
            }
        }
    }
    // Every way of giving the message was used (an expired bundle's: below).
    assert_eq!(kinds.len(), 11, "message kinds seen: {kinds:?}");
    assert!(reasons.len() >= 17, "{reasons:?}");
}

#[test]
fn expired_and_not_yet_valid_bundles_decide_fast_too() {
    let engine = engine(3600);
    let mut areas = Areas::default();
    for now in ["2026-11-22T12:00:00Z", "2026-11-21T12:00:00Z", "2026-11-22T10:30:00Z"] {
        let now = Timestamp::parse(now).unwrap();
        let r = request(0, 0, 1, 0, 1, 1);
        let want = serde_json::to_value(engine.check(&r, now)).unwrap();
        assert_eq!(fast(&engine, &mut areas, &r, now), Some(want));
    }
}

#[test]
fn memory_tokens_and_oversized_requests_take_the_full_path() {
    let state = json!({"issued_at": ISSUED, "tokens": [{"id": "t", "kind": "workspace_access_token", "secret": "s", "resource": "acme",
                        "scopes": ["repository"], "created_at": "2026-11-01T00:00:00Z"}],
                       "resources": {"workspaces": [{"slug": "acme"}]}});
    let engine = Engine::from_state_json(&state.to_string()).unwrap();
    let mut areas = Areas::default();
    let now = Timestamp::parse("2026-11-22T11:00:00Z").unwrap();
    let r = Request::new("GET", "/2.0/repositories/acme/web").header("Authorization", "Bearer s");
    assert_eq!(fast(&engine, &mut areas, &r, now), None);
    let anonymous = Request::new("GET", "/2.0/repositories/acme/web");
    assert!(fast(&engine, &mut areas, &anonymous, now).is_some(), "no token: no slot needed");
    assert!(!areas.reserve(MAX_REQUEST + 1));
    // Lengths past the area or text that is not UTF-8 are no request.
    assert_eq!(check(&engine, &mut areas, [MAX_REQUEST * 2, 0, 0, 0, 0], 0, now), FULL);
    areas.request[0] = 0xff;
    assert_eq!(check(&engine, &mut areas, [1, 0, 0, 0, 0], 0, now), FULL);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn random_requests_decide_alike(method in ".{0,8}", url in "(https?://h)?(/[a-zA-Z0-9%.~-]{0,8}){0,7}(\\?[a-z=&-]{0,12})?", auth in 0usize..6,
                                    secret in 0usize..12, net in 0usize..6, extra in 0usize..7) {
        let engine = engine(86_400 * 30);
        let mut areas = Areas::default();
        let now = Timestamp::parse("2026-11-22T11:00:00Z").unwrap();
        let mut r = request(0, 0, auth, secret, net, extra);
        r.method = method;
        r.url = url;
        let want = serde_json::to_value(engine.check(&r, now)).unwrap();
        prop_assert_eq!(fast(&engine, &mut areas, &r, now), Some(want));
    }
}
