//! The resources directory (workspace > project > repository) and the principals on it.

use std::collections::HashMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// A permission level; higher levels include the lower ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Read,
    Write,
    Admin,
}

impl Level {
    /// The level as the state spells it.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Read => "read",
            Level::Write => "write",
            Level::Admin => "admin",
        }
    }
}

/// A resource named by its path: what a route addresses or a token is bound to.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ResourceKey {
    Workspace { workspace: String },
    Project { workspace: String, key: String },
    Repository { workspace: String, slug: String },
}

impl ResourceKey {
    /// The workspace this resource lies in.
    #[must_use]
    pub fn workspace(&self) -> &str {
        match self {
            ResourceKey::Workspace { workspace }
            | ResourceKey::Project { workspace, .. }
            | ResourceKey::Repository { workspace, .. } => workspace,
        }
    }

    /// The short form used in the state (`acme`, `acme/PROJ`, `acme/web`).
    #[must_use]
    pub fn short(&self) -> String {
        match self {
            ResourceKey::Workspace { workspace } => workspace.clone(),
            ResourceKey::Project { workspace, key } => format!("{workspace}/{key}"),
            ResourceKey::Repository { workspace, slug } => format!("{workspace}/{slug}"),
        }
    }
}

impl fmt::Display for ResourceKey {
    /// The explicit form: `workspace:acme`, `project:acme/PROJ`, `repository:acme/web`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResourceKey::Workspace { workspace } => write!(f, "workspace:{workspace}"),
            ResourceKey::Project { workspace, key } => write!(f, "project:{workspace}/{key}"),
            ResourceKey::Repository { workspace, slug } => write!(f, "repository:{workspace}/{slug}"),
        }
    }
}

/// A repository as the directory knows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Repository {
    pub workspace: String,
    pub slug: String,
    pub project: Option<String>,
    pub public: bool,
}

/// A project as the directory knows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Project {
    pub workspace: String,
    pub key: String,
}

/// Users and service accounts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalKind {
    User,
    ServiceAccount,
}

/// Whether a principal may still act.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalStatus {
    Active,
    Deactivated,
    Deleted,
}

impl PrincipalStatus {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalStatus::Active => "active",
            PrincipalStatus::Deactivated => "deactivated",
            PrincipalStatus::Deleted => "deleted",
        }
    }
}

/// A user or service account with its permissions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    pub id: String,
    pub kind: PrincipalKind,
    pub email: Option<String>,
    /// The Bitbucket username, which Basic auth accepts like the email (exact, case-sensitive).
    pub username: Option<String>,
    pub status: PrincipalStatus,
    pub groups: Vec<String>,
    pub two_factor: bool,
    pub permissions: Vec<(ResourceKey, Level)>,
}

impl Principal {
    /// Whether the principal may act at all.
    #[must_use]
    pub fn is_active(&self) -> bool {
        self.status == PrincipalStatus::Active
    }

    /// Whether `name` (a Basic username) names this principal: its id, its email (any case) or
    /// its Bitbucket username.
    #[must_use]
    pub fn answers_to(&self, name: &str) -> bool {
        self.id == name
            || self.email.as_deref().is_some_and(|e| e.eq_ignore_ascii_case(name))
            || self.username.as_deref() == Some(name)
    }

    /// Whether the principal is in a group of `groups` (`*` is everyone).
    #[must_use]
    pub fn in_any(&self, groups: &[String]) -> bool {
        groups.iter().any(|g| g == "*" || self.groups.contains(g))
    }
}

/// The resource tree and the principals, with indexes for lookups.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Directory {
    pub workspaces: Vec<String>,
    pub projects: Vec<Project>,
    pub repositories: Vec<Repository>,
    pub principals: Vec<Principal>,
    #[serde(skip)]
    index: Index,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Index {
    repositories: HashMap<(String, String), usize>,
    principals: HashMap<String, usize>,
}

fn fold(s: &str) -> String {
    s.to_ascii_lowercase()
}

impl Directory {
    /// Builds the lookup indexes; call once after filling or decoding the lists.
    #[must_use]
    pub fn indexed(mut self) -> Directory {
        self.index.repositories =
            self.repositories.iter().enumerate().map(|(i, r)| ((fold(&r.workspace), fold(&r.slug)), i)).collect();
        self.index.principals = self.principals.iter().enumerate().map(|(i, p)| (p.id.clone(), i)).collect();
        self
    }

    /// A principal by id.
    #[must_use]
    pub fn principal(&self, id: &str) -> Option<&Principal> {
        self.index.principals.get(id).and_then(|&i| self.principals.get(i))
    }

    /// A repository by workspace and slug (case-insensitive, as Bitbucket slugs are).
    #[must_use]
    pub fn repository(&self, workspace: &str, slug: &str) -> Option<&Repository> {
        self.index.repositories.get(&(fold(workspace), fold(slug))).and_then(|&i| self.repositories.get(i))
    }

    /// Whether the directory lists this resource.
    #[must_use]
    pub fn contains_key(&self, key: &ResourceKey) -> bool {
        match key {
            ResourceKey::Workspace { workspace } => self.workspaces.iter().any(|w| w.eq_ignore_ascii_case(workspace)),
            ResourceKey::Project { workspace, key } => self
                .projects
                .iter()
                .any(|p| p.workspace.eq_ignore_ascii_case(workspace) && p.key.eq_ignore_ascii_case(key)),
            ResourceKey::Repository { workspace, slug } => self.repository(workspace, slug).is_some(),
        }
    }

    /// Whether `inner` lies inside `outer` (a resource lies inside itself).
    /// A repository the directory does not know lies in no project: fail closed.
    #[must_use]
    pub fn contains(&self, outer: &ResourceKey, inner: &ResourceKey) -> bool {
        if !outer.workspace().eq_ignore_ascii_case(inner.workspace()) {
            return false;
        }
        match (outer, inner) {
            (ResourceKey::Workspace { .. }, _) => true,
            (ResourceKey::Project { key: a, .. }, ResourceKey::Project { key: b, .. }) => a.eq_ignore_ascii_case(b),
            (ResourceKey::Project { key, .. }, ResourceKey::Repository { workspace, slug }) => self
                .repository(workspace, slug)
                .and_then(|r| r.project.as_deref())
                .is_some_and(|p| p.eq_ignore_ascii_case(key)),
            (ResourceKey::Repository { slug: a, .. }, ResourceKey::Repository { slug: b, .. }) => {
                a.eq_ignore_ascii_case(b)
            }
            _ => false,
        }
    }

    /// The principal's own level on `resource`: the highest grant on it or above it.
    #[must_use]
    pub fn level_on(&self, principal: &Principal, resource: &ResourceKey) -> Option<Level> {
        principal.permissions.iter().filter(|(on, _)| self.contains(on, resource)).map(|&(_, level)| level).max()
    }

    /// Whether `resource` is a public repository.
    #[must_use]
    pub fn is_public(&self, resource: &ResourceKey) -> bool {
        match resource {
            ResourceKey::Repository { workspace, slug } => self.repository(workspace, slug).is_some_and(|r| r.public),
            _ => false,
        }
    }
}
