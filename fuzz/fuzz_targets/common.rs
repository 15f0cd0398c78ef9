//! Shared by the fuzz targets: the fuzz key, re-signing, and exercising a loaded engine.

use ed25519_dalek::Signer;
use scopegate::{Engine, PublicKey, Request, Timestamp};

/// The key the seed corpora are signed with (tests/bundle_fuzz_corpus.rs).
pub const SEED: [u8; 32] = [7; 32];

/// A time inside the seeds' lifetime.
pub const NOW: Timestamp = Timestamp::from_unix_seconds(1_795_341_660);

pub fn keys() -> [PublicKey; 1] {
    [scopegate::PrivateKey::from_bytes(&SEED).public_key()]
}

/// `data` with its last 64 bytes replaced by a valid signature over the rest: the mutated
/// input then passes the signature check and reaches every parser behind it.
pub fn resigned(data: &[u8]) -> Option<Vec<u8>> {
    let body = data.len().checked_sub(64)?;
    let mut out = data.to_vec();
    let signature = ed25519_dalek::SigningKey::from_bytes(&SEED).sign(&data[..body]);
    out[body..].copy_from_slice(&signature.to_bytes());
    Some(out)
}

/// Every read path of a loaded engine: lookups, iteration, info, a full check.
pub fn exercise(engine: &Engine) {
    let snapshot = engine.snapshot();
    for secret in ["one", "two", "three", "secret-0", "secret-1"] {
        let _ = snapshot.token(&scopegate::digest_token(secret));
        let request = Request::new("GET", "/2.0/repositories/acme/web").header("Authorization", &format!("Bearer {secret}"));
        let _ = engine.check(&request, NOW);
    }
    let _ = snapshot.tokens().take(10_000).count();
    let _ = snapshot.token_count();
    let _ = engine.info();
}
