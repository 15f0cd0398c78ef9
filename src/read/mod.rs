//! The one reader of JSON input: states, changes documents and profiles, read straight from the
//! text into their documents (no `serde_json::Value` tree in between) while keeping the JSON
//! path of every value, so each error names where it is (`tokens[41].expires_at: expected an
//! RFC 3339 time, got "tomorrow"`).
//!
//! - this module: paths, the first failure, and the readers every document is made of (leaves
//!   such as times and CIDR blocks, lists, objects with known keys);
//! - `state`: the state document (DESIGN.md §3), its token objects (also what an NDJSON token
//!   list and a changes document's `upsert` hold) and the policy-change keys;
//! - `changes`: the changes document a delta is built from;
//! - `profile`: a profile document (what `profileFromOpenApi` returns, inline in a state).
//!
//! Reading checks only what a value is on its own (a time, a CIDR block, a known key); what
//! values mean together (a token's principal exists, a resource resolves) is checked by
//! whoever compiles the document (`state`, `bundle::changes`).
//!
//! NOTE: hand-written readers over serde's streaming `Deserializer`, not derives plus
//! `serde_path_to_error`: derives monomorphise a visitor per type and wrapper (~130 KB of
//! .wasm), cannot say "expected an RFC 3339 time, got number `5`", and do not refuse a token
//! pasted into the wrong field. A million-token state reads about as fast as with derives: the
//! path is a list of steps on the stack, rendered only for an error.

mod changes;
mod profile;
mod state;

pub(crate) use changes::changes;
pub(crate) use profile::ProfileSource;
pub(crate) use state::{
    policy_change, state, token, NetworkDoc, PolicyChangeDoc, PolicyDoc, PrincipalDoc, StateDoc, TokenDoc,
    TokenPermissionsDoc,
};

use std::cell::Cell;
use std::fmt;
use std::marker::PhantomData;

use ipnet::IpNet;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::directory::Level;
use crate::error::Error;
use crate::redact::{may_quote, quoted, ticked};
use crate::time::Timestamp;
use crate::token::has_token_prefix;

/// Where a value sits: a list of steps on the stack, built as the reader descends.
#[derive(Clone, Copy)]
pub(crate) enum Path<'a> {
    Root,
    Key(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl Path<'_> {
    /// `tokens[41].expires_at`; the root is empty.
    pub(crate) fn render(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) {
        match self {
            Path::Root => {}
            Path::Key(parent, key) => {
                parent.write(out);
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Path::Index(parent, i) => {
                parent.write(out);
                out.push('[');
                out.push_str(&i.to_string());
                out.push(']');
            }
        }
    }
}

/// The first problem found: kept here while serde unwinds with an error that says nothing.
#[derive(Default)]
pub(crate) struct Failure(Cell<Option<Error>>);

/// A place in the document being read: its path and where a failure goes.
#[derive(Clone, Copy)]
pub(crate) struct At<'a> {
    path: &'a Path<'a>,
    failure: &'a Failure,
}

impl<'a> At<'a> {
    /// Records `message` at this place; the returned error only stops serde.
    pub(crate) fn fail<E: de::Error>(&self, message: impl Into<String>) -> E {
        self.failure.0.set(Some(Error::state(self.path.render(), message)));
        E::custom("see the recorded failure")
    }

    /// A place below this one.
    fn below<'b>(&self, path: &'b Path<'b>) -> At<'b>
    where
        'a: 'b,
    {
        At { path, failure: self.failure }
    }
}

/// Reads one document from `text` as `shape`: its result, or the first failure with its path,
/// or `not valid JSON: ...` for text that is not JSON (or has more after the value).
pub(crate) fn document<S: Shape>(text: &str, shape: S) -> Result<S::Out, Error> {
    let failure = Failure::default();
    let root = Path::Root;
    let at = At { path: &root, failure: &failure };
    let mut de = serde_json::Deserializer::from_str(text);
    let read = ShapeSeed { shape: &shape, at }.deserialize(&mut de).and_then(|out| de.end().map(|()| out));
    read.map_err(|e| failure.0.take().unwrap_or_else(|| Error::state("", format!("not valid JSON: {e}"))))
}

/// Whether `text` is a JSON object with `key`, its values skipped unread (a preview's proposal
/// is a whole state when it has `issued_at`, else a policy change). `Err` with serde's message
/// when the text is not JSON.
pub(crate) fn has_key(text: &str, key: &str) -> Result<bool, serde_json::Error> {
    struct V<'k>(&'k str);
    impl<'de> Visitor<'de> for V<'_> {
        type Value = bool;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON value")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
            let mut found = false;
            while let Some(k) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                found |= k == self.0;
                map.next_value::<de::IgnoredAny>()?;
            }
            Ok(found)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
            while seq.next_element::<de::IgnoredAny>()?.is_some() {}
            Ok(false)
        }
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<bool, E> {
            Ok(false)
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<bool, E> {
            Ok(false)
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<bool, E> {
            Ok(false)
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<bool, E> {
            Ok(false)
        }
        fn visit_str<E: de::Error>(self, _: &str) -> Result<bool, E> {
            Ok(false)
        }
        fn visit_unit<E: de::Error>(self) -> Result<bool, E> {
            Ok(false)
        }
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let found = de.deserialize_any(V(key))?;
    de.end()?;
    Ok(found)
}

// ---------------------------------------------------------------------------------------------
// Shapes: what a reader takes, and the one visitor they all read through.

/// What a JSON value turned out to be.
#[derive(Clone, Copy)]
pub(crate) enum Got<'v> {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(&'v str),
}

impl fmt::Display for Got<'_> {
    /// For "expected X, got Y": a string only as [`quoted`] allows.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Got::Null => f.write_str("null"),
            Got::Bool(b) => write!(f, "boolean `{b}`"),
            Got::Int(n) => write!(f, "number `{n}`"),
            Got::UInt(n) => write!(f, "number `{n}`"),
            Got::Float(x) => match serde_json::Number::from_f64(*x) {
                Some(n) => write!(f, "number `{n}`"),
                None => f.write_str("a number"),
            },
            Got::Str(s) => write!(f, "string {}", quoted(s)),
        }
    }
}

/// Why a reader refused a value that is not a list or an object.
pub(crate) enum Refused {
    /// Not a JSON type it takes: "expected X, got Y".
    Kind,
    /// The right type, but not a value it takes.
    Because(String),
}

/// A reader by the JSON types it takes: a value that is not a list or an object
/// ([`Shape::take`]), a list, an object. Anything else is "expected X, got Y".
pub(crate) trait Shape {
    type Out;
    /// What it takes, for "expected X, got Y" (`an RFC 3339 time`).
    fn expected(&self) -> String;
    /// A value that is not a list or an object (`null` included).
    fn take(&self, _got: Got<'_>) -> Result<Self::Out, Refused> {
        Err(Refused::Kind)
    }
    fn list<'de, A: SeqAccess<'de>>(&self, at: At<'_>, _seq: A) -> Result<Self::Out, A::Error> {
        Err(at.fail(format!("expected {}, got an array", self.expected())))
    }
    fn object<'de, A: MapAccess<'de>>(&self, at: At<'_>, _map: A) -> Result<Self::Out, A::Error> {
        Err(at.fail(format!("expected {}, got an object", self.expected())))
    }
}

/// Every shape reads through this seed and visitor.
struct ShapeSeed<'r, 'a, S> {
    shape: &'r S,
    at: At<'a>,
}

impl<S: Shape> ShapeSeed<'_, '_, S> {
    fn got<E: de::Error>(&self, got: Got<'_>) -> Result<S::Out, E> {
        match self.shape.take(got) {
            Ok(out) => Ok(out),
            Err(Refused::Kind) => Err(self.at.fail(format!("expected {}, got {got}", self.shape.expected()))),
            Err(Refused::Because(message)) => Err(self.at.fail(message)),
        }
    }
}

impl<'de, S: Shape> DeserializeSeed<'de> for ShapeSeed<'_, '_, S> {
    type Value = S::Out;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<S::Out, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, S: Shape> Visitor<'de> for ShapeSeed<'_, '_, S> {
    type Value = S::Out;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shape.expected())
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<S::Out, E> {
        self.got(Got::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<S::Out, E> {
        self.got(Got::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<S::Out, E> {
        self.got(Got::UInt(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<S::Out, E> {
        self.got(Got::Float(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<S::Out, E> {
        self.got(Got::Str(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<S::Out, E> {
        self.got(Got::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<S::Out, A::Error> {
        self.shape.list(self.at, seq)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<S::Out, A::Error> {
        self.shape.object(self.at, map)
    }
}

/// `null` as absent (an object's field): `None`, else what `S` takes.
struct Maybe<'r, S>(&'r S);

impl<S: Shape> Shape for Maybe<'_, S> {
    type Out = Option<S::Out>;
    fn expected(&self) -> String {
        self.0.expected()
    }
    fn take(&self, got: Got<'_>) -> Result<Self::Out, Refused> {
        match got {
            Got::Null => Ok(None),
            got => self.0.take(got).map(Some),
        }
    }
    fn list<'de, A: SeqAccess<'de>>(&self, at: At<'_>, seq: A) -> Result<Self::Out, A::Error> {
        self.0.list(at, seq).map(Some)
    }
    fn object<'de, A: MapAccess<'de>>(&self, at: At<'_>, map: A) -> Result<Self::Out, A::Error> {
        self.0.object(at, map).map(Some)
    }
}

/// A string a state must not hold outside `secret`: a token prefix and a token's length.
pub(crate) fn looks_like_secret(text: &str) -> bool {
    has_token_prefix(text) && !may_quote(text)
}

/// A string that is not a token secret. NOTE: a secret pasted into any field but `secret`
/// would be copied into bundles, decisions and logs, so every string the reader takes is
/// refused here when it looks like one, named only by its length.
fn plain(text: &str) -> Result<&str, Refused> {
    if looks_like_secret(text) {
        return Err(Refused::Because(format!(
            "this looks like a token secret ({} characters with a token prefix); a secret goes only in `secret`, or as its SHA-256 in `secret_sha256`",
            text.chars().count()
        )));
    }
    Ok(text)
}

/// A string (not a token secret); `what` it stands for in "expected X" (`a string`, `a token id`).
#[derive(Clone, Copy)]
pub(crate) struct Text(pub &'static str);

/// Any string.
pub(crate) const TEXT: Text = Text("a string");

impl Shape for Text {
    type Out = String;
    fn expected(&self) -> String {
        self.0.to_owned()
    }
    fn take(&self, got: Got<'_>) -> Result<String, Refused> {
        match got {
            Got::Str(s) => plain(s).map(str::to_owned),
            _ => Err(Refused::Kind),
        }
    }
}

/// An RFC 3339 time.
pub(crate) struct Time;

impl Shape for Time {
    type Out = Timestamp;
    fn expected(&self) -> String {
        "an RFC 3339 time".into()
    }
    fn take(&self, got: Got<'_>) -> Result<Timestamp, Refused> {
        let Got::Str(s) = got else { return Err(Refused::Kind) };
        Timestamp::parse(plain(s)?)
            .ok_or_else(|| Refused::Because(format!("expected an RFC 3339 time, got {}", quoted(s))))
    }
}

/// A CIDR block (or a bare address).
pub(crate) struct Cidr;

impl Shape for Cidr {
    type Out = IpNet;
    fn expected(&self) -> String {
        "a CIDR block".into()
    }
    fn take(&self, got: Got<'_>) -> Result<IpNet, Refused> {
        let Got::Str(s) = got else { return Err(Refused::Kind) };
        parse_cidr(plain(s)?).ok_or_else(|| {
            Refused::Because(format!("expected a CIDR block like \"203.0.113.0/24\", got {}", quoted(s)))
        })
    }
}

/// `true` or `false`.
pub(crate) struct Bool;

impl Shape for Bool {
    type Out = bool;
    fn expected(&self) -> String {
        "true or false".into()
    }
    fn take(&self, got: Got<'_>) -> Result<bool, Refused> {
        match got {
            Got::Bool(b) => Ok(b),
            _ => Err(Refused::Kind),
        }
    }
}

/// A whole number.
pub(crate) struct Int;

impl Shape for Int {
    type Out = i64;
    fn expected(&self) -> String {
        "a whole number".into()
    }
    fn take(&self, got: Got<'_>) -> Result<i64, Refused> {
        match got {
            Got::Int(n) => Ok(n),
            Got::UInt(n) => i64::try_from(n).map_err(|_| Refused::Kind),
            _ => Err(Refused::Kind),
        }
    }
}

/// One of a few names (`"allow"`, `"block"`), with serde's wording for any other.
pub(crate) struct OneOf<T: 'static>(pub &'static [(&'static str, T)]);

impl<T: 'static> OneOf<T> {
    fn names(&self) -> String {
        let names: Vec<String> = self.0.iter().map(|(n, _)| format!("`{n}`")).collect();
        names.join(", ")
    }
}

impl<T: Copy + 'static> Shape for OneOf<T> {
    type Out = T;
    fn expected(&self) -> String {
        format!("one of {}", self.names())
    }
    fn take(&self, got: Got<'_>) -> Result<T, Refused> {
        let Got::Str(s) = got else { return Err(Refused::Kind) };
        let s = plain(s)?;
        match self.0.iter().find(|(n, _)| same(n, s)) {
            Some(&(_, v)) => Ok(v),
            None => Err(Refused::Because(format!("unknown variant {}, expected one of {}", quoted(s), self.names()))),
        }
    }
}

pub(crate) const LEVEL: OneOf<Level> =
    OneOf(&[("read", Level::Read), ("write", Level::Write), ("admin", Level::Admin)]);

/// `a == b` for the short names of keys and choices, eight bytes at a time. NOTE: `==` on
/// strings calls `memcmp`, a byte loop behind a call in WebAssembly, and a state has millions
/// of keys.
fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let (mut wa, mut wb) = (a.chunks_exact(8), b.chunks_exact(8));
    let words = (&mut wa).zip(&mut wb).all(|(x, y)| <[u8; 8]>::try_from(x).ok() == <[u8; 8]>::try_from(y).ok());
    words && wa.remainder().iter().zip(wb.remainder()).all(|(x, y)| x == y)
}

/// Parses `addr/len` or a bare address; host bits are cleared.
#[must_use]
pub fn parse_cidr(text: &str) -> Option<IpNet> {
    let text = text.trim();
    if let Ok(net) = text.parse::<IpNet>() {
        return Some(net.trunc());
    }
    text.parse::<std::net::IpAddr>().ok().map(IpNet::from)
}

/// Reads 64 hex digits (either case).
#[must_use]
pub fn parse_digest_hex(text: &str) -> Option<[u8; 32]> {
    // NOTE: every digit decoded, then one check: no branch out of the loop per digit (a
    // million-token state has 64 million of them).
    let value = |c: u8| {
        let digit = c.wrapping_sub(b'0');
        let letter = (c | 0x20).wrapping_sub(b'a');
        if digit < 10 {
            digit
        } else if letter < 6 {
            letter + 10
        } else {
            0xff
        }
    };
    let bytes: &[u8; 64] = text.as_bytes().try_into().ok()?;
    let mut out = [0u8; 32];
    let mut seen = 0u8;
    for (slot, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
        let [hi, lo] = pair else { return None };
        let (hi, lo) = (value(*hi), value(*lo));
        seen |= hi | lo;
        *slot = hi << 4 | (lo & 0xf);
    }
    (seen < 0x10).then_some(out)
}

// ---------------------------------------------------------------------------------------------
// Lists and objects.

/// A list of what `R` reads, each element at its index.
pub(crate) struct List<R>(pub R);

impl<S: Shape> Shape for List<S> {
    type Out = Vec<S::Out>;
    fn expected(&self) -> String {
        "an array".into()
    }
    fn list<'de, A: SeqAccess<'de>>(&self, at: At<'_>, mut seq: A) -> Result<Self::Out, A::Error> {
        // NOTE: a bounded first guess: a hint comes from the input.
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1 << 16));
        loop {
            let path = Path::Index(at.path, out.len());
            match seq.next_element_seed(ShapeSeed { shape: &self.0, at: at.below(&path) })? {
                Some(item) => out.push(item),
                None => return Ok(out),
            }
        }
    }
}

/// A JSON object with known keys, read field by field into `Fields`, then checked whole.
pub(crate) trait Object: Sized {
    /// The keys it may have, in the order an unknown-key error lists them (at most 64).
    const KEYS: &'static [&'static str];
    /// What it is, for "expected X, got Y".
    const WHAT: &'static str = "an object";
    /// What has been read so far.
    type Fields: Default;
    /// Reads the value of `key` (one of [`Object::KEYS`]) at `at`, with [`field`].
    fn field<'de, A: MapAccess<'de>>(
        fields: &mut Self::Fields,
        key: &str,
        at: At<'_>,
        map: &mut A,
    ) -> Result<(), A::Error>;
    /// The object from its fields: a missing field is a message about the object.
    fn finish(fields: Self::Fields) -> Result<Self, String>;
}

/// The value of the key just read, `None` for `null`.
pub(crate) fn field<'de, A: MapAccess<'de>, S: Shape>(
    map: &mut A,
    at: At<'_>,
    shape: &S,
) -> Result<Option<S::Out>, A::Error> {
    map.next_value_seed(ShapeSeed { shape: &Maybe(shape), at })
}

/// A field that must be there.
pub(crate) fn need<T>(value: Option<T>, key: &str) -> Result<T, String> {
    value.ok_or_else(|| format!("missing field `{key}`"))
}

/// Reads an object's fields from `map` (for a visitor that has found an object).
pub(crate) fn object<'de, O: Object, A: MapAccess<'de>>(at: At<'_>, mut map: A) -> Result<O, A::Error> {
    let mut fields = O::Fields::default();
    let mut seen: u64 = 0;
    let mut hint = 0;
    while let Some(index) = map.next_key_seed(Key { keys: O::KEYS, hint, at })? {
        hint = index + 1;
        let Some(&key) = O::KEYS.get(index) else { return Err(at.fail("unreadable key")) };
        let path = Path::Key(at.path, key);
        let bit = 1u64.checked_shl(u32::try_from(index).unwrap_or(u32::MAX)).unwrap_or(0);
        if seen & bit != 0 {
            return Err(at.below(&path).fail(format!("duplicate field `{key}`: each key once")));
        }
        seen |= bit;
        O::field(&mut fields, key, at.below(&path), &mut map)?;
    }
    O::finish(fields).map_err(|message| at.fail(message))
}

/// Reads a key of an object: its index in `keys`, or an unknown-key failure.
struct Key<'a> {
    keys: &'static [&'static str],
    /// Where to look first: the key after the one before (documents tend to keep one order).
    hint: usize,
    at: At<'a>,
}

impl<'de> DeserializeSeed<'de> for Key<'_> {
    type Value = usize;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<usize, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key<'_> {
    type Value = usize;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }
    fn visit_str<E: de::Error>(self, key: &str) -> Result<usize, E> {
        // NOTE: from the hint on, then from the start: a state's million token objects mostly
        // list their keys in one order, so the first comparison usually finds it.
        let (before, after) = self.keys.split_at(self.hint.min(self.keys.len()));
        let found = after.iter().position(|k| same(k, key)).map(|i| i + self.hint);
        if let Some(i) = found.or_else(|| before.iter().position(|k| same(k, key))) {
            return Ok(i);
        }
        // Unknown keys are errors, so a typo (`expires_on`) is reported instead of ignored. A
        // key that could be a secret is not even put in the path.
        let names: Vec<String> = self.keys.iter().map(|n| format!("`{n}`")).collect();
        let message = format!("unknown field {}, expected one of {}", ticked(key), names.join(", "));
        if may_quote(key) {
            Err(self.at.below(&Path::Key(self.at.path, key)).fail(message))
        } else {
            Err(self.at.fail(message))
        }
    }
}

/// An object read as `O`.
pub(crate) struct Obj<O>(PhantomData<O>);

impl<O> Obj<O> {
    pub(crate) const fn new() -> Self {
        Obj(PhantomData)
    }
}

impl<O: Object> Shape for Obj<O> {
    type Out = O;
    fn expected(&self) -> String {
        O::WHAT.into()
    }
    fn object<'de, A: MapAccess<'de>>(&self, at: At<'_>, map: A) -> Result<O, A::Error> {
        object(at, map)
    }
}

/// A string (read by [`Text`]) or an object (`O`): a state's `profile`, an entry of `revoke`.
pub(crate) struct TextOr<O, T> {
    pub text: Text,
    pub expected: &'static str,
    pub from_text: fn(String) -> T,
    pub from_object: fn(O) -> T,
}

impl<O: Object, T> Shape for TextOr<O, T> {
    type Out = T;
    fn expected(&self) -> String {
        self.expected.into()
    }
    fn take(&self, got: Got<'_>) -> Result<T, Refused> {
        self.text.take(got).map(self.from_text)
    }
    fn object<'de, A: MapAccess<'de>>(&self, at: At<'_>, map: A) -> Result<T, A::Error> {
        object(at, map).map(self.from_object)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_render_as_written() {
        let root = Path::Root;
        let tokens = Path::Key(&root, "tokens");
        let first = Path::Index(&tokens, 41);
        let field = Path::Key(&first, "expires_at");
        assert_eq!(field.render(), "tokens[41].expires_at");
        assert_eq!(Path::Index(&root, 0).render(), "[0]");
        assert_eq!(Path::Key(&root, "id").render(), "id");
        assert_eq!(root.render(), "");
    }

    #[test]
    fn leaves_say_what_they_expected_and_what_they_got() {
        let err = |text: &str, reader: &dyn Fn(&str) -> Result<(), Error>| reader(text).unwrap_err().to_string();
        let time = |t: &str| document(t, Time).map(|_| ());
        assert_eq!(err("5", &time), "expected an RFC 3339 time, got number `5`");
        assert_eq!(err("1.5", &time), "expected an RFC 3339 time, got number `1.5`");
        assert_eq!(err("[1]", &time), "expected an RFC 3339 time, got an array");
        assert_eq!(err("\"x\"", &time), "expected an RFC 3339 time, got \"x\"");
        let int = |t: &str| document(t, Int).map(|_| ());
        assert_eq!(err("18446744073709551615", &int), "expected a whole number, got number `18446744073709551615`");
        assert_eq!(err("{}", &int), "expected a whole number, got an object");
        assert_eq!(document("-3", Int).ok(), Some(-3));
        let list = |t: &str| document(t, List(TEXT)).map(|_| ());
        assert_eq!(err("[\"a\", 2]", &list), "[1]: expected a string, got number `2`");
        assert_eq!(err("true", &list), "expected an array, got boolean `true`");
        assert!(err("[\"a\"", &list).starts_with("not valid JSON: EOF while parsing a list"));
        assert!(err("\"a\" x", &|t| document(t, TEXT).map(|_| ())).starts_with("not valid JSON: trailing characters"));
    }

    #[test]
    fn has_key_looks_at_the_top_level_only() {
        assert_eq!(has_key(r#"{"a": {"issued_at": 1}, "issued_\u0061t": null}"#, "issued_at").ok(), Some(true));
        assert_eq!(has_key(r#"{"a": {"issued_at": 1}}"#, "issued_at").ok(), Some(false));
        assert_eq!(has_key(r#"["issued_at"]"#, "issued_at").ok(), Some(false));
        assert!(has_key(r#"{"issued_at": }"#, "issued_at").is_err());
    }

    #[test]
    fn digests_take_hex_digits_and_nothing_else() {
        let hex = "00112233445566778899aabbccddeeffAABBCCDDEEFF00112233445566778899";
        for at in [0, 1, 37, 63] {
            for c in 0..=255u8 {
                let mut bytes = hex.as_bytes().to_vec();
                bytes[at] = c;
                let Ok(text) = String::from_utf8(bytes) else { continue };
                let want = char::from(c).to_digit(16).map(|v| u8::try_from(v).unwrap());
                let got = parse_digest_hex(&text).map(|d| if at % 2 == 0 { d[at / 2] >> 4 } else { d[at / 2] & 0xf });
                assert_eq!(got, want, "{c:#x} at {at}");
            }
        }
    }

    #[test]
    fn digests_read_in_either_case() {
        let hex = "0B8b6f4c1b5a2f3e5e7e8c2d1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a";
        let digest = parse_digest_hex(hex).unwrap();
        assert_eq!((digest[0], digest[31]), (0x0b, 0x2a));
        assert_eq!(parse_digest_hex(hex.get(1..).unwrap()), None);
        assert_eq!(parse_digest_hex(&hex.replace('B', "g")), None);
        assert_eq!(parse_digest_hex(&format!("é{}", hex.get(2..).unwrap())), None);
    }
}
