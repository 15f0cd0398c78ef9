//! The golden corpus (`tests/cases/*.json`): state + request -> expected effect and reason.
//!
//! Every case of every file runs; all mismatches are reported together, with file and case
//! names, before the test fails. `tests/js/corpus.test.mjs` runs the same files through the
//! built npm package, so the native and WebAssembly paths must agree.
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

use scopegate::{Decision, Effect, Engine, Reason, Request, Timestamp, TokenSpec};
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
    failures: Vec<String>,
    reasons: BTreeSet<String>,
    /// kind -> effects seen in decisions about a token of that kind.
    kinds: BTreeMap<String, BTreeSet<&'static str>>,
}

fn engine_for(state: &serde_json::Value) -> Result<Engine, String> {
    let json = serde_json::to_string(state).map_err(|e| e.to_string())?;
    Engine::from_state_json(&json).map_err(|e| format!("the state does not load: {e}"))
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
        let engine = match &case.state {
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
        let question = match (&case.request, &case.create, &case.revoke) {
            (Some(request), None, None) => Ok(engine.check(request, now)),
            (None, Some(q), None) => {
                engine.can_create_token(&q.actor, &q.spec, now).map_err(|e| format!("create: {e}"))
            }
            (None, None, Some(q)) => {
                engine.can_revoke_token(&q.actor, &q.token, now).map_err(|e| format!("revoke: {e}"))
            }
            _ => Err("expected exactly one of `request`, `create`, `revoke`".to_owned()),
        };
        let decision = match question {
            Ok(d) => d,
            Err(e) => {
                out.failures.push(format!("{label}: {e}"));
                continue;
            }
        };
        let mut diffs = compare(&case.expect, &decision);
        if let Some(request) = &case.request {
            let explained = engine.explain(request, now);
            if explained.decision != decision {
                diffs.push("explain() decides differently from check()".into());
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

    let mut out = Outcome { cases: 0, failures: Vec::new(), reasons: BTreeSet::new(), kinds: BTreeMap::new() };
    for path in &files {
        run_file(path, filter.as_deref(), &mut out);
    }

    if filter.is_none() {
        if out.cases < MIN_CASES {
            out.failures.push(format!("the corpus has {} cases, fewer than {MIN_CASES}", out.cases));
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
    eprintln!("corpus: {} cases in {} files passed", out.cases, files.len());
}
