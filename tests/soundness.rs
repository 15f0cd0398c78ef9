//! The soundness sweep (issue 7): an allow is a promise that Bitbucket would allow the request
//! too. Every route of the built-in profile, with a concrete URL, is decided by the engine for
//! anonymous requests and for a real token of every kind, scope choice and access mode, by a
//! principal with no grant or a read, write or admin grant (a user's on the whole workspace, the
//! service account's on one repository only, so inheritance is swept both ways), on a public
//! and a private repository, addressing the token's and the grant's resource or another one.
//! Wherever the engine allows, an independent reference model must allow as well.
//!
//! The reference model below is written from the spec and DESIGN.md alone and shares no code
//! with `src/profile` or `src/pipeline`: it reads each operation's classic and granular scopes
//! from `../shared/data/bitbucket-cloud-openapi.json` itself, types in DESIGN.md's scope
//! implications, the Git smart-HTTP routes and the resource tree, and decides from the
//! scopes' verbs. It is deliberately simple, so it is an upper bound rather than a copy of the
//! engine: the engine may deny more (webhook scopes need admin, a read-only mode never writes),
//! never allow more.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::string_slice,
    clippy::panic,
    reason = "a test: a failed assertion is its job"
)]

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Write as _;
use std::path::PathBuf;

use scopegate::{mint_from_seed, Engine, Headers, Profile, Reason, Request, Timestamp, TokenKind};
use serde_json::{json, Value};

// ---- the reference model ----

/// A permission level, typed here again: read < write < admin.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Lvl {
    Read,
    Write,
    Admin,
}

impl Lvl {
    fn name(self) -> &'static str {
        match self {
            Lvl::Read => "read",
            Lvl::Write => "write",
            Lvl::Admin => "admin",
        }
    }
}

/// DESIGN.md §2, classic implications; granular scopes imply nothing.
const IMPLIES: [(&str, &[&str]); 7] = [
    ("repository:write", &["repository"]),
    ("pullrequest", &["repository"]),
    ("pullrequest:write", &["pullrequest", "repository:write"]),
    ("project", &["repository"]),
    ("issue:write", &["issue"]),
    ("snippet:write", &["snippet"]),
    ("account:write", &["account"]),
];

/// Objects only the origin can tell the owner of (a user's snippets, keys, account).
const OWNED_OBJECTS: [&str; 4] = ["snippet", "ssh-key", "gpg-key", "user"];

/// One operation as the spec (or DESIGN.md, for Git) declares it.
#[derive(Clone, Debug)]
struct Op {
    method: String,
    /// Full path template, base path included.
    template: String,
    query: Option<String>,
    /// Classic sets, then granular sets; `[[]]` when the operation names no scope.
    sets: Vec<Vec<String>>,
    granular: Vec<String>,
    git: Option<GitOp>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum GitOp {
    Fetch,
    Push,
}

impl Op {
    /// The verb a granular scope starts with.
    fn verb(scope: &str) -> Lvl {
        match scope.split(':').next() {
            Some("read") => Lvl::Read,
            Some("write") => Lvl::Write,
            _ => Lvl::Admin, // admin:, delete:, anything unforeseen
        }
    }

    fn reads(&self) -> bool {
        matches!(self.method.as_str(), "GET" | "HEAD" | "OPTIONS") || self.git == Some(GitOp::Fetch)
    }

    /// What the operation needs: its granular verbs; else Git's kind; else the method.
    fn level(&self) -> Lvl {
        match self.git {
            Some(GitOp::Fetch) => return Lvl::Read,
            Some(GitOp::Push) => return Lvl::Write,
            None => {}
        }
        match self.granular.iter().map(|s| Op::verb(s)).max() {
            Some(l) => l,
            None if self.reads() => Lvl::Read,
            None => Lvl::Write,
        }
    }

    fn owner_checked(&self) -> bool {
        !self.granular.is_empty()
            && self.granular.iter().all(|s| OWNED_OBJECTS.contains(&s.split(':').nth(1).unwrap_or("")))
    }
}

/// What a scope asks of its user, by its verb: classic `x` reads, `x:write` writes, `x:admin`
/// and `x:delete` administer; granular scopes by their leading verb.
fn scope_level(scope: &str) -> Lvl {
    if scope.ends_with(":bitbucket") {
        return Op::verb(scope);
    }
    match scope.split_once(':') {
        None => Lvl::Read,
        Some((_, "write")) => Lvl::Write,
        Some((_, "admin" | "delete")) => Lvl::Admin,
        Some(_) => Lvl::Read, // `pipeline:variable`: DESIGN.md says nothing; the bound stays loose
    }
}

fn closure(scopes: &[String]) -> BTreeSet<String> {
    let mut out: BTreeSet<String> = scopes.iter().cloned().collect();
    loop {
        let before = out.len();
        for (from, to) in IMPLIES {
            if out.contains(from) {
                out.extend(to.iter().map(|s| (*s).to_owned()));
            }
        }
        if out.len() == before {
            return out;
        }
    }
}

/// A resource as DESIGN.md's tree has it.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Res {
    Workspace(&'static str),
    Project(&'static str, &'static str),
    Repo(&'static str, &'static str),
}

impl Res {
    fn workspace(&self) -> &'static str {
        match self {
            Res::Workspace(w) | Res::Project(w, _) | Res::Repo(w, _) => w,
        }
    }
    fn text(&self) -> String {
        match self {
            Res::Workspace(w) => (*w).to_owned(),
            Res::Project(w, k) | Res::Repo(w, k) => format!("{w}/{k}"),
        }
    }
}

/// The two corners of the world: where tokens and grants point, and somewhere else.
struct Corner {
    workspace: &'static str,
    project: &'static str,
    repo: &'static str,
}

const HOME: Corner = Corner { workspace: "acme", project: "PROJ", repo: "web" };
const AWAY: Corner = Corner { workspace: "globex", project: "CORE", repo: "engine" };

/// Which project a repository is in.
fn project_of(workspace: &str, repo: &str) -> Option<&'static str> {
    match (workspace, repo) {
        ("acme", "web") => Some("PROJ"),
        ("globex", "engine") => Some("CORE"),
        _ => None,
    }
}

/// Whether `inner` lies in `outer` (DESIGN.md §2: workspace > project > repository).
fn inside(outer: &Res, inner: &Res) -> bool {
    if outer.workspace() != inner.workspace() {
        return false;
    }
    match (outer, inner) {
        (Res::Workspace(_), _) => true,
        (Res::Project(_, a), Res::Project(_, b)) => a == b,
        (Res::Project(w, k), Res::Repo(_, r)) => project_of(w, r) == Some(k),
        (Res::Repo(_, a), Res::Repo(_, b)) => a == b,
        _ => false,
    }
}

/// The resource a URL addresses, from the template's parameter names.
fn addressed(template: &str, corner: &Corner) -> Option<Res> {
    let ws = template.contains("{workspace}") || template.contains("/teams/{username}");
    if !ws {
        None
    } else if template.contains("{repo_slug}") {
        Some(Res::Repo(corner.workspace, corner.repo))
    } else if template.contains("{project_key}") {
        Some(Res::Project(corner.workspace, corner.project))
    } else {
        Some(Res::Workspace(corner.workspace))
    }
}

/// Who asks.
#[derive(Clone, Copy, Debug)]
enum Actor<'a> {
    Anonymous,
    Token(&'a TokenChoice),
}

/// A token of the sweep: its kind and either scopes or an access mode.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct TokenChoice {
    kind: TokenKind,
    grant: Grant,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Grant {
    Scopes(Vec<String>),
    ReadOnly,
    ReadWrite,
}

/// The grant of the principals behind user-bound and service-account tokens: the user's on
/// the home workspace, the service account's on the home repository alone.
#[derive(Clone, Copy, Debug)]
struct Principal {
    level: Option<Lvl>,
}

impl Principal {
    fn grant(kind: TokenKind) -> Res {
        if kind == TokenKind::ServiceAccountToken {
            Res::Repo(HOME.workspace, HOME.repo)
        } else {
            Res::Workspace(HOME.workspace)
        }
    }

    fn level_on(self, kind: TokenKind, r: &Res) -> Option<Lvl> {
        self.level.filter(|_| inside(&Principal::grant(kind), r))
    }
}

fn bound_resource(kind: TokenKind) -> Option<Res> {
    match kind {
        TokenKind::RepositoryAccessToken => Some(Res::Repo(HOME.workspace, HOME.repo)),
        TokenKind::ProjectAccessToken => Some(Res::Project(HOME.workspace, HOME.project)),
        TokenKind::WorkspaceAccessToken | TokenKind::OrgApiKey => Some(Res::Workspace(HOME.workspace)),
        _ => None,
    }
}

fn user_bound(kind: TokenKind) -> bool {
    matches!(
        kind,
        TokenKind::ApiToken | TokenKind::AppPassword | TokenKind::PersonalAccessToken | TokenKind::ServiceAccountToken
    )
}

/// Would Bitbucket allow this? An upper bound, from the spec's verbs and DESIGN.md.
/// `granted` is the token's scopes closed under the implications ([`closure`]).
fn reference(
    op: &Op,
    actor: &Actor<'_>,
    granted: &BTreeSet<String>,
    target: Option<&Res>,
    public: bool,
    who: Principal,
) -> bool {
    let public_repo = public && matches!(target, Some(Res::Repo(..)));
    let level = op.level();
    let Actor::Token(token) = actor else {
        // Anyone may read a public repository, and only read it.
        return public_repo && op.reads() && level == Lvl::Read && !op.owner_checked();
    };
    // Scopes: one set covered by the closure; an access mode stands for its level's scopes.
    let used: Vec<Lvl> = match &token.grant {
        Grant::ReadOnly if op.reads() && level == Lvl::Read => vec![Lvl::Read],
        Grant::ReadWrite if level <= Lvl::Write => vec![level],
        Grant::ReadOnly | Grant::ReadWrite => return false,
        Grant::Scopes(_) => op
            .sets
            .iter()
            .filter(|set| set.iter().all(|s| granted.contains(s)))
            .map(|set| set.iter().map(|s| scope_level(s)).max().unwrap_or(Lvl::Read))
            .collect(),
    };
    let Some(&least) = used.iter().min() else { return false };
    // A resource-bound token reaches only what lies inside its resource.
    if let Some(bound) = bound_resource(token.kind) {
        return target.is_some_and(|t| inside(&bound, t));
    }
    if !user_bound(token.kind) {
        return true;
    }
    // A user's token: never more than the user's own permission.
    let Some(target) = target else { return true }; // the origin answers for the user alone
    if op.owner_checked() {
        return who.level_on(token.kind, &Res::Workspace(target.workspace())).is_some();
    }
    let need = level.max(least);
    who.level_on(token.kind, target).is_some_and(|l| l >= need) || (public_repo && need == Lvl::Read && op.reads())
}

// ---- the operations ----

fn spec_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/bitbucket-cloud-openapi.json")
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_owned()).collect()
}

fn ops_from_spec(spec: &Value) -> Vec<Op> {
    let mut ops = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for method in ["get", "put", "post", "delete", "patch", "head", "options"] {
            let Some(op) = item.get(method) else { continue };
            let mut sets: Vec<Vec<String>> = Vec::new();
            for requirement in op["security"].as_array().into_iter().flatten() {
                if let Some(scopes) = requirement.get("oauth2") {
                    sets.push(strings(scopes));
                }
            }
            let mut granular = Vec::new();
            for entry in op["x-atlassian-oauth2-scopes"].as_array().into_iter().flatten() {
                let set = strings(&entry["scopes"]);
                granular.extend(set.iter().cloned());
                sets.push(set);
            }
            if sets.is_empty() {
                sets.push(Vec::new());
            }
            ops.push(Op {
                method: method.to_uppercase(),
                template: format!("/2.0{path}"),
                query: None,
                sets,
                granular,
                git: None,
            });
        }
    }
    // DESIGN.md §2: Git smart HTTP; clone and fetch read the repository, push writes it.
    let git = |method: &str, tail: &str, query: Option<&str>, kind: GitOp| {
        let (classic, granular) = match kind {
            GitOp::Fetch => ("repository", "read:repository:bitbucket"),
            GitOp::Push => ("repository:write", "write:repository:bitbucket"),
        };
        Op {
            method: method.to_owned(),
            template: format!("/{{workspace}}/{{repo_slug}}/{tail}"),
            query: query.map(str::to_owned),
            sets: vec![vec![classic.to_owned()], vec![granular.to_owned()]],
            granular: Vec::new(),
            git: Some(kind),
        }
    };
    ops.push(git("GET", "info/refs", Some("service=git-upload-pack"), GitOp::Fetch));
    ops.push(git("GET", "info/refs", Some("service=git-receive-pack"), GitOp::Push));
    ops.push(git("POST", "git-upload-pack", None, GitOp::Fetch));
    ops.push(git("POST", "git-receive-pack", None, GitOp::Push));
    ops
}

fn url(op: &Op, corner: &Corner) -> String {
    let mut out = String::new();
    let mut rest = op.template.as_str();
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = rest[open..].find('}').unwrap() + open;
        out.push_str(match &rest[open + 1..close] {
            "workspace" | "username" => corner.workspace,
            "repo_slug" => corner.repo,
            "project_key" => corner.project,
            "path" => "docs/readme.md",
            _ => "1",
        });
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    match &op.query {
        Some(q) => format!("{out}?{q}"),
        None => out,
    }
}

/// A weaker relative of a scope: what a near-miss token holds instead.
fn weaker(scope: &str) -> Option<String> {
    if let Some(rest) = scope.strip_suffix(":bitbucket") {
        let (verb, object) = rest.split_once(':')?;
        let down = match verb {
            "write" => "read",
            "admin" | "delete" => "write",
            _ => return None,
        };
        return Some(format!("{down}:{object}:bitbucket"));
    }
    let (object, verb) = scope.split_once(':')?;
    Some(match verb {
        "write" => object.to_owned(),
        _ => format!("{object}:write"),
    })
}

/// The scope choices for one operation: each set, near misses of each, nothing, everything,
/// and everything that does not reach the operation's scopes.
fn scope_choices(op: &Op, catalogue: &[String]) -> Vec<Vec<String>> {
    let mut out: BTreeSet<Vec<String>> = BTreeSet::new();
    let mut add = |mut v: Vec<String>| {
        v.retain(|s| catalogue.contains(s));
        v.sort();
        v.dedup();
        out.insert(v);
    };
    let named: BTreeSet<String> = op.sets.iter().flatten().cloned().collect();
    for set in &op.sets {
        add(set.clone());
        if set.len() > 1 {
            add(set[1..].to_vec());
        }
        if let Some((i, w)) = set.iter().enumerate().find_map(|(i, s)| weaker(s).map(|w| (i, w))) {
            let mut near = set.clone();
            near[i] = w;
            add(near);
        }
    }
    add(Vec::new());
    add(catalogue.to_vec());
    add(catalogue.iter().filter(|c| closure(std::slice::from_ref(c)).is_disjoint(&named)).cloned().collect());
    out.into_iter().collect()
}

// ---- the engines ----

const ISSUED: &str = "2026-11-22T10:00:00Z";
const NOW: &str = "2026-11-22T11:00:00Z";

fn seed(parts: &str) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    Sha256::digest(format!("scopegate-soundness:{parts}").as_bytes()).into()
}

/// One engine per principal setup and visibility, holding a token for every choice.
struct World {
    engine: Engine,
    /// The secret of each choice, by its index.
    secrets: Vec<String>,
}

fn world(choices: &[TokenChoice], who: Principal, public: bool) -> World {
    let mut secrets = Vec::with_capacity(choices.len());
    let mut tokens = Vec::new();
    for (i, choice) in choices.iter().enumerate() {
        let minted = mint_from_seed(choice.kind, &seed(&format!("{i}")));
        let mut t = json!({
            "id": format!("t-{i}"), "kind": choice.kind.as_str(), "secret": minted.token,
            "created_at": "2026-11-01T00:00:00Z", "expires_at": "2027-11-01T00:00:00Z", "created_by": "u-admin",
        });
        match &choice.grant {
            Grant::Scopes(s) => t["scopes"] = json!(s),
            Grant::ReadOnly => t["access"] = json!("read_only"),
            Grant::ReadWrite => t["access"] = json!("read_write"),
        }
        if let Some(r) = bound_resource(choice.kind) {
            t["resource"] = json!(r.text());
        }
        if user_bound(choice.kind) {
            t["principal"] = json!(if choice.kind == TokenKind::ServiceAccountToken { "sa-ci" } else { "u-dev" });
        }
        tokens.push(t);
        secrets.push(minted.token);
    }
    let permissions = |kind| -> Vec<Value> {
        let on = Principal::grant(kind).text();
        who.level.iter().map(|l| json!({"resource": on.clone(), "level": l.name()})).collect()
    };
    let repo = |c: &Corner| json!({"workspace": c.workspace, "slug": c.repo, "project": c.project, "public": public});
    let state = json!({
        "issued_at": ISSUED,
        "profile": "bitbucket-cloud",
        "resources": {
            "workspaces": [{"slug": HOME.workspace}, {"slug": AWAY.workspace}],
            "projects": [{"workspace": HOME.workspace, "key": HOME.project}, {"workspace": AWAY.workspace, "key": AWAY.project}],
            "repositories": [repo(&HOME), repo(&AWAY)]
        },
        "principals": [
            {"id": "u-dev", "kind": "user", "email": "dev@acme.test", "status": "active", "groups": ["staff"],
             "two_factor": true, "permissions": permissions(TokenKind::ApiToken)},
            {"id": "sa-ci", "kind": "service_account", "status": "active",
             "permissions": permissions(TokenKind::ServiceAccountToken)},
            {"id": "u-admin", "kind": "user", "email": "admin@acme.test", "status": "active", "groups": ["staff"],
             "two_factor": true, "permissions": [{"resource": HOME.workspace, "level": "admin"}]}
        ],
        "tokens": tokens,
        "token_permissions": {"use": ["*"], "create": ["*"], "create_write": ["*"], "create_for_others": []}
    });
    World { engine: Engine::from_state_json(&state.to_string()).unwrap(), secrets }
}

// ---- the sweep ----

#[derive(Default)]
struct Tally {
    compared: u64,
    engine_allows: u64,
    reference_allows: u64,
    both_allow: u64,
    denied_by_reason: BTreeMap<&'static str, u64>,
    violations: Vec<String>,
    violation_count: u64,
}

impl Tally {
    fn add(&mut self, other: Tally) {
        self.compared += other.compared;
        self.engine_allows += other.engine_allows;
        self.reference_allows += other.reference_allows;
        self.both_allow += other.both_allow;
        for (reason, n) in other.denied_by_reason {
            *self.denied_by_reason.entry(reason).or_default() += n;
        }
        self.violation_count += other.violation_count;
        self.violations.extend(other.violations);
        self.violations.truncate(25);
    }
}

/// Every operation, from both corners, anonymously and with each of its token choices, in
/// one world: the engine against the reference.
fn sweep_world(
    ops: &[Op],
    choices: &[TokenChoice],
    per_op: &[Vec<(usize, BTreeSet<String>)>],
    w: &World,
    who: Principal,
    public: bool,
) -> Tally {
    let now = Timestamp::parse(NOW).unwrap();
    let nothing = BTreeSet::new();
    let mut tally = Tally::default();
    for (op, op_choices) in ops.iter().zip(per_op) {
        for corner in [&HOME, &AWAY] {
            let url = url(op, corner);
            let target = addressed(&op.template, corner);
            let actors = std::iter::once((None, &nothing)).chain(op_choices.iter().map(|(i, g)| (Some(*i), g)));
            for (choice, granted) in actors {
                let mut request = Request::new(&op.method, &url);
                let actor = match choice {
                    Some(i) => {
                        let secret = &w.secrets[i];
                        request.headers = Headers(vec![("authorization".into(), format!("Bearer {secret}"))]);
                        Actor::Token(&choices[i])
                    }
                    None => Actor::Anonymous,
                };
                let d = w.engine.check(&request, now);
                assert_ne!(d.reason, Reason::RouteUnknown, "{} {url}: the engine finds no route", op.method);
                let expected = reference(op, &actor, granted, target.as_ref(), public, who);
                tally.compared += 1;
                tally.engine_allows += u64::from(d.allow);
                tally.reference_allows += u64::from(expected);
                tally.both_allow += u64::from(d.allow && expected);
                if !d.allow {
                    *tally.denied_by_reason.entry(d.reason.code()).or_default() += 1;
                }
                if d.allow && !expected {
                    tally.violation_count += 1;
                    if tally.violations.len() < 25 {
                        tally.violations.push(format!(
                            "{} {url} by {actor:?} ({who:?}, public: {public}): engine {} ({}), reference denies",
                            op.method,
                            d.reason.code(),
                            d.message
                        ));
                    }
                }
            }
        }
    }
    tally
}

#[test]
fn the_engine_never_allows_what_the_reference_denies() {
    let Ok(text) = std::fs::read_to_string(spec_path()) else {
        if std::env::var_os("CI").is_some() {
            panic!("{} is missing: the soundness sweep cannot run in CI without the spec", spec_path().display());
        }
        let _ = writeln!(
            std::io::stderr(),
            "\n*** SKIPPED: the soundness sweep needs {} (absent): nothing was compared ***\n",
            spec_path().display()
        );
        return;
    };
    let spec: Value = serde_json::from_str(&text).unwrap();
    let ops = ops_from_spec(&spec);

    // Every route of the built-in profile is one operation here, and the other way round.
    let profile = Profile::builtin("bitbucket-cloud").unwrap();
    let routes: BTreeSet<(String, String, Option<String>)> =
        profile.doc().routes.iter().map(|r| (r.method.clone(), r.path.clone(), r.query.clone())).collect();
    let swept: BTreeSet<(String, String, Option<String>)> =
        ops.iter().map(|o| (o.method.clone(), o.template.clone(), o.query.clone())).collect();
    assert_eq!(routes, swept, "the sweep's operations and the built-in routes differ");
    assert_eq!(ops.len(), 331 + 4);

    let catalogue: Vec<String> = profile.doc().scopes.iter().map(|s| s.name.clone()).collect();
    let per_op: Vec<Vec<(TokenChoice, BTreeSet<String>)>> = ops
        .iter()
        .map(|op| {
            let scoped = scope_choices(op, &catalogue);
            TokenKind::ALL
                .iter()
                .flat_map(|&kind| {
                    scoped
                        .iter()
                        .map(move |s| (TokenChoice { kind, grant: Grant::Scopes(s.clone()) }, closure(s)))
                        .chain(
                            [Grant::ReadOnly, Grant::ReadWrite]
                                .map(|grant| (TokenChoice { kind, grant }, BTreeSet::new())),
                        )
                })
                .collect()
        })
        .collect();
    let choices: Vec<TokenChoice> =
        per_op.iter().flatten().map(|(c, _)| c.clone()).collect::<BTreeSet<_>>().into_iter().collect();
    // Choices by index: no hashing of scope lists per decision.
    let index: HashMap<&TokenChoice, usize> = choices.iter().enumerate().map(|(i, c)| (c, i)).collect();
    let per_op: Vec<Vec<(usize, BTreeSet<String>)>> =
        per_op.into_iter().map(|list| list.into_iter().map(|(c, g)| (index[&c], g)).collect()).collect();

    let setups = [None, Some(Lvl::Read), Some(Lvl::Write), Some(Lvl::Admin)].map(|level| Principal { level });
    let started = std::time::Instant::now();
    // The two visibilities on two threads: the sweep stays within seconds on a debug build.
    let tally = std::thread::scope(|scope| {
        let halves: Vec<_> = [false, true]
            .map(|public| {
                let (ops, per_op, choices) = (&ops, &per_op, &choices);
                scope.spawn(move || {
                    let mut tally = Tally::default();
                    for who in setups {
                        tally.add(sweep_world(ops, choices, per_op, &world(choices, who, public), who, public));
                    }
                    tally
                })
            })
            .into_iter()
            .collect();
        let mut tally = Tally::default();
        for half in halves {
            tally.add(half.join().unwrap());
        }
        tally
    });
    let by_reason = &tally.denied_by_reason;
    let _ = writeln!(
        std::io::stderr(),
        "soundness sweep: {} decisions compared ({} routes, {} tokens per world, {} worlds) in {:.1}s; \
         the engine allowed {}, the reference {}, both {}; engine denials by reason: {by_reason:?}",
        tally.compared,
        ops.len(),
        choices.len(),
        setups.len() * 2,
        started.elapsed().as_secs_f64(),
        tally.engine_allows,
        tally.reference_allows,
        tally.both_allow
    );
    assert!(
        tally.violations.is_empty(),
        "the engine allowed {} requests the reference denies; the first ones:\n  {}",
        tally.violation_count,
        tally.violations.join("\n  ")
    );
    // A sweep that allows nothing proves nothing: the engine must still allow what it should.
    assert!(tally.compared >= 300_000, "only {} decisions compared", tally.compared);
    assert!(tally.both_allow >= 50_000, "only {} allows in common", tally.both_allow);
}

#[test]
fn the_reference_model_follows_the_issue_examples() {
    let op = |method: &str, template: &str, sets: &[&[&str]]| {
        let sets: Vec<Vec<String>> = sets.iter().map(|s| s.iter().map(|x| (*x).to_owned()).collect()).collect();
        let granular = sets.iter().flatten().filter(|s| s.ends_with(":bitbucket")).cloned().collect();
        Op { method: method.into(), template: template.into(), query: None, sets, granular, git: None }
    };
    let token = |kind, grant| TokenChoice { kind, grant };
    let decide = |op: &Op, actor: &Actor<'_>, target: &Res, public: bool, who: Principal| {
        let granted = match actor {
            Actor::Token(TokenChoice { grant: Grant::Scopes(s), .. }) => closure(s),
            _ => BTreeSet::new(),
        };
        reference(op, actor, &granted, Some(target), public, who)
    };
    let scopes = |s: &[&str]| Grant::Scopes(s.iter().map(|x| (*x).to_owned()).collect());
    let repo = Res::Repo("acme", "web");
    let none = Principal { level: None };
    let writer = Principal { level: Some(Lvl::Write) };
    let pipelines = op(
        "POST",
        "/2.0/repositories/{workspace}/{repo_slug}/pipelines",
        &[&["pipeline"], &["read:pipeline:bitbucket", "write:pipeline:bitbucket"]],
    );
    assert!(!decide(&pipelines, &Actor::Anonymous, &repo, true, none));
    assert!(!decide(&pipelines, &Actor::Token(&token(TokenKind::ApiToken, scopes(&["pipeline"]))), &repo, true, none));
    assert!(decide(&pipelines, &Actor::Token(&token(TokenKind::ApiToken, scopes(&["pipeline"]))), &repo, true, writer));
    let delete = op(
        "DELETE",
        "/2.0/repositories/{workspace}/{repo_slug}",
        &[&["repository:delete"], &["delete:repository:bitbucket"]],
    );
    assert!(!decide(&delete, &Actor::Token(&token(TokenKind::AppPassword, Grant::ReadWrite)), &repo, false, writer));
    let comment = op(
        "POST",
        "/2.0/repositories/{workspace}/{repo_slug}/commit/{commit}/comments",
        &[&["repository"], &["read:repository:bitbucket"]],
    );
    assert!(!decide(&comment, &Actor::Anonymous, &repo, true, none));
    let snippet =
        op("DELETE", "/2.0/snippets/{workspace}/{encoded_id}", &[&["snippet:write"], &["delete:snippet:bitbucket"]]);
    assert!(snippet.owner_checked());
    let ws = Res::Workspace("acme");
    assert!(!decide(
        &snippet,
        &Actor::Token(&token(TokenKind::ApiToken, scopes(&["snippet:write"]))),
        &ws,
        false,
        none
    ));
    let members = op("GET", "/2.0/workspaces/{workspace}/members", &[&["account"], &["read:workspace:bitbucket"]]);
    assert!(!decide(&members, &Actor::Token(&token(TokenKind::ApiToken, scopes(&["account"]))), &ws, false, none));
    let mut clone = op("POST", "/{workspace}/{repo_slug}/git-upload-pack", &[&["repository"]]);
    clone.git = Some(GitOp::Fetch);
    assert!(decide(&clone, &Actor::Token(&token(TokenKind::AppPassword, Grant::ReadOnly)), &repo, false, writer));
    assert!(decide(&clone, &Actor::Anonymous, &repo, true, none));
    assert_eq!(closure(&["pullrequest:write".to_owned()]).len(), 4);
}

#[test]
fn owner_checked_routes_leave_ownership_to_the_origin_and_say_so() {
    let minted = |i: &str| mint_from_seed(TokenKind::ApiToken, &seed(i)).token;
    let state = json!({
        "issued_at": ISSUED,
        "resources": {"workspaces": [{"slug": "acme"}], "repositories": [{"workspace": "acme", "slug": "web"}]},
        "principals": [
            {"id": "u-member", "kind": "user", "permissions": [{"resource": "acme", "level": "read"}]},
            {"id": "u-repo-only", "kind": "user", "permissions": [{"resource": "acme/web", "level": "admin"}]}
        ],
        "tokens": [
            {"id": "t-member", "kind": "api_token", "principal": "u-member", "secret": minted("member"),
             "scopes": ["snippet:write"], "created_at": "2026-11-01T00:00:00Z", "expires_at": "2027-01-01T00:00:00Z"},
            {"id": "t-repo-only", "kind": "api_token", "principal": "u-repo-only", "secret": minted("repo-only"),
             "scopes": ["snippet:write"], "created_at": "2026-11-01T00:00:00Z", "expires_at": "2027-01-01T00:00:00Z"}
        ]
    });
    let engine = Engine::from_state_json(&state.to_string()).unwrap();
    let now = Timestamp::parse(NOW).unwrap();
    let explain = |who: &str, method: &str, url: &str| {
        let mut request = Request::new(method, url);
        request.headers = Headers(vec![("authorization".into(), format!("Bearer {}", minted(who)))]);
        let x = engine.explain(&request, now);
        let permission = x.steps.iter().find(|s| s.step == "permission").map(|s| (s.ok, s.detail.clone()));
        (x.decision.reason, permission)
    };
    // A member may ask: the trace says the origin decides whose snippet it is.
    let (reason, step) = explain("member", "DELETE", "/2.0/snippets/acme/abc");
    assert_eq!(reason, Reason::Ok);
    let (ok, detail) = step.unwrap();
    assert!(
        ok && detail.contains("needs read membership") && detail.contains("the origin checks that `u-member` owns"),
        "{detail}"
    );
    // A grant on one repository is no membership of the workspace.
    let (reason, step) = explain("repo-only", "DELETE", "/2.0/snippets/acme/abc");
    assert_eq!(reason, Reason::PrincipalLacksPermission);
    assert!(!step.unwrap().0);
    // No workspace in the path: the origin alone decides.
    let (reason, step) = explain("repo-only", "POST", "/2.0/snippets");
    assert_eq!(reason, Reason::Ok);
    assert!(step.unwrap().1.contains("the origin checks"));
}
