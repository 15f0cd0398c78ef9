//! The WebAssembly binding: converts JavaScript values to the engine's types and back, and
//! calls plain Rust. Nothing here decides anything, so everything it calls is tested natively.
//!
//! The hand-written `js/` modules sit on top: they shape requests (Fetch `Headers` to pairs),
//! turn `Uint8Array` keys into text, supply the clock (`now ?? Date.now()`), and are the API
//! users import; these exports are their raw layer.
//!
//! # Two builds
//! - the *full* build (`scopegate`): everything, for Node, the CLI and the admin page;
//! - the *edge* build (`scopegate/edge`, built without the default `admin` feature): what a worker
//!   needs to load a signed bundle, apply deltas and decide requests. The [`admin`] exports
//!   (state reader, bundle builder, signing, preview, audit, OpenAPI importer) are left out, so
//!   their code is not linked: the edge .wasm is less than half the size.
//!
//! The decision a worker makes per request crosses without JSON: `checkFast` reads the request
//! from a reused area of WebAssembly memory and answers with numbers (`crate::boundary`); the
//! JSON `check` stays for what that path leaves to it.
//!
//! NOTE: values cross as strings, never through serde-wasm-bindgen (its object walker and the
//! js-sys reflection it needs cost ~12 KB of .wasm after wasm-opt, and it pulled serde's request
//! deserializer onto the hot path). A request crosses as its parts ([`request`]); structured
//! admin inputs cross as JSON text (`JSON.stringify` in), results as JSON text (`JSON.parse`
//! out); bytes as bytes. Every export returns `Result<_, JsError>`, and every error is a real JS
//! `Error` made in [`error`], so a misuse throws a catchable exception instead of aborting the
//! instance (a panic in WebAssembly kills it for every later request).

use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::{boundary, Headers, PublicKey, Request, Timestamp};

/// The one place a JS `Error` is made.
fn error(message: &str) -> JsError {
    JsError::new(message)
}

/// An engine error (bad state, bad bundle, bad key) with the engine's own message.
#[expect(clippy::needless_pass_by_value, reason = "used as `map_err(engine_error)`")]
fn engine_error(e: crate::Error) -> JsError {
    error(&e.to_string())
}

/// Rust to JS: JSON text that `JSON.parse` turns into plain objects and arrays.
fn to_json<T: Serialize + ?Sized>(value: &T) -> Result<String, JsError> {
    serde_json::to_string(value).map_err(|e| error(&e.to_string()))
}

/// The caller's `now` (ms since the epoch; the JS layer passes `Date.now()` by default): the
/// engine has no clock of its own.
fn timestamp(now: f64) -> Result<Timestamp, JsError> {
    Timestamp::from_millis(now).ok_or_else(|| error("`now` must be a finite number of milliseconds since the epoch"))
}

/// `minIssuedAt` as the JS layer passes it: milliseconds since the epoch, or RFC 3339 text
/// (what `info().issuedAt` gives); neither: no floor.
fn floor(ms: Option<f64>, text: Option<String>) -> Result<Option<Timestamp>, JsError> {
    match (ms, text) {
        (Some(ms), _) => Timestamp::from_millis(ms)
            .map(Some)
            .ok_or_else(|| error("`minIssuedAt` must be a finite number of milliseconds since the epoch")),
        (None, Some(text)) => Timestamp::parse(&text).map(Some).ok_or_else(|| {
            error(&format!("`minIssuedAt`: expected an RFC 3339 time, got {}", crate::redact::quoted(&text)))
        }),
        (None, None) => Ok(None),
    }
}

/// Public keys as base64url or base64 texts separated by commas (the JS layer encodes
/// `Uint8Array` keys; base64 has no commas), at least one.
fn public_keys(list: &str) -> Result<Vec<PublicKey>, JsError> {
    if list.trim().is_empty() {
        return Err(error("a public key is needed to verify the bundle: pass `publicKey` or `publicKeys`"));
    }
    list.split(',').map(|t| PublicKey::parse(t).map_err(engine_error)).collect()
}

/// A request from its parts. `headers` is names and values alternating, each ended by NUL (the
/// JS layer refuses NUL inside a name or value, as HTTP does): no JSON on the hot path.
fn request(method: String, url: String, headers: &str, remote_addr: Option<String>) -> Result<Request, JsError> {
    let mut parts = headers.split_terminator('\0');
    let mut pairs = Vec::new();
    while let Some(name) = parts.next() {
        let value = parts.next().ok_or_else(|| error("request: headers: a header name without a value"))?;
        pairs.push((name.to_owned(), value.to_owned()));
    }
    Ok(Request { method, url, headers: Headers(pairs), remote_addr })
}

/// A loaded snapshot, opaque to JS: parsed once, then each call passes only a request. The
/// second field holds the fast check's request and result areas.
#[wasm_bindgen]
pub struct Engine(crate::Engine, boundary::Areas);

impl Engine {
    fn new(engine: crate::Engine) -> Engine {
        Engine(engine, boundary::Areas::default())
    }
}

#[wasm_bindgen]
impl Engine {
    /// An engine over a signed bundle, verified with one of `public_keys_list` at `now`, and
    /// issued no earlier than the floor (`min_ms` or `min_text`, see [`floor`]).
    /// Takes the bytes as they were copied in: no second copy.
    pub fn load(
        bytes: Vec<u8>,
        public_keys_list: &str,
        now: f64,
        min_ms: Option<f64>,
        min_text: Option<String>,
    ) -> Result<Engine, JsError> {
        let keys = public_keys(public_keys_list)?;
        crate::Engine::load_since(bytes, &keys, timestamp(now)?, floor(min_ms, min_text)?)
            .map(Engine::new)
            .map_err(engine_error)
    }

    /// The address of the request area, grown to at least `len` bytes; 0 when `len` is more
    /// than a fast check takes (the JS layer then takes `check`).
    #[wasm_bindgen(js_name = requestArea)]
    pub fn request_area(&mut self, len: usize) -> usize {
        if self.1.reserve(len) {
            self.1.request.as_ptr() as usize
        } else {
            0
        }
    }

    /// The address of the result area (`i32`s).
    #[wasm_bindgen(js_name = resultArea)]
    #[must_use]
    pub fn result_area(&self) -> usize {
        self.1.out.as_ptr() as usize
    }

    /// The address of the result's text area.
    #[wasm_bindgen(js_name = textArea)]
    #[must_use]
    pub fn text_area(&self) -> usize {
        self.1.text.as_ptr() as usize
    }

    /// The request in the request area (byte lengths of method, URL, `Authorization`,
    /// client-IP header, peer) at `now` -> the fast result's code (`crate::boundary`).
    #[wasm_bindgen(js_name = checkFast)]
    #[expect(clippy::too_many_arguments, reason = "numbers in, a number out: no object crosses")]
    pub fn check_fast(
        &mut self,
        method: usize,
        url: usize,
        authorization: usize,
        client_ip: usize,
        peer: usize,
        flags: u32,
        now: f64,
    ) -> u32 {
        let Some(now) = Timestamp::from_millis(now) else {
            return boundary::FULL;
        };
        boundary::check(&self.0, &mut self.1, [method, url, authorization, client_ip, peer], flags, now)
    }

    /// The fast check's constant tables (JSON).
    #[must_use]
    pub fn constants(&self) -> String {
        boundary::constants(&self.0)
    }

    /// Policy `i` for the fast check (JSON).
    #[wasm_bindgen(js_name = policyInfo)]
    #[must_use]
    pub fn policy_info(&self, i: usize) -> Option<String> {
        boundary::policy(&self.0, i)
    }

    /// Route `i` for the fast check (JSON).
    #[wasm_bindgen(js_name = routeInfo)]
    #[must_use]
    pub fn route_info(&self, i: u32) -> Option<String> {
        boundary::route(&self.0, i)
    }

    /// The token in `slot` for the fast check (JSON).
    #[wasm_bindgen(js_name = tokenInfo)]
    #[must_use]
    pub fn token_info(&self, slot: u32) -> Option<String> {
        boundary::token(&self.0, slot)
    }

    /// One request (see [`request`]) at `now` -> a `Decision` (JSON).
    pub fn check(
        &self,
        method: String,
        url: String,
        headers: &str,
        remote_addr: Option<String>,
        now: f64,
    ) -> Result<String, JsError> {
        let request = request(method, url, headers, remote_addr)?;
        to_json(&self.0.check(&request, timestamp(now)?))
    }

    /// Like `check`, with every pipeline step: `{ decision, steps }`.
    pub fn explain(
        &self,
        method: String,
        url: String,
        headers: &str,
        remote_addr: Option<String>,
        now: f64,
    ) -> Result<String, JsError> {
        let request = request(method, url, headers, remote_addr)?;
        to_json(&self.0.explain(&request, timestamp(now)?))
    }

    /// Applies a signed delta on top of this engine's base bundle, issued no earlier than the
    /// floor (see [`floor`]); unchanged on error.
    #[wasm_bindgen(js_name = applyDelta)]
    pub fn apply_delta(
        &mut self,
        bytes: &[u8],
        now: f64,
        min_ms: Option<f64>,
        min_text: Option<String>,
    ) -> Result<(), JsError> {
        self.0.apply_delta_since(bytes, timestamp(now)?, floor(min_ms, min_text)?).map_err(engine_error)
    }

    /// Counts and times of the loaded snapshot.
    pub fn info(&self) -> Result<String, JsError> {
        to_json(&self.0.info())
    }
}

/// Lower-case hex SHA-256 of a token, as `secret_sha256` in the state.
#[wasm_bindgen(js_name = digestToken)]
#[must_use]
pub fn digest_token(token: &str) -> String {
    crate::digest_hex(&crate::digest_token(token))
}

/// Everything a worker does not need: reading states, building and signing bundles, keys,
/// tokens, inspection, and the admin questions. Not in the edge build.
#[cfg(feature = "admin")]
mod admin {
    use serde::de::DeserializeOwned;
    use serde::Serialize;
    use wasm_bindgen::prelude::*;

    use super::{engine_error, error, public_keys, timestamp, to_json, Engine};
    use crate::{CompiledState, PrivateKey, PublicKey, ReplayRequest, TokenKind, TokenSpec};

    /// JS to Rust: JSON text (from `JSON.stringify`) through the type's own `Deserialize`;
    /// `what` names the argument in errors. The position serde_json appends is dropped: the
    /// caller wrote an object, not this text; values serde quotes are redacted by the rule of
    /// [`crate::redact::quoted`].
    fn from_json<T: DeserializeOwned>(json: &str, what: &str) -> Result<T, JsError> {
        serde_json::from_str(json).map_err(|e| {
            let message = e.to_string();
            let message = message.rsplit_once(" at line ").map_or(message.as_str(), |(head, _)| head);
            error(&[what, ": ", &crate::redact::redact_quotes(message)].concat())
        })
    }

    /// A whole number from JS within `min..=max`; `what` names the option in errors.
    fn whole(value: f64, min: f64, max: f64, what: &str) -> Result<f64, JsError> {
        if value.is_finite() && value.fract() == 0.0 && (min..=max).contains(&value) {
            Ok(value)
        } else {
            Err(error(&format!("`{what}` must be a whole number from {min} to {max}, got {value}")))
        }
    }

    /// `ttlSeconds`: whole seconds, at least one, within JavaScript's safe integers.
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "a whole number checked to be in range"
    )]
    fn ttl(seconds: f64) -> Result<u64, JsError> {
        Ok(whole(seconds, 1.0, 9_007_199_254_740_991.0, "ttlSeconds")? as u64)
    }

    fn private_key(text: &str) -> Result<PrivateKey, JsError> {
        PrivateKey::parse(text).map_err(engine_error)
    }

    #[wasm_bindgen]
    impl Engine {
        /// An engine over an unsigned state, given as JSON text so errors carry JSON paths.
        #[wasm_bindgen(js_name = fromStateJson)]
        pub fn from_state_json(json: &str) -> Result<Engine, JsError> {
            crate::Engine::from_state_json(json).map(Engine::new).map_err(engine_error)
        }

        /// The impact of a proposed state or policy change (JSON), with `replay` (JSON list),
        /// listing up to `max_listed` changed tokens and flipped requests.
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "a whole number checked to be in range"
        )]
        pub fn preview(
            &self,
            proposal_json: &str,
            replay_json: &str,
            now: f64,
            max_listed: f64,
        ) -> Result<String, JsError> {
            let replay: Vec<ReplayRequest> = from_json(replay_json, "replay")?;
            let max_listed = whole(max_listed, 0.0, 4_294_967_295.0, "maxListed")? as usize;
            let report = self.0.preview_listing(proposal_json, &replay, timestamp(now)?, max_listed);
            to_json(&report.map_err(engine_error)?)
        }

        /// Findings over the token estate at `now`.
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "a whole number checked to be in range"
        )]
        pub fn audit(&self, now: f64, expiring_within_days: f64) -> Result<String, JsError> {
            let days = whole(expiring_within_days, 0.0, 36_500.0, "expiringWithinDays")? as u32;
            to_json(&self.0.audit(timestamp(now)?, days))
        }

        /// Counts by kind and an expiry timeline of `weeks` weeks at `now` (the admin page).
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "a whole number checked to be in range"
        )]
        pub fn estate(&self, now: f64, weeks: f64) -> Result<String, JsError> {
            let weeks = whole(weeks, 0.0, 104.0, "weeks")? as u32;
            to_json(&self.0.estate(timestamp(now)?, weeks))
        }

        /// The policies, network and token permissions in the state's JSON form (JSON).
        pub fn policies(&self) -> Result<String, JsError> {
            to_json(&self.0.policies_json())
        }

        /// A new unsigned engine over the same tokens with a policy change (JSON) applied.
        #[wasm_bindgen(js_name = withPolicies)]
        pub fn with_policies(&self, change_json: &str) -> Result<Engine, JsError> {
            self.0.with_policies(change_json).map(Engine::new).map_err(engine_error)
        }

        /// A new unsigned engine with a changes document (JSON) applied.
        #[wasm_bindgen(js_name = withChanges)]
        pub fn with_changes(&self, changes_json: &str) -> Result<Engine, JsError> {
            self.0.with_changes(changes_json).map(Engine::new).map_err(engine_error)
        }

        /// The whole snapshot as a state document (JSON).
        pub fn state(&self) -> Result<String, JsError> {
            to_json(&self.0.state_json().map_err(engine_error)?)
        }

        /// A signed full bundle of this snapshot, valid for `ttl_seconds` after its `issued_at`.
        #[wasm_bindgen(js_name = buildBundle)]
        pub fn build_bundle(&self, private_key_text: &str, ttl_seconds: f64) -> Result<Vec<u8>, JsError> {
            self.0.build_bundle(&private_key(private_key_text)?, ttl(ttl_seconds)?).map_err(engine_error)
        }

        /// Whether `actor` may create the token `spec` (JSON) describes, as a `Decision`.
        #[wasm_bindgen(js_name = canCreateToken)]
        pub fn can_create_token(&self, actor: &str, spec_json: &str, now: f64) -> Result<String, JsError> {
            let spec: TokenSpec = from_json(spec_json, "spec")?;
            to_json(&self.0.can_create_token(actor, &spec, timestamp(now)?).map_err(engine_error)?)
        }

        /// Whether `actor` may revoke the token with id `token_id`, as a `Decision`.
        #[wasm_bindgen(js_name = canRevokeToken)]
        pub fn can_revoke_token(&self, actor: &str, token_id: &str, now: f64) -> Result<String, JsError> {
            to_json(&self.0.can_revoke_token(actor, token_id, timestamp(now)?).map_err(engine_error)?)
        }
    }

    /// A checked state, kept between the steps of a build so a caller (the CLI's progress)
    /// can report each one; `buildBundle` in JS goes through it too.
    #[wasm_bindgen]
    pub struct State(CompiledState);

    #[wasm_bindgen]
    impl State {
        /// Reads and checks a state document; errors name the JSON path.
        #[wasm_bindgen(js_name = fromJson)]
        pub fn from_json(json: &str) -> Result<State, JsError> {
            CompiledState::from_json(json).map(State).map_err(engine_error)
        }

        /// Like `fromJson`, from the JSON text's UTF-8 bytes (what the JS layer passes: cheaper
        /// to copy in than a string).
        #[wasm_bindgen(js_name = fromJsonBytes)]
        pub fn from_json_bytes(bytes: &[u8]) -> Result<State, JsError> {
            let json = std::str::from_utf8(bytes).map_err(|_| error("state: expected UTF-8 JSON text"))?;
            Self::from_json(json)
        }

        /// Tokens in the state.
        #[wasm_bindgen(getter)]
        #[must_use]
        pub fn tokens(&self) -> usize {
            self.0.tokens().len()
        }

        /// A signed bundle of this state, valid for `ttl_seconds` after its `issued_at`.
        #[wasm_bindgen(js_name = buildBundle)]
        pub fn build_bundle(&self, private_key_text: &str, ttl_seconds: f64) -> Result<Vec<u8>, JsError> {
            crate::build_bundle(&self.0, &private_key(private_key_text)?, ttl(ttl_seconds)?).map_err(engine_error)
        }

        /// A signed delta that turns `base` into this state.
        #[wasm_bindgen(js_name = buildDelta)]
        pub fn build_delta(&self, base: &[u8], private_key_text: &str, ttl_seconds: f64) -> Result<Vec<u8>, JsError> {
            crate::build_delta(base, &self.0, &private_key(private_key_text)?, ttl(ttl_seconds)?).map_err(engine_error)
        }
    }

    /// A bundle from a state and its tokens streamed as NDJSON chunks (`BundleBuilder` in JS).
    /// Empty once finished.
    #[wasm_bindgen]
    pub struct BundleBuilder(Option<crate::BundleBuilder>);

    #[wasm_bindgen]
    impl BundleBuilder {
        /// Over a state document (JSON text, tokens optional); `name` is what errors call the
        /// token list (`tokens.ndjson:41: ...`).
        #[wasm_bindgen(constructor)]
        pub fn new(state_json: &str, name: &str) -> Result<BundleBuilder, JsError> {
            crate::BundleBuilder::new(state_json, name).map(|b| BundleBuilder(Some(b))).map_err(engine_error)
        }

        fn builder(&mut self) -> Result<&mut crate::BundleBuilder, JsError> {
            self.0.as_mut().ok_or_else(|| error("this bundle builder has finished: make a new one"))
        }

        /// The next chunk of the NDJSON token list, as UTF-8 bytes (may end inside a character).
        /// NOTE: bytes only: the JS layer encodes text with `TextEncoder`, natively, where
        /// wasm-bindgen's string glue copies ASCII one character at a time in JS (a third of
        /// the build time at 100k tokens).
        #[wasm_bindgen(js_name = addBytes)]
        pub fn add_bytes(&mut self, chunk: &[u8]) -> Result<(), JsError> {
            self.builder()?.add_ndjson(chunk).map_err(engine_error)
        }

        /// Tokens added so far.
        #[wasm_bindgen(getter)]
        #[must_use]
        pub fn tokens(&self) -> usize {
            self.0.as_ref().map_or(0, crate::BundleBuilder::tokens)
        }

        /// The signed bundle. The key and ttl are checked before the builder is used up, so a
        /// wrong one can be corrected; any other error ends it.
        pub fn finish(&mut self, private_key_text: &str, ttl_seconds: f64) -> Result<Vec<u8>, JsError> {
            let key = private_key(private_key_text)?;
            let ttl = ttl(ttl_seconds)?;
            let builder = self.0.take().ok_or_else(|| error("this bundle builder has finished: make a new one"))?;
            builder.finish(&key, ttl).map_err(engine_error)
        }
    }

    /// A signed delta on `base` from a changes document (JSON: `revoke`, `remove`, `upsert`,
    /// policy change), against the base; errors name the JSON path.
    #[wasm_bindgen(js_name = buildDeltaFromChanges)]
    pub fn build_delta_from_changes(
        base: &[u8],
        changes_json: &str,
        private_key_text: &str,
        ttl_seconds: f64,
    ) -> Result<Vec<u8>, JsError> {
        crate::build_delta_from_changes(base, changes_json, &private_key(private_key_text)?, ttl(ttl_seconds)?)
            .map_err(engine_error)
    }

    /// A key pair as JS sees it.
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct KeyPair {
        public_key: String,
        private_key: String,
        key_id: String,
    }

    /// A fresh Ed25519 key pair -> `{ publicKey, privateKey, keyId }`: base64url, or with
    /// `typed` in the typed text form (`scopegate-ed25519-public:...`, `...-private:...`).
    #[wasm_bindgen(js_name = generateKeyPair)]
    pub fn generate_key_pair(typed: bool) -> Result<String, JsError> {
        let pair = crate::generate_key_pair().map_err(engine_error)?;
        let private = private_key(&pair.private_key)?;
        let public = private.public_key();
        let key_id = public.key_id().to_string();
        if typed {
            to_json(&KeyPair { public_key: public.typed(), private_key: private.typed(), key_id })
        } else {
            to_json(&KeyPair { public_key: pair.public_key, private_key: pair.private_key, key_id })
        }
    }

    /// The public key (base64url, or `typed`) that verifies what `private_key_text` signs.
    #[wasm_bindgen(js_name = publicKeyOf)]
    pub fn public_key_of(private_key_text: &str, typed: bool) -> Result<String, JsError> {
        let public = private_key(private_key_text)?.public_key();
        Ok(if typed { public.typed() } else { public.to_string() })
    }

    /// The hex id of a public key, as the bundles its private key signs name it.
    #[wasm_bindgen(js_name = keyIdOf)]
    pub fn key_id_of(public_key_text: &str) -> Result<String, JsError> {
        PublicKey::parse(public_key_text).map(|k| k.key_id().to_string()).map_err(engine_error)
    }

    /// What `inspectBundle` reports: the header, and whether it is expired at `now`.
    #[derive(Serialize)]
    struct Inspected {
        #[serde(flatten)]
        info: crate::BundleInfo,
        expired: bool,
    }

    /// Verifies a bundle or delta (signature and layout; loading also refuses an expired one)
    /// and reports its header and whether it is expired at `now` (JSON).
    #[wasm_bindgen(js_name = inspectBundle)]
    pub fn inspect_bundle(bytes: &[u8], public_keys_list: &str, now: f64) -> Result<String, JsError> {
        let info = crate::inspect_bundle(bytes, &public_keys(public_keys_list)?).map_err(engine_error)?;
        let expired = info.expired_at(timestamp(now)?);
        to_json(&Inspected { info, expired })
    }

    /// An OpenAPI 3 document (JSON) -> a profile named `name` (JSON).
    #[wasm_bindgen(js_name = profileFromOpenApi)]
    pub fn profile_from_openapi(spec_json: &str, name: &str) -> Result<String, JsError> {
        to_json(&crate::profile_from_openapi(spec_json, name).map_err(engine_error)?)
    }

    /// A minted token and its digest, as JS sees it.
    #[derive(Serialize)]
    struct Minted<'a> {
        token: &'a str,
        sha256: &'a str,
    }

    /// A fresh token of `kind` (a contract kind string) -> `{ token, sha256 }`.
    #[wasm_bindgen(js_name = mintToken)]
    pub fn mint_token(kind: &str) -> Result<String, JsError> {
        let Some(kind) = TokenKind::parse(kind) else {
            let expected = TokenKind::ALL.map(TokenKind::as_str).join(", ");
            return Err(error(&format!(
                "unknown token kind {}, expected one of {expected}",
                crate::redact::ticked(kind)
            )));
        };
        let minted = crate::mint_token(kind).map_err(engine_error)?;
        to_json(&Minted { token: &minted.token, sha256: &minted.sha256 })
    }
}
