//! The compact committed form of a built-in profile, embedded in the `.wasm`.
//!
//! Still JSON, so diffs stay readable, but a third of the size of a `ProfileDoc`: requirement
//! lists (`any_of`) are interned and referred to by index, one path per line with its methods.
//! A method entry is `[method, requirement]` when the route's level is its method class,
//! `[method, requirement, level]` when it is not, and `[method, requirement, level, "owner"]`
//! for a route marked `owner_check`.
//!
//! ```text
//! {"name":"bitbucket-cloud","base_path":"/2.0",
//! "scopes":[
//! ["repository","read",[]],
//! ["repository:write","write",["repository"]],
//! ...],
//! "requirements":[
//! [["repository"],["read:repository:bitbucket"]],
//! ...],
//! "routes":[
//! ["/2.0/repositories/{workspace}/{repo_slug}",[["DELETE",4,"admin"],["GET",0],["PUT",5,"admin"]]],
//! ["/2.0/snippets/{workspace}/{encoded_id}",[["GET",9,"read","owner"],...]],
//! ["/{workspace}/{repo_slug}/info/refs",[["GET?service=git-upload-pack",0],...]],
//! ...]}
//! ```

use serde::{Deserialize, Serialize};

use crate::directory::Level;
use crate::error::Error;

use super::{method_level, profile_error, ProfileDoc, RouteDef, ScopeDef};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CompactDoc {
    name: String,
    base_path: String,
    scopes: Vec<(String, Option<Level>, Vec<String>)>,
    requirements: Vec<Vec<Vec<String>>>,
    routes: Vec<(String, Vec<MethodEntry>)>,
}

/// One method of a path: the level and the owner mark only when they say something.
#[derive(Deserialize)]
#[serde(untagged)]
enum MethodEntry {
    Plain(String, usize),
    Level(String, usize, Level),
    Owner(String, usize, Level, OwnerMark),
}

#[derive(Deserialize)]
enum OwnerMark {
    #[serde(rename = "owner")]
    Owner,
}

const OWNER_MARK: &str = "owner";

/// Reads the compact form back into a document.
pub(crate) fn parse(text: &str) -> Result<ProfileDoc, Error> {
    let doc: CompactDoc =
        serde_json::from_str(text).map_err(|e| profile_error("", format!("bad compact profile: {e}")))?;
    let scopes = doc.scopes.into_iter().map(|(name, level, implies)| ScopeDef { name, implies, level }).collect();
    let mut routes = Vec::new();
    for (i, (path, methods)) in doc.routes.into_iter().enumerate() {
        for (j, entry) in methods.into_iter().enumerate() {
            let (method, req, level, owner_check) = match entry {
                MethodEntry::Plain(m, r) => (m, r, None, false),
                MethodEntry::Level(m, r, l) => (m, r, Some(l), false),
                MethodEntry::Owner(m, r, l, OwnerMark::Owner) => (m, r, Some(l), true),
            };
            let any_of =
                doc.requirements.get(req).cloned().ok_or_else(|| {
                    profile_error(format!("routes[{i}][1][{j}]"), format!("no requirement list {req}"))
                })?;
            let (method, query) = match method.split_once('?') {
                Some((m, q)) => (m.to_owned(), Some(q.to_owned())),
                None => (method, None),
            };
            let level = level.unwrap_or_else(|| method_level(&method, &path));
            routes.push(RouteDef { method, path: path.clone(), any_of, query, level: Some(level), owner_check });
        }
    }
    Ok(ProfileDoc { name: doc.name, base_path: doc.base_path, scopes, routes })
}

/// Writes a document in the compact form. Routes of one path are grouped on the line of the
/// path's first route, so a document whose routes of a path are adjacent reads back unchanged.
pub(crate) fn render(doc: &ProfileDoc) -> Result<String, Error> {
    let mut out = String::new();
    out.push_str(&format!("{{\"name\":{},\"base_path\":{},\n\"scopes\":[", json(&doc.name)?, json(&doc.base_path)?));
    for (i, s) in doc.scopes.iter().enumerate() {
        out.push_str(if i == 0 { "\n" } else { ",\n" });
        out.push_str(&format!("[{},{},{}]", json(&s.name)?, json(&s.level)?, json(&s.implies)?));
    }
    let mut requirements: Vec<&Vec<Vec<String>>> = Vec::new();
    let mut paths: Vec<(&str, Vec<serde_json::Value>)> = Vec::new();
    for r in &doc.routes {
        let req = match requirements.iter().position(|x| **x == r.any_of) {
            Some(k) => k,
            None => {
                requirements.push(&r.any_of);
                requirements.len() - 1
            }
        };
        let method = match &r.query {
            Some(q) => format!("{}?{q}", r.method),
            None => r.method.clone(),
        };
        let level = r.level.unwrap_or_else(|| method_level(&r.method, &r.path));
        let mut entry = vec![serde_json::Value::from(method), serde_json::Value::from(req)];
        if r.owner_check || level != method_level(&r.method, &r.path) {
            entry.push(serde_json::Value::from(level.as_str()));
        }
        if r.owner_check {
            entry.push(serde_json::Value::from(OWNER_MARK));
        }
        let entry = serde_json::Value::Array(entry);
        match paths.iter_mut().find(|(p, _)| *p == r.path) {
            Some((_, methods)) => methods.push(entry),
            None => paths.push((&r.path, vec![entry])),
        }
    }
    out.push_str("],\n\"requirements\":[");
    for (i, req) in requirements.iter().enumerate() {
        out.push_str(if i == 0 { "\n" } else { ",\n" });
        out.push_str(&json(req)?);
    }
    out.push_str("],\n\"routes\":[");
    for (i, (path, methods)) in paths.iter().enumerate() {
        out.push_str(if i == 0 { "\n" } else { ",\n" });
        out.push_str(&format!("[{},{}]", json(path)?, json(methods)?));
    }
    out.push_str("]}\n");
    Ok(out)
}

fn json<T: Serialize + ?Sized>(value: &T) -> Result<String, Error> {
    serde_json::to_string(value).map_err(|e| profile_error("", format!("cannot write the compact profile: {e}")))
}
