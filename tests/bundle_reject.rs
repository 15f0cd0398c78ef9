//! Bad bundles are refused, each with an error that says why.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod bundle_support;

use bundle_support::*;
use ed25519_dalek::Signer;
use scopegate::{build_delta, BundleError, Engine, Error};
use serde_json::json;

const HEADER_LEN: usize = 120;

/// A bundle small enough to flip every bit of: an inline profile, two tokens.
fn tiny() -> Vec<u8> {
    let state = json!({
        "issued_at": ISSUED,
        "profile": {"name": "tiny", "base_path": "/2.0",
                    "scopes": [{"name": "repository", "level": "read"}],
                    "routes": [{"method": "GET", "path": "/2.0/repositories/{workspace}/{repo_slug}", "any_of": [["repository"]]}]},
        "resources": {"workspaces": [{"slug": "acme"}], "repositories": [{"workspace": "acme", "slug": "web"}]},
        "principals": [{"id": "u-mary", "kind": "user", "permissions": [{"resource": "acme/web", "level": "read"}]}],
        "tokens": [
            {"id": "t-1", "kind": "api_token", "secret": "one", "principal": "u-mary", "scopes": ["repository"],
             "label": "x", "created_at": "2026-11-01T00:00:00Z", "expires_at": "2026-12-01T00:00:00Z", "revoked_at": "2026-11-20T00:00:00Z"},
            {"id": "t-2", "kind": "repository_access_token", "secret": "two", "resource": "acme/web", "scopes": ["repository"],
             "allowed_ips": ["203.0.113.0/24"], "access": "read_only"}
        ]
    });
    build(&state)
}

/// Replaces the signature of `bytes` with one by test key `n`: proves a check other than the
/// signature catches the change.
fn resign(mut bytes: Vec<u8>, n: u8) -> Vec<u8> {
    let body_len = bytes.len() - 64;
    let sig = ed25519_dalek::SigningKey::from_bytes(&[n; 32]).sign(&bytes[..body_len]);
    bytes[body_len..].copy_from_slice(&sig.to_bytes());
    bytes
}

fn load_err(bytes: &[u8]) -> BundleError {
    match Engine::load(bytes, &[public_key(1)], now()) {
        Err(Error::Bundle(e)) => e,
        Err(other) => panic!("not a bundle error: {other}"),
        Ok(_) => panic!("loaded"),
    }
}

#[test]
fn every_single_bit_flip_is_rejected_with_the_right_error() {
    let bytes = tiny();
    assert!(bytes.len() < 1200, "tiny bundle is {} bytes", bytes.len());
    // The unflipped bundle loads: the refusals below are the flips' doing.
    load(&bytes);
    let key_id = public_key(1).key_id().to_string();
    for byte in 0..bytes.len() {
        for bit in 0..8 {
            let mut flipped = bytes.clone();
            flipped[byte] ^= 1 << bit;
            let err = load_err(&flipped);
            let ok = match byte {
                0..=3 => err == BundleError::WrongMagic,
                4..=5 => matches!(err, BundleError::UnknownVersion(_)),
                8..=15 => matches!(err, BundleError::Truncated | BundleError::Corrupt(_)),
                16..=23 => matches!(&err, BundleError::UnknownKey(id) if *id != key_id),
                _ => err == BundleError::BadSignature,
            };
            assert!(ok, "byte {byte} bit {bit}: {err}");
        }
    }
}

#[test]
fn every_truncation_is_rejected_as_truncated() {
    let bytes = tiny();
    for len in 0..bytes.len() {
        assert_eq!(load_err(&bytes[..len]), BundleError::Truncated, "length {len}");
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(matches!(load_err(&longer), BundleError::Corrupt(m) if m.contains("1 bytes follow")));
}

#[test]
fn wrong_key_is_rejected_and_rotation_picks_the_right_one() {
    let bytes = tiny();
    let err = Engine::load(&bytes, &[public_key(2)], now()).unwrap_err();
    assert_eq!(err, Error::Bundle(BundleError::UnknownKey(public_key(1).key_id().to_string())));
    assert!(err.to_string().starts_with("bundle is signed by key `"), "{err}");
    assert!(Engine::load(&bytes, &[public_key(2), public_key(1), public_key(3)], now()).is_ok());
    assert!(Engine::load(&bytes, &[], now()).is_err());
    // Right key id, wrong signature: signed by key 2 but naming key 1.
    assert_eq!(load_err(&resign(bytes, 2)), BundleError::BadSignature);
}

#[test]
fn unknown_version_is_rejected_even_when_signed() {
    let mut bytes = tiny();
    bytes[4] = 5;
    let err = load_err(&resign(bytes.clone(), 1));
    assert_eq!(err, BundleError::UnknownVersion(5));
    assert_eq!(err.to_string(), "unknown bundle format version 5");
    // Version 1 bundles carried profiles without route levels, version 2 principals without a
    // `username`, version 3 the profile as a document in the meta: refused, never misread.
    for old in [1u8, 2, 3] {
        bytes[4] = old;
        assert_eq!(load_err(&resign(bytes.clone(), 1)), BundleError::UnknownVersion(u16::from(old)));
    }
}

#[test]
fn wrong_magic_is_rejected() {
    let mut bytes = tiny();
    bytes[..4].copy_from_slice(b"PK\x03\x04");
    assert_eq!(load_err(&bytes), BundleError::WrongMagic);
    assert_eq!(load_err(b"{\"issued_at\": \"2026-11-22T10:00:00Z\"}"), BundleError::WrongMagic);
    assert_eq!(load_err(b"S"), BundleError::Truncated);
    assert_eq!(load_err(b"X"), BundleError::WrongMagic);
}

#[test]
fn expired_bundles_are_refused_at_load() {
    let bytes = tiny();
    let expires = issued().plus(TTL as i64);
    assert!(Engine::load(&bytes, &[public_key(1)], expires.plus(-1)).is_ok());
    let err = Engine::load(&bytes, &[public_key(1)], expires).unwrap_err();
    assert_eq!(err, Error::Bundle(BundleError::Expired("2026-11-22T11:00:00Z".into())));
    assert_eq!(err.to_string(), "bundle expired at 2026-11-22T11:00:00Z");
}

#[test]
fn oversized_counts_are_rejected_even_when_signed() {
    for count in [u32::MAX, 1_000_000, 3] {
        let mut bytes = tiny();
        bytes[40..44].copy_from_slice(&count.to_le_bytes());
        let err = load_err(&resign(bytes, 1));
        assert!(matches!(&err, BundleError::Corrupt(_)), "{count}: {err}");
        if count == u32::MAX {
            assert!(err.to_string().contains(&format!("token count {count} is larger than")), "{err}");
        }
    }
    let mut bytes = tiny();
    bytes[44..48].copy_from_slice(&u32::MAX.to_le_bytes());
    assert!(matches!(load_err(&resign(bytes, 1)), BundleError::Corrupt(m) if m.contains("removed token count")));
}

#[test]
fn a_delta_is_not_a_bundle() {
    let base = tiny();
    let state = compile(&small_state());
    let delta = build_delta(&base, &state, &private_key(1), TTL).unwrap();
    assert!(matches!(load_err(&delta), BundleError::WrongType(_)));
}

#[test]
fn resigned_garbage_never_panics_and_never_lets_an_unknown_secret_in() {
    // Whatever a key holder signs, reading it must not panic: overwrite each byte after the
    // header, re-sign, then load and look up every secret.
    // Records are decoded when looked up, not at load (a damaged one is `internal_error`, next
    // test): each of their bytes, changed, must still load, so at least that many loads are
    // exercised here, and a loader that refuses everything fails.
    let bytes = tiny();
    let records = scopegate::inspect_bundle(&bytes, &[public_key(1)]).unwrap().sections.records;
    assert!(records > 0);
    let mut loaded = 0;
    for at in HEADER_LEN..bytes.len() - 64 {
        let mut changed = bytes.clone();
        changed[at] = 0xff;
        if let Ok(engine) = Engine::load(&resign(changed, 1), &[public_key(1)], now()) {
            loaded += 1;
            for secret in ["one", "two", "three"] {
                let d = decision(&engine, secret, now());
                if secret == "three" {
                    assert!(!d.allow);
                }
            }
            let _ = engine.snapshot().tokens().count();
            let _ = engine.info();
        }
    }
    assert!(loaded >= records, "{loaded} changed bundles loaded, fewer than the {records} bytes of records");
}

#[test]
fn a_listed_token_whose_record_is_damaged_is_an_internal_error_not_unknown() {
    // A key holder can sign a table whose records do not decode; lookups must say so (deny,
    // internal_error) rather than pretend the token is unknown or let it through.
    let bytes = tiny();
    let mut internal = 0;
    for at in HEADER_LEN..bytes.len() - 64 {
        let mut changed = bytes.clone();
        changed[at] = 0xff;
        let Ok(engine) = Engine::load(&resign(changed, 1), &[public_key(1)], now()) else { continue };
        for secret in ["one", "two"] {
            let d = decision(&engine, secret, now());
            if d.reason == scopegate::Reason::InternalError {
                assert!(!d.allow);
                assert_eq!(d.effect, scopegate::Effect::Deny);
                internal += 1;
            }
        }
    }
    assert!(internal > 0, "no damaged record was ever reported as internal_error");
}

#[test]
fn error_messages_follow_the_style() {
    let bytes = tiny();
    let mut flipped = bytes.clone();
    flipped[200] ^= 1;
    for err in [
        load_err(&flipped),
        load_err(&bytes[..10]),
        load_err(b"nope"),
        BundleError::Corrupt("x".into()),
        BundleError::WrongBase,
    ] {
        let m = err.to_string();
        assert!(m.chars().next().unwrap().is_lowercase() && !m.ends_with('.'), "{m}");
    }
}
