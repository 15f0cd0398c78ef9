//! What is checked is what is served (issue 11 item 1, issue 7 item 4): for random URLs (paths
//! with dot segments, escapes, `://`, backslashes and the like, random query strings, absolute
//! and origin forms), the resource the engine checks is the resource a standard URL parser (the
//! `url` crate, WHATWG rules, what the origin behind the gate sees) finds in the path, or the
//! engine refuses the request as `malformed_request`.
//!
//! The reference (`url_reference`, shared with the `request` fuzz target) shares nothing with
//! `src/`: it parses with `url`, decodes the segments itself, and reads the resource from the two
//! route shapes the generator makes (`/2.0/repositories/{workspace}[/{repo_slug}/...]` and Git's
//! `/{workspace}/{repo_slug}[.git]/info/refs`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod url_reference;

use std::cell::Cell;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use scopegate::{Engine, Reason, Request, Timestamp};

const STATE: &str = r#"{"issued_at": "2026-11-22T10:00:00Z",
  "resources": {"workspaces": [{"slug": "acme"}, {"slug": "globex"}],
                "repositories": [{"workspace": "acme", "slug": "web", "public": true},
                                 {"workspace": "acme", "slug": "secret"},
                                 {"workspace": "globex", "slug": "engine"}]}}"#;

fn now() -> Timestamp {
    Timestamp::parse("2026-11-22T12:00:00Z").unwrap()
}

/// What the engine checks: `Err(())` when it refuses the request as malformed, else the
/// resource of the route it matched (an anonymous request still reports what it required).
fn checked(engine: &Engine, url: &str) -> Result<Option<String>, ()> {
    let d = engine.check(&Request::new("GET", url), now());
    if d.reason == Reason::MalformedRequest {
        return Err(());
    }
    assert!(
        matches!(d.reason, Reason::NoCredentials | Reason::AnonymousPublicRead),
        "{url:?}: unexpected {}",
        d.reason.code()
    );
    Ok(d.required.and_then(|r| r.resource))
}

/// Agreement for one URL; `Some(true)` when the engine checked a resource, `Some(false)` when it
/// refused, `None` when it matched no route.
fn agree(engine: &Engine, url: &str) -> Result<Option<bool>, TestCaseError> {
    match checked(engine, url) {
        Err(()) => Ok(Some(false)),
        Ok(None) => Ok(None),
        Ok(Some(resource)) => {
            let want = url_reference::reference(url).map_err(|e| {
                TestCaseError::fail(format!("{url:?}: the engine checked {resource}, a standard parser refuses: {e}"))
            })?;
            prop_assert_eq!(Some(&resource), want.as_ref(), "{:?}", url);
            Ok(Some(true))
        }
    }
}

fn segment() -> impl Strategy<Value = String> {
    let pick = |list: Vec<&'static str>| prop::sample::select(list).prop_map(str::to_string);
    prop_oneof![
        6 => pick(vec!["acme", "web", "secret", "globex", "engine", "src", "main", "2.0", "repositories"]),
        2 => pick(vec![".", "..", "%2e", "%2E%2e", ".%2e", "%2e.", "web.git", "secret.git"]),
        2 => pick(vec!["%2f", "a%2Fb", "%5c", "%20", "%41", "%zz", "%", "%e9", "we%2Eb", "%C3%A9"]),
        2 => pick(vec![";", "a;b", "\\", "a\\b", "\t", "a\nb", "", "x:", "http:", "https:", "we b", "é", "?", "#"]),
        1 => "[a-z.%:;/\\\\]{1,4}",
    ]
}

/// A path built around the two route shapes, with random segments in random places.
fn path() -> impl Strategy<Value = String> {
    let shape = prop_oneof![
        Just(vec!["2.0", "repositories", "acme", "web"]),
        Just(vec!["2.0", "repositories", "acme", "secret", "src", "main", "README.md"]),
        Just(vec!["2.0", "repositories", "globex", "engine", "pullrequests"]),
        Just(vec!["2.0", "repositories", "acme"]),
        Just(vec!["acme", "web.git", "info", "refs"]),
        Just(vec!["acme", "secret", "git-upload-pack"]),
    ];
    let inserts = prop_oneof![1 => Just(Vec::new()), 2 => prop::collection::vec((0usize..8, segment()), 1..3)];
    (shape, inserts, prop::bool::weighted(0.1)).prop_map(|(shape, inserts, trailing)| {
        let mut parts: Vec<String> = shape.into_iter().map(str::to_string).collect();
        for (at, seg) in inserts {
            let at = at.min(parts.len());
            parts.insert(at, seg);
        }
        let mut p = format!("/{}", parts.join("/"));
        if trailing {
            p.push('/');
        }
        p
    })
}

fn query() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => Just(String::new()),
        2 => prop::sample::select(vec![
            "?next=http://h/2.0/repositories/acme/web",
            "?x=https://h/2.0/repositories/globex/engine&y=1",
            "?service=git-upload-pack&x=http://h/acme/web.git/info/refs",
            "?a=/../secret",
            "#frag://h/2.0/repositories/acme/web",
            "?q=%2e%2e/%2fsecret#x",
        ])
        .prop_map(str::to_string),
        1 => "[?#][a-z0-9:/?#&=%.\\\\]{0,24}",
    ]
}

fn prefix() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => Just(""),
        2 => Just("https://api.bitbucket.test"),
        1 => Just("http://api.bitbucket.test"),
        1 => Just("HTTPS://api.bitbucket.test:443"),
        1 => Just("http://user:pw@api.bitbucket.test"),
        1 => Just("http://[2001:db8::1]:8080"),
        1 => Just("//api.bitbucket.test"),
        1 => Just("http:/api.bitbucket.test"),
        1 => Just("http:\\\\api.bitbucket.test"),
        1 => Just("http:"),
        1 => Just("http://h\\@api.bitbucket.test"),
        1 => Just("ftp://api.bitbucket.test"),
        1 => prop::sample::select(vec![
            "http://203.0.113.9", "http://1.2.3.4.5", "http://256.1.1.1", "http://0x7f", "http://xn--a",
            "http://a..b", "http://[1:2]", "http://h:65536", "http://h:", "http://api.test.", "http://a@b@api.test",
        ]),
        1 => Just("x"),
    ]
    .prop_map(|p: &str| p.to_string())
}

#[test]
fn the_checked_resource_is_the_one_a_standard_parser_reads() {
    let engine = Engine::from_state_json(STATE).unwrap();
    let strategy = (prefix(), path(), query()).prop_map(|(a, b, c)| format!("{a}{b}{c}"));
    let (checked, refused, unrouted) = (Cell::new(0usize), Cell::new(0usize), Cell::new(0usize));
    let mut runner = TestRunner::new(Config { cases: 6000, failure_persistence: None, ..Config::default() });
    runner
        .run(&strategy, |url| {
            match agree(&engine, &url)? {
                Some(true) => checked.set(checked.get() + 1),
                Some(false) => refused.set(refused.get() + 1),
                None => unrouted.set(unrouted.get() + 1),
            }
            Ok(())
        })
        .unwrap();
    eprintln!(
        "url agreement: {} resources agreed with the url crate, {} requests refused as malformed, {} matched no route",
        checked.get(),
        refused.get(),
        unrouted.get()
    );
    // The property means something only if both sides of it are exercised.
    assert!(checked.get() > 700, "too few URLs reached a route: {}", checked.get());
    assert!(refused.get() > 700, "too few URLs were refused: {}", refused.get());
}

#[test]
fn the_forms_of_issue_11_agree() {
    let engine = Engine::from_state_json(STATE).unwrap();
    for url in [
        "/2.0/repositories/acme/secret?next=http://h/2.0/repositories/acme/web",
        "/2.0/repositories/globex/engine?x=http://h/2.0/repositories/acme/web",
        "/acme/secret.git/info/refs?service=git-upload-pack&x=http://h/acme/web.git/info/refs",
        "https://api.bitbucket.test/2.0/repositories/acme/secret?u=https://h/2.0/repositories/acme/web",
    ] {
        let want = url_reference::reference(url).unwrap();
        assert_eq!(checked(&engine, url), Ok(want.clone()), "{url}");
        assert!(want.is_some_and(|r| !r.ends_with("acme/web")), "{url}");
    }
    for url in [
        "/2.0/repositories/acme/secret/src/main/http://h/2.0/repositories/acme/web",
        "/2.0/repositories/acme/web/../secret",
        "/2.0/repositories/acme/web/%2e%2e/secret",
        "/2.0/repositories/acme%2fsecret",
        "//h/2.0/repositories/acme/web",
        "http://h\\@x/2.0/repositories/acme/web",
    ] {
        assert_eq!(checked(&engine, url), Err(()), "{url}");
    }
}
