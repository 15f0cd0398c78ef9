//! A snapshot back in the state's JSON form (DESIGN.md §3): its policies, for the admin page to
//! edit, and the whole state, for a reviewed change to be exported and rebuilt. What the state
//! reader reads back decides exactly as the snapshot does.

use serde_json::{json, Map, Value};

use crate::directory::{Directory, PrincipalKind, ResourceKey};
use crate::error::Error;
use crate::policy::{ClientIpHeader, Policies, Policy, UnknownRoute};
use crate::profile::Profile;
use crate::snapshot::{Meta, Snapshot};
use crate::state::resolve_resource;
use crate::token::{digest_hex, TokenRecord};

/// The policies of a snapshot in the state's own JSON form, ready to edit and send back.
#[must_use]
pub fn policies_json(meta: &Meta) -> Value {
    let Policies { listed, default } = &meta.policies;
    let mut default_json = policy_json(default);
    if let Value::Object(map) = &mut default_json {
        map.remove("name");
        map.remove("members");
    }
    json!({
        "policies": listed.iter().map(policy_json).collect::<Vec<_>>(),
        "default_policy": default_json,
        "network": {
            "trusted_proxies": meta.network.trusted_proxies.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "client_ip_header": ClientIpHeader::name(meta.network.client_ip_header),
        },
        "token_permissions": {
            "use": meta.token_permissions.use_tokens,
            "create": meta.token_permissions.create,
            "create_write": meta.token_permissions.create_write,
            "create_for_others": meta.token_permissions.create_for_others,
        },
        "unknown_route": match meta.unknown_route { UnknownRoute::Deny => "deny", UnknownRoute::Defer => "defer" },
    })
}

fn policy_json(p: &Policy) -> Value {
    json!({
        "name": p.name,
        "members": {"groups": p.members.groups, "principals": p.members.principals},
        "api_tokens": p.api_tokens,
        "app_passwords": p.app_passwords,
        "password_auth": p.password_auth,
        "max_token_lifetime_days": p.max_token_lifetime_days,
        "ip_allowlist": p.ip_allowlist.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "revoke_issued_before": p.revoke_issued_before.map(|t| t.to_string()),
        "require_2fa": p.require_2fa,
    })
}

/// The whole snapshot as a state document: `issued_at`, profile, resources, principals, tokens
/// (by `secret_sha256`) and policies.
///
/// # Errors
/// A snapshot whose records do not carry whole digests: a signed bundle keeps only the first 16
/// bytes of each, which identify a token but cannot be written back as its `secret_sha256`.
pub fn state_json(snapshot: &Snapshot) -> Result<Value, Error> {
    if !snapshot.tokens.whole_digests() {
        return Err(Error::Input(
            "a signed bundle keeps only the first 16 bytes of each secret digest, so its tokens cannot be \
             written back as a state: export the state from the system of record, or load the state the bundle \
             was built from"
                .into(),
        ));
    }
    let meta = &snapshot.meta;
    let dir = &meta.directory;
    let mut doc = match policies_json(meta) {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    doc.insert("issued_at".into(), meta.issued_at.to_string().into());
    doc.insert("profile".into(), profile_json(&snapshot.profile)?);
    doc.insert(
        "resources".into(),
        json!({
            "workspaces": dir.workspaces().iter().map(|w| json!({"slug": w})).collect::<Vec<_>>(),
            "projects": dir.projects().iter().map(|p| json!({"workspace": p.workspace, "key": p.key})).collect::<Vec<_>>(),
            "repositories": dir.repositories().iter().map(|r| {
                let mut repo = json!({"workspace": r.workspace, "slug": r.slug, "public": r.public});
                if let (Some(project), Value::Object(map)) = (&r.project, &mut repo) {
                    map.insert("project".into(), project.clone().into());
                }
                repo
            }).collect::<Vec<_>>(),
        }),
    );
    let principals = dir.principals().iter().map(|p| {
        let mut out = Map::new();
        out.insert("id".into(), p.id.clone().into());
        let kind = match p.kind {
            PrincipalKind::User => "user",
            PrincipalKind::ServiceAccount => "service_account",
        };
        out.insert("kind".into(), kind.into());
        if let Some(email) = &p.email {
            out.insert("email".into(), email.clone().into());
        }
        if let Some(username) = &p.username {
            out.insert("username".into(), username.clone().into());
        }
        out.insert("status".into(), p.status.as_str().into());
        out.insert("groups".into(), p.groups.clone().into());
        out.insert("two_factor".into(), p.two_factor.into());
        let permissions = p
            .permissions
            .iter()
            .map(|(on, level)| json!({"resource": reference(dir, on), "level": level.as_str()}))
            .collect::<Vec<_>>();
        out.insert("permissions".into(), permissions.into());
        Value::Object(out)
    });
    doc.insert("principals".into(), principals.collect::<Vec<_>>().into());
    doc.insert("tokens".into(), snapshot.tokens.records().map(|t| token_json(dir, &t)).collect::<Vec<_>>().into());
    Ok(Value::Object(doc))
}

/// A built-in profile by its name, any other as the whole document.
fn profile_json(profile: &Profile) -> Result<Value, Error> {
    match Profile::builtin(profile.name()) {
        Some(builtin) if builtin.doc() == profile.doc() => Ok(profile.name().into()),
        _ => serde_json::to_value(profile.doc()).map_err(|e| Error::Input(format!("cannot write the profile: {e}"))),
    }
}

/// The state's short reference (`acme/web`) when it reads back as the same resource, else the
/// explicit one (`repository:acme/web`: a project and a repository share the name).
fn reference(dir: &Directory, key: &ResourceKey) -> String {
    let short = key.short();
    if resolve_resource(dir, &short).as_ref() == Ok(key) {
        short
    } else {
        key.to_string()
    }
}

fn token_json(dir: &Directory, t: &TokenRecord) -> Value {
    let mut out = Map::new();
    out.insert("id".into(), t.id.clone().into());
    out.insert("kind".into(), t.kind.as_str().into());
    out.insert("secret_sha256".into(), digest_hex(&t.digest).into());
    let mut optional = |key: &str, value: Option<Value>| {
        if let Some(value) = value {
            out.insert(key.into(), value);
        }
    };
    optional("label", t.label.clone().map(Value::from));
    optional("principal", t.principal.clone().map(Value::from));
    optional("resource", t.resource.as_ref().map(|r| reference(dir, r).into()));
    optional("access", t.access.map(|a| a.as_str().into()));
    optional("created_at", t.created_at.map(|c| c.to_string().into()));
    optional("created_by", t.created_by.clone().map(Value::from));
    optional("revoked_at", t.revoked_at.map(|r| r.to_string().into()));
    // NOTE: written even when absent: `null` says "never expires" to whoever reads the file.
    out.insert("expires_at".into(), t.expires_at.map_or(Value::Null, |e| e.to_string().into()));
    out.insert("scopes".into(), t.scopes.clone().into());
    if !t.allowed_ips.is_empty() {
        out.insert("allowed_ips".into(), t.allowed_ips.iter().map(ToString::to_string).collect::<Vec<_>>().into());
    }
    Value::Object(out)
}
