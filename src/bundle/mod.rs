//! The signed digest bundle (docs/bundle-format.md): build, verify, load, delta, inspect.
//!
//! # Organization
//! - `keys`: Ed25519 key pairs, parsing, key ids;
//! - `format`: header, signature check, section layout;
//! - `pack`: tokens packed and interned for a build, and the token table written from them
//!   (read back by `crate::token`'s `packed`; bytes by `crate::wire`);
//! - `tokens`: the zero-copy `TokenSource` over the verified bytes,
//!   and the overlay of a delta on its base;
//! - `build`: `build_bundle`, `build_delta`;
//! - `stream`: [`BundleBuilder`], a bundle from a state and its tokens streamed as NDJSON;
//! - `changes`: `build_delta_from_changes` (revoke/remove/upsert/policy change on the base),
//!   and the same changes on a snapshot in memory (`Engine::with_changes`);
//! - `load`: `open` (a verified bundle into a snapshot and the [`LoadedBundle`] an engine
//!   keeps), `apply_delta`, the meta and profile sections read back, `inspect_bundle`.

mod build;
mod changes;
mod format;
mod keys;
mod load;
mod pack;
mod stream;
mod tokens;

pub use build::{build_bundle, build_delta};
pub(crate) use changes::apply_to_snapshot;
pub use changes::build_delta_from_changes;
pub use keys::{generate_key_pair, KeyId, KeyPair, PrivateKey, PublicKey, PRIVATE_KEY_PREFIX, PUBLIC_KEY_PREFIX};
pub(crate) use load::{apply_delta, open, open_borrowed, LoadedBundle};
pub use load::{inspect_bundle, BundleInfo, SectionSizes};
pub use stream::BundleBuilder;

pub(crate) use tokens::DELTA_SLOT;
// The token record reader's tests (src/token/packed.rs) round-trip through the writer.
#[cfg(test)]
pub(crate) use format::MIN_RECORD_LEN;
#[cfg(test)]
pub(crate) use pack::TokenTable;
