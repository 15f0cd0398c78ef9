//! The built-in Bitbucket Cloud profile: the importer's output for the official OpenAPI spec,
//! plus what the spec does not say (DESIGN.md §2): classic scope implications, the minimum
//! permission each scope needs, which routes address objects the origin checks ownership of,
//! and the Git smart-HTTP routes.
//!
//! The result is committed as `bitbucket-cloud.json` (compact form) and checked against the spec
//! by `tests/profile_golden.rs`; `SCOPEGATE_BLESS=1 cargo test --test profile_golden` rewrites it.
//!
//! Minimum permission (`level`) per scope:
//! - no level (account-level, not tied to a workspace, project or repository): `account`,
//!   `account:write`, `email`, `snippet`, `snippet:write`, `team`, `team:write`, and granular
//!   scopes on `user`, `snippet`, `ssh-key` and `gpg-key`;
//! - admin: `X:admin`, `X:delete`, `pipeline:variable`, `webhook`, granular `admin:*`,
//!   `delete:*`, and any granular webhook or permission scope (managing webhooks and
//!   permissions needs admin in Bitbucket);
//! - write: `X:write`, `wiki` ("read and modify"), granular `write:*`;
//! - read: any other classic `X`, granular `read:*`;
//! - anything else: admin, so an unforeseen scope fails closed.
//!
//! A route's level is the importer's (the highest verb among the operation's granular scopes,
//! else the method class). Routes whose granular scopes are all on `snippet`, `ssh-key`,
//! `gpg-key` or `user` are marked `owner_check`: only the origin knows who owns a snippet or a
//! key. Git: `git-upload-pack` (clone, fetch) reads, `git-receive-pack` (push) writes.

use crate::directory::Level;
use crate::error::Error;

use super::{profile_error, profile_from_openapi, Profile, ProfileDoc, RouteDef};

pub(crate) const NAME: &str = "bitbucket-cloud";
/// The committed profile (compact form).
pub(crate) const SOURCE: &str = include_str!("bitbucket-cloud.json");

/// Classic scope implications, DESIGN.md §2. Granular `*:bitbucket` scopes imply nothing.
const IMPLIES: [(&str, &[&str]); 7] = [
    ("repository:write", &["repository"]),
    ("pullrequest", &["repository"]),
    ("pullrequest:write", &["pullrequest", "repository:write"]),
    ("project", &["repository"]),
    ("issue:write", &["issue"]),
    ("snippet:write", &["snippet"]),
    ("account:write", &["account"]),
];

const ACCOUNT_LEVEL: [&str; 7] =
    ["account", "account:write", "email", "snippet", "snippet:write", "team", "team:write"];
const ACCOUNT_LEVEL_GRANULAR: [&str; 4] = ["user", "snippet", "ssh-key", "gpg-key"];

const READ: [&str; 2] = ["repository", "read:repository:bitbucket"];
const WRITE: [&str; 2] = ["repository:write", "write:repository:bitbucket"];

/// The Bitbucket Cloud profile from the official spec's JSON.
pub(crate) fn from_openapi(spec_json: &str) -> Result<ProfileDoc, Error> {
    let mut doc = profile_from_openapi(spec_json, NAME)?;
    for scope in &mut doc.scopes {
        scope.level = level(&scope.name);
        if let Some((_, implied)) = IMPLIES.iter().find(|(name, _)| *name == scope.name) {
            scope.implies = implied.iter().map(|s| (*s).to_owned()).collect();
        }
    }
    for required in READ.iter().chain(&WRITE).chain(IMPLIES.iter().map(|(name, _)| name)) {
        if !doc.scopes.iter().any(|s| s.name == *required) {
            return Err(profile_error(
                "components.securitySchemes",
                format!("the spec no longer declares scope `{required}`"),
            ));
        }
    }
    for route in &mut doc.routes {
        route.owner_check = owner_checked(&route.any_of);
    }
    doc.routes.extend(git_routes());
    // The same checks the engine makes on load, so a bad regeneration fails here.
    Profile::compile(doc.clone())?;
    Ok(doc)
}

/// Git smart HTTP on `https://bitbucket.org/{workspace}/{repo_slug}[.git]/...`: clone and fetch
/// read, push writes.
fn git_routes() -> Vec<RouteDef> {
    let sets = |pair: [&str; 2]| pair.iter().map(|s| vec![(*s).to_owned()]).collect::<Vec<_>>();
    let route = |method: &str, tail: &str, query: Option<&str>, pair: [&str; 2], level| RouteDef {
        method: method.to_owned(),
        path: format!("/{{workspace}}/{{repo_slug}}/{tail}"),
        any_of: sets(pair),
        query: query.map(str::to_owned),
        level: Some(level),
        owner_check: false,
    };
    vec![
        route("GET", "info/refs", Some("service=git-upload-pack"), READ, Level::Read),
        route("GET", "info/refs", Some("service=git-receive-pack"), WRITE, Level::Write),
        route("POST", "git-upload-pack", None, READ, Level::Read),
        route("POST", "git-receive-pack", None, WRITE, Level::Write),
    ]
}

/// Whether every granular scope of an operation is on an object the origin checks ownership
/// of (snippets, a user's keys, the user): `false` without granular scopes.
fn owner_checked(any_of: &[Vec<String>]) -> bool {
    let mut granular = any_of.iter().flatten().filter_map(|s| s.strip_suffix(":bitbucket")).peekable();
    granular.peek().is_some()
        && granular.all(|s| s.split_once(':').is_some_and(|(_, object)| ACCOUNT_LEVEL_GRANULAR.contains(&object)))
}

/// The minimum user permission for a scope; the rule is in the module docs.
fn level(scope: &str) -> Option<Level> {
    if let Some(rest) = scope.strip_suffix(":bitbucket") {
        let (action, resource) = rest.split_once(':').unwrap_or((rest, ""));
        if ACCOUNT_LEVEL_GRANULAR.contains(&resource) {
            return None;
        }
        if resource == "webhook" || resource == "permission" {
            return Some(Level::Admin);
        }
        return Some(match action {
            "read" => Level::Read,
            "write" => Level::Write,
            _ => Level::Admin,
        });
    }
    if ACCOUNT_LEVEL.contains(&scope) {
        return None;
    }
    Some(match scope.split_once(':') {
        None if scope == "webhook" => Level::Admin,
        None if scope == "wiki" => Level::Write,
        None => Level::Read,
        Some((_, "write")) => Level::Write,
        Some(_) => Level::Admin,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_follow_the_documented_rule() {
        let cases = [
            ("repository", Some(Level::Read)),
            ("repository:write", Some(Level::Write)),
            ("repository:admin", Some(Level::Admin)),
            ("repository:delete", Some(Level::Admin)),
            ("project:admin", Some(Level::Admin)),
            ("pipeline:variable", Some(Level::Admin)),
            ("webhook", Some(Level::Admin)),
            ("wiki", Some(Level::Write)),
            ("account", None),
            ("email", None),
            ("snippet:write", None),
            ("team", None),
            ("read:repository:bitbucket", Some(Level::Read)),
            ("write:pullrequest:bitbucket", Some(Level::Write)),
            ("admin:project:bitbucket", Some(Level::Admin)),
            ("delete:repository:bitbucket", Some(Level::Admin)),
            ("read:webhook:bitbucket", Some(Level::Admin)),
            ("write:permission:bitbucket", Some(Level::Admin)),
            ("read:user:bitbucket", None),
            ("delete:ssh-key:bitbucket", None),
            ("frobnicate:bitbucket", Some(Level::Admin)),
            ("repository:frobnicate", Some(Level::Admin)),
        ];
        for (scope, want) in cases {
            assert_eq!(level(scope), want, "{scope}");
        }
    }

    #[test]
    fn owner_checked_routes_have_only_snippet_key_or_user_granular_scopes() {
        let sets = |v: &[&[&str]]| v.iter().map(|s| s.iter().map(|x| (*x).to_owned()).collect()).collect::<Vec<_>>();
        assert!(owner_checked(&sets(&[&["snippet:write"], &["delete:snippet:bitbucket"]])));
        assert!(owner_checked(&sets(&[&["account"], &["read:user:bitbucket"]])));
        assert!(owner_checked(&sets(&[&["read:ssh-key:bitbucket", "write:ssh-key:bitbucket"]])));
        assert!(!owner_checked(&sets(&[&["account"], &["read:workspace:bitbucket"]])));
        assert!(!owner_checked(&sets(&[&["read:snippet:bitbucket", "read:repository:bitbucket"]])));
        assert!(!owner_checked(&sets(&[&["snippet"]])), "classic scopes alone say nothing about ownership");
        assert!(!owner_checked(&sets(&[&[]])));
    }

    #[test]
    fn git_routes_need_repository_read_or_write() {
        let routes = git_routes();
        assert_eq!(routes.len(), 4);
        for r in &routes {
            let fetch = r.path.ends_with("git-upload-pack") || r.query.as_deref() == Some("service=git-upload-pack");
            assert_eq!(r.level, Some(if fetch { Level::Read } else { Level::Write }), "{} {}", r.method, r.path);
        }
        assert!(routes.iter().all(|r| r.path.starts_with("/{workspace}/{repo_slug}/")));
        let push = routes.iter().find(|r| r.path.ends_with("git-receive-pack")).unwrap();
        assert_eq!(
            push.any_of,
            vec![vec!["repository:write".to_owned()], vec!["write:repository:bitbucket".to_owned()]]
        );
    }
}
