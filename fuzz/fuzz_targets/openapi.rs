//! Any text as an OpenAPI document: an error is fine; an imported profile must compile or
//! say why, never panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(doc) = scopegate::profile_from_openapi(text, "fuzz") {
        if let Ok(profile) = scopegate::Profile::compile(doc) {
            let _ = profile.match_route("GET", "/2.0/a/b", Some("service=git-upload-pack"));
        }
    }
});
