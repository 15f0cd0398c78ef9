//! Decide one request from a state file, natively: `cargo run --example decide -- state.json TOKEN URL [METHOD]`.
//!
//! The same engine runs in WebAssembly; this is the Rust API for services that need no Node.
#![allow(clippy::print_stdout)]

use scopegate::{Engine, Request, Timestamp};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [state, token, url, rest @ ..] = args.as_slice() else {
        return Err("usage: decide STATE.json TOKEN URL [METHOD]".into());
    };
    let method = rest.first().map_or("GET", String::as_str);
    let engine = Engine::from_state_json(&std::fs::read_to_string(state)?)?;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_secs();
    let request = Request::new(method, url).header("Authorization", &format!("Bearer {token}"));
    let explained = engine.explain(&request, Timestamp::from_unix_seconds(i64::try_from(now)?));
    for step in &explained.steps {
        println!("{:>14} {} {}", step.step, if step.ok { "ok  " } else { "FAIL" }, step.detail);
    }
    println!("{}", serde_json::to_string_pretty(&explained.decision)?);
    Ok(())
}
