//! The route table as profiles are checked: `matchit`'s radix tree over the path templates
//! refuses routes it cannot order, and names them. The table the engine matches with is the
//! flat trie built from the same keys (`flat.rs`); under test, the radix tree also answers
//! requests, so the trie can be checked against it.

use std::borrow::Cow;
use std::collections::BTreeMap;

#[cfg(test)]
use crate::directory::ResourceKey;
use crate::error::Error;

use super::flat::{key_segments, KeySegment};
#[cfg(test)]
use super::template::{decode_path, pattern_matches};
use super::template::{parse_template, percent_decode, router_key, Segment};
use super::{profile_error, RouteDef};

/// Most `&`-separated pairs read from a query string before giving up (no route).
const MAX_QUERY_PAIRS: usize = 256;
/// Longest query string looked at.
const MAX_QUERY_LEN: usize = 16 * 1024;
/// Longest method name.
pub(crate) const MAX_METHOD_LEN: usize = 16;

/// The last segments of a Git smart-HTTP route; the `{repo_slug}` before them may end in `.git`.
const GIT_TAILS: [&[&str]; 3] = [&["info", "refs"], &["git-upload-pack"], &["git-receive-pack"]];

/// Segment positions of the parameters that name the addressed resource.
#[derive(Clone, Debug, Default)]
pub(crate) struct ResourceSlots {
    pub(crate) workspace: Option<usize>,
    pub(crate) project: Option<usize>,
    pub(crate) repository: Option<usize>,
}

#[derive(Clone, Debug)]
pub(crate) struct CompiledRoute {
    method: String,
    query: Option<(String, String)>,
    pub(crate) segments: Vec<Segment>,
    pub(crate) slots: ResourceSlots,
}

/// Routes that share one router key, i.e. one path up to parameter names.
#[derive(Clone, Debug, Default)]
pub(crate) struct PathNode {
    pub(crate) routes: Vec<usize>,
    /// The `{repo_slug}.git` form of Git routes: strip `.git` from this segment.
    pub(crate) git_slot: Option<usize>,
    /// The key, segment by segment, as the trie stores it.
    pub(crate) key: Vec<KeySegment>,
}

/// A matched route: its index in the profile and the resource it addresses.
#[cfg(test)]
pub(crate) struct Hit {
    pub(crate) route: usize,
    pub(crate) resource: Option<ResourceKey>,
}

#[derive(Clone, Debug)]
pub(crate) struct RouteTable {
    #[cfg(test)]
    router: matchit::Router<usize>,
    /// Catch-all routes by their path without the `{path}`, for a request with a trailing slash
    /// that nothing in `router` matches: `/src/{commit}/` lists the root, the catch-all empty.
    #[cfg(test)]
    empty_tails: matchit::Router<usize>,
    pub(crate) nodes: Vec<PathNode>,
    pub(crate) routes: Vec<CompiledRoute>,
    /// Path nodes in the main table, and in the trailing-slash table (those the radix tree
    /// took: an alias it cannot hold is left out rather than refusing the profile).
    pub(crate) main: Vec<usize>,
    pub(crate) aliases: Vec<usize>,
}

impl RouteTable {
    /// Builds the table; a route that overlaps another is an error naming both.
    pub(crate) fn build(defs: &[RouteDef]) -> Result<RouteTable, Error> {
        let mut routes = Vec::with_capacity(defs.len());
        for (i, def) in defs.iter().enumerate() {
            routes.push(compile_route(i, def)?);
        }
        let mut nodes = Nodes::default();
        for (i, route) in routes.iter().enumerate() {
            let node = nodes.at(router_key(&route.segments, None), || key_segments(&route.segments, None));
            check_overlap(i, route, node, defs, &routes)?;
            node.routes.push(i);
            if let Some(slot) = git_slot(&route.segments) {
                let node =
                    nodes.at(router_key(&route.segments, Some(slot)), || key_segments(&route.segments, Some(slot)));
                node.git_slot = Some(slot);
                node.routes.push(i);
            }
        }
        for (i, route) in routes.iter().enumerate() {
            if let Some((Segment::CatchAll(_), head)) = route.segments.split_last() {
                let node = nodes.alias_at(router_key(head, None), || key_segments(head, None));
                if !node.routes.iter().any(|&j| same_selector(&routes, i, j)) {
                    node.routes.push(i);
                }
            }
        }
        let mut router = matchit::Router::new();
        let mut main = Vec::with_capacity(nodes.keys.len());
        for (key, &n) in &nodes.keys {
            if let Err(e) = router.insert(key.clone(), n) {
                return Err(insert_error(&e, n, &nodes, defs));
            }
            main.push(n);
        }
        // A convenience, consulted only after the real table: an alias the radix tree cannot
        // hold is left out rather than refusing the profile.
        let mut empty_tails = matchit::Router::new();
        let mut aliases = Vec::with_capacity(nodes.alias_keys.len());
        for (key, &n) in &nodes.alias_keys {
            if empty_tails.insert(key.clone(), n).is_ok() {
                aliases.push(n);
            }
        }
        #[cfg(not(test))]
        let _ = (router, empty_tails);
        Ok(RouteTable {
            #[cfg(test)]
            router,
            #[cfg(test)]
            empty_tails,
            nodes: nodes.nodes,
            routes,
            main,
            aliases,
        })
    }

    /// Whether route `i` may answer `method` with `query`: `None` when its method differs,
    /// else whether its query selector (if any) is met, or `Err` for an ambiguous query.
    pub(crate) fn selects(method_of_route: &str, selector: Option<&str>, method: &str, query: Option<&str>) -> Fits {
        if !method_of_route.eq_ignore_ascii_case(method) {
            return Fits::OtherMethod;
        }
        let Some((key, value)) = selector.and_then(|q| q.split_once('=')) else {
            return Fits::Fallback;
        };
        match query_value(query, key) {
            Err(()) => Fits::Ambiguous,
            Ok(Some(v)) if *v == *value => Fits::Selected,
            Ok(_) => Fits::NotSelected,
        }
    }

    /// The route for a request, or `None` when no route matches or the path is not one we can
    /// read safely: the radix tree's answer, what the trie must agree with.
    #[cfg(test)]
    pub(crate) fn find(&self, method: &str, path: &str, query: Option<&str>) -> Option<Hit> {
        if method.is_empty() || method.len() > MAX_METHOD_LEN || !method.bytes().all(|b| b.is_ascii_alphabetic()) {
            return None;
        }
        let request = decode_path(path)?;
        let n = match self.router.at(&request.joined) {
            Ok(m) => *m.value,
            Err(_) if request.trailing_slash => *self.empty_tails.at(&request.joined).ok()?.value,
            Err(_) => return None,
        };
        let node = self.nodes.get(n)?;
        let route = match self.select(node, method, query) {
            Selection::Route(i) => i,
            Selection::NoneFits => return None,
            Selection::NoMethod if method.eq_ignore_ascii_case("HEAD") => match self.select(node, "GET", query) {
                Selection::Route(i) => i,
                _ => return None,
            },
            Selection::NoMethod => return None,
        };
        let compiled = self.routes.get(route)?;
        let slots = &compiled.slots;
        let (mut workspace, mut project, mut repository) = (None, None, None);
        for (pos, (template, value)) in compiled.segments.iter().zip(request.segments()).enumerate() {
            if let Segment::Pattern(pieces) = template {
                if !pattern_matches(pieces, value) {
                    return None;
                }
            }
            let value = if node.git_slot == Some(pos) { value.strip_suffix(".git")? } else { value };
            if slots.workspace == Some(pos) {
                workspace = Some(value);
            } else if slots.project == Some(pos) {
                project = Some(value);
            } else if slots.repository == Some(pos) {
                repository = Some(value);
            }
        }
        let resource = match (workspace, project, repository) {
            (None, _, _) => None,
            (Some(w), _, Some(r)) => Some(ResourceKey::Repository { workspace: w.to_owned(), slug: r.to_owned() }),
            (Some(w), Some(p), None) => Some(ResourceKey::Project { workspace: w.to_owned(), key: p.to_owned() }),
            (Some(w), None, None) => Some(ResourceKey::Workspace { workspace: w.to_owned() }),
        };
        Some(Hit { route, resource })
    }

    /// The route of `node` for `method`: the one whose query selector the request carries, else
    /// the one without a selector. An ambiguous query (`service` twice, with different values)
    /// or one too long to read selects nothing.
    #[cfg(test)]
    fn select(&self, node: &PathNode, method: &str, query: Option<&str>) -> Selection {
        let mut any = false;
        let mut fallback = None;
        for &i in &node.routes {
            let Some(route) = self.routes.get(i) else { continue };
            if !route.method.eq_ignore_ascii_case(method) {
                continue;
            }
            any = true;
            match &route.query {
                None => fallback = Some(i),
                Some((key, value)) => match query_value(query, key) {
                    Err(()) => return Selection::NoneFits,
                    Ok(Some(v)) if *v == **value => return Selection::Route(i),
                    Ok(_) => {}
                },
            }
        }
        match (any, fallback) {
            (_, Some(i)) => Selection::Route(i),
            (true, None) => Selection::NoneFits,
            (false, None) => Selection::NoMethod,
        }
    }
}

/// How one route of a path fits a request's method and query.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fits {
    /// Another method.
    OtherMethod,
    /// The method, no query selector: the route unless another's selector is met.
    Fallback,
    /// The method and its query selector.
    Selected,
    /// The method, but the query does not carry the selector.
    NotSelected,
    /// The query names the selector's key twice with different values, or is too long.
    Ambiguous,
}

/// The outcome of picking a route within a path.
#[cfg(test)]
enum Selection {
    Route(usize),
    /// The method has routes here, but the query selects none of them.
    NoneFits,
    /// No route for the method (HEAD may then try GET).
    NoMethod,
}

/// Path nodes by router key.
#[derive(Default)]
struct Nodes {
    keys: BTreeMap<String, usize>,
    alias_keys: BTreeMap<String, usize>,
    nodes: Vec<PathNode>,
}

impl Nodes {
    fn at(&mut self, key: String, segments: impl FnOnce() -> Vec<KeySegment>) -> &mut PathNode {
        Self::node(&mut self.keys, &mut self.nodes, key, segments)
    }

    fn alias_at(&mut self, key: String, segments: impl FnOnce() -> Vec<KeySegment>) -> &mut PathNode {
        Self::node(&mut self.alias_keys, &mut self.nodes, key, segments)
    }

    #[expect(clippy::indexing_slicing, reason = "`n` names a node pushed when its key was first seen")]
    fn node<'a>(
        keys: &mut BTreeMap<String, usize>,
        nodes: &'a mut Vec<PathNode>,
        key: String,
        segments: impl FnOnce() -> Vec<KeySegment>,
    ) -> &'a mut PathNode {
        let next = nodes.len();
        let n = *keys.entry(key).or_insert(next);
        if n == next {
            nodes.push(PathNode { key: segments(), ..PathNode::default() });
        }
        &mut nodes[n]
    }
}

/// Names the routes behind a router insertion failure.
fn insert_error(e: &matchit::InsertError, n: usize, nodes: &Nodes, defs: &[RouteDef]) -> Error {
    let first_route = |n: usize| nodes.nodes.get(n).and_then(|node| node.routes.first()).copied();
    let i = first_route(n).unwrap_or_default();
    let other = match e {
        matchit::InsertError::Conflict { with } => nodes
            .keys
            .get(with)
            .and_then(|&m| first_route(m))
            .and_then(|j| defs.get(j).map(|d| format!(" (routes[{j}] `{} {}`)", d.method, d.path)))
            .unwrap_or_default(),
        _ => String::new(),
    };
    profile_error(
        format!("routes[{i}].path"),
        format!(
            "`{}` overlaps another route{other} in a way the router cannot order",
            defs.get(i).map(|d| d.path.as_str()).unwrap_or_default()
        ),
    )
}

fn same_selector(routes: &[CompiledRoute], a: usize, b: usize) -> bool {
    match (routes.get(a), routes.get(b)) {
        (Some(x), Some(y)) => x.method == y.method && x.query == y.query,
        _ => false,
    }
}

/// Two routes on one router key with the same method and selector would make the table
/// ambiguous.
fn check_overlap(
    i: usize,
    route: &CompiledRoute,
    node: &PathNode,
    defs: &[RouteDef],
    routes: &[CompiledRoute],
) -> Result<(), Error> {
    for &j in &node.routes {
        let Some(other) = routes.get(j) else { continue };
        if other.method == route.method && other.query == route.query {
            let (a, b) = (defs.get(i), defs.get(j));
            return Err(profile_error(
                format!("routes[{i}]"),
                format!(
                    "`{} {}` conflicts with routes[{j}] `{} {}`",
                    a.map(|d| d.method.as_str()).unwrap_or_default(),
                    a.map(|d| d.path.as_str()).unwrap_or_default(),
                    b.map(|d| d.method.as_str()).unwrap_or_default(),
                    b.map(|d| d.path.as_str()).unwrap_or_default(),
                ),
            ));
        }
    }
    Ok(())
}

fn compile_route(i: usize, def: &RouteDef) -> Result<CompiledRoute, Error> {
    if def.method.is_empty()
        || def.method.len() > MAX_METHOD_LEN
        || !def.method.bytes().all(|b| b.is_ascii_alphabetic())
    {
        return Err(profile_error(
            format!("routes[{i}].method"),
            format!("expected an HTTP method, got `{}`", def.method),
        ));
    }
    let segments = parse_template(&def.path).map_err(|m| profile_error(format!("routes[{i}].path"), m))?;
    let query = match &def.query {
        None => None,
        Some(q) => match q.split_once('=') {
            Some((k, v)) if !k.is_empty() && !q.contains('&') => Some((k.to_owned(), v.to_owned())),
            _ => {
                return Err(profile_error(
                    format!("routes[{i}].query"),
                    format!("expected one `name=value` pair, got `{q}`"),
                ))
            }
        },
    };
    let mut slots = ResourceSlots::default();
    let mut previous: Option<&Segment> = None;
    for (pos, s) in segments.iter().enumerate() {
        if let Segment::Param(name) = s {
            let teams = matches!(previous, Some(Segment::Literal(l)) if l == "teams");
            match name.as_str() {
                "workspace" => slots.workspace = Some(pos),
                "username" if teams => slots.workspace = Some(pos),
                "project_key" => slots.project = Some(pos),
                "repo_slug" => slots.repository = Some(pos),
                _ => {}
            }
        }
        previous = Some(s);
    }
    Ok(CompiledRoute { method: def.method.to_ascii_uppercase(), query, segments, slots })
}

/// The `{repo_slug}` position of a Git smart-HTTP route, if this is one.
fn git_slot(segments: &[Segment]) -> Option<usize> {
    GIT_TAILS.iter().find_map(|tail| {
        let head_len = segments.len().checked_sub(tail.len() + 1)?;
        let (slug, end) = segments.get(head_len..)?.split_first()?;
        let is_tail = end.len() == tail.len()
            && end.iter().zip(tail.iter()).all(|(s, t)| matches!(s, Segment::Literal(l) if l == t));
        (is_tail && matches!(slug, Segment::Param(n) if n == "repo_slug")).then_some(head_len)
    })
}

/// The decoded value of `key` in a query string: `Ok(None)` when absent, `Err` when present
/// with different values or too long to read.
pub(crate) fn query_value<'q>(query: Option<&'q str>, key: &str) -> Result<Option<Cow<'q, str>>, ()> {
    let Some(query) = query else { return Ok(None) };
    let query = query.strip_prefix('?').unwrap_or(query);
    if query.len() > MAX_QUERY_LEN {
        return Err(());
    }
    let mut found: Option<Cow<'q, str>> = None;
    for (n, pair) in query.split('&').enumerate() {
        if n >= MAX_QUERY_PAIRS {
            return Err(());
        }
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        if form_decode(k).ok_or(())? != key {
            continue;
        }
        let v = form_decode(v).ok_or(())?;
        match &found {
            Some(prev) if *prev != v => return Err(()),
            _ => found = Some(v),
        }
    }
    Ok(found)
}

/// Query strings are form-encoded: `+` is a space.
fn form_decode(s: &str) -> Option<Cow<'_, str>> {
    if s.contains('+') {
        percent_decode(&s.replace('+', " ")).map(|c| Cow::Owned(c.into_owned()))
    } else {
        percent_decode(s)
    }
}
