//! Tokens: their kinds, their records in a snapshot, and their string format.

mod format;
mod order;
mod packed;

pub use format::{
    checksum_ok, digest_hex, digest_token, has_token_prefix, mint_from_seed, mint_token, parse_prefix, BitbucketToken,
    MintedToken, TokenFormat,
};
pub(crate) use order::{digest_order, split_digest};
pub(crate) use packed::{
    decode_record, read_record, skip_record, Dict, Packed, PackedNets, PackedScopes, TableLayout, LABEL, REVOKED,
};

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use crate::directory::{ResourceKey, ResourceRef};
use crate::time::Timestamp;

/// The eight kinds of credential (the contract's `kind` strings).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TokenKind {
    RepositoryAccessToken,
    ProjectAccessToken,
    WorkspaceAccessToken,
    ApiToken,
    AppPassword,
    PersonalAccessToken,
    ServiceAccountToken,
    OrgApiKey,
}

/// What a token is bound to, which decides the checks it gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Binding {
    /// Limited to its resource; no user behind it.
    Resource,
    /// Acts as a user: its scopes, narrowed by what the user may do.
    User,
    /// Acts as a service account, like a user.
    ServiceAccount,
    /// An organisation key: its scopes, optionally limited to a resource.
    Organisation,
}

impl TokenKind {
    /// Every kind, in the contract's order.
    pub const ALL: [TokenKind; 8] = [
        TokenKind::RepositoryAccessToken,
        TokenKind::ProjectAccessToken,
        TokenKind::WorkspaceAccessToken,
        TokenKind::ApiToken,
        TokenKind::AppPassword,
        TokenKind::PersonalAccessToken,
        TokenKind::ServiceAccountToken,
        TokenKind::OrgApiKey,
    ];

    /// The kind as the contract spells it.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::RepositoryAccessToken => "repository_access_token",
            TokenKind::ProjectAccessToken => "project_access_token",
            TokenKind::WorkspaceAccessToken => "workspace_access_token",
            TokenKind::ApiToken => "api_token",
            TokenKind::AppPassword => "app_password",
            TokenKind::PersonalAccessToken => "personal_access_token",
            TokenKind::ServiceAccountToken => "service_account_token",
            TokenKind::OrgApiKey => "org_api_key",
        }
    }

    /// Reads a kind string.
    #[must_use]
    pub fn parse(text: &str) -> Option<TokenKind> {
        TokenKind::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// The letter after `sg` in minted tokens of this kind.
    #[must_use]
    pub fn letter(self) -> char {
        match self {
            TokenKind::RepositoryAccessToken => 'r',
            TokenKind::ProjectAccessToken => 'p',
            TokenKind::WorkspaceAccessToken => 'w',
            TokenKind::ApiToken => 'a',
            TokenKind::AppPassword => 'b',
            TokenKind::PersonalAccessToken => 'u',
            TokenKind::ServiceAccountToken => 's',
            TokenKind::OrgApiKey => 'o',
        }
    }

    /// The kind a prefix letter stands for.
    #[must_use]
    pub fn from_letter(letter: char) -> Option<TokenKind> {
        TokenKind::ALL.into_iter().find(|k| k.letter() == letter)
    }

    /// What the kind is bound to.
    #[must_use]
    #[cfg_attr(scopegate_speed, optimize(speed))]
    pub fn binding(self) -> Binding {
        match self {
            TokenKind::RepositoryAccessToken | TokenKind::ProjectAccessToken | TokenKind::WorkspaceAccessToken => {
                Binding::Resource
            }
            TokenKind::ApiToken | TokenKind::AppPassword | TokenKind::PersonalAccessToken => Binding::User,
            TokenKind::ServiceAccountToken => Binding::ServiceAccount,
            TokenKind::OrgApiKey => Binding::Organisation,
        }
    }
}

/// A coarse access mode instead of route scopes, judged by what the route needs (its level and
/// its scopes' least level), never by the method alone; no mode covers admin-level routes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccessMode {
    /// Read-level routes, by a method that reads (GET, HEAD, OPTIONS, a Git fetch).
    ReadOnly,
    /// Read- and write-level routes, by any method.
    ReadWrite,
}

impl AccessMode {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            AccessMode::ReadOnly => "read_only",
            AccessMode::ReadWrite => "read_write",
        }
    }
}

/// One token as a snapshot holds it: everything but the secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenRecord {
    /// SHA-256 of the secret.
    pub digest: [u8; 32],
    pub id: String,
    pub kind: TokenKind,
    pub label: Option<String>,
    /// The principal id of a user-bound or service-account token.
    pub principal: Option<String>,
    /// The resource of a resource-bound token (or an organisation key's workspace).
    pub resource: Option<ResourceKey>,
    /// Scopes as granted, before implication.
    pub scopes: Vec<String>,
    pub access: Option<AccessMode>,
    pub created_at: Option<Timestamp>,
    pub expires_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
    pub created_by: Option<String>,
    /// Empty: any address.
    pub allowed_ips: Vec<IpNet>,
}

/// A token as the pipeline reads it, borrowed: a record held in memory, or one read in place
/// from a bundle's bytes. Nothing is copied to decide a request.
#[derive(Clone, Copy)]
pub struct TokenView<'a>(View<'a>);

#[derive(Clone, Copy)]
#[cfg_attr(
    target_pointer_width = "64",
    expect(
        clippy::large_enum_variant,
        reason = "one view per request, passed by reference; boxing the bundle's would allocate per request"
    )
)]
enum View<'a> {
    Record(&'a TokenRecord),
    Packed(Packed<'a>),
}

impl std::fmt::Debug for TokenView<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenView").field("id", &self.id()).field("kind", &self.kind()).finish_non_exhaustive()
    }
}

impl<'a> TokenView<'a> {
    pub(crate) fn record(record: &'a TokenRecord) -> TokenView<'a> {
        TokenView(View::Record(record))
    }

    pub(crate) fn packed(packed: Packed<'a>) -> TokenView<'a> {
        TokenView(View::Packed(packed))
    }

    /// What the token source calls this record, for callers that cache by it (the JS layer):
    /// `None` for records held in memory.
    #[cfg_attr(scopegate_speed, optimize(speed))]
    pub(crate) fn slot(&self) -> Option<u32> {
        match &self.0 {
            View::Record(_) => None,
            View::Packed(p) => Some(p.slot),
        }
    }

    #[must_use]
    #[cfg_attr(scopegate_speed, optimize(speed))]
    pub fn kind(&self) -> TokenKind {
        match &self.0 {
            View::Record(r) => r.kind,
            View::Packed(p) => p.kind,
        }
    }

    #[must_use]
    #[cfg_attr(scopegate_speed, optimize(speed))]
    pub fn access(&self) -> Option<AccessMode> {
        match &self.0 {
            View::Record(r) => r.access,
            View::Packed(p) => p.access,
        }
    }

    #[must_use]
    #[cfg_attr(scopegate_speed, optimize(speed))]
    pub fn id(&self) -> &'a str {
        match &self.0 {
            View::Record(r) => &r.id,
            View::Packed(p) => p.id,
        }
    }

    #[must_use]
    #[cfg_attr(scopegate_speed, optimize(speed))]
    pub fn label(&self) -> Option<&'a str> {
        match &self.0 {
            View::Record(r) => r.label.as_deref(),
            View::Packed(p) => p.label,
        }
    }

    /// The principal id of a user-bound or service-account token.
    #[must_use]
    #[cfg_attr(scopegate_speed, optimize(speed))]
    pub fn principal(&self) -> Option<&'a str> {
        match &self.0 {
            View::Record(r) => r.principal.as_deref(),
            View::Packed(p) => p.principal,
        }
    }

    #[must_use]
    #[cfg_attr(scopegate_speed, optimize(speed))]
    pub fn resource(&self) -> Option<ResourceRef<'a>> {
        match &self.0 {
            View::Record(r) => r.resource.as_ref().map(ResourceKey::as_ref),
            View::Packed(p) => p.resource,
        }
    }

    #[must_use]
    #[cfg_attr(scopegate_speed, optimize(speed))]
    pub fn created_at(&self) -> Option<Timestamp> {
        match &self.0 {
            View::Record(r) => r.created_at,
            View::Packed(p) => p.created_at,
        }
    }

    #[must_use]
    #[cfg_attr(scopegate_speed, optimize(speed))]
    pub fn expires_at(&self) -> Option<Timestamp> {
        match &self.0 {
            View::Record(r) => r.expires_at,
            View::Packed(p) => p.expires_at,
        }
    }

    #[must_use]
    #[cfg_attr(scopegate_speed, optimize(speed))]
    pub fn revoked_at(&self) -> Option<Timestamp> {
        match &self.0 {
            View::Record(r) => r.revoked_at,
            View::Packed(p) => p.revoked_at,
        }
    }

    /// Scopes as granted, before implication.
    #[must_use]
    #[cfg_attr(scopegate_speed, optimize(speed))]
    pub fn scopes(&self) -> Scopes<'a> {
        Scopes(match &self.0 {
            View::Record(r) => ScopesInner::Names(r.scopes.iter()),
            View::Packed(p) => ScopesInner::Packed(p.scopes()),
        })
    }

    /// Whether the token has no scopes.
    #[must_use]
    #[cfg_attr(scopegate_speed, optimize(speed))]
    pub fn has_no_scopes(&self) -> bool {
        self.scopes().next().is_none()
    }

    /// The token's own allowlist (none: any address).
    #[must_use]
    #[cfg_attr(scopegate_speed, optimize(speed))]
    pub fn allowed_ips(&self) -> Nets<'a> {
        Nets(match &self.0 {
            View::Record(r) => NetsInner::List(r.allowed_ips.iter()),
            View::Packed(p) => NetsInner::Packed(p.allowed_ips()),
        })
    }

    /// The record, decoded into owned values, carrying `digest`.
    #[must_use]
    #[expect(clippy::wrong_self_convention, reason = "a view is large (a bundle's record read in place): borrowed")]
    pub fn to_record(&self, digest: [u8; 32]) -> TokenRecord {
        match &self.0 {
            View::Record(r) => TokenRecord { digest, ..(*r).clone() },
            View::Packed(p) => p.to_record(digest),
        }
    }
}

/// A token's scope names, borrowed.
#[derive(Clone)]
pub struct Scopes<'a>(ScopesInner<'a>);

#[derive(Clone)]
enum ScopesInner<'a> {
    Names(std::slice::Iter<'a, String>),
    Packed(PackedScopes<'a>),
}

impl<'a> Iterator for Scopes<'a> {
    type Item = &'a str;
    #[cfg_attr(scopegate_speed, optimize(speed))]
    fn next(&mut self) -> Option<&'a str> {
        match &mut self.0 {
            ScopesInner::Names(names) => names.next().map(String::as_str),
            ScopesInner::Packed(p) => p.next(),
        }
    }
}

/// A token's allowlist.
#[derive(Clone)]
pub struct Nets<'a>(NetsInner<'a>);

#[derive(Clone)]
enum NetsInner<'a> {
    List(std::slice::Iter<'a, IpNet>),
    Packed(PackedNets<'a>),
}

impl Iterator for Nets<'_> {
    type Item = IpNet;
    #[cfg_attr(scopegate_speed, optimize(speed))]
    fn next(&mut self) -> Option<IpNet> {
        match &mut self.0 {
            NetsInner::List(list) => list.next().copied(),
            NetsInner::Packed(p) => p.next(),
        }
    }
}
