//! The compiled profile as the engine decides from it, and as a bundle stores it: flat arrays
//! of numbers and one text, with no per-route allocation to read back (docs/bundle-format.md,
//! "profile"). Built once from a [`ProfileDoc`] (`Profile::compile`), written into bundles as
//! postcard, read back at load with every index checked against its array in one pass
//! ([`Flat::check`]), then matched without allocating.
//!
//! The route table is a trie over path segments that matches exactly as the radix router it
//! replaces at request time (`matchit`, kept as the build-time checker of profiles in
//! `routes.rs`): at each segment, the literal child equal to the segment first; then the
//! parameters of that position, those with the longest literal prefix first (`img-{id}` before
//! `{id}`); a parameter takes the longest of its suffixes the segment ends with (`{slug}.git`
//! before `{slug}`) and no other; a catch-all takes the rest of the path. A branch that leads
//! nowhere is left for the next candidate, depth first, like the radix tree's backtracking.

use serde::{Deserialize, Serialize};

use crate::directory::Level;

use super::template::{Piece, Segment};
use super::{ProfileDoc, RouteDef, ScopeDef};

/// "None" in an index field.
pub(crate) const NONE: u32 = u32::MAX;
/// "None" in a segment-position field.
pub(crate) const NO_SLOT: u8 = u8::MAX;

/// A run: `len` items (or bytes of `text`) from `start`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Run {
    pub start: u32,
    pub len: u32,
}

impl Run {
    fn end(self) -> Option<usize> {
        (self.start as usize).checked_add(self.len as usize)
    }

    fn range(self) -> std::ops::Range<usize> {
        let start = self.start as usize;
        start..start.saturating_add(self.len as usize)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct FScope {
    pub name: Run,
    /// 0 none, 1 read, 2 write, 3 admin.
    pub level: u8,
    /// Into `implies`.
    pub implies: Run,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct FRoute {
    /// The method as the document spells it (matched case-insensitively).
    pub method: Run,
    /// The path template as the document spells it.
    pub path: Run,
    /// The query selector `name=value`; `start == NONE`: none.
    pub query: Run,
    /// Index into `requirements`.
    pub requirement: u32,
    /// The route's level (1 read, 2 write, 3 admin).
    pub level: u8,
    /// The least level among the route's scope sets.
    pub floor: u8,
    /// Bit 0: owner-checked; bit 1: the method reads.
    pub flags: u8,
    /// Template positions of `{workspace}`, `{project_key}`, `{repo_slug}`; `NO_SLOT`: none.
    pub slots: [u8; 3],
    /// Mixed segments to check after the match: into `patterns`.
    pub patterns: Run,
}

pub(crate) const OWNER_CHECK: u8 = 1;
pub(crate) const READS: u8 = 2;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct FPattern {
    /// Template position of the segment.
    pub position: u32,
    /// Into `pieces`.
    pub pieces: Run,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct FPiece {
    pub param: bool,
    /// The literal text (empty for a parameter).
    pub text: Run,
}

/// A trie node: the path read so far.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct FNode {
    /// Literal children, sorted by text: into `edges`.
    pub edges: Run,
    /// Parameters and catch-alls of the next segment, longest prefix first: into `wilds`.
    pub wilds: Run,
    /// The routes of a path that ends here: index into `ends`, or `NONE`.
    pub end: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct FEdge {
    pub text: Run,
    pub node: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct FWild {
    /// Literal text before the parameter in its segment (`img-` of `img-{id}`).
    pub prefix: Run,
    /// A catch-all (`{path}` at the end): `end` is its routes.
    pub catch_all: bool,
    /// A parameter that ends the path without a suffix: its routes, or `NONE`.
    pub end: u32,
    /// Longest first: into `suffixes`.
    pub suffixes: Run,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct FSuffix {
    /// What the segment must end with after the parameter (may be empty for `continues`).
    pub text: Run,
    /// More segments follow: `to` is a node; else `to` is an index into `ends`.
    pub continues: bool,
    pub to: u32,
}

/// The routes of one path (one router key).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct FEnd {
    /// Into `end_routes`.
    pub routes: Run,
    /// The `{repo_slug}.git` position of a Git route's alias: strip `.git` there.
    pub git_slot: u8,
}

/// The whole compiled profile.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Flat {
    pub text: String,
    pub name: Run,
    pub base_path: Run,
    pub scopes: Vec<FScope>,
    pub implies: Vec<u32>,
    /// Per requirement (`any_of`): its sets, into `sets`.
    pub requirements: Vec<Run>,
    /// Per set: its scopes, into `set_scopes`.
    pub sets: Vec<Run>,
    pub set_scopes: Vec<u32>,
    pub routes: Vec<FRoute>,
    pub patterns: Vec<FPattern>,
    pub pieces: Vec<FPiece>,
    pub nodes: Vec<FNode>,
    pub edges: Vec<FEdge>,
    pub wilds: Vec<FWild>,
    pub suffixes: Vec<FSuffix>,
    pub ends: Vec<FEnd>,
    pub end_routes: Vec<u32>,
    /// The trie of every route.
    pub root: u32,
    /// The trie of catch-all routes without their `{path}` (a request with a trailing slash
    /// that nothing else matches: `/src/{commit}/` lists the root); `NONE`: none.
    pub alias_root: u32,
}

pub(crate) fn level_code(level: Option<Level>) -> u8 {
    match level {
        None => 0,
        Some(Level::Read) => 1,
        Some(Level::Write) => 2,
        Some(Level::Admin) => 3,
    }
}

#[cfg_attr(scopegate_speed, optimize(speed))]
pub(crate) fn level_of(code: u8) -> Option<Level> {
    match code {
        1 => Some(Level::Read),
        2 => Some(Level::Write),
        3 => Some(Level::Admin),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Reading.

impl Flat {
    /// The text of a run; empty for a run outside the text (never after [`Flat::check`]).
    #[inline(always)]
    pub(crate) fn str(&self, run: Run) -> &str {
        self.text.get(run.range()).unwrap_or_default()
    }

    #[cfg_attr(scopegate_speed, optimize(speed))]
    pub(crate) fn route(&self, i: usize) -> Option<&FRoute> {
        self.routes.get(i)
    }

    /// The sets of requirement `i`: each a slice of scope indexes.
    #[cfg_attr(scopegate_speed, optimize(speed))]
    pub(crate) fn requirement(&self, i: u32) -> impl Iterator<Item = &[u32]> + '_ {
        let sets = self.requirements.get(i as usize).and_then(|r| self.sets.get(r.range())).unwrap_or_default();
        sets.iter().map(|s| self.set_scopes.get(s.range()).unwrap_or_default())
    }

    pub(crate) fn implied(&self, scope: usize) -> &[u32] {
        self.scopes.get(scope).and_then(|s| self.implies.get(s.implies.range())).unwrap_or_default()
    }

    /// Checks every run and index against what it points into, the text's character
    /// boundaries, and the order of literal children: one pass over each array. A profile that
    /// passes can be matched without any lookup failing.
    pub(crate) fn check(&self) -> Result<(), String> {
        let text = |run: Run, what: &str| -> Result<(), String> {
            let ok = run.end().is_some_and(|end| {
                end <= self.text.len()
                    && self.text.is_char_boundary(run.start as usize)
                    && self.text.is_char_boundary(end)
            });
            if ok {
                Ok(())
            } else {
                Err(format!("a {what} lies outside the profile's text"))
            }
        };
        let within = |run: Run, len: usize, what: &str| -> Result<(), String> {
            if run.end().is_some_and(|end| end <= len) {
                Ok(())
            } else {
                Err(format!("a {what} lies outside its table"))
            }
        };
        let index = |i: u32, len: usize, what: &str| -> Result<(), String> {
            if (i as usize) < len {
                Ok(())
            } else {
                Err(format!("a {what} index is out of range"))
            }
        };
        let optional = |i: u32, len: usize, what: &str| if i == NONE { Ok(()) } else { index(i, len, what) };
        text(self.name, "name")?;
        text(self.base_path, "base path")?;
        if self.scopes.len() > super::MAX_SCOPES || self.routes.len() > super::MAX_ROUTES {
            return Err("the profile has more scopes or routes than any profile may".into());
        }
        for s in &self.scopes {
            text(s.name, "scope name")?;
            within(s.implies, self.implies.len(), "scope's implications")?;
            if s.level > 3 {
                return Err("a scope has an unknown level".into());
            }
        }
        for &i in &self.implies {
            index(i, self.scopes.len(), "implied scope")?;
        }
        for r in &self.requirements {
            within(*r, self.sets.len(), "requirement")?;
        }
        for s in &self.sets {
            within(*s, self.set_scopes.len(), "scope set")?;
        }
        for &i in &self.set_scopes {
            index(i, self.scopes.len(), "required scope")?;
        }
        for r in &self.routes {
            text(r.method, "method")?;
            text(r.path, "path")?;
            if r.query.start != NONE {
                text(r.query, "query selector")?;
            }
            index(r.requirement, self.requirements.len(), "route requirement")?;
            if !(1..=3).contains(&r.level) || !(1..=3).contains(&r.floor) || r.flags > (OWNER_CHECK | READS) {
                return Err("a route has an unknown level or flag".into());
            }
            within(r.patterns, self.patterns.len(), "route's mixed segments")?;
        }
        for p in &self.patterns {
            within(p.pieces, self.pieces.len(), "mixed segment")?;
        }
        for p in &self.pieces {
            text(p.text, "segment text")?;
        }
        for n in &self.nodes {
            within(n.edges, self.edges.len(), "node's children")?;
            within(n.wilds, self.wilds.len(), "node's parameters")?;
            optional(n.end, self.ends.len(), "node's routes")?;
            let edges = self.edges.get(n.edges.range()).unwrap_or_default();
            if edges.windows(2).any(|w| matches!(w, [a, b] if self.str(a.text) >= self.str(b.text))) {
                return Err("a node's children are out of order".into());
            }
        }
        for e in &self.edges {
            text(e.text, "segment")?;
            index(e.node, self.nodes.len(), "child")?;
        }
        for w in &self.wilds {
            text(w.prefix, "parameter prefix")?;
            optional(w.end, self.ends.len(), "parameter's routes")?;
            within(w.suffixes, self.suffixes.len(), "parameter's suffixes")?;
        }
        for s in &self.suffixes {
            text(s.text, "suffix")?;
            index(s.to, if s.continues { self.nodes.len() } else { self.ends.len() }, "suffix target")?;
        }
        for e in &self.ends {
            within(e.routes, self.end_routes.len(), "path's routes")?;
        }
        for &r in &self.end_routes {
            index(r, self.routes.len(), "route")?;
        }
        index(self.root, self.nodes.len(), "root")?;
        optional(self.alias_root, self.nodes.len(), "alias root")?;
        Ok(())
    }

    /// The document this profile was compiled from (lossless).
    pub(crate) fn doc(&self) -> ProfileDoc {
        let names = |run: Run| -> Vec<String> {
            self.set_scopes
                .get(run.range())
                .unwrap_or_default()
                .iter()
                .map(|&i| self.scopes.get(i as usize).map(|s| self.str(s.name).to_owned()).unwrap_or_default())
                .collect()
        };
        let scopes = self
            .scopes
            .iter()
            .map(|s| ScopeDef {
                name: self.str(s.name).to_owned(),
                implies: self
                    .implies
                    .get(s.implies.range())
                    .unwrap_or_default()
                    .iter()
                    .map(|&i| self.scopes.get(i as usize).map(|t| self.str(t.name).to_owned()).unwrap_or_default())
                    .collect(),
                level: level_of(s.level),
            })
            .collect();
        let routes = self
            .routes
            .iter()
            .map(|r| RouteDef {
                method: self.str(r.method).to_owned(),
                path: self.str(r.path).to_owned(),
                any_of: self
                    .requirements
                    .get(r.requirement as usize)
                    .and_then(|req| self.sets.get(req.range()))
                    .unwrap_or_default()
                    .iter()
                    .map(|s| names(*s))
                    .collect(),
                query: (r.query.start != NONE).then(|| self.str(r.query).to_owned()),
                level: level_of(r.level),
                owner_check: r.flags & OWNER_CHECK != 0,
            })
            .collect();
        ProfileDoc {
            name: self.str(self.name).to_owned(),
            base_path: self.str(self.base_path).to_owned(),
            scopes,
            routes,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Matching.

/// Most trie nodes one match may visit: a bound on the work a crafted (but signed) profile
/// could cause; a well-formed trie visits at most a few per segment.
const MAX_VISITS: u32 = 4096;

/// A request path's segments as byte ranges of the decoded path.
pub(crate) struct Segments<'p> {
    pub path: &'p str,
    pub bounds: &'p [(u16, u16)],
}

impl<'p> Segments<'p> {
    #[cfg_attr(scopegate_speed, optimize(speed))]
    fn get(&self, i: usize) -> Option<&'p str> {
        let &(a, b) = self.bounds.get(i)?;
        self.path.get(usize::from(a)..usize::from(b))
    }

    #[cfg_attr(scopegate_speed, optimize(speed))]
    fn len(&self) -> usize {
        self.bounds.len()
    }
}

impl Flat {
    /// The routes of the path (an index into `ends`), from `root`.
    #[cfg_attr(scopegate_speed, optimize(speed))]
    pub(crate) fn find_end(&self, root: u32, segments: &Segments<'_>) -> Option<u32> {
        let mut visits = 0u32;
        self.walk(root, segments, 0, &mut visits)
    }

    #[cfg_attr(scopegate_speed, optimize(speed))]
    fn walk(&self, node: u32, segments: &Segments<'_>, pos: usize, visits: &mut u32) -> Option<u32> {
        *visits += 1;
        if *visits > MAX_VISITS {
            return None;
        }
        let n = self.nodes.get(node as usize)?;
        let Some(segment) = segments.get(pos) else {
            return (n.end != NONE).then_some(n.end);
        };
        let edges = self.edges.get(n.edges.range()).unwrap_or_default();
        if let Ok(i) = edges.binary_search_by(|e| self.str(e.text).cmp(segment)) {
            if let Some(found) = edges.get(i).and_then(|e| self.walk(e.node, segments, pos + 1, visits)) {
                return Some(found);
            }
        }
        for w in self.wilds.get(n.wilds.range()).unwrap_or_default() {
            let Some(rest) = segment.strip_prefix(self.str(w.prefix)).filter(|r| !r.is_empty()) else {
                continue;
            };
            if let Some(found) = self.wild(w, rest, segments, pos, visits) {
                return Some(found);
            }
        }
        None
    }

    /// A parameter (or catch-all) taking `rest`, the segment after the parameter's prefix.
    #[cfg_attr(scopegate_speed, optimize(speed))]
    fn wild(&self, w: &FWild, rest: &str, segments: &Segments<'_>, pos: usize, visits: &mut u32) -> Option<u32> {
        if w.catch_all {
            return (w.end != NONE).then_some(w.end);
        }
        let last = pos + 1 == segments.len();
        for s in self.suffixes.get(w.suffixes.range()).unwrap_or_default() {
            let text = self.str(s.text);
            if s.continues != last && rest.len() > text.len() && rest.ends_with(text) {
                // The longest suffix that fits is the one: no other is tried.
                return if last { Some(s.to) } else { self.walk(s.to, segments, pos + 1, visits) };
            }
        }
        (last && w.end != NONE).then_some(w.end)
    }
}

// ---------------------------------------------------------------------------------------------
// Building.

/// One segment of a router key, as the trie stores it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum KeySegment {
    Literal(String),
    /// A parameter with the literal text around it in its segment.
    Param {
        prefix: String,
        suffix: String,
    },
    CatchAll,
}

/// The router key of a template (see `template::router_key`), segment by segment.
pub(crate) fn key_segments(segments: &[Segment], git_slot: Option<usize>) -> Vec<KeySegment> {
    segments
        .iter()
        .enumerate()
        .map(|(i, s)| match s {
            Segment::Literal(l) => KeySegment::Literal(l.clone()),
            Segment::Param(_) => KeySegment::Param {
                prefix: String::new(),
                suffix: if git_slot == Some(i) { ".git".into() } else { String::new() },
            },
            Segment::CatchAll(_) => KeySegment::CatchAll,
            Segment::Pattern(pieces) => {
                let lit = |p: Option<&Piece>| match p {
                    Some(Piece::Lit(l)) => l.clone(),
                    _ => String::new(),
                };
                KeySegment::Param {
                    prefix: lit(pieces.first()),
                    suffix: if pieces.len() > 1 { lit(pieces.last()) } else { String::new() },
                }
            }
        })
        .collect()
}

/// The route data the builder takes from the checked routes.
pub(crate) struct RouteInput<'a> {
    pub def: &'a RouteDef,
    pub requirement: u32,
    pub level: Level,
    pub floor: Level,
    pub reads: bool,
    pub owner_check: bool,
    pub slots: [Option<usize>; 3],
    pub segments: &'a [Segment],
}

/// A path's routes, as the builder takes them.
pub(crate) struct EndInput {
    pub routes: Vec<u32>,
    pub git_slot: Option<usize>,
}

#[derive(Default)]
struct BuildNode {
    edges: Vec<(String, u32)>,
    wilds: Vec<BuildWild>,
    end: Option<u32>,
}

struct BuildWild {
    prefix: String,
    catch_all: bool,
    end: Option<u32>,
    /// (text, continues, to)
    suffixes: Vec<(String, bool, u32)>,
}

/// Builds the flat form. `keys` pairs each path (router key) with its index in `ends`;
/// `alias_keys` likewise for the trailing-slash trie.
pub(crate) struct Builder {
    flat: Flat,
    nodes: Vec<BuildNode>,
}

fn run32(start: usize, len: usize) -> Result<Run, String> {
    let start = u32::try_from(start).map_err(|_| "the profile is too large to compile".to_string())?;
    let len = u32::try_from(len).map_err(|_| "the profile is too large to compile".to_string())?;
    Ok(Run { start, len })
}

fn u32_of(n: usize) -> Result<u32, String> {
    u32::try_from(n).map_err(|_| "the profile is too large to compile".to_string())
}

impl Builder {
    pub(crate) fn new(doc: &ProfileDoc) -> Result<Builder, String> {
        let mut b = Builder {
            flat: Flat {
                text: String::new(),
                name: Run::default(),
                base_path: Run::default(),
                scopes: Vec::new(),
                implies: Vec::new(),
                requirements: Vec::new(),
                sets: Vec::new(),
                set_scopes: Vec::new(),
                routes: Vec::new(),
                patterns: Vec::new(),
                pieces: Vec::new(),
                nodes: Vec::new(),
                edges: Vec::new(),
                wilds: Vec::new(),
                suffixes: Vec::new(),
                ends: Vec::new(),
                end_routes: Vec::new(),
                root: 0,
                alias_root: NONE,
            },
            nodes: Vec::new(),
        };
        b.flat.name = b.text(&doc.name)?;
        b.flat.base_path = b.text(&doc.base_path)?;
        Ok(b)
    }

    fn text(&mut self, s: &str) -> Result<Run, String> {
        let run = run32(self.flat.text.len(), s.len())?;
        self.flat.text.push_str(s);
        Ok(run)
    }

    /// The scopes, with their implications as indexes (already resolved by the caller).
    pub(crate) fn scopes(&mut self, scopes: &[ScopeDef], implies: &[Vec<usize>]) -> Result<(), String> {
        for (s, targets) in scopes.iter().zip(implies) {
            let name = self.text(&s.name)?;
            let run = run32(self.flat.implies.len(), targets.len())?;
            for &t in targets {
                self.flat.implies.push(u32_of(t)?);
            }
            self.flat.scopes.push(FScope { name, level: level_code(s.level), implies: run });
        }
        Ok(())
    }

    /// One requirement (`any_of`) as scope indexes; returns its number.
    #[cfg_attr(scopegate_speed, optimize(speed))]
    pub(crate) fn requirement(&mut self, sets: &[Vec<usize>]) -> Result<u32, String> {
        let run = run32(self.flat.sets.len(), sets.len())?;
        for set in sets {
            let s = run32(self.flat.set_scopes.len(), set.len())?;
            for &i in set {
                self.flat.set_scopes.push(u32_of(i)?);
            }
            self.flat.sets.push(s);
        }
        self.flat.requirements.push(run);
        u32_of(self.flat.requirements.len() - 1)
    }

    #[cfg_attr(scopegate_speed, optimize(speed))]
    pub(crate) fn route(&mut self, r: &RouteInput<'_>) -> Result<(), String> {
        let method = self.text(&r.def.method)?;
        let path = self.text(&r.def.path)?;
        let query = match &r.def.query {
            Some(q) => self.text(q)?,
            None => Run { start: NONE, len: 0 },
        };
        let patterns_start = self.flat.patterns.len();
        for (pos, s) in r.segments.iter().enumerate() {
            if let Segment::Pattern(pieces) = s {
                let start = self.flat.pieces.len();
                for p in pieces {
                    let piece = match p {
                        Piece::Lit(l) => FPiece { param: false, text: self.text(l)? },
                        Piece::Param(_) => FPiece { param: true, text: Run::default() },
                    };
                    self.flat.pieces.push(piece);
                }
                let pieces = run32(start, pieces.len())?;
                self.flat.patterns.push(FPattern { position: u32_of(pos)?, pieces });
            }
        }
        let slot = |s: Option<usize>| -> Result<u8, String> {
            match s {
                None => Ok(NO_SLOT),
                Some(p) => u8::try_from(p).ok().filter(|&p| p != NO_SLOT).ok_or_else(|| "too many segments".into()),
            }
        };
        let flags = if r.owner_check { OWNER_CHECK } else { 0 } | if r.reads { READS } else { 0 };
        self.flat.routes.push(FRoute {
            method,
            path,
            query,
            requirement: r.requirement,
            level: level_code(Some(r.level)),
            floor: level_code(Some(r.floor)),
            flags,
            slots: [slot(r.slots[0])?, slot(r.slots[1])?, slot(r.slots[2])?],
            patterns: run32(patterns_start, self.flat.patterns.len() - patterns_start)?,
        });
        Ok(())
    }

    /// The routes of one path; returns its index in `ends`.
    pub(crate) fn end(&mut self, end: &EndInput) -> Result<u32, String> {
        let routes = run32(self.flat.end_routes.len(), end.routes.len())?;
        self.flat.end_routes.extend_from_slice(&end.routes);
        let git_slot = match end.git_slot {
            None => NO_SLOT,
            Some(p) => u8::try_from(p).ok().filter(|&p| p != NO_SLOT).ok_or("too many segments")?,
        };
        self.flat.ends.push(FEnd { routes, git_slot });
        u32_of(self.flat.ends.len() - 1)
    }

    /// A new trie; returns its root.
    pub(crate) fn trie(&mut self) -> Result<u32, String> {
        self.nodes.push(BuildNode::default());
        u32_of(self.nodes.len() - 1)
    }

    fn child(&mut self, node: u32, literal: &str) -> Result<u32, String> {
        let existing =
            self.nodes.get(node as usize).and_then(|n| n.edges.iter().find(|(t, _)| t == literal)).map(|&(_, c)| c);
        if let Some(c) = existing {
            return Ok(c);
        }
        let c = self.trie()?;
        if let Some(n) = self.nodes.get_mut(node as usize) {
            n.edges.push((literal.to_owned(), c));
        }
        Ok(c)
    }

    #[cfg_attr(scopegate_speed, optimize(speed))]
    fn wild(&mut self, node: u32, prefix: &str, catch_all: bool) -> Result<&mut BuildWild, String> {
        let n = self.nodes.get_mut(node as usize).ok_or("no such node")?;
        let at = match n.wilds.iter().position(|w| w.prefix == prefix) {
            Some(i) => i,
            None => {
                n.wilds.push(BuildWild { prefix: prefix.to_owned(), catch_all, end: None, suffixes: Vec::new() });
                n.wilds.len() - 1
            }
        };
        let w = n.wilds.get_mut(at).ok_or("no such parameter")?;
        if w.catch_all != catch_all {
            return Err("a parameter and a catch-all share a position".into());
        }
        Ok(w)
    }

    /// Adds one path to the trie under `root`, ending in `end`.
    pub(crate) fn insert(&mut self, root: u32, key: &[KeySegment], end: u32) -> Result<(), String> {
        let mut node = root;
        let last = key.len().checked_sub(1);
        for (i, seg) in key.iter().enumerate() {
            let is_last = Some(i) == last;
            match seg {
                KeySegment::Literal(l) => node = self.child(node, l)?,
                KeySegment::CatchAll => {
                    self.wild(node, "", true)?.end = Some(end);
                    return Ok(());
                }
                KeySegment::Param { prefix, suffix } => {
                    if is_last && suffix.is_empty() {
                        self.wild(node, prefix, false)?.end = Some(end);
                        return Ok(());
                    }
                    let existing = self
                        .wild(node, prefix, false)?
                        .suffixes
                        .iter()
                        .find(|(t, c, _)| t == suffix && *c != is_last)
                        .map(|&(_, _, to)| to);
                    if is_last {
                        if existing.is_none() {
                            self.wild(node, prefix, false)?.suffixes.push((suffix.clone(), false, end));
                        }
                        return Ok(());
                    }
                    node = match existing {
                        Some(to) => to,
                        None => {
                            let to = self.trie()?;
                            self.wild(node, prefix, false)?.suffixes.push((suffix.clone(), true, to));
                            to
                        }
                    };
                }
            }
        }
        if let Some(n) = self.nodes.get_mut(node as usize) {
            n.end = Some(end);
        }
        Ok(())
    }

    /// The flat form, nodes laid out in creation order.
    pub(crate) fn finish(mut self, root: u32, alias_root: Option<u32>) -> Result<Flat, String> {
        let opt = |v: Option<u32>| v.unwrap_or(NONE);
        let nodes = std::mem::take(&mut self.nodes);
        for mut n in nodes {
            n.edges.sort_by(|a, b| a.0.cmp(&b.0));
            let edges_start = self.flat.edges.len();
            for (text, node) in &n.edges {
                let text = self.text(text)?;
                self.flat.edges.push(FEdge { text, node: *node });
            }
            // Longest prefix first, so the most specific parameter is tried first.
            n.wilds.sort_by(|a, b| b.prefix.len().cmp(&a.prefix.len()).then_with(|| a.prefix.cmp(&b.prefix)));
            let wilds_start = self.flat.wilds.len();
            for mut w in n.wilds {
                w.suffixes.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
                let suffixes_start = self.flat.suffixes.len();
                for (text, continues, to) in &w.suffixes {
                    let text = self.text(text)?;
                    self.flat.suffixes.push(FSuffix { text, continues: *continues, to: *to });
                }
                let prefix = self.text(&w.prefix)?;
                let suffixes = run32(suffixes_start, w.suffixes.len())?;
                self.flat.wilds.push(FWild { prefix, catch_all: w.catch_all, end: opt(w.end), suffixes });
            }
            let edges = run32(edges_start, self.flat.edges.len() - edges_start)?;
            let wilds = run32(wilds_start, self.flat.wilds.len() - wilds_start)?;
            self.flat.nodes.push(FNode { edges, wilds, end: opt(n.end) });
        }
        self.flat.root = root;
        self.flat.alias_root = opt(alias_root);
        self.flat.check()?;
        Ok(self.flat)
    }
}
