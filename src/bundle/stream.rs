//! Building a bundle from a token list streamed as NDJSON (one token object per line), for
//! estates too large to hold as one state document: the state's other parts first, then the
//! tokens in chunks of any size (a chunk may end in the middle of a line, even of a UTF-8
//! character), then the signature. Each token is checked as it arrives, under the same rules
//! as an entry of a state's `tokens`, and packed (`pack.rs`): memory grows by about 100 bytes
//! a token, never by the size of the text.

use crate::bundle::build::bundle_of;
use crate::bundle::keys::PrivateKey;
use crate::bundle::pack::TokenTable;
use crate::error::Error;
use crate::profile::Profile;
use crate::redact::quoted;
use crate::snapshot::Meta;
use crate::state::{compile_token_text, CompiledState, ResourceCache};

/// Longest line read: a token object is a few hundred bytes; a line without an end is not one.
pub(crate) const MAX_LINE_LEN: usize = 1 << 20;

/// Builds a signed bundle from a state and its tokens as NDJSON chunks, with errors that name
/// the line (`tokens.ndjson:41: expires_at: expected an RFC 3339 time, got "tomorrow"`).
///
/// The result is byte for byte what [`build_bundle`](crate::build_bundle) gives for the same
/// state with the same tokens in its `tokens` list. After an error the builder refuses every
/// further call: nothing is half-built.
///
/// # Examples
/// ```
/// use scopegate::{BundleBuilder, PrivateKey};
/// let state = r#"{"issued_at": "2026-11-22T10:00:00Z",
///     "profile": {"name": "tiny", "base_path": "", "scopes": [], "routes": []}}"#;
/// let mut builder = BundleBuilder::new(state, "tokens.ndjson").unwrap();
/// builder.add_ndjson(br#"{"id": "t-1", "kind": "org_api_key", "secret": "s1"}
/// {"id": "t-2", "kind": "org_a"#).unwrap();
/// builder.add_ndjson(b"pi_key\", \"secret\": \"s2\"}\n").unwrap();
/// assert_eq!(builder.tokens(), 2);
/// let bundle = builder.finish(&PrivateKey::from_bytes(&[7; 32]), 3600).unwrap();
///
/// let mut bad = BundleBuilder::new(state, "tokens.ndjson").unwrap();
/// let error = bad.add_ndjson(b"\n{\"id\": \"t-1\", \"kind\": \"org_api_key\", \"secret\": \"s\", \"expires_at\": \"tomorrow\"}\n");
/// assert_eq!(
///     error.unwrap_err().to_string(),
///     "tokens.ndjson:2: expires_at: expected an RFC 3339 time, got \"tomorrow\""
/// );
/// ```
pub struct BundleBuilder {
    meta: Meta,
    profile: Profile,
    /// The token list's name in errors (a file name).
    name: String,
    table: TokenTable,
    /// Per token: its line, or 0 for a token of the state's own `tokens` list.
    lines: Vec<u64>,
    /// The start of a line whose end has not arrived yet.
    pending: Vec<u8>,
    /// Lines read so far.
    line: u64,
    resources: ResourceCache,
    failed: bool,
}

impl std::fmt::Debug for BundleBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BundleBuilder")
            .field("name", &self.name)
            .field("tokens", &self.table.len())
            .field("line", &self.line)
            .finish_non_exhaustive()
    }
}

impl BundleBuilder {
    /// A builder over a state document (DESIGN.md §3), usually without `tokens`: any it has
    /// come first. `name` is what errors call the token list (`tokens.ndjson`).
    ///
    /// # Errors
    /// `Error::State` with the JSON path of the state's first problem.
    pub fn new(state_json: &str, name: &str) -> Result<BundleBuilder, Error> {
        Self::from_state(CompiledState::from_json(state_json)?, name)
    }

    /// A builder over a compiled state; its tokens come first.
    ///
    /// # Errors
    /// A token time out of the range a bundle can hold.
    pub fn from_state(state: CompiledState, name: &str) -> Result<BundleBuilder, Error> {
        let table = TokenTable::of(&state.tokens, state.meta.issued_at)?;
        Ok(BundleBuilder {
            lines: vec![0; table.len()],
            meta: state.meta,
            profile: state.profile,
            name: name.to_owned(),
            table,
            pending: Vec::new(),
            line: 0,
            resources: ResourceCache::default(),
            failed: false,
        })
    }

    /// Tokens added so far.
    #[must_use]
    pub fn tokens(&self) -> usize {
        self.table.len()
    }

    /// Reads the next chunk of the NDJSON token list: one token object per line, blank lines
    /// ignored, `\n` or `\r\n` endings. A chunk may end anywhere; the rest of its last line
    /// comes with the next chunk (or is read by [`BundleBuilder::finish`]).
    ///
    /// # Errors
    /// `Error::State` naming the line (`tokens.ndjson:41: expires_at: ...`): not UTF-8, not a
    /// token object, a field that fails the state reader's checks, or a line longer than
    /// 1 MiB. The builder is then unusable.
    pub fn add_ndjson(&mut self, chunk: &[u8]) -> Result<(), Error> {
        self.usable()?;
        let result = self.read(chunk);
        self.failed = result.is_err();
        result
    }

    fn usable(&self) -> Result<(), Error> {
        if self.failed {
            return Err(Error::Input("this bundle builder stopped at an earlier error".into()));
        }
        Ok(())
    }

    fn read(&mut self, chunk: &[u8]) -> Result<(), Error> {
        let mut rest = chunk;
        while let Some(end) = rest.iter().position(|&b| b == b'\n') {
            let (line, after) = rest.split_at(end);
            rest = after.get(1..).unwrap_or_default();
            if self.pending.is_empty() {
                self.line_of(line)?;
            } else {
                let mut joined = std::mem::take(&mut self.pending);
                self.grow(&mut joined, line)?;
                self.line_of(&joined)?;
                joined.clear();
                self.pending = joined;
            }
        }
        let mut pending = std::mem::take(&mut self.pending);
        self.grow(&mut pending, rest)?;
        self.pending = pending;
        Ok(())
    }

    /// Appends to the line being read, within [`MAX_LINE_LEN`].
    fn grow(&self, line: &mut Vec<u8>, more: &[u8]) -> Result<(), Error> {
        if line.len().saturating_add(more.len()) > MAX_LINE_LEN {
            return Err(self.error(
                self.line + 1,
                String::new(),
                format!("a line longer than {MAX_LINE_LEN} bytes: expected one token object per line"),
            ));
        }
        line.extend_from_slice(more);
        Ok(())
    }

    /// One whole line, without its `\n`.
    fn line_of(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.line += 1;
        let line = self.line;
        if bytes.len() > MAX_LINE_LEN {
            return Err(self.error(
                line,
                String::new(),
                format!("a line longer than {MAX_LINE_LEN} bytes: expected one token object per line"),
            ));
        }
        let mut bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
        if line == 1 {
            bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        }
        let Ok(text) = std::str::from_utf8(bytes) else {
            return Err(self.error(line, String::new(), "not UTF-8 text".into()));
        };
        if text.trim().is_empty() {
            return Ok(());
        }
        let record = compile_token_text(text, &self.meta.directory, &self.profile, &mut self.resources).map_err(
            |e| match e {
                Error::State { path, message } => self.error(line, path, message),
                other => other,
            },
        )?;
        self.table.push(&record)?;
        self.lines.push(line);
        Ok(())
    }

    /// An error at `line`, with `path` inside the token object (maybe empty).
    fn error(&self, line: u64, path: String, message: String) -> Error {
        let at = format!("{}:{line}", self.name);
        Error::state(if path.is_empty() { at } else { format!("{at}: {path}") }, message)
    }

    /// Where token `i` came from, for an error about another token.
    fn origin(&self, i: usize) -> String {
        match self.lines.get(i) {
            Some(&line) if line > 0 => format!("line {line}"),
            _ => format!("the state's token {}", quoted(self.table.id(i).unwrap_or_default())),
        }
    }

    /// Reads the last line if it had no end, checks that ids and secrets are unique across
    /// every chunk, and signs the bundle, valid for `ttl_seconds` after the state's
    /// `issued_at`.
    ///
    /// # Errors
    /// A bad last line; a token id or secret digest that an earlier line already had (naming
    /// the later line); two digests that share their first 16 bytes; a zero or too large ttl.
    pub fn finish(mut self, private_key: &PrivateKey, ttl_seconds: u64) -> Result<Vec<u8>, Error> {
        self.usable()?;
        if !self.pending.is_empty() {
            let last = std::mem::take(&mut self.pending);
            self.line_of(&last)?;
        }
        // The ttl before the work: a bad one costs no sort.
        crate::bundle::build::expiry(self.meta.issued_at, ttl_seconds)?;
        let order = self.table.order();
        self.check_unique(&order)?;
        bundle_of(&self.meta, &self.profile, self.table, &order, private_key, ttl_seconds)
    }

    /// The first token (in input order) whose id or secret digest an earlier token had.
    fn check_unique(&self, order: &[u32]) -> Result<(), Error> {
        // Position in the input: the state's tokens first, then the lines in order.
        let position = |i: usize| (self.lines.get(i).copied().unwrap_or(0), i);
        let mut first: Option<((u64, usize), Error)> = None;
        let mut consider = |later: usize, error: Error| {
            if first.as_ref().is_none_or(|(at, _)| position(later) < *at) {
                first = Some((position(later), error));
            }
        };
        // Secret digests: neighbours in digest order.
        for pair in order.windows(2) {
            let [a, b] = [pair.first(), pair.get(1)].map(|i| i.map_or(0, |&i| i as usize));
            if self.table.same_digest(a, b) {
                let (earlier, later) = if position(a) < position(b) { (a, b) } else { (b, a) };
                consider(
                    later,
                    self.error_at(
                        later,
                        String::new(),
                        format!("same secret digest as {}: every token needs its own secret", self.origin(earlier)),
                    ),
                );
            }
        }
        // Ids: sorted by a hash of the id, so equal ids are neighbours; a run of equal hashes
        // (almost always one id) is then sorted by the id itself.
        let id = |i: u32| self.table.id(i as usize).unwrap_or_default();
        let mut ids: Vec<(u64, u32)> =
            (0..self.table.len()).filter_map(|i| Some((fnv1a(self.table.id(i)?), u32::try_from(i).ok()?))).collect();
        ids.sort_unstable();
        for run in ids.chunk_by_mut(|a, b| a.0 == b.0).filter(|run| run.len() > 1) {
            run.sort_unstable_by(|a, b| id(a.1).cmp(id(b.1)).then(a.1.cmp(&b.1)));
            for pair in run.windows(2) {
                if let [(_, a), (_, b)] = pair {
                    if id(*a) == id(*b) {
                        let later = if position(*a as usize) < position(*b as usize) { *b } else { *a } as usize;
                        consider(
                            later,
                            self.error_at(
                                later,
                                "id".into(),
                                format!("duplicate token id {}", quoted(id(later as u32))),
                            ),
                        );
                    }
                }
            }
        }
        first.map_or(Ok(()), |(_, e)| Err(e))
    }

    /// An error about token `i`, at its line (or its place in the state).
    fn error_at(&self, i: usize, path: String, message: String) -> Error {
        match self.lines.get(i) {
            Some(&line) if line > 0 => self.error(line, path, message),
            _ => Error::state(
                format!(
                    "token {}{}",
                    quoted(self.table.id(i).unwrap_or_default()),
                    if path.is_empty() { String::new() } else { format!(".{path}") }
                ),
                message,
            ),
        }
    }
}

/// FNV-1a: a fast, deterministic hash to bring equal ids next to each other.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}
