//! Profiles: the scope catalogue and route table of one API, as data.
//!
//! A [`ProfileDoc`] is plain data (what an OpenAPI import returns); [`Profile::compile`]
//! checks it and builds the compiled form once: flat arrays a bundle stores as they are and the
//! engine matches from without allocating (`flat`).
//!
//! - `template`: path templates and request paths, segment by segment;
//! - `routes`: the radix router over the templates (`matchit`) that checks a profile's routes
//!   can be ordered, method and Git `service=`;
//! - `flat`: the compiled form: the route trie, requirements, scopes;
//! - `openapi`: the OpenAPI 3 importer;
//! - `bitbucket`: the built-in Bitbucket Cloud profile and its compact committed form.

mod bitbucket;
mod compact;
mod flat;
mod openapi;
mod routes;
mod template;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Serialize};

use crate::directory::{Level, ResourceKey, ResourceKind, ResourceRef};
use crate::error::Error;

pub use openapi::profile_from_openapi;

use routes::{Fits, RouteTable, MAX_METHOD_LEN};

// The request step reads paths with the same rules the router matches them by.
pub(crate) use template::{decode_path, read_path, PathFault, RequestPath};
#[cfg(test)]
pub(crate) use template::{percent_decode, segment_ok, MAX_PATH_LEN, MAX_SEGMENTS};

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
    #[cfg_attr(scopegate_speed, optimize(speed))]
    pub fn floor(&self) -> Level {
        self.level.max(self.scope_floor)
    }
}

/// A matched route, without allocating: its index and where the addressed resource's names
/// lie in the decoded path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Hit {
    pub route: u32,
    pub resource: Option<ResourceSpan>,
}

/// The addressed resource as byte ranges of the decoded path: the workspace, and the project
/// key or repository slug.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ResourceSpan {
    pub kind: ResourceKind,
    pub workspace: (u16, u16),
    pub inner: (u16, u16),
}

impl ResourceSpan {
    /// The resource named in `path` (the decoded path the span was taken from).
    #[cfg_attr(scopegate_speed, optimize(speed))]
    pub(crate) fn of<'p>(&self, path: &'p str) -> Option<ResourceRef<'p>> {
        let part = |(a, b): (u16, u16)| path.get(usize::from(a)..usize::from(b));
        let workspace = part(self.workspace)?;
        Some(match self.kind {
            ResourceKind::Workspace => ResourceRef::Workspace(workspace),
            ResourceKind::Project => ResourceRef::Project(workspace, part(self.inner)?),
            ResourceKind::Repository => ResourceRef::Repository(workspace, part(self.inner)?),
        })
    }
}

/// What one route is, read in place.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RouteView<'p> {
    profile: &'p Compiled,
    route: &'p flat::FRoute,
}

impl<'p> RouteView<'p> {
    #[cfg_attr(scopegate_speed, optimize(speed))]
    pub(crate) fn template(&self) -> &'p str {
        self.profile.flat.str(self.route.path)
    }

    #[cfg_attr(scopegate_speed, optimize(speed))]
    pub(crate) fn level(&self) -> Level {
        flat::level_of(self.route.level).unwrap_or(Level::Admin)
    }

    #[cfg_attr(scopegate_speed, optimize(speed))]
    pub(crate) fn scope_floor(&self) -> Level {
        flat::level_of(self.route.floor).unwrap_or(Level::Admin)
    }

    /// The route's level and the least level of its scope sets.
    #[cfg_attr(scopegate_speed, optimize(speed))]
    pub(crate) fn floor(&self) -> Level {
        self.level().max(self.scope_floor())
    }

    #[cfg_attr(scopegate_speed, optimize(speed))]
    pub(crate) fn method_reads(&self) -> bool {
        self.route.flags & flat::READS != 0
    }

    #[cfg_attr(scopegate_speed, optimize(speed))]
    pub(crate) fn owner_check(&self) -> bool {
        self.route.flags & flat::OWNER_CHECK != 0
    }

    /// The scope sets of the route, as scope indexes.
    #[cfg_attr(scopegate_speed, optimize(speed))]
    pub(crate) fn sets(&self) -> impl Iterator<Item = &'p [u32]> + 'p {
        self.profile.flat.requirement(self.route.requirement)
    }

    /// The route's `any_of` by name.
    pub(crate) fn any_of(&self) -> Vec<Vec<String>> {
        self.sets().map(|set| set.iter().map(|&i| self.profile.scope_name(i).to_owned()).collect()).collect()
    }
}

/// A compiled profile: the flat form, its implication closure and a name index. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Profile {
    inner: Arc<Compiled>,
}

struct Compiled {
    flat: flat::Flat,
    /// The flat form as postcard: what bundles store.
    encoded: Vec<u8>,
    /// `u64` words per scope set.
    words: usize,
    /// Per scope, every scope it implies (itself included), `words` words each.
    rows: Vec<u64>,
    /// Scope names by hash, open addressing: `1 + scope index`, 0 empty.
    names: Vec<u32>,
    /// The document, kept from `compile` or rebuilt from the flat form on first use.
    doc: OnceLock<ProfileDoc>,
}

impl std::fmt::Debug for Compiled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Compiled")
            .field("name", &self.flat.str(self.flat.name))
            .field("routes", &self.flat.routes.len())
            .finish_non_exhaustive()
    }
}

/// Most scopes in a catalogue, routes in a table, and sets or scopes per requirement.
pub(crate) const MAX_SCOPES: usize = 10_000;
pub(crate) const MAX_ROUTES: usize = 10_000;
pub(crate) const MAX_SETS: usize = 64;
pub(crate) const MAX_SET_LEN: usize = 64;
const MAX_SCOPE_NAME_LEN: usize = 256;
const MAX_IMPLIES: usize = 64;
/// `u64` words of a scope set over the largest catalogue.
pub(crate) const MAX_WORDS: usize = MAX_SCOPES.div_ceil(64);
/// Most implication edges followed to close every scope of a catalogue: a bound on the work a
/// crafted profile can cause (real catalogues need a few hundred).
const MAX_CLOSURE_WORK: usize = 20_000_000;

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

/// FNV-1a: scope names are short, and the table is rebuilt at every load.
#[cfg_attr(scopegate_speed, optimize(speed))]
fn name_hash(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// The scopes a token's scopes amount to: bit `i` for catalogue scope `i`.
#[derive(Clone)]
pub(crate) struct ScopeBits {
    words: [u64; MAX_WORDS],
}

impl ScopeBits {
    #[cfg_attr(scopegate_speed, optimize(speed))]
    fn has(&self, i: u32) -> bool {
        self.words.get((i / 64) as usize).is_some_and(|w| w & (1 << (i % 64)) != 0)
    }
}

impl Compiled {
    fn scope_name(&self, i: u32) -> &str {
        self.flat.scopes.get(i as usize).map_or("", |s| self.flat.str(s.name))
    }

    #[cfg_attr(scopegate_speed, optimize(speed))]
    fn scope_index(&self, name: &str) -> Option<u32> {
        let mask = self.names.len().checked_sub(1)?;
        #[expect(clippy::cast_possible_truncation, reason = "masked to the table's length")]
        let mut at = (name_hash(name) as usize) & mask;
        // The table is at most half full: an empty slot ends every probe.
        for _ in 0..self.names.len() {
            match self.names.get(at).copied() {
                None | Some(0) => return None,
                Some(n) if self.scope_name(n - 1) == name => return Some(n - 1),
                Some(_) => at = (at + 1) & mask,
            }
        }
        None
    }

    #[cfg_attr(scopegate_speed, optimize(speed))]
    fn row(&self, i: u32) -> &[u64] {
        let start = (i as usize).saturating_mul(self.words);
        self.rows.get(start..start.saturating_add(self.words)).unwrap_or_default()
    }
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
        let mut requirements: Vec<Vec<Vec<usize>>> = Vec::with_capacity(doc.routes.len());
        for (i, r) in doc.routes.iter().enumerate() {
            if r.any_of.len() > MAX_SETS {
                return Err(profile_error(format!("routes[{i}].any_of"), format!("more than {MAX_SETS} scope sets")));
            }
            let mut sets = Vec::with_capacity(r.any_of.len());
            for (j, set) in r.any_of.iter().enumerate() {
                if set.len() > MAX_SET_LEN {
                    return Err(profile_error(
                        format!("routes[{i}].any_of[{j}]"),
                        format!("more than {MAX_SET_LEN} scopes"),
                    ));
                }
                let mut indexes = Vec::with_capacity(set.len());
                for (k, scope) in set.iter().enumerate() {
                    let Some(&n) = index.get(scope) else {
                        return Err(profile_error(
                            format!("routes[{i}].any_of[{j}][{k}]"),
                            format!("scope `{scope}` is not in the catalogue"),
                        ));
                    };
                    indexes.push(n);
                }
                sets.push(indexes);
            }
            requirements.push(sets);
        }
        for r in &mut doc.routes {
            if r.level.is_none() {
                r.level = Some(method_level(&r.method, &r.path));
            }
        }
        let table = RouteTable::build(&doc.routes)?;
        let flat = build_flat(&doc, &direct, &requirements, &table).map_err(|m| profile_error("", m))?;
        let encoded = postcard::to_allocvec(&flat)
            .map_err(|e| profile_error("", format!("cannot encode the compiled profile: {e}")))?;
        Profile::from_flat(flat, encoded, Some(doc)).map_err(|m| profile_error("", m))
    }

    /// A compiled profile as a bundle stores it ([`Profile::encoded`]): every index checked.
    ///
    /// # Errors
    /// Bytes that are not one compiled profile, or one whose indexes point outside its tables.
    pub(crate) fn load(bytes: &[u8]) -> Result<Profile, String> {
        let (flat, rest): (flat::Flat, &[u8]) =
            postcard::take_from_bytes(bytes).map_err(|e| format!("the profile cannot be read: {e}"))?;
        if !rest.is_empty() {
            return Err("the profile has bytes after its end".into());
        }
        flat.check()?;
        Profile::from_flat(flat, bytes.to_vec(), None)
    }

    fn from_flat(flat: flat::Flat, encoded: Vec<u8>, doc: Option<ProfileDoc>) -> Result<Profile, String> {
        let n = flat.scopes.len();
        let words = n.div_ceil(64).max(1);
        let mut rows = vec![0u64; n.saturating_mul(words)];
        let mut work = 0usize;
        let mut stack: Vec<u32> = Vec::new();
        for (i, row) in rows.chunks_mut(words).enumerate() {
            // A walk over the implication graph from scope i: cycles are harmless.
            stack.clear();
            stack.extend(u32::try_from(i).ok());
            while let Some(j) = stack.pop() {
                let Some(word) = row.get_mut((j / 64) as usize) else { continue };
                if *word & (1 << (j % 64)) != 0 {
                    continue;
                }
                *word |= 1 << (j % 64);
                let next = flat.implied(j as usize);
                work = work.saturating_add(next.len().max(1));
                if work > MAX_CLOSURE_WORK {
                    return Err("the scopes imply each other in too many ways to close".into());
                }
                stack.extend_from_slice(next);
            }
        }
        let mut names = vec![0u32; (n * 2).next_power_of_two().max(2)];
        let mask = names.len() - 1;
        for (i, s) in flat.scopes.iter().enumerate() {
            #[expect(clippy::cast_possible_truncation, reason = "masked to the table's length")]
            let mut at = (name_hash(flat.str(s.name)) as usize) & mask;
            while names.get(at).is_some_and(|&v| v != 0) {
                at = (at + 1) & mask;
            }
            if let (Some(slot), Ok(v)) = (names.get_mut(at), u32::try_from(i + 1)) {
                *slot = v;
            }
        }
        let compiled = Compiled { flat, encoded, words, rows, names, doc: OnceLock::new() };
        if let Some(doc) = doc {
            let _ = compiled.doc.set(doc);
        }
        Ok(Profile { inner: Arc::new(compiled) })
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

    /// The document the profile was compiled from (rebuilt from the compiled form on first use
    /// for a profile read from a bundle).
    #[must_use]
    pub fn doc(&self) -> &ProfileDoc {
        self.inner.doc.get_or_init(|| self.inner.flat.doc())
    }

    #[must_use]
    pub fn name(&self) -> &str {
        self.inner.flat.str(self.inner.flat.name)
    }

    /// How many routes the table has.
    #[must_use]
    pub fn route_count(&self) -> usize {
        self.inner.flat.routes.len()
    }

    /// The compiled form as a bundle stores it.
    pub(crate) fn encoded(&self) -> &[u8] {
        &self.inner.encoded
    }

    /// The route for `method` and `path` (no query string; `query` is the raw query, if any).
    ///
    /// `None` when no route matches, and also for paths that could be read two ways (an encoded
    /// `/`, a `.` or `..` segment, an empty segment, bad percent-encoding): those fail closed.
    #[must_use]
    pub fn match_route(&self, method: &str, path: &str, query: Option<&str>) -> Option<RouteMatch> {
        let request = decode_path(path)?;
        let hit = self.find(method, &request, query)?;
        let route = self.route(hit.route)?;
        let resource = hit.resource.and_then(|r| r.of(&request.joined)).map(|r| r.to_key());
        Some(RouteMatch {
            template: route.template().to_owned(),
            any_of: route.any_of(),
            resource,
            level: route.level(),
            scope_floor: route.scope_floor(),
            method_reads: route.method_reads(),
            owner_check: route.owner_check(),
        })
    }

    /// Route `i`, read in place.
    #[cfg_attr(scopegate_speed, optimize(speed))]
    pub(crate) fn route(&self, i: u32) -> Option<RouteView<'_>> {
        let route = self.inner.flat.route(i as usize)?;
        Some(RouteView { profile: &self.inner, route })
    }

    /// The route for a request path read by [`decode_path`], without allocating.
    #[cfg_attr(scopegate_speed, optimize(speed))]
    pub(crate) fn find(&self, method: &str, request: &RequestPath<'_>, query: Option<&str>) -> Option<Hit> {
        if method.is_empty() || method.len() > MAX_METHOD_LEN || !method.bytes().all(|b| b.is_ascii_alphabetic()) {
            return None;
        }
        let mut bounds = [(0u16, 0u16); template::MAX_SEGMENTS];
        let count = request.bounds(&mut bounds)?;
        let segments = flat::Segments { path: &request.joined, bounds: bounds.get(..count)? };
        let f = &self.inner.flat;
        let end = match f.find_end(f.root, &segments) {
            Some(end) => end,
            None if request.trailing_slash && f.alias_root != flat::NONE => f.find_end(f.alias_root, &segments)?,
            None => return None,
        };
        let end = f.ends.get(end as usize)?;
        let routes =
            f.end_routes.get(end.routes.start as usize..(end.routes.start as usize + end.routes.len as usize))?;
        let route = match self.select(routes, method, query) {
            Selected::Route(i) => i,
            Selected::NoneFits => return None,
            Selected::NoMethod if method.eq_ignore_ascii_case("HEAD") => match self.select(routes, "GET", query) {
                Selected::Route(i) => i,
                _ => return None,
            },
            Selected::NoMethod => return None,
        };
        let r = f.route(route as usize)?;
        for p in f.patterns.get(r.patterns.start as usize..(r.patterns.start as usize + r.patterns.len as usize))? {
            let value = segments_text(&segments, p.position as usize)?;
            let pieces = f.pieces.get(p.pieces.start as usize..(p.pieces.start as usize + p.pieces.len as usize))?;
            if !flat_pattern_matches(f, pieces, value) {
                return None;
            }
        }
        let bound = |slot: u8| -> Option<Option<(u16, u16)>> {
            if slot == flat::NO_SLOT {
                return Some(None);
            }
            let &(a, mut b) = segments.bounds.get(usize::from(slot))?;
            if end.git_slot == slot {
                // The `.git` form of a Git route: the slug without it.
                let value = segments.path.get(usize::from(a)..usize::from(b))?;
                value.strip_suffix(".git")?;
                b = b.checked_sub(4)?;
            }
            Some(Some((a, b)))
        };
        let (workspace, project, repository) = (bound(r.slots[0])?, bound(r.slots[1])?, bound(r.slots[2])?);
        let resource = match (workspace, project, repository) {
            (None, _, _) => None,
            (Some(w), _, Some(inner)) => Some(ResourceSpan { kind: ResourceKind::Repository, workspace: w, inner }),
            (Some(w), Some(inner), None) => Some(ResourceSpan { kind: ResourceKind::Project, workspace: w, inner }),
            (Some(w), None, None) => Some(ResourceSpan { kind: ResourceKind::Workspace, workspace: w, inner: (0, 0) }),
        };
        Some(Hit { route, resource })
    }

    /// The route among `routes` (one path's) for `method`: the one whose query selector the
    /// request carries, else the one without a selector. An ambiguous query (`service` twice,
    /// with different values) or one too long to read selects nothing.
    #[cfg_attr(scopegate_speed, optimize(speed))]
    fn select(&self, routes: &[u32], method: &str, query: Option<&str>) -> Selected {
        let f = &self.inner.flat;
        let mut any = false;
        let mut fallback = None;
        for &i in routes {
            let Some(r) = f.route(i as usize) else { continue };
            let selector = (r.query.start != flat::NONE).then(|| f.str(r.query));
            match RouteTable::selects(f.str(r.method), selector, method, query) {
                Fits::OtherMethod => continue,
                Fits::Fallback => fallback = Some(i),
                Fits::Selected => return Selected::Route(i),
                Fits::Ambiguous => return Selected::NoneFits,
                Fits::NotSelected => {}
            }
            any = true;
        }
        match (any, fallback) {
            (_, Some(i)) => Selected::Route(i),
            (true, None) => Selected::NoneFits,
            (false, None) => Selected::NoMethod,
        }
    }

    /// The scopes `names` amount to under the catalogue's implications (names it does not
    /// know add nothing).
    #[cfg_attr(scopegate_speed, optimize(speed))]
    pub(crate) fn bits<'n>(&self, names: impl Iterator<Item = &'n str>) -> ScopeBits {
        let inner = &*self.inner;
        let mut bits = ScopeBits { words: [0; MAX_WORDS] };
        for name in names {
            if let Some(i) = inner.scope_index(name) {
                for (w, r) in bits.words.iter_mut().zip(inner.row(i)) {
                    *w |= r;
                }
            }
        }
        bits
    }

    /// The first of `route`'s scope sets that `scopes` (a token's, as granted) cover under
    /// the catalogue's implications, as scope indexes. Checks each required scope against the
    /// implication rows of the token's scopes: no closure is built.
    #[cfg_attr(scopegate_speed, optimize(speed))]
    pub(crate) fn satisfied<'p, 'n>(
        &self,
        route: &RouteView<'p>,
        scopes: impl Iterator<Item = &'n str> + Clone,
    ) -> Option<&'p [u32]> {
        let inner = &*self.inner;
        // The token's catalogue scopes, on the stack; a token with more is checked name by name.
        let mut held = [0u32; 32];
        let mut count = 0;
        let mut more = false;
        for i in scopes.clone().filter_map(|name| inner.scope_index(name)) {
            match held.get_mut(count) {
                Some(slot) => {
                    *slot = i;
                    count += 1;
                }
                None => more = true,
            }
        }
        let held = held.get(..count).unwrap_or_default();
        let implies = |t: u32, q: u32| inner.row(t).get((q / 64) as usize).is_some_and(|w| w & (1 << (q % 64)) != 0);
        let granted = |q: u32| {
            held.iter().any(|&t| implies(t, q))
                || (more && scopes.clone().filter_map(|name| inner.scope_index(name)).any(|t| implies(t, q)))
        };
        route.sets().find(|set| set.iter().all(|&q| granted(q)))
    }

    /// The highest catalogue level among scope indexes.
    #[cfg_attr(scopegate_speed, optimize(speed))]
    pub(crate) fn level_of_set(&self, set: &[u32]) -> Option<Level> {
        set.iter().filter_map(|&i| self.inner.flat.scopes.get(i as usize).and_then(|s| flat::level_of(s.level))).max()
    }

    /// The names of scope indexes.
    pub(crate) fn names_of(&self, set: &[u32]) -> Vec<String> {
        set.iter().map(|&i| self.inner.scope_name(i).to_owned()).collect()
    }

    /// `scopes` closed under the catalogue's implications, sorted and deduplicated. Scopes the
    /// catalogue does not know are kept as they are.
    #[must_use]
    pub fn closure(&self, scopes: &[String]) -> Vec<String> {
        self.closure_of(scopes.iter().map(String::as_str))
    }

    /// Like [`Profile::closure`], over borrowed names.
    pub(crate) fn closure_of<'n>(&self, scopes: impl Iterator<Item = &'n str> + Clone) -> Vec<String> {
        let inner = &*self.inner;
        let bits = self.bits(scopes.clone());
        let mut out: Vec<String> = scopes.filter(|s| inner.scope_index(s).is_none()).map(str::to_owned).collect();
        for i in 0..inner.flat.scopes.len() {
            if u32::try_from(i).is_ok_and(|i| bits.has(i)) {
                out.push(inner.scope_name(u32::try_from(i).unwrap_or_default()).to_owned());
            }
        }
        out.sort();
        out.dedup();
        out
    }

    /// Whether the catalogue has this scope.
    #[must_use]
    pub fn has_scope(&self, name: &str) -> bool {
        self.inner.scope_index(name).is_some()
    }

    /// What granting this scope amounts to: the catalogue's level for it or the level its
    /// name's verb says, whichever is higher (`snippet:write` writes though a user needs no
    /// permission on any resource for it). What token creation and audits judge scopes by.
    #[must_use]
    pub fn grant_level(&self, scope: &str) -> Option<Level> {
        let inner = &*self.inner;
        let listed = inner
            .scope_index(scope)
            .and_then(|i| inner.flat.scopes.get(i as usize))
            .and_then(|s| flat::level_of(s.level));
        listed.max(verb_level(scope))
    }

    /// The highest minimum level among `scopes`: what a user needs to use all of them.
    #[must_use]
    pub fn level_for(&self, scopes: &[String]) -> Option<Level> {
        let inner = &*self.inner;
        scopes
            .iter()
            .filter_map(|s| {
                inner
                    .scope_index(s)
                    .and_then(|i| inner.flat.scopes.get(i as usize))
                    .and_then(|d| flat::level_of(d.level))
            })
            .max()
    }
}

/// The text of segment `i`.
#[cfg_attr(scopegate_speed, optimize(speed))]
fn segments_text<'p>(segments: &flat::Segments<'p>, i: usize) -> Option<&'p str> {
    let &(a, b) = segments.bounds.get(i)?;
    segments.path.get(usize::from(a)..usize::from(b))
}

/// [`template::pattern_matches`] over the flat form's pieces.
#[cfg_attr(scopegate_speed, optimize(speed))]
fn flat_pattern_matches(f: &flat::Flat, pieces: &[flat::FPiece], segment: &str) -> bool {
    let mut rest = segment;
    let mut i = 0;
    while let Some(piece) = pieces.get(i) {
        if !piece.param {
            match rest.strip_prefix(f.str(piece.text)) {
                Some(r) => rest = r,
                None => return false,
            }
        } else {
            match pieces.get(i + 1) {
                None => return !rest.is_empty(),
                Some(next) if next.param => return false,
                Some(next) if i + 2 == pieces.len() => {
                    return rest.strip_suffix(f.str(next.text)).is_some_and(|v| !v.is_empty());
                }
                Some(next) => {
                    let Some(first) = rest.chars().next() else { return false };
                    let skip = first.len_utf8();
                    let l = f.str(next.text);
                    let Some(at) = rest.get(skip..).and_then(|r| r.find(l)) else {
                        return false;
                    };
                    rest = rest.get(skip + at + l.len()..).unwrap_or_default();
                    i += 1;
                }
            }
        }
        i += 1;
    }
    rest.is_empty()
}

/// The outcome of picking a route within a path.
enum Selected {
    Route(u32),
    /// The method has routes here, but the query selects none of them.
    NoneFits,
    /// No route for the method (HEAD may then try GET).
    NoMethod,
}

/// Builds the flat form from a checked document, its resolved indexes and its route table.
fn build_flat(
    doc: &ProfileDoc,
    implies: &[Vec<usize>],
    requirements: &[Vec<Vec<usize>>],
    table: &RouteTable,
) -> Result<flat::Flat, String> {
    let mut b = flat::Builder::new(doc)?;
    b.scopes(&doc.scopes, implies)?;
    let mut numbers: HashMap<&Vec<Vec<usize>>, u32> = HashMap::new();
    let level = |set: &[usize]| -> Level {
        set.iter().filter_map(|&i| doc.scopes.get(i).and_then(|s| s.level)).max().unwrap_or(Level::Read)
    };
    for ((def, sets), compiled) in doc.routes.iter().zip(requirements).zip(&table.routes) {
        let requirement = match numbers.get(sets) {
            Some(&n) => n,
            None => {
                let n = b.requirement(sets)?;
                numbers.insert(sets, n);
                n
            }
        };
        let floor = sets.iter().map(|s| level(s)).min().unwrap_or(Level::Read);
        b.route(&flat::RouteInput {
            def,
            requirement,
            level: def.level.unwrap_or_else(|| method_level(&def.method, &def.path)),
            floor,
            reads: method_level(&def.method, &def.path) == Level::Read,
            owner_check: def.owner_check,
            slots: [compiled.slots.workspace, compiled.slots.project, compiled.slots.repository],
            segments: &compiled.segments,
        })?;
    }
    let mut ends = Vec::with_capacity(table.nodes.len());
    for node in &table.nodes {
        let routes =
            node.routes.iter().map(|&r| u32::try_from(r).map_err(|_| "too many routes")).collect::<Result<_, _>>()?;
        ends.push(b.end(&flat::EndInput { routes, git_slot: node.git_slot })?);
    }
    let root = b.trie()?;
    for &n in &table.main {
        if let (Some(node), Some(&end)) = (table.nodes.get(n), ends.get(n)) {
            b.insert(root, &node.key, end)?;
        }
    }
    let alias_root = if table.aliases.is_empty() {
        None
    } else {
        let alias_root = b.trie()?;
        for &n in &table.aliases {
            if let (Some(node), Some(&end)) = (table.nodes.get(n), ends.get(n)) {
                b.insert(alias_root, &node.key, end)?;
            }
        }
        Some(alias_root)
    };
    b.finish(root, alias_root)
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
