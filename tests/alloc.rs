//! Deciding a request over a signed bundle allocates nothing on the heap for the usual
//! outcomes (an allow, a missing scope, an unknown token; Bearer or Basic; a client address
//! from a trusted proxy; a Git route with five path parameters): counted by a global allocator
//! in this test crate, which (unlike the library) may implement one.
#![allow(unsafe_code, clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use base64::Engine as _;
use scopegate::{build_bundle, CompiledState, Engine, PrivateKey, Request, Timestamp};
use serde_json::json;

/// Counts the allocations of the thread that asks (other tests run on other threads).
struct Counting;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: every call is passed on to the system allocator unchanged; the thread-local cells
// are const-initialised, so touching them never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.with(Cell::get) {
            ALLOCATIONS.with(|n| n.set(n.get() + 1));
        }
        // SAFETY: the caller's contract is the system allocator's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if COUNTING.with(Cell::get) {
            ALLOCATIONS.with(|n| n.set(n.get() + 1));
        }
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Heap allocations made by `f` on this thread.
fn allocations<T>(f: impl FnOnce() -> T) -> (T, usize) {
    ALLOCATIONS.with(|n| n.set(0));
    COUNTING.with(|c| c.set(true));
    let out = f();
    COUNTING.with(|c| c.set(false));
    (out, ALLOCATIONS.with(Cell::get))
}

const ISSUED: &str = "2026-11-22T10:00:00Z";

fn engine() -> Engine {
    let state = json!({
        "issued_at": ISSUED,
        "resources": {
            "workspaces": [{"slug": "acme"}],
            "projects": [{"workspace": "acme", "key": "PROJ"}],
            "repositories": [{"workspace": "acme", "slug": "web", "project": "PROJ"}, {"workspace": "acme", "slug": "docs", "public": true}]
        },
        "principals": [
            {"id": "u-mary", "kind": "user", "email": "mary@acme.test", "groups": ["developers"],
             "permissions": [{"resource": "acme/PROJ", "level": "write"}]}
        ],
        "policies": [{"name": "developers", "members": {"groups": ["developers"]}, "max_token_lifetime_days": 90}],
        "network": {"trusted_proxies": ["10.0.0.0/8"], "client_ip_header": "x-forwarded-for"},
        "tokens": [
            {"id": "t-repo", "kind": "repository_access_token", "secret": "repo-secret", "resource": "acme/web",
             "scopes": ["repository", "pullrequest:write"], "label": "CI", "created_at": "2026-11-01T00:00:00Z",
             "expires_at": "2027-01-01T00:00:00Z", "allowed_ips": ["203.0.113.0/24"]},
            {"id": "t-read", "kind": "repository_access_token", "secret": "read-secret", "resource": "acme/web",
             "scopes": ["repository"], "created_at": "2026-11-01T00:00:00Z"},
            {"id": "t-mary", "kind": "api_token", "secret": "mary-secret", "principal": "u-mary",
             "scopes": ["repository:write"], "created_at": "2026-11-01T00:00:00Z", "expires_at": "2026-12-01T00:00:00Z"},
            {"id": "t-mode", "kind": "project_access_token", "secret": "mode-secret", "resource": "acme/PROJ",
             "access": "read_only", "created_at": "2026-11-01T00:00:00Z"}
        ]
    });
    let compiled = CompiledState::from_json(&state.to_string()).unwrap();
    let key = PrivateKey::from_bytes(&[3; 32]);
    let bytes = build_bundle(&compiled, &key, 86_400).unwrap();
    Engine::load(&bytes, &[key.public_key()], now()).unwrap()
}

fn now() -> Timestamp {
    Timestamp::parse(ISSUED).unwrap().plus(3600)
}

fn basic(user: &str, secret: &str) -> String {
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{secret}")))
}

#[test]
fn deciding_allocates_nothing_for_allows_missing_scopes_and_unknown_tokens() {
    let engine = engine();
    let bearer = |secret: &str| format!("Bearer {secret}");
    let cases: Vec<(&str, Request)> = vec![
        (
            "ok",
            Request::new("GET", "/2.0/repositories/acme/web")
                .header("Authorization", &bearer("repo-secret"))
                .from_addr("203.0.113.7"),
        ),
        (
            "ok",
            Request::new("GET", "https://api.example.test/2.0/repositories/acme/web/pullrequests/7/comments/9")
                .header("Authorization", &bearer("repo-secret"))
                .header("X-Forwarded-For", "198.51.100.1, 203.0.113.9")
                .from_addr("10.1.2.3:443"),
        ),
        (
            "ok",
            Request::new("GET", "/acme/web.git/info/refs?service=git-upload-pack")
                .header("Authorization", &basic("x-token-auth", "read-secret")),
        ),
        (
            "ok",
            Request::new("POST", "/2.0/repositories/acme/web/src")
                .header("Authorization", &basic("mary@acme.test", "mary-secret")),
        ),
        (
            "ok",
            Request::new("GET", "/2.0/repositories/acme/web/issues").header("Authorization", &bearer("mode-secret")),
        ),
        (
            "ok",
            Request::new("GET", "/2.0/repositories/acme/docs/src/main/a/b/c.md")
                .header("Authorization", &bearer("read-secret").replace("read", "mary")),
        ),
        (
            "scope_missing",
            Request::new("GET", "/2.0/repositories/acme/web/pullrequests")
                .header("Authorization", &bearer("read-secret")),
        ),
        (
            "scope_missing",
            Request::new("DELETE", "/2.0/repositories/acme/web").header("Authorization", &bearer("mode-secret")),
        ),
        (
            "unknown_token",
            Request::new("GET", "/2.0/repositories/acme/web").header("Authorization", &bearer("no-such-secret")),
        ),
        (
            "unknown_token",
            Request::new("GET", "/2.0/repositories/acme/web").header("Authorization", &basic("x-token-auth", "nope")),
        ),
        ("anonymous_public_read", Request::new("GET", "/2.0/repositories/acme/docs")),
        ("no_credentials", Request::new("GET", "/2.0/repositories/acme/web")),
    ];
    for (reason, request) in &cases {
        let parts = request.parts();
        let (verdict, count) = allocations(|| engine.decide(&parts, now()));
        assert_eq!(verdict.reason().code(), *reason, "{} {}: {}", request.method, request.url, verdict.message());
        assert_eq!(count, 0, "{} {} ({reason}) allocated {count} times", request.method, request.url);
        // The verdict is the whole decision, allocating only to spell it out.
        assert_eq!(verdict.decision(), engine.check(request, now()), "{} {}", request.method, request.url);
    }
}

#[test]
fn the_counter_counts() {
    let (v, count) = allocations(|| vec![1u8, 2, 3]);
    assert_eq!(v.len(), 3);
    assert_eq!(count, 1);
    // A decision with its text does allocate: the verdict is what stays allocation-free.
    let engine = engine();
    let request = Request::new("GET", "/2.0/repositories/acme/web")
        .header("Authorization", "Bearer repo-secret")
        .from_addr("203.0.113.1");
    let (d, count) = allocations(|| engine.check(&request, now()));
    assert!(d.allow);
    assert!(count > 0);
}
