//! A changes document (`bundle::changes` applies it to a base bundle):
//!
//! ```json
//! {"issued_at": "2026-11-22T11:00:00Z",
//!  "revoke": [{"id": "t-1", "at": "2026-11-22T10:55:00Z"}, "t-3"],
//!  "remove": ["t-2"],
//!  "upsert": [{"id": "t-9", "kind": "api_token", "secret_sha256": "...", "principal": "u-mary"}],
//!  "policies": [], "default_policy": {}, "network": {}, "token_permissions": {}, "unknown_route": "deny"}
//! ```

use serde::de::MapAccess;

use super::state::{PolicyChangeDoc, TokenDoc, TOKEN_ID};
use super::{document, field, need, At, List, Obj, Object, TextOr, Time};
use crate::error::Error;
use crate::time::Timestamp;

pub(crate) struct ChangesDoc {
    pub issued_at: Timestamp,
    pub revoke: Vec<Revocation>,
    pub remove: Vec<String>,
    pub upsert: Vec<TokenDoc>,
    pub policy: PolicyChangeDoc,
}

/// One entry of `revoke`: a token id, or `{"id", "at"}`.
pub(crate) struct Revocation {
    pub id: String,
    pub at: Option<Timestamp>,
    /// Written as an object: errors about the id name `revoke[i].id`, not `revoke[i]`.
    pub object: bool,
}

/// Reads a changes document.
pub(crate) fn changes(text: &str) -> Result<ChangesDoc, Error> {
    document(text, Obj::<ChangesDoc>::new())
}

#[derive(Default)]
pub(crate) struct ChangesFields {
    issued_at: Option<Timestamp>,
    revoke: Option<Vec<Revocation>>,
    remove: Option<Vec<String>>,
    upsert: Option<Vec<TokenDoc>>,
    policy: PolicyChangeDoc,
}

impl Object for ChangesDoc {
    const KEYS: &'static [&'static str] = &[
        "issued_at",
        "revoke",
        "remove",
        "upsert",
        "policies",
        "default_policy",
        "network",
        "token_permissions",
        "unknown_route",
    ];
    const WHAT: &'static str = "a changes object";
    type Fields = ChangesFields;
    fn field<'de, A: MapAccess<'de>>(
        f: &mut ChangesFields,
        key: &str,
        at: At<'_>,
        map: &mut A,
    ) -> Result<(), A::Error> {
        match key {
            "issued_at" => f.issued_at = field(map, at, &Time)?,
            "revoke" => f.revoke = field(map, at, &List(REVOCATION))?,
            "remove" => f.remove = field(map, at, &List(TOKEN_ID))?,
            "upsert" => f.upsert = field(map, at, &List(Obj::<TokenDoc>::new()))?,
            _ => PolicyChangeDoc::field(&mut f.policy, key, at, map)?,
        }
        Ok(())
    }
    fn finish(f: ChangesFields) -> Result<ChangesDoc, String> {
        Ok(ChangesDoc {
            issued_at: need(f.issued_at, "issued_at")?,
            revoke: f.revoke.unwrap_or_default(),
            remove: f.remove.unwrap_or_default(),
            upsert: f.upsert.unwrap_or_default(),
            policy: f.policy,
        })
    }
}

#[derive(Default)]
pub(crate) struct RevocationFields {
    id: Option<String>,
    at: Option<Timestamp>,
}

impl Object for Revocation {
    const KEYS: &'static [&'static str] = &["id", "at"];
    type Fields = RevocationFields;
    fn field<'de, A: MapAccess<'de>>(
        f: &mut RevocationFields,
        key: &str,
        at: At<'_>,
        map: &mut A,
    ) -> Result<(), A::Error> {
        match key {
            "id" => f.id = field(map, at, &TOKEN_ID)?,
            _ => f.at = field(map, at, &Time)?,
        }
        Ok(())
    }
    fn finish(f: RevocationFields) -> Result<Revocation, String> {
        Ok(Revocation { id: need(f.id, "id")?, at: f.at, object: true })
    }
}

/// A [`Revocation`] in either form.
const REVOCATION: TextOr<Revocation, Revocation> = TextOr {
    text: TOKEN_ID,
    expected: "a token id or {\"id\", \"at\"}",
    from_text: |id| Revocation { id, at: None, object: false },
    from_object: |r| r,
};
