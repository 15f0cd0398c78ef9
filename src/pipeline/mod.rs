//! The decision pipeline (DESIGN.md §1), one step per function, in order. Every step fails
//! closed: the first step that says no decides, and nothing after it runs.

mod client_ip;
mod credential;
mod request;

pub use credential::Credential;
pub use request::{Headers, Request, Target, METHOD_OVERRIDE_HEADERS};

use std::net::IpAddr;

use crate::decision::{Decision, Effect, Reason, Required, Step, TokenSummary};
use crate::directory::{Level, Principal, ResourceKey};
use crate::policy::{ip_allowed, PasswordAuth, Policy, Switch, UnknownRoute};
use crate::profile::RouteMatch;
use crate::snapshot::Snapshot;
use crate::time::{Timestamp, CLOCK_SKEW_SECONDS, DAY};
use crate::token::{digest_token, parse_prefix, AccessMode, Binding, TokenFormat, TokenKind, TokenRecord};

/// The username Git clients send with access tokens.
pub const TOKEN_AUTH_USER: &str = "x-token-auth";

/// Collects the trace only when asked: no formatting on the hot path otherwise.
struct Trace<'a>(Option<&'a mut Vec<Step>>);

impl Trace<'_> {
    fn step(&mut self, step: &'static str, ok: bool, detail: impl FnOnce() -> String) {
        if let Some(steps) = self.0.as_deref_mut() {
            steps.push(Step { step, ok, detail: detail() });
        }
    }
}

/// Decides `request` against `snapshot` at `now`; with `steps`, records the trace.
pub fn evaluate(snapshot: &Snapshot, request: &Request, now: Timestamp, steps: Option<&mut Vec<Step>>) -> Decision {
    let mut trace = Trace(steps);
    let mut ctx = Context::new(snapshot, request, now);
    let reason = ctx.run(&mut trace);
    ctx.finish(reason, &mut trace)
}

/// Decides `request` as if it carried `token` (a replayed request that names a token id,
/// never a secret): everything from the token's state on, credentials aside. A replayed
/// request is judged as if the snapshot had been in force when it was made, so its `now` may
/// be before the snapshot's `issued_at`.
pub fn evaluate_as(snapshot: &Snapshot, request: &Request, token: &TokenRecord, now: Timestamp) -> Decision {
    let mut trace = Trace(None);
    let mut ctx = Context::new(snapshot, request, now);
    let verdict = ctx.freshness(Clock::Replay, &mut trace).and_then(|()| {
        let ip = ctx.client_ip(&mut trace);
        ctx.request_step(&mut trace)?;
        ctx.after_lookup(token, ip, &mut trace)
    });
    let reason = match verdict {
        Ok(()) => (Reason::Ok, "the token may make this request".into()),
        Err(stopped) => stopped,
    };
    ctx.finish(reason, &mut trace)
}

/// A token's standing with no request: its state, its principal, and the policy gates that do
/// not depend on the request (kinds; not addresses). What `preview` compares.
pub fn standing(snapshot: &Snapshot, token: &TokenRecord, now: Timestamp) -> (Reason, String, String) {
    let request = Request::default();
    let mut trace = Trace(None);
    let ctx = Context::new(snapshot, &request, now);
    let principal = ctx.principal_of(token);
    let policy = snapshot.meta.policies.for_principal(principal);
    let verdict = ctx
        .token_state(token, policy, &mut trace)
        .and_then(|()| ctx.principal_step(token, principal, &mut trace))
        .and_then(|()| kind_gate(token.kind, policy));
    match verdict {
        Ok(()) => (Reason::Ok, "usable".into(), policy.name.clone()),
        Err((reason, message)) => (reason, message, policy.name.clone()),
    }
}

struct Context<'a> {
    snapshot: &'a Snapshot,
    request: &'a Request,
    now: Timestamp,
    /// The path and query as the origin reads them, once the request step has read them.
    target: Option<Target<'a>>,
    /// Filled in as steps learn things; its reason and message are set at the end.
    decision: Decision,
}

/// Whether `now` is the live clock (a snapshot issued after it is not valid yet) or the time a
/// replayed request was made (judged as if the snapshot were in force then).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Clock {
    Live,
    Replay,
}

/// A step's verdict: go on, or stop with this reason and sentence.
type Verdict<T> = Result<T, (Reason, String)>;

fn stop<T>(reason: Reason, message: impl Into<String>) -> Verdict<T> {
    Err((reason, message.into()))
}

impl<'a> Context<'a> {
    fn new(snapshot: &'a Snapshot, request: &'a Request, now: Timestamp) -> Context<'a> {
        Context { snapshot, request, now, target: None, decision: Decision::new(Reason::InternalError, "") }
    }

    fn run(&mut self, trace: &mut Trace<'_>) -> (Reason, String) {
        match self.pipeline(trace) {
            Ok(()) => (Reason::Ok, "the token may make this request".into()),
            Err(stopped) => stopped,
        }
    }

    fn finish(mut self, (reason, message): (Reason, String), trace: &mut Trace<'_>) -> Decision {
        let mut effect = reason.effect();
        if reason == Reason::RouteUnknown && self.snapshot.meta.unknown_route == UnknownRoute::Defer {
            effect = Effect::Defer;
        }
        trace.step("decision", effect == Effect::Allow, || format!("{} {}: {message}", effect.as_str(), reason.code()));
        self.decision.effect = effect;
        self.decision.allow = effect == Effect::Allow;
        self.decision.reason = reason;
        self.decision.message = message;
        self.decision
    }

    fn pipeline(&mut self, trace: &mut Trace<'_>) -> Verdict<()> {
        self.freshness(Clock::Live, trace)?;
        let client_ip = self.client_ip(trace);
        self.request_step(trace)?;
        let credential = credential::parse(&self.request.headers);
        let (secret, basic_user) = match credential {
            Credential::None => {
                trace.step("credential", false, || "no Authorization header".into());
                return self.anonymous(trace);
            }
            Credential::Malformed(why) => {
                trace.step("credential", false, || why.into());
                return stop(Reason::MalformedCredentials, format!("the Authorization header cannot be read: {why}"));
            }
            Credential::Bearer(token) => {
                trace.step("credential", true, || "Bearer token".into());
                (token, None)
            }
            Credential::Basic { user, secret } => {
                // NOTE: the username is never echoed: users paste tokens there too.
                trace.step("credential", true, || "Basic credentials".into());
                (secret, Some(user))
            }
        };
        let format = token_format(&secret, trace)?;
        let token = self.lookup(&secret, format, basic_user.as_deref(), trace)?;
        self.after_lookup(&token, client_ip, trace)
    }

    /// Everything after the credential names a token: state, principal, policy, route, scopes.
    fn after_lookup(&mut self, token: &TokenRecord, client_ip: Option<IpAddr>, trace: &mut Trace<'_>) -> Verdict<()> {
        self.decision.token = Some(summary(token));
        self.decision.expires_at = token.expires_at.map(|t| t.to_string());
        let principal = self.principal_of(token);
        let policy = self.snapshot.meta.policies.for_principal(principal);
        self.decision.policy = Some(policy.name.clone());
        self.token_state(token, policy, trace)?;
        self.principal_step(token, principal, trace)?;
        self.policy_gates(token, policy, client_ip, trace)?;
        let route = self.route(trace)?;
        let satisfied = self.scope_check(token, &route, trace)?;
        self.resource_check(token, &route, trace)?;
        self.permission_check(token, principal, &route, satisfied, trace)
    }

    fn freshness(&self, clock: Clock, trace: &mut Trace<'_>) -> Verdict<()> {
        let issued = self.snapshot.meta.issued_at;
        if clock == Clock::Live && self.now < issued.plus(-CLOCK_SKEW_SECONDS) {
            // A clock that is behind (or a `now` of 0) would bring back revoked and expired tokens.
            let now = self.now;
            trace.step("bundle", false, || {
                format!("issued at {issued}, after now ({now}) by more than the allowed skew")
            });
            return stop(
                Reason::BundleNotYetValid,
                format!("the snapshot was issued at {issued}, after now ({now}): the clock is behind or the snapshot is from the future"),
            );
        }
        match self.snapshot.expires_at {
            Some(expires) if self.now >= expires => {
                trace.step("bundle", false, || format!("bundle expired at {expires}"));
                stop(Reason::BundleExpired, format!("the bundle expired at {expires}; load a fresh one"))
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

    fn client_ip(&mut self, trace: &mut Trace<'_>) -> Option<IpAddr> {
        let (ip, source) =
            client_ip::resolve(&self.snapshot.meta.network, &self.request.headers, self.request.remote_addr.as_deref());
        self.decision.client_ip = ip.map(|i| i.to_string());
        // No peer address is not a failure by itself: only an allowlist needs one, and says so.
        trace.step("client_ip", !matches!(source, client_ip::Source::BadHeader(_)), || match (ip, source) {
            (Some(ip), client_ip::Source::Peer) => format!("{ip} (the TCP peer)"),
            (Some(ip), client_ip::Source::Header(h)) => format!("{ip} (from {} sent by a trusted proxy)", h.name()),
            (_, client_ip::Source::BadHeader(h)) => format!("unknown: {} from a trusted proxy is unreadable", h.name()),
            _ => "unknown: no peer address".into(),
        });
        ip
    }

    /// The method and the URL, read the one way the origin reads them; anything that could be
    /// read two ways (or make the origin serve another method) is refused before any lookup.
    fn request_step(&mut self, trace: &mut Trace<'_>) -> Verdict<()> {
        let method = &self.request.method;
        if method.is_empty() || method.len() > 16 || !method.bytes().all(|b| b.is_ascii_alphabetic()) {
            trace.step("request", false, || "the method is not an HTTP method name".into());
            return stop(Reason::MalformedRequest, "the request's method is not an HTTP method name");
        }
        if let Some(name) = self.request.method_override() {
            trace.step("request", false, || format!("carries `{name}`: the origin might serve another method"));
            return stop(
                Reason::MalformedRequest,
                format!("the request carries `{name}`, which could make the origin serve another method than the one checked"),
            );
        }
        match self.request.target() {
            Ok(target) => {
                trace.step("request", true, || format!("{} {}", method.to_ascii_uppercase(), target.path));
                self.target = Some(target);
                Ok(())
            }
            Err(why) => {
                trace.step("request", false, || why.into());
                stop(Reason::MalformedRequest, format!("the URL cannot be read the one way the origin reads it: {why}"))
            }
        }
    }

    /// No credentials: only a read of a public repository gets through.
    fn anonymous(&mut self, trace: &mut Trace<'_>) -> Verdict<()> {
        let route = self.match_route();
        if let Some(route) = &route {
            self.decision.required = Some(required(route));
            let public = route.resource.as_ref().is_some_and(|r| self.snapshot.meta.directory.is_public(r));
            // A read is what the route needs, not only the method: `git-upload-pack` is a POST
            // that reads, a commit comment is a POST that needs only read scopes but is still
            // no read, and GET of a repository's webhooks needs admin.
            let reads = route.method_reads && route.floor() == Level::Read && !route.owner_check;
            if public && reads {
                trace.step("route", true, || {
                    format!("{} {} reads a public repository", self.request.method, route.template)
                });
                return stop(Reason::AnonymousPublicRead, "anyone may read a public repository");
            }
            trace.step("route", false, || {
                let why = if !route.method_reads {
                    "changes something".to_owned()
                } else if route.floor() > Level::Read {
                    format!("needs {} access", route.floor().as_str())
                } else if route.owner_check {
                    "addresses an object only its owner's credentials reach".to_owned()
                } else {
                    "addresses no public repository".to_owned()
                };
                format!(
                    "{} {} {why}: anonymous requests only read public repositories",
                    self.request.method, route.template
                )
            });
        }
        stop(Reason::NoCredentials, "the request carries no credentials")
    }

    fn lookup(
        &mut self,
        secret: &str,
        format: TokenFormat,
        basic_user: Option<&str>,
        trace: &mut Trace<'_>,
    ) -> Verdict<TokenRecord> {
        let digest = digest_token(secret);
        let Ok(found) = self.snapshot.tokens.lookup(&digest) else {
            trace.step("digest_lookup", false, || "the token is listed but its record cannot be read".into());
            return stop(
                Reason::InternalError,
                "the token table is damaged: the bundle cannot be trusted for this token",
            );
        };
        let Some(token) = found else {
            trace.step("digest_lookup", false, || "no token has this digest".into());
            return match basic_user {
                Some(user) if format == TokenFormat::Foreign && user != TOKEN_AUTH_USER => self.password(user, trace),
                _ => stop(Reason::UnknownToken, "the token is not known"),
            };
        };
        trace.step("digest_lookup", true, || format!("token `{}` ({})", token.id, token.kind.as_str()));
        if !format.fits(token.kind) {
            // The credential's own prefix names another kind: the listed record is not its.
            trace.step("token_kind", false, || {
                format!("the credential's prefix names another kind than the listed {}", token.kind.as_str())
            });
            return stop(Reason::UnknownToken, "the token's prefix does not match the kind of the listed token");
        }
        if let Some(user) = basic_user {
            let fits = match token.kind.binding() {
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
                return stop(Reason::UnknownToken, "the token is not valid with this username");
            }
        }
        Ok(token)
    }

    /// A Basic secret that is no known token is a password: the engine never sees those.
    fn password(&mut self, user: &str, trace: &mut Trace<'_>) -> Verdict<TokenRecord> {
        let dir = &self.snapshot.meta.directory;
        let principal = dir.principals.iter().find(|p| p.answers_to(user));
        let policy = self.snapshot.meta.policies.for_principal(principal);
        self.decision.policy = Some(policy.name.clone());
        trace.step("password", policy.password_auth == PasswordAuth::Allow, || {
            format!("a password under policy `{}`", policy.name)
        });
        if policy.password_auth == PasswordAuth::Disable {
            stop(Reason::PasswordAuthDisabled, format!("policy `{}` disables password authentication", policy.name))
        } else {
            stop(Reason::PasswordAuthDeferred, "a password: the origin decides")
        }
    }

    fn principal_of(&self, token: &TokenRecord) -> Option<&'a Principal> {
        token.principal.as_deref().and_then(|id| self.snapshot.meta.directory.principal(id))
    }

    fn token_state(&self, token: &TokenRecord, policy: &Policy, trace: &mut Trace<'_>) -> Verdict<()> {
        let now = self.now;
        let verdict = if let Some(at) = token.revoked_at.filter(|&at| at <= now) {
            stop(Reason::TokenRevoked, format!("the token was revoked at {at}"))
        } else if let Some(at) = token.expires_at.filter(|&at| at <= now) {
            stop(Reason::TokenExpired, format!("the token expired at {at}"))
        } else if token.created_at.is_none() {
            // Fail closed: a token of unknown age cannot be shown to be within any lifetime.
            stop(
                Reason::TokenLifetimeExceedsPolicy,
                format!(
                    "the token has no `created_at`, so policy `{}`'s {}-day lifetime cannot be checked",
                    policy.name, policy.max_token_lifetime_days
                ),
            )
        } else if let Some(limit) =
            token.created_at.map(|c| c.plus(i64::from(policy.max_token_lifetime_days) * DAY)).filter(|&l| l <= now)
        {
            stop(
                Reason::TokenLifetimeExceedsPolicy,
                format!(
                    "policy `{}` limits tokens to {} days; this one passed that at {limit}",
                    policy.name, policy.max_token_lifetime_days
                ),
            )
        } else if let Some(cutoff) =
            policy.revoke_issued_before.filter(|&cut| token.created_at.is_some_and(|c| c < cut))
        {
            stop(Reason::TokenRevoked, format!("policy `{}` revokes every token issued before {cutoff}", policy.name))
        } else {
            Ok(())
        };
        trace.step("token_state", verdict.is_ok(), || match &verdict {
            Ok(()) => "not revoked, not expired, within the policy's lifetime".into(),
            Err((_, m)) => m.clone(),
        });
        verdict
    }

    fn principal_step(&self, token: &TokenRecord, principal: Option<&Principal>, trace: &mut Trace<'_>) -> Verdict<()> {
        if !matches!(token.kind.binding(), Binding::User | Binding::ServiceAccount) {
            trace.step("principal", true, || "not bound to a principal".into());
            return Ok(());
        }
        let verdict = match principal {
            None => stop(Reason::PrincipalInactive, "the token's principal no longer exists"),
            Some(p) if !p.is_active() => {
                stop(Reason::PrincipalInactive, format!("principal `{}` is {}", p.id, p.status.as_str()))
            }
            Some(p) if !p.in_any(&self.snapshot.meta.token_permissions.use_tokens) => stop(
                Reason::PrincipalLacksPermission,
                format!("principal `{}` is in no group that may use tokens", p.id),
            ),
            Some(_) => Ok(()),
        };
        trace.step("principal", verdict.is_ok(), || match &verdict {
            Ok(()) => {
                format!("principal `{}` is active and may use tokens", token.principal.as_deref().unwrap_or_default())
            }
            Err((_, m)) => m.clone(),
        });
        verdict
    }

    fn policy_gates(
        &self,
        token: &TokenRecord,
        policy: &Policy,
        client_ip: Option<IpAddr>,
        trace: &mut Trace<'_>,
    ) -> Verdict<()> {
        let verdict = if let Err(blocked) = kind_gate(token.kind, policy) {
            Err(blocked)
        } else if !policy.allows_ip(client_ip) {
            stop(
                Reason::IpNotAllowed,
                format!(
                    "the client address {} is outside the allowlist of policy `{}`",
                    ip_text(client_ip),
                    policy.name
                ),
            )
        } else if !ip_allowed(&token.allowed_ips, client_ip) {
            stop(
                Reason::IpNotAllowed,
                format!("the client address {} is outside the token's allowed addresses", ip_text(client_ip)),
            )
        } else {
            Ok(())
        };
        trace.step("policy", verdict.is_ok(), || match &verdict {
            Ok(()) => format!("policy `{}` lets this token through from {}", policy.name, ip_text(client_ip)),
            Err((_, m)) => m.clone(),
        });
        verdict
    }

    /// The route of the request the request step read (none before it).
    fn match_route(&self) -> Option<RouteMatch> {
        let target = self.target?;
        self.snapshot.profile.match_route(&self.request.method, target.path, target.query)
    }

    fn route(&mut self, trace: &mut Trace<'_>) -> Verdict<RouteMatch> {
        let Some(route) = self.match_route() else {
            // The path only: a query string may carry anything, secrets included.
            trace.step("route", false, || {
                format!(
                    "no route of profile `{}` matches {} {}",
                    self.snapshot.profile.name(),
                    self.request.method,
                    self.target.map_or("", |t| t.path)
                )
            });
            return stop(
                Reason::RouteUnknown,
                format!("no route of profile `{}` matches this request", self.snapshot.profile.name()),
            );
        };
        trace.step("route", true, || {
            let resource = route.resource.as_ref().map_or_else(|| "no resource".to_string(), ToString::to_string);
            format!("{} {} addressing {resource}", self.request.method.to_ascii_uppercase(), route.template)
        });
        self.decision.required = Some(required(&route));
        Ok(route)
    }

    /// The set of scopes that satisfied the route (empty for access-mode tokens).
    fn scope_check(&mut self, token: &TokenRecord, route: &RouteMatch, trace: &mut Trace<'_>) -> Verdict<Vec<String>> {
        let granted = self.snapshot.profile.closure(&token.scopes);
        self.decision.granted = Some(granted.clone());
        if let Some(access) = token.access {
            // A coarse mode stands for the scopes of its level, judged by what the route needs
            // (its level and the least level of its scope sets), never by the method alone:
            // `read_only` reads (a clone included) and `read_write` also writes; neither stands
            // for admin or delete scopes.
            let floor = route.floor();
            let ok = match access {
                AccessMode::ReadOnly => floor == Level::Read && route.method_reads,
                AccessMode::ReadWrite => floor <= Level::Write,
            };
            let needs = if floor == Level::Read && !route.method_reads { Level::Write } else { floor };
            trace.step("scope", ok, || {
                format!(
                    "access mode {} {} {} {} (the route needs {})",
                    access.as_str(),
                    if ok { "covers" } else { "does not cover" },
                    self.request.method.to_ascii_uppercase(),
                    route.template,
                    needs.as_str()
                )
            });
            if !ok {
                return stop(
                    Reason::ScopeMissing,
                    format!("a {} token cannot make this request: it needs {} access", access.as_str(), needs.as_str()),
                );
            }
            if token.scopes.is_empty() {
                return Ok(Vec::new());
            }
        }
        let satisfied = route.any_of.iter().find(|set| set.iter().all(|s| granted.binary_search(s).is_ok()));
        trace.step("scope", satisfied.is_some(), || match satisfied {
            Some(set) => format!("granted scopes cover [{}]", set.join(", ")),
            None => format!("granted [{}] cover none of {}", granted.join(", "), sets_text(&route.any_of)),
        });
        match satisfied {
            Some(set) => Ok(set.clone()),
            None => stop(
                Reason::ScopeMissing,
                format!("the token lacks the scopes this route needs: {}", sets_text(&route.any_of)),
            ),
        }
    }

    fn resource_check(&self, token: &TokenRecord, route: &RouteMatch, trace: &mut Trace<'_>) -> Verdict<()> {
        let Some(bound) = &token.resource else {
            trace.step("resource", true, || "the token is not bound to a resource".into());
            return Ok(());
        };
        let inside = route.resource.as_ref().is_some_and(|r| self.snapshot.meta.directory.contains(bound, r));
        trace.step("resource", inside, || match &route.resource {
            Some(r) => format!("{r} is {} {bound}", if inside { "inside" } else { "outside" }),
            None => format!("the route addresses no resource, and the token is bound to {bound}"),
        });
        if inside {
            Ok(())
        } else {
            stop(Reason::ResourceOutOfScope, format!("the token is limited to {bound}"))
        }
    }

    fn permission_check(
        &self,
        token: &TokenRecord,
        principal: Option<&Principal>,
        route: &RouteMatch,
        satisfied: Vec<String>,
        trace: &mut Trace<'_>,
    ) -> Verdict<()> {
        let Some(principal) = principal else {
            trace.step("permission", true, || "no user permission applies".into());
            return Ok(());
        };
        let dir = &self.snapshot.meta.directory;
        if route.owner_check {
            // Only the origin knows who owns a snippet or a key: the gate asks for membership
            // of the workspace the object lives in, and leaves ownership to the origin.
            let Some(workspace) =
                route.resource.as_ref().map(|r| ResourceKey::Workspace { workspace: r.workspace().to_owned() })
            else {
                trace.step("permission", true, || {
                    format!(
                        "the route addresses no workspace; the origin checks that `{}` owns the object",
                        principal.id
                    )
                });
                return Ok(());
            };
            let has = dir.level_on(principal, &workspace);
            let ok = has.is_some();
            trace.step("permission", ok, || {
                format!(
                    "`{}` has {} on {workspace}, needs read membership; the origin checks that `{}` owns the object",
                    principal.id,
                    has.map_or("no access", Level::as_str),
                    principal.id
                )
            });
            return if ok {
                Ok(())
            } else {
                stop(Reason::PrincipalLacksPermission, format!("`{}` is not a member of {workspace}", principal.id))
            };
        }
        let Some(resource) = &route.resource else {
            trace.step("permission", true, || "the route addresses no workspace, project or repository".into());
            return Ok(());
        };
        // No scope is exempt: the principal's own permission must reach the route's level and
        // the level of the scopes used (for an access mode without scopes, the least level any
        // of the route's scope sets needs).
        let scopes_need = match token.access {
            Some(_) if satisfied.is_empty() => route.scope_floor,
            _ => self.snapshot.profile.level_for(&satisfied).unwrap_or(Level::Read),
        };
        let needed = route.level.max(scopes_need);
        let has = dir.level_on(principal, resource);
        // A public repository lets everyone read it, and nothing more.
        let public_read = needed == Level::Read && route.method_reads && dir.is_public(resource);
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
            stop(
                Reason::PrincipalLacksPermission,
                format!("`{}` lacks {} permission on {}", principal.id, needed.as_str(), resource),
            )
        }
    }
}

/// Kinds a policy blocks: API tokens (user API tokens and personal access tokens), app
/// passwords. Shared by requests and by token creation (`canCreateToken`).
pub(crate) fn kind_gate(kind: TokenKind, policy: &Policy) -> Verdict<()> {
    if policy.api_tokens == Switch::Block && matches!(kind, TokenKind::ApiToken | TokenKind::PersonalAccessToken) {
        stop(Reason::ApiTokensBlocked, format!("policy `{}` blocks API tokens", policy.name))
    } else if policy.app_passwords == Switch::Block && kind == TokenKind::AppPassword {
        stop(Reason::TokenKindBlocked, format!("policy `{}` blocks app passwords", policy.name))
    } else {
        Ok(())
    }
}

fn token_format(secret: &str, trace: &mut Trace<'_>) -> Verdict<TokenFormat> {
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
        return stop(Reason::BadTokenChecksum, "the token's checksum is wrong: it was mistyped or forged");
    }
    Ok(format)
}

pub(crate) fn summary(token: &TokenRecord) -> TokenSummary {
    TokenSummary {
        id: token.id.clone(),
        kind: token.kind.as_str().into(),
        label: token.label.clone(),
        principal: token.principal.clone(),
        resource: token.resource.as_ref().map(ResourceKey::short),
    }
}

fn required(route: &RouteMatch) -> Required {
    Required { any_of: route.any_of.clone(), resource: route.resource.as_ref().map(ToString::to_string) }
}

fn ip_text(ip: Option<IpAddr>) -> String {
    ip.map_or_else(|| "(unknown)".into(), |i| i.to_string())
}

fn sets_text(sets: &[Vec<String>]) -> String {
    let parts: Vec<String> = sets.iter().map(|s| format!("[{}]", s.join(", "))).collect();
    parts.join(" or ")
}
