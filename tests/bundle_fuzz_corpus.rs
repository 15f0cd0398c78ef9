//! The fuzz targets' seed corpora (fuzz/corpus/<target>/) and the apply_delta target's base
//! (fuzz/base.bundle): every committed seed is checked, and each must reach what its name says,
//! or the fuzzers would start from input their target refuses at once.
//!
//! - `bundle_load`, `apply_delta` and the base: exactly what the builder makes here (signed with
//!   the fuzz key; builds are deterministic), each seed doing what its name says (`revoke`
//!   revokes, `emptied` empties). Regenerate after a format change with
//!   `SCOPEGATE_WRITE_FUZZ_CORPUS=1 cargo test --test bundle_fuzz_corpus`.
//! - `state_json/<file>.json`: the state of `tests/cases/<file>.json`, and it loads.
//! - `request/<file>-<i>.json`: the `i`-th request of `tests/cases/<file>.json`; the other
//!   request seeds are named for the attack they carry, which they must reach under the target's
//!   state (`fuzz/request_state.json`); every one passes the target's own check.
//! - `openapi/small.json`: a spec the importer turns into a profile that compiles.
//!
//! A file the test does not know is an error too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod url_reference;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use scopegate::{
    build_bundle, build_delta, CompiledState, Engine, PrivateKey, Reason, Request, Timestamp, TokenRecord,
};
use serde_json::{json, Value};

/// Must match fuzz/fuzz_targets/common.rs.
const FUZZ_SEED: [u8; 32] = [7; 32];
const FUZZ_NOW: Timestamp = Timestamp::from_unix_seconds(1_795_341_660);
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

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

/// The records of an engine by token id.
fn records(engine: &Engine) -> Vec<TokenRecord> {
    let mut out: Vec<TokenRecord> = engine.snapshot().tokens().collect();
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out
}

fn ids(engine: &Engine) -> Vec<String> {
    records(engine).into_iter().map(|t| t.id).collect()
}

/// What each bundle and delta seed must do, by name.
fn check_seed_semantics(base: &[u8], bundles: &Seeds, deltas: &Seeds) {
    let keys = [PrivateKey::from_bytes(&FUZZ_SEED).public_key()];
    let engine = Engine::load(base, &keys, FUZZ_NOW).unwrap();
    let tokens = |n: usize| -> Vec<String> {
        let mut ids: Vec<String> = (0..n).map(|i| format!("t-{i}")).collect();
        ids.sort();
        ids
    };
    for (name, bytes) in bundles {
        let loaded = Engine::load(bytes, &keys, FUZZ_NOW).unwrap_or_else(|e| panic!("bundle_load/{name}: {e}"));
        let want = match *name {
            "empty" => 0,
            "six" => 6,
            "forty" => 40,
            other => panic!("bundle_load/{other}: a seed without a stated purpose"),
        };
        assert_eq!(ids(&loaded), tokens(want), "bundle_load/{name}");
    }
    assert_eq!(bundles.iter().find(|(n, _)| *n == "six").map(|(_, b)| b.as_slice()), Some(base), "six is the base");
    for (name, bytes) in deltas {
        let mut applied = engine.clone();
        applied.apply_delta(bytes, FUZZ_NOW).unwrap_or_else(|e| panic!("apply_delta/{name}: {e}"));
        let (before, after) = (records(&engine), records(&applied));
        let (meta_before, meta_after) = (&engine.snapshot().meta(), &applied.snapshot().meta());
        match *name {
            "unchanged" => assert_eq!(after, before, "{name}"),
            "revoke" => {
                let revoked: Vec<&str> = after
                    .iter()
                    .zip(&before)
                    .filter(|(a, b)| a.revoked_at != b.revoked_at)
                    .map(|(a, _)| a.id.as_str())
                    .collect();
                assert_eq!(revoked, ["t-0"], "{name}: revokes t-0 and nothing else");
                assert_eq!(after.len(), before.len(), "{name}");
            }
            "add_remove" => {
                let want = ["t-0", "t-2", "t-3", "t-4", "t-5", "t-6", "t-7"];
                assert_eq!(ids(&applied), want, "{name}: removes t-1, adds t-6 and t-7");
            }
            "policy" => {
                assert_eq!(after, before, "{name}: tokens unchanged");
                // t-0 is an API token: refused for that alone after the change.
                let request =
                    Request::new("GET", "/2.0/repositories/acme/web").header("Authorization", "Bearer secret-0");
                assert_ne!(engine.check(&request, FUZZ_NOW).reason, Reason::ApiTokensBlocked);
                assert_eq!(
                    applied.check(&request, FUZZ_NOW).reason,
                    Reason::ApiTokensBlocked,
                    "{name}: blocks API tokens"
                );
            }
            "emptied" => assert!(after.is_empty(), "{name}: removes every token"),
            other => panic!("apply_delta/{other}: a seed without a stated purpose"),
        }
        if *name != "policy" {
            assert_eq!(meta_after.policies(), meta_before.policies(), "{name}: policies unchanged");
        }
    }
}

/// The files of one target's committed corpus.
fn corpus_files(target: &str) -> BTreeSet<String> {
    std::fs::read_dir(fuzz_dir().join("corpus").join(target))
        .unwrap_or_else(|e| panic!("fuzz/corpus/{target}: {e}"))
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect()
}

fn case_file(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases").join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn fuzz_seeds_are_what_the_builder_makes_and_do_what_their_names_say() {
    let (base, bundles, deltas) = corpora();
    check_seed_semantics(&base, &bundles, &deltas);
    let fuzz = fuzz_dir();
    if std::env::var_os("SCOPEGATE_WRITE_FUZZ_CORPUS").is_some() {
        std::fs::write(fuzz.join("base.bundle"), &base).unwrap();
        for (target, seeds) in [("bundle_load", &bundles), ("apply_delta", &deltas)] {
            let dir = fuzz.join("corpus").join(target);
            std::fs::create_dir_all(&dir).unwrap();
            for (name, bytes) in seeds.iter() {
                std::fs::write(dir.join(format!("{name}.bin")), bytes).unwrap();
            }
        }
        return;
    }
    // Builds are deterministic: the committed seeds are exactly these bytes, or stale (a format
    // change without regenerating them would leave the fuzzers on refused input).
    let stale = |path: &Path, bytes: &[u8]| std::fs::read(path).map_or(true, |on_disk| on_disk != bytes);
    let mut outdated: Vec<String> = Vec::new();
    if stale(&fuzz.join("base.bundle"), &base) {
        outdated.push("base.bundle".into());
    }
    for (target, seeds) in [("bundle_load", &bundles), ("apply_delta", &deltas)] {
        let made: BTreeSet<String> = seeds.iter().map(|(name, _)| format!("{name}.bin")).collect();
        assert_eq!(corpus_files(target), made, "fuzz/corpus/{target}: the committed seeds are the ones made here");
        for (name, bytes) in seeds.iter() {
            if stale(&fuzz.join("corpus").join(target).join(format!("{name}.bin")), bytes) {
                outdated.push(format!("corpus/{target}/{name}.bin"));
            }
        }
    }
    assert!(
        outdated.is_empty(),
        "stale fuzz seeds {outdated:?}: regenerate them with SCOPEGATE_WRITE_FUZZ_CORPUS=1 cargo test --test bundle_fuzz_corpus"
    );
}

#[test]
fn state_seeds_are_the_corpus_states_and_load() {
    let files = corpus_files("state_json");
    assert!(!files.is_empty());
    for file in files {
        let name = file.strip_suffix(".json").unwrap_or_else(|| panic!("state_json/{file}: not a .json seed"));
        let seed = read_json(&fuzz_dir().join("corpus/state_json").join(&file));
        assert_eq!(seed, case_file(name)["state"], "state_json/{file} is the state of tests/cases/{name}.json");
        Engine::from_state_json(&seed.to_string()).unwrap_or_else(|e| panic!("state_json/{file}: {e}"));
    }
}

/// The seeds of the `request` target named for what they carry, and what the engine must make
/// of each under the target's state.
fn attack(name: &str, engine: &Engine, request: &Request) {
    let d = engine.check(request, FUZZ_NOW);
    let resource = d.required.as_ref().and_then(|r| r.resource.clone());
    match name {
        // A URL in the query is not the path: the resource checked is the path's.
        "scheme_in_query" | "git_scheme_in_query" => {
            assert!(request.url.split_once('?').is_some_and(|(_, q)| q.contains("://")), "{name}");
            assert_eq!(resource.as_deref(), Some("repository:acme/secret"), "{name}: {}", d.message);
        }
        "method_override_dot_segments" => {
            assert!(request.url.contains("/../") && request.headers.get("x-http-method-override").is_some());
            assert_eq!(d.reason, Reason::MalformedRequest, "{name}: {}", d.message);
        }
        other => panic!("request/{other}.json: neither a corpus request (`<file>-<i>`) nor a named attack"),
    }
}

#[test]
fn request_seeds_parse_pass_the_targets_check_and_are_what_their_names_say() {
    let state = std::fs::read_to_string(fuzz_dir().join("request_state.json")).unwrap();
    let engine = Engine::from_state_json(&state).unwrap();
    let files = corpus_files("request");
    assert!(!files.is_empty());
    for file in files {
        let path = fuzz_dir().join("corpus/request").join(&file);
        // The target's first step: a seed that is no request stops it at once.
        let request: Request = serde_json::from_slice(&std::fs::read(&path).unwrap())
            .unwrap_or_else(|e| panic!("request/{file}: not a request: {e}"));
        let name = file.strip_suffix(".json").unwrap();
        // The target's own check, which a committed seed must pass.
        let d = engine.check(&request, FUZZ_NOW);
        assert_eq!(d.allow, d.effect == scopegate::Effect::Allow, "request/{file}");
        if let Some(checked) = d.required.as_ref().and_then(|r| r.resource.as_ref()) {
            if let Ok(Some(read)) = url_reference::reference(&request.url) {
                assert_eq!(&read, checked, "request/{file}");
            }
        }
        let from_corpus = name.rsplit_once('-').and_then(|(f, i)| Some((f, i.parse::<usize>().ok()?)));
        match from_corpus {
            Some((case_name, i)) => {
                let cases = case_file(case_name);
                let requests: Vec<&Value> =
                    cases["cases"].as_array().unwrap().iter().filter_map(|c| c.get("request")).collect();
                assert_eq!(
                    Some(&read_json(&path)),
                    requests.get(i).copied(),
                    "request/{file}: request {i} of tests/cases/{case_name}.json"
                );
            }
            None => attack(name, &engine, &request),
        }
    }
}

#[test]
fn openapi_seeds_import_and_compile() {
    assert_eq!(corpus_files("openapi"), BTreeSet::from(["small.json".to_owned()]));
    let text = std::fs::read_to_string(fuzz_dir().join("corpus/openapi/small.json")).unwrap();
    let doc = scopegate::profile_from_openapi(&text, "fuzz").unwrap();
    // Its three operations, with scopes, through the importer and the compiler.
    assert_eq!(doc.routes.len(), 3, "{:?}", doc.routes);
    assert!(doc.routes.iter().any(|r| r.any_of.iter().any(|s| s.contains(&"repository:write".to_owned()))));
    let profile = scopegate::Profile::compile(doc).unwrap();
    assert!(profile.match_route("GET", "/2.0/repositories/acme/web", None).is_some());
}
