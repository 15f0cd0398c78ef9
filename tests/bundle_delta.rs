//! Delta bundles: small signed updates on a named base, applied atomically or not at all.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod bundle_support;

use bundle_support::*;
use scopegate::{build_delta, inspect_bundle, BundleError, Engine, Error, Reason, Timestamp};
use serde_json::{json, Value};

const SECRETS: [&str; 5] = ["secret-t-mary", "secret-t-repo", "secret-t-ci", "secret-t-org", "secret-t-new"];

/// The small state a minute later: t-mary revoked, t-org removed, t-new added.
fn next_state() -> Value {
    let mut s = small_state();
    s["issued_at"] = json!("2026-11-22T10:01:00Z");
    let tokens = s["tokens"].as_array_mut().unwrap();
    tokens[0]["revoked_at"] = json!("2026-11-22T10:00:30Z");
    tokens.retain(|t| t["id"] != "t-org");
    tokens
        .push(json!({"id": "t-new", "kind": "personal_access_token", "secret": "secret-t-new", "principal": "u-mary",
                       "scopes": ["repository"], "created_at": "2026-11-22T10:00:40Z"}));
    s
}

fn delta(base: &[u8], state: &Value) -> Vec<u8> {
    build_delta(base, &compile(state), &private_key(1), TTL).unwrap()
}

/// Everything observable about an engine, to prove a rejected delta changed nothing.
fn observe(engine: &Engine) -> Value {
    let decisions: Vec<Value> = SECRETS.iter().map(|s| json!(decisions(engine, s, now()))).collect();
    let ids: Vec<String> = engine.snapshot().tokens().map(|t| t.id).collect();
    json!({"info": serde_json::to_value(engine.info()).unwrap(), "decisions": decisions, "ids": ids})
}

#[test]
fn a_delta_revokes_adds_and_removes() {
    let base = build(&small_state());
    let mut engine = load(&base);
    assert_eq!(decision(&engine, "secret-t-mary", now()).reason, Reason::Ok);
    assert_eq!(decision(&engine, "secret-t-new", now()).reason, Reason::UnknownToken);

    let d = delta(&base, &next_state());
    assert!(d.len() < base.len() / 4, "delta {} bytes, base {}", d.len(), base.len());
    let info = inspect_bundle(&d, &[public_key(1)]).unwrap();
    assert_eq!((info.kind, info.tokens, info.removed, info.meta), ("delta", 2, 1, false));
    assert_eq!(info.base.as_deref(), Some(inspect_bundle(&base, &[public_key(1)]).unwrap().sha256.as_str()));

    engine.apply_delta(&d, now()).unwrap();
    assert_eq!(decision(&engine, "secret-t-mary", now()).reason, Reason::TokenRevoked);
    assert_eq!(decision(&engine, "secret-t-org", now()).reason, Reason::UnknownToken);
    assert_eq!(decision(&engine, "secret-t-new", now()).token.unwrap().id, "t-new");

    // The overlay decides exactly like the new state, unsigned.
    let unsigned = Engine::from_state_json(&next_state().to_string()).unwrap();
    for s in SECRETS {
        assert_eq!(decisions(&engine, s, now()), decisions(&unsigned, s, now()), "{s}");
    }
    let ids: Vec<String> = engine.snapshot().tokens().map(|t| t.id).collect();
    let want: Vec<String> = unsigned.snapshot().tokens().map(|t| t.id).collect();
    assert_eq!(ids, want);
    assert_eq!(engine.info().tokens, 4);
    assert_eq!(engine.info().issued_at, "2026-11-22T10:01:00Z");
    // Fresh until the delta's expiry, not the base's.
    assert_eq!(engine.info().expires_at.as_deref(), Some("2026-11-22T11:01:00Z"));
    assert_eq!(engine.info().bundle_bytes, base.len() + d.len());
    let late = Timestamp::parse("2026-11-22T11:00:30Z").unwrap();
    assert_ne!(decision(&engine, "secret-t-ci", late).reason, Reason::BundleExpired);
    let later = Timestamp::parse("2026-11-22T11:01:00Z").unwrap();
    assert_eq!(decision(&engine, "secret-t-ci", later).reason, Reason::BundleExpired);
}

#[test]
fn policy_changes_ship_the_meta_section() {
    let base = build(&small_state());
    let mut engine = load(&base);
    let mut changed = small_state();
    changed["issued_at"] = json!("2026-11-22T10:05:00Z");
    changed["default_policy"] = json!({"api_tokens": "block"});
    let d = delta(&base, &changed);
    let info = inspect_bundle(&d, &[public_key(1)]).unwrap();
    assert!(info.meta);
    assert_eq!((info.tokens, info.removed), (0, 0));
    let before = decision(&engine, "secret-t-mary", now());
    assert_ne!(before.reason, Reason::ApiTokensBlocked);
    engine.apply_delta(&d, now()).unwrap();
    assert_eq!(decision(&engine, "secret-t-mary", now()).reason, Reason::ApiTokensBlocked);
    let unsigned = Engine::from_state_json(&changed.to_string()).unwrap();
    for s in SECRETS {
        assert_eq!(decisions(&engine, s, now()), decisions(&unsigned, s, now()), "{s}");
    }
}

#[test]
fn deltas_are_cumulative_against_the_base() {
    let base = build(&small_state());
    let mut engine = load(&base);
    engine.apply_delta(&delta(&base, &next_state()), now()).unwrap();
    assert_eq!(decision(&engine, "secret-t-mary", now()).reason, Reason::TokenRevoked);
    // A later state in which the revocation was undone and t-org is back: the second delta
    // replaces the first, it does not stack on it.
    let mut later = small_state();
    later["issued_at"] = json!("2026-11-22T10:02:00Z");
    engine.apply_delta(&delta(&base, &later), now()).unwrap();
    let unsigned = Engine::from_state_json(&later.to_string()).unwrap();
    for s in SECRETS {
        assert_eq!(decisions(&engine, s, now()), decisions(&unsigned, s, now()), "{s}");
    }
    assert_eq!(engine.info().tokens, 4);
    // Re-delivering the same delta is harmless.
    engine.apply_delta(&delta(&base, &later), now()).unwrap();
}

#[test]
fn rejected_deltas_leave_the_engine_unchanged() {
    let base = build(&small_state());
    let mut engine = load(&base);
    let good = delta(&base, &next_state());
    engine.apply_delta(&good, now()).unwrap();
    let seen = observe(&engine);

    // Wrong base: built on another bundle.
    let mut other_state = small_state();
    other_state["tokens"].as_array_mut().unwrap().pop();
    let other_base = build(&other_state);
    let wrong_base = delta(&other_base, &next_state());
    assert_eq!(engine.apply_delta(&wrong_base, now()), Err(Error::Bundle(BundleError::WrongBase)));

    // Stale: older than the delta applied.
    let mut older = next_state();
    older["issued_at"] = json!("2026-11-22T10:00:30Z");
    let stale = delta(&base, &older);
    let err = engine.apply_delta(&stale, now()).unwrap_err();
    assert!(matches!(&err, Error::Bundle(BundleError::Stale(_))), "{err}");
    assert!(err.to_string().starts_with("delta is stale: issued at 2026-11-22T10:00:30Z"), "{err}");

    // Bad signature: one flipped bit in the records.
    let mut flipped = good.clone();
    let at = flipped.len() - 70;
    flipped[at] ^= 0x10;
    assert_eq!(engine.apply_delta(&flipped, now()), Err(Error::Bundle(BundleError::BadSignature)));

    // Unknown key.
    let foreign = build_delta(&base, &compile(&next_state()), &private_key(5), TTL).unwrap();
    assert!(matches!(engine.apply_delta(&foreign, now()), Err(Error::Bundle(BundleError::UnknownKey(_)))));

    // Expired.
    let past = Timestamp::parse("2026-11-22T11:01:00Z").unwrap();
    assert!(matches!(engine.apply_delta(&good, past), Err(Error::Bundle(BundleError::Expired(_)))));

    // A full bundle where a delta belongs, and truncations.
    assert!(matches!(engine.apply_delta(&base, now()), Err(Error::Bundle(BundleError::WrongType(_)))));
    for len in [0, 3, 50, good.len() - 1] {
        assert_eq!(engine.apply_delta(&good[..len], now()), Err(Error::Bundle(BundleError::Truncated)), "{len}");
    }

    assert_eq!(observe(&engine), seen);
}

#[test]
fn deltas_need_a_signed_engine_and_a_real_base() {
    let base = build(&small_state());
    let d = delta(&base, &next_state());
    let mut unsigned = Engine::from_state_json(&small_state().to_string()).unwrap();
    assert!(matches!(unsigned.apply_delta(&d, now()), Err(Error::Input(_))));
    // A delta cannot be the base of a delta, and a state cannot go back in time.
    assert!(matches!(
        build_delta(&d, &compile(&next_state()), &private_key(1), TTL),
        Err(Error::Bundle(BundleError::WrongType(_)))
    ));
    let mut earlier = small_state();
    earlier["issued_at"] = json!("2026-11-22T09:00:00Z");
    let err = build_delta(&base, &compile(&earlier), &private_key(1), TTL).unwrap_err();
    assert!(err.to_string().contains("before the base bundle"), "{err}");
    assert!(matches!(
        build_delta(&base[..100], &compile(&next_state()), &private_key(1), TTL),
        Err(Error::Bundle(BundleError::Truncated))
    ));
}

#[test]
fn an_unchanged_state_gives_an_empty_delta_and_deltas_are_deterministic() {
    let base = build(&small_state());
    let mut same = small_state();
    same["issued_at"] = json!("2026-11-22T10:10:00Z");
    let d = delta(&base, &same);
    let info = inspect_bundle(&d, &[public_key(1)]).unwrap();
    assert_eq!((info.tokens, info.removed, info.meta), (0, 0, false));
    assert!(d.len() < 300, "{}", d.len());
    assert_eq!(delta(&base, &same), d);
}

#[test]
fn every_single_bit_flip_of_a_delta_is_rejected() {
    let mut base_state = small_state();
    base_state["tokens"].as_array_mut().unwrap().truncate(1);
    let mut next = base_state.clone();
    next["issued_at"] = json!("2026-11-22T10:01:00Z");
    next["tokens"][0]["revoked_at"] = json!("2026-11-22T10:00:30Z");
    let base = build(&base_state);
    let d = delta(&base, &next);
    let engine = load(&base);
    for byte in 0..d.len() {
        for bit in 0..8 {
            let mut flipped = d.clone();
            flipped[byte] ^= 1 << bit;
            let mut e = engine.clone();
            assert!(e.apply_delta(&flipped, now()).is_err(), "byte {byte} bit {bit}");
        }
    }
}
