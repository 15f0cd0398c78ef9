//! A profile document (docs/profiles.md): what `profileFromOpenApi` returns, given back inline
//! as a state's `profile` or read on its own with [`ProfileDoc::from_json`]. Field for field
//! as `ProfileDoc` serialises; unknown keys are errors, `null` is absent.

use serde::de::MapAccess;

use super::{document, field, need, At, Bool, List, Obj, Object, Text, TextOr, LEVEL, TEXT};
use crate::directory::Level;
use crate::error::Error;
use crate::profile::{ProfileDoc, RouteDef, ScopeDef};

/// A state's `profile`: a built-in profile's name, or a whole profile.
pub(crate) enum ProfileSource {
    Named(String),
    Inline(ProfileDoc),
}

impl ProfileDoc {
    /// Reads a profile document (JSON, as `profileFromOpenApi` returns it and a state's
    /// `profile` holds it). It is checked further when compiled ([`Profile::compile`](crate::Profile::compile)).
    ///
    /// # Errors
    /// `Error::Profile` naming the JSON path and what was expected
    /// (`routes[3].any_of[0][1]: expected a string, got number `5``).
    ///
    /// # Examples
    /// ```
    /// use scopegate::ProfileDoc;
    /// let doc = ProfileDoc::from_json(r#"{"name": "tiny", "base_path": "", "scopes": [], "routes": []}"#).unwrap();
    /// assert_eq!(doc.name, "tiny");
    /// let e = ProfileDoc::from_json(r#"{"name": "tiny", "base_path": "", "scopes": [{"name": 5}], "routes": []}"#);
    /// assert_eq!(e.unwrap_err().to_string(), "scopes[0].name: expected a scope name, got number `5`");
    /// ```
    pub fn from_json(json: &str) -> Result<ProfileDoc, Error> {
        document(json, Obj::<ProfileDoc>::new()).map_err(|e| match e {
            Error::State { path, message } => Error::Profile { path, message },
            other => other,
        })
    }
}

impl ProfileSource {
    pub(crate) const READER: TextOr<ProfileDoc, ProfileSource> = TextOr {
        text: TEXT,
        expected: "a built-in profile's name or a profile object",
        from_text: ProfileSource::Named,
        from_object: ProfileSource::Inline,
    };
}

const SCOPE: Text = Text("a scope name");

#[derive(Default)]
pub(crate) struct ProfileFields {
    name: Option<String>,
    base_path: Option<String>,
    scopes: Option<Vec<ScopeDef>>,
    routes: Option<Vec<RouteDef>>,
}

impl Object for ProfileDoc {
    const KEYS: &'static [&'static str] = &["name", "base_path", "scopes", "routes"];
    const WHAT: &'static str = "a profile object";
    type Fields = ProfileFields;
    fn field<'de, A: MapAccess<'de>>(
        f: &mut ProfileFields,
        key: &str,
        at: At<'_>,
        map: &mut A,
    ) -> Result<(), A::Error> {
        match key {
            "name" => f.name = field(map, at, &TEXT)?,
            "base_path" => f.base_path = field(map, at, &TEXT)?,
            "scopes" => f.scopes = field(map, at, &List(Obj::<ScopeDef>::new()))?,
            _ => f.routes = field(map, at, &List(Obj::<RouteDef>::new()))?,
        }
        Ok(())
    }
    fn finish(f: ProfileFields) -> Result<ProfileDoc, String> {
        Ok(ProfileDoc {
            name: need(f.name, "name")?,
            base_path: need(f.base_path, "base_path")?,
            scopes: need(f.scopes, "scopes")?,
            routes: need(f.routes, "routes")?,
        })
    }
}

#[derive(Default)]
pub(crate) struct ScopeFields {
    name: Option<String>,
    implies: Option<Vec<String>>,
    level: Option<Level>,
}

impl Object for ScopeDef {
    const KEYS: &'static [&'static str] = &["name", "implies", "level"];
    type Fields = ScopeFields;
    fn field<'de, A: MapAccess<'de>>(f: &mut ScopeFields, key: &str, at: At<'_>, map: &mut A) -> Result<(), A::Error> {
        match key {
            "name" => f.name = field(map, at, &SCOPE)?,
            "implies" => f.implies = field(map, at, &List(SCOPE))?,
            _ => f.level = field(map, at, &LEVEL)?,
        }
        Ok(())
    }
    fn finish(f: ScopeFields) -> Result<ScopeDef, String> {
        Ok(ScopeDef { name: need(f.name, "name")?, implies: f.implies.unwrap_or_default(), level: f.level })
    }
}

#[derive(Default)]
pub(crate) struct RouteFields {
    method: Option<String>,
    path: Option<String>,
    any_of: Option<Vec<Vec<String>>>,
    query: Option<String>,
    level: Option<Level>,
    owner_check: Option<bool>,
}

impl Object for RouteDef {
    const KEYS: &'static [&'static str] = &["method", "path", "any_of", "query", "level", "owner_check"];
    type Fields = RouteFields;
    fn field<'de, A: MapAccess<'de>>(f: &mut RouteFields, key: &str, at: At<'_>, map: &mut A) -> Result<(), A::Error> {
        match key {
            "method" => f.method = field(map, at, &TEXT)?,
            "path" => f.path = field(map, at, &TEXT)?,
            "any_of" => f.any_of = field(map, at, &List(List(SCOPE)))?,
            "query" => f.query = field(map, at, &TEXT)?,
            "level" => f.level = field(map, at, &LEVEL)?,
            _ => f.owner_check = field(map, at, &Bool)?,
        }
        Ok(())
    }
    fn finish(f: RouteFields) -> Result<RouteDef, String> {
        Ok(RouteDef {
            method: need(f.method, "method")?,
            path: need(f.path, "path")?,
            any_of: need(f.any_of, "any_of")?,
            query: f.query,
            level: f.level,
            owner_check: f.owner_check.unwrap_or(false),
        })
    }
}
