//! Build -> load round trips: a signed engine decides exactly as the unsigned state engine.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod bundle_support;

use bundle_support::*;
use proptest::prelude::*;
use scopegate::{build_bundle, inspect_bundle, CompiledState, Engine, Error, Reason};
use serde_json::json;

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn signed_engine_decides_like_the_state((state, secrets) in random_state()) {
        let json = state.to_string();
        let unsigned = Engine::from_state_json(&json).unwrap();
        let bytes = build(&state);
        let signed = load(&bytes);
        prop_assert_eq!(signed.info().tokens, secrets.len());
        for at in [now(), issued().plus(TTL as i64 - 1)] {
            for secret in &secrets {
                let a = decisions(&unsigned, secret, at);
                let b = decisions(&signed, secret, at);
                prop_assert_eq!(a, b, "secret {}", secret);
            }
            // Unknown secrets are unknown on both.
            prop_assert_eq!(decisions(&unsigned, "not-a-token", at), decisions(&signed, "not-a-token", at));
        }
        // Every record comes back field for field (the iterated digest keeps only its prefix).
        let compiled = CompiledState::from_json(&json).unwrap();
        let state_tokens = compiled.tokens();
        let records: Vec<_> = signed.snapshot().tokens().collect();
        prop_assert_eq!(records.len(), state_tokens.len());
        for (got, want) in records.iter().zip(state_tokens) {
            prop_assert_eq!(&got.digest[..16], &want.digest[..16]);
            prop_assert_eq!(&got.digest[16..], &[0u8; 16][..]);
            let mut got = got.clone();
            got.digest = want.digest;
            prop_assert_eq!(&got, want);
            prop_assert_eq!(signed.snapshot().token(&want.digest), Some(want.clone()));
        }
        // Deterministic.
        prop_assert_eq!(build(&state), bytes);
    }
}

#[test]
fn small_state_round_trips_and_reports_info() {
    let state = small_state();
    let bytes = build(&state);
    let signed = load(&bytes);
    let unsigned = Engine::from_state_json(&state.to_string()).unwrap();
    for id in ["t-mary", "t-repo", "t-ci", "t-org"] {
        let secret = format!("secret-{id}");
        assert_eq!(decisions(&signed, &secret, now()), decisions(&unsigned, &secret, now()), "{id}");
        let d = decision(&signed, &secret, now());
        assert_eq!(d.token.as_ref().map(|t| t.id.as_str()), Some(id));
    }
    let info = signed.info();
    assert!(info.signed);
    assert_eq!(info.bundle_bytes, bytes.len());
    assert_eq!(info.tokens, 4);
    assert_eq!(info.issued_at, ISSUED);
    assert_eq!(info.expires_at.as_deref(), Some("2026-11-22T11:00:00Z"));
    let unsigned_info = unsigned.info();
    assert_eq!(
        (info.principals, info.repositories, info.policies, info.routes),
        (unsigned_info.principals, unsigned_info.repositories, unsigned_info.policies, unsigned_info.routes)
    );

    let inspected = inspect_bundle(&bytes, &[public_key(1)]).unwrap();
    assert_eq!(inspected.kind, "bundle");
    assert_eq!(inspected.version, 4);
    assert_eq!(inspected.tokens, 4);
    assert_eq!(inspected.key_id, public_key(1).key_id().to_string());
    assert_eq!(inspected.bytes, bytes.len());
    // Expired from `expires_at` on, as loading judges it.
    assert!(!inspected.expired_at(issued()));
    assert!(!inspected.expired_at(issued().plus(TTL as i64 - 1)));
    assert!(inspected.expired_at(issued().plus(TTL as i64)));
    let s = &inspected.sections;
    let sum = s.header
        + s.meta
        + s.profile
        + s.strings
        + s.resources
        + s.scope_sets
        + s.ip_lists
        + s.prefixes
        + s.blocks
        + s.records
        + s.removed
        + s.signature;
    assert_eq!(sum, bytes.len());
    assert_eq!(s.prefixes, 4 * 16);
}

#[test]
fn a_loaded_bundle_denies_once_it_expires() {
    let bytes = build(&small_state());
    let engine = load(&bytes);
    assert_ne!(decision(&engine, "secret-t-mary", issued().plus(TTL as i64 - 1)).reason, Reason::BundleExpired);
    let d = decision(&engine, "secret-t-mary", issued().plus(TTL as i64));
    assert_eq!(d.reason, Reason::BundleExpired);
    assert!(!d.allow);
}

#[test]
fn same_state_and_key_give_identical_bytes_and_other_keys_differ() {
    let state = compile(&small_state());
    let a = build_bundle(&state, &private_key(1), TTL).unwrap();
    let b = build_bundle(&compile(&small_state()), &private_key(1), TTL).unwrap();
    assert_eq!(a, b);
    let c = build_bundle(&state, &private_key(2), TTL).unwrap();
    assert_ne!(a, c);
    // Token order in the input does not matter: the table is sorted by digest.
    let mut reversed = small_state();
    let tokens = reversed["tokens"].as_array_mut().unwrap();
    tokens.reverse();
    assert_eq!(build(&reversed), a);
}

#[test]
fn no_secret_ever_enters_the_bundle() {
    let bytes = build(&small_state());
    for id in ["t-mary", "t-repo", "t-ci", "t-org"] {
        let secret = format!("secret-{id}");
        assert!(!bytes.windows(secret.len()).any(|w| w == secret.as_bytes()), "{secret}");
        // Nor its full digest: only the 16-byte prefix is stored.
        let digest = scopegate::digest_token(&secret);
        assert!(!bytes.windows(32).any(|w| w == digest), "{id}");
        assert!(bytes.windows(16).any(|w| w == &digest[..16]), "{id}");
    }
}

#[test]
fn a_state_with_a_bad_field_fails_with_its_path_and_builds_nothing() {
    let mut state = small_state();
    state["tokens"][2]["expires_at"] = json!("tomorrow");
    let err = CompiledState::from_json(&state.to_string()).unwrap_err();
    assert!(matches!(&err, Error::State { path, .. } if path == "tokens[2].expires_at"), "{err}");
    assert_eq!(err.to_string(), "tokens[2].expires_at: expected an RFC 3339 time, got \"tomorrow\"");
}

#[test]
fn digest_prefix_collisions_are_refused_at_build() {
    let a = "ab".repeat(16) + &"00".repeat(16);
    let b = "ab".repeat(16) + &"11".repeat(16);
    let state = json!({
        "issued_at": ISSUED, "resources": resources(), "principals": principals(),
        "tokens": [
            {"id": "t-a", "kind": "org_api_key", "secret_sha256": a},
            {"id": "t-b", "kind": "org_api_key", "secret_sha256": b}
        ]
    });
    let err = build_bundle(&compile(&state), &private_key(1), TTL).unwrap_err().to_string();
    assert!(err.contains("`t-a`") && err.contains("`t-b`") && err.contains("first 16 bytes"), "{err}");
}

#[test]
fn ttl_must_be_positive_and_fit() {
    let state = compile(&small_state());
    assert!(build_bundle(&state, &private_key(1), 0).unwrap_err().to_string().contains("at least 1"));
    assert!(build_bundle(&state, &private_key(1), u64::MAX).is_err());
}

#[test]
fn many_tokens_cross_block_boundaries() {
    // 100 tokens: several 16-record blocks, interpolation and binary search both exercised.
    let tokens: Vec<_> = (0..100)
        .map(|i| json!({"id": format!("t-{i}"), "kind": "api_token", "secret": format!("s-{i}"), "principal": "u-mary",
                        "scopes": ["repository"], "label": if i % 3 == 0 { json!(format!("label {i}")) } else { json!(null) }}))
        .collect();
    let state = json!({"issued_at": ISSUED, "resources": resources(), "principals": principals(), "tokens": tokens});
    let engine = load(&build(&state));
    let unsigned = Engine::from_state_json(&state.to_string()).unwrap();
    for i in 0..100 {
        let secret = format!("s-{i}");
        assert_eq!(decisions(&engine, &secret, now()), decisions(&unsigned, &secret, now()));
        assert_eq!(decision(&engine, &secret, now()).token.unwrap().id, format!("t-{i}"));
    }
    assert_eq!(decision(&engine, "s-100", now()).reason, Reason::UnknownToken);
    assert_eq!(engine.snapshot().tokens().count(), 100);
}

#[test]
fn decisions_are_varied_not_all_the_same_deny() {
    let engine = load(&build(&small_state()));
    let mut reasons = std::collections::BTreeSet::new();
    for id in ["t-mary", "t-repo", "t-ci", "t-org"] {
        for d in decisions(&engine, &format!("secret-{id}"), now()) {
            reasons.insert(d["reason"].as_str().unwrap().to_string());
        }
    }
    eprintln!("{reasons:?}");
    assert!(reasons.contains("ok"), "{reasons:?}");
    assert!(reasons.len() >= 3, "{reasons:?}");
}
