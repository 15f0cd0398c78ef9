//! A snapshot: everything the pipeline decides from. Built from a state (unsigned, for admin
//! previews and tests) or read from a verified bundle (at the edge).

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::directory::Directory;
use crate::policy::{Network, Policies, TokenPermissions, UnknownRoute};
use crate::profile::{Profile, ProfileDoc};
use crate::time::Timestamp;
use crate::token::TokenRecord;

/// Everything but the tokens: small, decoded once at load.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meta {
    pub issued_at: Timestamp,
    pub profile: ProfileDoc,
    pub directory: Directory,
    pub policies: Policies,
    pub network: Network,
    pub token_permissions: TokenPermissions,
    pub unknown_route: UnknownRoute,
}

/// Where token records come from: a map built from a state, or a zero-copy view over bundle
/// bytes. Lookups decode one record; nothing decodes the whole table.
pub trait TokenSource: Send + Sync {
    /// The record whose secret has this SHA-256 digest.
    fn get(&self, digest: &[u8; 32]) -> Option<TokenRecord> {
        self.lookup(digest).ok().flatten()
    }
    /// Like `get`, but tells a missing token from a listed one whose record cannot be read
    /// (a damaged table behind a valid signature: an internal error, never an allow).
    fn lookup(&self, digest: &[u8; 32]) -> Result<Option<TokenRecord>, Unreadable>;
    /// How many tokens there are.
    fn len(&self) -> usize;
    /// Whether there are none.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Every record, in digest order.
    fn records(&self) -> Box<dyn Iterator<Item = TokenRecord> + '_>;
    /// Whether `records()` carry each token's whole digest. A bundle keeps only the first 16
    /// bytes (lookups match on them), so its records cannot be written back as a state.
    fn whole_digests(&self) -> bool {
        true
    }
}

/// A token is listed but its record cannot be decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unreadable;

/// Tokens held as decoded records, keyed by digest (the unsigned `fromState` path).
#[derive(Clone, Debug, Default)]
pub struct MemoryTokens {
    pub by_digest: BTreeMap<[u8; 32], TokenRecord>,
}

impl TokenSource for MemoryTokens {
    fn lookup(&self, digest: &[u8; 32]) -> Result<Option<TokenRecord>, Unreadable> {
        Ok(self.by_digest.get(digest).cloned())
    }
    fn len(&self) -> usize {
        self.by_digest.len()
    }
    fn records(&self) -> Box<dyn Iterator<Item = TokenRecord> + '_> {
        Box::new(self.by_digest.values().cloned())
    }
}

/// A snapshot the pipeline evaluates against.
#[derive(Clone)]
pub struct Snapshot {
    pub meta: Meta,
    pub profile: Profile,
    /// When a bundle stops being trusted; `None` for an unsigned state snapshot.
    pub expires_at: Option<Timestamp>,
    pub tokens: Arc<dyn TokenSource>,
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot")
            .field("issued_at", &self.meta.issued_at)
            .field("expires_at", &self.expires_at)
            .field("tokens", &self.tokens.len())
            .finish_non_exhaustive()
    }
}
