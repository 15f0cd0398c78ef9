//! The fuzz targets' seed corpora (fuzz/corpus/<target>/) and the apply_delta target's base
//! (fuzz/base.bundle), signed with the fuzz key. Regenerate after a format change with
//! `SCOPEGATE_WRITE_FUZZ_CORPUS=1 cargo test --test bundle_fuzz_corpus`; without the variable
//! the test checks that every seed is what its name says (a loadable bundle, an applicable
//! delta) and that the committed files are exactly those bytes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::path::Path;

use scopegate::{build_bundle, build_delta, CompiledState, Engine, PrivateKey, Timestamp};
use serde_json::{json, Value};

/// Must match fuzz/fuzz_targets/common.rs.
const FUZZ_SEED: [u8; 32] = [7; 32];
const FUZZ_NOW: Timestamp = Timestamp(1_795_341_660);
const TTL: u64 = 366 * 86_400;

fn state(tokens: Vec<Value>, issued_at: &str, api_tokens: &str) -> CompiledState {
    let state = json!({
        "issued_at": issued_at,
        "profile": {"name": "tiny", "base_path": "/2.0",
                    "scopes": [{"name": "repository", "level": "read"}, {"name": "repository:write", "implies": ["repository"], "level": "write"}],
                    "routes": [{"method": "GET", "path": "/2.0/repositories/{workspace}/{repo_slug}", "any_of": [["repository"]]}]},
        "resources": {"workspaces": [{"slug": "acme"}], "projects": [{"workspace": "acme", "key": "P"}],
                      "repositories": [{"workspace": "acme", "slug": "web", "project": "P"}]},
        "principals": [{"id": "u-mary", "kind": "user", "email": "mary@acme.test", "permissions": [{"resource": "acme/web", "level": "write"}]},
                       {"id": "sa-ci", "kind": "service_account"}],
        "default_policy": {"api_tokens": api_tokens},
        "tokens": tokens
    });
    CompiledState::from_json(&state.to_string()).unwrap()
}

fn tokens(n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| match i % 4 {
            0 => json!({"id": format!("t-{i}"), "kind": "api_token", "secret": format!("secret-{i}"), "principal": "u-mary",
                        "scopes": ["repository:write"], "label": "laptop", "created_at": "2026-11-01T00:00:00Z", "expires_at": "2026-12-01T00:00:00Z"}),
            1 => json!({"id": format!("t-{i}"), "kind": "repository_access_token", "secret": format!("secret-{i}"), "resource": "acme/web",
                        "scopes": ["repository"], "created_by": "u-mary", "allowed_ips": ["203.0.113.0/24", "2001:db8::/32"]}),
            2 => json!({"id": format!("t-{i}"), "kind": "service_account_token", "secret": format!("secret-{i}"), "principal": "sa-ci",
                        "access": "read_only", "revoked_at": "2026-11-20T00:00:00Z"}),
            _ => json!({"id": format!("t-{i}"), "kind": "project_access_token", "secret": format!("secret-{i}"), "resource": "acme/P",
                        "scopes": ["repository"], "created_at": "2026-10-01T00:00:00Z", "expires_at": "2027-01-01T12:00:01Z"}),
        })
        .collect()
}

const ISSUED: &str = "2026-11-22T10:00:00Z";
const LATER: &str = "2026-11-22T10:00:30Z";

/// Named seed files.
type Seeds = Vec<(&'static str, Vec<u8>)>;

/// The base bundle, the bundle seeds, the delta seeds.
fn corpora() -> (Vec<u8>, Seeds, Seeds) {
    let key = PrivateKey::from_bytes(&FUZZ_SEED);
    let base = build_bundle(&state(tokens(6), ISSUED, "allow"), &key, TTL).unwrap();
    let bundles = vec![
        ("empty", build_bundle(&state(Vec::new(), ISSUED, "allow"), &key, TTL).unwrap()),
        ("six", base.clone()),
        ("forty", build_bundle(&state(tokens(40), ISSUED, "allow"), &key, TTL).unwrap()),
    ];
    let delta = |toks: Vec<Value>, policy: &str| build_delta(&base, &state(toks, LATER, policy), &key, TTL).unwrap();
    let mut revoked = tokens(6);
    revoked[0]["revoked_at"] = json!("2026-11-22T10:00:10Z");
    let mut changed = tokens(8);
    changed.remove(1);
    let deltas = vec![
        ("unchanged", delta(tokens(6), "allow")),
        ("revoke", delta(revoked, "allow")),
        ("add_remove", delta(changed, "allow")),
        ("policy", delta(tokens(6), "block")),
        ("emptied", delta(Vec::new(), "allow")),
    ];
    (base, bundles, deltas)
}

#[test]
fn fuzz_seeds_are_valid_and_written_on_request() {
    let (base, bundles, deltas) = corpora();
    let keys = [PrivateKey::from_bytes(&FUZZ_SEED).public_key()];
    let engine = Engine::load(&base, &keys, FUZZ_NOW).unwrap();
    for (name, bytes) in &bundles {
        assert!(Engine::load(bytes, &keys, FUZZ_NOW).is_ok(), "{name}");
    }
    for (name, bytes) in &deltas {
        assert!(engine.clone().apply_delta(bytes, FUZZ_NOW).is_ok(), "{name}");
    }
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    if std::env::var_os("SCOPEGATE_WRITE_FUZZ_CORPUS").is_none() {
        // Builds are deterministic: the committed seeds are exactly these bytes, or stale (a
        // format change without regenerating them would leave the fuzzers on refused input).
        let stale = |path: &Path, bytes: &[u8]| std::fs::read(path).map_or(true, |on_disk| on_disk != bytes);
        let mut outdated: Vec<String> = Vec::new();
        if stale(&fuzz.join("base.bundle"), &base) {
            outdated.push("base.bundle".into());
        }
        for (target, seeds) in [("bundle_load", &bundles), ("apply_delta", &deltas)] {
            for (name, bytes) in seeds.iter() {
                let path = fuzz.join("corpus").join(target).join(format!("{name}.bin"));
                if stale(&path, bytes) {
                    outdated.push(format!("corpus/{target}/{name}.bin"));
                }
            }
        }
        assert!(
            outdated.is_empty(),
            "stale fuzz seeds {outdated:?}: regenerate them with SCOPEGATE_WRITE_FUZZ_CORPUS=1 cargo test --test bundle_fuzz_corpus"
        );
    } else {
        std::fs::write(fuzz.join("base.bundle"), &base).unwrap();
        for (target, seeds) in [("bundle_load", &bundles), ("apply_delta", &deltas)] {
            let dir = fuzz.join("corpus").join(target);
            std::fs::create_dir_all(&dir).unwrap();
            for (name, bytes) in seeds.iter() {
                std::fs::write(dir.join(format!("{name}.bin")), bytes).unwrap();
            }
        }
    }
}
