//! The one-pass URL reader against the reader it replaced (phase 3 of issue 8), kept here
//! verbatim as the reference: the same target, path, decoded segments and message for every
//! URL, accepted or refused.
#![allow(clippy::indexing_slicing, clippy::unwrap_used)]

use proptest::prelude::*;

use super::{read_request_target, Target, MAX_URL_LEN};
use crate::profile::{percent_decode, segment_ok, RequestPath, MAX_PATH_LEN, MAX_SEGMENTS};

/// The reader before phase 3: about ten passes over the path.
mod old {
    use std::borrow::Cow;

    // NOTE: the authority and the split into path and query are read as before
    // (`split_target`: unchanged); only the path's reading is the old one.
    use super::super::split_target;
    use super::{percent_decode, segment_ok, RequestPath, Target, MAX_PATH_LEN, MAX_SEGMENTS, MAX_URL_LEN};

    pub(super) fn read_target(url: &str) -> Result<Target<'_>, &'static str> {
        if url.len() > MAX_URL_LEN {
            return Err("the URL is longer than 16384 bytes");
        }
        if url.bytes().any(|b| b <= b' ' || b == 0x7F) {
            return Err("the URL contains white space or a control character");
        }
        // The fragment never reaches the origin.
        let url = url.split('#').next().unwrap_or_default();
        let target = split_target(url)?;
        check_path(target.path)?;
        Ok(target)
    }

    /// A path that names one thing, read the same by the gate and the origin. The router reads
    /// paths with the same rules ([`decode_path`]); the checks before it only say
    /// which rule a path breaks.
    fn check_path(path: &str) -> Result<(), &'static str> {
        let has = |escape: &[u8]| path.as_bytes().windows(3).any(|w| w.eq_ignore_ascii_case(escape));
        let segments = || path.split('/').skip(1);
        if segments().any(|s| s == "." || s == "..") {
            return Err("the path has a `.` or `..` segment");
        }
        if has(b"%2e") {
            return Err("the path has an encoded dot (`%2e`)");
        }
        if has(b"%2f") || has(b"%5c") || path.contains('\\') {
            return Err("the path has an encoded `/`, or a `\\` (which some servers read as `/`)");
        }
        if path.contains(';') {
            return Err("the path has a `;` (which some servers read as the start of a parameter)");
        }
        // One trailing `/` is allowed (`/2.0/user/`); any other empty segment is not.
        let inner = path.get(1..).unwrap_or_default();
        let inner = inner.strip_suffix('/').unwrap_or(inner);
        if path != "/" && inner.split('/').any(str::is_empty) {
            return Err("the path has an empty segment (`//`)");
        }
        if decode_path(path).is_none() {
            return Err("the path has a bad percent escape, a control character, or too many segments");
        }
        Ok(())
    }

    pub(super) fn decode_path(path: &str) -> Option<RequestPath<'_>> {
        if path.len() > MAX_PATH_LEN {
            return None;
        }
        if path == "/" {
            return Some(RequestPath { joined: Cow::Borrowed("/"), trailing_slash: false });
        }
        let rest = path.strip_prefix('/')?;
        let (rest, trailing_slash) = match rest.strip_suffix('/') {
            Some(r) => (r, true),
            None => (rest, false),
        };
        let needs_decoding = rest.contains('%');
        let mut joined = if needs_decoding { Some(String::with_capacity(path.len())) } else { None };
        for (count, raw) in rest.split('/').enumerate() {
            if count >= MAX_SEGMENTS || !segment_ok(raw) {
                return None;
            }
            if let Some(out) = joined.as_mut() {
                let segment = percent_decode(raw)?;
                if segment.contains('/') || !segment_ok(&segment) {
                    return None;
                }
                out.push('/');
                out.push_str(&segment);
            }
        }
        let joined = match joined {
            Some(s) => Cow::Owned(s),
            // Same text as the input: borrow it, no allocation on the common path.
            None => Cow::Borrowed(path.get(..rest.len() + 1)?),
        };
        Some(RequestPath { joined, trailing_slash })
    }
}

/// What a reader makes of a URL: target, decoded path and trailing slash, or the message.
type Reading = Result<(Option<String>, String, String, bool), &'static str>;

fn new_reading(url: &str) -> Reading {
    read_request_target(url)
        .map(|(t, p)| (t.query.map(str::to_owned), t.path.to_owned(), p.joined.into_owned(), p.trailing_slash))
}

fn old_reading(url: &str) -> Reading {
    let target = old::read_target(url)?;
    let path = old::decode_path(target.path)
        .ok_or("the path has a bad percent escape, a control character, or too many segments")?;
    Ok((target.query.map(str::to_owned), target.path.to_owned(), path.joined.into_owned(), path.trailing_slash))
}

fn agree(url: &str) -> Result<(), TestCaseError> {
    prop_assert_eq!(new_reading(url), old_reading(url), "{:?}", url);
    prop_assert_eq!(
        crate::profile::decode_path(url).map(|p| (p.joined.into_owned(), p.trailing_slash)),
        old::decode_path(url).map(|p| (p.joined.into_owned(), p.trailing_slash)),
        "decode_path({:?})",
        url
    );
    Ok(())
}

/// Pieces that make paths interesting: separators, dots, escapes of every kind the readers
/// treat apart, UTF-8 and C1 controls, raw and encoded.
const PIECES: &[&str] = &[
    "/", "/", "/", ".", "..", "a", "web", "2.0", "%", "%2e", "%2E", "%2f", "%2F", "%5c", "%5C", "%25", "%41", "%zz",
    "%4", "%00", "%1f", "%7f", "%3f", "%23", "%c2%85", "%C2", "%85", "\u{85}", "\u{e9}", "%c3%a9", "%ff", "\\", ";",
    "?", "#", " ", "\t", ":", "@", "//", "http://h", "x.git", "~", "+",
];

fn url_strategy() -> impl Strategy<Value = String> {
    let prefix = prop::sample::select(vec![
        "",
        "/",
        "http://h",
        "https://api.example.com",
        "HTTP://h:80",
        "http://u@h",
        "//",
        "http:/",
        "ftp://h",
    ]);
    let pieces = prop::collection::vec(prop::sample::select(PIECES.to_vec()), 0..12);
    (prefix, pieces).prop_map(|(prefix, pieces)| format!("{prefix}{}", pieces.concat()))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10_000))]

    #[test]
    fn the_one_pass_reader_reads_as_the_old_one(url in url_strategy()) {
        agree(&url)?;
    }

    #[test]
    fn the_one_pass_reader_reads_any_text_as_the_old_one(url in "/[a-z/.%2eEfFcC5;\\\\?#\\x00-\\x7f\\u{80}-\\u{a0}]{0,24}") {
        agree(&url)?;
    }

    #[test]
    fn the_one_pass_reader_reads_any_string_as_the_old_one(url in any::<String>()) {
        agree(&url)?;
        agree(&format!("/{url}"))?;
    }
}

#[test]
fn limits_agree() {
    for url in [
        format!("/{}", "a/".repeat(MAX_SEGMENTS)),
        format!("/{}", "a/".repeat(MAX_SEGMENTS - 1)),
        format!("/{}a", "a/".repeat(MAX_SEGMENTS)),
        format!("/{}a", "a/".repeat(MAX_SEGMENTS - 1)),
        format!("/{}", "a".repeat(MAX_PATH_LEN)),
        format!("/{}", "a".repeat(MAX_PATH_LEN - 1)),
        format!("/{}/..", "a".repeat(MAX_PATH_LEN)),
        format!("/{}", "a".repeat(MAX_URL_LEN)),
        format!("/{}%2e", "a/".repeat(MAX_SEGMENTS + 1)),
    ] {
        agree(&url).unwrap();
    }
}
