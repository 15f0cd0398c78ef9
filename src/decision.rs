//! Decisions are data: an effect, one reason code, and what the engine saw on the way.

use serde::Serialize;

/// What happens to the request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Effect {
    /// Let it through.
    Allow,
    /// Stop it.
    Deny,
    /// Not the engine's call (a password): the origin decides.
    Defer,
}

impl Effect {
    /// The effect as the contract spells it.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::Allow => "allow",
            Effect::Deny => "deny",
            Effect::Defer => "defer",
        }
    }
}

/// The one reason behind a decision (the contract's reason codes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Reason {
    Ok,
    NoCredentials,
    MalformedCredentials,
    BadTokenChecksum,
    UnknownToken,
    TokenRevoked,
    TokenExpired,
    TokenLifetimeExceedsPolicy,
    TokenKindBlocked,
    ApiTokensBlocked,
    PasswordAuthDisabled,
    PasswordAuthDeferred,
    IpNotAllowed,
    RouteUnknown,
    ScopeMissing,
    ResourceOutOfScope,
    PrincipalInactive,
    PrincipalLacksPermission,
    BundleExpired,
    AnonymousPublicRead,
    InternalError,
    /// The URL or the request cannot be read the one way the origin reads it.
    MalformedRequest,
    /// `now` is before the snapshot's `issued_at` (beyond the clock-skew allowance).
    BundleNotYetValid,
}

impl Reason {
    /// Every reason code, in the contract's order.
    pub const ALL: [Reason; 23] = [
        Reason::Ok,
        Reason::NoCredentials,
        Reason::MalformedCredentials,
        Reason::BadTokenChecksum,
        Reason::UnknownToken,
        Reason::TokenRevoked,
        Reason::TokenExpired,
        Reason::TokenLifetimeExceedsPolicy,
        Reason::TokenKindBlocked,
        Reason::ApiTokensBlocked,
        Reason::PasswordAuthDisabled,
        Reason::PasswordAuthDeferred,
        Reason::IpNotAllowed,
        Reason::RouteUnknown,
        Reason::ScopeMissing,
        Reason::ResourceOutOfScope,
        Reason::PrincipalInactive,
        Reason::PrincipalLacksPermission,
        Reason::BundleExpired,
        Reason::AnonymousPublicRead,
        Reason::InternalError,
        Reason::MalformedRequest,
        Reason::BundleNotYetValid,
    ];

    /// The reason code as the contract spells it (`token_expired`).
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Reason::Ok => "ok",
            Reason::NoCredentials => "no_credentials",
            Reason::MalformedCredentials => "malformed_credentials",
            Reason::BadTokenChecksum => "bad_token_checksum",
            Reason::UnknownToken => "unknown_token",
            Reason::TokenRevoked => "token_revoked",
            Reason::TokenExpired => "token_expired",
            Reason::TokenLifetimeExceedsPolicy => "token_lifetime_exceeds_policy",
            Reason::TokenKindBlocked => "token_kind_blocked",
            Reason::ApiTokensBlocked => "api_tokens_blocked",
            Reason::PasswordAuthDisabled => "password_auth_disabled",
            Reason::PasswordAuthDeferred => "password_auth_deferred",
            Reason::IpNotAllowed => "ip_not_allowed",
            Reason::RouteUnknown => "route_unknown",
            Reason::ScopeMissing => "scope_missing",
            Reason::ResourceOutOfScope => "resource_out_of_scope",
            Reason::PrincipalInactive => "principal_inactive",
            Reason::PrincipalLacksPermission => "principal_lacks_permission",
            Reason::BundleExpired => "bundle_expired",
            Reason::AnonymousPublicRead => "anonymous_public_read",
            Reason::InternalError => "internal_error",
            Reason::MalformedRequest => "malformed_request",
            Reason::BundleNotYetValid => "bundle_not_yet_valid",
        }
    }

    /// Reads a reason code (`"token_expired"`).
    #[must_use]
    pub fn from_code(code: &str) -> Option<Reason> {
        Reason::ALL.into_iter().find(|r| r.code() == code)
    }

    /// The effect this reason carries.
    #[must_use]
    pub fn effect(self) -> Effect {
        match self {
            Reason::Ok | Reason::AnonymousPublicRead => Effect::Allow,
            Reason::PasswordAuthDeferred => Effect::Defer,
            _ => Effect::Deny,
        }
    }
}

/// The token a decision is about: never its secret.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TokenSummary {
    pub id: String,
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
}

/// What the matched route needs.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Required {
    /// Any one of these sets, all scopes of the set.
    #[serde(rename = "anyOf")]
    pub any_of: Vec<Vec<String>>,
    /// The resource the request addresses, in canonical form (`repository:acme/web`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
}

/// The engine's answer for one request (the contract's `Decision`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Decision {
    pub effect: Effect,
    pub allow: bool,
    pub reason: Reason,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<TokenSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub required: Option<Required>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub granted: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_ip: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
}

impl Decision {
    /// A decision with this reason and message, and nothing else known yet.
    #[must_use]
    pub fn new(reason: Reason, message: impl Into<String>) -> Decision {
        let effect = reason.effect();
        Decision {
            effect,
            allow: effect == Effect::Allow,
            reason,
            message: message.into(),
            token: None,
            required: None,
            granted: None,
            client_ip: None,
            policy: None,
            expires_at: None,
        }
    }
}

/// One step of the pipeline, as `explain()` reports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Step {
    pub step: &'static str,
    pub ok: bool,
    pub detail: String,
}

/// A decision with the steps that led to it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Explanation {
    pub decision: Decision,
    pub steps: Vec<Step>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_match_serde() {
        for r in Reason::ALL {
            assert_eq!(Reason::from_code(r.code()), Some(r));
            assert_eq!(serde_json::to_value(r).unwrap(), serde_json::json!(r.code()));
        }
    }

    #[test]
    fn effects() {
        assert_eq!(Reason::Ok.effect(), Effect::Allow);
        assert_eq!(Reason::AnonymousPublicRead.effect(), Effect::Allow);
        assert_eq!(Reason::PasswordAuthDeferred.effect(), Effect::Defer);
        assert_eq!(Reason::InternalError.effect(), Effect::Deny);
        let d = Decision::new(Reason::ScopeMissing, "x");
        assert!(!d.allow);
    }
}
