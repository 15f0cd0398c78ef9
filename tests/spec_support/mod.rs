//! The official Bitbucket Cloud OpenAPI spec, which the profile tests compare the built-in
//! profile with. It lives outside the repository (`../shared/data/`): without it those tests
//! cannot check anything, so they say so loudly, and under CI (the `CI` environment variable
//! set, as `.ci/run` does) they fail: CI runs with `../shared` present.
#![allow(dead_code, clippy::panic)]

use std::io::Write as _;
use std::path::PathBuf;

pub fn spec_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/bitbucket-cloud-openapi.json")
}

/// The spec's text, or `None` after a warning that bypasses the test harness's capture (a
/// skipped check must be seen); under CI its absence fails the test.
pub fn spec_text(test: &str) -> Option<String> {
    let path = spec_path();
    match std::fs::read_to_string(&path) {
        Ok(text) => Some(text),
        Err(e) => {
            let message = format!("{test}: NOT CHECKED: {} cannot be read ({e})", path.display());
            assert!(std::env::var_os("CI").is_none(), "{message}; CI runs with ../shared present");
            // NOTE: straight to the process's stderr: `eprintln!` is captured for passing tests.
            let _ = writeln!(std::io::stderr(), "\n!!! {message}\n");
            None
        }
    }
}
