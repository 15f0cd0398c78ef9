//! A small reader over `serde_json::Value` that knows where it is (`tokens[41].expires_at`).
//!
//! NOTE: hand-written instead of serde derives + serde_path_to_error: those monomorphise a
//! visitor per type and per wrapper, which cost ~130 KB of the .wasm; this walks one tree.

use ipnet::IpNet;
use serde_json::{Map, Value};

use crate::error::{may_quote, quoted, ticked, Error};
use crate::time::Timestamp;
use crate::token::has_token_prefix;

/// A JSON value and its path.
#[derive(Clone, Copy)]
pub(crate) struct At<'a> {
    pub value: &'a Value,
    path: &'a Path<'a>,
}

/// A path as a linked list of steps, built on the stack as the walk descends.
pub(crate) enum Path<'a> {
    Root,
    Key(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl Path<'_> {
    /// `tokens[41].expires_at`; the root is empty.
    pub fn render(&self) -> String {
        match self {
            Path::Root => String::new(),
            Path::Key(parent, key) => {
                let p = parent.render();
                if p.is_empty() {
                    (*key).to_string()
                } else {
                    format!("{p}.{key}")
                }
            }
            Path::Index(parent, i) => format!("{}[{i}]", parent.render()),
        }
    }
}

/// What a JSON value is, for "expected X, got Y" (a string only as [`quoted`] allows).
pub(crate) fn kind(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("boolean `{b}`"),
        Value::Number(n) => format!("number `{n}`"),
        Value::String(s) => format!("string {}", quoted(s)),
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
    }
}

/// A string a state must not hold outside `secret`: a token prefix and a token's length.
pub(crate) fn looks_like_secret(text: &str) -> bool {
    has_token_prefix(text) && !may_quote(text)
}

/// Parses JSON text; a syntax error says where.
pub(crate) fn parse(text: &str) -> Result<Value, Error> {
    serde_json::from_str(text).map_err(|e| Error::state("", format!("not valid JSON: {e}")))
}

impl<'a> At<'a> {
    pub fn root(value: &'a Value, path: &'a Path<'a>) -> At<'a> {
        At { value, path }
    }

    pub fn path(&self) -> String {
        self.path.render()
    }

    pub fn err<T>(&self, message: impl Into<String>) -> Result<T, Error> {
        Err(Error::state(self.path(), message))
    }

    fn expected<T>(&self, what: &str) -> Result<T, Error> {
        self.err(format!("expected {what}, got {}", kind(self.value)))
    }

    /// A string that is not a token secret: a secret pasted into a field other than `secret`
    /// would be copied into bundles, decisions and logs, so it is refused here, where every
    /// string of the state is read.
    pub fn str(&self) -> Result<&'a str, Error> {
        let text = self.secret()?;
        if looks_like_secret(text) {
            return self.err(format!(
                "this looks like a token secret ({} characters with a token prefix); a secret goes only in `secret`, or as its SHA-256 in `secret_sha256`",
                text.chars().count()
            ));
        }
        Ok(text)
    }

    /// A string standing for `what` (`an RFC 3339 time`): "expected X" for another type, and the
    /// refusal of [`At::str`] for a token.
    fn text(&self, what: &str) -> Result<&'a str, Error> {
        if self.value.is_string() {
            self.str()
        } else {
            self.expected(what)
        }
    }

    /// A string that may be a secret (the `secret` field): never quoted back.
    pub fn secret(&self) -> Result<&'a str, Error> {
        self.value.as_str().map_or_else(|| self.expected("a string"), Ok)
    }

    pub fn string(&self) -> Result<String, Error> {
        self.str().map(str::to_string)
    }

    pub fn bool(&self) -> Result<bool, Error> {
        self.value.as_bool().map_or_else(|| self.expected("true or false"), Ok)
    }

    pub fn int(&self) -> Result<i64, Error> {
        self.value.as_i64().map_or_else(|| self.expected("a whole number"), Ok)
    }

    pub fn time(&self) -> Result<Timestamp, Error> {
        let text = self.text("an RFC 3339 time")?;
        Timestamp::parse(text).map_or_else(|| self.err(format!("expected an RFC 3339 time, got {}", quoted(text))), Ok)
    }

    pub fn cidr(&self) -> Result<IpNet, Error> {
        let text = self.text("a CIDR block")?;
        super::input::parse_cidr(text).map_or_else(
            || self.err(format!("expected a CIDR block like \"203.0.113.0/24\", got {}", quoted(text))),
            Ok,
        )
    }

    /// One of `choices` (`"allow"` / `"block"`), with serde's wording for anything else.
    pub fn one_of<T: Copy>(&self, choices: &[(&str, T)]) -> Result<T, Error> {
        let names: Vec<String> = choices.iter().map(|(n, _)| format!("`{n}`")).collect();
        let text = self.text(&format!("one of {}", names.join(", ")))?;
        match choices.iter().find(|(n, _)| *n == text) {
            Some(&(_, v)) => Ok(v),
            None => self.err(format!("unknown variant {}, expected one of {}", quoted(text), names.join(", "))),
        }
    }

    pub fn obj(&self) -> Result<Obj<'a>, Error> {
        match self.value {
            Value::Object(map) => Ok(Obj { map, at: *self }),
            _ => self.expected("an object"),
        }
    }

    /// Calls `each` for every element with its indexed path.
    pub fn each<T>(&self, mut each: impl FnMut(At<'_>) -> Result<T, Error>) -> Result<Vec<T>, Error> {
        let Value::Array(items) = self.value else {
            return self.expected("an array");
        };
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let path = Path::Index(self.path, i);
            out.push(each(At { value: item, path: &path })?);
        }
        Ok(out)
    }

    pub fn strings(&self) -> Result<Vec<String>, Error> {
        self.each(|a| a.string())
    }
}

/// A JSON object being read, with its path.
#[derive(Clone, Copy)]
pub(crate) struct Obj<'a> {
    map: &'a Map<String, Value>,
    at: At<'a>,
}

impl<'a> Obj<'a> {
    /// Unknown keys are errors, so a typo (`expires_on`) is reported instead of ignored.
    pub fn only(&self, allowed: &[&str]) -> Result<(), Error> {
        match self.map.keys().find(|k| !allowed.contains(&k.as_str())) {
            None => Ok(()),
            Some(key) => {
                // A key that could be a secret is not even put in the path.
                let path = if may_quote(key) { Path::Key(self.at.path, key).render() } else { self.at.path() };
                let names: Vec<String> = allowed.iter().map(|n| format!("`{n}`")).collect();
                Err(Error::state(path, format!("unknown field {}, expected one of {}", ticked(key), names.join(", "))))
            }
        }
    }

    /// The value at `key`, or `None` when absent or null.
    pub fn get<T>(&self, key: &str, read: impl FnOnce(At<'_>) -> Result<T, Error>) -> Result<Option<T>, Error> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => {
                let path = Path::Key(self.at.path, key);
                read(At { value, path: &path }).map(Some)
            }
        }
    }

    /// The value at `key`, which must be there.
    pub fn need<T>(&self, key: &str, read: impl FnOnce(At<'_>) -> Result<T, Error>) -> Result<T, Error> {
        self.get(key, read)?.map_or_else(|| self.at.err(format!("missing field `{key}`")), Ok)
    }
}
