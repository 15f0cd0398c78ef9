//! Every operation of the Bitbucket Cloud spec, through the built-in profile: the concrete URL
//! finds exactly its route, the route needs exactly what the spec says, and the scope check
//! neither under- nor over-grants.
//!
//! The expected requirements are read from `../shared/data/bitbucket-cloud-openapi.json` here,
//! independently of the importer, and the four Git smart-HTTP routes are written out below as
//! DESIGN.md states them: never the built-in compared with itself. Without the spec its 331
//! operations are not swept; the test says so loudly and fails under CI (`spec_support`).
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::string_slice,
    clippy::panic,
    reason = "test helpers: a failed assertion is their job"
)]

mod spec_support;

use std::collections::BTreeSet;

use scopegate::{Profile, ResourceKey};
use serde_json::Value;

const METHODS: [&str; 7] = ["get", "put", "post", "delete", "patch", "head", "options"];

/// One operation to sweep: what the spec (or the built-in) says it needs.
struct Op {
    method: String,
    template: String,
    query: Option<String>,
    any_of: Vec<Vec<String>>,
}

fn spec() -> Option<Value> {
    let text = spec_support::spec_text("the built-in profile swept against the spec")?;
    Some(serde_json::from_str(&text).unwrap())
}

/// The Git smart-HTTP routes (DESIGN.md §2), which no spec lists: a fetch needs `repository`,
/// a push `repository:write`, or their granular forms.
fn git_ops() -> Vec<Op> {
    let set = |scopes: &[&str]| scopes.iter().map(|s| (*s).to_owned()).collect::<Vec<String>>();
    let fetch = vec![set(&["repository"]), set(&["read:repository:bitbucket"])];
    let push = vec![set(&["repository:write"]), set(&["write:repository:bitbucket"])];
    let op = |method: &str, path: &str, query: Option<&str>, any_of: &Vec<Vec<String>>| Op {
        method: method.to_owned(),
        template: format!("/{{workspace}}/{{repo_slug}}/{path}"),
        query: query.map(str::to_owned),
        any_of: any_of.clone(),
    };
    vec![
        op("GET", "info/refs", Some("service=git-upload-pack"), &fetch),
        op("GET", "info/refs", Some("service=git-receive-pack"), &push),
        op("POST", "git-upload-pack", None, &fetch),
        op("POST", "git-receive-pack", None, &push),
    ]
}

/// The operations as the spec declares them, read without the importer.
fn spec_ops(spec: &Value) -> Vec<Op> {
    let url = spec["servers"][0]["url"].as_str().unwrap();
    let base = url.splitn(4, '/').nth(3).map(|p| format!("/{p}")).unwrap_or_default();
    assert_eq!(base, "/2.0");
    let mut ops = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let mut any_of: Vec<Vec<String>> = Vec::new();
            let mut push = |scopes: &Value| {
                let mut set: Vec<String> =
                    scopes.as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_owned()).collect();
                set.sort();
                if !any_of.contains(&set) {
                    any_of.push(set);
                }
            };
            for requirement in op["security"].as_array().into_iter().flatten() {
                // Bitbucket's `basic` and `api_key` carry no scopes: credential alternatives.
                if let Some(scopes) = requirement.get("oauth2") {
                    push(scopes);
                }
            }
            for entry in op["x-atlassian-oauth2-scopes"].as_array().into_iter().flatten() {
                push(&entry["scopes"]);
            }
            if any_of.is_empty() {
                any_of.push(Vec::new());
            }
            ops.push(Op { method: method.to_uppercase(), template: format!("{base}{path}"), query: None, any_of });
        }
    }
    ops
}

fn builtin_ops(profile: &Profile) -> Vec<Op> {
    profile
        .doc()
        .routes
        .iter()
        .map(|r| Op {
            method: r.method.clone(),
            template: r.path.clone(),
            query: r.query.clone(),
            any_of: r.any_of.clone(),
        })
        .collect()
}

/// A concrete URL for a template: every `{param}` replaced by a plausible value.
fn concrete(template: &str, git_suffix: bool) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = rest[open..].find('}').unwrap() + open;
        let name = &rest[open + 1..close];
        out.push_str(match name {
            "workspace" | "username" => "acme",
            "repo_slug" if git_suffix => "web.git",
            "repo_slug" | "repo_name" => "web",
            "project_key" => "PROJ",
            "path" => "docs/read%20me.md",
            _ => "1",
        });
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    out
}

fn expected_resource(template: &str) -> Option<ResourceKey> {
    let workspace = template.contains("{workspace}") || template.contains("/teams/{username}");
    if !workspace {
        None
    } else if template.contains("{repo_slug}") {
        Some(ResourceKey::Repository { workspace: "acme".into(), slug: "web".into() })
    } else if template.contains("{project_key}") {
        Some(ResourceKey::Project { workspace: "acme".into(), key: "PROJ".into() })
    } else {
        Some(ResourceKey::Workspace { workspace: "acme".into() })
    }
}

fn as_set(any_of: &[Vec<String>]) -> BTreeSet<BTreeSet<String>> {
    any_of.iter().map(|s| s.iter().cloned().collect()).collect()
}

fn is_granular(set: &[String]) -> bool {
    !set.is_empty() && set.iter().all(|s| s.ends_with(":bitbucket"))
}

struct Checker<'a> {
    profile: &'a Profile,
    catalogue: Vec<String>,
}

impl Checker<'_> {
    fn satisfies(&self, token: &[String], set: &[String]) -> bool {
        let granted = self.profile.closure(token);
        set.iter().all(|s| granted.contains(s))
    }

    /// The catalogue minus `scopes` and every scope that implies one of them.
    fn all_but(&self, scopes: &[String]) -> Vec<String> {
        self.catalogue
            .iter()
            .filter(|c| !self.profile.closure(std::slice::from_ref(c)).iter().any(|x| scopes.contains(x)))
            .cloned()
            .collect()
    }

    fn check_scopes(&self, op: &Op) {
        let what = format!("{} {}", op.method, op.template);
        for set in &op.any_of {
            assert!(self.satisfies(set, set), "{what}: a token with exactly {set:?} is refused");
        }
        if op.any_of.iter().any(Vec::is_empty) {
            return; // any authenticated token: nothing to withhold
        }
        let classic: Vec<_> = op.any_of.iter().filter(|s| !is_granular(s)).collect();
        let granular: Vec<_> = op.any_of.iter().filter(|s| is_granular(s)).collect();
        // What the family check below relies on: Bitbucket gives one set per family.
        assert!(classic.len() <= 1 && granular.len() <= 1, "{what}: {:?}", op.any_of);
        for set in &op.any_of {
            let token = self.all_but(set);
            for other in op.any_of.iter().filter(|o| is_granular(o) == is_granular(set)) {
                assert!(!self.satisfies(&token, other), "{what}: every scope but {set:?} still satisfies {other:?}");
            }
            // Each scope of an all-of set is needed.
            for scope in set {
                let token = self.all_but(std::slice::from_ref(scope));
                assert!(!self.satisfies(&token, set), "{what}: {set:?} is satisfied without {scope}");
            }
        }
        let everything: Vec<String> = op.any_of.iter().flatten().cloned().collect();
        let token = self.all_but(&everything);
        for set in &op.any_of {
            assert!(!self.satisfies(&token, set), "{what}: a token without any required scope satisfies {set:?}");
        }
    }
}

#[test]
fn every_operation_matches_its_route_and_scopes() {
    let profile = Profile::builtin("bitbucket-cloud").expect("the built-in profile compiles");
    let Some(spec) = spec() else {
        // Still something independent: the Git routes as DESIGN.md states them.
        sweep(&profile, &git_ops(), false);
        return;
    };
    let mut ops = spec_ops(&spec);
    assert_eq!(ops.len(), 331, "operations in the spec");
    ops.extend(git_ops());
    sweep(&profile, &ops, true);
}

/// URL matching over the built-in's own table, whether or not the spec is at hand: every route
/// is found by a concrete URL of its template, in every spelling (requirements are the spec
/// test's job: here they are the route's own).
#[test]
fn every_builtin_route_is_found_by_its_urls() {
    let profile = Profile::builtin("bitbucket-cloud").unwrap();
    let ops = builtin_ops(&profile);
    assert!(ops.len() >= 335, "{} routes", ops.len());
    sweep(&profile, &ops, true);
}

/// Sweeps `ops` through `profile`; with `whole`, every route of the profile must be reached.
fn sweep(profile: &Profile, ops: &[Op], whole: bool) {
    let checker = Checker { profile, catalogue: profile.doc().scopes.iter().map(|s| s.name.clone()).collect() };
    let mut hit: BTreeSet<(String, String, Option<String>)> = BTreeSet::new();
    for op in ops {
        let url = concrete(&op.template, false);
        let query = op.query.as_deref();
        let what = format!("{} {url}", op.method);
        let m = profile.match_route(&op.method, &url, query).unwrap_or_else(|| panic!("{what}: no route"));
        assert_eq!(m.template, op.template, "{what}: wrong route");
        assert_eq!(as_set(&m.any_of), as_set(&op.any_of), "{what}: requirements differ from the spec");
        assert_eq!(m.resource, expected_resource(&op.template), "{what}: resource");
        hit.insert((op.method.clone(), m.template.clone(), op.query.clone()));

        // The same request in other spellings finds the same route.
        let same = |method: &str, url: &str| profile.match_route(method, url, query).map(|m| (m.template, m.any_of));
        let want = Some((m.template.clone(), m.any_of.clone()));
        assert_eq!(same(&op.method.to_lowercase(), &url), want, "{what}: lower-case method");
        assert_eq!(same(&op.method, &format!("{url}/")), want, "{what}: trailing slash");
        assert_eq!(same(&op.method, &url.replacen("acme", "ac%6De", 1)), want, "{what}: percent-encoded segment");
        if op.template.contains("{repo_slug}") && !op.template.starts_with("/2.0/") {
            let git = concrete(&op.template, true);
            let g =
                profile.match_route(&op.method, &git, query).unwrap_or_else(|| panic!("{what}: no route with `.git`"));
            assert_eq!(g.template, op.template);
            assert_eq!(g.resource, m.resource, "{what}: `.git` is not part of the slug");
        }
        if op.method == "GET" && !ops.iter().any(|o| o.method == "HEAD" && o.template == op.template) {
            assert_eq!(same("HEAD", &url), want, "{what}: HEAD falls back to GET");
        }
        // An encoded slash in the workspace never matches.
        if op.template.contains("{workspace}") {
            assert_eq!(profile.match_route(&op.method, &url.replacen("acme", "ac%2Fme", 1), query), None, "{what}");
        }
        checker.check_scopes(op);
    }
    // Every route of the built-in was reached by some operation, so nothing is left unswept.
    for r in profile.doc().routes.iter().filter(|_| whole) {
        assert!(
            hit.contains(&(r.method.clone(), r.path.clone(), r.query.clone())),
            "{} {} not swept",
            r.method,
            r.path
        );
    }
    println!("swept {} operations over {} routes", ops.len(), profile.doc().routes.len());
}

#[test]
fn git_service_selects_the_route() {
    let profile = Profile::builtin("bitbucket-cloud").unwrap();
    let refs = |q: Option<&str>| profile.match_route("GET", "/acme/web.git/info/refs", q).map(|m| m.any_of);
    let s = |v: &[&[&str]]| v.iter().map(|x| x.iter().map(|y| (*y).to_owned()).collect()).collect::<Vec<Vec<String>>>();
    assert_eq!(refs(Some("service=git-upload-pack")), Some(s(&[&["repository"], &["read:repository:bitbucket"]])));
    assert_eq!(
        refs(Some("service=git-receive-pack")),
        Some(s(&[&["repository:write"], &["write:repository:bitbucket"]]))
    );
    assert_eq!(refs(None), None);
    assert_eq!(refs(Some("service=git-upload-pack&service=git-receive-pack")), None);
    // A clone token (read) does not satisfy a push.
    let read = profile.closure(&["pullrequest".to_owned()]);
    assert!(read.contains(&"repository".to_owned()) && !read.contains(&"repository:write".to_owned()));
}
