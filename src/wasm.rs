//! The WebAssembly binding: converts JavaScript values to the engine's types and back, and
//! calls plain Rust. Nothing here decides anything, so everything it calls is tested natively.
//!
//! The hand-written `js/scopegate.js` sits on top: it shapes requests (Fetch `Headers` to
//! pairs, `now` split off) and is the API users import; these exports are its raw layer.
//!
//! NOTE: every export returns `Result<_, JsValue>` and every error is a real JS `Error` made
//! in [`js_error`], so a misuse throws a catchable exception instead of aborting the instance
//! (a panic in WebAssembly kills it for every later request).

use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::{Request, Timestamp, TokenKind};

/// The one place a JS `Error` is made.
fn js_error(message: &str) -> JsValue {
    js_sys::Error::new(message).into()
}

/// An engine error (bad state, bad bundle, bad key) with the engine's own message.
fn engine_error(e: crate::Error) -> JsValue {
    js_error(&e.to_string())
}

/// Rust to JS as plain objects and arrays (what `JSON.parse` would give), never `Map`s.
fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, JsValue> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| js_error(&e.to_string()))
}

/// JS to Rust through the type's own `Deserialize`; `what` names the argument in errors.
fn from_js<T: DeserializeOwned>(value: JsValue, what: &str) -> Result<T, JsValue> {
    serde_wasm_bindgen::from_value(value).map_err(|e| {
        // NOTE: serde-wasm-bindgen's error is a JS Error already; keep its message, not its
        // `Error: ` prefix, and make the thrown one here like every other.
        let cause: JsValue = e.into();
        let message = cause
            .dyn_ref::<js_sys::Error>()
            .map(|e| String::from(e.message()))
            .unwrap_or_default();
        js_error(&[what, ": ", &message].concat())
    })
}

/// The caller's `now` (ms since the epoch), else the JS clock: the engine has no clock of its own.
fn timestamp(now: Option<f64>) -> Result<Timestamp, JsValue> {
    Timestamp::from_millis(now.unwrap_or_else(js_sys::Date::now))
        .ok_or_else(|| js_error("`now` must be a finite number of milliseconds since the epoch"))
}

/// A loaded snapshot, opaque to JS: parsed once, then each call passes only a request.
#[wasm_bindgen]
pub struct Engine(crate::Engine);

#[wasm_bindgen]
impl Engine {
    /// An engine over an unsigned state, given as JSON text so errors carry JSON paths.
    #[wasm_bindgen(js_name = fromStateJson)]
    pub fn from_state_json(json: &str) -> Result<Engine, JsValue> {
        crate::Engine::from_state_json(json)
            .map(Engine)
            .map_err(engine_error)
    }

    /// `{ method, url, headers, remoteAddr }` at `now` -> a `Decision`.
    pub fn check(&self, request: JsValue, now: Option<f64>) -> Result<JsValue, JsValue> {
        let request: Request = from_js(request, "request")?;
        to_js(&self.0.check(&request, timestamp(now)?))
    }

    /// Like `check`, with every pipeline step: `{ decision, steps }`.
    pub fn explain(&self, request: JsValue, now: Option<f64>) -> Result<JsValue, JsValue> {
        let request: Request = from_js(request, "request")?;
        to_js(&self.0.explain(&request, timestamp(now)?))
    }

    /// Counts and times of the loaded snapshot.
    pub fn info(&self) -> Result<JsValue, JsValue> {
        to_js(&self.0.info())
    }
}

/// A minted token and its digest, as JS sees it.
#[derive(Serialize)]
struct Minted<'a> {
    token: &'a str,
    sha256: &'a str,
}

/// A fresh token of `kind` (a contract kind string) -> `{ token, sha256 }`.
#[wasm_bindgen(js_name = mintToken)]
pub fn mint_token(kind: &str) -> Result<JsValue, JsValue> {
    let Some(kind) = TokenKind::parse(kind) else {
        let expected = TokenKind::ALL.map(TokenKind::as_str).join(", ");
        // Not a hot path: format! costs nothing here (core::fmt is linked for Display anyway).
        let message = format!("unknown token kind `{kind}`, expected one of {expected}");
        return Err(js_error(&message));
    };
    let minted = crate::mint_token(kind).map_err(engine_error)?;
    to_js(&Minted {
        token: &minted.token,
        sha256: &minted.sha256,
    })
}

/// Lower-case hex SHA-256 of a token, as `secret_sha256` in the state.
#[wasm_bindgen(js_name = digestToken)]
#[must_use]
pub fn digest_token(token: &str) -> String {
    crate::digest_hex(&crate::digest_token(token))
}
