//! Compiling the state JSON (DESIGN.md §3): read by [`crate::read`] (JSON paths in every
//! error), then references (resources, principals, scopes) resolved against each other. Nothing
//! is half-built: the result is a complete `CompiledState` or an error.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::read::{
    self, NetworkDoc, PolicyChangeDoc, PolicyDoc, PrincipalDoc, ProfileSource, StateDoc, TokenDoc, TokenPermissionsDoc,
};

use crate::directory::{Directory, Principal, PrincipalKind, Project, Repository, ResourceKey};
use crate::error::Error;
use crate::policy::{ClientIpHeader, Members, Network, Policies, Policy, TokenPermissions, MAX_LIFETIME_DAYS};
use crate::profile::Profile;
use crate::redact::{quoted, redact_quotes};
use crate::snapshot::{MemoryTokens, Meta, Snapshot};
use crate::token::{digest_token, parse_prefix, Binding, TokenFormat, TokenKind, TokenRecord};

/// The built-in profile a state gets when it names none.
pub(crate) const DEFAULT_PROFILE: &str = "bitbucket-cloud";

/// A state, checked and resolved: the input to a bundle build or an unsigned snapshot.
#[derive(Clone, Debug)]
pub struct CompiledState {
    pub(crate) meta: Meta,
    pub(crate) profile: Profile,
    /// Sorted by digest, digests unique.
    pub(crate) tokens: Vec<TokenRecord>,
}

impl CompiledState {
    /// Reads and checks a state document.
    ///
    /// # Errors
    /// `Error::State` naming the JSON path and what was expected.
    pub fn from_json(json: &str) -> Result<CompiledState, Error> {
        compile(read::state(json)?)
    }

    /// The directory, policies and settings.
    #[must_use]
    pub fn meta(&self) -> &Meta {
        &self.meta
    }

    /// The API's scopes and routes.
    #[must_use]
    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// The token records, in digest order.
    #[must_use]
    pub fn tokens(&self) -> &[TokenRecord] {
        &self.tokens
    }

    /// An unsigned snapshot of this state.
    #[must_use]
    pub fn into_snapshot(self) -> Snapshot {
        Snapshot::new(self.meta, self.profile, None, Arc::new(MemoryTokens::new(self.tokens)))
    }
}

fn compile(mut doc: StateDoc) -> Result<CompiledState, Error> {
    let profile = resolve_profile(doc.profile.take())?;
    let directory = compile_directory(&doc)?;
    let policies = compile_policies(doc.policies, doc.default_policy)?;
    let network = compile_network(doc.network)?;
    let token_permissions = compile_token_permissions(doc.token_permissions);
    let mut tokens = Vec::with_capacity(doc.tokens.len());
    let mut ids = HashSet::new();
    let mut digests: HashMap<[u8; 32], usize> = HashMap::with_capacity(doc.tokens.len());
    let mut resources = ResourceCache::default();
    for (i, t) in doc.tokens.into_iter().enumerate() {
        let record = compile_token(Place::Listed("tokens", i), t, &directory, &profile, &mut resources)?;
        if !ids.insert(record.id.clone()) {
            return Err(Error::state(format!("tokens[{i}].id"), format!("duplicate token id {}", quoted(&record.id))));
        }
        if let Some(first) = digests.insert(record.digest, i) {
            return Err(Error::state(
                format!("tokens[{i}]"),
                format!("same secret digest as tokens[{first}]: every token needs its own secret"),
            ));
        }
        tokens.push(record);
    }
    // NOTE: ordered by bucketing the digests, then moved: a comparison sort of a million
    // records ran in V8's baseline tier for most of a bundle build (src/token/order.rs).
    let digests: Vec<(u128, u128)> = tokens.iter().map(|t| crate::token::split_digest(&t.digest)).collect();
    let mut slots: Vec<Option<TokenRecord>> = tokens.into_iter().map(Some).collect();
    let tokens: Vec<TokenRecord> = crate::token::digest_order(&digests)
        .into_iter()
        .filter_map(|i| slots.get_mut(i as usize).and_then(Option::take))
        .collect();
    Ok(CompiledState {
        meta: Meta {
            issued_at: doc.issued_at,
            directory,
            policies,
            network,
            token_permissions,
            unknown_route: doc.unknown_route.unwrap_or_default(),
        },
        profile,
        tokens,
    })
}

fn compile_network(doc: Option<NetworkDoc>) -> Result<Network, Error> {
    let Some(n) = doc else {
        return Ok(Network::default());
    };
    Ok(Network {
        trusted_proxies: n.trusted_proxies,
        client_ip_header: match n.client_ip_header {
            None => ClientIpHeader::default(),
            Some(h) => ClientIpHeader::parse(&h).ok_or_else(|| {
                Error::state(
                    "network.client_ip_header",
                    format!("expected one of \"x-forwarded-for\", \"forwarded\", \"cf-connecting-ip\", \"x-real-ip\", got {}", quoted(&h)),
                )
            })?,
        },
    })
}

fn compile_token_permissions(doc: Option<TokenPermissionsDoc>) -> TokenPermissions {
    doc.map_or_else(TokenPermissions::default, |t| TokenPermissions {
        use_tokens: t.use_tokens,
        create: t.create,
        create_write: t.create_write,
        create_for_others: t.create_for_others,
    })
}

/// Reads a proposed policy change (`{"policies": [...], "default_policy": {...}, "network":
/// {...}, "token_permissions": {...}}`, every key optional) and applies it to `current`.
///
/// # Errors
/// `Error::State` with the JSON path of the first problem.
pub(crate) fn apply_policy_change(json: &str, current: &Meta) -> Result<Meta, Error> {
    apply_policy_doc(read::policy_change(json)?, current)
}

/// `current` with a policy change applied (also the policy keys of a changes document).
pub(crate) fn apply_policy_doc(doc: PolicyChangeDoc, current: &Meta) -> Result<Meta, Error> {
    let mut meta = current.clone();
    // NOTE: each key replaces what it names and nothing else: `default_policy` alone keeps the
    // listed policies, `policies` alone keeps the default policy.
    if doc.policies.is_some() || doc.default_policy.is_some() {
        let listed_given = doc.policies.is_some();
        let default_given = doc.default_policy.is_some();
        let compiled = compile_policies(doc.policies.unwrap_or_default(), doc.default_policy)?;
        if listed_given {
            meta.policies.listed = compiled.listed;
        }
        if default_given {
            meta.policies.default = compiled.default;
        }
    }
    if doc.network.is_some() {
        meta.network = compile_network(doc.network)?;
    }
    if doc.token_permissions.is_some() {
        meta.token_permissions = compile_token_permissions(doc.token_permissions);
    }
    if let Some(u) = doc.unknown_route {
        meta.unknown_route = u;
    }
    Ok(meta)
}

fn resolve_profile(source: Option<ProfileSource>) -> Result<Profile, Error> {
    match source {
        None => builtin(DEFAULT_PROFILE),
        Some(ProfileSource::Named(name)) => builtin(&name),
        Some(ProfileSource::Inline(doc)) => Profile::compile(doc).map_err(|e| match e {
            // The compiler's paths are inside the profile; its messages may quote input.
            Error::Profile { path, message } => Error::state(
                if path.is_empty() { "profile".to_owned() } else { format!("profile.{path}") },
                redact_quotes(&message),
            ),
            other => Error::state("profile", redact_quotes(&other.to_string())),
        }),
    }
}

fn builtin(name: &str) -> Result<Profile, Error> {
    Profile::builtin(name).ok_or_else(|| {
        Error::state(
            "profile",
            format!("unknown built-in profile {} (expected \"{DEFAULT_PROFILE}\" or a profile object)", quoted(name)),
        )
    })
}

fn compile_directory(doc: &StateDoc) -> Result<Directory, Error> {
    let res = &doc.resources;
    let (mut workspace_list, mut project_list, mut repository_list) = (Vec::new(), Vec::new(), Vec::new());
    // NOTE: what is listed so far, case-folded, so each check is one lookup instead of a scan
    // (3,000 repositories were 4.5 million comparisons).
    let fold = |s: &str| s.to_ascii_lowercase();
    let mut workspaces: HashSet<String> = HashSet::new();
    let mut projects: HashSet<(String, String)> = HashSet::new();
    let mut repositories: HashSet<(String, String)> = HashSet::new();
    for (i, w) in res.workspaces.iter().enumerate() {
        if w.is_empty() || w.contains('/') {
            return Err(Error::state(
                format!("resources.workspaces[{i}].slug"),
                format!("expected a workspace slug, got {}", quoted(w)),
            ));
        }
        if !workspaces.insert(fold(w)) {
            return Err(Error::state(
                format!("resources.workspaces[{i}].slug"),
                format!("duplicate workspace {}", quoted(w)),
            ));
        }
        workspace_list.push(w.clone());
    }
    for (i, p) in res.projects.iter().enumerate() {
        if !workspaces.contains(&fold(&p.workspace)) {
            return Err(Error::state(
                format!("resources.projects[{i}].workspace"),
                format!("unknown workspace {}", quoted(&p.workspace)),
            ));
        }
        if p.key.is_empty() || p.key.contains('/') || !projects.insert((fold(&p.workspace), fold(&p.key))) {
            return Err(Error::state(
                format!("resources.projects[{i}].key"),
                format!("expected a new project key, got {}", quoted(&p.key)),
            ));
        }
        project_list.push(Project { workspace: p.workspace.clone(), key: p.key.clone() });
    }
    for (i, r) in res.repositories.iter().enumerate() {
        if !workspaces.contains(&fold(&r.workspace)) {
            return Err(Error::state(
                format!("resources.repositories[{i}].workspace"),
                format!("unknown workspace {}", quoted(&r.workspace)),
            ));
        }
        if let Some(project) = &r.project {
            if !projects.contains(&(fold(&r.workspace), fold(project))) {
                return Err(Error::state(
                    format!("resources.repositories[{i}].project"),
                    format!("unknown project {} in workspace {}", quoted(project), quoted(&r.workspace)),
                ));
            }
        }
        if r.slug.is_empty() || r.slug.contains('/') || !repositories.insert((fold(&r.workspace), fold(&r.slug))) {
            return Err(Error::state(
                format!("resources.repositories[{i}].slug"),
                format!("expected a new repository slug, got {}", quoted(&r.slug)),
            ));
        }
        repository_list.push(Repository {
            workspace: r.workspace.clone(),
            slug: r.slug.clone(),
            project: r.project.clone(),
            public: r.public,
        });
    }
    let dir = Directory::new(workspace_list, project_list, repository_list, Vec::new());
    let mut principals = Vec::with_capacity(doc.principals.len());
    let mut ids = HashSet::new();
    for (i, p) in doc.principals.iter().enumerate() {
        if p.id.is_empty() || !ids.insert(p.id.as_str()) {
            return Err(Error::state(
                format!("principals[{i}].id"),
                format!("expected a new principal id, got {}", quoted(&p.id)),
            ));
        }
        let mut permissions = Vec::with_capacity(p.permissions.len());
        for (j, perm) in p.permissions.iter().enumerate() {
            let key = resolve_resource(&dir, &perm.resource)
                .map_err(|m| Error::state(format!("principals[{i}].permissions[{j}].resource"), m))?;
            permissions.push((key, perm.level));
        }
        principals.push(Principal {
            id: p.id.clone(),
            kind: p.kind,
            email: p.email.clone(),
            username: p.username.clone(),
            status: p.status,
            groups: p.groups.clone(),
            two_factor: p.two_factor,
            permissions,
        });
    }
    check_usernames(&doc.principals)?;
    Ok(dir.with_principals(principals))
}

/// Basic auth picks the principal by its username, so a username must name one principal:
/// unique (in any case), not another principal's id or email, and usable as a Basic username.
fn check_usernames(principals: &[PrincipalDoc]) -> Result<(), Error> {
    let mut taken: HashMap<String, usize> = HashMap::new();
    for (i, p) in principals.iter().enumerate() {
        taken.entry(p.id.to_ascii_lowercase()).or_insert(i);
        if let Some(email) = &p.email {
            taken.entry(email.to_ascii_lowercase()).or_insert(i);
        }
    }
    let mut usernames: HashMap<String, usize> = HashMap::new();
    for (i, p) in principals.iter().enumerate() {
        let Some(name) = &p.username else { continue };
        let path = format!("principals[{i}].username");
        if name.is_empty()
            || name == crate::pipeline::TOKEN_AUTH_USER
            || name.chars().any(|c| c == ':' || c.is_whitespace() || c.is_control())
        {
            return Err(Error::state(
                path,
                format!(
                    "expected a Bitbucket username (no `:`, no white space, not `x-token-auth`), got {}",
                    quoted(name)
                ),
            ));
        }
        let folded = name.to_ascii_lowercase();
        if let Some(first) = usernames.insert(folded.clone(), i) {
            return Err(Error::state(path, format!("username {} is also principals[{first}]'s", quoted(name))));
        }
        if let Some(&other) = taken.get(&folded).filter(|&&other| other != i) {
            return Err(Error::state(
                path,
                format!(
                    "username {} is principals[{other}]'s id or email: a Basic username must name one principal",
                    quoted(name)
                ),
            ));
        }
    }
    Ok(())
}

/// Resolves `ws`, `ws/KEY`, `ws/slug` or an explicit `kind:path` against the directory.
///
/// # Errors
/// A message (without path) when the reference is unknown, ambiguous or malformed.
pub(crate) fn resolve_resource(dir: &Directory, text: &str) -> Result<ResourceKey, String> {
    let explicit = |kind: &str| text.strip_prefix(kind).and_then(|t| t.strip_prefix(':'));
    let key = if let Some(ws) = explicit("workspace") {
        ResourceKey::Workspace { workspace: ws.to_string() }
    } else if let Some(rest) = explicit("project") {
        let (ws, key) =
            rest.split_once('/').ok_or_else(|| format!("expected `project:workspace/KEY`, got {}", quoted(text)))?;
        ResourceKey::Project { workspace: ws.into(), key: key.into() }
    } else if let Some(rest) = explicit("repository") {
        let (ws, slug) = rest
            .split_once('/')
            .ok_or_else(|| format!("expected `repository:workspace/slug`, got {}", quoted(text)))?;
        ResourceKey::Repository { workspace: ws.into(), slug: slug.into() }
    } else {
        match text.split_once('/') {
            None => ResourceKey::Workspace { workspace: text.into() },
            Some((ws, name)) => {
                let project = ResourceKey::Project { workspace: ws.into(), key: name.into() };
                let repo = ResourceKey::Repository { workspace: ws.into(), slug: name.into() };
                match (dir.contains_key(&project), dir.contains_key(&repo)) {
                    (true, true) => {
                        return Err(format!("ambiguous resource {}: both a project and a repository; write `project:{text}` or `repository:{text}`", quoted(text)))
                    }
                    (true, false) => project,
                    _ => repo,
                }
            }
        }
    };
    // Canonical spelling: the directory's own.
    canonical(dir, &key).ok_or_else(|| format!("unknown resource {}", quoted(text)))
}

fn canonical(dir: &Directory, key: &ResourceKey) -> Option<ResourceKey> {
    match key {
        ResourceKey::Workspace { workspace } => dir
            .workspaces()
            .iter()
            .find(|w| w.eq_ignore_ascii_case(workspace))
            .map(|w| ResourceKey::Workspace { workspace: w.clone() }),
        ResourceKey::Project { workspace, key } => dir
            .projects()
            .iter()
            .find(|p| p.workspace.eq_ignore_ascii_case(workspace) && p.key.eq_ignore_ascii_case(key))
            .map(|p| ResourceKey::Project { workspace: p.workspace.clone(), key: p.key.clone() }),
        ResourceKey::Repository { workspace, slug } => dir
            .repository(workspace, slug)
            .map(|r| ResourceKey::Repository { workspace: r.workspace.clone(), slug: r.slug.clone() }),
    }
}

fn compile_policies(listed: Vec<PolicyDoc>, default: Option<PolicyDoc>) -> Result<Policies, Error> {
    let mut out = Policies::default();
    if let Some(d) = default {
        if d.name.is_some() || d.members.is_some() {
            return Err(Error::state(
                "default_policy",
                "the default policy has no `name` or `members`: it applies to everyone no other policy names",
            ));
        }
        out.default = compile_policy("default_policy", "default".into(), Members::default(), d)?;
    }
    let mut names = HashSet::new();
    for (i, p) in listed.into_iter().enumerate() {
        let path = format!("policies[{i}]");
        let name = p.name.clone().ok_or_else(|| Error::state(format!("{path}.name"), "missing field `name`"))?;
        if name == "default" || !names.insert(name.clone()) {
            return Err(Error::state(
                format!("{path}.name"),
                format!("expected a unique policy name other than \"default\", got {}", quoted(&name)),
            ));
        }
        let members = p
            .members
            .as_ref()
            .map_or_else(Members::default, |m| Members { groups: m.groups.clone(), principals: m.principals.clone() });
        out.listed.push(compile_policy(&path, name, members, p)?);
    }
    Ok(out)
}

fn compile_policy(path: &str, name: String, members: Members, p: PolicyDoc) -> Result<Policy, Error> {
    let days = p.max_token_lifetime_days.unwrap_or(i64::from(MAX_LIFETIME_DAYS));
    let max_token_lifetime_days =
        u16::try_from(days).ok().filter(|d| (1..=MAX_LIFETIME_DAYS).contains(d)).ok_or_else(|| {
            Error::state(
                format!("{path}.max_token_lifetime_days"),
                format!("expected a whole number of days from 1 to {MAX_LIFETIME_DAYS}, got {days}"),
            )
        })?;
    Ok(Policy {
        name,
        members,
        api_tokens: p.api_tokens.unwrap_or_default(),
        app_passwords: p.app_passwords.unwrap_or_default(),
        password_auth: p.password_auth.unwrap_or_default(),
        max_token_lifetime_days,
        ip_allowlist: p.ip_allowlist,
        revoke_issued_before: p.revoke_issued_before,
        require_2fa: p.require_2fa,
    })
}

/// Where a token object is: `tokens[3]` of a state, `upsert[0]` of a changes document, or on
/// its own (a line of an NDJSON token list), which makes its error paths relative to it.
#[derive(Clone, Copy)]
pub(crate) enum Place<'a> {
    Listed(&'a str, usize),
    Alone,
}

impl Place<'_> {
    /// The path of the object (`tokens[3]`, empty when alone) or of one of its fields.
    fn path(self, field: Option<&str>) -> String {
        match (self, field) {
            (Place::Listed(list, i), None) => format!("{list}[{i}]"),
            (Place::Listed(list, i), Some(field)) => format!("{list}[{i}].{field}"),
            (Place::Alone, None) => String::new(),
            (Place::Alone, Some(field)) => field.to_owned(),
        }
    }
}

/// Reads and compiles one token object given as JSON text (a line of an NDJSON token list),
/// with the same reader and checks as an entry of a state's `tokens`. Error paths are relative
/// to the object: `expires_at`, `scopes[1]`, or empty for the object as a whole.
///
/// # Errors
/// `Error::State` naming the field and what was expected.
pub(crate) fn compile_token_text(
    text: &str,
    dir: &Directory,
    profile: &Profile,
    resources: &mut ResourceCache,
) -> Result<TokenRecord, Error> {
    compile_token(Place::Alone, read::token(text)?, dir, profile, resources)
}

/// Token resources already resolved, by their text: a million tokens name a few thousand
/// resources, and resolving one allocates and searches.
#[derive(Default)]
pub(crate) struct ResourceCache(HashMap<String, ResourceKey>);

impl ResourceCache {
    /// Entries kept at most: a bound on memory when every token spells its resource anew.
    const MAX: usize = 1 << 16;

    fn resolve(&mut self, dir: &Directory, text: &str) -> Result<ResourceKey, String> {
        if let Some(key) = self.0.get(text) {
            return Ok(key.clone());
        }
        let key = resolve_resource(dir, text)?;
        if self.0.len() < Self::MAX {
            self.0.insert(text.to_owned(), key.clone());
        }
        Ok(key)
    }
}

pub(crate) fn compile_token(
    place: Place<'_>,
    t: TokenDoc,
    dir: &Directory,
    profile: &Profile,
    resources: &mut ResourceCache,
) -> Result<TokenRecord, Error> {
    let at = |field: &str| place.path(Some(field));
    if t.id.is_empty() {
        return Err(Error::state(at("id"), "expected a non-empty token id"));
    }
    let digest = match (&t.secret_sha256, &t.secret) {
        (Some(d), None) => *d,
        (None, Some(secret)) if !secret.is_empty() => {
            check_secret_format(secret, t.kind).map_err(|m| Error::state(at("secret"), m))?;
            digest_token(secret)
        }
        (Some(_), Some(_)) => return Err(Error::state(place.path(None), "give `secret_sha256` or `secret`, not both")),
        _ => return Err(Error::state(place.path(None), "missing `secret_sha256` (or `secret`, hashed at build time)")),
    };
    let binding = t.kind.binding();
    let principal = match (binding, &t.principal) {
        (Binding::User | Binding::ServiceAccount, None) => {
            return Err(Error::state(at("principal"), format!("a {} needs a `principal`", t.kind.as_str())))
        }
        (Binding::User | Binding::ServiceAccount, Some(id)) => {
            let p = dir
                .principal(id)
                .ok_or_else(|| Error::state(at("principal"), format!("unknown principal {}", quoted(id))))?;
            let want = if binding == Binding::User { PrincipalKind::User } else { PrincipalKind::ServiceAccount };
            if p.kind != want {
                return Err(Error::state(
                    at("principal"),
                    format!(
                        "a {} belongs to a {}, and {} is not one",
                        t.kind.as_str(),
                        if want == PrincipalKind::User { "user" } else { "service account" },
                        quoted(id)
                    ),
                ));
            }
            Some(id.clone())
        }
        (_, Some(_)) => {
            return Err(Error::state(at("principal"), format!("a {} is not bound to a principal", t.kind.as_str())))
        }
        (_, None) => None,
    };
    let resource = match (&t.resource, t.kind) {
        (None, TokenKind::RepositoryAccessToken | TokenKind::ProjectAccessToken | TokenKind::WorkspaceAccessToken) => {
            return Err(Error::state(at("resource"), format!("a {} needs a `resource`", t.kind.as_str())))
        }
        (None, _) => None,
        (
            Some(_),
            TokenKind::ApiToken
            | TokenKind::AppPassword
            | TokenKind::PersonalAccessToken
            | TokenKind::ServiceAccountToken,
        ) => {
            return Err(Error::state(
                at("resource"),
                format!("a {} is bound to its principal, not a resource", t.kind.as_str()),
            ))
        }
        (Some(text), kind) => {
            let key = resources.resolve(dir, text).map_err(|m| Error::state(at("resource"), m))?;
            let fits = matches!(
                (kind, &key),
                (TokenKind::RepositoryAccessToken, ResourceKey::Repository { .. })
                    | (TokenKind::ProjectAccessToken, ResourceKey::Project { .. })
                    | (TokenKind::WorkspaceAccessToken | TokenKind::OrgApiKey, ResourceKey::Workspace { .. })
            );
            if !fits {
                return Err(Error::state(
                    at("resource"),
                    format!(
                        "a {} is bound to a {}, got {}",
                        kind.as_str(),
                        match kind {
                            TokenKind::RepositoryAccessToken => "repository",
                            TokenKind::ProjectAccessToken => "project",
                            _ => "workspace",
                        },
                        quoted(&key.to_string())
                    ),
                ));
            }
            Some(key)
        }
    };
    for (j, s) in t.scopes.iter().enumerate() {
        if !profile.has_scope(s) {
            return Err(Error::state(
                at(&format!("scopes[{j}]")),
                format!("unknown scope {} in profile {}", quoted(s), quoted(profile.name())),
            ));
        }
    }
    let (created_at, expires_at) = (t.created_at, t.expires_at);
    if let (Some(c), Some(e)) = (created_at, expires_at) {
        if e < c {
            return Err(Error::state(at("expires_at"), format!("expires before it was created ({c})")));
        }
    }
    let mut scopes = t.scopes;
    scopes.sort();
    scopes.dedup();
    Ok(TokenRecord {
        digest,
        id: t.id,
        kind: t.kind,
        label: t.label,
        principal,
        resource,
        scopes,
        access: t.access,
        created_at,
        expires_at,
        revoked_at: t.revoked_at,
        created_by: t.created_by,
        allowed_ips: t.allowed_ips,
    })
}

/// A secret whose prefix says what it is must say the token's kind: a request with it would
/// be refused (`bad_token_checksum`, or `unknown_token` for a kind the prefix does not name).
/// The message never quotes the secret.
fn check_secret_format(secret: &str, kind: TokenKind) -> Result<(), String> {
    match parse_prefix(secret) {
        TokenFormat::BadChecksum => {
            Err("the secret has a scopegate prefix but its checksum fails: it was mistyped or cut short".into())
        }
        TokenFormat::Valid(minted) if minted != kind => {
            Err(format!("the secret's prefix says {}, but the token's kind is {}", minted.as_str(), kind.as_str()))
        }
        TokenFormat::Bitbucket(issued) if !issued.kinds().contains(&kind) => Err(format!(
            "the secret's `{}` prefix says {}, but the token's kind is {}",
            issued.prefix(),
            issued.describe(),
            kind.as_str()
        )),
        _ => Ok(()),
    }
}
