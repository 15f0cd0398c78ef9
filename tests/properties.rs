//! Property tests over the whole engine (issue 3):
//! - restricting a policy never turns a deny into an allow;
//! - the profile's implication closure is extensive, idempotent and monotone;
//! - arbitrary headers, URLs, methods and peer addresses never panic and always give a
//!   well-formed decision, and `explain()` agrees with `check()`.
//!
//! States are generated over a small universe (one workspace, a few repositories, users,
//! groups, scopes and networks) so random requests hit real tokens, routes and policies often.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::sync::OnceLock;

use base64::Engine as _;
use proptest::prelude::*;
use proptest::sample::{select, subsequence};
use proptest::strategy::ValueTree;
use scopegate::{mint_from_seed, Decision, Effect, Engine, Profile, Reason, Request, Timestamp, TokenKind};
use serde_json::{json, Value};

const DAY: i64 = 86_400;

fn now() -> Timestamp {
    Timestamp::parse("2026-11-22T12:00:00Z").unwrap()
}

fn at(days: i64) -> String {
    now().plus(days * DAY).to_string()
}

// ---------------------------------------------------------------------------------------------
// The universe

const GROUPS: [&str; 3] = ["g1", "g2", "g3"];
const USERS: [&str; 3] = ["u0", "u1", "u2"];
const SERVICE_ACCOUNT: &str = "sa0";
const PERMISSION_RESOURCES: [&str; 5] = ["acme", "acme/PROJ", "acme/web", "acme/api", "acme/docs"];
const LEVELS: [&str; 3] = ["read", "write", "admin"];
const STATUSES: [&str; 5] = ["active", "active", "active", "active", "deactivated"];
const SCOPES: [&str; 10] = [
    "repository",
    "repository:write",
    "repository:admin",
    "pullrequest",
    "pullrequest:write",
    "project",
    "account",
    "read:repository:bitbucket",
    "write:repository:bitbucket",
    "issue",
];
/// Allowlist entries; `narrower` maps each to a block inside it.
const CIDRS: [&str; 6] =
    ["198.51.100.0/24", "198.51.100.0/25", "203.0.113.0/24", "2001:db8::/32", "10.0.0.0/8", "0.0.0.0/0"];
const ADDRS: [&str; 8] = [
    "198.51.100.7",
    "198.51.100.200",
    "203.0.113.9",
    "[2001:db8::1]:443",
    "10.0.0.5",
    "::ffff:198.51.100.7",
    "192.0.2.1",
    "garbage",
];
const ROUTES: [(&str, &str); 14] = [
    ("GET", "/2.0/repositories/acme/web"),
    ("PUT", "/2.0/repositories/acme/web"),
    ("GET", "/2.0/repositories/acme/api/pullrequests"),
    ("POST", "/2.0/repositories/acme/web/pullrequests"),
    ("POST", "/2.0/repositories/acme/api/src"),
    ("GET", "/2.0/repositories/acme/docs"),
    ("POST", "/2.0/repositories/acme/docs/src"),
    ("GET", "/2.0/workspaces/acme/projects/PROJ"),
    ("GET", "/2.0/user"),
    ("GET", "/acme/web.git/info/refs?service=git-upload-pack"),
    ("GET", "/acme/web.git/info/refs?service=git-receive-pack"),
    ("POST", "/acme/api/git-receive-pack"),
    ("GET", "/2.0/no-such-route"),
    ("DELETE", "/2.0/repositories/acme/web/refs/branches/main"),
];

fn narrower(cidr: &str) -> &'static str {
    match cidr {
        "198.51.100.0/24" => "198.51.100.0/25",
        "198.51.100.0/25" => "198.51.100.0/26",
        "203.0.113.0/24" => "203.0.113.0/25",
        "2001:db8::/32" => "2001:db8::/48",
        "10.0.0.0/8" => "10.0.0.0/16",
        "0.0.0.0/0" => "198.51.100.0/24",
        _ => "192.0.2.0/30",
    }
}

#[derive(Clone, Debug)]
struct UserSpec {
    groups: Vec<&'static str>,
    status: &'static str,
    permissions: Vec<(&'static str, &'static str)>,
}

#[derive(Clone, Debug)]
struct TokenSpec {
    kind: TokenKind,
    /// Which user a user-bound token belongs to; which resource a resource-bound one is for.
    owner: usize,
    scopes: Vec<&'static str>,
    access: Option<&'static str>,
    created_days: Option<i64>,
    expires_days: Option<i64>,
    revoked: bool,
    allowed_ips: Vec<&'static str>,
}

#[derive(Clone, Debug, PartialEq)]
struct PolicySpec {
    groups: Vec<&'static str>,
    principals: Vec<&'static str>,
    block_api_tokens: bool,
    block_app_passwords: bool,
    disable_passwords: bool,
    max_days: i64,
    ip_allowlist: Vec<&'static str>,
    revoke_before_days: Option<i64>,
    require_2fa: bool,
}

#[derive(Clone, Debug)]
struct World {
    users: Vec<UserSpec>,
    sa_status: &'static str,
    tokens: Vec<TokenSpec>,
    policies: Vec<PolicySpec>,
    default: PolicySpec,
    trust_proxies: bool,
}

#[derive(Clone, Debug)]
enum Auth {
    None,
    Bearer(usize),
    /// Username choice (0: owner's email, 1: owner's id, 2: x-token-auth, 3: another user), token.
    Basic(usize, usize),
    /// Basic with the username the token's kind expects.
    BasicFitting(usize),
    Password(usize, &'static str),
    Garbage(String),
}

#[derive(Clone, Debug)]
struct Req {
    route: (&'static str, &'static str),
    auth: Auth,
    remote: Option<&'static str>,
    forwarded_for: Option<&'static str>,
}

/// An allowlist: empty (any address) with probability `1 - p`.
fn ip_list(p: f64) -> impl Strategy<Value = Vec<&'static str>> {
    prop::option::weighted(p, prop::collection::vec(select(CIDRS.to_vec()), 1..3)).prop_map(Option::unwrap_or_default)
}

fn user_spec() -> impl Strategy<Value = UserSpec> {
    (
        subsequence(GROUPS.to_vec(), 0..=2),
        select(STATUSES.to_vec()),
        prop::collection::vec((select(PERMISSION_RESOURCES.to_vec()), select(LEVELS.to_vec())), 1..3),
    )
        .prop_map(|(groups, status, permissions)| UserSpec { groups, status, permissions })
}

fn token_spec() -> impl Strategy<Value = TokenSpec> {
    (
        select(TokenKind::ALL.to_vec()),
        0..3usize,
        subsequence(SCOPES.to_vec(), 1..=5),
        prop::option::weighted(0.2, select(vec!["read_only", "read_write"])),
        prop::option::weighted(0.9, prop_oneof![4 => -60..0i64, 1 => -400..0i64]),
        prop::option::weighted(0.7, -10..400i64),
        prop::bool::weighted(0.1),
        ip_list(0.2),
    )
        .prop_map(|(kind, owner, scopes, access, created_days, expires_days, revoked, allowed_ips)| {
            // A token cannot expire before it was created (a state error).
            let expires_days = match (created_days, expires_days) {
                (Some(c), Some(e)) if e < c => Some(c),
                (_, e) => e,
            };
            TokenSpec { kind, owner, scopes, access, created_days, expires_days, revoked, allowed_ips }
        })
}

fn policy_spec() -> impl Strategy<Value = PolicySpec> {
    (
        subsequence(GROUPS.to_vec(), 0..=2),
        subsequence(USERS.iter().copied().chain([SERVICE_ACCOUNT]).collect::<Vec<_>>(), 0..=1),
        prop::bool::weighted(0.2),
        prop::bool::weighted(0.2),
        prop::bool::weighted(0.3),
        select(vec![30i64, 90, 200, 365, 365]),
        ip_list(0.3),
        prop::option::weighted(0.15, -300..-20i64),
        any::<bool>(),
    )
        .prop_map(
            |(
                groups,
                principals,
                block_api_tokens,
                block_app_passwords,
                disable_passwords,
                max_days,
                ip_allowlist,
                revoke_before_days,
                require_2fa,
            )| {
                PolicySpec {
                    groups,
                    principals,
                    block_api_tokens,
                    block_app_passwords,
                    disable_passwords,
                    max_days,
                    ip_allowlist,
                    revoke_before_days,
                    require_2fa,
                }
            },
        )
}

fn world() -> impl Strategy<Value = World> {
    (
        prop::collection::vec(user_spec(), 3),
        select(STATUSES.to_vec()),
        prop::collection::vec(token_spec(), 1..6),
        prop::collection::vec(policy_spec(), 0..3),
        policy_spec(),
        any::<bool>(),
    )
        .prop_map(|(users, sa_status, tokens, policies, default, trust_proxies)| World {
            users,
            sa_status,
            tokens,
            policies,
            default,
            trust_proxies,
        })
}

fn req(tokens: usize) -> impl Strategy<Value = Req> {
    let auth = prop_oneof![
        2 => Just(Auth::None),
        12 => (0..tokens).prop_map(Auth::Bearer),
        6 => (0..tokens).prop_map(Auth::BasicFitting),
        3 => (0..4usize, 0..tokens).prop_map(|(u, t)| Auth::Basic(u, t)),
        3 => (0..4usize, select(vec!["hunter2", "ghp_abc123"])).prop_map(|(u, p)| Auth::Password(u, p)),
        1 => "[ -~]{0,20}".prop_map(Auth::Garbage),
    ];
    (
        select(ROUTES.to_vec()),
        auth,
        prop::option::weighted(0.95, select(ADDRS.to_vec())),
        prop::option::weighted(0.3, select(ADDRS.to_vec())),
    )
        .prop_map(|(route, auth, remote, forwarded_for)| Req { route, auth, remote, forwarded_for })
}

fn secret(i: usize, kind: TokenKind) -> String {
    let mut seed = [0u8; 32];
    seed[0] = u8::try_from(i).unwrap();
    seed[1] = 0x5c;
    mint_from_seed(kind, &seed).token
}

fn email(user: usize) -> String {
    format!("{}@acme.test", USERS[user % USERS.len()])
}

fn user_bound(kind: TokenKind) -> bool {
    matches!(kind, TokenKind::ApiToken | TokenKind::AppPassword | TokenKind::PersonalAccessToken)
}

fn policy_json(p: &PolicySpec, name: Option<String>) -> Value {
    let mut v = json!({
        "api_tokens": if p.block_api_tokens { "block" } else { "allow" },
        "app_passwords": if p.block_app_passwords { "block" } else { "allow" },
        "password_auth": if p.disable_passwords { "disable" } else { "allow" },
        "max_token_lifetime_days": p.max_days,
        "ip_allowlist": p.ip_allowlist,
        "revoke_issued_before": p.revoke_before_days.map(at),
        "require_2fa": p.require_2fa,
    });
    if let Some(name) = name {
        v["name"] = json!(name);
        v["members"] = json!({"groups": p.groups, "principals": p.principals});
    }
    v
}

impl World {
    fn state(&self) -> String {
        let mut principals: Vec<Value> = self
            .users
            .iter()
            .enumerate()
            .map(|(i, u)| {
                json!({
                    "id": USERS[i], "kind": "user", "email": email(i), "status": u.status, "groups": u.groups,
                    "two_factor": i != 0,
                    "permissions": u.permissions.iter().map(|(r, l)| json!({"resource": r, "level": l})).collect::<Vec<_>>(),
                })
            })
            .collect();
        principals.push(json!({"id": SERVICE_ACCOUNT, "kind": "service_account", "status": self.sa_status,
                               "groups": ["g1"], "permissions": [{"resource": "acme", "level": "write"}]}));
        let tokens: Vec<Value> = self
            .tokens
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let mut v = json!({
                    "id": format!("t{i}"), "kind": t.kind.as_str(), "secret": secret(i, t.kind), "scopes": t.scopes,
                    "allowed_ips": t.allowed_ips,
                });
                if let Some(a) = t.access {
                    v["access"] = json!(a);
                }
                if let Some(c) = t.created_days {
                    v["created_at"] = json!(at(c));
                }
                if let Some(e) = t.expires_days {
                    v["expires_at"] = json!(at(e));
                }
                if t.revoked {
                    v["revoked_at"] = json!(at(-1));
                }
                match t.kind {
                    k if user_bound(k) => v["principal"] = json!(USERS[t.owner]),
                    TokenKind::ServiceAccountToken => v["principal"] = json!(SERVICE_ACCOUNT),
                    TokenKind::RepositoryAccessToken => {
                        v["resource"] = json!(["acme/web", "acme/api", "acme/docs"][t.owner])
                    }
                    TokenKind::ProjectAccessToken => {
                        v["resource"] = json!(["acme/PROJ", "acme/OPS", "acme/PROJ"][t.owner])
                    }
                    TokenKind::WorkspaceAccessToken => v["resource"] = json!("acme"),
                    _ => {
                        if t.owner == 0 {
                            v["resource"] = json!("acme");
                        }
                    }
                }
                v
            })
            .collect();
        let policies: Vec<Value> =
            self.policies.iter().enumerate().map(|(i, p)| policy_json(p, Some(format!("p{i}")))).collect();
        json!({
            "issued_at": "2026-11-22T10:00:00Z",
            "profile": "bitbucket-cloud",
            "resources": {
                "workspaces": [{"slug": "acme"}],
                "projects": [{"workspace": "acme", "key": "PROJ"}, {"workspace": "acme", "key": "OPS"}],
                "repositories": [
                    {"workspace": "acme", "slug": "web", "project": "PROJ"},
                    {"workspace": "acme", "slug": "api", "project": "PROJ"},
                    {"workspace": "acme", "slug": "docs", "project": "OPS", "public": true}
                ]
            },
            "principals": principals,
            "tokens": tokens,
            "policies": policies,
            "default_policy": policy_json(&self.default, None),
            "network": {"trusted_proxies": if self.trust_proxies { vec!["10.0.0.0/8"] } else { vec![] },
                        "client_ip_header": "x-forwarded-for"},
        })
        .to_string()
    }

    fn engine(&self) -> Engine {
        let json = self.state();
        Engine::from_state_json(&json).unwrap_or_else(|e| panic!("generated state does not load: {e}\n{json}"))
    }

    fn request(&self, r: &Req) -> Request {
        let mut request = Request::new(r.route.0, r.route.1);
        let basic = |user: &str, secret: &str| {
            format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{secret}")))
        };
        let name_for = |choice: usize, token: usize| -> String {
            let owner = self.tokens.get(token).map_or(0, |t| t.owner);
            match choice {
                0 => email(owner),
                1 => USERS[owner].to_string(),
                2 => "x-token-auth".to_string(),
                _ => email(owner + 1),
            }
        };
        let header = match &r.auth {
            Auth::None => None,
            Auth::Bearer(t) => Some(format!("Bearer {}", secret(*t, self.tokens[*t].kind))),
            Auth::Basic(u, t) => Some(basic(&name_for(*u, *t), &secret(*t, self.tokens[*t].kind))),
            Auth::BasicFitting(t) => {
                let token = &self.tokens[*t];
                let user = match token.kind {
                    k if user_bound(k) => email(token.owner),
                    TokenKind::ServiceAccountToken => SERVICE_ACCOUNT.to_string(),
                    _ => "x-token-auth".to_string(),
                };
                Some(basic(&user, &secret(*t, token.kind)))
            }
            Auth::Password(u, p) => Some(basic(&name_for(*u, 0), p)),
            Auth::Garbage(g) => Some(g.clone()),
        };
        if let Some(h) = header {
            request = request.header("Authorization", &h);
        }
        if let Some(x) = r.forwarded_for {
            request = request.header("X-Forwarded-For", x);
        }
        if let Some(a) = r.remote {
            request = request.from_addr(a);
        }
        request
    }

    /// The policy that applies to a principal: the first listed naming it or one of its groups.
    fn policy_index_of(&self, principal: &str) -> Option<usize> {
        let groups: Vec<&str> = match USERS.iter().position(|u| *u == principal) {
            Some(i) => self.users[i].groups.clone(),
            None => vec!["g1"],
        };
        self.policies
            .iter()
            .position(|p| p.principals.contains(&principal) || p.groups.iter().any(|g| groups.contains(g)))
    }
}

// ---------------------------------------------------------------------------------------------
// Restrictions

#[derive(Clone, Debug)]
enum Restriction {
    BlockApiTokens,
    BlockAppPasswords,
    DisablePasswords,
    LowerLifetime(i64),
    /// Add an allowlist to a policy without one, or narrow one entry of an existing list.
    NarrowIps(&'static str, usize),
    /// Set a bulk-revoke cutoff, or move an existing one later.
    RevokeBefore(i64),
}

impl Restriction {
    fn apply(&self, p: &mut PolicySpec) {
        match *self {
            Restriction::BlockApiTokens => p.block_api_tokens = true,
            Restriction::BlockAppPasswords => p.block_app_passwords = true,
            Restriction::DisablePasswords => p.disable_passwords = true,
            Restriction::LowerLifetime(days) => p.max_days = p.max_days.min(days),
            Restriction::NarrowIps(cidr, which) => {
                if p.ip_allowlist.is_empty() {
                    p.ip_allowlist.push(cidr);
                } else {
                    let i = which % p.ip_allowlist.len();
                    p.ip_allowlist[i] = narrower(p.ip_allowlist[i]);
                }
            }
            Restriction::RevokeBefore(days) => {
                p.revoke_before_days = Some(p.revoke_before_days.map_or(days, |d| d.max(days)));
            }
        }
    }
}

fn restriction() -> impl Strategy<Value = Restriction> {
    prop_oneof![
        Just(Restriction::BlockApiTokens),
        Just(Restriction::BlockAppPasswords),
        Just(Restriction::DisablePasswords),
        select(vec![1i64, 30, 90, 180]).prop_map(Restriction::LowerLifetime),
        (select(CIDRS.to_vec()), 0..3usize).prop_map(|(c, i)| Restriction::NarrowIps(c, i)),
        (-200..1i64).prop_map(Restriction::RevokeBefore),
    ]
}

/// Where a restriction goes: the default policy, a listed one, or a new stricter policy put in
/// front for one principal (a copy of the policy it had, plus the restriction).
#[derive(Clone, Debug)]
enum Target {
    Default,
    Listed(usize),
    MovePrincipal(usize),
}

fn target() -> impl Strategy<Value = Target> {
    prop_oneof![
        Just(Target::Default),
        (0..3usize).prop_map(Target::Listed),
        (0..4usize).prop_map(Target::MovePrincipal)
    ]
}

fn restricted(world: &World, target: &Target, r: &Restriction) -> World {
    let mut w = world.clone();
    match *target {
        Target::Default => r.apply(&mut w.default),
        Target::Listed(i) if !w.policies.is_empty() => {
            let i = i % w.policies.len();
            r.apply(&mut w.policies[i]);
        }
        Target::Listed(_) => r.apply(&mut w.default),
        Target::MovePrincipal(i) => {
            let principal = USERS.get(i).copied().unwrap_or(SERVICE_ACCOUNT);
            let mut stricter = match w.policy_index_of(principal) {
                Some(p) => w.policies[p].clone(),
                None => w.default.clone(),
            };
            stricter.groups = Vec::new();
            stricter.principals = vec![principal];
            r.apply(&mut stricter);
            w.policies.insert(0, stricter);
        }
    }
    w
}

fn brief(d: &Decision) -> String {
    format!("{:?} {} ({}) policy={:?} ip={:?}", d.effect, d.reason.code(), d.message, d.policy, d.client_ip)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 384, ..ProptestConfig::default() })]

    #[test]
    fn a_restriction_never_turns_a_deny_into_an_allow(
        (world, requests) in world().prop_flat_map(|w| { let n = w.tokens.len(); (Just(w), prop::collection::vec(req(n), 1..6)) }),
        target in target(),
        restriction in restriction(),
        hours in -48..48i64,
    ) {
        let after_world = restricted(&world, &target, &restriction);
        let before = world.engine();
        let after = after_world.engine();
        let now = now().plus(hours * 3600);
        for r in &requests {
            let request = world.request(r);
            let was = before.check(&request, now);
            let is = after.check(&request, now);
            prop_assert!(
                !is.allow || was.allow,
                "{restriction:?} on {target:?} turned a deny into an allow\nrequest: {request:?}\nbefore: {}\nafter:  {}",
                brief(&was),
                brief(&is)
            );
            prop_assert!(
                is.effect != Effect::Defer || was.effect != Effect::Deny,
                "{restriction:?} on {target:?} turned a deny into a defer\nrequest: {request:?}\nbefore: {}\nafter:  {}",
                brief(&was),
                brief(&is)
            );
        }
    }
}

#[test]
fn the_generated_universe_reaches_allows_and_denies() {
    // Guards the property above against a generator that only ever produces denies (which
    // would make "never turns a deny into an allow" vacuous).
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = world().prop_flat_map(|w| {
        let n = w.tokens.len();
        (Just(w), prop::collection::vec(req(n), 4))
    });
    let (mut allows, mut denies, mut restricted_flips) = (0, 0, 0);
    let mut reasons = std::collections::BTreeMap::new();
    for _ in 0..200 {
        let (world, requests) = strategy.new_tree(&mut runner).unwrap().current();
        let engine = world.engine();
        let stricter = restricted(&world, &Target::Default, &Restriction::NarrowIps("192.0.2.0/30", 0)).engine();
        for r in &requests {
            let request = world.request(r);
            let d = engine.check(&request, now());
            if d.allow {
                allows += 1;
                if !stricter.check(&request, now()).allow {
                    restricted_flips += 1;
                }
            } else {
                denies += 1;
                *reasons.entry(d.reason.code()).or_insert(0) += 1;
            }
        }
    }
    eprintln!(
        "{allows} allows, {denies} denies, {restricted_flips} allows turned by a restriction; denies: {reasons:?}"
    );
    assert!(allows >= 40, "only {allows} allows in 800 generated requests");
    assert!(denies >= 20, "only {denies} denies in 800 generated requests");
    assert!(
        restricted_flips >= 10,
        "only {restricted_flips} allows changed by a restriction: the property would be nearly vacuous"
    );
}

// ---------------------------------------------------------------------------------------------
// Implication closure

fn builtin() -> &'static Profile {
    static PROFILE: OnceLock<Profile> = OnceLock::new();
    PROFILE.get_or_init(|| Profile::builtin("bitbucket-cloud").expect("the built-in profile loads"))
}

fn catalogue() -> Vec<String> {
    builtin().doc().scopes.iter().map(|s| s.name.clone()).collect()
}

fn scope_set() -> impl Strategy<Value = Vec<String>> {
    let names = catalogue();
    prop::collection::vec(prop_oneof![8 => select(names), 1 => "[a-z:]{1,12}".prop_map(String::from)], 0..8)
}

fn is_subset(a: &[String], b: &[String]) -> bool {
    a.iter().all(|s| b.contains(s))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn closure_is_extensive_idempotent_and_sorted(scopes in scope_set()) {
        let p = builtin();
        let once = p.closure(&scopes);
        prop_assert!(is_subset(&scopes, &once), "closure lost scopes: {scopes:?} -> {once:?}");
        prop_assert_eq!(p.closure(&once), once.clone(), "closure is not idempotent for {:?}", scopes);
        let mut sorted = once.clone();
        sorted.sort();
        sorted.dedup();
        prop_assert_eq!(sorted, once);
    }

    #[test]
    fn closure_is_monotone(a in scope_set(), extra in scope_set()) {
        let p = builtin();
        let mut b = a.clone();
        b.extend(extra);
        let (ca, cb) = (p.closure(&a), p.closure(&b));
        prop_assert!(is_subset(&ca, &cb), "closure({a:?}) = {ca:?} is not inside closure({b:?}) = {cb:?}");
    }

    #[test]
    fn closure_distributes_over_union(a in scope_set(), b in scope_set()) {
        let p = builtin();
        let mut union = a.clone();
        union.extend(b.clone());
        let mut joined = p.closure(&a);
        joined.extend(p.closure(&b));
        prop_assert_eq!(p.closure(&union), p.closure(&joined));
    }
}

#[test]
fn closure_follows_the_design_implications() {
    let p = builtin();
    let closure = |s: &str| p.closure(&[s.to_string()]);
    let expect = |s: &str, want: &[&str]| {
        let mut want: Vec<String> = want.iter().map(ToString::to_string).collect();
        want.sort();
        assert_eq!(closure(s), want, "closure of `{s}`");
    };
    // DESIGN.md §2, transitively closed.
    expect("repository:write", &["repository", "repository:write"]);
    expect("pullrequest", &["pullrequest", "repository"]);
    expect("pullrequest:write", &["pullrequest", "pullrequest:write", "repository", "repository:write"]);
    expect("project", &["project", "repository"]);
    expect("issue:write", &["issue", "issue:write"]);
    expect("snippet:write", &["snippet", "snippet:write"]);
    expect("account:write", &["account", "account:write"]);
    for alone in ["repository:admin", "repository:delete", "project:admin", "repository", "account"] {
        expect(alone, &[alone]);
    }
    for name in catalogue().iter().filter(|n| n.ends_with(":bitbucket")) {
        assert_eq!(closure(name), vec![name.clone()], "granular scope `{name}` must imply nothing");
    }
}

// ---------------------------------------------------------------------------------------------
// Arbitrary input never panics

fn fuzz_engines() -> &'static [Engine] {
    static ENGINES: OnceLock<Vec<Engine>> = OnceLock::new();
    ENGINES.get_or_init(|| {
        ["x-forwarded-for", "forwarded", "cf-connecting-ip", "x-real-ip"]
            .iter()
            .map(|header| {
                let state = json!({
                    "issued_at": "2026-11-22T10:00:00Z",
                    "resources": {"workspaces": [{"slug": "acme"}],
                                  "repositories": [{"workspace": "acme", "slug": "web", "public": true}]},
                    "principals": [{"id": "u0", "kind": "user", "email": "u0@acme.test",
                                    "permissions": [{"resource": "acme", "level": "write"}]}],
                    "tokens": [
                        {"id": "t-api", "kind": "api_token", "secret": "fuzz-api", "principal": "u0", "scopes": ["repository:write"],
                         "allowed_ips": ["198.51.100.0/24", "2001:db8::/32"]},
                        {"id": "t-repo", "kind": "repository_access_token", "secret": "fuzz-repo", "resource": "acme/web",
                         "scopes": ["pullrequest:write"]},
                        {"id": "t-ro", "kind": "api_token", "secret": "fuzz-ro", "principal": "u0", "access": "read_only"}
                    ],
                    "policies": [{"name": "strict", "members": {"groups": [], "principals": ["u0"]},
                                  "ip_allowlist": ["0.0.0.0/0", "::/0"], "password_auth": "disable"}],
                    "network": {"trusted_proxies": ["0.0.0.0/0", "::/0"], "client_ip_header": header}
                });
                Engine::from_state_json(&state.to_string()).expect("fuzz state loads")
            })
            .collect()
    })
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,40}",
        ".{0,40}",
        "[ -~]{0,60}",
        prop::collection::vec(any::<u8>(), 0..40).prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
    ]
}

fn authorization() -> impl Strategy<Value = String> {
    let b64 = |s: String| base64::engine::general_purpose::STANDARD.encode(s);
    prop_oneof![
        text(),
        text().prop_map(|t| format!("Bearer {t}")),
        text().prop_map(move |t| format!("Basic {}", b64(t))),
        (
            select(vec!["u0", "u0@acme.test", "x-token-auth", ""]),
            select(vec!["fuzz-api", "fuzz-repo", "fuzz-ro", "pw"])
        )
            .prop_map(|(u, s)| format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{u}:{s}"))
            )),
        select(vec!["fuzz-api", "fuzz-repo", "fuzz-ro"]).prop_map(|s| format!("Bearer {s}")),
        "sg[a-z]_[0-9A-Za-z]{0,60}".prop_map(|t| format!("Bearer {t}")),
    ]
}

fn url() -> impl Strategy<Value = String> {
    let segment = prop_oneof![
        select(vec![
            "2.0",
            "repositories",
            "acme",
            "web",
            "web.git",
            "info",
            "refs",
            "git-upload-pack",
            "git-receive-pack",
            "pullrequests",
            "user",
            "workspaces",
            "projects",
            "..",
            ".",
            "",
            "%2F",
            "%",
            "%zz",
            "%C3%A9"
        ])
        .prop_map(String::from),
        "[^/?#]{0,12}",
    ];
    prop_oneof![
        text(),
        (prop::collection::vec(segment, 0..8), prop::option::of("[ -~]{0,20}"), any::<bool>()).prop_map(
            |(segs, q, full)| {
                let mut u = if full { "https://api.bitbucket.org".to_string() } else { String::new() };
                u.push('/');
                u.push_str(&segs.join("/"));
                if let Some(q) = q {
                    u.push('?');
                    u.push_str(&q);
                }
                u
            }
        ),
    ]
}

fn header_name() -> impl Strategy<Value = String> {
    prop_oneof![
        select(vec![
            "Authorization",
            "X-Forwarded-For",
            "Forwarded",
            "CF-Connecting-IP",
            "X-Real-IP",
            "authorization",
            "x-forwarded-for"
        ])
        .prop_map(String::from),
        text(),
    ]
}

fn ip_text() -> impl Strategy<Value = String> {
    prop_oneof![
        text(),
        any::<std::net::IpAddr>().prop_map(|ip| ip.to_string()),
        (any::<std::net::IpAddr>(), any::<u16>())
            .prop_map(|(ip, port)| std::net::SocketAddr::new(ip, port).to_string()),
        prop::collection::vec(any::<std::net::IpAddr>().prop_map(|ip| ip.to_string()), 0..5).prop_map(|v| v.join(", ")),
        any::<std::net::Ipv6Addr>().prop_map(|ip| format!("for=\"[{ip}]:80\";proto=https")),
    ]
}

fn request() -> impl Strategy<Value = Request> {
    (
        prop_oneof![
            select(vec!["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "get", ""]).prop_map(String::from),
            text()
        ],
        url(),
        prop::option::of(authorization()),
        prop::collection::vec((header_name(), prop_oneof![ip_text(), authorization()]), 0..5),
        prop::option::of(ip_text()),
    )
        .prop_map(|(method, url, auth, headers, remote)| {
            let mut r = Request::new(&method, &url);
            if let Some(a) = auth {
                r = r.header("Authorization", &a);
            }
            for (n, v) in headers {
                r = r.header(&n, &v);
            }
            r.remote_addr = remote;
            r
        })
}

fn well_formed(d: &Decision) -> Result<(), String> {
    if !Reason::ALL.contains(&d.reason) {
        return Err(format!("unknown reason {:?}", d.reason));
    }
    if d.allow != (d.effect == Effect::Allow) {
        return Err(format!("allow {} with effect {:?}", d.allow, d.effect));
    }
    let expected = d.reason.effect();
    if d.effect != expected && !(d.reason == Reason::RouteUnknown && d.effect == Effect::Defer) {
        return Err(format!("reason {} with effect {:?}", d.reason.code(), d.effect));
    }
    if d.message.is_empty() {
        return Err("empty message".into());
    }
    // Secrets never enter a decision.
    let text = serde_json::to_string(d).map_err(|e| e.to_string())?;
    if ["fuzz-api", "fuzz-repo", "fuzz-ro"].iter().any(|s| text.contains(s)) {
        return Err(format!("a secret leaked into the decision: {text}"));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_requests_always_get_a_well_formed_decision(request in request(), engine in 0..4usize, secs in any::<i32>()) {
        let engine = &fuzz_engines()[engine];
        let now = Timestamp::from_unix_seconds(1_795_000_000 + i64::from(secs));
        let d = engine.check(&request, now);
        if let Err(e) = well_formed(&d) {
            prop_assert!(false, "{e}\nrequest: {request:?}");
        }
        let x = engine.explain(&request, now);
        prop_assert_eq!(&x.decision, &d);
        prop_assert_eq!(x.steps.last().map(|s| s.step), Some("decision"), "steps: {:?}", x.steps);
        prop_assert_eq!(x.steps.last().map(|s| s.ok), Some(d.allow));
    }

    #[test]
    fn requests_as_json_never_panic(
        method in "[A-Za-z]{0,7}",
        url in "[a-zA-Z0-9 ./:?=%_#-]{0,40}",
        headers in prop::collection::vec(("[a-zA-Z-]{1,16}", "[ -~]{0,40}"), 0..4),
        remote in "[0-9a-f:.\\[\\]]{0,30}",
    ) {
        let json = json!({"method": method, "url": url, "headers": headers, "remoteAddr": remote}).to_string();
        // What the wasm binding receives: a request deserialised from JSON, then decided.
        if let Ok(request) = serde_json::from_str::<Request>(&json) {
            let d = fuzz_engines()[0].check(&request, now());
            if let Err(e) = well_formed(&d) {
                prop_assert!(false, "{e}\nrequest: {json}");
            }
        }
    }
}
