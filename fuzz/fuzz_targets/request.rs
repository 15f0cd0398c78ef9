//! Any request JSON (method, URL, headers, peer address) against a fixed state: always a
//! decision, and whenever the engine checks a resource, a standard URL parser (the `url` crate,
//! WHATWG rules: what the origin behind the gate reads) finds the same one in the URL.
#![no_main]

#[path = "../../tests/url_reference/mod.rs"]
mod url_reference;

use std::sync::OnceLock;

static ENGINE: OnceLock<scopegate::Engine> = OnceLock::new();

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let engine = ENGINE.get_or_init(|| scopegate::Engine::from_state_json(STATE).unwrap());
    let Ok(request) = serde_json::from_slice::<scopegate::Request>(data) else { return };
    let d = engine.check(&request, scopegate::Timestamp::from_unix_seconds(1_795_341_660));
    assert_eq!(d.allow, d.effect == scopegate::Effect::Allow);
    if let Some(checked) = d.required.as_ref().and_then(|r| r.resource.as_ref()) {
        match url_reference::reference(&request.url) {
            Err(e) => panic!("{:?}: the engine checked {checked}, a standard URL parser refuses it: {e}", request.url),
            Ok(Some(read)) => assert_eq!(&read, checked, "{:?}", request.url),
            // A route shape the reference does not know: nothing to compare.
            Ok(None) => {}
        }
    }
});

/// The state every request is judged against (also read by tests/bundle_fuzz_corpus.rs, which
/// checks that each seed reaches what its name says).
const STATE: &str = include_str!("../request_state.json");
