//! The state JSON as it arrives (DESIGN.md §3), field for field, read with JSON paths.
//! Unknown fields are errors, so a typo (`expires_on`) is reported instead of silently ignored.

use ipnet::IpNet;
use serde_json::Value;

use super::json::{At, Obj};
use crate::directory::{Level, PrincipalKind, PrincipalStatus};
use crate::error::Error;
use crate::policy::{PasswordAuth, Switch, UnknownRoute};
use crate::time::Timestamp;
use crate::token::{AccessMode, TokenKind};

pub(crate) struct StateDoc {
    pub issued_at: Timestamp,
    /// A built-in profile's name, or a whole profile document.
    pub profile: Option<Value>,
    pub resources: ResourcesDoc,
    pub principals: Vec<PrincipalDoc>,
    pub tokens: Vec<TokenDoc>,
    pub policies: Vec<PolicyDoc>,
    pub default_policy: Option<PolicyDoc>,
    pub network: Option<NetworkDoc>,
    pub token_permissions: Option<TokenPermissionsDoc>,
    pub unknown_route: Option<UnknownRoute>,
}

#[derive(Default)]
pub(crate) struct ResourcesDoc {
    pub workspaces: Vec<String>,
    pub projects: Vec<ProjectDoc>,
    pub repositories: Vec<RepositoryDoc>,
}

pub(crate) struct ProjectDoc {
    pub workspace: String,
    pub key: String,
}

pub(crate) struct RepositoryDoc {
    pub workspace: String,
    pub slug: String,
    pub project: Option<String>,
    pub public: bool,
}

pub(crate) struct PrincipalDoc {
    pub id: String,
    pub kind: PrincipalKind,
    pub email: Option<String>,
    pub username: Option<String>,
    pub status: PrincipalStatus,
    pub groups: Vec<String>,
    pub two_factor: bool,
    pub permissions: Vec<PermissionDoc>,
}

pub(crate) struct PermissionDoc {
    pub resource: String,
    pub level: Level,
}

pub(crate) struct TokenDoc {
    pub id: String,
    pub kind: TokenKind,
    pub label: Option<String>,
    pub secret_sha256: Option<[u8; 32]>,
    /// Hashed at build time and dropped; never stored.
    pub secret: Option<String>,
    pub principal: Option<String>,
    pub resource: Option<String>,
    pub scopes: Vec<String>,
    pub access: Option<AccessMode>,
    pub created_at: Option<Timestamp>,
    pub expires_at: Option<Timestamp>,
    pub created_by: Option<String>,
    pub allowed_ips: Vec<IpNet>,
    pub revoked_at: Option<Timestamp>,
}

/// A listed policy, or the default policy (which has no name and no members).
pub(crate) struct PolicyDoc {
    pub name: Option<String>,
    pub members: Option<MembersDoc>,
    pub api_tokens: Option<Switch>,
    pub app_passwords: Option<Switch>,
    pub password_auth: Option<PasswordAuth>,
    pub max_token_lifetime_days: Option<i64>,
    pub ip_allowlist: Vec<IpNet>,
    pub revoke_issued_before: Option<Timestamp>,
    pub require_2fa: bool,
}

pub(crate) struct MembersDoc {
    pub groups: Vec<String>,
    pub principals: Vec<String>,
}

pub(crate) struct NetworkDoc {
    pub trusted_proxies: Vec<IpNet>,
    pub client_ip_header: Option<String>,
}

pub(crate) struct TokenPermissionsDoc {
    pub use_tokens: Vec<String>,
    pub create: Vec<String>,
    pub create_write: Vec<String>,
    pub create_for_others: Vec<String>,
}

/// A proposed change to the policies of a snapshot (every key optional).
pub(crate) struct PolicyChangeDoc {
    pub policies: Option<Vec<PolicyDoc>>,
    pub default_policy: Option<PolicyDoc>,
    pub network: Option<NetworkDoc>,
    pub token_permissions: Option<TokenPermissionsDoc>,
    pub unknown_route: Option<UnknownRoute>,
}

const SWITCH: &[(&str, Switch)] = &[("allow", Switch::Allow), ("block", Switch::Block)];
const PASSWORD: &[(&str, PasswordAuth)] = &[("allow", PasswordAuth::Allow), ("disable", PasswordAuth::Disable)];
const UNKNOWN_ROUTE: &[(&str, UnknownRoute)] = &[("deny", UnknownRoute::Deny), ("defer", UnknownRoute::Defer)];
const LEVEL: &[(&str, Level)] = &[("read", Level::Read), ("write", Level::Write), ("admin", Level::Admin)];
const ACCESS: &[(&str, AccessMode)] = &[("read_only", AccessMode::ReadOnly), ("read_write", AccessMode::ReadWrite)];
const PRINCIPAL_KIND: &[(&str, PrincipalKind)] =
    &[("user", PrincipalKind::User), ("service_account", PrincipalKind::ServiceAccount)];
const STATUS: &[(&str, PrincipalStatus)] = &[
    ("active", PrincipalStatus::Active),
    ("deactivated", PrincipalStatus::Deactivated),
    ("deleted", PrincipalStatus::Deleted),
];

fn token_kind(at: At<'_>) -> Result<TokenKind, Error> {
    let kinds: Vec<(&str, TokenKind)> = TokenKind::ALL.iter().map(|k| (k.as_str(), *k)).collect();
    at.one_of(&kinds)
}

fn list<T>(o: &Obj<'_>, key: &str, read: impl FnMut(At<'_>) -> Result<T, Error>) -> Result<Vec<T>, Error> {
    Ok(o.get(key, |a| a.each(read))?.unwrap_or_default())
}

fn strings(o: &Obj<'_>, key: &str) -> Result<Vec<String>, Error> {
    Ok(o.get(key, |a| a.strings())?.unwrap_or_default())
}

fn string(o: &Obj<'_>, key: &str) -> Result<Option<String>, Error> {
    o.get(key, |a| a.string())
}

pub(crate) fn state(root: At<'_>) -> Result<StateDoc, Error> {
    let o = root.obj()?;
    o.only(&[
        "issued_at",
        "profile",
        "resources",
        "principals",
        "tokens",
        "policies",
        "default_policy",
        "network",
        "token_permissions",
        "unknown_route",
    ])?;
    Ok(StateDoc {
        issued_at: o.need("issued_at", |a| a.time())?,
        profile: o.get("profile", |a| Ok(a.value.clone()))?,
        resources: o.get("resources", resources)?.unwrap_or_default(),
        principals: list(&o, "principals", principal)?,
        tokens: list(&o, "tokens", token)?,
        policies: list(&o, "policies", policy)?,
        default_policy: o.get("default_policy", policy)?,
        network: o.get("network", network)?,
        token_permissions: o.get("token_permissions", token_permissions)?,
        unknown_route: o.get("unknown_route", |a| a.one_of(UNKNOWN_ROUTE))?,
    })
}

pub(crate) fn policy_change(root: At<'_>) -> Result<PolicyChangeDoc, Error> {
    let o = root.obj()?;
    o.only(&["policies", "default_policy", "network", "token_permissions", "unknown_route"])?;
    Ok(PolicyChangeDoc {
        policies: o.get("policies", |a| a.each(policy))?,
        default_policy: o.get("default_policy", policy)?,
        network: o.get("network", network)?,
        token_permissions: o.get("token_permissions", token_permissions)?,
        unknown_route: o.get("unknown_route", |a| a.one_of(UNKNOWN_ROUTE))?,
    })
}

fn resources(at: At<'_>) -> Result<ResourcesDoc, Error> {
    let o = at.obj()?;
    o.only(&["workspaces", "projects", "repositories"])?;
    Ok(ResourcesDoc {
        workspaces: list(&o, "workspaces", |a| {
            let w = a.obj()?;
            w.only(&["slug"])?;
            w.need("slug", |s| s.string())
        })?,
        projects: list(&o, "projects", |a| {
            let p = a.obj()?;
            p.only(&["workspace", "key"])?;
            Ok(ProjectDoc { workspace: p.need("workspace", |s| s.string())?, key: p.need("key", |s| s.string())? })
        })?,
        repositories: list(&o, "repositories", |a| {
            let r = a.obj()?;
            r.only(&["workspace", "slug", "project", "public"])?;
            Ok(RepositoryDoc {
                workspace: r.need("workspace", |s| s.string())?,
                slug: r.need("slug", |s| s.string())?,
                project: string(&r, "project")?,
                public: r.get("public", |b| b.bool())?.unwrap_or(false),
            })
        })?,
    })
}

fn principal(at: At<'_>) -> Result<PrincipalDoc, Error> {
    let o = at.obj()?;
    o.only(&["id", "kind", "email", "username", "status", "groups", "two_factor", "permissions", "name"])?;
    let _ = string(&o, "name")?;
    Ok(PrincipalDoc {
        id: o.need("id", |a| a.string())?,
        kind: o.need("kind", |a| a.one_of(PRINCIPAL_KIND))?,
        email: string(&o, "email")?,
        username: string(&o, "username")?,
        status: o.get("status", |a| a.one_of(STATUS))?.unwrap_or(PrincipalStatus::Active),
        groups: strings(&o, "groups")?,
        two_factor: o.get("two_factor", |a| a.bool())?.unwrap_or(false),
        permissions: list(&o, "permissions", |a| {
            let p = a.obj()?;
            p.only(&["resource", "level"])?;
            Ok(PermissionDoc {
                resource: p.need("resource", |s| s.string())?,
                level: p.need("level", |s| s.one_of(LEVEL))?,
            })
        })?,
    })
}

pub(crate) fn token(at: At<'_>) -> Result<TokenDoc, Error> {
    let o = at.obj()?;
    o.only(&[
        "id",
        "kind",
        "label",
        "secret_sha256",
        "secret",
        "principal",
        "resource",
        "scopes",
        "access",
        "created_at",
        "expires_at",
        "created_by",
        "allowed_ips",
        "revoked_at",
    ])?;
    Ok(TokenDoc {
        id: o.need("id", |a| a.string())?,
        kind: o.need("kind", token_kind)?,
        label: string(&o, "label")?,
        secret_sha256: o.get("secret_sha256", |a| {
            let text = a.secret()?;
            // Not quoted back: a pasted secret must not end up in an error message.
            parse_digest_hex(text).map_or_else(
                || {
                    a.err(format!(
                        "expected 64 hex digits of a SHA-256 digest, got {} characters",
                        text.chars().count()
                    ))
                },
                Ok,
            )
        })?,
        secret: o
            .get("secret", |a| a.secret().map(str::to_string).or_else(|_| a.err("expected the secret as a string")))?,
        principal: string(&o, "principal")?,
        resource: string(&o, "resource")?,
        scopes: strings(&o, "scopes")?,
        access: o.get("access", |a| a.one_of(ACCESS))?,
        created_at: o.get("created_at", |a| a.time())?,
        expires_at: o.get("expires_at", |a| a.time())?,
        created_by: string(&o, "created_by")?,
        allowed_ips: list(&o, "allowed_ips", |a| a.cidr())?,
        revoked_at: o.get("revoked_at", |a| a.time())?,
    })
}

fn policy(at: At<'_>) -> Result<PolicyDoc, Error> {
    let o = at.obj()?;
    o.only(&[
        "name",
        "members",
        "api_tokens",
        "app_passwords",
        "password_auth",
        "max_token_lifetime_days",
        "ip_allowlist",
        "revoke_issued_before",
        "require_2fa",
    ])?;
    Ok(PolicyDoc {
        name: string(&o, "name")?,
        members: o.get("members", |a| {
            let m = a.obj()?;
            m.only(&["groups", "principals"])?;
            Ok(MembersDoc { groups: strings(&m, "groups")?, principals: strings(&m, "principals")? })
        })?,
        api_tokens: o.get("api_tokens", |a| a.one_of(SWITCH))?,
        app_passwords: o.get("app_passwords", |a| a.one_of(SWITCH))?,
        password_auth: o.get("password_auth", |a| a.one_of(PASSWORD))?,
        max_token_lifetime_days: o.get("max_token_lifetime_days", |a| a.int())?,
        ip_allowlist: list(&o, "ip_allowlist", |a| a.cidr())?,
        revoke_issued_before: o.get("revoke_issued_before", |a| a.time())?,
        require_2fa: o.get("require_2fa", |a| a.bool())?.unwrap_or(false),
    })
}

fn network(at: At<'_>) -> Result<NetworkDoc, Error> {
    let o = at.obj()?;
    o.only(&["trusted_proxies", "client_ip_header"])?;
    Ok(NetworkDoc {
        trusted_proxies: list(&o, "trusted_proxies", |a| a.cidr())?,
        client_ip_header: string(&o, "client_ip_header")?,
    })
}

fn token_permissions(at: At<'_>) -> Result<TokenPermissionsDoc, Error> {
    let o = at.obj()?;
    o.only(&["use", "create", "create_write", "create_for_others"])?;
    let everyone = || vec!["*".to_string()];
    Ok(TokenPermissionsDoc {
        use_tokens: o.get("use", |a| a.strings())?.unwrap_or_else(everyone),
        create: o.get("create", |a| a.strings())?.unwrap_or_else(everyone),
        create_write: o.get("create_write", |a| a.strings())?.unwrap_or_else(everyone),
        create_for_others: strings(&o, "create_for_others")?,
    })
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
