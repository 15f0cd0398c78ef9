//! Authentication policies (Atlassian style), the network section, and token-management rights.

use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;

use crate::directory::Principal;
use crate::time::Timestamp;

/// `allow` or `block` for a family of credentials.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Switch {
    #[default]
    Allow,
    Block,
}

/// `allow` or `disable` for password authentication.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PasswordAuth {
    #[default]
    Allow,
    Disable,
}

/// Who a policy applies to.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Members {
    pub groups: Vec<String>,
    pub principals: Vec<String>,
}

/// Longest lifetime a policy may set, and the default.
pub const MAX_LIFETIME_DAYS: u16 = 365;

/// One policy. The default policy has the name `default` and no members.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    pub name: String,
    pub members: Members,
    pub api_tokens: Switch,
    pub app_passwords: Switch,
    pub password_auth: PasswordAuth,
    pub max_token_lifetime_days: u16,
    /// Empty: any address.
    pub ip_allowlist: Vec<IpNet>,
    pub revoke_issued_before: Option<Timestamp>,
    pub require_2fa: bool,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            name: "default".into(),
            members: Members::default(),
            api_tokens: Switch::Allow,
            app_passwords: Switch::Allow,
            password_auth: PasswordAuth::Allow,
            max_token_lifetime_days: MAX_LIFETIME_DAYS,
            ip_allowlist: Vec::new(),
            revoke_issued_before: None,
            require_2fa: false,
        }
    }
}

impl Policy {
    /// Whether the policy names this principal or one of its groups.
    #[must_use]
    #[cfg_attr(scopegate_speed, optimize(speed))]
    pub fn applies_to(&self, principal: &Principal) -> bool {
        self.members.principals.iter().any(|p| p == &principal.id)
            || self.members.groups.iter().any(|g| principal.groups.contains(g))
    }

    /// Whether `ip` may use credentials under this policy.
    #[must_use]
    #[cfg_attr(scopegate_speed, optimize(speed))]
    pub fn allows_ip(&self, ip: Option<IpAddr>) -> bool {
        ip_allowed(&self.ip_allowlist, ip)
    }
}

/// Whether `ip` is inside `allowlist` (empty: anything). An unknown client IP is outside any
/// non-empty list: fail closed. IPv4-mapped IPv6 addresses count as their IPv4 address.
#[must_use]
#[cfg_attr(scopegate_speed, optimize(speed))]
pub fn ip_allowed(allowlist: &[IpNet], ip: Option<IpAddr>) -> bool {
    if allowlist.is_empty() {
        return true;
    }
    let Some(ip) = ip.map(canonical_ip) else {
        return false;
    };
    allowlist.iter().any(|net| net.contains(&ip))
}

/// `::ffff:1.2.3.4` is `1.2.3.4`.
#[must_use]
#[cfg_attr(scopegate_speed, optimize(speed))]
pub fn canonical_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

/// The policies of a snapshot: the listed ones in order, then the default.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policies {
    pub listed: Vec<Policy>,
    pub default: Policy,
}

impl Policies {
    /// The first listed policy that names the principal or one of its groups, else the default.
    #[must_use]
    #[cfg_attr(scopegate_speed, optimize(speed))]
    pub fn for_principal(&self, principal: Option<&Principal>) -> &Policy {
        principal.and_then(|p| self.listed.iter().find(|policy| policy.applies_to(p))).unwrap_or(&self.default)
    }
}

/// Which header carries the client address when a trusted proxy forwards the request.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum ClientIpHeader {
    #[default]
    XForwardedFor,
    Forwarded,
    CfConnectingIp,
    XRealIp,
}

impl ClientIpHeader {
    /// Reads a header name, case-insensitively.
    #[must_use]
    pub fn parse(name: &str) -> Option<ClientIpHeader> {
        match name.to_ascii_lowercase().as_str() {
            "x-forwarded-for" => Some(ClientIpHeader::XForwardedFor),
            "forwarded" => Some(ClientIpHeader::Forwarded),
            "cf-connecting-ip" => Some(ClientIpHeader::CfConnectingIp),
            "x-real-ip" => Some(ClientIpHeader::XRealIp),
            _ => None,
        }
    }

    /// The header's name in lower case.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            ClientIpHeader::XForwardedFor => "x-forwarded-for",
            ClientIpHeader::Forwarded => "forwarded",
            ClientIpHeader::CfConnectingIp => "cf-connecting-ip",
            ClientIpHeader::XRealIp => "x-real-ip",
        }
    }
}

/// Proxies whose forwarding headers are believed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Network {
    pub trusted_proxies: Vec<IpNet>,
    pub client_ip_header: ClientIpHeader,
}

/// Groups that may use and create tokens (`*` is everyone).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenPermissions {
    pub use_tokens: Vec<String>,
    pub create: Vec<String>,
    pub create_write: Vec<String>,
    pub create_for_others: Vec<String>,
}

impl Default for TokenPermissions {
    /// Everyone may use, create and create write tokens for themselves; nobody for others.
    fn default() -> TokenPermissions {
        let everyone = vec!["*".to_string()];
        TokenPermissions {
            use_tokens: everyone.clone(),
            create: everyone.clone(),
            create_write: everyone,
            create_for_others: Vec::new(),
        }
    }
}

/// What to do with a request no route matches.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnknownRoute {
    #[default]
    Deny,
    Defer,
}
