//! The fast path of the state reader: token objects read by serde straight into their fields,
//! without building a `serde_json::Value` tree first (at a million tokens the tree was most of
//! the build: 25 of 28 seconds in wasm).
//!
//! It accepts exactly what the path-tracking reader (`input.rs` over `json.rs`) accepts: the
//! same fields, unknown ones refused, `null` read as absent, the same checks on digests, times,
//! CIDRs and secret-looking strings. NOTE: a check added to that reader must be added here too;
//! the property tests below compare the two on generated tokens, secrets included. And it explains nothing: on any problem it gives up (`None`), and the caller runs
//! the path-tracking reader, whose error is the one reported. So every error message has one
//! source, and a bad state costs a second, slower read only when it is bad.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::input::{self, parse_cidr, StateDoc, TokenDoc};
use super::json::{looks_like_secret, At, Path};
use crate::error::Error;
use crate::time::Timestamp;
use crate::token::{AccessMode, TokenKind};

/// A string that borrows from the JSON text unless it had escapes.
struct Str<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Str<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Str<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Str<'a>, E> {
                Ok(Str(Cow::Borrowed(s)))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Str<'a>, E> {
                Ok(Str(Cow::Owned(s.to_owned())))
            }
        }
        d.deserialize_str(V(std::marker::PhantomData))
    }
}

impl Str<'_> {
    /// The string, where any field but `secret` may hold it: `None` for one that looks like a
    /// token secret, which the path-tracking reader refuses (`At::str`).
    fn plain(self) -> Option<String> {
        (!looks_like_secret(&self.0)).then(|| self.0.into_owned())
    }

    fn owned(self) -> String {
        self.0.into_owned()
    }
}

/// [`Str::plain`] of an optional field: `Some(None)` when absent, `None` when refused.
fn plain(text: Option<Str<'_>>) -> Option<Option<String>> {
    match text {
        None => Some(None),
        Some(t) => t.plain().map(Some),
    }
}

/// One token object, field for field as `input::token` reads it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Token<'a> {
    #[serde(borrow)]
    id: Str<'a>,
    kind: TokenKind,
    #[serde(borrow, default)]
    label: Option<Str<'a>>,
    #[serde(borrow, default)]
    secret_sha256: Option<Str<'a>>,
    #[serde(borrow, default)]
    secret: Option<Str<'a>>,
    #[serde(borrow, default)]
    principal: Option<Str<'a>>,
    #[serde(borrow, default)]
    resource: Option<Str<'a>>,
    #[serde(borrow, default)]
    scopes: Option<Vec<Str<'a>>>,
    #[serde(default)]
    access: Option<AccessMode>,
    #[serde(borrow, default)]
    created_at: Option<Str<'a>>,
    #[serde(borrow, default)]
    expires_at: Option<Str<'a>>,
    #[serde(borrow, default)]
    created_by: Option<Str<'a>>,
    #[serde(borrow, default)]
    allowed_ips: Option<Vec<Str<'a>>>,
    #[serde(borrow, default)]
    revoked_at: Option<Str<'a>>,
}

fn time(text: Option<Str<'_>>) -> Option<Option<Timestamp>> {
    match text {
        None => Some(None),
        Some(t) => utc_seconds(&t.0).or_else(|| Timestamp::parse(&t.0)).map(Some),
    }
}

/// The one form exports write, `2026-11-22T10:00:00Z`, read without slicing or `str::parse`;
/// `None` for anything else (then [`Timestamp::parse`], the reference, reads it).
fn utc_seconds(text: &str) -> Option<Timestamp> {
    let b: &[u8; 20] = text.as_bytes().try_into().ok()?;
    let [y0, y1, y2, y3, b'-', mo0, mo1, b'-', d0, d1, b'T', h0, h1, b':', mi0, mi1, b':', s0, s1, b'Z'] = *b else {
        return None;
    };
    let digit = |c: u8| c.is_ascii_digit().then(|| i64::from(c - b'0'));
    let two = |a: u8, b: u8| Some(digit(a)? * 10 + digit(b)?);
    let year = two(y0, y1)? * 100 + two(y2, y3)?;
    let (month, day) = (two(mo0, mo1)?, two(d0, d1)?);
    let (hour, minute, second) = (two(h0, h1)?, two(mi0, mi1)?, two(s0, s1)?);
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let month_days = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        1..=12 => 31,
        _ => return None,
    };
    if day < 1 || day > month_days || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    // Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
    Some(Timestamp(days * 86_400 + hour * 3600 + minute * 60 + second))
}

/// 64 hex digits, as [`parse_digest_hex`](super::parse_digest_hex) (the reference) reads them,
/// without going through `char::to_digit`.
fn digest_hex(text: &str) -> Option<[u8; 32]> {
    let nibble = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    };
    let bytes = text.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (slot, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
        let [hi, lo] = pair else { return None };
        *slot = nibble(*hi)? << 4 | nibble(*lo)?;
    }
    Some(out)
}

impl Token<'_> {
    /// The token as the path-tracking reader would have read it; `None` where it would have
    /// stopped with an error.
    fn doc(self) -> Option<TokenDoc> {
        let secret_sha256 = match self.secret_sha256 {
            None => None,
            Some(hex) => Some(digest_hex(&hex.0)?),
        };
        let mut allowed_ips = Vec::new();
        for text in self.allowed_ips.unwrap_or_default() {
            allowed_ips.push(parse_cidr(&text.0)?);
        }
        let mut scopes = Vec::new();
        for scope in self.scopes.unwrap_or_default() {
            scopes.push(scope.plain()?);
        }
        Some(TokenDoc {
            id: self.id.plain()?,
            kind: self.kind,
            label: plain(self.label)?,
            secret_sha256,
            secret: self.secret.map(Str::owned),
            principal: plain(self.principal)?,
            resource: plain(self.resource)?,
            scopes,
            access: self.access,
            created_at: time(self.created_at)?,
            expires_at: time(self.expires_at)?,
            created_by: plain(self.created_by)?,
            allowed_ips,
            revoked_at: time(self.revoked_at)?,
        })
    }
}

/// One token object (a line of an NDJSON token list), or `None`: read it with the
/// path-tracking reader to learn what is wrong.
pub(crate) fn token(text: &str) -> Option<TokenDoc> {
    serde_json::from_str::<Token<'_>>(text).ok()?.doc()
}

/// The `tokens` list, each entry converted as it is read: no list of raw entries in between.
struct Tokens(Vec<TokenDoc>);

impl<'de> Deserialize<'de> for Tokens {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Tokens;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of tokens")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Tokens, A::Error> {
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1 << 16));
                while let Some(t) = seq.next_element::<Token<'de>>()? {
                    out.push(t.doc().ok_or_else(|| de::Error::custom("a token the slow reader must explain"))?);
                }
                Ok(Tokens(out))
            }
        }
        d.deserialize_seq(V)
    }
}

/// A state document with its tokens read fast and everything else (small) kept as JSON values
/// for the path-tracking reader.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct State {
    #[serde(default)]
    tokens: Option<Tokens>,
    #[serde(default)]
    issued_at: Option<Value>,
    #[serde(default)]
    profile: Option<Value>,
    #[serde(default)]
    resources: Option<Value>,
    #[serde(default)]
    principals: Option<Value>,
    #[serde(default)]
    policies: Option<Value>,
    #[serde(default)]
    default_policy: Option<Value>,
    #[serde(default)]
    network: Option<Value>,
    #[serde(default)]
    token_permissions: Option<Value>,
    #[serde(default)]
    unknown_route: Option<Value>,
}

/// Reads a state document: `None` when the fast path gives up (the caller then reads the whole
/// document with the path-tracking reader), else the document, or the path-tracking reader's
/// error about a part other than the tokens.
pub(crate) fn state(text: &str) -> Option<Result<StateDoc, Error>> {
    let fast: State = serde_json::from_str(text).ok()?;
    let mut rest = Map::new();
    let parts = [
        ("issued_at", fast.issued_at),
        ("profile", fast.profile),
        ("resources", fast.resources),
        ("principals", fast.principals),
        ("policies", fast.policies),
        ("default_policy", fast.default_policy),
        ("network", fast.network),
        ("token_permissions", fast.token_permissions),
        ("unknown_route", fast.unknown_route),
    ];
    for (key, value) in parts {
        if let Some(value) = value {
            rest.insert(key.to_owned(), value);
        }
    }
    let rest = Value::Object(rest);
    let root = Path::Root;
    Some(input::state(At::root(&rest, &root)).map(|mut doc| {
        doc.tokens = fast.tokens.map(|t| t.0).unwrap_or_default();
        doc
    }))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::super::{compile_token, input, json, CompiledState, ResourceCache};
    use super::*;
    use crate::error::Error;
    use crate::token::TokenRecord;

    /// A minted token, where only `secret` may hold one.
    const SECRET: &str = r#""sga_0El6XFXwsUFD8J2vGxsaboW7rZYnQRBP5d9erwRwd291Kwdui""#;

    /// Each field: absent, null, good values, and values of the wrong type or shape.
    const FIELDS: &[(&str, &[&str])] = &[
        ("id", &[r#""t-1""#, r#""t-\u00fc\"x""#, r#""""#, "7", "null", SECRET]),
        ("kind", &[r#""org_api_key""#, r#""api_token""#, r#""repository_access_token""#, r#""nope""#, "[]", "null"]),
        ("label", &[r#""laptop""#, r#""caf\u00e9 \\ \"q\"""#, "1", "null", SECRET]),
        ("secret", &[r#""s-1""#, r#""""#, "{}", "null"]),
        (
            "secret_sha256",
            &[r#""0b8b6f4c1b5a2f3e5e7e8c2d1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a""#, r#""abc""#, "null"],
        ),
        ("principal", &[r#""u-mary""#, r#""u-nobody""#, "false", "null", SECRET]),
        ("resource", &[r#""acme""#, r#""acme/web""#, r#""acme/nope""#, "null", SECRET]),
        (
            "scopes",
            &[
                r#"["repository"]"#,
                r#"["pullrequest", "repository", "pullrequest"]"#,
                r#"["nope"]"#,
                "[null]",
                r#""repository""#,
                "[]",
                "null",
            ],
        ),
        ("access", &[r#""read_only""#, r#""read_write""#, r#""write""#, "null"]),
        (
            "created_at",
            &[r#""2026-11-01T00:00:00Z""#, r#""2026-11-01T00:00:00.5+02:00""#, r#""tomorrow""#, "1", "null"],
        ),
        (
            "expires_at",
            &[r#""2026-12-01T00:00:00Z""#, r#""2026-10-01T00:00:00Z""#, r#""2026-13-01T00:00:00Z""#, "null"],
        ),
        ("created_by", &[r#""u-mary""#, r#""someone""#, "[]", "null", SECRET]),
        ("allowed_ips", &[r#"["203.0.113.0/24", "2001:db8::1"]"#, r#"["nope"]"#, r#""10.0.0.0/8""#, "null"]),
        ("revoked_at", &[r#""2026-11-20T00:00:00Z""#, r#""yesterday""#, "null"]),
        ("expires_on", &[r#""x""#]),
    ];

    fn object() -> impl Strategy<Value = String> {
        let fields: Vec<_> = FIELDS
            .iter()
            .map(|(name, values)| {
                let present = if *name == "expires_on" { 0.05 } else { 0.6 };
                proptest::option::weighted(present, proptest::sample::select(values.to_vec()))
                    .prop_map(move |v| (*name, v))
            })
            .collect();
        (fields, any::<bool>(), any::<prop::sample::Index>()).prop_map(|(fields, twice, which)| {
            let mut parts: Vec<String> =
                fields.iter().filter_map(|(name, v)| v.map(|v| format!(r#""{name}": {v}"#))).collect();
            if twice && !parts.is_empty() {
                let again = parts[which.index(parts.len())].clone();
                parts.push(again);
            }
            format!("{{{}}}", parts.join(", "))
        })
    }

    fn context() -> CompiledState {
        CompiledState::from_json(
            r#"{"issued_at": "2026-11-22T10:00:00Z",
                "resources": {"workspaces": [{"slug": "acme"}], "repositories": [{"workspace": "acme", "slug": "web"}]},
                "principals": [{"id": "u-mary", "kind": "user"}]}"#,
        )
        .unwrap()
    }

    fn slow(text: &str, ctx: &CompiledState) -> Result<TokenRecord, Error> {
        let value = json::parse(text)?;
        let root = json::Path::Root;
        let doc = input::token(json::At::root(&value, &root))?;
        compile_token("", 0, doc, &ctx.meta.directory, &ctx.profile, &mut ResourceCache::default())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

        /// The fast time reader agrees with `Timestamp::parse` wherever it answers, and answers
        /// for every valid time of the form exports write.
        #[test]
        fn fast_times_agree_with_timestamp_parse(
            y in 0u32..10_000, mo in 0u32..14, d in 0u32..33, h in 0u32..26, mi in 0u32..62, s in 0u32..62,
            noise in proptest::option::weighted(0.2, (0usize..20, any::<u8>())),
        ) {
            let mut text = format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z").into_bytes();
            if let Some((at, byte)) = noise {
                text[at] = byte;
            }
            let Ok(text) = String::from_utf8(text) else { return Ok(()) };
            let reference = Timestamp::parse(&text);
            match utc_seconds(&text) {
                Some(t) => prop_assert_eq!(Some(t), reference, "{}", text),
                None => prop_assert!(reference.is_none() || text.bytes().any(|b| b == b't' || b == b'z' || b == b' '), "{}", text),
            }
        }

        #[test]
        fn fast_hex_agrees_with_parse_digest_hex(bytes in proptest::collection::vec(any::<u8>(), 32), noise in proptest::option::weighted(0.3, (0usize..64, any::<char>()))) {
            let mut text: String = bytes.iter().map(|b| format!("{b:02X}")).collect();
            if bytes[0] % 2 == 0 {
                text = text.to_lowercase();
            }
            if let Some((at, c)) = noise {
                let mut chars: Vec<char> = text.chars().collect();
                chars[at] = c;
                text = chars.into_iter().collect();
            }
            prop_assert_eq!(digest_hex(&text), super::super::parse_digest_hex(&text), "{}", text);
        }

        /// Whatever the fast reader accepts, the path-tracking reader accepts too, with the
        /// same result (and the same compile error); the rest it leaves to that reader.
        #[test]
        fn fast_tokens_agree_with_the_path_tracking_reader(text in object()) {
            let ctx = context();
            let slow = slow(&text, &ctx);
            if let Some(doc) = token(&text) {
                let fast = compile_token("", 0, doc, &ctx.meta.directory, &ctx.profile, &mut ResourceCache::default());
                prop_assert_eq!(fast, slow, "{}", text);
            } else if !text.contains("expires_on") && !text.contains("null]") {
                // Given up on without a reason the slow reader shares: only a repeated key.
                let repeated = FIELDS.iter().any(|(n, _)| text.matches(&format!(r#""{n}":"#)).count() > 1);
                prop_assert!(slow.is_err() || repeated, "{}", text);
            }
        }

        #[test]
        fn fast_states_agree_with_the_path_tracking_reader(tokens in proptest::collection::vec(object(), 0..4)) {
            let text = format!(
                r#"{{"issued_at": "2026-11-22T10:00:00Z", "principals": [{{"id": "u-mary", "kind": "user"}}],
                    "resources": {{"workspaces": [{{"slug": "acme"}}], "repositories": [{{"workspace": "acme", "slug": "web"}}]}},
                    "tokens": [{}]}}"#,
                tokens.join(", ")
            );
            let value = json::parse(&text).unwrap();
            let root = json::Path::Root;
            let slow = input::state(json::At::root(&value, &root)).and_then(super::super::compile);
            if let Some(doc) = state(&text) {
                let fast = doc.and_then(super::super::compile);
                prop_assert_eq!(fast.map(|s| s.tokens), slow.map(|s| s.tokens));
            }
        }
    }
}
