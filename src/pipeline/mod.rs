//! The decision pipeline (DESIGN.md §1), one step per function, in order. Every step fails
//! closed: the first step that says no decides, and nothing after it runs.
//!
//! A request is decided into a [`Verdict`]: the reason and effect, and borrowed views of what
//! the steps learned (the token in the bundle's bytes, the policy, the matched route and where
//! the addressed resource lies in the path, the client address). Deciding allocates nothing for
//! the usual outcomes; a [`Decision`] (text, owned) is made from a verdict only when asked, and
//! its message from the [`Stop`] that ended the pipeline, in one place.

mod client_ip;
mod credential;
mod request;

pub use credential::Credential;
pub use request::{Authorization, Headers, Request, RequestParts, Target, METHOD_OVERRIDE_HEADERS};

use std::net::IpAddr;

use ipnet::IpNet;

use crate::decision::{Decision, Effect, Reason, Required, Step, TokenSummary};
use crate::directory::{Level, Principal, ResourceRef};
use crate::policy::{canonical_ip, PasswordAuth, Policy, Switch, UnknownRoute};
use crate::profile::{Hit, Profile, RequestPath, RouteView};
use crate::snapshot::Snapshot;
use crate::time::{Timestamp, CLOCK_SKEW_SECONDS, DAY};
use crate::token::{digest_token, parse_prefix, AccessMode, Binding, TokenFormat, TokenKind, TokenRecord, TokenView};

/// The username Git clients send with access tokens.
pub const TOKEN_AUTH_USER: &str = "x-token-auth";

/// Collects the trace only when asked: no formatting on the hot path otherwise.
struct Trace<'t>(Option<&'t mut Vec<Step>>);

impl Trace<'_> {
    fn step(&mut self, step: &'static str, ok: bool, detail: impl FnOnce() -> String) {
        if let Some(steps) = self.0.as_deref_mut() {
            steps.push(Step { step, ok, detail: detail() });
        }
    }
}

/// Why the pipeline stopped, with what the message needs; no text until asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stop<'a> {
    /// Every step passed.
    Ok,
    NotYetValid {
        issued: Timestamp,
        now: Timestamp,
    },
    BundleExpired(Timestamp),
    BadMethod,
    /// The method-override header the request carries.
    MethodOverride(&'static str),
    /// Why the URL cannot be read one way.
    BadUrl(&'static str),
    MalformedCredentials(&'static str),
    AnonymousRead,
    NoCredentials,
    BadChecksum,
    /// A listed token whose record cannot be read.
    Damaged,
    UnknownToken,
    /// The credential's prefix names another kind than the listed token's.
    OtherKind,
    /// A Basic username the token does not answer to.
    WrongUsername,
    PasswordDisabled(&'a Policy),
    PasswordDeferred,
    Revoked(Timestamp),
    Expired(Timestamp),
    NoCreatedAt(&'a Policy),
    /// The policy's lifetime ended at this time.
    Lifetime(&'a Policy, Timestamp),
    /// The policy revokes tokens created before this time.
    Cutoff(&'a Policy, Timestamp),
    PrincipalGone,
    PrincipalInactive(&'a Principal),
    PrincipalNoUse(&'a Principal),
    ApiTokensBlocked(&'a Policy),
    AppPasswordsBlocked(&'a Policy),
    IpPolicy(&'a Policy, Option<IpAddr>),
    IpToken(Option<IpAddr>),
    RouteUnknown,
    AccessMode {
        access: AccessMode,
        needs: Level,
    },
    /// No scope set of the matched route is covered.
    ScopeMissing,
    /// The token's resource, which the addressed one is outside of.
    OutOfScope(ResourceRef<'a>),
    /// Not a member of the addressed workspace (an owner-checked route).
    NotMember(&'a Principal),
    /// The principal lacks this level on the addressed resource.
    LacksPermission(&'a Principal, Level),
}

/// What a message may name besides the stop's own data.
pub(crate) struct Scene<'v> {
    pub profile: &'v Profile,
    pub route: Option<RouteView<'v>>,
    pub resource: Option<ResourceRef<'v>>,
}

impl Stop<'_> {
    #[cfg_attr(scopegate_speed, optimize(speed))]
    pub(crate) fn reason(&self) -> Reason {
        match self {
            Stop::Ok => Reason::Ok,
            Stop::NotYetValid { .. } => Reason::BundleNotYetValid,
            Stop::BundleExpired(_) => Reason::BundleExpired,
            Stop::BadMethod | Stop::MethodOverride(_) | Stop::BadUrl(_) => Reason::MalformedRequest,
            Stop::MalformedCredentials(_) => Reason::MalformedCredentials,
            Stop::AnonymousRead => Reason::AnonymousPublicRead,
            Stop::NoCredentials => Reason::NoCredentials,
            Stop::BadChecksum => Reason::BadTokenChecksum,
            Stop::Damaged => Reason::InternalError,
            Stop::UnknownToken | Stop::OtherKind | Stop::WrongUsername => Reason::UnknownToken,
            Stop::PasswordDisabled(_) => Reason::PasswordAuthDisabled,
            Stop::PasswordDeferred => Reason::PasswordAuthDeferred,
            Stop::Revoked(_) | Stop::Cutoff(..) => Reason::TokenRevoked,
            Stop::Expired(_) => Reason::TokenExpired,
            Stop::NoCreatedAt(_) | Stop::Lifetime(..) => Reason::TokenLifetimeExceedsPolicy,
            Stop::PrincipalGone | Stop::PrincipalInactive(_) => Reason::PrincipalInactive,
            Stop::PrincipalNoUse(_) | Stop::NotMember(_) | Stop::LacksPermission(..) => {
                Reason::PrincipalLacksPermission
            }
            Stop::ApiTokensBlocked(_) => Reason::ApiTokensBlocked,
            Stop::AppPasswordsBlocked(_) => Reason::TokenKindBlocked,
            Stop::IpPolicy(..) | Stop::IpToken(_) => Reason::IpNotAllowed,
            Stop::RouteUnknown => Reason::RouteUnknown,
            Stop::AccessMode { .. } | Stop::ScopeMissing => Reason::ScopeMissing,
            Stop::OutOfScope(_) => Reason::ResourceOutOfScope,
        }
    }

    /// The decision's sentence: the one place every message is written.
    pub(crate) fn message(&self, scene: &Scene<'_>) -> String {
        match self {
            Stop::Ok => "the token may make this request".into(),
            Stop::NotYetValid { issued, now } => format!(
                "the snapshot was issued at {issued}, after now ({now}): the clock is behind or the snapshot is from the future"
            ),
            Stop::BundleExpired(at) => format!("the bundle expired at {at}; load a fresh one"),
            Stop::BadMethod => "the request's method is not an HTTP method name".into(),
            Stop::MethodOverride(name) => format!(
                "the request carries `{name}`, which could make the origin serve another method than the one checked"
            ),
            Stop::BadUrl(why) => format!("the URL cannot be read the one way the origin reads it: {why}"),
            Stop::MalformedCredentials(why) => format!("the Authorization header cannot be read: {why}"),
            Stop::AnonymousRead => "anyone may read a public repository".into(),
            Stop::NoCredentials => "the request carries no credentials".into(),
            Stop::BadChecksum => "the token's checksum is wrong: it was mistyped or forged".into(),
            Stop::Damaged => "the token table is damaged: the bundle cannot be trusted for this token".into(),
            Stop::UnknownToken => "the token is not known".into(),
            Stop::OtherKind => "the token's prefix does not match the kind of the listed token".into(),
            Stop::WrongUsername => "the token is not valid with this username".into(),
            Stop::PasswordDisabled(p) => format!("policy `{}` disables password authentication", p.name),
            Stop::PasswordDeferred => "a password: the origin decides".into(),
            Stop::Revoked(at) => format!("the token was revoked at {at}"),
            Stop::Expired(at) => format!("the token expired at {at}"),
            Stop::NoCreatedAt(p) => format!(
                "the token has no `created_at`, so policy `{}`'s {}-day lifetime cannot be checked",
                p.name, p.max_token_lifetime_days
            ),
            Stop::Lifetime(p, limit) => format!(
                "policy `{}` limits tokens to {} days; this one passed that at {limit}",
                p.name, p.max_token_lifetime_days
            ),
            Stop::Cutoff(p, cutoff) => format!("policy `{}` revokes every token issued before {cutoff}", p.name),
            Stop::PrincipalGone => "the token's principal no longer exists".into(),
            Stop::PrincipalInactive(p) => format!("principal `{}` is {}", p.id, p.status.as_str()),
            Stop::PrincipalNoUse(p) => format!("principal `{}` is in no group that may use tokens", p.id),
            Stop::ApiTokensBlocked(p) => format!("policy `{}` blocks API tokens", p.name),
            Stop::AppPasswordsBlocked(p) => format!("policy `{}` blocks app passwords", p.name),
            Stop::IpPolicy(p, ip) => format!(
                "the client address {} is outside the allowlist of policy `{}`",
                ip_text(*ip),
                p.name
            ),
            Stop::IpToken(ip) => {
                format!("the client address {} is outside the token's allowed addresses", ip_text(*ip))
            }
            Stop::RouteUnknown => format!("no route of profile `{}` matches this request", scene.profile.name()),
            Stop::AccessMode { access, needs } => format!(
                "a {} token cannot make this request: it needs {} access",
                access.as_str(),
                needs.as_str()
            ),
            Stop::ScopeMissing => format!(
                "the token lacks the scopes this route needs: {}",
                scene.route.map_or_else(String::new, |r| sets_text(&r.any_of()))
            ),
            Stop::OutOfScope(bound) => format!("the token is limited to {bound}"),
            Stop::NotMember(p) => format!(
                "`{}` is not a member of {}",
                p.id,
                ResourceRef::Workspace(scene.resource.as_ref().map_or("", ResourceRef::workspace))
            ),
            Stop::LacksPermission(p, needed) => format!(
                "`{}` lacks {} permission on {}",
                p.id,
                needed.as_str(),
                scene.resource.map_or_else(String::new, |r| r.to_string())
            ),
        }
    }
}

/// One request decided: why it stopped, its effect, and what the steps learned, borrowed from
/// the snapshot and the request. [`Verdict::decision`] makes the contract's `Decision` of it.
#[derive(Clone, Debug)]
pub struct Verdict<'a> {
    pub(crate) snapshot: &'a Snapshot,
    pub(crate) stop: Stop<'a>,
    pub(crate) effect: Effect,
    pub(crate) client_ip: Option<IpAddr>,
    pub(crate) token: Option<TokenView<'a>>,
    pub(crate) policy: Option<&'a Policy>,
    /// The matched route, when one was looked for and found.
    pub(crate) route: Option<Hit>,
    /// The path as the router read it (decoded), once the request step read it.
    pub(crate) path: Option<RequestPath<'a>>,
    /// Whether the scope step ran (the decision then lists the granted scopes).
    pub(crate) granted: bool,
}

impl<'a> Verdict<'a> {
    #[must_use]
    #[cfg_attr(scopegate_speed, optimize(speed))]
    pub fn reason(&self) -> Reason {
        self.stop.reason()
    }

    #[must_use]
    pub fn effect(&self) -> Effect {
        self.effect
    }

    #[must_use]
    pub fn allow(&self) -> bool {
        self.effect == Effect::Allow
    }

    #[cfg_attr(scopegate_speed, optimize(speed))]
    pub(crate) fn route_view(&self) -> Option<RouteView<'a>> {
        self.route.and_then(|hit| self.snapshot.profile.route(hit.route))
    }

    /// The resource the request addresses, as the matched route reads it.
    #[cfg_attr(scopegate_speed, optimize(speed))]
    pub(crate) fn resource(&self) -> Option<ResourceRef<'_>> {
        let path = self.path.as_ref()?;
        self.route?.resource?.of(&path.joined)
    }

    /// The decision's sentence.
    #[must_use]
    pub fn message(&self) -> String {
        let scene = Scene { profile: &self.snapshot.profile, route: self.route_view(), resource: self.resource() };
        self.stop.message(&scene)
    }

    /// The contract's decision (DESIGN.md §5).
    #[must_use]
    pub fn decision(&self) -> Decision {
        let mut d = Decision::new(self.reason(), self.message());
        d.effect = self.effect;
        d.allow = self.allow();
        d.token = self.token.as_ref().map(summary);
        d.required = self
            .route_view()
            .map(|route| Required { any_of: route.any_of(), resource: self.resource().map(|r| r.to_string()) });
        d.granted = match (self.granted, &self.token) {
            (true, Some(token)) => Some(self.snapshot.profile.closure_of(token.scopes())),
            _ => None,
        };
        d.client_ip = self.client_ip.map(|ip| ip.to_string());
        d.policy = self.policy.map(|p| p.name.clone());
        d.expires_at = self.token.and_then(|t| t.expires_at()).map(|t| t.to_string());
        d
    }
}

/// Decides `request` against `snapshot` at `now`; with `steps`, records the trace.
#[cfg_attr(scopegate_speed, optimize(speed))]
pub(crate) fn decide<'a>(
    snapshot: &'a Snapshot,
    request: &RequestParts<'a>,
    now: Timestamp,
    steps: Option<&mut Vec<Step>>,
) -> Verdict<'a> {
    let mut trace = Trace(steps);
    let mut ctx = Context::new(snapshot, request, now);
    let stop = match ctx.pipeline(&mut trace) {
        Ok(()) => Stop::Ok,
        Err(stop) => stop,
    };
    ctx.finish(stop, &mut trace)
}

/// Decides `request` into a decision; with `steps`, records the trace.
pub fn evaluate(snapshot: &Snapshot, request: &Request, now: Timestamp, steps: Option<&mut Vec<Step>>) -> Decision {
    decide(snapshot, &request.parts(), now, steps).decision()
}

/// Decides `request` as if it carried `token` (a replayed request that names a token id,
/// never a secret): everything from the token's state on, credentials aside. A replayed
/// request is judged as if the snapshot had been in force when it was made, so its `now` may
/// be before the snapshot's `issued_at`.
pub fn evaluate_as(snapshot: &Snapshot, request: &Request, token: &TokenRecord, now: Timestamp) -> Decision {
    let mut trace = Trace(None);
    let parts = request.parts();
    let mut ctx = Context::new(snapshot, &parts, now);
    let verdict = ctx.freshness(Clock::Replay, &mut trace).and_then(|()| {
        ctx.client_ip(&mut trace);
        ctx.request_step(&mut trace)?;
        ctx.after_lookup(TokenView::record(token), &mut trace)
    });
    let stop = match verdict {
        Ok(()) => Stop::Ok,
        Err(stop) => stop,
    };
    ctx.finish(stop, &mut trace).decision()
}

/// A token's standing with no request: its state, its principal, and the policy gates that do
/// not depend on the request (kinds; not addresses). What `preview` compares.
pub fn standing(snapshot: &Snapshot, token: &TokenRecord, now: Timestamp) -> (Reason, String, String) {
    let request = Request::default();
    let parts = request.parts();
    let mut trace = Trace(None);
    let ctx = Context::new(snapshot, &parts, now);
    let view = TokenView::record(token);
    let principal = ctx.principal_of(&view);
    let policy = snapshot.meta.policies.for_principal(principal);
    let verdict = ctx
        .token_state(&view, policy, &mut trace)
        .and_then(|()| ctx.principal_step(&view, principal, &mut trace))
        .and_then(|()| kind_gate(token.kind, policy));
    let scene = Scene { profile: &snapshot.profile, route: None, resource: None };
    match verdict {
        Ok(()) => (Reason::Ok, "usable".into(), policy.name.clone()),
        Err(stop) => (stop.reason(), stop.message(&scene), policy.name.clone()),
    }
}

struct Context<'a, 'r> {
    snapshot: &'a Snapshot,
    request: &'r RequestParts<'a>,
    now: Timestamp,
    /// The path and query as the origin reads them, once the request step has read them.
    target: Option<Target<'a>>,
    /// The path decoded as the router reads it.
    path: Option<RequestPath<'a>>,
    client_ip: Option<IpAddr>,
    token: Option<TokenView<'a>>,
    policy: Option<&'a Policy>,
    route: Option<Hit>,
    granted: bool,
}

/// Whether `now` is the live clock (a snapshot issued after it is not valid yet) or the time a
/// replayed request was made (judged as if the snapshot were in force then).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Clock {
    Live,
    Replay,
}

/// A step's verdict: go on, or stop.
type Step_<'a, T> = Result<T, Stop<'a>>;

impl<'a, 'r> Context<'a, 'r> {
    #[cfg_attr(scopegate_speed, optimize(speed))]
    fn new(snapshot: &'a Snapshot, request: &'r RequestParts<'a>, now: Timestamp) -> Context<'a, 'r> {
        Context {
            snapshot,
            request,
            now,
            target: None,
            path: None,
            client_ip: None,
            token: None,
            policy: None,
            route: None,
            granted: false,
        }
    }

    #[cfg_attr(scopegate_speed, optimize(speed))]
    fn finish(self, stop: Stop<'a>, trace: &mut Trace<'_>) -> Verdict<'a> {
        let reason = stop.reason();
        let mut effect = reason.effect();
        if reason == Reason::RouteUnknown && self.snapshot.meta.unknown_route == UnknownRoute::Defer {
            effect = Effect::Defer;
        }
        let verdict = Verdict {
            snapshot: self.snapshot,
            stop,
            effect,
            client_ip: self.client_ip,
            token: self.token,
            policy: self.policy,
            route: self.route,
            path: self.path,
            granted: self.granted,
        };
        trace.step("decision", effect == Effect::Allow, || {
            format!("{} {}: {}", effect.as_str(), reason.code(), verdict.message())
        });
        verdict
    }

    fn scene(&self) -> Scene<'_> {
        Scene { profile: &self.snapshot.profile, route: self.route_view(), resource: self.resource() }
    }

    #[cfg_attr(scopegate_speed, optimize(speed))]
    fn route_view(&self) -> Option<RouteView<'a>> {
        self.route.and_then(|hit| self.snapshot.profile.route(hit.route))
    }

    #[cfg_attr(scopegate_speed, optimize(speed))]
    fn resource(&self) -> Option<ResourceRef<'_>> {
        let path = self.path.as_ref()?;
        self.route?.resource?.of(&path.joined)
    }

    /// The message of `stop`, for a trace detail.
    fn text(&self, stop: &Stop<'_>) -> String {
        stop.message(&self.scene())
    }

    #[cfg_attr(scopegate_speed, optimize(speed))]
    fn pipeline(&mut self, trace: &mut Trace<'_>) -> Step_<'a, ()> {
        self.freshness(Clock::Live, trace)?;
        self.client_ip(trace);
        self.request_step(trace)?;
        match credential::parse(self.request.authorization()) {
            Credential::None => {
                trace.step("credential", false, || "no Authorization header".into());
                self.anonymous(trace)
            }
            Credential::Malformed(why) => {
                trace.step("credential", false, || why.into());
                Err(Stop::MalformedCredentials(why))
            }
            Credential::Bearer(token) => {
                trace.step("credential", true, || "Bearer token".into());
                self.with_secret(token, None, trace)
            }
            Credential::Basic(encoded) => {
                let mut buf = [0u8; credential::BASIC_BUF];
                let pair = credential::basic(encoded, &mut buf);
                let split = pair.as_ref().map_err(|why| *why).and_then(credential::BasicText::split);
                match split {
                    Err(why) => {
                        trace.step("credential", false, || why.into());
                        Err(Stop::MalformedCredentials(why))
                    }
                    Ok((user, secret)) => {
                        // NOTE: the username is never echoed: users paste tokens there too.
                        trace.step("credential", true, || "Basic credentials".into());
                        self.with_secret(secret, Some(user), trace)
                    }
                }
            }
        }
    }

    /// From a presented secret on: format, lookup, and everything after.
    #[cfg_attr(scopegate_speed, optimize(speed))]
    fn with_secret(&mut self, secret: &str, basic_user: Option<&str>, trace: &mut Trace<'_>) -> Step_<'a, ()> {
        let format = token_format(secret, trace)?;
        let token = self.lookup(secret, format, basic_user, trace)?;
        self.after_lookup(token, trace)
    }

    /// Everything after the credential names a token: state, principal, policy, route, scopes.
    #[cfg_attr(scopegate_speed, optimize(speed))]
    fn after_lookup(&mut self, token: TokenView<'a>, trace: &mut Trace<'_>) -> Step_<'a, ()> {
        self.token = Some(token);
        let principal = self.principal_of(&token);
        let policy = self.snapshot.meta.policies.for_principal(principal);
        self.policy = Some(policy);
        self.token_state(&token, policy, trace)?;
        self.principal_step(&token, principal, trace)?;
        self.policy_gates(&token, policy, trace)?;
        let route = self.route_step(trace)?;
        let satisfied = self.scope_check(&token, &route, trace)?;
        self.resource_check(&token, trace)?;
        self.permission_check(&token, principal, &route, satisfied, trace)
    }

    #[cfg_attr(scopegate_speed, optimize(speed))]
    fn freshness(&self, clock: Clock, trace: &mut Trace<'_>) -> Step_<'a, ()> {
        let issued = self.snapshot.meta.issued_at;
        if clock == Clock::Live && self.now < issued.plus(-CLOCK_SKEW_SECONDS) {
            // A clock that is behind (or a `now` of 0) would bring back revoked and expired tokens.
            let now = self.now;
            trace.step("bundle", false, || {
                format!("issued at {issued}, after now ({now}) by more than the allowed skew")
            });
            return Err(Stop::NotYetValid { issued, now });
        }
        match self.snapshot.expires_at {
            Some(expires) if self.now >= expires => {
                trace.step("bundle", false, || format!("bundle expired at {expires}"));
                Err(Stop::BundleExpired(expires))
            }
            Some(expires) => {
                trace.step("bundle", true, || format!("signed bundle, fresh until {expires}"));
                Ok(())
            }
            None => {
                trace.step("bundle", true, || "unsigned state snapshot".into());
                Ok(())
            }
        }
    }

    #[cfg_attr(scopegate_speed, optimize(speed))]
    fn client_ip(&mut self, trace: &mut Trace<'_>) {
        let (ip, source) = client_ip::resolve(&self.snapshot.meta.network, self.request, self.request.remote_addr);
        self.client_ip = ip;
        // No peer address is not a failure by itself: only an allowlist needs one, and says so.
        trace.step("client_ip", !matches!(source, client_ip::Source::BadHeader(_)), || match (ip, source) {
            (Some(ip), client_ip::Source::Peer) => format!("{ip} (the TCP peer)"),
            (Some(ip), client_ip::Source::Header(h)) => format!("{ip} (from {} sent by a trusted proxy)", h.name()),
            (_, client_ip::Source::BadHeader(h)) => format!("unknown: {} from a trusted proxy is unreadable", h.name()),
            _ => "unknown: no peer address".into(),
        });
    }

    /// The method and the URL, read the one way the origin reads them; anything that could be
    /// read two ways (or make the origin serve another method) is refused before any lookup.
    #[cfg_attr(scopegate_speed, optimize(speed))]
    fn request_step(&mut self, trace: &mut Trace<'_>) -> Step_<'a, ()> {
        let method = self.request.method;
        if method.is_empty() || method.len() > 16 || !method.bytes().all(|b| b.is_ascii_alphabetic()) {
            trace.step("request", false, || "the method is not an HTTP method name".into());
            return Err(Stop::BadMethod);
        }
        if let Some(name) = self.request.method_override() {
            trace.step("request", false, || format!("carries `{name}`: the origin might serve another method"));
            return Err(Stop::MethodOverride(name));
        }
        let (target, path) = match request::read_request_target(self.request.url) {
            Ok(read) => read,
            Err(why) => {
                trace.step("request", false, || why.into());
                return Err(Stop::BadUrl(why));
            }
        };
        trace.step("request", true, || format!("{} {}", method.to_ascii_uppercase(), target.path));
        self.target = Some(target);
        self.path = Some(path);
        Ok(())
    }

    /// No credentials: only a read of a public repository gets through.
    #[cfg_attr(scopegate_speed, optimize(speed))]
    fn anonymous(&mut self, trace: &mut Trace<'_>) -> Step_<'a, ()> {
        self.route = self.match_route();
        if let Some(route) = self.route_view() {
            let public = self.resource().is_some_and(|r| self.snapshot.meta.directory.public(r));
            // A read is what the route needs, not only the method: `git-upload-pack` is a POST
            // that reads, a commit comment is a POST that needs only read scopes but is still
            // no read, and GET of a repository's webhooks needs admin.
            let reads = route.method_reads() && route.floor() == Level::Read && !route.owner_check();
            let method = self.request.method;
            if public && reads {
                trace.step("route", true, || format!("{method} {} reads a public repository", route.template()));
                return Err(Stop::AnonymousRead);
            }
            trace.step("route", false, || {
                let why = if !route.method_reads() {
                    "changes something".to_owned()
                } else if route.floor() > Level::Read {
                    format!("needs {} access", route.floor().as_str())
                } else if route.owner_check() {
                    "addresses an object only its owner's credentials reach".to_owned()
                } else {
                    "addresses no public repository".to_owned()
                };
                format!("{method} {} {why}: anonymous requests only read public repositories", route.template())
            });
        }
        Err(Stop::NoCredentials)
    }

    #[cfg_attr(scopegate_speed, optimize(speed))]
    fn lookup(
        &mut self,
        secret: &str,
        format: TokenFormat,
        basic_user: Option<&str>,
        trace: &mut Trace<'_>,
    ) -> Step_<'a, TokenView<'a>> {
        let digest = digest_token(secret);
        let Ok(found) = self.snapshot.tokens.view(&digest) else {
            trace.step("digest_lookup", false, || "the token is listed but its record cannot be read".into());
            return Err(Stop::Damaged);
        };
        let Some(token) = found else {
            trace.step("digest_lookup", false, || "no token has this digest".into());
            return match basic_user {
                Some(user) if format == TokenFormat::Foreign && user != TOKEN_AUTH_USER => self.password(user, trace),
                _ => Err(Stop::UnknownToken),
            };
        };
        trace.step("digest_lookup", true, || format!("token `{}` ({})", token.id(), token.kind().as_str()));
        if !format.fits(token.kind()) {
            // The credential's own prefix names another kind: the listed record is not its.
            trace.step("token_kind", false, || {
                format!("the credential's prefix names another kind than the listed {}", token.kind().as_str())
            });
            return Err(Stop::OtherKind);
        }
        if let Some(user) = basic_user {
            let fits = match token.kind().binding() {
                Binding::Resource => user == TOKEN_AUTH_USER,
                Binding::User | Binding::ServiceAccount => {
                    self.principal_of(&token).is_some_and(|p| p.answers_to(user))
                }
                Binding::Organisation => false,
            };
            trace.step("basic_username", fits, || {
                format!("the username {} this token", if fits { "fits" } else { "does not fit" })
            });
            if !fits {
                return Err(Stop::WrongUsername);
            }
        }
        Ok(token)
    }

    /// A Basic secret that is no known token is a password: the engine never sees those.
    #[cfg_attr(scopegate_speed, optimize(speed))]
    fn password<T>(&mut self, user: &str, trace: &mut Trace<'_>) -> Step_<'a, T> {
        let dir = &self.snapshot.meta.directory;
        let principal = dir.principals().iter().find(|p| p.answers_to(user));
        let policy = self.snapshot.meta.policies.for_principal(principal);
        self.policy = Some(policy);
        trace.step("password", policy.password_auth == PasswordAuth::Allow, || {
            format!("a password under policy `{}`", policy.name)
        });
        if policy.password_auth == PasswordAuth::Disable {
            Err(Stop::PasswordDisabled(policy))
        } else {
            Err(Stop::PasswordDeferred)
        }
    }

    #[cfg_attr(scopegate_speed, optimize(speed))]
    fn principal_of(&self, token: &TokenView<'_>) -> Option<&'a Principal> {
        token.principal().and_then(|id| self.snapshot.meta.directory.principal(id))
    }

    #[cfg_attr(scopegate_speed, optimize(speed))]
    fn token_state(&self, token: &TokenView<'_>, policy: &'a Policy, trace: &mut Trace<'_>) -> Step_<'a, ()> {
        let now = self.now;
        let created = token.created_at();
        let verdict = if let Some(at) = token.revoked_at().filter(|&at| at <= now) {
            Err(Stop::Revoked(at))
        } else if let Some(at) = token.expires_at().filter(|&at| at <= now) {
            Err(Stop::Expired(at))
        } else if created.is_none() {
            // Fail closed: a token of unknown age cannot be shown to be within any lifetime.
            Err(Stop::NoCreatedAt(policy))
        } else if let Some(limit) =
            created.map(|c| c.plus(i64::from(policy.max_token_lifetime_days) * DAY)).filter(|&l| l <= now)
        {
            Err(Stop::Lifetime(policy, limit))
        } else if let Some(cutoff) = policy.revoke_issued_before.filter(|&cut| created.is_some_and(|c| c < cut)) {
            Err(Stop::Cutoff(policy, cutoff))
        } else {
            Ok(())
        };
        trace.step("token_state", verdict.is_ok(), || match &verdict {
            Ok(()) => "not revoked, not expired, within the policy's lifetime".into(),
            Err(stop) => self.text(stop),
        });
        verdict
    }

    #[cfg_attr(scopegate_speed, optimize(speed))]
    fn principal_step(
        &self,
        token: &TokenView<'_>,
        principal: Option<&'a Principal>,
        trace: &mut Trace<'_>,
    ) -> Step_<'a, ()> {
        if !matches!(token.kind().binding(), Binding::User | Binding::ServiceAccount) {
            trace.step("principal", true, || "not bound to a principal".into());
            return Ok(());
        }
        let verdict = match principal {
            None => Err(Stop::PrincipalGone),
            Some(p) if !p.is_active() => Err(Stop::PrincipalInactive(p)),
            Some(p) if !p.in_any(&self.snapshot.meta.token_permissions.use_tokens) => Err(Stop::PrincipalNoUse(p)),
            Some(_) => Ok(()),
        };
        trace.step("principal", verdict.is_ok(), || match &verdict {
            Ok(()) => format!("principal `{}` is active and may use tokens", token.principal().unwrap_or_default()),
            Err(stop) => self.text(stop),
        });
        verdict
    }

    #[cfg_attr(scopegate_speed, optimize(speed))]
    fn policy_gates(&self, token: &TokenView<'_>, policy: &'a Policy, trace: &mut Trace<'_>) -> Step_<'a, ()> {
        let client_ip = self.client_ip;
        let verdict = if let Err(blocked) = kind_gate(token.kind(), policy) {
            Err(blocked)
        } else if !policy.allows_ip(client_ip) {
            Err(Stop::IpPolicy(policy, client_ip))
        } else if !ip_allowed(token.allowed_ips(), client_ip) {
            Err(Stop::IpToken(client_ip))
        } else {
            Ok(())
        };
        trace.step("policy", verdict.is_ok(), || match &verdict {
            Ok(()) => format!("policy `{}` lets this token through from {}", policy.name, ip_text(client_ip)),
            Err(stop) => self.text(stop),
        });
        verdict
    }

    /// The route of the request the request step read (none before it).
    #[cfg_attr(scopegate_speed, optimize(speed))]
    fn match_route(&self) -> Option<Hit> {
        let target = self.target?;
        self.snapshot.profile.find(self.request.method, self.path.as_ref()?, target.query)
    }

    #[cfg_attr(scopegate_speed, optimize(speed))]
    fn route_step(&mut self, trace: &mut Trace<'_>) -> Step_<'a, RouteView<'a>> {
        self.route = self.match_route();
        let Some(route) = self.route_view() else {
            // The path only: a query string may carry anything, secrets included.
            trace.step("route", false, || {
                format!(
                    "no route of profile `{}` matches {} {}",
                    self.snapshot.profile.name(),
                    self.request.method,
                    self.target.map_or("", |t| t.path)
                )
            });
            return Err(Stop::RouteUnknown);
        };
        trace.step("route", true, || {
            let resource = self.resource().map_or_else(|| "no resource".to_string(), |r| r.to_string());
            format!("{} {} addressing {resource}", self.request.method.to_ascii_uppercase(), route.template())
        });
        Ok(route)
    }

    /// The set of scopes that satisfied the route, as scope indexes (`None` for an access-mode
    /// token without scopes).
    #[cfg_attr(scopegate_speed, optimize(speed))]
    fn scope_check(
        &mut self,
        token: &TokenView<'_>,
        route: &RouteView<'a>,
        trace: &mut Trace<'_>,
    ) -> Step_<'a, Option<&'a [u32]>> {
        let profile = &self.snapshot.profile;
        self.granted = true;
        if let Some(access) = token.access() {
            // A coarse mode stands for the scopes of its level, judged by what the route needs
            // (its level and the least level of its scope sets), never by the method alone:
            // `read_only` reads (a clone included) and `read_write` also writes; neither stands
            // for admin or delete scopes.
            let floor = route.floor();
            let ok = match access {
                AccessMode::ReadOnly => floor == Level::Read && route.method_reads(),
                AccessMode::ReadWrite => floor <= Level::Write,
            };
            let needs = if floor == Level::Read && !route.method_reads() { Level::Write } else { floor };
            trace.step("scope", ok, || {
                format!(
                    "access mode {} {} {} {} (the route needs {})",
                    access.as_str(),
                    if ok { "covers" } else { "does not cover" },
                    self.request.method.to_ascii_uppercase(),
                    route.template(),
                    needs.as_str()
                )
            });
            if !ok {
                return Err(Stop::AccessMode { access, needs });
            }
            if token.has_no_scopes() {
                return Ok(None);
            }
        }
        let satisfied = profile.satisfied(route, token.scopes());
        trace.step("scope", satisfied.is_some(), || match satisfied {
            Some(set) => format!("granted scopes cover [{}]", profile.names_of(set).join(", ")),
            None => format!(
                "granted [{}] cover none of {}",
                profile.closure_of(token.scopes()).join(", "),
                sets_text(&route.any_of())
            ),
        });
        match satisfied {
            Some(set) => Ok(Some(set)),
            None => Err(Stop::ScopeMissing),
        }
    }

    #[cfg_attr(scopegate_speed, optimize(speed))]
    fn resource_check(&self, token: &TokenView<'a>, trace: &mut Trace<'_>) -> Step_<'a, ()> {
        let Some(bound) = token.resource() else {
            trace.step("resource", true, || "the token is not bound to a resource".into());
            return Ok(());
        };
        let addressed = self.resource();
        let inside = addressed.is_some_and(|r| self.snapshot.meta.directory.encloses(bound, r));
        trace.step("resource", inside, || match addressed {
            Some(r) => format!("{r} is {} {bound}", if inside { "inside" } else { "outside" }),
            None => format!("the route addresses no resource, and the token is bound to {bound}"),
        });
        if inside {
            Ok(())
        } else {
            Err(Stop::OutOfScope(bound))
        }
    }

    #[cfg_attr(scopegate_speed, optimize(speed))]
    fn permission_check(
        &self,
        token: &TokenView<'_>,
        principal: Option<&'a Principal>,
        route: &RouteView<'a>,
        satisfied: Option<&[u32]>,
        trace: &mut Trace<'_>,
    ) -> Step_<'a, ()> {
        let Some(principal) = principal else {
            trace.step("permission", true, || "no user permission applies".into());
            return Ok(());
        };
        let dir = &self.snapshot.meta.directory;
        if route.owner_check() {
            // Only the origin knows who owns a snippet or a key: the gate asks for membership
            // of the workspace the object lives in, and leaves ownership to the origin.
            let Some(workspace) = self.resource().map(|r| ResourceRef::Workspace(r.workspace())) else {
                trace.step("permission", true, || {
                    format!(
                        "the route addresses no workspace; the origin checks that `{}` owns the object",
                        principal.id
                    )
                });
                return Ok(());
            };
            let has = dir.level_at(principal, workspace);
            let ok = has.is_some();
            trace.step("permission", ok, || {
                format!(
                    "`{}` has {} on {workspace}, needs read membership; the origin checks that `{}` owns the object",
                    principal.id,
                    has.map_or("no access", Level::as_str),
                    principal.id
                )
            });
            return if ok { Ok(()) } else { Err(Stop::NotMember(principal)) };
        }
        let Some(resource) = self.resource() else {
            trace.step("permission", true, || "the route addresses no workspace, project or repository".into());
            return Ok(());
        };
        // No scope is exempt: the principal's own permission must reach the route's level and
        // the level of the scopes used (for an access mode without scopes, the least level any
        // of the route's scope sets needs).
        let scopes_need = match token.access() {
            Some(_) if satisfied.is_none_or(<[u32]>::is_empty) => route.scope_floor(),
            _ => satisfied.and_then(|set| self.snapshot.profile.level_of_set(set)).unwrap_or(Level::Read),
        };
        let needed = route.level().max(scopes_need);
        let has = dir.level_at(principal, resource);
        // A public repository lets everyone read it, and nothing more.
        let public_read = needed == Level::Read && route.method_reads() && dir.public(resource);
        let ok = public_read || has.is_some_and(|l| l >= needed);
        trace.step("permission", ok, || {
            format!(
                "`{}` has {} on {resource}, needs {}{}",
                principal.id,
                has.map_or("no access", Level::as_str),
                needed.as_str(),
                if public_read { " (public repository)" } else { "" }
            )
        });
        if ok {
            Ok(())
        } else {
            Err(Stop::LacksPermission(principal, needed))
        }
    }
}

/// Kinds a policy blocks: API tokens (user API tokens and personal access tokens), app
/// passwords. Shared by requests and by token creation (`canCreateToken`).
#[cfg_attr(scopegate_speed, optimize(speed))]
pub(crate) fn kind_gate(kind: TokenKind, policy: &Policy) -> Result<(), Stop<'_>> {
    if policy.api_tokens == Switch::Block && matches!(kind, TokenKind::ApiToken | TokenKind::PersonalAccessToken) {
        Err(Stop::ApiTokensBlocked(policy))
    } else if policy.app_passwords == Switch::Block && kind == TokenKind::AppPassword {
        Err(Stop::AppPasswordsBlocked(policy))
    } else {
        Ok(())
    }
}

/// Whether `ip` is inside the list `nets` (empty: anything); an unknown client address is
/// outside any non-empty list. See [`crate::policy::ip_allowed`].
#[cfg_attr(scopegate_speed, optimize(speed))]
fn ip_allowed(nets: impl Iterator<Item = IpNet>, ip: Option<IpAddr>) -> bool {
    let mut nets = nets.peekable();
    if nets.peek().is_none() {
        return true;
    }
    let Some(ip) = ip.map(canonical_ip) else {
        return false;
    };
    nets.any(|net| net.contains(&ip))
}

#[cfg_attr(scopegate_speed, optimize(speed))]
fn token_format<'a>(secret: &str, trace: &mut Trace<'_>) -> Step_<'a, TokenFormat> {
    let format = parse_prefix(secret);
    trace.step("token_format", format != TokenFormat::BadChecksum, || match format {
        TokenFormat::Valid(kind) => format!("scopegate {} token, checksum holds", kind.as_str()),
        TokenFormat::Foreign => "not a scopegate token: checked by digest only".into(),
        TokenFormat::BadChecksum => "scopegate prefix but the checksum fails (a typo or a forgery)".into(),
        TokenFormat::Bitbucket(issued) => {
            format!(
                "{} (`{}` prefix): checked by digest only, its format is not public",
                issued.describe(),
                issued.prefix()
            )
        }
    });
    if format == TokenFormat::BadChecksum {
        return Err(Stop::BadChecksum);
    }
    Ok(format)
}

pub(crate) fn summary(token: &TokenView<'_>) -> TokenSummary {
    TokenSummary {
        id: token.id().to_owned(),
        kind: token.kind().as_str().into(),
        label: token.label().map(str::to_owned),
        principal: token.principal().map(str::to_owned),
        resource: token.resource().map(|r| r.short()),
    }
}

fn ip_text(ip: Option<IpAddr>) -> String {
    ip.map_or_else(|| "(unknown)".into(), |i| i.to_string())
}

fn sets_text(sets: &[Vec<String>]) -> String {
    let parts: Vec<String> = sets.iter().map(|s| format!("[{}]", s.join(", "))).collect();
    parts.join(" or ")
}
