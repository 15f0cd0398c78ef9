//! Snapshots only move forward, and only at a sane clock (issue 11, items 2 and 3): a full
//! bundle older than the one in use, an older delta, or another delta with the same `issued_at`
//! would bring revoked tokens back; a `now` far before a snapshot's `issued_at` would let
//! revoked and expired tokens through.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod bundle_support;

use bundle_support::*;
use scopegate::{build_delta, BundleError, Engine, Error, Reason, Request, Timestamp, CLOCK_SKEW_SECONDS};
use serde_json::{json, Value};

/// The small state at `at`, with t-mary revoked when `revoked`.
fn state_at(at: &str, revoked: bool) -> Value {
    let mut s = small_state();
    s["issued_at"] = json!(at);
    if revoked {
        s["tokens"][0]["revoked_at"] = json!("2026-11-22T10:00:30Z");
    }
    s
}

fn delta(base: &[u8], state: &Value) -> Vec<u8> {
    build_delta(base, &compile(state), &private_key(1), TTL).unwrap()
}

fn bundle_err(result: Result<impl Sized, Error>) -> BundleError {
    match result {
        Err(Error::Bundle(e)) => e,
        Err(other) => panic!("not a bundle error: {other}"),
        Ok(_) => panic!("accepted"),
    }
}

fn at(text: &str) -> Timestamp {
    Timestamp::parse(text).unwrap()
}

/// A time inside the life of every bundle here (issued 10:00 to 10:02, one hour each).
fn later() -> Timestamp {
    at("2026-11-22T10:10:00Z")
}

#[test]
fn a_full_bundle_older_than_the_one_in_use_is_refused() {
    let older = build(&state_at("2026-11-22T10:00:00Z", false));
    let newer = build(&state_at("2026-11-22T10:01:00Z", true));
    let keys = [public_key(1)];
    let current = Engine::load(&newer, &keys, later()).unwrap();
    assert_eq!(decision(&current, "secret-t-mary", later()).reason, Reason::TokenRevoked);

    // A refresh holds the next bundle to the issued_at of the one in use.
    let floor = Timestamp::parse(&current.info().issued_at);
    let err = bundle_err(Engine::load_since(older.clone(), &keys, later(), floor));
    assert_eq!(err, BundleError::Rollback("2026-11-22T10:00:00Z".into(), "2026-11-22T10:01:00Z".into()));
    assert_eq!(
        err.to_string(),
        "bundle is a rollback: issued at 2026-11-22T10:00:00Z, before 2026-11-22T10:01:00Z (the one in use); \
         an older snapshot would bring back revoked tokens"
    );
    // The same bundle again, or a newer one, loads.
    assert!(Engine::load_since(newer.clone(), &keys, later(), floor).is_ok());
    let newest = build(&state_at("2026-11-22T10:02:00Z", true));
    assert!(Engine::load_since(newest, &keys, later(), floor).is_ok());
    // Without a floor the older bundle still verifies: the check is the caller's to ask for.
    let unguarded = Engine::load(&older, &keys, later()).unwrap();
    assert_eq!(decision(&unguarded, "secret-t-mary", later()).reason, Reason::Ok);
}

#[test]
fn a_different_delta_with_the_same_issued_at_is_refused() {
    let base = build(&state_at("2026-11-22T10:00:00Z", false));
    let mut engine = load(&base);
    let revoking = delta(&base, &state_at("2026-11-22T10:01:00Z", true));
    // Same issued_at, without the revocation (and a label changed, so it is not empty).
    let mut undoing_state = state_at("2026-11-22T10:01:00Z", false);
    undoing_state["tokens"][0]["label"] = json!("relabelled");
    let undoing = delta(&base, &undoing_state);
    assert_ne!(revoking, undoing);

    engine.apply_delta(&revoking, later()).unwrap();
    assert_eq!(decision(&engine, "secret-t-mary", later()).reason, Reason::TokenRevoked);
    let info = serde_json::to_value(engine.info()).unwrap();

    let err = bundle_err(engine.apply_delta(&undoing, later()));
    assert!(matches!(&err, BundleError::Stale(_)), "{err}");
    assert_eq!(
        err.to_string(),
        "delta is stale: issued at 2026-11-22T10:01:00Z, like the delta applied, but not the same bytes: \
         one time names one delta"
    );
    assert_eq!(decision(&engine, "secret-t-mary", later()).reason, Reason::TokenRevoked, "unchanged");
    assert_eq!(serde_json::to_value(engine.info()).unwrap(), info);

    // The same delta again is a no-op; an older one is a rollback.
    engine.apply_delta(&revoking, later()).unwrap();
    assert_eq!(decision(&engine, "secret-t-mary", later()).reason, Reason::TokenRevoked);
    let older = delta(&base, &state_at("2026-11-22T10:00:30Z", false));
    let err = bundle_err(engine.apply_delta(&older, later()));
    assert_eq!(
        err.to_string(),
        "delta is stale: issued at 2026-11-22T10:00:30Z, before the snapshot in use (issued at 2026-11-22T10:01:00Z): \
         a rollback"
    );
    // A newer delta moves on.
    engine.apply_delta(&delta(&base, &state_at("2026-11-22T10:02:00Z", true)), later()).unwrap();
    assert_eq!(engine.info().issued_at, "2026-11-22T10:02:00Z");
}

#[test]
fn another_engine_on_the_same_base_is_held_to_a_floor() {
    let base = build(&state_at("2026-11-22T10:00:00Z", false));
    let revoking = delta(&base, &state_at("2026-11-22T10:01:00Z", true));
    let older = delta(&base, &state_at("2026-11-22T10:00:30Z", false));
    let mut first = load(&base);
    first.apply_delta(&revoking, later()).unwrap();
    // A fresh engine (a reload, another isolate) knows nothing of `first`'s delta...
    let mut fresh = load(&base);
    assert!(fresh.clone().apply_delta(&older, later()).is_ok());
    // ...unless it is given the issued_at in use.
    let floor = Timestamp::parse(&first.info().issued_at);
    let err = bundle_err(fresh.apply_delta_since(&older, later(), floor));
    assert_eq!(err, BundleError::Rollback("2026-11-22T10:00:30Z".into(), "2026-11-22T10:01:00Z".into()));
    fresh.apply_delta_since(&revoking, later(), floor).unwrap();
    assert_eq!(decision(&fresh, "secret-t-mary", later()).reason, Reason::TokenRevoked);
}

#[test]
fn a_bundle_or_delta_from_the_future_is_refused_at_load() {
    let bytes = build(&small_state());
    let keys = [public_key(1)];
    let edge = issued().plus(-CLOCK_SKEW_SECONDS);
    assert!(Engine::load(&bytes, &keys, edge).is_ok(), "five minutes of skew are allowed");
    let err = bundle_err(Engine::load(&bytes, &keys, edge.plus(-1)));
    assert_eq!(err, BundleError::NotYetValid(ISSUED.into(), "2026-11-22T09:54:59Z".into()));
    assert_eq!(
        err.to_string(),
        "bundle is not valid yet: issued at 2026-11-22T10:00:00Z, more than 5 minutes after now \
         (2026-11-22T09:54:59Z); the clock is behind or the bundle is from the future"
    );
    // `now: 0` (1970) loads nothing.
    assert!(matches!(
        bundle_err(Engine::load(&bytes, &keys, Timestamp::from_unix_seconds(0))),
        BundleError::NotYetValid(..)
    ));

    let mut engine = load(&bytes);
    let future = delta(&bytes, &state_at("2026-11-22T11:00:00Z", true));
    let err = bundle_err(engine.apply_delta(&future, issued().plus(60)));
    assert!(matches!(err, BundleError::NotYetValid(..)), "{err}");
    engine.apply_delta(&future, at("2026-11-22T10:56:00Z")).unwrap();
}

#[test]
fn requests_at_a_clock_before_the_snapshot_are_denied() {
    let bytes = build(&small_state());
    let signed = load(&bytes);
    let unsigned = Engine::from_state_json(&small_state().to_string()).unwrap();
    for engine in [&signed, &unsigned] {
        assert_eq!(decision(engine, "secret-t-mary", now()).reason, Reason::Ok);
        for early in
            [Timestamp::from_unix_seconds(0), issued().plus(-CLOCK_SKEW_SECONDS - 1), at("2025-01-01T00:00:00Z")]
        {
            let d = decision(engine, "secret-t-mary", early);
            assert_eq!(d.reason, Reason::BundleNotYetValid, "{early}");
            assert!(!d.allow);
            assert!(d.message.contains(ISSUED), "{}", d.message);
            // Anonymous reads too.
            let anonymous = engine.check(&Request::new("GET", "/2.0/repositories/acme/docs"), early);
            assert_eq!(anonymous.reason, Reason::BundleNotYetValid);
        }
        let explained = engine.explain(&requests("secret-t-mary")[0], Timestamp::from_unix_seconds(0));
        assert_eq!(explained.steps.first().map(|s| (s.step, s.ok)), Some(("bundle", false)));
        assert_eq!(decision(engine, "secret-t-mary", issued().plus(-CLOCK_SKEW_SECONDS)).reason, Reason::Ok);
    }
}
