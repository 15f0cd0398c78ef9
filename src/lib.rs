#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
// The request path is optimised for speed inside the size-optimised edge .wasm, function by
// function, where the toolchain has the attribute (scripts/lib.sh sets the cfg and the inline
// threshold it needs to take effect).
#![cfg_attr(scopegate_speed, feature(optimize_attribute))]
//!
//! # Organization
//!
//! The modules follow the decision pipeline (docs/pipeline.md):
//! - `read`: the one JSON reader (states, changes documents, profiles), with JSON paths in
//!   every error;
//! - `state`: the state JSON in, its references resolved and checked;
//! - `profile`: scope catalogue, implications and route table (OpenAPI importer, Bitbucket built-in);
//! - `pipeline`: client IP, credentials, token state, policy gates, route, scopes, resource,
//!   permission; one [`Decision`] out, and a trace for [`Engine::explain`];
//! - `token`: token kinds, formats and records, their digest order, and a bundle's record read
//!   in place; `directory`, `policy`, `decision`: the resource tree, policies and decisions;
//! - `bundle`: the signed digest bundle and its deltas (`open` gives the snapshot an
//!   [`Engine`] keeps), read zero-copy;
//! - `preview`, `audit`, `create`, `revoke`: the admin questions;
//! - `time`, `error`, `wire`, `redact`: timestamps, errors, byte readers, and what a message
//!   may quote of the input;
//! - [`Engine`]: the facade over all of it; `wasm` (wasm32 only): the thin WebAssembly binding.
//!
//! The modules form no cycle and each uses only the layers below it (`tests/module_graph.rs`).

mod audit;
#[cfg_attr(
    not(any(target_arch = "wasm32", test)),
    expect(dead_code, reason = "the fast check's boundary is called by the WebAssembly binding only")
)]
mod boundary;
mod bundle;
mod create;
mod decision;
mod directory;
mod engine;
mod error;
mod estate;
mod export;
mod pipeline;
mod policy;
mod preview;
mod profile;
mod read;
mod redact;
mod revoke;
mod snapshot;
mod state;
mod time;
mod token;
#[cfg(target_arch = "wasm32")]
mod wasm;
mod wire;

pub use audit::{AuditReport, Finding, FindingKind, Severity};
pub use bundle::build_delta_from_changes;
pub use bundle::{
    build_bundle, build_delta, generate_key_pair, inspect_bundle, BundleBuilder, BundleInfo, KeyId, KeyPair,
    PrivateKey, PublicKey, SectionSizes,
};
pub use bundle::{PRIVATE_KEY_PREFIX, PUBLIC_KEY_PREFIX};
pub use create::TokenSpec;
pub use decision::{Decision, Effect, Explanation, Reason, Required, Step, TokenSummary};
pub use directory::{Directory, Level, Principal, PrincipalKind, PrincipalStatus, ResourceKey, ResourceRef};
pub use engine::{Engine, Info};
pub use error::{BundleError, Error};
pub use estate::Estate;
pub use pipeline::{Authorization, Headers, Request, RequestParts, Target, Verdict, METHOD_OVERRIDE_HEADERS};
pub use policy::{ClientIpHeader, Network, Policies, Policy, TokenPermissions, UnknownRoute};
pub use preview::{Flip, Outcome, PreviewReport, ReplayReport, ReplayRequest, TokenChange};
pub use profile::{profile_from_openapi, Profile, ProfileDoc, RouteDef, RouteMatch, ScopeDef};
pub use snapshot::{Meta, Snapshot};
pub use state::CompiledState;
pub use time::{Timestamp, CLOCK_SKEW_SECONDS};
pub use token::{
    checksum_ok, digest_hex, digest_token, mint_from_seed, mint_token, parse_prefix, AccessMode, Binding,
    BitbucketToken, MintedToken, TokenFormat, TokenKind, TokenRecord,
};
