//! Any bytes, as given and re-signed, through `Engine::load`: errors are fine, panics are not.
#![no_main]

#[path = "common.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = scopegate::Engine::load(data, &common::keys(), common::NOW);
    if let Some(signed) = common::resigned(data) {
        let _ = scopegate::inspect_bundle(&signed, &common::keys());
        if let Ok(engine) = scopegate::Engine::load(&signed, &common::keys(), common::NOW) {
            common::exercise(&engine);
        }
    }
});
