//! The state JSON as it arrives (DESIGN.md §3), field for field. Token objects are read by one
//! reader wherever they come from: a state's `tokens`, a line of an NDJSON token list, a
//! changes document's `upsert`.

use std::sync::LazyLock;

use ipnet::IpNet;
use serde::de::MapAccess;

use super::profile::ProfileSource;
use super::{
    document, field, need, At, Bool, Cidr, Got, Int, List, Obj, Object, OneOf, Refused, Shape, Text, Time, LEVEL, TEXT,
};
use crate::directory::{Level, PrincipalKind, PrincipalStatus};
use crate::error::Error;
use crate::policy::{PasswordAuth, Switch, UnknownRoute};
use crate::time::Timestamp;
use crate::token::{AccessMode, TokenKind};

pub(crate) struct StateDoc {
    pub issued_at: Timestamp,
    pub profile: Option<ProfileSource>,
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

#[derive(Debug)]
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

#[derive(Default)]
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

/// A proposed change to the policies of a snapshot (every key optional): what a state says
/// about policies, on its own or inside a changes document.
#[derive(Default)]
pub(crate) struct PolicyChangeDoc {
    pub policies: Option<Vec<PolicyDoc>>,
    pub default_policy: Option<PolicyDoc>,
    pub network: Option<NetworkDoc>,
    pub token_permissions: Option<TokenPermissionsDoc>,
    pub unknown_route: Option<UnknownRoute>,
}

const SWITCH: OneOf<Switch> = OneOf(&[("allow", Switch::Allow), ("block", Switch::Block)]);
const PASSWORD: OneOf<PasswordAuth> = OneOf(&[("allow", PasswordAuth::Allow), ("disable", PasswordAuth::Disable)]);
const UNKNOWN_ROUTE: OneOf<UnknownRoute> = OneOf(&[("deny", UnknownRoute::Deny), ("defer", UnknownRoute::Defer)]);
const ACCESS: OneOf<AccessMode> = OneOf(&[("read_only", AccessMode::ReadOnly), ("read_write", AccessMode::ReadWrite)]);
const PRINCIPAL_KIND: OneOf<PrincipalKind> =
    OneOf(&[("user", PrincipalKind::User), ("service_account", PrincipalKind::ServiceAccount)]);
const STATUS: OneOf<PrincipalStatus> = OneOf(&[
    ("active", PrincipalStatus::Active),
    ("deactivated", PrincipalStatus::Deactivated),
    ("deleted", PrincipalStatus::Deleted),
]);

/// The token kinds by their contract names (`TokenKind::as_str`, the one spelling).
static TOKEN_KINDS: LazyLock<Vec<(&'static str, TokenKind)>> =
    LazyLock::new(|| TokenKind::ALL.iter().map(|k| (k.as_str(), *k)).collect());

/// A token kind.
struct Kind;

impl Shape for Kind {
    type Out = TokenKind;
    fn expected(&self) -> String {
        OneOf(TOKEN_KINDS.as_slice()).expected()
    }
    fn take(&self, got: Got<'_>) -> Result<TokenKind, Refused> {
        OneOf(TOKEN_KINDS.as_slice()).take(got)
    }
}

/// A token's `secret`: any string, never quoted back.
struct Secret;

impl Shape for Secret {
    type Out = String;
    fn expected(&self) -> String {
        "the secret as a string".into()
    }
    fn take(&self, got: Got<'_>) -> Result<String, Refused> {
        match got {
            Got::Str(s) => Ok(s.to_owned()),
            _ => Err(Refused::Because("expected the secret as a string".into())),
        }
    }
}

/// A token's `secret_sha256`: 64 hex digits, never quoted back (a pasted secret must not end
/// up in an error message).
struct Digest;

impl Shape for Digest {
    type Out = [u8; 32];
    fn expected(&self) -> String {
        "a string".into()
    }
    fn take(&self, got: Got<'_>) -> Result<[u8; 32], Refused> {
        let Got::Str(s) = got else { return Err(Refused::Kind) };
        super::parse_digest_hex(s).ok_or_else(|| {
            Refused::Because(format!(
                "expected 64 hex digits of a SHA-256 digest, got {} characters",
                s.chars().count()
            ))
        })
    }
}

/// Reads a whole state document.
pub(crate) fn state(text: &str) -> Result<StateDoc, Error> {
    document(text, Obj::<StateDoc>::new())
}

/// Reads one token object (a line of an NDJSON token list); paths are relative to it
/// (`expires_at`, `scopes[1]`, or empty for the object as a whole).
pub(crate) fn token(text: &str) -> Result<TokenDoc, Error> {
    document(text, Obj::<TokenDoc>::new())
}

/// Reads a policy change document (`policies`, `default_policy`, `network`,
/// `token_permissions`, `unknown_route`, every key optional).
pub(crate) fn policy_change(text: &str) -> Result<PolicyChangeDoc, Error> {
    document(text, Obj::<PolicyChangeDoc>::new())
}

#[derive(Default)]
pub(crate) struct StateFields {
    issued_at: Option<Timestamp>,
    profile: Option<ProfileSource>,
    resources: Option<ResourcesDoc>,
    principals: Option<Vec<PrincipalDoc>>,
    tokens: Option<Vec<TokenDoc>>,
    policy: PolicyChangeDoc,
}

impl Object for StateDoc {
    const KEYS: &'static [&'static str] = &[
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
    ];
    type Fields = StateFields;
    fn field<'de, A: MapAccess<'de>>(f: &mut StateFields, key: &str, at: At<'_>, map: &mut A) -> Result<(), A::Error> {
        match key {
            "issued_at" => f.issued_at = field(map, at, &Time)?,
            "profile" => f.profile = field(map, at, &ProfileSource::READER)?,
            "resources" => f.resources = field(map, at, &Obj::<ResourcesDoc>::new())?,
            "principals" => f.principals = field(map, at, &List(Obj::<PrincipalDoc>::new()))?,
            "tokens" => f.tokens = field(map, at, &List(Obj::<TokenDoc>::new()))?,
            _ => PolicyChangeDoc::field(&mut f.policy, key, at, map)?,
        }
        Ok(())
    }
    fn finish(f: StateFields) -> Result<StateDoc, String> {
        let policy = f.policy;
        Ok(StateDoc {
            issued_at: need(f.issued_at, "issued_at")?,
            profile: f.profile,
            resources: f.resources.unwrap_or_default(),
            principals: f.principals.unwrap_or_default(),
            tokens: f.tokens.unwrap_or_default(),
            policies: policy.policies.unwrap_or_default(),
            default_policy: policy.default_policy,
            network: policy.network,
            token_permissions: policy.token_permissions,
            unknown_route: policy.unknown_route,
        })
    }
}

impl Object for PolicyChangeDoc {
    const KEYS: &'static [&'static str] =
        &["policies", "default_policy", "network", "token_permissions", "unknown_route"];
    type Fields = PolicyChangeDoc;
    fn field<'de, A: MapAccess<'de>>(
        f: &mut PolicyChangeDoc,
        key: &str,
        at: At<'_>,
        map: &mut A,
    ) -> Result<(), A::Error> {
        match key {
            "policies" => f.policies = field(map, at, &List(Obj::<PolicyDoc>::new()))?,
            "default_policy" => f.default_policy = field(map, at, &Obj::<PolicyDoc>::new())?,
            "network" => f.network = field(map, at, &Obj::<NetworkDoc>::new())?,
            "token_permissions" => f.token_permissions = field(map, at, &Obj::<TokenPermissionsDoc>::new())?,
            _ => f.unknown_route = field(map, at, &UNKNOWN_ROUTE)?,
        }
        Ok(())
    }
    fn finish(f: PolicyChangeDoc) -> Result<PolicyChangeDoc, String> {
        Ok(f)
    }
}

#[derive(Default)]
pub(crate) struct ResourcesFields {
    workspaces: Option<Vec<Workspace>>,
    projects: Option<Vec<ProjectDoc>>,
    repositories: Option<Vec<RepositoryDoc>>,
}

impl Object for ResourcesDoc {
    const KEYS: &'static [&'static str] = &["workspaces", "projects", "repositories"];
    type Fields = ResourcesFields;
    fn field<'de, A: MapAccess<'de>>(
        f: &mut ResourcesFields,
        key: &str,
        at: At<'_>,
        map: &mut A,
    ) -> Result<(), A::Error> {
        match key {
            "workspaces" => f.workspaces = field(map, at, &List(Obj::<Workspace>::new()))?,
            "projects" => f.projects = field(map, at, &List(Obj::<ProjectDoc>::new()))?,
            _ => f.repositories = field(map, at, &List(Obj::<RepositoryDoc>::new()))?,
        }
        Ok(())
    }
    fn finish(f: ResourcesFields) -> Result<ResourcesDoc, String> {
        Ok(ResourcesDoc {
            workspaces: f.workspaces.unwrap_or_default().into_iter().map(|w| w.0).collect(),
            projects: f.projects.unwrap_or_default(),
            repositories: f.repositories.unwrap_or_default(),
        })
    }
}

/// `{"slug": ...}`, a workspace of the resources.
pub(crate) struct Workspace(String);

impl Object for Workspace {
    const KEYS: &'static [&'static str] = &["slug"];
    type Fields = Option<String>;
    fn field<'de, A: MapAccess<'de>>(f: &mut Option<String>, _: &str, at: At<'_>, map: &mut A) -> Result<(), A::Error> {
        *f = field(map, at, &TEXT)?;
        Ok(())
    }
    fn finish(f: Option<String>) -> Result<Workspace, String> {
        need(f, "slug").map(Workspace)
    }
}

#[derive(Default)]
pub(crate) struct ProjectFields {
    workspace: Option<String>,
    key: Option<String>,
}

impl Object for ProjectDoc {
    const KEYS: &'static [&'static str] = &["workspace", "key"];
    type Fields = ProjectFields;
    fn field<'de, A: MapAccess<'de>>(
        f: &mut ProjectFields,
        key: &str,
        at: At<'_>,
        map: &mut A,
    ) -> Result<(), A::Error> {
        match key {
            "workspace" => f.workspace = field(map, at, &TEXT)?,
            _ => f.key = field(map, at, &TEXT)?,
        }
        Ok(())
    }
    fn finish(f: ProjectFields) -> Result<ProjectDoc, String> {
        Ok(ProjectDoc { workspace: need(f.workspace, "workspace")?, key: need(f.key, "key")? })
    }
}

#[derive(Default)]
pub(crate) struct RepositoryFields {
    workspace: Option<String>,
    slug: Option<String>,
    project: Option<String>,
    public: Option<bool>,
}

impl Object for RepositoryDoc {
    const KEYS: &'static [&'static str] = &["workspace", "slug", "project", "public"];
    type Fields = RepositoryFields;
    fn field<'de, A: MapAccess<'de>>(
        f: &mut RepositoryFields,
        key: &str,
        at: At<'_>,
        map: &mut A,
    ) -> Result<(), A::Error> {
        match key {
            "workspace" => f.workspace = field(map, at, &TEXT)?,
            "slug" => f.slug = field(map, at, &TEXT)?,
            "project" => f.project = field(map, at, &TEXT)?,
            _ => f.public = field(map, at, &Bool)?,
        }
        Ok(())
    }
    fn finish(f: RepositoryFields) -> Result<RepositoryDoc, String> {
        Ok(RepositoryDoc {
            workspace: need(f.workspace, "workspace")?,
            slug: need(f.slug, "slug")?,
            project: f.project,
            public: f.public.unwrap_or(false),
        })
    }
}

#[derive(Default)]
pub(crate) struct PrincipalFields {
    id: Option<String>,
    kind: Option<PrincipalKind>,
    email: Option<String>,
    username: Option<String>,
    status: Option<PrincipalStatus>,
    groups: Option<Vec<String>>,
    two_factor: Option<bool>,
    permissions: Option<Vec<PermissionDoc>>,
}

impl Object for PrincipalDoc {
    const KEYS: &'static [&'static str] =
        &["id", "kind", "email", "username", "status", "groups", "two_factor", "permissions", "name"];
    type Fields = PrincipalFields;
    fn field<'de, A: MapAccess<'de>>(
        f: &mut PrincipalFields,
        key: &str,
        at: At<'_>,
        map: &mut A,
    ) -> Result<(), A::Error> {
        match key {
            "id" => f.id = field(map, at, &TEXT)?,
            "kind" => f.kind = field(map, at, &PRINCIPAL_KIND)?,
            "email" => f.email = field(map, at, &TEXT)?,
            "username" => f.username = field(map, at, &TEXT)?,
            "status" => f.status = field(map, at, &STATUS)?,
            "groups" => f.groups = field(map, at, &List(TEXT))?,
            "two_factor" => f.two_factor = field(map, at, &Bool)?,
            "permissions" => f.permissions = field(map, at, &List(Obj::<PermissionDoc>::new()))?,
            // A display name: checked like any string, not kept.
            _ => drop(field(map, at, &TEXT)?),
        }
        Ok(())
    }
    fn finish(f: PrincipalFields) -> Result<PrincipalDoc, String> {
        Ok(PrincipalDoc {
            id: need(f.id, "id")?,
            kind: need(f.kind, "kind")?,
            email: f.email,
            username: f.username,
            status: f.status.unwrap_or(PrincipalStatus::Active),
            groups: f.groups.unwrap_or_default(),
            two_factor: f.two_factor.unwrap_or(false),
            permissions: f.permissions.unwrap_or_default(),
        })
    }
}

#[derive(Default)]
pub(crate) struct PermissionFields {
    resource: Option<String>,
    level: Option<Level>,
}

impl Object for PermissionDoc {
    const KEYS: &'static [&'static str] = &["resource", "level"];
    type Fields = PermissionFields;
    fn field<'de, A: MapAccess<'de>>(
        f: &mut PermissionFields,
        key: &str,
        at: At<'_>,
        map: &mut A,
    ) -> Result<(), A::Error> {
        match key {
            "resource" => f.resource = field(map, at, &TEXT)?,
            _ => f.level = field(map, at, &LEVEL)?,
        }
        Ok(())
    }
    fn finish(f: PermissionFields) -> Result<PermissionDoc, String> {
        Ok(PermissionDoc { resource: need(f.resource, "resource")?, level: need(f.level, "level")? })
    }
}

#[derive(Default)]
pub(crate) struct TokenFields {
    id: Option<String>,
    kind: Option<TokenKind>,
    label: Option<String>,
    secret_sha256: Option<[u8; 32]>,
    secret: Option<String>,
    principal: Option<String>,
    resource: Option<String>,
    scopes: Option<Vec<String>>,
    access: Option<AccessMode>,
    created_at: Option<Timestamp>,
    expires_at: Option<Timestamp>,
    created_by: Option<String>,
    allowed_ips: Option<Vec<IpNet>>,
    revoked_at: Option<Timestamp>,
}

/// The one definition of what each field of a token object takes.
impl Object for TokenDoc {
    const KEYS: &'static [&'static str] = &[
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
    ];
    type Fields = TokenFields;
    fn field<'de, A: MapAccess<'de>>(f: &mut TokenFields, key: &str, at: At<'_>, map: &mut A) -> Result<(), A::Error> {
        match key {
            "id" => f.id = field(map, at, &TEXT)?,
            "kind" => f.kind = field(map, at, &Kind)?,
            "label" => f.label = field(map, at, &TEXT)?,
            "secret_sha256" => f.secret_sha256 = field(map, at, &Digest)?,
            "secret" => f.secret = field(map, at, &Secret)?,
            "principal" => f.principal = field(map, at, &TEXT)?,
            "resource" => f.resource = field(map, at, &TEXT)?,
            "scopes" => f.scopes = field(map, at, &List(TEXT))?,
            "access" => f.access = field(map, at, &ACCESS)?,
            "created_at" => f.created_at = field(map, at, &Time)?,
            "expires_at" => f.expires_at = field(map, at, &Time)?,
            "created_by" => f.created_by = field(map, at, &TEXT)?,
            "allowed_ips" => f.allowed_ips = field(map, at, &List(Cidr))?,
            _ => f.revoked_at = field(map, at, &Time)?,
        }
        Ok(())
    }
    fn finish(f: TokenFields) -> Result<TokenDoc, String> {
        Ok(TokenDoc {
            id: need(f.id, "id")?,
            kind: need(f.kind, "kind")?,
            label: f.label,
            secret_sha256: f.secret_sha256,
            secret: f.secret,
            principal: f.principal,
            resource: f.resource,
            scopes: f.scopes.unwrap_or_default(),
            access: f.access,
            created_at: f.created_at,
            expires_at: f.expires_at,
            created_by: f.created_by,
            allowed_ips: f.allowed_ips.unwrap_or_default(),
            revoked_at: f.revoked_at,
        })
    }
}

#[derive(Default)]
pub(crate) struct PolicyFields {
    name: Option<String>,
    members: Option<MembersDoc>,
    api_tokens: Option<Switch>,
    app_passwords: Option<Switch>,
    password_auth: Option<PasswordAuth>,
    max_token_lifetime_days: Option<i64>,
    ip_allowlist: Option<Vec<IpNet>>,
    revoke_issued_before: Option<Timestamp>,
    require_2fa: Option<bool>,
}

impl Object for PolicyDoc {
    const KEYS: &'static [&'static str] = &[
        "name",
        "members",
        "api_tokens",
        "app_passwords",
        "password_auth",
        "max_token_lifetime_days",
        "ip_allowlist",
        "revoke_issued_before",
        "require_2fa",
    ];
    type Fields = PolicyFields;
    fn field<'de, A: MapAccess<'de>>(f: &mut PolicyFields, key: &str, at: At<'_>, map: &mut A) -> Result<(), A::Error> {
        match key {
            "name" => f.name = field(map, at, &TEXT)?,
            "members" => f.members = field(map, at, &Obj::<MembersDoc>::new())?,
            "api_tokens" => f.api_tokens = field(map, at, &SWITCH)?,
            "app_passwords" => f.app_passwords = field(map, at, &SWITCH)?,
            "password_auth" => f.password_auth = field(map, at, &PASSWORD)?,
            "max_token_lifetime_days" => f.max_token_lifetime_days = field(map, at, &Int)?,
            "ip_allowlist" => f.ip_allowlist = field(map, at, &List(Cidr))?,
            "revoke_issued_before" => f.revoke_issued_before = field(map, at, &Time)?,
            _ => f.require_2fa = field(map, at, &Bool)?,
        }
        Ok(())
    }
    fn finish(f: PolicyFields) -> Result<PolicyDoc, String> {
        Ok(PolicyDoc {
            name: f.name,
            members: f.members,
            api_tokens: f.api_tokens,
            app_passwords: f.app_passwords,
            password_auth: f.password_auth,
            max_token_lifetime_days: f.max_token_lifetime_days,
            ip_allowlist: f.ip_allowlist.unwrap_or_default(),
            revoke_issued_before: f.revoke_issued_before,
            require_2fa: f.require_2fa.unwrap_or(false),
        })
    }
}

impl Object for MembersDoc {
    const KEYS: &'static [&'static str] = &["groups", "principals"];
    type Fields = MembersDoc;
    fn field<'de, A: MapAccess<'de>>(f: &mut MembersDoc, key: &str, at: At<'_>, map: &mut A) -> Result<(), A::Error> {
        let list = field(map, at, &List(TEXT))?.unwrap_or_default();
        match key {
            "groups" => f.groups = list,
            _ => f.principals = list,
        }
        Ok(())
    }
    fn finish(f: MembersDoc) -> Result<MembersDoc, String> {
        Ok(f)
    }
}

#[derive(Default)]
pub(crate) struct NetworkFields {
    trusted_proxies: Option<Vec<IpNet>>,
    client_ip_header: Option<String>,
}

impl Object for NetworkDoc {
    const KEYS: &'static [&'static str] = &["trusted_proxies", "client_ip_header"];
    type Fields = NetworkFields;
    fn field<'de, A: MapAccess<'de>>(
        f: &mut NetworkFields,
        key: &str,
        at: At<'_>,
        map: &mut A,
    ) -> Result<(), A::Error> {
        match key {
            "trusted_proxies" => f.trusted_proxies = field(map, at, &List(Cidr))?,
            _ => f.client_ip_header = field(map, at, &TEXT)?,
        }
        Ok(())
    }
    fn finish(f: NetworkFields) -> Result<NetworkDoc, String> {
        Ok(NetworkDoc { trusted_proxies: f.trusted_proxies.unwrap_or_default(), client_ip_header: f.client_ip_header })
    }
}

#[derive(Default)]
pub(crate) struct TokenPermissionsFields {
    use_tokens: Option<Vec<String>>,
    create: Option<Vec<String>>,
    create_write: Option<Vec<String>>,
    create_for_others: Option<Vec<String>>,
}

impl Object for TokenPermissionsDoc {
    const KEYS: &'static [&'static str] = &["use", "create", "create_write", "create_for_others"];
    type Fields = TokenPermissionsFields;
    fn field<'de, A: MapAccess<'de>>(
        f: &mut TokenPermissionsFields,
        key: &str,
        at: At<'_>,
        map: &mut A,
    ) -> Result<(), A::Error> {
        let list = field(map, at, &List(TEXT))?;
        match key {
            "use" => f.use_tokens = list,
            "create" => f.create = list,
            "create_write" => f.create_write = list,
            _ => f.create_for_others = list,
        }
        Ok(())
    }
    fn finish(f: TokenPermissionsFields) -> Result<TokenPermissionsDoc, String> {
        let everyone = || vec!["*".to_owned()];
        Ok(TokenPermissionsDoc {
            use_tokens: f.use_tokens.unwrap_or_else(everyone),
            create: f.create.unwrap_or_else(everyone),
            create_write: f.create_write.unwrap_or_else(everyone),
            create_for_others: f.create_for_others.unwrap_or_default(),
        })
    }
}

/// What `Text` reads, named for a token id (`revoke`, `remove`).
pub(crate) const TOKEN_ID: Text = Text("a token id");
