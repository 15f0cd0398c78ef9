//! What crosses the WebAssembly boundary for a fast check (`engine.check()` in JS), in plain
//! Rust so it is tested natively; `wasm.rs` only exposes it.
//!
//! **In:** the JS layer writes what the pipeline reads (method, URL, the `Authorization` value,
//! the network's client-IP header, the peer address) as UTF-8 into the engine's request area,
//! back to back, and passes their lengths and a few flags ([`check`]).
//!
//! **Out:** a code (reason, effect, flags) and a few numbers in the result area ([`Out`]): the
//! token's slot, the policy's and the route's index, where the addressed resource lies (in the
//! URL the caller wrote, or copied into the text area), the client address as text. The JS
//! layer builds the contract's `Decision` from them and from tables it fetches once per entry
//! ([`constants`], [`policy`], [`route`], [`token`]) — all formatted here, by the same code as
//! the full decision ([`Verdict::decision`]), so the two cannot drift apart. A message that
//! quotes the request itself is written as text. Nothing on the hot path allocates.

use std::borrow::Cow;
use std::fmt::Write as _;

use serde::Serialize;

use crate::bundle::DELTA_SLOT;
use crate::decision::{Effect, Reason, TokenSummary};
use crate::directory::{Level, ResourceKind};
use crate::engine::Engine;
use crate::pipeline::{summary, Authorization, RequestParts, Scene, Stop, Verdict};
use crate::time::Timestamp;
use crate::token::AccessMode;

/// `i32` slots of the result area.
pub(crate) const OUT_LEN: usize = 16;
/// Bytes of the result's text area.
pub(crate) const TEXT_LEN: usize = 2048;
/// Largest request area the JS layer may ask for; longer requests take the full path.
pub(crate) const MAX_REQUEST: usize = 64 * 1024;

// Result slots.
pub(crate) const SLOT: usize = 1;
pub(crate) const POLICY: usize = 2;
pub(crate) const ROUTE: usize = 3;
pub(crate) const RESOURCE_KIND: usize = 4;
pub(crate) const RESOURCE_AT: usize = 5; // workspace start, end; inner start, end: 5..9
pub(crate) const IP_AT: usize = 9;
pub(crate) const IP_LEN: usize = 10;
pub(crate) const MESSAGE: usize = 11;
pub(crate) const MESSAGE_AT: usize = 12;
pub(crate) const MESSAGE_LEN: usize = 13;

// Code bits: reason (index in `Reason::ALL`) in bits 0-4, effect in bits 5-6, then flags, then
// the message kind in bits 16-19.
pub(crate) const EFFECT_SHIFT: u32 = 5;
pub(crate) const HAS_TOKEN: u32 = 1 << 7;
pub(crate) const HAS_POLICY: u32 = 1 << 8;
pub(crate) const HAS_ROUTE: u32 = 1 << 9;
pub(crate) const HAS_GRANTED: u32 = 1 << 10;
pub(crate) const HAS_CLIENT_IP: u32 = 1 << 11;
/// The client address is the peer address exactly as the caller gave it.
pub(crate) const IP_AS_GIVEN: u32 = 1 << 12;
pub(crate) const HAS_RESOURCE: u32 = 1 << 13;
/// The resource's names are in the text area (else: byte offsets into the URL, which is ASCII).
pub(crate) const RESOURCE_TEXT: u32 = 1 << 14;
/// Take the full path: the fast result cannot express this decision (a token held in memory,
/// not in a bundle; a request the area cannot hold).
pub(crate) const FULL: u32 = 1 << 15;
pub(crate) const MESSAGE_SHIFT: u32 = 16;

/// Where a decision's message comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub(crate) enum MessageKind {
    /// `constants().messages[out[MESSAGE]]`.
    Constant = 0,
    RouteUnknown = 1,
    BundleExpired = 2,
    /// The policy's: `policy(i).passwordDisabled`, `.apiTokensBlocked`, `.appPasswordsBlocked`.
    PasswordDisabled = 3,
    ApiTokensBlocked = 4,
    AppPasswordsBlocked = 5,
    /// The route's: `route(i).scopeMissing`.
    ScopeMissing = 6,
    /// `constants().access[out[MESSAGE]]`.
    Access = 7,
    /// The token's: `token(slot).revoked`, `.expired`, `.outOfScope`.
    TokenRevoked = 8,
    TokenExpired = 9,
    OutOfScope = 10,
    /// In the text area at `out[MESSAGE_AT]`, `out[MESSAGE_LEN]` bytes.
    Text = 11,
}

/// The stops whose message is a constant, in the order of `constants().messages`.
const CONSTANT_STOPS: [Stop<'static>; 10] = [
    Stop::Ok,
    Stop::AnonymousRead,
    Stop::NoCredentials,
    Stop::BadChecksum,
    Stop::Damaged,
    Stop::UnknownToken,
    Stop::OtherKind,
    Stop::WrongUsername,
    Stop::PasswordDeferred,
    Stop::BadMethod,
];

const ACCESS_MODES: [AccessMode; 2] = [AccessMode::ReadOnly, AccessMode::ReadWrite];
const LEVELS: [Level; 3] = [Level::Read, Level::Write, Level::Admin];

/// The request and result areas of one engine.
pub(crate) struct Areas {
    pub request: Vec<u8>,
    pub out: Box<[i32; OUT_LEN]>,
    pub text: Box<[u8; TEXT_LEN]>,
}

impl Default for Areas {
    fn default() -> Areas {
        Areas { request: vec![0; 4096], out: Box::new([0; OUT_LEN]), text: Box::new([0; TEXT_LEN]) }
    }
}

impl Areas {
    /// Grows the request area to hold `len` bytes (at most [`MAX_REQUEST`]); whether it does.
    pub(crate) fn reserve(&mut self, len: usize) -> bool {
        if len > MAX_REQUEST {
            return false;
        }
        if self.request.len() < len {
            self.request.resize(len.next_power_of_two(), 0);
        }
        true
    }
}

/// The flags of a fast check's request.
pub(crate) const AUTH_MASK: u32 = 0b11; // 0 none, 1 one, 2 more than one
pub(crate) const HAS_CLIENT_IP_HEADER: u32 = 1 << 2;
pub(crate) const HAS_PEER: u32 = 1 << 3;
pub(crate) const OVERRIDE_SHIFT: u32 = 4; // 3 bits, `METHOD_OVERRIDE_HEADERS` order

/// Decides the request in the request area (`lens`: method, URL, `Authorization`, client-IP
/// header value, peer address, in bytes, back to back) into the result area; returns the code.
#[cfg_attr(scopegate_speed, optimize(speed))]
pub(crate) fn check(engine: &Engine, areas: &mut Areas, lens: [usize; 5], flags: u32, now: Timestamp) -> u32 {
    let Areas { request, out, text } = areas;
    // NOTE: one UTF-8 check over the five parts, then each cut at a character boundary (`get`):
    // the same as checking each part, for one call instead of five.
    let total = lens.iter().try_fold(0usize, |sum, &len| sum.checked_add(len));
    let Some(all) = total.and_then(|total| request.get(..total)).and_then(|b| std::str::from_utf8(b).ok()) else {
        return FULL;
    };
    let mut parts = [""; 5];
    let mut at = 0usize;
    for (part, &len) in parts.iter_mut().zip(&lens) {
        let Some(s) = all.get(at..at + len) else {
            return FULL;
        };
        *part = s;
        at += len;
    }
    let [method, url, authorization, client_ip, peer] = parts;
    let authorization = match flags & AUTH_MASK {
        0 => Authorization::None,
        1 => Authorization::One(authorization),
        _ => Authorization::Many,
    };
    let client_ip = (flags & HAS_CLIENT_IP_HEADER != 0).then_some(client_ip);
    let peer = (flags & HAS_PEER != 0).then_some(peer);
    let overrides = u8::try_from((flags >> OVERRIDE_SHIFT) & 0b111).unwrap_or(0);
    let request = RequestParts::picked(method, url, peer, authorization, client_ip, overrides);
    let verdict = engine.decide(&request, now);
    encode(&verdict, url, peer, out, text)
}

/// The verdict as numbers (see the module's documentation); the code is also `out[0]`.
#[cfg_attr(scopegate_speed, optimize(speed))]
pub(crate) fn encode(
    verdict: &Verdict<'_>,
    url: &str,
    peer: Option<&str>,
    out: &mut [i32; OUT_LEN],
    text: &mut [u8; TEXT_LEN],
) -> u32 {
    let mut code = reason_index(verdict.reason()) | (effect_code(verdict.effect) << EFFECT_SHIFT);
    if let Some(token) = &verdict.token {
        let Some(slot) = token.slot() else {
            return FULL;
        };
        code |= HAS_TOKEN;
        // The slot's bits as they are (a delta's slots have bit 31 set): read back unsigned.
        if let Some(s) = out.get_mut(SLOT) {
            *s = i32::from_ne_bytes(slot.to_ne_bytes());
        }
        if verdict.granted {
            code |= HAS_GRANTED;
        }
    }
    let mut text_at = 0usize;
    let mut put = |slot: usize, value: usize| {
        if let Some(s) = out.get_mut(slot) {
            *s = i32::try_from(value).unwrap_or(-1);
        }
    };
    if let Some(p) = verdict.policy {
        code |= HAS_POLICY;
        put(POLICY, policy_index(verdict, p));
    }
    if let Some(hit) = verdict.route {
        code |= HAS_ROUTE;
        put(ROUTE, hit.route as usize);
        if let (Some(span), Some(path)) = (hit.resource, &verdict.path) {
            code |= HAS_RESOURCE;
            let kind = match span.kind {
                ResourceKind::Workspace => 0,
                ResourceKind::Project => 1,
                ResourceKind::Repository => 2,
            };
            put(RESOURCE_KIND, kind);
            // Offsets into the URL the caller wrote, when the path is a slice of it and the URL
            // is ASCII (so byte offsets are the caller's string offsets); else the names as text.
            let base = match &path.joined {
                Cow::Borrowed(joined) if url.is_ascii() => {
                    (joined.as_ptr() as usize).checked_sub(url.as_ptr() as usize).filter(|&b| b <= url.len())
                }
                _ => None,
            };
            let spans = [span.workspace, span.inner];
            match base {
                Some(base) => {
                    for (i, (a, b)) in spans.into_iter().enumerate() {
                        put(RESOURCE_AT + 2 * i, base + usize::from(a));
                        put(RESOURCE_AT + 2 * i + 1, base + usize::from(b));
                    }
                }
                None => {
                    code |= RESOURCE_TEXT;
                    for (i, (a, b)) in spans.into_iter().enumerate() {
                        let part = path.joined.get(usize::from(a)..usize::from(b)).unwrap_or_default();
                        let Some(end) = copy(text, text_at, part.as_bytes()) else {
                            return FULL;
                        };
                        put(RESOURCE_AT + 2 * i, text_at);
                        put(RESOURCE_AT + 2 * i + 1, end);
                        text_at = end;
                    }
                }
            }
        }
    }
    if let Some(ip) = verdict.client_ip {
        code |= HAS_CLIENT_IP;
        let mut w = TextWriter { text: &mut text[..], at: text_at, ok: true };
        let _ = write!(w, "{ip}");
        let (end, ok) = (w.at, w.ok);
        if !ok {
            return FULL;
        }
        if peer.is_some_and(|p| text.get(text_at..end) == Some(p.as_bytes())) {
            code |= IP_AS_GIVEN;
        }
        put(IP_AT, text_at);
        put(IP_LEN, end - text_at);
        text_at = end;
    }
    let (kind, param) = message_kind(verdict);
    if kind == MessageKind::Text {
        let Some(end) = copy(text, text_at, verdict.message().as_bytes()) else {
            return FULL;
        };
        put(MESSAGE_AT, text_at);
        put(MESSAGE_LEN, end - text_at);
    }
    put(MESSAGE, param);
    code |= (kind as u32) << MESSAGE_SHIFT;
    put(0, code as usize);
    code
}

/// Copies `bytes` into `text` at `at`; the end, or `None` when it does not fit.
#[cfg_attr(scopegate_speed, optimize(speed))]
fn copy(text: &mut [u8; TEXT_LEN], at: usize, bytes: &[u8]) -> Option<usize> {
    let end = at.checked_add(bytes.len())?;
    text.get_mut(at..end)?.copy_from_slice(bytes);
    Some(end)
}

/// `fmt::Write` into the text area, without allocating.
struct TextWriter<'t> {
    text: &'t mut [u8],
    at: usize,
    ok: bool,
}

impl std::fmt::Write for TextWriter<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        match self.at.checked_add(s.len()).and_then(|end| self.text.get_mut(self.at..end)) {
            Some(dest) => {
                dest.copy_from_slice(s.as_bytes());
                self.at += s.len();
                Ok(())
            }
            None => {
                self.ok = false;
                Err(std::fmt::Error)
            }
        }
    }
}

#[cfg_attr(scopegate_speed, optimize(speed))]
fn reason_index(reason: Reason) -> u32 {
    Reason::ALL.iter().position(|&r| r == reason).and_then(|i| u32::try_from(i).ok()).unwrap_or(0)
}

#[cfg_attr(scopegate_speed, optimize(speed))]
fn effect_code(effect: Effect) -> u32 {
    match effect {
        Effect::Allow => 0,
        Effect::Deny => 1,
        Effect::Defer => 2,
    }
}

/// The index of a policy: its position in the listed ones, or their count for the default.
#[cfg_attr(scopegate_speed, optimize(speed))]
fn policy_index(verdict: &Verdict<'_>, policy: &crate::policy::Policy) -> usize {
    let policies = &verdict.snapshot.meta.policies;
    policies.listed.iter().position(|p| std::ptr::eq(p, policy)).unwrap_or(policies.listed.len())
}

/// Where the verdict's message comes from, and its parameter.
#[cfg_attr(scopegate_speed, optimize(speed))]
fn message_kind(verdict: &Verdict<'_>) -> (MessageKind, usize) {
    let stop = verdict.stop;
    if let Some(i) = CONSTANT_STOPS.iter().position(|s| *s == stop) {
        return (MessageKind::Constant, i);
    }
    let token = verdict.token;
    match stop {
        Stop::RouteUnknown => (MessageKind::RouteUnknown, 0),
        Stop::BundleExpired(at) if Some(at) == verdict.snapshot.expires_at => (MessageKind::BundleExpired, 0),
        Stop::PasswordDisabled(_) => (MessageKind::PasswordDisabled, 0),
        Stop::ApiTokensBlocked(_) => (MessageKind::ApiTokensBlocked, 0),
        Stop::AppPasswordsBlocked(_) => (MessageKind::AppPasswordsBlocked, 0),
        Stop::ScopeMissing => (MessageKind::ScopeMissing, 0),
        Stop::AccessMode { access, needs } => {
            let a = ACCESS_MODES.iter().position(|&m| m == access).unwrap_or(0);
            let n = LEVELS.iter().position(|&l| l == needs).unwrap_or(0);
            (MessageKind::Access, a * LEVELS.len() + n)
        }
        Stop::Revoked(at) if token.and_then(|t| t.revoked_at()) == Some(at) => (MessageKind::TokenRevoked, 0),
        Stop::Expired(at) if token.and_then(|t| t.expires_at()) == Some(at) => (MessageKind::TokenExpired, 0),
        Stop::OutOfScope(bound) if token.and_then(|t| t.resource()) == Some(bound) => (MessageKind::OutOfScope, 0),
        _ => (MessageKind::Text, 0),
    }
}

/// The engine's constant tables (JSON): the constant messages, the access-mode messages, the
/// route-unknown and bundle-expired messages, the reason codes in code order, and the name of
/// the client-IP header the JS layer picks.
pub(crate) fn constants(engine: &Engine) -> String {
    let s = engine.snapshot();
    let scene = Scene { profile: &s.profile, route: None, resource: None };
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Constants {
        messages: Vec<String>,
        access: Vec<String>,
        route_unknown: String,
        bundle_expired: Option<String>,
        reasons: Vec<&'static str>,
        client_ip_header: &'static str,
        /// Whether the tokens can be named by slot (a bundle's): else every decision about a
        /// token takes the full path.
        fast: bool,
    }
    let access = ACCESS_MODES
        .iter()
        .flat_map(|&access| LEVELS.iter().map(move |&needs| Stop::AccessMode { access, needs }))
        .map(|stop| stop.message(&scene))
        .collect();
    json(&Constants {
        messages: CONSTANT_STOPS.iter().map(|stop| stop.message(&scene)).collect(),
        access,
        route_unknown: Stop::RouteUnknown.message(&scene),
        bundle_expired: s.expires_at.map(|at| Stop::BundleExpired(at).message(&scene)),
        reasons: Reason::ALL.iter().map(|r| r.code()).collect(),
        client_ip_header: s.meta.network.client_ip_header.name(),
        fast: s.tokens.is_empty() || s.tokens.at_slot(0).is_some() || s.tokens.at_slot(DELTA_SLOT).is_some(),
    })
}

/// Policy `i` (the default after the listed ones): its name and its messages (JSON).
pub(crate) fn policy(engine: &Engine, i: usize) -> Option<String> {
    let s = engine.snapshot();
    let policies = &s.meta.policies;
    let p = if i == policies.listed.len() { Some(&policies.default) } else { policies.listed.get(i) }?;
    let scene = Scene { profile: &s.profile, route: None, resource: None };
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct PolicyInfo<'p> {
        name: &'p str,
        password_disabled: String,
        api_tokens_blocked: String,
        app_passwords_blocked: String,
    }
    Some(json(&PolicyInfo {
        name: &p.name,
        password_disabled: Stop::PasswordDisabled(p).message(&scene),
        api_tokens_blocked: Stop::ApiTokensBlocked(p).message(&scene),
        app_passwords_blocked: Stop::AppPasswordsBlocked(p).message(&scene),
    }))
}

/// Route `i`: its `anyOf` and its scope-missing message (JSON).
pub(crate) fn route(engine: &Engine, i: u32) -> Option<String> {
    let s = engine.snapshot();
    let route = s.profile.route(i)?;
    let scene = Scene { profile: &s.profile, route: Some(route), resource: None };
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct RouteInfo {
        any_of: Vec<Vec<String>>,
        scope_missing: String,
    }
    Some(json(&RouteInfo { any_of: route.any_of(), scope_missing: Stop::ScopeMissing.message(&scene) }))
}

/// The token in `slot`: its summary, expiry, granted scopes and the messages about it (JSON).
pub(crate) fn token(engine: &Engine, slot: u32) -> Option<String> {
    let s = engine.snapshot();
    let token = s.tokens.at_slot(slot)?;
    let scene = Scene { profile: &s.profile, route: None, resource: None };
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct TokenInfo {
        token: TokenSummary,
        #[serde(skip_serializing_if = "Option::is_none")]
        expires_at: Option<String>,
        granted: Vec<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        revoked: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        expired: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        out_of_scope: Option<String>,
    }
    Some(json(&TokenInfo {
        token: summary(&token),
        expires_at: token.expires_at().map(|t| t.to_string()),
        granted: s.profile.closure_of(token.scopes()),
        revoked: token.revoked_at().map(|at| Stop::Revoked(at).message(&scene)),
        expired: token.expires_at().map(|at| Stop::Expired(at).message(&scene)),
        out_of_scope: token.resource().map(|r| Stop::OutOfScope(r).message(&scene)),
    }))
}

fn json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

#[cfg(test)]
mod tests;
