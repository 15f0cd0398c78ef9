//! Tokens: their kinds, their records in a snapshot, and their string format.

mod format;

pub use format::{
    checksum_ok, digest_hex, digest_token, has_token_prefix, mint_from_seed, mint_token, parse_prefix, BitbucketToken,
    MintedToken, TokenFormat,
};

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use crate::directory::ResourceKey;
use crate::time::Timestamp;

/// The eight kinds of credential (the contract's `kind` strings).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
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
