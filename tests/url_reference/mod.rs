//! The reference reading of a URL that the engine's request parser must agree with: what a
//! standard (WHATWG) URL parser, the `url` crate, finds in it. Shared by tests/url_agreement.rs
//! and the `request` fuzz target; it shares no code with `src/`.
#![allow(dead_code, clippy::indexing_slicing)]

/// `%XX` decoded; `None` on a bad escape or bytes that are not UTF-8.
fn decode(segment: &str) -> Option<String> {
    let bytes = segment.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The resource a standard parser finds: `Err` when it refuses the URL, `Ok(None)` when the
/// path is no shape the reference knows.
pub fn reference(url: &str) -> Result<Option<String>, String> {
    let base = url::Url::parse("http://origin.test/").unwrap();
    let parsed = url::Url::options().base_url(Some(&base)).parse(url).map_err(|e| e.to_string())?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!("scheme {}", parsed.scheme()));
    }
    let mut segments: Vec<String> = Vec::new();
    for raw in parsed.path_segments().into_iter().flatten() {
        segments.push(decode(raw).ok_or_else(|| format!("undecodable segment {raw:?}"))?);
    }
    if segments.last().is_some_and(String::is_empty) {
        segments.pop();
    }
    let s: Vec<&str> = segments.iter().map(String::as_str).collect();
    Ok(match s.as_slice() {
        ["2.0", "repositories", ws] => Some(format!("workspace:{ws}")),
        ["2.0", "repositories", ws, slug, ..] => Some(format!("repository:{ws}/{slug}")),
        [ws, slug, "info", "refs"] | [ws, slug, "git-upload-pack" | "git-receive-pack"] => {
            Some(format!("repository:{ws}/{}", slug.strip_suffix(".git").unwrap_or(slug)))
        }
        _ => None,
    })
}
