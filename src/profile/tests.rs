use proptest::prelude::*;
use serde_json::json;

use super::*;

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| (*x).to_owned()).collect()
}

fn sets(v: &[&[&str]]) -> Vec<Vec<String>> {
    v.iter().map(|x| s(x)).collect()
}

/// A small spec in the shape of Bitbucket's: oauth2 + basic + apiKey.
fn spec(paths: serde_json::Value) -> String {
    json!({
        "openapi": "3.0.0",
        "servers": [{"url": "https://api.example.test/2.0"}],
        "components": {"securitySchemes": {
            "oauth2": {"type": "oauth2", "flows": {"authorizationCode": {
                "authorizationUrl": "https://x.test/a", "tokenUrl": "https://x.test/t",
                "scopes": {"repo": "read", "repo:write": "write", "unused": "never used"}}}},
            "oidc": {"type": "openIdConnect", "openIdConnectUrl": "https://x.test/.well-known"},
            "basic": {"type": "http", "scheme": "basic"},
            "api_key": {"type": "apiKey", "in": "header", "name": "Authorization"}
        }},
        "paths": paths
    })
    .to_string()
}

fn import(paths: serde_json::Value) -> ProfileDoc {
    profile_from_openapi(&spec(paths), "test").unwrap()
}

fn import_err(spec_json: &str) -> (String, String) {
    match profile_from_openapi(spec_json, "test") {
        Err(Error::Profile { path, message }) => (path, message),
        other => panic!("expected a profile error, got {other:?}"),
    }
}

fn route<'a>(doc: &'a ProfileDoc, method: &str, path: &str) -> &'a RouteDef {
    doc.routes.iter().find(|r| r.method == method && r.path == path).unwrap()
}

// ---- importer ----

#[test]
fn importer_reads_any_of_and_all_of() {
    let doc = import(json!({"/repos/{id}": {
        "get": {"security": [{"oauth2": ["repo"]}, {"oauth2": ["repo:write", "repo"]}, {"basic": []}, {"api_key": []}]},
        "put": {"security": [{"oauth2": ["repo:write"], "basic": []}]}
    }}));
    assert_eq!(doc.base_path, "/2.0");
    assert_eq!(doc.name, "test");
    let get = route(&doc, "GET", "/2.0/repos/{id}");
    // Sets in canonical (sorted) order; basic and apiKey are credential alternatives, skipped.
    assert_eq!(get.any_of, sets(&[&["repo"], &["repo", "repo:write"]]));
    assert_eq!(get.query, None);
    let put = route(&doc, "PUT", "/2.0/repos/{id}");
    assert_eq!(put.any_of, sets(&[&["repo:write"]]));
    // Classic scopes come from the flows even when no operation uses them.
    let names: Vec<&str> = doc.scopes.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, vec!["repo", "repo:write", "unused"]);
    assert!(doc.scopes.iter().all(|d| d.implies.is_empty() && d.level.is_none()));
}

#[test]
fn importer_uses_global_security_unless_the_operation_overrides_it() {
    let mut v: serde_json::Value = serde_json::from_str(&spec(json!({"/a": {
        "get": {},
        "post": {"security": [{"oauth2": ["repo:write"]}]},
        "delete": {"security": []}
    }})))
    .unwrap();
    v["security"] = json!([{"oauth2": ["repo"]}]);
    let doc = profile_from_openapi(&v.to_string(), "g").unwrap();
    assert_eq!(route(&doc, "GET", "/2.0/a").any_of, sets(&[&["repo"]]));
    assert_eq!(route(&doc, "POST", "/2.0/a").any_of, sets(&[&["repo:write"]]));
    // `security: []` needs no scope: any authenticated token.
    assert_eq!(route(&doc, "DELETE", "/2.0/a").any_of, sets(&[&[]]));
}

#[test]
fn importer_maps_empty_and_credential_only_requirements_to_any_token() {
    let doc = import(json!({"/a": {
        "get": {"security": [{"oauth2": []}, {"basic": []}]},
        "put": {"security": [{"basic": []}, {"api_key": []}]},
        "post": {"security": [{}]},
        "patch": {"security": [{"oidc": ["openid", "repo"]}]}
    }}));
    assert_eq!(route(&doc, "GET", "/2.0/a").any_of, sets(&[&[]]));
    assert_eq!(route(&doc, "PUT", "/2.0/a").any_of, sets(&[&[]]));
    assert_eq!(route(&doc, "POST", "/2.0/a").any_of, sets(&[&[]]));
    assert_eq!(route(&doc, "PATCH", "/2.0/a").any_of, sets(&[&["openid", "repo"]]));
    assert!(doc.scopes.iter().any(|d| d.name == "openid"), "openIdConnect scopes join the catalogue");
}

#[test]
fn importer_adds_atlassian_granular_sets() {
    let doc = import(json!({"/r/{workspace}": {
        "get": {
            "security": [{"oauth2": ["repo"]}, {"basic": []}],
            "x-atlassian-oauth2-scopes": [
                {"state": "Current", "scheme": "oauth2", "scopes": ["read:repository:bitbucket"]},
                {"state": "Current", "scheme": "oauth2", "scopes": ["write:pr:bitbucket", "read:pr:bitbucket"]},
                {"state": "Current", "scheme": "oauth2", "scopes": ["read:repository:bitbucket"]}
            ]
        },
        "delete": {"x-atlassian-oauth2-scopes": [{"state": "Current", "scheme": "oauth2", "scopes": ["admin:x:bitbucket"]}]}
    }}));
    assert_eq!(
        route(&doc, "GET", "/2.0/r/{workspace}").any_of,
        sets(&[&["repo"], &["read:repository:bitbucket"], &["read:pr:bitbucket", "write:pr:bitbucket"]])
    );
    // No `security` at all: only the granular set.
    assert_eq!(route(&doc, "DELETE", "/2.0/r/{workspace}").any_of, sets(&[&["admin:x:bitbucket"]]));
    for granular in ["read:repository:bitbucket", "read:pr:bitbucket", "write:pr:bitbucket", "admin:x:bitbucket"] {
        assert!(doc.scopes.iter().any(|d| d.name == granular), "{granular} missing from the catalogue");
    }
}

#[test]
fn importer_base_path_comes_from_the_first_server() {
    let mk = |servers: serde_json::Value| {
        json!({"openapi": "3.1.0", "servers": servers, "paths": {"/x/": {"get": {}}}}).to_string()
    };
    let base = |servers| profile_from_openapi(&mk(servers), "b").unwrap();
    assert_eq!(base(json!([{"url": "https://h.test/v1/"}, {"url": "/v2"}])).base_path, "/v1");
    assert_eq!(base(json!([{"url": "https://h.test"}])).base_path, "");
    assert_eq!(base(json!([{"url": "/api"}])).base_path, "/api");
    let doc =
        base(json!([{"url": "https://{host}/{v}", "variables": {"host": {"default": "h"}, "v": {"default": "v3"}}}]));
    assert_eq!(doc.base_path, "/v3");
    assert_eq!(doc.routes.first().unwrap().path, "/v3/x", "trailing slash of the template dropped");
    let doc = base(json!([]));
    assert_eq!(doc.routes.first().unwrap().path, "/x");
    assert_eq!(doc.routes.first().unwrap().any_of, sets(&[&[]]));
}

#[test]
fn importer_errors_name_the_json_path() {
    let cases: Vec<(String, &str, &str)> = vec![
        ("not json".into(), "", "not a JSON document"),
        ("[]".into(), "", "expected an OpenAPI document"),
        (json!({"swagger": "2.0"}).to_string(), "openapi", "OpenAPI 3"),
        (json!({"openapi": "2.0"}).to_string(), "openapi", "got `2.0`"),
        (
            spec(json!({"/x": {"get": {"security": [{"nope": []}]}}})),
            "paths./x.get.security[0]",
            "unknown security scheme `nope`",
        ),
        (spec(json!({"/x": {"get": {"security": {"oauth2": []}}}})), "paths./x.get.security", "expected a list"),
        (
            spec(json!({"/x": {"get": {"security": [{"oauth2": "repo"}]}}})),
            "paths./x.get.security[0].oauth2",
            "expected a list of scopes",
        ),
        (
            spec(json!({"/x": {"get": {"security": [{"oauth2": [7]}]}}})),
            "paths./x.get.security[0].oauth2[0]",
            "expected a scope name",
        ),
        (
            spec(json!({"/x": {"get": {"security": [{"oauth2": ["a b"]}]}}})),
            "paths./x.get.security[0].oauth2[0]",
            "not a scope name",
        ),
        (
            spec(json!({"/x": {"get": {"x-atlassian-oauth2-scopes": [{"scheme": "basic", "scopes": []}]}}})),
            "paths./x.get.x-atlassian-oauth2-scopes[0].scheme",
            "does not carry scopes",
        ),
        (
            spec(json!({"/x": {"get": {"x-atlassian-oauth2-scopes": [{"scheme": "oauth2"}]}}})),
            "paths./x.get.x-atlassian-oauth2-scopes[0].scopes",
            "expected a list of scopes",
        ),
        (spec(json!({"/x": {"get": 3}})), "paths./x.get", "expected an operation object"),
        (spec(json!({"/x/{": {"get": {}}})), "paths./x/{", "unclosed"),
        (spec(json!({"x": {"get": {}}})), "paths.x", "does not start with `/`"),
        (spec(json!({"/x": {"$ref": "#/x"}})), "paths./x.$ref", "not supported"),
        (
            json!({"openapi": "3.0.0", "components": {"securitySchemes": {"s": {}}}}).to_string(),
            "components.securitySchemes.s.type",
            "scheme type",
        ),
        (
            json!({"openapi": "3.0.0", "servers": [{"url": "https://{host}/{h}"}]}).to_string(),
            "servers[0].variables.h.default",
            "default",
        ),
        (
            json!({"openapi": "3.0.0", "servers": [{"url": "/a/{v}", "variables": {"v": {"default": "{x}"}}}]})
                .to_string(),
            "servers[0].url",
            "not a usable base path",
        ),
    ];
    for (input, path, message) in cases {
        let (got_path, got_message) = import_err(&input);
        assert_eq!(got_path, path, "for {input}");
        assert!(got_message.contains(message), "for {input}: {got_message:?} lacks {message:?}");
    }
    assert!(profile_from_openapi(&spec(json!({})), "").is_err());
}

#[test]
fn importer_refuses_overlapping_operations() {
    let e = profile_from_openapi(&spec(json!({"/x/{a}": {"get": {}}, "/x/{b}": {"get": {}}})), "t").unwrap_err();
    assert!(e.to_string().contains("conflicts with"), "{e}");
}

#[test]
fn importer_bounds_the_work() {
    let mut paths = serde_json::Map::new();
    for i in 0..(MAX_ROUTES / 7 + 1) {
        let ops: serde_json::Map<String, serde_json::Value> =
            ["get", "put", "post", "delete", "patch", "head", "options"]
                .iter()
                .map(|m| ((*m).to_owned(), json!({})))
                .collect();
        paths.insert(format!("/p{i}"), serde_json::Value::Object(ops));
    }
    let (path, message) = import_err(&spec(serde_json::Value::Object(paths)));
    assert!(path.starts_with("paths./p"), "{path}");
    assert!(message.contains("operations"), "{message}");
    let many: Vec<serde_json::Value> = (0..=MAX_SETS).map(|i| json!({"oauth2": [format!("s{i}")]})).collect();
    let (path, _) = import_err(&spec(json!({"/x": {"get": {"security": many}}})));
    assert_eq!(path, "paths./x.get.security");
}

// ---- compile ----

fn doc(scopes: Vec<ScopeDef>, routes: Vec<RouteDef>) -> ProfileDoc {
    ProfileDoc { name: "t".into(), base_path: String::new(), scopes, routes }
}

fn scope(name: &str, implies: &[&str]) -> ScopeDef {
    ScopeDef { name: name.into(), implies: s(implies), level: None }
}

fn r(method: &str, path: &str, any_of: &[&[&str]]) -> RouteDef {
    RouteDef {
        method: method.into(),
        path: path.into(),
        any_of: sets(any_of),
        query: None,
        level: None,
        owner_check: false,
    }
}

fn compile_err(d: ProfileDoc) -> String {
    match Profile::compile(d) {
        Err(Error::Profile { path, .. }) => path,
        other => panic!("expected a profile error, got {other:?}"),
    }
}

#[test]
fn compile_validates_with_paths() {
    assert_eq!(compile_err(doc(vec![scope("a", &["zz"])], vec![])), "scopes[0].implies[0]");
    assert_eq!(compile_err(doc(vec![scope("a", &[]), scope("a", &[])], vec![])), "scopes[1].name");
    assert_eq!(
        compile_err(doc(vec![scope("a", &[])], vec![r("GET", "/x", &[&["a"], &["b"]])])),
        "routes[0].any_of[1][0]"
    );
    assert_eq!(compile_err(doc(vec![], vec![r("G T", "/x", &[])])), "routes[0].method");
    assert_eq!(compile_err(doc(vec![], vec![r("GET", "x", &[])])), "routes[0].path");
    assert_eq!(compile_err(doc(vec![], vec![r("GET", "/x/{a}", &[]), r("get", "/x/{b}", &[])])), "routes[1]");
    let mut q = r("GET", "/x", &[]);
    q.query = Some("service".into());
    assert_eq!(compile_err(doc(vec![], vec![q])), "routes[0].query");
    // A catch-all and a suffixed parameter at one position: the radix router cannot order them.
    let p = compile_err(doc(vec![], vec![r("GET", "/f/{path}", &[]), r("GET", "/f/{name}.zip", &[])]));
    assert!(p.starts_with("routes[") && p.ends_with("].path"), "{p}");
}

#[test]
fn closure_is_transitive_idempotent_and_keeps_unknown_scopes() {
    let p = Profile::compile(doc(
        vec![scope("a", &["b"]), scope("b", &["c"]), scope("c", &["a"]), scope("d", &[]), scope("e", &["d"])],
        vec![],
    ))
    .unwrap();
    assert_eq!(p.closure(&s(&["a"])), s(&["a", "b", "c"]));
    assert_eq!(p.closure(&s(&["e", "x", "e"])), s(&["d", "e", "x"]));
    assert_eq!(p.closure(&[]), Vec::<String>::new());
    let once = p.closure(&s(&["c", "e"]));
    assert_eq!(p.closure(&once), once);
}

#[test]
fn level_for_takes_the_highest() {
    let mut a = scope("a", &[]);
    a.level = Some(Level::Read);
    let mut b = scope("b", &[]);
    b.level = Some(Level::Admin);
    let p = Profile::compile(doc(vec![a, b, scope("c", &[])], vec![])).unwrap();
    assert_eq!(p.level_for(&s(&["a", "b", "zz"])), Some(Level::Admin));
    assert_eq!(p.level_for(&s(&["a", "c"])), Some(Level::Read));
    assert_eq!(p.level_for(&s(&["c"])), None);
}

#[test]
fn read_methods() {
    assert!(is_read_method("get") && is_read_method("HEAD") && is_read_method("Options"));
    assert!(!is_read_method("POST") && !is_read_method("") && !is_read_method("GETX"));
}

// ---- route levels (issue 7) ----

#[test]
fn method_level_reads_safe_methods_and_git_fetches() {
    assert_eq!(method_level("GET", "/x"), Level::Read);
    assert_eq!(method_level("head", "/x"), Level::Read);
    assert_eq!(method_level("OPTIONS", "/x"), Level::Read);
    assert_eq!(method_level("POST", "/x"), Level::Write);
    assert_eq!(method_level("DELETE", "/x"), Level::Write);
    assert_eq!(method_level("POST", "/{workspace}/{repo_slug}/git-upload-pack"), Level::Read);
    assert_eq!(method_level("POST", "/{workspace}/{repo_slug}/git-receive-pack"), Level::Write);
    assert_eq!(method_level("PUT", "/{workspace}/{repo_slug}/git-upload-pack"), Level::Write);
    assert_eq!(method_level("POST", "/x/git-upload-pack-not"), Level::Write);
}

#[test]
fn verbs_of_scope_names() {
    assert_eq!(verb_level("repository"), None);
    assert_eq!(verb_level("pipeline:variable"), None);
    assert_eq!(verb_level("repository:write"), Some(Level::Write));
    assert_eq!(verb_level("snippet:write"), Some(Level::Write));
    assert_eq!(verb_level("repository:delete"), Some(Level::Admin));
    assert_eq!(verb_level("project:admin"), Some(Level::Admin));
    assert_eq!(verb_level("read:repository:bitbucket"), Some(Level::Read));
    assert_eq!(verb_level("delete:snippet:bitbucket"), Some(Level::Admin));
    assert_eq!(granular_verb("write:pets"), Some(Level::Write));
    assert_eq!(granular_verb("repository:write"), None, "classic scopes put the verb last");
    assert_eq!(granular_verb("read:"), None);
    assert_eq!(granular_verb("read"), None);
}

#[test]
fn importer_levels_come_from_granular_verbs_else_the_method() {
    let doc = import(json!({
        "/pets": {
            "get": {"security": [{"oauth2": ["repo"]}], "x-atlassian-oauth2-scopes": [{"scopes": ["read:pets"]}]},
            "post": {"security": [{"oauth2": ["repo"]}], "x-atlassian-oauth2-scopes": [{"scopes": ["read:pets", "write:pets"]}]},
            "delete": {"x-atlassian-oauth2-scopes": [{"scopes": ["delete:pets"]}]},
            "put": {"security": [{"oauth2": ["repo:write"]}]},
            "patch": {"x-atlassian-oauth2-scopes": [{"scopes": ["read:pets"]}]}
        },
        "/open": {"get": {}, "post": {}}
    }));
    let level = |method: &str, path: &str| route(&doc, method, path).level;
    assert_eq!(level("GET", "/2.0/pets"), Some(Level::Read));
    assert_eq!(level("POST", "/2.0/pets"), Some(Level::Write));
    assert_eq!(level("DELETE", "/2.0/pets"), Some(Level::Admin));
    // No granular-style scope: the method class.
    assert_eq!(level("PUT", "/2.0/pets"), Some(Level::Write));
    // The spec's verb wins over the method: a PATCH that needs only `read:pets` is a read route.
    assert_eq!(level("PATCH", "/2.0/pets"), Some(Level::Read));
    assert_eq!(level("GET", "/2.0/open"), Some(Level::Read));
    assert_eq!(level("POST", "/2.0/open"), Some(Level::Write));
    assert!(doc.routes.iter().all(|r| !r.owner_check));
}

#[test]
fn profiles_without_levels_take_the_method_class() {
    let json = json!({"name": "old", "base_path": "", "scopes": [{"name": "a"}], "routes": [
        {"method": "GET", "path": "/x", "any_of": [["a"]]},
        {"method": "DELETE", "path": "/x", "any_of": [["a"]]},
        {"method": "POST", "path": "/{w}/{r}/git-upload-pack", "any_of": [["a"]]}
    ]});
    let doc: ProfileDoc = serde_json::from_value(json).unwrap();
    assert!(doc.routes.iter().all(|r| r.level.is_none() && !r.owner_check));
    let p = Profile::compile(doc).unwrap();
    let levels: Vec<Option<Level>> = p.doc().routes.iter().map(|r| r.level).collect();
    assert_eq!(levels, [Some(Level::Read), Some(Level::Write), Some(Level::Read)]);
    let m = p.match_route("DELETE", "/x", None).unwrap();
    assert_eq!((m.level, m.scope_floor, m.method_reads, m.owner_check), (Level::Write, Level::Read, false, false));
}

#[test]
fn route_matches_carry_level_floor_and_ownership() {
    let p = Profile::builtin("bitbucket-cloud").unwrap();
    let at = |method: &str, path: &str, query: Option<&str>| p.match_route(method, path, query).unwrap();
    let hooks = at("GET", "/2.0/repositories/acme/web/hooks", None);
    assert_eq!((hooks.level, hooks.scope_floor, hooks.floor()), (Level::Read, Level::Admin, Level::Admin));
    let comment = at("POST", "/2.0/repositories/acme/web/commit/abc/comments", None);
    assert_eq!((comment.level, comment.method_reads), (Level::Read, false));
    let pipelines = at("POST", "/2.0/repositories/acme/web/pipelines", None);
    assert_eq!((pipelines.level, pipelines.scope_floor), (Level::Write, Level::Read));
    let delete = at("DELETE", "/2.0/repositories/acme/web", None);
    assert_eq!(delete.floor(), Level::Admin);
    let clone = at("POST", "/acme/web.git/git-upload-pack", None);
    assert_eq!((clone.level, clone.method_reads), (Level::Read, true));
    let refs = at("GET", "/acme/web.git/info/refs", Some("service=git-receive-pack"));
    assert_eq!((refs.level, refs.method_reads), (Level::Write, true));
    let snippet = at("DELETE", "/2.0/snippets/acme/abc", None);
    assert_eq!((snippet.level, snippet.owner_check), (Level::Admin, true));
    assert!(at("GET", "/2.0/user", None).owner_check);
    assert!(at("GET", "/2.0/users/someone/ssh-keys", None).owner_check);
    assert!(!at("GET", "/2.0/workspaces/acme/members", None).owner_check);
    // The Git routes and the 26 operations without granular scopes follow the method class.
    let props = at("PUT", "/2.0/repositories/acme/web/properties/app/flag", None);
    assert_eq!((props.level, props.any_of.clone()), (Level::Write, vec![Vec::<String>::new()]));
}

#[test]
fn grant_level_is_the_catalogue_level_or_the_verb() {
    let p = Profile::builtin("bitbucket-cloud").unwrap();
    assert_eq!(p.grant_level("repository"), Some(Level::Read));
    assert_eq!(p.grant_level("account"), None);
    assert_eq!(p.grant_level("snippet:write"), Some(Level::Write));
    assert_eq!(p.grant_level("account:write"), Some(Level::Write));
    assert_eq!(p.grant_level("pipeline:variable"), Some(Level::Admin));
    assert_eq!(p.grant_level("webhook"), Some(Level::Admin));
    assert_eq!(p.grant_level("delete:ssh-key:bitbucket"), Some(Level::Admin));
    assert_eq!(p.grant_level("read:user:bitbucket"), Some(Level::Read));
}

#[test]
fn compact_form_writes_levels_only_where_they_say_something() {
    let mut admin = r("GET", "/2.0/a", &[&["x"]]);
    admin.level = Some(Level::Admin);
    let mut owned = r("DELETE", "/2.0/a", &[&["x"]]);
    owned.level = Some(Level::Write);
    owned.owner_check = true;
    let mut plain = r("POST", "/2.0/a", &[&["x"]]);
    plain.level = Some(Level::Write);
    let d = doc(vec![scope("x", &[])], vec![admin, owned, plain]);
    let text = compact::render(&d).unwrap();
    assert!(text.contains(r#"["/2.0/a",[["GET",0,"admin"],["DELETE",0,"write","owner"],["POST",0]]]"#), "{text}");
    assert_eq!(compact::parse(&text).unwrap(), d);
    assert!(compact::parse(&text.replace("\"owner\"", "\"owned\"")).is_err());
}

// ---- router ----

fn table() -> Profile {
    let routes = vec![
        r("GET", "/2.0/user", &[&["account"]]),
        r("GET", "/2.0/repositories/{workspace}", &[&["repository"]]),
        r("GET", "/2.0/repositories/{workspace}/{repo_slug}", &[&["repository"]]),
        r("DELETE", "/2.0/repositories/{workspace}/{repo_slug}", &[&["repository:delete"]]),
        r("GET", "/2.0/repositories/{workspace}/{repo_slug}/src", &[&["repository"]]),
        r("GET", "/2.0/repositories/{workspace}/{repo_slug}/src/{commit}/{path}", &[&["repository"]]),
        r(
            "GET",
            "/2.0/repositories/{workspace}/{repo_slug}/issues/export/{repo_name}-issues-{task_id}.zip",
            &[&["issue"]],
        ),
        r("GET", "/2.0/repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}", &[&["pullrequest"]]),
        r("GET", "/2.0/repositories/{workspace}/{repo_slug}/pullrequests/activity", &[&["pullrequest"], &[]]),
        r("PUT", "/2.0/repositories/{workspace}/{repo_slug}/pullrequests/{pullrequest_id}", &[&["pullrequest"]]),
        r("GET", "/2.0/workspaces/{workspace}/projects/{project_key}", &[&["project"]]),
        r("GET", "/2.0/teams/{username}/members", &[&["account"]]),
        r("GET", "/2.0/users/{username}", &[&[]]),
        r("HEAD", "/2.0/ping", &[&[]]),
        r("GET", "/2.0/ping", &[&["account"]]),
        RouteDef {
            query: Some("service=git-upload-pack".into()),
            ..r("GET", "/{workspace}/{repo_slug}/info/refs", &[&["repository"]])
        },
        RouteDef {
            query: Some("service=git-receive-pack".into()),
            ..r("GET", "/{workspace}/{repo_slug}/info/refs", &[&["repository:write"]])
        },
        r("POST", "/{workspace}/{repo_slug}/git-upload-pack", &[&["repository"]]),
        r("POST", "/{workspace}/{repo_slug}/git-receive-pack", &[&["repository:write"]]),
        r("GET", "/{a}/{b}/plain", &[&[]]),
        r("GET", "/2.0/snippets/{workspace}/{encoded_id}/{node_id}", &[&["a"]]),
        r("GET", "/2.0/snippets/{workspace}/{encoded_id}/files/{path}", &[&["b"]]),
        RouteDef { query: Some("mode=x".into()), ..r("GET", "/q", &[&["a"]]) },
        r("GET", "/q", &[&["b"]]),
    ];
    let names =
        ["account", "repository", "repository:write", "repository:delete", "issue", "pullrequest", "project", "a", "b"];
    Profile::compile(doc(names.iter().map(|n| scope(n, &[])).collect(), routes)).unwrap()
}

fn tpl(p: &Profile, method: &str, path: &str, query: Option<&str>) -> Option<String> {
    p.match_route(method, path, query).map(|m| m.template)
}

fn repo(ws: &str, slug: &str) -> Option<ResourceKey> {
    Some(ResourceKey::Repository { workspace: ws.into(), slug: slug.into() })
}

#[test]
fn router_literal_beats_parameter_and_keeps_original_names() {
    let p = table();
    assert_eq!(
        tpl(&p, "GET", "/2.0/repositories/acme/web/pullrequests/activity", None).as_deref(),
        Some("/2.0/repositories/{workspace}/{repo_slug}/pullrequests/activity")
    );
    let m = p.match_route("GET", "/2.0/repositories/acme/web/pullrequests/7", None).unwrap();
    assert_eq!(m.template, "/2.0/repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}");
    assert_eq!(m.any_of, sets(&[&["pullrequest"]]));
    assert_eq!(m.resource, repo("acme", "web"));
    // Same position, another name, another method: both found.
    assert_eq!(
        tpl(&p, "PUT", "/2.0/repositories/acme/web/pullrequests/7", None).as_deref(),
        Some("/2.0/repositories/{workspace}/{repo_slug}/pullrequests/{pullrequest_id}")
    );
    assert_eq!(tpl(&p, "POST", "/2.0/repositories/acme/web/pullrequests/7", None), None);
    assert_eq!(tpl(&p, "GET", "/2.0/nothing", None), None);
    assert_eq!(tpl(&p, "GET", "/2.0/USER", None), None, "literals are case-sensitive");
}

#[test]
fn router_resources_from_path_parameters() {
    let p = table();
    let res = |path: &str| p.match_route("GET", path, None).unwrap().resource;
    assert_eq!(res("/2.0/repositories/acme"), Some(ResourceKey::Workspace { workspace: "acme".into() }));
    assert_eq!(res("/2.0/repositories/acme/web"), repo("acme", "web"));
    assert_eq!(
        res("/2.0/workspaces/acme/projects/PROJ"),
        Some(ResourceKey::Project { workspace: "acme".into(), key: "PROJ".into() })
    );
    assert_eq!(res("/2.0/teams/acme/members"), Some(ResourceKey::Workspace { workspace: "acme".into() }));
    // `{username}` outside `/teams/` is a user, not a workspace.
    assert_eq!(res("/2.0/users/mary"), None);
    assert_eq!(res("/2.0/user"), None);
    assert_eq!(res("/2.0/repositories/ac%20me/w%C3%A9b"), repo("ac me", "wéb"));
}

#[test]
fn router_trailing_slash_and_method_case() {
    let p = table();
    assert_eq!(tpl(&p, "GET", "/2.0/user/", None).as_deref(), Some("/2.0/user"));
    assert_eq!(tpl(&p, "get", "/2.0/user", None).as_deref(), Some("/2.0/user"));
    assert_eq!(tpl(&p, "gEt", "/2.0/repositories/acme/", None).as_deref(), Some("/2.0/repositories/{workspace}"));
    assert_eq!(tpl(&p, "GET", "/2.0/user//", None), None);
    assert_eq!(tpl(&p, "G ET", "/2.0/user", None), None);
    assert_eq!(tpl(&p, "", "/2.0/user", None), None);
}

#[test]
fn router_percent_decoding_fails_closed() {
    let p = table();
    assert_eq!(tpl(&p, "GET", "/2.0/%75ser", None).as_deref(), Some("/2.0/user"), "decoded before matching");
    for bad in [
        "/2.0/repositories/acme%2Fweb",
        "/2.0/repositories/acme%2fweb/x",
        "/2.0/repositories/acme/we%5Cb",
        "/2.0/repositories/acme/..",
        "/2.0/repositories/acme/%2e%2e",
        "/2.0/repositories/./acme",
        "/2.0//repositories/acme",
        "/2.0/repositories/acme/%E0%A4",
        "/2.0/repositories/acme/%G1",
        "2.0/user",
        "",
    ] {
        assert_eq!(tpl(&p, "GET", bad, None), None, "{bad} must not match");
    }
}

#[test]
fn router_catch_all_path() {
    let p = table();
    let src = "/2.0/repositories/{workspace}/{repo_slug}/src/{commit}/{path}";
    assert_eq!(tpl(&p, "GET", "/2.0/repositories/acme/web/src/main/README.md", None).as_deref(), Some(src));
    let m = p.match_route("GET", "/2.0/repositories/acme/web/src/main/docs/a%20b/c.md", None).unwrap();
    assert_eq!(m.template, src);
    assert_eq!(m.resource, repo("acme", "web"));
    assert_eq!(tpl(&p, "GET", "/2.0/repositories/acme/web/src/main/docs/", None).as_deref(), Some(src));
    // The root of a commit (`/src/main/`): the catch-all may be empty, but only with the slash.
    assert_eq!(tpl(&p, "GET", "/2.0/repositories/acme/web/src/main/", None).as_deref(), Some(src));
    assert_eq!(tpl(&p, "GET", "/2.0/repositories/acme/web/src/main", None), None);
    assert_eq!(
        tpl(&p, "GET", "/2.0/repositories/acme/web/src", None).as_deref(),
        Some("/2.0/repositories/{workspace}/{repo_slug}/src")
    );
    // The empty catch-all is only a fallback: it never hides a real route.
    let snip = |path: &str| tpl(&p, "GET", path, None);
    let node = Some("/2.0/snippets/{workspace}/{encoded_id}/{node_id}".to_owned());
    let files = Some("/2.0/snippets/{workspace}/{encoded_id}/files/{path}".to_owned());
    assert_eq!(snip("/2.0/snippets/acme/abc/files"), node);
    assert_eq!(snip("/2.0/snippets/acme/abc/files/"), node);
    assert_eq!(snip("/2.0/snippets/acme/abc/files/a/b"), files);
    for bad in ["docs/../../x", "docs//x", "docs/%2e%2e/x", "a%2Fb"] {
        assert_eq!(tpl(&p, "GET", &format!("/2.0/repositories/acme/web/src/main/{bad}"), None), None, "{bad}");
    }
}

#[test]
fn router_mixed_segment() {
    let p = table();
    let t = "/2.0/repositories/{workspace}/{repo_slug}/issues/export/{repo_name}-issues-{task_id}.zip";
    assert_eq!(tpl(&p, "GET", "/2.0/repositories/acme/web/issues/export/web-issues-3.zip", None).as_deref(), Some(t));
    assert_eq!(tpl(&p, "GET", "/2.0/repositories/acme/web/issues/export/web.zip", None), None);
}

#[test]
fn router_git_routes() {
    let p = table();
    let refs = "/{workspace}/{repo_slug}/info/refs";
    let get = |path: &str, q: Option<&str>| p.match_route("GET", path, q);
    let up = get("/acme/web.git/info/refs", Some("service=git-upload-pack")).unwrap();
    assert_eq!(up.template, refs);
    assert_eq!(up.any_of, sets(&[&["repository"]]));
    assert_eq!(up.resource, repo("acme", "web"), "`.git` is not part of the slug");
    let push = get("/acme/web/info/refs", Some("service=git-receive-pack")).unwrap();
    assert_eq!(push.any_of, sets(&[&["repository:write"]]));
    assert_eq!(push.resource, repo("acme", "web"));
    assert_eq!(
        get("/acme/web/info/refs", Some("foo=1&service=git%2Dreceive-pack")).unwrap().any_of,
        sets(&[&["repository:write"]])
    );
    assert_eq!(get("/acme/web/info/refs", Some("?service=git-upload-pack")).unwrap().any_of, sets(&[&["repository"]]));
    // No service, an unknown one, or two different ones: no route (there is no fallback here).
    assert_eq!(get("/acme/web/info/refs", None), None);
    assert_eq!(get("/acme/web/info/refs", Some("service=nope")), None);
    assert_eq!(get("/acme/web/info/refs", Some("service=git-upload-pack&service=git-receive-pack")), None);
    assert_eq!(get("/acme/web/info/refs", Some("service=%zz")), None);
    let post = |path: &str| p.match_route("POST", path, None);
    assert_eq!(post("/acme/web.git/git-receive-pack").unwrap().any_of, sets(&[&["repository:write"]]));
    assert_eq!(post("/acme/web/git-upload-pack").unwrap().resource, repo("acme", "web"));
    // `.git` is optional only on the repository of a Git route.
    assert_eq!(tpl(&p, "GET", "/x/y.git/plain", None), None);
    assert_eq!(tpl(&p, "GET", "/x/y/plain", None).as_deref(), Some("/{a}/{b}/plain"));
    assert_eq!(p.match_route("GET", "/2.0/repositories/acme/web.git", None).unwrap().resource, repo("acme", "web.git"));
    // HEAD falls back to GET, with the same query selection.
    assert_eq!(p.match_route("HEAD", "/acme/web/info/refs", Some("service=git-upload-pack")).unwrap().template, refs);
}

#[test]
fn router_query_selects_with_fallback() {
    let p = table();
    assert_eq!(p.match_route("GET", "/q", Some("mode=x")).unwrap().any_of, sets(&[&["a"]]));
    assert_eq!(p.match_route("GET", "/q", Some("mode=y")).unwrap().any_of, sets(&[&["b"]]));
    assert_eq!(p.match_route("GET", "/q", None).unwrap().any_of, sets(&[&["b"]]));
    assert_eq!(p.match_route("GET", "/q", Some("mode=x&mode=y")), None);
    assert_eq!(p.match_route("GET", "/q", Some(&"a=1&".repeat(1000))), None, "too many pairs");
}

#[test]
fn router_head_falls_back_to_get() {
    let p = table();
    assert_eq!(tpl(&p, "HEAD", "/2.0/user", None).as_deref(), Some("/2.0/user"));
    assert_eq!(p.match_route("head", "/2.0/ping", None).unwrap().any_of, sets(&[&[]]), "own HEAD route first");
    assert_eq!(p.match_route("GET", "/2.0/ping", None).unwrap().any_of, sets(&[&["account"]]));
    assert_eq!(
        tpl(&p, "HEAD", "/2.0/repositories/acme/web", None).as_deref(),
        Some("/2.0/repositories/{workspace}/{repo_slug}")
    );
    assert_eq!(tpl(&p, "OPTIONS", "/2.0/user", None), None);
}

#[test]
fn router_bounds_input() {
    let p = table();
    let long = format!("/2.0/repositories/acme/web/src/main/{}", "a/".repeat(200));
    assert_eq!(tpl(&p, "GET", &long, None), None);
    let huge = format!("/2.0/repositories/acme/web/src/main/{}", "a".repeat(10_000));
    assert_eq!(tpl(&p, "GET", &huge, None), None);
    assert_eq!(tpl(&p, &"G".repeat(100), "/2.0/user", None), None);
}

// ---- built-in ----

#[test]
fn builtin_bitbucket_cloud_loads_once() {
    let a = Profile::builtin("bitbucket-cloud").expect("the committed profile compiles");
    let b = Profile::builtin("bitbucket-cloud").unwrap();
    assert!(Arc::ptr_eq(&a.inner, &b.inner), "compiled once, shared");
    assert_eq!(a.name(), "bitbucket-cloud");
    assert_eq!(a.doc().base_path, "/2.0");
    assert!(a.doc().routes.len() >= 331 + 4, "{} routes", a.doc().routes.len());
    assert!(Profile::builtin("github").is_none());
    assert!(bitbucket::SOURCE.len() < 40 * 1024, "committed profile is {} bytes", bitbucket::SOURCE.len());
}

#[test]
fn builtin_bitbucket_cloud_implications_and_levels() {
    let p = Profile::builtin("bitbucket-cloud").unwrap();
    assert_eq!(
        p.closure(&s(&["pullrequest:write"])),
        s(&["pullrequest", "pullrequest:write", "repository", "repository:write"])
    );
    assert_eq!(p.closure(&s(&["project"])), s(&["project", "repository"]));
    assert_eq!(p.closure(&s(&["repository:admin"])), s(&["repository:admin"]));
    assert_eq!(p.closure(&s(&["write:repository:bitbucket"])), s(&["write:repository:bitbucket"]));
    assert_eq!(p.level_for(&s(&["repository", "repository:write"])), Some(Level::Write));
    assert_eq!(p.level_for(&s(&["account"])), None);
    let m = p.match_route("GET", "/acme/web.git/info/refs", Some("service=git-upload-pack")).unwrap();
    assert_eq!(m.any_of, sets(&[&["repository"], &["read:repository:bitbucket"]]));
    let m = p.match_route("GET", "/2.0/repositories/acme/web/src/main/a/b.txt", None).unwrap();
    assert_eq!(m.template, "/2.0/repositories/{workspace}/{repo_slug}/src/{commit}/{path}");
    assert_eq!(m.resource, repo("acme", "web"));
    // Every catalogue scope is a well-formed scope, every classic implication target exists.
    for def in &p.doc().scopes {
        for implied in &def.implies {
            assert!(p.doc().scopes.iter().any(|d| &d.name == implied));
        }
    }
}

#[test]
fn compact_form_round_trips() {
    let p = Profile::builtin("bitbucket-cloud").unwrap();
    let text = compact::render(p.doc()).unwrap();
    assert_eq!(text, bitbucket::SOURCE, "rendering the parsed built-in gives the committed bytes back");
    assert_eq!(&compact::parse(&text).unwrap(), p.doc());
    assert!(compact::parse("{}").is_err());
    assert!(compact::parse(
        r#"{"name":"x","base_path":"","scopes":[],"requirements":[],"routes":[["/a",[["GET",3]]]]}"#
    )
    .is_err());
}

// ---- no panics on hostile input ----

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn match_route_never_panics(method in ".{0,12}", path in "(/[a-zA-Z0-9%._~{}\\\\-]{0,12}){0,12}/?", query in proptest::option::of(".{0,40}")) {
        let p = Profile::builtin("bitbucket-cloud").unwrap();
        let _ = p.match_route(&method, &path, query.as_deref());
        let t = table();
        let _ = t.match_route(&method, &path, query.as_deref());
    }

    #[test]
    fn match_route_never_panics_on_any_string(method in any::<String>(), path in any::<String>(), query in any::<Option<String>>()) {
        let p = Profile::builtin("bitbucket-cloud").unwrap();
        let _ = p.match_route(&method, &path, query.as_deref());
    }

    #[test]
    fn matched_paths_have_no_dot_segments(segs in proptest::collection::vec("[a.%2eE/]{1,4}", 1..6)) {
        let p = table();
        let path = format!("/2.0/repositories/acme/web/src/main/{}", segs.join("/"));
        if let Some(m) = p.match_route("GET", &path, None) {
            let decoded = super::template::decode_path(&path).unwrap();
            prop_assert!(decoded.segments().all(|s| s != "." && s != ".." && !s.contains('/')));
            prop_assert_eq!(m.resource, repo("acme", "web"));
        }
    }

    #[test]
    fn closure_is_idempotent(picks in proptest::collection::vec(0usize..80, 0..8)) {
        let p = Profile::builtin("bitbucket-cloud").unwrap();
        let names: Vec<String> = picks.iter().filter_map(|&i| p.doc().scopes.get(i).map(|d| d.name.clone())).collect();
        let once = p.closure(&names);
        prop_assert_eq!(p.closure(&once), once.clone());
        for n in &names {
            prop_assert!(once.contains(n));
        }
    }

    #[test]
    fn importer_never_panics(input in ".{0,200}") {
        let _ = profile_from_openapi(&input, "fuzz");
    }

    #[test]
    fn importer_never_panics_on_odd_specs(path in "[/a-z{}.]{0,10}", scope in ".{0,6}", ty in "(oauth2|http|apiKey|openIdConnect|x)") {
        let v = json!({
            "openapi": "3.0.0",
            "servers": [{"url": format!("https://h{path}")}],
            "components": {"securitySchemes": {"s": {"type": ty, "flows": {"f": {"scopes": {scope.clone(): ""}}}}}},
            "paths": {path.clone(): {"get": {"security": [{"s": [scope.clone()]}], "x-atlassian-oauth2-scopes": [{"scheme": "s", "scopes": [scope]}]}}}
        });
        let _ = profile_from_openapi(&v.to_string(), "fuzz");
    }
}
