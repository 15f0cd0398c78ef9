//! Any text as a state document: an error with a path is fine, a panic is not; a state that
//! reads must also answer a request.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(engine) = scopegate::Engine::from_state_json(text) {
        let request = scopegate::Request::new("GET", "/2.0/repositories/acme/web").header("Authorization", "Bearer secret-0");
        let _ = engine.explain(&request, scopegate::Timestamp::from_unix_seconds(1_795_341_660));
        let _ = engine.audit(scopegate::Timestamp::from_unix_seconds(1_795_341_660), 30);
    }
});
