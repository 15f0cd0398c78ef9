//! A snapshot: everything the pipeline decides from. Built from a state (unsigned, for admin
//! previews and tests) or read from a verified bundle (at the edge).

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::directory::Directory;
use crate::error::{BundleError, Error};
use crate::policy::{Network, Policies, TokenPermissions, UnknownRoute};
use crate::profile::Profile;
use crate::time::Timestamp;
use crate::token::{TokenRecord, TokenView};

/// Everything but the tokens and the profile: small, decoded once at load.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meta {
    pub(crate) issued_at: Timestamp,
    pub(crate) directory: Directory,
    pub(crate) policies: Policies,
    pub(crate) network: Network,
    pub(crate) token_permissions: TokenPermissions,
    pub(crate) unknown_route: UnknownRoute,
}

impl Meta {
    /// When the state was exported from the system of record.
    #[must_use]
    pub fn issued_at(&self) -> Timestamp {
        self.issued_at
    }

    /// The resources and the principals.
    #[must_use]
    pub fn directory(&self) -> &Directory {
        &self.directory
    }

    /// The organisation's policies.
    #[must_use]
    pub fn policies(&self) -> &Policies {
        &self.policies
    }

    /// Trusted proxies and the client-IP header.
    #[must_use]
    pub fn network(&self) -> &Network {
        &self.network
    }

    /// Who may create and use which tokens.
    #[must_use]
    pub fn token_permissions(&self) -> &TokenPermissions {
        &self.token_permissions
    }

    /// What requests to a route the profile does not know get.
    #[must_use]
    pub fn unknown_route(&self) -> UnknownRoute {
        self.unknown_route
    }

    /// The same meta, issued at `issued_at` (a delta without a meta section of its own).
    pub(crate) fn reissued(&self, issued_at: Timestamp) -> Meta {
        Meta { issued_at, ..self.clone() }
    }
}

/// Where token records come from: a map built from a state, or a zero-copy view over bundle
/// bytes. Lookups decode one record; nothing decodes the whole table.
pub(crate) trait TokenSource: Send + Sync {
    /// The record whose secret has this SHA-256 digest.
    fn get(&self, digest: &[u8; 32]) -> Option<TokenRecord> {
        self.lookup(digest).ok().flatten()
    }
    /// Like `get`, but tells a missing token from a listed one whose record cannot be read
    /// (a damaged table behind a valid signature: an internal error, never an allow).
    fn lookup(&self, digest: &[u8; 32]) -> Result<Option<TokenRecord>, Unreadable> {
        Ok(self.view(digest)?.map(|v| v.to_record(*digest)))
    }
    /// Like `lookup`, borrowing the record instead of copying it out: what requests are decided
    /// from (no allocation).
    fn view(&self, digest: &[u8; 32]) -> Result<Option<TokenView<'_>>, Unreadable>;
    /// The record a view's slot names (sources that give slots: bundles).
    fn at_slot(&self, _slot: u32) -> Option<TokenView<'_>> {
        None
    }
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
pub(crate) struct Unreadable;

/// Tokens held as decoded records, keyed by digest (the unsigned `fromState` path).
#[derive(Clone, Debug, Default)]
pub(crate) struct MemoryTokens {
    by_digest: BTreeMap<[u8; 32], TokenRecord>,
}

impl MemoryTokens {
    /// The records, keyed by their digests.
    pub(crate) fn new(records: impl IntoIterator<Item = TokenRecord>) -> MemoryTokens {
        MemoryTokens { by_digest: records.into_iter().map(|t| (t.digest, t)).collect() }
    }
}

impl TokenSource for MemoryTokens {
    fn lookup(&self, digest: &[u8; 32]) -> Result<Option<TokenRecord>, Unreadable> {
        Ok(self.by_digest.get(digest).cloned())
    }
    fn view(&self, digest: &[u8; 32]) -> Result<Option<TokenView<'_>>, Unreadable> {
        Ok(self.by_digest.get(digest).map(TokenView::record))
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
    pub(crate) meta: Meta,
    pub(crate) profile: Profile,
    /// When a bundle stops being trusted; `None` for an unsigned state snapshot.
    pub(crate) expires_at: Option<Timestamp>,
    pub(crate) tokens: Arc<dyn TokenSource>,
}

impl Snapshot {
    pub(crate) fn new(
        meta: Meta,
        profile: Profile,
        expires_at: Option<Timestamp>,
        tokens: Arc<dyn TokenSource>,
    ) -> Snapshot {
        Snapshot { meta, profile, expires_at, tokens }
    }

    /// The directory, policies and settings.
    #[must_use]
    pub fn meta(&self) -> &Meta {
        &self.meta
    }

    /// The API's scopes and routes.
    #[must_use]
    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// When a bundle stops being trusted; `None` for an unsigned state snapshot.
    #[must_use]
    pub fn expires_at(&self) -> Option<Timestamp> {
        self.expires_at
    }

    /// How many tokens there are.
    #[must_use]
    pub fn token_count(&self) -> usize {
        self.tokens.len()
    }

    /// The record of the token whose secret has this SHA-256 digest. Read from a bundle, a
    /// record's `digest` keeps only its first 16 bytes (what lookups match on), the rest zero.
    #[must_use]
    pub fn token(&self, digest: &[u8; 32]) -> Option<TokenRecord> {
        self.tokens.get(digest)
    }

    /// Every token record, in digest order, decoded one at a time (a record that cannot be read
    /// is left out).
    pub fn tokens(&self) -> impl Iterator<Item = TokenRecord> + '_ {
        self.tokens.records()
    }

    /// Every token record, in digest order.
    ///
    /// # Errors
    /// A record that cannot be read (a damaged table behind a valid signature).
    pub(crate) fn records(&self) -> Result<Vec<TokenRecord>, Error> {
        let records: Vec<TokenRecord> = self.tokens.records().collect();
        if records.len() != self.tokens.len() {
            return Err(Error::Bundle(BundleError::Corrupt("a record of the snapshot cannot be read".into())));
        }
        Ok(records)
    }
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
