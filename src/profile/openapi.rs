//! The OpenAPI 3 importer: security requirements -> route scope sets, flows -> catalogue.
//!
//! Rules (see DESIGN.md §2):
//! - the first `servers[].url`'s path is the base path, prefixed to every route;
//! - an operation's `security` (else the document's) is an any-of; the scopes of one requirement
//!   object are an all-of; only `oauth2` and `openIdConnect` schemes carry scopes, so an object
//!   naming only others (`http`, `apiKey`) is a credential alternative and is skipped, while `{}`
//!   or an empty scope list is the `[]` set (any authenticated token);
//! - each `x-atlassian-oauth2-scopes` entry (`{state, scheme, scopes}`) adds one more set;
//! - an operation left with no set at all needs no scope: `[[]]`;
//! - an operation's level is the highest verb among its granular-style scopes (`read:x` read,
//!   `write:x` write, `admin:x` and `delete:x` admin); without any, its method class;
//! - the catalogue is every scope of the flows' `scopes` maps and of any requirement, sorted.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use crate::error::Error;

use super::template::parse_template;
use super::{
    check_scope_name, granular_verb, method_level, profile_error, Profile, ProfileDoc, RouteDef, ScopeDef, MAX_ROUTES,
    MAX_SCOPES, MAX_SETS, MAX_SET_LEN,
};

/// The operations of a path item, in the order routes are listed.
const METHODS: [&str; 7] = ["get", "put", "post", "delete", "patch", "head", "options"];
const ATLASSIAN_SCOPES: &str = "x-atlassian-oauth2-scopes";
const MAX_SCHEMES: usize = 256;

/// Imports an OpenAPI 3 document (JSON) as a profile named `name`.
///
/// # Errors
/// A document that is not OpenAPI 3 JSON, or a part of it the importer cannot use; the error
/// names the JSON path (`paths./x.get.security[0]: ...`).
pub fn profile_from_openapi(spec_json: &str, name: &str) -> Result<ProfileDoc, Error> {
    if name.is_empty() || name.len() > 128 {
        return Err(profile_error("name", "expected a profile name of 1 to 128 characters"));
    }
    let root: Value =
        serde_json::from_str(spec_json).map_err(|e| profile_error("", format!("not a JSON document: {e}")))?;
    let root = root.as_object().ok_or_else(|| profile_error("", "expected an OpenAPI document (a JSON object)"))?;
    match root.get("openapi").and_then(Value::as_str) {
        Some(v) if v.starts_with("3.") => {}
        Some(v) => return Err(profile_error("openapi", format!("expected an OpenAPI 3 version, got `{v}`"))),
        None => return Err(profile_error("openapi", "expected an OpenAPI 3 version string such as `3.0.3`")),
    }
    let base_path = base_path(root)?;
    let mut catalogue: BTreeSet<String> = BTreeSet::new();
    let schemes = security_schemes(root, &mut catalogue)?;
    let global = root.get("security");
    let paths = match root.get("paths") {
        None => &Map::new(),
        Some(p) => p.as_object().ok_or_else(|| profile_error("paths", "expected an object"))?,
    };
    let mut keys: Vec<&String> = paths.keys().collect();
    keys.sort();
    let mut routes = Vec::new();
    for key in keys {
        let at = format!("paths.{key}");
        let item = paths
            .get(key)
            .and_then(Value::as_object)
            .ok_or_else(|| profile_error(&at, "expected a path item object"))?;
        if item.contains_key("$ref") {
            return Err(profile_error(format!("{at}.$ref"), "path item references are not supported"));
        }
        parse_template(key).map_err(|m| profile_error(&at, m))?;
        let path = join_path(&base_path, key);
        parse_template(&path).map_err(|m| profile_error(&at, m))?;
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let at = format!("{at}.{method}");
            if routes.len() >= MAX_ROUTES {
                return Err(profile_error(&at, format!("more than {MAX_ROUTES} operations")));
            }
            let op = op.as_object().ok_or_else(|| profile_error(&at, "expected an operation object"))?;
            let any_of = operation_sets(op, global, &schemes, &mut catalogue, &at)?;
            if catalogue.len() > MAX_SCOPES {
                return Err(profile_error(&at, format!("more than {MAX_SCOPES} distinct scopes")));
            }
            let method = method.to_ascii_uppercase();
            let level = any_of
                .iter()
                .flatten()
                .filter_map(|s| granular_verb(s))
                .max()
                .unwrap_or_else(|| method_level(&method, &path));
            routes.push(RouteDef {
                method,
                path: path.clone(),
                any_of,
                query: None,
                level: Some(level),
                owner_check: false,
            });
        }
    }
    let scopes = catalogue.into_iter().map(|name| ScopeDef { name, implies: Vec::new(), level: None }).collect();
    let doc = ProfileDoc { name: name.to_owned(), base_path, scopes, routes };
    // Refuse here what the engine would refuse later (overlapping routes).
    Profile::compile(doc.clone())?;
    Ok(doc)
}

/// The path of the first server URL, without a trailing slash (`https://api.bitbucket.org/2.0`
/// -> `/2.0`); server variables take their defaults.
fn base_path(root: &Map<String, Value>) -> Result<String, Error> {
    let Some(server) = root.get("servers").and_then(Value::as_array).and_then(|s| s.first()) else {
        return Ok(String::new());
    };
    let url = server
        .get("url")
        .and_then(Value::as_str)
        .ok_or_else(|| profile_error("servers[0].url", "expected a URL string"))?;
    let url = url.split(['?', '#']).next().unwrap_or_default();
    let path = match url.split_once("://") {
        Some((_, rest)) => rest.find('/').and_then(|i| rest.get(i..)).unwrap_or_default(),
        None if url.starts_with('/') => url,
        // A relative URL such as `v1` or `.`: relative to where the document is served.
        None => url.trim_start_matches('.'),
    };
    let mut out = String::new();
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        out.push_str(rest.get(..open).unwrap_or_default());
        let after = rest.get(open + 1..).unwrap_or_default();
        let close = after.find('}').ok_or_else(|| profile_error("servers[0].url", "unclosed `{` in the URL"))?;
        let var = after.get(..close).unwrap_or_default();
        let default = server
            .get("variables")
            .and_then(|v| v.get(var))
            .and_then(|v| v.get("default"))
            .and_then(Value::as_str)
            .ok_or_else(|| {
                profile_error(format!("servers[0].variables.{var}.default"), "expected the variable's default value")
            })?;
        out.push_str(default);
        rest = after.get(close + 1..).unwrap_or_default();
    }
    out.push_str(rest);
    let out = out.trim_end_matches('/');
    if out.is_empty() {
        return Ok(String::new());
    }
    let out = if out.starts_with('/') { out.to_owned() } else { format!("/{out}") };
    match parse_template(&out) {
        Ok(segments) if segments.iter().all(|s| matches!(s, super::template::Segment::Literal(_))) => Ok(out),
        _ => Err(profile_error("servers[0].url", format!("`{out}` is not a usable base path"))),
    }
}

fn join_path(base: &str, path: &str) -> String {
    let joined = format!("{base}{path}");
    match joined.strip_suffix('/') {
        Some(s) if !s.is_empty() => s.to_owned(),
        _ => joined,
    }
}

/// Whether each named scheme carries scopes. Classic scopes of `oauth2` flows go into the
/// catalogue.
fn security_schemes(root: &Map<String, Value>, catalogue: &mut BTreeSet<String>) -> Result<Vec<(String, bool)>, Error> {
    let Some(schemes) = root.get("components").and_then(|c| c.get("securitySchemes")) else {
        return Ok(Vec::new());
    };
    let schemes =
        schemes.as_object().ok_or_else(|| profile_error("components.securitySchemes", "expected an object"))?;
    if schemes.len() > MAX_SCHEMES {
        return Err(profile_error("components.securitySchemes", format!("more than {MAX_SCHEMES} schemes")));
    }
    let mut out = Vec::with_capacity(schemes.len());
    for (name, scheme) in schemes {
        let at = format!("components.securitySchemes.{name}");
        let kind = scheme
            .get("type")
            .and_then(Value::as_str)
            .ok_or_else(|| profile_error(format!("{at}.type"), "expected the scheme type"))?;
        let scoped = matches!(kind, "oauth2" | "openIdConnect");
        if kind == "oauth2" {
            if let Some(flows) = scheme.get("flows").and_then(Value::as_object) {
                for (flow_name, flow) in flows {
                    let Some(scopes) = flow.get("scopes") else { continue };
                    let at = format!("{at}.flows.{flow_name}.scopes");
                    let scopes = scopes.as_object().ok_or_else(|| profile_error(&at, "expected an object"))?;
                    for scope in scopes.keys() {
                        check_scope_name(&at, scope)?;
                        catalogue.insert(scope.clone());
                        if catalogue.len() > MAX_SCOPES {
                            return Err(profile_error(&at, format!("more than {MAX_SCOPES} distinct scopes")));
                        }
                    }
                }
            }
        }
        out.push((name.clone(), scoped));
    }
    Ok(out)
}

fn operation_sets(
    op: &Map<String, Value>,
    global: Option<&Value>,
    schemes: &[(String, bool)],
    catalogue: &mut BTreeSet<String>,
    at: &str,
) -> Result<Vec<Vec<String>>, Error> {
    let mut sets: Vec<Vec<String>> = Vec::new();
    let (security, sec_at) = match op.get("security") {
        Some(s) => (Some(s), format!("{at}.security")),
        None => (global, "security".to_owned()),
    };
    if let Some(security) = security {
        let list =
            security.as_array().ok_or_else(|| profile_error(&sec_at, "expected a list of security requirements"))?;
        check_len(list.len(), &sec_at)?;
        for (i, requirement) in list.iter().enumerate() {
            let at = format!("{sec_at}[{i}]");
            let requirement =
                requirement.as_object().ok_or_else(|| profile_error(&at, "expected a security requirement object"))?;
            let mut set: Vec<String> = Vec::new();
            let mut scoped = requirement.is_empty();
            for (scheme, scopes) in requirement {
                let carries_scopes = scheme_carries_scopes(schemes, scheme, &at)?;
                let at = format!("{at}.{scheme}");
                let scopes = scopes.as_array().ok_or_else(|| profile_error(&at, "expected a list of scopes"))?;
                if !carries_scopes {
                    continue;
                }
                scoped = true;
                push_scopes(&mut set, scopes, catalogue, &at)?;
            }
            if scoped {
                push_set(&mut sets, set);
            }
        }
    }
    if let Some(extra) = op.get(ATLASSIAN_SCOPES) {
        let at = format!("{at}.{ATLASSIAN_SCOPES}");
        let list = extra
            .as_array()
            .ok_or_else(|| profile_error(&at, "expected a list of `{state, scheme, scopes}` entries"))?;
        check_len(list.len(), &at)?;
        for (i, entry) in list.iter().enumerate() {
            let at = format!("{at}[{i}]");
            let entry =
                entry.as_object().ok_or_else(|| profile_error(&at, "expected a `{state, scheme, scopes}` object"))?;
            if let Some(scheme) = entry.get("scheme") {
                let scheme =
                    scheme.as_str().ok_or_else(|| profile_error(format!("{at}.scheme"), "expected a scheme name"))?;
                if !scheme_carries_scopes(schemes, scheme, &format!("{at}.scheme"))? {
                    return Err(profile_error(
                        format!("{at}.scheme"),
                        format!("scheme `{scheme}` does not carry scopes"),
                    ));
                }
            }
            let at = format!("{at}.scopes");
            let scopes = entry
                .get("scopes")
                .and_then(Value::as_array)
                .ok_or_else(|| profile_error(&at, "expected a list of scopes"))?;
            let mut set = Vec::new();
            push_scopes(&mut set, scopes, catalogue, &at)?;
            push_set(&mut sets, set);
        }
    }
    if sets.len() > MAX_SETS {
        return Err(profile_error(at, format!("more than {MAX_SETS} scope sets")));
    }
    if sets.is_empty() {
        sets.push(Vec::new());
    }
    Ok(sets)
}

fn check_len(len: usize, at: &str) -> Result<(), Error> {
    if len > MAX_SETS {
        return Err(profile_error(at, format!("more than {MAX_SETS} entries")));
    }
    Ok(())
}

fn scheme_carries_scopes(schemes: &[(String, bool)], scheme: &str, at: &str) -> Result<bool, Error> {
    schemes
        .iter()
        .find(|(name, _)| name == scheme)
        .map(|&(_, scoped)| scoped)
        .ok_or_else(|| profile_error(at, format!("unknown security scheme `{scheme}`")))
}

fn push_scopes(
    set: &mut Vec<String>,
    scopes: &[Value],
    catalogue: &mut BTreeSet<String>,
    at: &str,
) -> Result<(), Error> {
    if scopes.len() + set.len() > MAX_SET_LEN {
        return Err(profile_error(at, format!("more than {MAX_SET_LEN} scopes in one requirement")));
    }
    for (k, scope) in scopes.iter().enumerate() {
        let at = format!("{at}[{k}]");
        let scope = scope.as_str().ok_or_else(|| profile_error(&at, "expected a scope name"))?;
        check_scope_name(&at, scope)?;
        if !catalogue.contains(scope) {
            catalogue.insert(scope.to_owned());
        }
        set.push(scope.to_owned());
    }
    Ok(())
}

/// Adds a set in canonical form (sorted, no duplicates) unless the same set is already there.
fn push_set(sets: &mut Vec<Vec<String>>, mut set: Vec<String>) {
    set.sort();
    set.dedup();
    if !sets.contains(&set) {
        sets.push(set);
    }
}
