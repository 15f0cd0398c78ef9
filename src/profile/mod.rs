//! Profiles: the scope catalogue and route table of one API, as data.
//!
//! A [`ProfileDoc`] is plain data (what an OpenAPI import returns and a bundle carries);
//! [`Profile::compile`] checks it and builds the router and the implication closure once.
//!
//! - `template`: path templates and request paths, segment by segment;
//! - `routes`: the radix router over the templates (`matchit`), method and Git `service=`;
//! - `openapi`: the OpenAPI 3 importer;
//! - `bitbucket`: the built-in Bitbucket Cloud profile and its compact committed form.

mod bitbucket;
mod compact;
mod openapi;
mod routes;
mod template;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Serialize};

use crate::directory::{Level, ResourceKey};
use crate::error::Error;

pub use openapi::profile_from_openapi;

use routes::RouteTable;

// The request step reads paths with the same rules the router matches them by.
pub(crate) use template::decode_path;

// NOTE: no `skip_serializing_if` on these types: bundles carry a `ProfileDoc` in postcard, which
// is not self-describing and cannot read a struct with fields left out.

/// One scope of the catalogue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeDef {
    pub name: String,
    /// Scopes this one implies directly.
    #[serde(default)]
    pub implies: Vec<String>,
    /// The lowest permission a user needs on the addressed resource to use this scope there.
    #[serde(default)]
    pub level: Option<Level>,
}

/// One route: method and path template (full path, base path included) -> what it needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteDef {
    pub method: String,
    pub path: String,
    /// Any one of these sets; all scopes of the set. `[[]]`: any authenticated token.
    pub any_of: Vec<Vec<String>>,
    /// A query parameter that selects this route (`service=git-receive-pack`).
    #[serde(default)]
    pub query: Option<String>,
    /// The permission level the operation needs (read < write < admin): what a principal must
    /// hold on the addressed resource, and what an access mode must cover. Absent in profiles
    /// written before levels existed: [`Profile::compile`] fills it from the method class
    /// ([`method_level`]).
    #[serde(default)]
    pub level: Option<Level>,
    /// The origin checks that the caller owns the addressed object (a snippet, the user's own
    /// keys), which the profile cannot know: a user-bound token needs read membership of the
    /// addressed workspace here, and the origin decides the rest.
    #[serde(default)]
    pub owner_check: bool,
}

/// A profile as data: what `profileFromOpenApi` returns and a bundle carries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileDoc {
    pub name: String,
    pub base_path: String,
    pub scopes: Vec<ScopeDef>,
    pub routes: Vec<RouteDef>,
}

impl ProfileDoc {
    /// Imports an OpenAPI 3 document (JSON); see [`profile_from_openapi`].
    ///
    /// # Errors
    /// A document that is not OpenAPI 3 JSON or that the importer cannot use, with its JSON path.
    pub fn from_openapi(spec_json: &str, name: &str) -> Result<ProfileDoc, Error> {
        profile_from_openapi(spec_json, name)
    }
}

/// What the matched route needs, and the resource the request addresses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteMatch {
    pub template: String,
    pub any_of: Vec<Vec<String>>,
    pub resource: Option<ResourceKey>,
    /// The route's own level (see [`RouteDef::level`]).
    pub level: Level,
    /// The least level among the route's scope sets (a set of scopes without a level: read):
    /// what a principal needs at least, whichever set a token uses.
    pub scope_floor: Level,
    /// Whether the method reads ([`method_level`]): GET, HEAD, OPTIONS, or a Git fetch.
    pub method_reads: bool,
    /// See [`RouteDef::owner_check`].
    pub owner_check: bool,
}

impl RouteMatch {
    /// What a request on this route needs whatever its scopes: the route's level and the least
    /// level of its scope sets. Anonymous reads and access modes are judged by it.
    #[must_use]
    pub fn floor(&self) -> Level {
        self.level.max(self.scope_floor)
    }
}

/// A compiled profile: the doc plus its router and implication closure. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Profile {
    inner: Arc<Compiled>,
}

#[derive(Debug)]
struct Compiled {
    doc: ProfileDoc,
    table: RouteTable,
    /// Scope name -> index into `doc.scopes`.
    index: BTreeMap<String, usize>,
    /// Per scope: what it implies directly, as indices.
    implies: Vec<Vec<usize>>,
}

/// Most scopes in a catalogue, routes in a table, and sets or scopes per requirement.
pub(crate) const MAX_SCOPES: usize = 10_000;
pub(crate) const MAX_ROUTES: usize = 10_000;
pub(crate) const MAX_SETS: usize = 64;
pub(crate) const MAX_SET_LEN: usize = 64;
const MAX_SCOPE_NAME_LEN: usize = 256;
const MAX_IMPLIES: usize = 64;

pub(crate) fn profile_error(path: impl Into<String>, message: impl Into<String>) -> Error {
    Error::Profile { path: path.into(), message: message.into() }
}

/// A scope name the catalogue can hold: short, printable, no spaces (OAuth scope-token syntax).
pub(crate) fn check_scope_name(path: &str, name: &str) -> Result<(), Error> {
    if name.is_empty()
        || name.len() > MAX_SCOPE_NAME_LEN
        || !name.bytes().all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\')
    {
        return Err(profile_error(path, format!("`{name}` is not a scope name")));
    }
    Ok(())
}

impl Profile {
    /// Compiles a profile document.
    ///
    /// # Errors
    /// A route that conflicts with another, or a scope that names an unknown scope.
    pub fn compile(mut doc: ProfileDoc) -> Result<Profile, Error> {
        if doc.scopes.len() > MAX_SCOPES {
            return Err(profile_error("scopes", format!("more than {MAX_SCOPES} scopes")));
        }
        if doc.routes.len() > MAX_ROUTES {
            return Err(profile_error("routes", format!("more than {MAX_ROUTES} routes")));
        }
        let mut index = BTreeMap::new();
        for (i, s) in doc.scopes.iter().enumerate() {
            check_scope_name(&format!("scopes[{i}].name"), &s.name)?;
            if index.insert(s.name.clone(), i).is_some() {
                return Err(profile_error(format!("scopes[{i}].name"), format!("scope `{}` is listed twice", s.name)));
            }
        }
        let mut direct: Vec<Vec<usize>> = Vec::with_capacity(doc.scopes.len());
        for (i, s) in doc.scopes.iter().enumerate() {
            if s.implies.len() > MAX_IMPLIES {
                return Err(profile_error(format!("scopes[{i}].implies"), format!("more than {MAX_IMPLIES} scopes")));
            }
            let mut targets = Vec::with_capacity(s.implies.len());
            for (j, implied) in s.implies.iter().enumerate() {
                let t = index.get(implied).copied().ok_or_else(|| {
                    profile_error(format!("scopes[{i}].implies[{j}]"), format!("unknown scope `{implied}`"))
                })?;
                targets.push(t);
            }
            direct.push(targets);
        }
        for (i, r) in doc.routes.iter().enumerate() {
            if r.any_of.len() > MAX_SETS {
                return Err(profile_error(format!("routes[{i}].any_of"), format!("more than {MAX_SETS} scope sets")));
            }
            for (j, set) in r.any_of.iter().enumerate() {
                if set.len() > MAX_SET_LEN {
                    return Err(profile_error(
                        format!("routes[{i}].any_of[{j}]"),
                        format!("more than {MAX_SET_LEN} scopes"),
                    ));
                }
                for (k, scope) in set.iter().enumerate() {
                    if !index.contains_key(scope) {
                        return Err(profile_error(
                            format!("routes[{i}].any_of[{j}][{k}]"),
                            format!("scope `{scope}` is not in the catalogue"),
                        ));
                    }
                }
            }
        }
        for r in &mut doc.routes {
            if r.level.is_none() {
                r.level = Some(method_level(&r.method, &r.path));
            }
        }
        let table = RouteTable::build(&doc.routes)?;
        Ok(Profile { inner: Arc::new(Compiled { doc, table, index, implies: direct }) })
    }

    /// A built-in profile by name (`bitbucket-cloud`).
    #[must_use]
    pub fn builtin(name: &str) -> Option<Profile> {
        static BITBUCKET_CLOUD: OnceLock<Option<Profile>> = OnceLock::new();
        match name {
            bitbucket::NAME => BITBUCKET_CLOUD
                .get_or_init(|| compact::parse(bitbucket::SOURCE).ok().and_then(|doc| Profile::compile(doc).ok()))
                .clone(),
            _ => None,
        }
    }

    /// The committed source of a built-in profile, regenerated from its OpenAPI spec: what the
    /// golden test compares with the embedded file and rewrites when blessed.
    ///
    /// # Errors
    /// An unknown built-in name, or a spec the importer cannot use.
    pub fn builtin_source_from_openapi(name: &str, spec_json: &str) -> Result<String, Error> {
        match name {
            bitbucket::NAME => compact::render(&bitbucket::from_openapi(spec_json)?),
            _ => Err(profile_error("", format!("no built-in profile named `{name}`"))),
        }
    }

    #[must_use]
    pub fn doc(&self) -> &ProfileDoc {
        &self.inner.doc
    }

    #[must_use]
    pub fn name(&self) -> &str {
        &self.inner.doc.name
    }

    /// The route for `method` and `path` (no query string; `query` is the raw query, if any).
    ///
    /// `None` when no route matches, and also for paths that could be read two ways (an encoded
    /// `/`, a `.` or `..` segment, an empty segment, bad percent-encoding): those fail closed.
    #[must_use]
    pub fn match_route(&self, method: &str, path: &str, query: Option<&str>) -> Option<RouteMatch> {
        let hit = self.inner.table.find(method, path, query)?;
        let def = self.inner.doc.routes.get(hit.route)?;
        let scope_floor =
            def.any_of.iter().map(|set| self.level_for(set).unwrap_or(Level::Read)).min().unwrap_or(Level::Read);
        Some(RouteMatch {
            template: def.path.clone(),
            any_of: def.any_of.clone(),
            resource: hit.resource,
            level: def.level.unwrap_or_else(|| method_level(&def.method, &def.path)),
            scope_floor,
            method_reads: method_level(&def.method, &def.path) == Level::Read,
            owner_check: def.owner_check,
        })
    }

    /// `scopes` closed under the catalogue's implications, sorted and deduplicated. Scopes the
    /// catalogue does not know are kept as they are.
    #[must_use]
    pub fn closure(&self, scopes: &[String]) -> Vec<String> {
        let inner = &*self.inner;
        // A walk over the implication graph from the given scopes: work bounded by what they
        // reach, and cycles are harmless.
        let mut reached: BTreeSet<usize> = BTreeSet::new();
        let mut stack: Vec<usize> = Vec::new();
        let mut out: Vec<String> = Vec::with_capacity(scopes.len());
        for s in scopes {
            match inner.index.get(s) {
                Some(&i) => stack.push(i),
                None => out.push(s.clone()),
            }
        }
        while let Some(i) = stack.pop() {
            if reached.insert(i) {
                if let Some(next) = inner.implies.get(i) {
                    stack.extend(next.iter().copied().filter(|j| !reached.contains(j)));
                }
            }
        }
        out.extend(reached.iter().filter_map(|&i| inner.doc.scopes.get(i)).map(|d| d.name.clone()));
        out.sort();
        out.dedup();
        out
    }

    /// Whether the catalogue has this scope.
    #[must_use]
    pub fn has_scope(&self, name: &str) -> bool {
        self.inner.index.contains_key(name)
    }

    /// What granting this scope amounts to: the catalogue's level for it or the level its
    /// name's verb says, whichever is higher (`snippet:write` writes though a user needs no
    /// permission on any resource for it). What token creation and audits judge scopes by.
    #[must_use]
    pub fn grant_level(&self, scope: &str) -> Option<Level> {
        let inner = &*self.inner;
        let listed = inner.index.get(scope).and_then(|&i| inner.doc.scopes.get(i)).and_then(|d| d.level);
        listed.max(verb_level(scope))
    }

    /// The highest minimum level among `scopes`: what a user needs to use all of them.
    #[must_use]
    pub fn level_for(&self, scopes: &[String]) -> Option<Level> {
        let inner = &*self.inner;
        scopes
            .iter()
            .filter_map(|s| inner.index.get(s).and_then(|&i| inner.doc.scopes.get(i)).and_then(|d| d.level))
            .max()
    }
}

/// GET, HEAD and OPTIONS read; everything else writes.
#[must_use]
pub fn is_read_method(method: &str) -> bool {
    ["GET", "HEAD", "OPTIONS"].iter().any(|m| m.eq_ignore_ascii_case(method))
}

/// The method class of a route: GET, HEAD and OPTIONS read, and so does Git smart HTTP's
/// `git-upload-pack` (a POST that fetches); every other method writes. The level of a route
/// whose spec says nothing finer.
#[must_use]
pub fn method_level(method: &str, path: &str) -> Level {
    let git_fetch = method.eq_ignore_ascii_case("POST") && path.rsplit('/').next() == Some(GIT_UPLOAD_PACK);
    if is_read_method(method) || git_fetch {
        Level::Read
    } else {
        Level::Write
    }
}

const GIT_UPLOAD_PACK: &str = "git-upload-pack";

/// The level a scope's name says by its verbs (`read`, `write`, `admin`, `delete`, in any
/// `:`-separated part: `repository:write`, `delete:snippet:bitbucket`), the highest one; `None`
/// for a name without one (`repository`, `pipeline:variable`).
#[must_use]
pub fn verb_level(scope: &str) -> Option<Level> {
    scope.split(':').filter_map(verb).max()
}

/// The verb of a granular-style scope, `verb:resource[:...]` (`write:repository:bitbucket`,
/// `read:pets`): what the importer derives a route's level from.
pub(crate) fn granular_verb(scope: &str) -> Option<Level> {
    let (head, rest) = scope.split_once(':')?;
    if rest.is_empty() {
        return None;
    }
    verb(head)
}

fn verb(word: &str) -> Option<Level> {
    match word {
        "read" => Some(Level::Read),
        "write" => Some(Level::Write),
        "admin" | "delete" => Some(Level::Admin),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
