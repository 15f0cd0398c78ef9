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
    #[cfg_attr(scopegate_speed, optimize(speed))]
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
        self.as_ref().fmt(f)
    }
}

impl ResourceKey {
    /// The same resource, borrowed.
    #[must_use]
    pub fn as_ref(&self) -> ResourceRef<'_> {
        match self {
            ResourceKey::Workspace { workspace } => ResourceRef::Workspace(workspace),
            ResourceKey::Project { workspace, key } => ResourceRef::Project(workspace, key),
            ResourceKey::Repository { workspace, slug } => ResourceRef::Repository(workspace, slug),
        }
    }
}

/// The kind of a resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ResourceKind {
    Workspace,
    Project,
    Repository,
}

/// A resource named by borrowed text: what a route addresses (read from the request path) or
/// a token is bound to (read from the bundle), without copying either.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResourceRef<'a> {
    Workspace(&'a str),
    /// Workspace and project key.
    Project(&'a str, &'a str),
    /// Workspace and repository slug.
    Repository(&'a str, &'a str),
}

impl<'a> ResourceRef<'a> {
    /// The workspace this resource lies in.
    #[must_use]
    #[cfg_attr(scopegate_speed, optimize(speed))]
    pub fn workspace(&self) -> &'a str {
        match *self {
            ResourceRef::Workspace(w) | ResourceRef::Project(w, _) | ResourceRef::Repository(w, _) => w,
        }
    }

    /// An owned copy.
    #[must_use]
    pub fn to_key(&self) -> ResourceKey {
        match *self {
            ResourceRef::Workspace(w) => ResourceKey::Workspace { workspace: w.to_owned() },
            ResourceRef::Project(w, key) => ResourceKey::Project { workspace: w.to_owned(), key: key.to_owned() },
            ResourceRef::Repository(w, slug) => {
                ResourceKey::Repository { workspace: w.to_owned(), slug: slug.to_owned() }
            }
        }
    }

    /// The short form used in the state (`acme`, `acme/PROJ`, `acme/web`).
    #[must_use]
    pub fn short(&self) -> String {
        match *self {
            ResourceRef::Workspace(w) => w.to_owned(),
            ResourceRef::Project(w, x) | ResourceRef::Repository(w, x) => format!("{w}/{x}"),
        }
    }
}

impl fmt::Display for ResourceRef<'_> {
    /// The explicit form: `workspace:acme`, `project:acme/PROJ`, `repository:acme/web`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResourceRef::Workspace(workspace) => write!(f, "workspace:{workspace}"),
            ResourceRef::Project(workspace, key) => write!(f, "project:{workspace}/{key}"),
            ResourceRef::Repository(workspace, slug) => write!(f, "repository:{workspace}/{slug}"),
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
    #[cfg_attr(scopegate_speed, optimize(speed))]
    pub fn is_active(&self) -> bool {
        self.status == PrincipalStatus::Active
    }

    /// Whether `name` (a Basic username) names this principal: its id, its email (any case) or
    /// its Bitbucket username.
    #[must_use]
    #[cfg_attr(scopegate_speed, optimize(speed))]
    pub fn answers_to(&self, name: &str) -> bool {
        self.id == name
            || self.email.as_deref().is_some_and(|e| e.eq_ignore_ascii_case(name))
            || self.username.as_deref() == Some(name)
    }

    /// Whether the principal is in a group of `groups` (`*` is everyone).
    #[must_use]
    #[cfg_attr(scopegate_speed, optimize(speed))]
    pub fn in_any(&self, groups: &[String]) -> bool {
        groups.iter().any(|g| g == "*" || self.groups.contains(g))
    }
}

/// The resource tree and the principals, with indexes for lookups. The indexes are built when
/// a directory is made ([`Directory::new`], or read back from a bundle), so there is no
/// directory whose lookups miss what its lists hold.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "Lists")]
pub struct Directory {
    workspaces: Vec<String>,
    projects: Vec<Project>,
    repositories: Vec<Repository>,
    principals: Vec<Principal>,
    #[serde(skip)]
    index: Index,
}

/// A directory's lists as a bundle's meta section holds them (the fields of [`Directory`], in
/// its order, without the index).
#[derive(Deserialize)]
struct Lists {
    workspaces: Vec<String>,
    projects: Vec<Project>,
    repositories: Vec<Repository>,
    principals: Vec<Principal>,
}

impl From<Lists> for Directory {
    fn from(l: Lists) -> Directory {
        Directory::new(l.workspaces, l.projects, l.repositories, l.principals)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Index {
    /// `(folded hash of workspace and slug, index)`, sorted: repositories are found without
    /// folding the names into new strings.
    repositories: Vec<(u64, u32)>,
    principals: HashMap<String, usize>,
}

impl Index {
    /// The lookup indexes over a directory's lists.
    fn of(repositories: &[Repository], principals: &[Principal]) -> Index {
        let mut by_name: Vec<(u64, u32)> = repositories
            .iter()
            .enumerate()
            .filter_map(|(i, r)| u32::try_from(i).ok().map(|i| (folded_hash(&r.workspace, &r.slug), i)))
            .collect();
        by_name.sort_unstable();
        Index {
            repositories: by_name,
            principals: principals.iter().enumerate().map(|(i, p)| (p.id.clone(), i)).collect(),
        }
    }
}

/// FNV-1a over the ASCII-lower-cased bytes of a repository's workspace and slug: Bitbucket
/// compares them without case.
#[cfg_attr(scopegate_speed, optimize(speed))]
fn folded_hash(workspace: &str, slug: &str) -> u64 {
    let step = |h: u64, b: u8| (h ^ u64::from(b.to_ascii_lowercase())).wrapping_mul(0x0100_0000_01b3);
    let h = workspace.bytes().fold(0xcbf2_9ce4_8422_2325, step);
    slug.bytes().fold(step(h, b'/'), step)
}

impl Directory {
    /// A directory of these resources and principals, indexed for lookups.
    pub(crate) fn new(
        workspaces: Vec<String>,
        projects: Vec<Project>,
        repositories: Vec<Repository>,
        principals: Vec<Principal>,
    ) -> Directory {
        let index = Index::of(&repositories, &principals);
        Directory { workspaces, projects, repositories, principals, index }
    }

    /// The same resources with these principals, indexed for lookups.
    pub(crate) fn with_principals(self, principals: Vec<Principal>) -> Directory {
        Directory::new(self.workspaces, self.projects, self.repositories, principals)
    }

    /// The workspace slugs.
    #[must_use]
    pub fn workspaces(&self) -> &[String] {
        &self.workspaces
    }

    /// The projects.
    pub(crate) fn projects(&self) -> &[Project] {
        &self.projects
    }

    /// The repositories.
    pub(crate) fn repositories(&self) -> &[Repository] {
        &self.repositories
    }

    /// The users and service accounts.
    #[must_use]
    pub fn principals(&self) -> &[Principal] {
        &self.principals
    }

    /// A principal by id.
    #[must_use]
    #[cfg_attr(scopegate_speed, optimize(speed))]
    pub fn principal(&self, id: &str) -> Option<&Principal> {
        self.index.principals.get(id).and_then(|&i| self.principals.get(i))
    }

    /// A repository by workspace and slug (case-insensitive, as Bitbucket slugs are).
    #[must_use]
    #[cfg_attr(scopegate_speed, optimize(speed))]
    pub fn repository(&self, workspace: &str, slug: &str) -> Option<&Repository> {
        let hash = folded_hash(workspace, slug);
        let index = &self.index.repositories;
        let from = index.partition_point(|&(h, _)| h < hash);
        index
            .get(from..)
            .unwrap_or_default()
            .iter()
            .take_while(|&&(h, _)| h == hash)
            .filter_map(|&(_, i)| self.repositories.get(i as usize))
            .find(|r| r.workspace.eq_ignore_ascii_case(workspace) && r.slug.eq_ignore_ascii_case(slug))
    }

    /// Whether the directory lists this resource.
    #[must_use]
    pub fn contains_key(&self, key: &ResourceKey) -> bool {
        self.lists(key.as_ref())
    }

    /// Whether the directory lists this resource.
    pub(crate) fn lists(&self, key: ResourceRef<'_>) -> bool {
        match key {
            ResourceRef::Workspace(workspace) => self.workspaces.iter().any(|w| w.eq_ignore_ascii_case(workspace)),
            ResourceRef::Project(workspace, key) => self
                .projects
                .iter()
                .any(|p| p.workspace.eq_ignore_ascii_case(workspace) && p.key.eq_ignore_ascii_case(key)),
            ResourceRef::Repository(workspace, slug) => self.repository(workspace, slug).is_some(),
        }
    }

    /// Whether `inner` lies inside `outer` (a resource lies inside itself).
    /// A repository the directory does not know lies in no project: fail closed.
    #[must_use]
    pub fn contains(&self, outer: &ResourceKey, inner: &ResourceKey) -> bool {
        self.encloses(outer.as_ref(), inner.as_ref())
    }

    /// [`Directory::contains`] over borrowed names.
    #[cfg_attr(scopegate_speed, optimize(speed))]
    pub(crate) fn encloses(&self, outer: ResourceRef<'_>, inner: ResourceRef<'_>) -> bool {
        if !outer.workspace().eq_ignore_ascii_case(inner.workspace()) {
            return false;
        }
        match (outer, inner) {
            (ResourceRef::Workspace(_), _) => true,
            (ResourceRef::Project(_, a), ResourceRef::Project(_, b)) => a.eq_ignore_ascii_case(b),
            (ResourceRef::Project(_, key), ResourceRef::Repository(workspace, slug)) => self
                .repository(workspace, slug)
                .and_then(|r| r.project.as_deref())
                .is_some_and(|p| p.eq_ignore_ascii_case(key)),
            (ResourceRef::Repository(_, a), ResourceRef::Repository(_, b)) => a.eq_ignore_ascii_case(b),
            _ => false,
        }
    }

    /// The principal's own level on `resource`: the highest grant on it or above it.
    #[must_use]
    pub fn level_on(&self, principal: &Principal, resource: &ResourceKey) -> Option<Level> {
        self.level_at(principal, resource.as_ref())
    }

    /// [`Directory::level_on`] over borrowed names.
    #[cfg_attr(scopegate_speed, optimize(speed))]
    pub(crate) fn level_at(&self, principal: &Principal, resource: ResourceRef<'_>) -> Option<Level> {
        principal
            .permissions
            .iter()
            .filter(|(on, _)| self.encloses(on.as_ref(), resource))
            .map(|&(_, level)| level)
            .max()
    }

    /// Whether `resource` is a public repository.
    #[must_use]
    pub fn is_public(&self, resource: &ResourceKey) -> bool {
        self.public(resource.as_ref())
    }

    /// [`Directory::is_public`] over borrowed names.
    #[cfg_attr(scopegate_speed, optimize(speed))]
    pub(crate) fn public(&self, resource: ResourceRef<'_>) -> bool {
        match resource {
            ResourceRef::Repository(workspace, slug) => self.repository(workspace, slug).is_some_and(|r| r.public),
            _ => false,
        }
    }
}
