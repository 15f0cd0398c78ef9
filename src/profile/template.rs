//! Path templates (`/2.0/repositories/{workspace}/{repo_slug}`) and request paths, segment by
//! segment. Both sides are split and checked here so the router compares like with like.

use std::borrow::Cow;

/// Longest template or request path accepted; longer input is refused, never scanned further.
pub(crate) const MAX_PATH_LEN: usize = 8192;
/// Most segments in a template or request path.
pub(crate) const MAX_SEGMENTS: usize = 128;

/// A piece of a segment that mixes literal text and parameters (`{repo_name}-issues-{task_id}.zip`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Piece {
    Lit(String),
    Param(String),
}

/// One segment of a path template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Segment {
    Literal(String),
    /// A whole-segment parameter.
    Param(String),
    /// A final `{path}`: the rest of the request path, slashes included.
    CatchAll(String),
    /// Literal text and parameters within one segment.
    Pattern(Vec<Piece>),
}

/// The parameter name a trailing segment must have to swallow the rest of the path.
const CATCH_ALL_NAME: &str = "path";

/// Splits a template into segments, checking that it is well formed.
pub(crate) fn parse_template(path: &str) -> Result<Vec<Segment>, String> {
    if path.len() > MAX_PATH_LEN {
        return Err(format!("path template is longer than {MAX_PATH_LEN} bytes"));
    }
    let Some(rest) = path.strip_prefix('/') else {
        return Err(format!("path template `{path}` does not start with `/`"));
    };
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.is_empty() {
        return Ok(Vec::new());
    }
    let raw: Vec<&str> = rest.split('/').take(MAX_SEGMENTS + 1).collect();
    if raw.len() > MAX_SEGMENTS {
        return Err(format!("path template has more than {MAX_SEGMENTS} segments"));
    }
    let mut segments = Vec::with_capacity(raw.len());
    let mut names: Vec<String> = Vec::new();
    let last = raw.len().saturating_sub(1);
    for (i, text) in raw.iter().enumerate() {
        if text.is_empty() {
            return Err(format!("path template `{path}` has an empty segment"));
        }
        if *text == "." || *text == ".." {
            return Err(format!("path template `{path}` has a `{text}` segment"));
        }
        let pieces = parse_pieces(text).map_err(|m| format!("path template `{path}`: {m}"))?;
        for p in &pieces {
            if let Piece::Param(name) = p {
                if names.contains(name) {
                    return Err(format!("path template `{path}` names parameter `{name}` twice"));
                }
                names.push(name.clone());
            }
        }
        let segment = match pieces.as_slice() {
            [Piece::Lit(l)] => Segment::Literal(l.clone()),
            [Piece::Param(name)] if i == last && name == CATCH_ALL_NAME => Segment::CatchAll(name.clone()),
            [Piece::Param(name)] => Segment::Param(name.clone()),
            _ => Segment::Pattern(pieces),
        };
        segments.push(segment);
    }
    Ok(segments)
}

fn parse_pieces(text: &str) -> Result<Vec<Piece>, String> {
    let mut pieces = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('{') {
            let Some(end) = after.find('}') else {
                return Err(format!("unclosed `{{` in segment `{text}`"));
            };
            let name = after.get(..end).unwrap_or_default();
            if name.is_empty() || name.contains('{') {
                return Err(format!("bad parameter name in segment `{text}`"));
            }
            if matches!(pieces.last(), Some(Piece::Param(_))) {
                return Err(format!("two parameters without text between them in segment `{text}`"));
            }
            pieces.push(Piece::Param(name.to_owned()));
            rest = after.get(end + 1..).unwrap_or_default();
        } else {
            let end = rest.find(['{', '}']).unwrap_or(rest.len());
            if end == 0 {
                return Err(format!("unmatched `}}` in segment `{text}`"));
            }
            pieces.push(Piece::Lit(rest.get(..end).unwrap_or_default().to_owned()));
            rest = rest.get(end..).unwrap_or_default();
        }
    }
    Ok(pieces)
}

/// The template as the radix router stores it: parameters renamed by position (`{p3}`), so two
/// routes that name the same position differently (`{pull_request_id}`, `{pullrequest_id}`)
/// share one branch instead of conflicting. `git_slot` adds the optional `.git` suffix there.
pub(crate) fn router_key(segments: &[Segment], git_slot: Option<usize>) -> String {
    let mut key = String::new();
    for (i, s) in segments.iter().enumerate() {
        key.push('/');
        match s {
            Segment::Literal(l) => key.push_str(l),
            Segment::Param(_) => {
                key.push_str(&format!("{{p{i}}}"));
                if git_slot == Some(i) {
                    key.push_str(".git");
                }
            }
            Segment::CatchAll(_) => key.push_str(&format!("{{*p{i}}}")),
            Segment::Pattern(pieces) => {
                // matchit takes one parameter per segment: keep the outer literals for it and
                // check the whole pattern after the match (`pattern_matches`).
                if let Some(Piece::Lit(l)) = pieces.first() {
                    key.push_str(l);
                }
                key.push_str(&format!("{{p{i}}}"));
                if pieces.len() > 1 {
                    if let Some(Piece::Lit(l)) = pieces.last() {
                        key.push_str(l);
                    }
                }
            }
        }
    }
    if key.is_empty() {
        key.push('/');
    }
    key
}

/// Whether a decoded request segment fits a mixed segment: literals in order, each parameter
/// non-empty. Parameters take the shortest text that lets the next literal follow, except the
/// last, which runs to the final literal; linear, no backtracking.
#[cfg(test)]
pub(crate) fn pattern_matches(pieces: &[Piece], segment: &str) -> bool {
    let mut rest = segment;
    let mut i = 0;
    while let Some(piece) = pieces.get(i) {
        match piece {
            Piece::Lit(l) => match rest.strip_prefix(l.as_str()) {
                Some(r) => rest = r,
                None => return false,
            },
            Piece::Param(_) => match pieces.get(i + 1) {
                None => return !rest.is_empty(),
                Some(Piece::Lit(l)) if i + 2 == pieces.len() => {
                    return rest.strip_suffix(l.as_str()).is_some_and(|v| !v.is_empty());
                }
                Some(Piece::Lit(l)) => {
                    let Some(first) = rest.chars().next() else { return false };
                    let skip = first.len_utf8();
                    let Some(at) = rest.get(skip..).and_then(|r| r.find(l.as_str())) else {
                        return false;
                    };
                    rest = rest.get(skip + at + l.len()..).unwrap_or_default();
                    i += 1;
                }
                // Parsing never puts two parameters side by side.
                Some(Piece::Param(_)) => return false,
            },
        }
        i += 1;
    }
    rest.is_empty()
}

/// A request path split into decoded segments.
#[derive(Clone, Debug)]
pub(crate) struct RequestPath<'a> {
    /// The decoded segments joined by `/`, what the radix router sees.
    pub(crate) joined: Cow<'a, str>,
    pub(crate) trailing_slash: bool,
}

impl RequestPath<'_> {
    #[cfg(test)]
    pub(crate) fn segments(&self) -> impl Iterator<Item = &str> {
        self.joined.split('/').skip(1).filter(|s| !s.is_empty())
    }

    /// The byte ranges of the segments in `joined`, into `out`; how many (`None` if more than
    /// `out` holds).
    #[cfg_attr(scopegate_speed, optimize(speed))]
    pub(crate) fn bounds(&self, out: &mut [(u16, u16)]) -> Option<usize> {
        let bytes = self.joined.as_bytes();
        let mut count = 0;
        let mut from = 1usize;
        let mut push = |from: usize, to: usize| -> Option<()> {
            if to > from {
                *out.get_mut(count)? = (u16::try_from(from).ok()?, u16::try_from(to).ok()?);
                count += 1;
            }
            Some(())
        };
        for (i, &b) in bytes.iter().enumerate().skip(1) {
            if b == b'/' {
                push(from, i)?;
                from = i + 1;
            }
        }
        push(from, bytes.len())?;
        Some(count)
    }
}

/// Why a request path cannot be read one way, in the order the request step reports them (a
/// path with several faults is refused for the first).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PathFault {
    /// A `.` or `..` segment.
    DotSegment,
    /// `%2e`.
    EncodedDot,
    /// `%2f`, `%5c` or a `\`.
    EncodedSeparator,
    /// A `;`.
    Semicolon,
    /// An empty segment (other than one trailing `/`).
    EmptySegment,
    /// A bad escape, a control character, a `?` or `#` (raw or decoded), decoded bytes that are
    /// not UTF-8, or too much input.
    Undecodable,
}

impl PathFault {
    const ORDER: [PathFault; 6] = [
        PathFault::DotSegment,
        PathFault::EncodedDot,
        PathFault::EncodedSeparator,
        PathFault::Semicolon,
        PathFault::EmptySegment,
        PathFault::Undecodable,
    ];

    const fn bit(self) -> u8 {
        1 << self as u8
    }
}

/// Splits and percent-decodes a request path for the router alone ([`Profile::match_route`]).
/// `None` (no route) for anything that could address another resource than it seems to; unlike
/// the request step ([`read_path`]), a `;` and an encoded dot inside a segment are read (as
/// themselves), since no decision follows from this reading alone.
///
/// [`Profile::match_route`]: super::Profile::match_route
pub(crate) fn decode_path(path: &str) -> Option<RequestPath<'_>> {
    read(path, PathFault::Semicolon.bit() | PathFault::EncodedDot.bit()).ok()
}

/// Reads a request path in one pass over its bytes: every [`PathFault`] is looked for at once,
/// and the path is decoded (a copy) only when it has a `%`. Refused: anything that could
/// address another resource than it seems to (an encoded `/` or `\`, a `.` or `..` segment,
/// an empty segment, a control character, bad percent-encoding or too much input).
#[cfg_attr(scopegate_speed, optimize(speed))]
pub(crate) fn read_path(path: &str) -> Result<RequestPath<'_>, PathFault> {
    read(path, 0)
}

/// [`read_path`], with the faults in `tolerated` let through (a decoded segment is still never
/// `.`, `..`, or one with a `/`, `\`, `?`, `#` or a control character).
#[cfg_attr(scopegate_speed, optimize(speed))]
fn read(path: &str, tolerated: u8) -> Result<RequestPath<'_>, PathFault> {
    if path == "/" {
        return Ok(RequestPath { joined: Cow::Borrowed("/"), trailing_slash: false });
    }
    let Some(rest) = path.strip_prefix('/') else { return Err(PathFault::Undecodable) };
    let (rest, trailing_slash) = match rest.strip_suffix('/') {
        Some(r) => (r, true),
        None => (rest, false),
    };
    let bytes = rest.as_bytes();
    let mut faults = if path.len() > MAX_PATH_LEN { PathFault::Undecodable.bit() } else { 0 };
    let mut escaped = false;
    let mut segments = 0usize;
    let mut start = 0usize;
    let mut previous = 0u8;
    // One step past the end: the last segment ends there as at a `/`.
    for i in 0..=bytes.len() {
        let Some(&b) = bytes.get(i) else {
            faults |= segment_faults(bytes.get(start..).unwrap_or_default(), &mut segments);
            break;
        };
        match b {
            b'/' => {
                faults |= segment_faults(bytes.get(start..i).unwrap_or_default(), &mut segments);
                start = i + 1;
            }
            b'%' => {
                escaped = true;
                // NOTE: no skipping past an escape: `%%2e` still has a `%2e` (and the hex
                // digits after a good escape are harmless bytes).
                match (bytes.get(i + 1).copied().and_then(hex), bytes.get(i + 2).copied().and_then(hex)) {
                    (Some(hi), Some(lo)) => match (hi << 4) | lo {
                        b'.' => faults |= PathFault::EncodedDot.bit(),
                        b'/' | b'\\' => faults |= PathFault::EncodedSeparator.bit(),
                        _ => {}
                    },
                    _ => faults |= PathFault::Undecodable.bit(),
                }
            }
            b'\\' => faults |= PathFault::EncodedSeparator.bit(),
            b';' => faults |= PathFault::Semicolon.bit(),
            // C1 controls (U+0080..=U+009F) are `0xC2 0x80..=0x9F` in UTF-8.
            _ if b < 0x20
                || b == 0x7F
                || b == b'?'
                || b == b'#'
                || (previous == 0xC2 && (0x80..=0x9F).contains(&b)) =>
            {
                faults |= PathFault::Undecodable.bit();
            }
            _ => {}
        }
        previous = b;
    }
    let faults = faults & !tolerated;
    if faults != 0 {
        let first = PathFault::ORDER.into_iter().find(|f| faults & f.bit() != 0);
        return Err(first.unwrap_or(PathFault::Undecodable));
    }
    if !escaped {
        // Same text as the input: borrow it, no allocation on the common path.
        let joined = path.get(..rest.len() + 1).ok_or(PathFault::Undecodable)?;
        return Ok(RequestPath { joined: Cow::Borrowed(joined), trailing_slash });
    }
    let mut joined = String::with_capacity(path.len());
    for raw in rest.split('/') {
        let segment = percent_decode(raw).ok_or(PathFault::Undecodable)?;
        if segment.contains('/') || !segment_ok(&segment) {
            return Err(PathFault::Undecodable);
        }
        joined.push('/');
        joined.push_str(&segment);
    }
    Ok(RequestPath { joined: Cow::Owned(joined), trailing_slash })
}

/// The faults of one raw segment as a whole (empty, `.` or `..`), and one more segment counted.
#[cfg_attr(scopegate_speed, optimize(speed))]
fn segment_faults(segment: &[u8], segments: &mut usize) -> u8 {
    *segments += 1;
    let mut faults = match segment {
        b"" => PathFault::EmptySegment.bit(),
        b"." | b".." => PathFault::DotSegment.bit(),
        _ => 0,
    };
    if *segments > MAX_SEGMENTS {
        faults |= PathFault::Undecodable.bit();
    }
    faults
}

/// A segment that names one thing: not empty, not `.` or `..`, no `\` (a separator for some
/// servers behind the edge), no `?` or `#` (cannot be in a path), no control character.
pub(crate) fn segment_ok(segment: &str) -> bool {
    if segment.is_empty() || segment == "." || segment == ".." {
        return false;
    }
    let mut previous = 0u8;
    for &b in segment.as_bytes() {
        // C1 controls (U+0080..=U+009F) are `0xC2 0x80..=0x9F` in UTF-8.
        let c1 = previous == 0xC2 && (0x80..=0x9F).contains(&b);
        if b < 0x20 || b == 0x7F || b == b'\\' || b == b'?' || b == b'#' || c1 {
            return false;
        }
        previous = b;
    }
    true
}

/// Decodes `%XX` escapes; `None` on a bad escape or bytes that are not UTF-8.
pub(crate) fn percent_decode(raw: &str) -> Option<Cow<'_, str>> {
    if !raw.contains('%') {
        return Some(Cow::Borrowed(raw));
    }
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hi = bytes.get(i + 1).copied().and_then(hex)?;
            let lo = bytes.get(i + 2).copied().and_then(hex)?;
            out.push((hi << 4) | lo);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).ok().map(Cow::Owned)
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(template: &str) -> Vec<Piece> {
        match parse_template(template).unwrap().pop().unwrap() {
            Segment::Pattern(p) => p,
            other => panic!("not a pattern: {other:?}"),
        }
    }

    #[test]
    fn templates_parse_into_segment_kinds() {
        let segs = parse_template("/2.0/repositories/{workspace}/src/{commit}/{path}").unwrap();
        assert_eq!(
            segs,
            vec![
                Segment::Literal("2.0".into()),
                Segment::Literal("repositories".into()),
                Segment::Param("workspace".into()),
                Segment::Literal("src".into()),
                Segment::Param("commit".into()),
                Segment::CatchAll("path".into()),
            ]
        );
        assert_eq!(parse_template("/").unwrap(), vec![]);
        assert_eq!(parse_template("/a/").unwrap(), vec![Segment::Literal("a".into())]);
        // `{path}` in the middle is an ordinary parameter.
        assert_eq!(parse_template("/{path}/x").unwrap().first(), Some(&Segment::Param("path".into())));
    }

    #[test]
    fn bad_templates_are_refused() {
        for bad in ["", "a/b", "/a//b", "/a/{", "/a/}", "/a/{}", "/{a}{b}", "/{a}/{a}", "/a/../b", "/a/./b", "/{a{b}}"]
        {
            assert!(parse_template(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn router_keys_rename_parameters_by_position() {
        let segs = parse_template("/r/{workspace}/{repo_slug}/x/{path}").unwrap();
        assert_eq!(router_key(&segs, None), "/r/{p1}/{p2}/x/{*p4}");
        assert_eq!(router_key(&segs, Some(2)), "/r/{p1}/{p2}.git/x/{*p4}");
        let segs = parse_template("/e/{repo_name}-issues-{task_id}.zip").unwrap();
        assert_eq!(router_key(&segs, None), "/e/{p1}.zip");
        assert_eq!(router_key(&[], None), "/");
    }

    #[test]
    fn mixed_segments_match_whole() {
        let p = pieces("/{repo_name}-issues-{task_id}.zip");
        assert!(pattern_matches(&p, "web-issues-1.zip"));
        assert!(pattern_matches(&p, "my-web-issues-issues-2.zip"));
        assert!(!pattern_matches(&p, "web.zip"));
        assert!(!pattern_matches(&p, "-issues-1.zip"));
        assert!(!pattern_matches(&p, "web-issues-.zip"));
        assert!(!pattern_matches(&p, "web-issues-1.zipx"));
        let p = pieces("/img-{id}");
        assert!(pattern_matches(&p, "img-1"));
        assert!(!pattern_matches(&p, "img-"));
    }

    #[test]
    fn request_paths_decode_and_fail_closed() {
        let p = decode_path("/2.0/user/").unwrap();
        assert_eq!(p.joined, "/2.0/user");
        assert!(p.trailing_slash);
        assert!(matches!(p.joined, Cow::Borrowed(_)));
        let p = decode_path("/a/b%20c/%7Bx%7D").unwrap();
        assert_eq!(p.joined, "/a/b c/{x}");
        assert_eq!(p.segments().collect::<Vec<_>>(), vec!["a", "b c", "{x}"]);
        assert_eq!(decode_path("/").unwrap().joined, "/");
        for bad in [
            "",
            "a",
            "//",
            "/a//b",
            "/a/../b",
            "/a/./b",
            "/a/%2e%2E/b",
            "/a/%2E",
            "/a%2fb",
            "/a%2Fb",
            "/a%5cb",
            "/a/%zz",
            "/a/%4",
            "/a/%",
            "/a/%ff",
            "/a/%00",
            "/a/b\n",
            "/a?b",
            "/a#b",
        ] {
            assert!(decode_path(bad).is_none(), "{bad:?} should not decode");
        }
        assert!(decode_path(&"/a".repeat(MAX_SEGMENTS + 1)).is_none());
        assert!(decode_path(&format!("/{}", "a".repeat(MAX_PATH_LEN))).is_none());
    }
}
