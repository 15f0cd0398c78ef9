//! Any bytes, re-signed, as a delta on a fixed base: applied or refused, never a panic.
#![no_main]

#[path = "common.rs"]
mod common;

use std::sync::OnceLock;

static BASE: &[u8] = include_bytes!("../base.bundle");
static ENGINE: OnceLock<Option<scopegate::Engine>> = OnceLock::new();

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let base = ENGINE.get_or_init(|| scopegate::Engine::load(BASE, &common::keys(), common::NOW).ok());
    let Some(mut engine) = base.clone() else { return };
    let _ = engine.apply_delta(data, common::NOW);
    if let Some(signed) = common::resigned(data) {
        if engine.apply_delta(&signed, common::NOW).is_ok() {
            common::exercise(&engine);
        }
    }
});
