//! The state JSON as it arrives (DESIGN.md §3), field for field. Unknown fields are errors, so
//! a typo (`expires_on`) is reported instead of silently ignored.

use std::fmt;

use ipnet::IpNet;
use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;

use crate::directory::{Level, PrincipalKind, PrincipalStatus};
use crate::policy::{PasswordAuth, Switch, UnknownRoute};
use crate::time::Timestamp;
use crate::token::{AccessMode, TokenKind};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StateDoc {
    pub issued_at: Rfc3339,
    /// A built-in profile's name, or a whole profile document (read in a second pass).
    #[serde(default)]
    pub profile: Option<serde_json::Value>,
    #[serde(default)]
    pub resources: ResourcesDoc,
    #[serde(default)]
    pub principals: Vec<PrincipalDoc>,
    #[serde(default)]
    pub tokens: Vec<TokenDoc>,
    #[serde(default)]
    pub policies: Vec<PolicyDoc>,
    #[serde(default)]
    pub default_policy: Option<PolicyDoc>,
    #[serde(default)]
    pub network: Option<NetworkDoc>,
    #[serde(default)]
    pub token_permissions: Option<TokenPermissionsDoc>,
    #[serde(default)]
    pub unknown_route: Option<UnknownRoute>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct ResourcesDoc {
    #[serde(default)]
    pub workspaces: Vec<WorkspaceDoc>,
    #[serde(default)]
    pub projects: Vec<ProjectDoc>,
    #[serde(default)]
    pub repositories: Vec<RepositoryDoc>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WorkspaceDoc {
    pub slug: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProjectDoc {
    pub workspace: String,
    pub key: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RepositoryDoc {
    pub workspace: String,
    pub slug: String,
    #[serde(default)]
    pub project: Option<String>,
    #[serde(default)]
    pub public: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PrincipalDoc {
    pub id: String,
    pub kind: PrincipalKind,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default = "active")]
    pub status: PrincipalStatus,
    #[serde(default)]
    pub groups: Vec<String>,
    #[serde(default)]
    pub two_factor: bool,
    #[serde(default)]
    pub permissions: Vec<PermissionDoc>,
    #[serde(default)]
    pub name: Option<String>,
}

fn active() -> PrincipalStatus {
    PrincipalStatus::Active
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PermissionDoc {
    pub resource: String,
    pub level: Level,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TokenDoc {
    pub id: String,
    pub kind: TokenKind,
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default)]
    pub secret_sha256: Option<Sha256Hex>,
    /// Hashed at build time and dropped; never stored.
    #[serde(default)]
    pub secret: Option<String>,
    #[serde(default)]
    pub principal: Option<String>,
    #[serde(default)]
    pub resource: Option<String>,
    #[serde(default)]
    pub scopes: Vec<String>,
    #[serde(default)]
    pub access: Option<AccessMode>,
    #[serde(default)]
    pub created_at: Option<Rfc3339>,
    #[serde(default)]
    pub expires_at: Option<Rfc3339>,
    #[serde(default)]
    pub created_by: Option<String>,
    #[serde(default)]
    pub allowed_ips: Vec<Cidr>,
    #[serde(default)]
    pub revoked_at: Option<Rfc3339>,
}

/// A listed policy, or the default policy (which has no name and no members).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PolicyDoc {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub members: Option<MembersDoc>,
    #[serde(default)]
    pub api_tokens: Option<Switch>,
    #[serde(default)]
    pub app_passwords: Option<Switch>,
    #[serde(default)]
    pub password_auth: Option<PasswordAuth>,
    #[serde(default)]
    pub max_token_lifetime_days: Option<i64>,
    #[serde(default)]
    pub ip_allowlist: Vec<Cidr>,
    #[serde(default)]
    pub revoke_issued_before: Option<Rfc3339>,
    #[serde(default)]
    pub require_2fa: bool,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct MembersDoc {
    #[serde(default)]
    pub groups: Vec<String>,
    #[serde(default)]
    pub principals: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NetworkDoc {
    #[serde(default)]
    pub trusted_proxies: Vec<Cidr>,
    #[serde(default)]
    pub client_ip_header: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TokenPermissionsDoc {
    #[serde(default = "everyone", rename = "use")]
    pub use_tokens: Vec<String>,
    #[serde(default = "everyone")]
    pub create: Vec<String>,
    #[serde(default = "everyone")]
    pub create_write: Vec<String>,
    #[serde(default)]
    pub create_for_others: Vec<String>,
}

fn everyone() -> Vec<String> {
    vec!["*".into()]
}

/// An RFC 3339 time; anything else is an error that quotes what was given.
pub(crate) struct Rfc3339(pub Timestamp);

impl<'de> Deserialize<'de> for Rfc3339 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Rfc3339;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an RFC 3339 time")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Rfc3339, E> {
                Timestamp::parse(v).map(Rfc3339).ok_or_else(|| {
                    E::custom(format_args!("expected an RFC 3339 time, got {}", quoted(v)))
                })
            }
        }
        d.deserialize_str(V)
    }
}

/// A CIDR block or a single address (`203.0.113.7` is `203.0.113.7/32`).
pub(crate) struct Cidr(pub IpNet);

impl<'de> Deserialize<'de> for Cidr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Cidr;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a CIDR block")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Cidr, E> {
                parse_cidr(v).map(Cidr).ok_or_else(|| {
                    E::custom(format_args!("expected a CIDR block like \"203.0.113.0/24\", got {}", quoted(v)))
                })
            }
        }
        d.deserialize_str(V)
    }
}

/// Parses `addr/len` or a bare address; host bits are cleared.
#[must_use]
pub fn parse_cidr(text: &str) -> Option<IpNet> {
    let text = text.trim();
    if let Ok(net) = text.parse::<IpNet>() {
        return Some(net.trunc());
    }
    text.parse::<std::net::IpAddr>().ok().map(IpNet::from)
}

/// 64 hex digits of a SHA-256 digest.
pub(crate) struct Sha256Hex(pub [u8; 32]);

impl<'de> Deserialize<'de> for Sha256Hex {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Sha256Hex;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("64 hex digits")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Sha256Hex, E> {
                parse_digest_hex(v).map(Sha256Hex).ok_or_else(|| {
                    // Not quoted back: a pasted secret must not end up in an error message.
                    E::custom(format_args!("expected 64 hex digits of a SHA-256 digest, got {} characters", v.chars().count()))
                })
            }
        }
        d.deserialize_str(V)
    }
}

/// Reads 64 hex digits.
#[must_use]
pub fn parse_digest_hex(text: &str) -> Option<[u8; 32]> {
    let bytes = text.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (slot, pair) in out.iter_mut().zip(bytes.chunks(2)) {
        let hi = (*pair.first()? as char).to_digit(16)?;
        let lo = (*pair.get(1)? as char).to_digit(16)?;
        *slot = u8::try_from(hi * 16 + lo).ok()?;
    }
    Some(out)
}

/// User input in an error message: JSON-quoted and cut short.
pub(crate) fn quoted(v: &str) -> String {
    let short: String = v.chars().take(60).collect();
    let mut q = serde_json::to_string(&short).unwrap_or_default();
    if short.len() < v.len() {
        q.push('…');
    }
    q
}

/// A proposed change to the policies of a snapshot (every key optional).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PolicyChangeDoc {
    #[serde(default)]
    pub policies: Option<Vec<PolicyDoc>>,
    #[serde(default)]
    pub default_policy: Option<PolicyDoc>,
    #[serde(default)]
    pub network: Option<NetworkDoc>,
    #[serde(default)]
    pub token_permissions: Option<TokenPermissionsDoc>,
    #[serde(default)]
    pub unknown_route: Option<UnknownRoute>,
}
