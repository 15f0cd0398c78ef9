//! The signed digest bundle (docs/bundle-format.md).
//!
//! INTERFACE (owned by the bundle work): `LoadedBundle` is what an `Engine` keeps of the bundle
//! it was loaded from (keys, base identity, applied delta) so deltas can be applied later.

/// What an engine keeps of the verified bundle it was loaded from.
#[derive(Clone, Debug)]
pub struct LoadedBundle {
    /// Size of the bundle bytes (and of the applied delta, if any).
    pub bytes: usize,
}
