//! The compact committed form of a built-in profile, embedded in the `.wasm`.
//!
//! Still JSON, so diffs stay readable, but a third of the size of a `ProfileDoc`: requirement
//! lists (`any_of`) are interned and referred to by index, one path per line with its methods.
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
//! ["/2.0/repositories/{workspace}/{repo_slug}",[["DELETE",4],["GET",0],["PUT",5]]],
//! ["/{workspace}/{repo_slug}/info/refs",[["GET?service=git-upload-pack",0],...]],
//! ...]}
//! ```

use serde::{Deserialize, Serialize};

use crate::directory::Level;
use crate::error::Error;

use super::{profile_error, ProfileDoc, RouteDef, ScopeDef};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CompactDoc {
    name: String,
    base_path: String,
    scopes: Vec<(String, Option<Level>, Vec<String>)>,
    requirements: Vec<Vec<Vec<String>>>,
    routes: Vec<(String, Vec<(String, usize)>)>,
}

/// Reads the compact form back into a document.
pub(crate) fn parse(text: &str) -> Result<ProfileDoc, Error> {
    let doc: CompactDoc =
        serde_json::from_str(text).map_err(|e| profile_error("", format!("bad compact profile: {e}")))?;
    let scopes = doc.scopes.into_iter().map(|(name, level, implies)| ScopeDef { name, implies, level }).collect();
    let mut routes = Vec::new();
    for (i, (path, methods)) in doc.routes.into_iter().enumerate() {
        for (j, (method, req)) in methods.into_iter().enumerate() {
            let any_of =
                doc.requirements.get(req).cloned().ok_or_else(|| {
                    profile_error(format!("routes[{i}][1][{j}]"), format!("no requirement list {req}"))
                })?;
            let (method, query) = match method.split_once('?') {
                Some((m, q)) => (m.to_owned(), Some(q.to_owned())),
                None => (method, None),
            };
            routes.push(RouteDef { method, path: path.clone(), any_of, query });
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
    let mut paths: Vec<(&str, Vec<(String, usize)>)> = Vec::new();
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
        match paths.iter_mut().find(|(p, _)| *p == r.path) {
            Some((_, methods)) => methods.push((method, req)),
            None => paths.push((&r.path, vec![(method, req)])),
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
