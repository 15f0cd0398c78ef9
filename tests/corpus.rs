//! The golden corpus (`tests/cases/*.json`): state + request -> expected effect and reason.
//!
//! Every case of every file runs; all mismatches are reported together, with file and case
//! names, before the test fails. Each case runs twice: on the unsigned engine of its state, and
//! on a signed bundle built from that state and loaded back, which must decide exactly alike (so
//! the state path and the bundle path cannot drift). `tests/js/corpus.test.mjs` runs the same
//! files through the built npm package, so the native and WebAssembly paths must agree.
//!
//! Set `SCOPEGATE_CORPUS=<substring>` to run only the files or cases whose name contains it
//! (the coverage checks are skipped then).
//!
//! # Writing cases
//!
//! A file is `{ description, notes?, state, cases: [{ name, note?, now, state?, request, expect }] }`:
//! `state` is a state document (DESIGN.md §3; a case's own `state` replaces the file's),
//! `request` is what `Engine::check` takes (`method`, `url`, `headers` as an object or as
//! `[name, value]` pairs, `remoteAddr`); instead of `request`, a case may ask a token-management
//! question: `create: { actor, spec }` (`Engine::can_create_token`) or `revoke: { actor, token }`
//! (`Engine::can_revoke_token`, the token by id). `expect` holds `effect` and `reason` plus, when
//! given, `policy`, `clientIp`, `token` (its id), `granted` and `required` (any order), and
//! `expiresAt`. Unknown fields are errors. Tokens sit in the state as `secret` so a case can show
//! the same string in its header; the `sg?_` tokens were made with
//! `mint_from_seed(kind, SHA-256("scopegate-corpus:" + token id))`, and any token from
//! `mintToken` / `npx scopegate mint` works as well. Basic headers are base64 of `user:secret`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use scopegate::{
    build_bundle, CompiledState, Decision, Effect, Engine, PrivateKey, Reason, Request, Timestamp, TokenSpec,
};
use serde::Deserialize;

/// The corpus must stay at least this large (issue 3).
const MIN_CASES: usize = 150;

/// Reasons this corpus cannot produce: a signed bundle past its `expires_at` is covered by the
/// bundle tests, and `internal_error` has no state-JSON trigger.
const NOT_IN_CORPUS: [Reason; 2] = [Reason::BundleExpired, Reason::InternalError];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFile {
    #[allow(dead_code)]
    description: String,
    #[serde(default)]
    #[allow(dead_code)]
    notes: Option<String>,
    state: serde_json::Value,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    #[serde(default)]
    #[allow(dead_code)]
    note: Option<String>,
    now: String,
    /// Replaces the file's state for this case only.
    #[serde(default)]
    state: Option<serde_json::Value>,
    #[serde(default)]
    request: Option<Request>,
    #[serde(default)]
    create: Option<CreateQuestion>,
    #[serde(default)]
    revoke: Option<RevokeQuestion>,
    expect: Expect,
}

/// May `actor` create the token `spec` describes?
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateQuestion {
    actor: String,
    spec: TokenSpec,
}

/// May `actor` revoke the token with id `token`?
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RevokeQuestion {
    actor: String,
    token: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Expect {
    effect: String,
    reason: String,
    #[serde(default)]
    policy: Option<String>,
    #[serde(default)]
    client_ip: Option<String>,
    /// The decision's token id.
    #[serde(default)]
    token: Option<String>,
    /// The token's scopes after implication, in any order.
    #[serde(default)]
    granted: Option<Vec<String>>,
    /// The route's any-of list of all-of sets, in any order.
    #[serde(default)]
    required: Option<Vec<Vec<String>>>,
    #[serde(default)]
    expires_at: Option<String>,
}

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("cases")
}

fn effect_code(effect: Effect) -> &'static str {
    match effect {
        Effect::Allow => "allow",
        Effect::Deny => "deny",
        Effect::Defer => "defer",
    }
}

fn sorted_sets(sets: &[Vec<String>]) -> Vec<Vec<String>> {
    let mut out: Vec<Vec<String>> = sets
        .iter()
        .map(|s| {
            let mut s = s.clone();
            s.sort();
            s
        })
        .collect();
    out.sort();
    out
}

fn sorted(list: &[String]) -> Vec<String> {
    let mut out = list.to_vec();
    out.sort();
    out
}

/// Every difference between what the case expects and what the engine decided.
fn compare(expect: &Expect, d: &Decision) -> Vec<String> {
    let mut diffs = Vec::new();
    let mut check = |field: &str, want: String, got: String| {
        if want != got {
            diffs.push(format!("{field}: expected {want}, got {got}"));
        }
    };
    check("effect", expect.effect.clone(), effect_code(d.effect).to_string());
    check("reason", expect.reason.clone(), d.reason.code().to_string());
    if let Some(policy) = &expect.policy {
        check("policy", format!("{:?}", Some(policy)), format!("{:?}", d.policy.as_ref()));
    }
    if let Some(ip) = &expect.client_ip {
        check("clientIp", format!("{:?}", Some(ip)), format!("{:?}", d.client_ip.as_ref()));
    }
    if let Some(token) = &expect.token {
        check("token", format!("{:?}", Some(token)), format!("{:?}", d.token.as_ref().map(|t| &t.id)));
    }
    if let Some(granted) = &expect.granted {
        check("granted", format!("{:?}", Some(sorted(granted))), format!("{:?}", d.granted.as_deref().map(sorted)));
    }
    if let Some(required) = &expect.required {
        check(
            "required.anyOf",
            format!("{:?}", Some(sorted_sets(required))),
            format!("{:?}", d.required.as_ref().map(|r| sorted_sets(&r.any_of))),
        );
    }
    if let Some(at) = &expect.expires_at {
        let want = Timestamp::parse(at).map(|t| t.to_string()).unwrap_or_else(|| format!("unreadable {at:?}"));
        check("expiresAt", format!("{:?}", Some(want)), format!("{:?}", d.expires_at));
    }
    // The contract's invariants, whatever the case expects.
    if d.allow != (d.effect == Effect::Allow) {
        diffs.push(format!("allow is {} but effect is {}", d.allow, effect_code(d.effect)));
    }
    if d.effect != d.reason.effect() && d.reason != Reason::RouteUnknown {
        diffs.push(format!("reason {} carries effect {}", d.reason.code(), effect_code(d.effect)));
    }
    if d.message.is_empty() {
        diffs.push("empty message".into());
    }
    diffs
}

/// Problems in the case itself (a typo in a reason code would otherwise only show as a mismatch).
fn lint(expect: &Expect) -> Vec<String> {
    let mut out = Vec::new();
    if !["allow", "deny", "defer"].contains(&expect.effect.as_str()) {
        out.push(format!("expect.effect {:?} is not allow, deny or defer", expect.effect));
    }
    if Reason::from_code(&expect.reason).is_none() {
        out.push(format!("expect.reason {:?} is no reason code of the contract", expect.reason));
    }
    out
}

struct Outcome {
    cases: usize,
    /// Cases also decided on a signed bundle.
    signed: usize,
    failures: Vec<String>,
    reasons: BTreeSet<String>,
    /// kind -> effects seen in decisions about a token of that kind.
    kinds: BTreeMap<String, BTreeSet<&'static str>>,
}

/// What a signed bundle of a case's state is valid for: longer than any case's `now` is after
/// its state's `issued_at` (at most hours).
const SIGNED_TTL: u64 = 30 * 86_400;

/// The engines a case runs on: the state's own, and a signed bundle of it loaded back.
struct Engines {
    unsigned: Engine,
    signed: Engine,
}

fn engine_for(state: &serde_json::Value) -> Result<Engines, String> {
    let json = serde_json::to_string(state).map_err(|e| e.to_string())?;
    let unsigned = Engine::from_state_json(&json).map_err(|e| format!("the state does not load: {e}"))?;
    let compiled = CompiledState::from_json(&json).map_err(|e| e.to_string())?;
    let issued_at = compiled.meta().issued_at();
    let key = PrivateKey::from_bytes(&[7; 32]);
    let bytes = build_bundle(&compiled, &key, SIGNED_TTL).map_err(|e| format!("the state does not build: {e}"))?;
    let signed = Engine::load(&bytes, &[key.public_key()], issued_at)
        .map_err(|e| format!("the state's signed bundle does not load: {e}"))?;
    Ok(Engines { unsigned, signed })
}

/// The case's question, asked of one engine.
fn ask(case: &Case, engine: &Engine, now: Timestamp) -> Result<Decision, String> {
    match (&case.request, &case.create, &case.revoke) {
        (Some(request), None, None) => Ok(engine.check(request, now)),
        (None, Some(q), None) => engine.can_create_token(&q.actor, &q.spec, now).map_err(|e| format!("create: {e}")),
        (None, None, Some(q)) => engine.can_revoke_token(&q.actor, &q.token, now).map_err(|e| format!("revoke: {e}")),
        _ => Err("expected exactly one of `request`, `create`, `revoke`".to_owned()),
    }
}

fn run_file(path: &Path, filter: Option<&str>, out: &mut Outcome) {
    let file = path.file_name().and_then(|f| f.to_str()).unwrap_or("?").to_string();
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => return out.failures.push(format!("{file}: cannot read: {e}")),
    };
    let doc: CaseFile = match serde_json::from_str(&text) {
        Ok(d) => d,
        Err(e) => return out.failures.push(format!("{file}: not a corpus file: {e}")),
    };
    let shared = engine_for(&doc.state);
    if let Err(e) = &shared {
        out.failures.push(format!("{file}: {e}"));
    }
    let mut names = BTreeSet::new();
    for case in &doc.cases {
        let label = format!("{file} / {}", case.name);
        if !names.insert(case.name.as_str()) {
            out.failures.push(format!("{label}: duplicate case name"));
        }
        if filter.is_some_and(|f| !file.contains(f) && !case.name.contains(f)) {
            continue;
        }
        out.cases += 1;
        out.reasons.insert(case.expect.reason.clone());
        let problems = lint(&case.expect);
        if !problems.is_empty() {
            out.failures.push(format!("{label}: {}", problems.join("; ")));
            continue;
        }
        let Some(now) = Timestamp::parse(&case.now) else {
            out.failures.push(format!("{label}: `now` {:?} is not an RFC 3339 time", case.now));
            continue;
        };
        let own;
        let engines = match &case.state {
            Some(state) => match engine_for(state) {
                Ok(e) => {
                    own = e;
                    &own
                }
                Err(e) => {
                    out.failures.push(format!("{label}: {e}"));
                    continue;
                }
            },
            None => match &shared {
                Ok(e) => e,
                Err(_) => continue,
            },
        };
        let engine = &engines.unsigned;
        let decision = match ask(case, engine, now) {
            Ok(d) => d,
            Err(e) => {
                out.failures.push(format!("{label}: {e}"));
                continue;
            }
        };
        out.signed += 1;
        match ask(case, &engines.signed, now) {
            Ok(signed) if signed == decision => {}
            Ok(signed) => out.failures.push(format!(
                "{label}: the signed bundle decides {} ({}), the state {} ({})",
                signed.reason.code(),
                signed.message,
                decision.reason.code(),
                decision.message
            )),
            Err(e) => out.failures.push(format!("{label}: on the signed bundle: {e}")),
        }
        let mut diffs = compare(&case.expect, &decision);
        if let Some(request) = &case.request {
            let explained = engine.explain(request, now);
            if explained.decision != decision {
                diffs.push("explain() decides differently from check()".into());
            }
            if engines.signed.explain(request, now).decision != decision {
                diffs.push("explain() on the signed bundle decides differently from check()".into());
            }
            if explained.steps.last().map(|s| s.step) != Some("decision") {
                diffs.push("explain() steps do not end in a `decision` step".into());
            }
            if let Some(token) = &decision.token {
                out.kinds.entry(token.kind.clone()).or_default().insert(effect_code(decision.effect));
            }
        }
        if !diffs.is_empty() {
            let mut msg = format!("{label}:\n      {}", diffs.join("\n      "));
            let _ = write!(msg, "\n      message: {}", decision.message);
            out.failures.push(msg);
        }
    }
}

#[test]
fn golden_corpus() {
    let filter = std::env::var("SCOPEGATE_CORPUS").ok().filter(|f| !f.is_empty());
    let mut files: Vec<PathBuf> = std::fs::read_dir(cases_dir())
        .expect("tests/cases exists")
        .map(|e| e.expect("readable directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no corpus files in {}", cases_dir().display());

    let mut out =
        Outcome { cases: 0, signed: 0, failures: Vec::new(), reasons: BTreeSet::new(), kinds: BTreeMap::new() };
    for path in &files {
        run_file(path, filter.as_deref(), &mut out);
    }

    if filter.is_none() {
        if out.cases < MIN_CASES {
            out.failures.push(format!("the corpus has {} cases, fewer than {MIN_CASES}", out.cases));
        }
        if out.signed != out.cases {
            out.failures.push(format!("{} of {} cases ran on a signed bundle", out.signed, out.cases));
        }
        for reason in Reason::ALL {
            if !NOT_IN_CORPUS.contains(&reason) && !out.reasons.contains(reason.code()) {
                out.failures.push(format!("no case expects reason `{}`", reason.code()));
            }
        }
        for kind in scopegate::TokenKind::ALL.map(scopegate::TokenKind::as_str) {
            let seen = out.kinds.get(kind).cloned().unwrap_or_default();
            for effect in ["allow", "deny"] {
                if !seen.contains(effect) {
                    out.failures.push(format!("no case decides `{effect}` for a token of kind `{kind}`"));
                }
            }
        }
    }

    assert!(
        out.failures.is_empty(),
        "{} of {} corpus cases or checks failed:\n  {}\n",
        out.failures.len(),
        out.cases,
        out.failures.join("\n  ")
    );
    eprintln!(
        "corpus: {} cases in {} files passed, {} of them on a signed bundle too",
        out.cases,
        files.len(),
        out.signed
    );
}

/// The quoted strings of `text` from `start` to the first `end` after it.
fn quoted_between(text: &str, start: &str, end: &str) -> Vec<String> {
    let (_, body) = text.split_once(start).unwrap_or_else(|| panic!("no `{start}`"));
    let (body, _) = body.split_once(end).unwrap_or_else(|| panic!("no `{end}` after `{start}`"));
    // Comments may quote too (`/** ... */`): only the lines' code.
    let code: String = body
        .lines()
        .map(|l| l.split_once("/*").or_else(|| l.split_once("//")).map_or(l, |(code, _)| code))
        .collect::<Vec<_>>()
        .join("\n");
    code.split('"').skip(1).step_by(2).map(str::to_owned).collect()
}

/// The package's `REASONS` and `TOKEN_KINDS` (what the Node corpus runner checks against) and
/// its `.d.ts` unions are the engine's lists, in the engine's order.
#[test]
fn the_packages_reasons_and_kinds_are_the_engines() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let api = std::fs::read_to_string(root.join("js/api.js")).unwrap();
    let types = std::fs::read_to_string(root.join("js/scopegate.d.ts")).unwrap();
    let reasons: Vec<String> = Reason::ALL.iter().map(|r| r.code().to_owned()).collect();
    let kinds: Vec<String> = scopegate::TokenKind::ALL.iter().map(|k| k.as_str().to_owned()).collect();
    assert_eq!(quoted_between(&api, "export const REASONS = Object.freeze([", "]);"), reasons, "js/api.js REASONS");
    assert_eq!(
        quoted_between(&api, "export const TOKEN_KINDS = Object.freeze([", "]);"),
        kinds,
        "js/api.js TOKEN_KINDS"
    );
    assert_eq!(quoted_between(&types, "export type Reason =", ";"), reasons, "js/scopegate.d.ts Reason");
    assert_eq!(quoted_between(&types, "export type TokenKind =", ";"), kinds, "js/scopegate.d.ts TokenKind");
}
