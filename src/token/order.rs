//! Digest order: how token records are sorted, in a compiled state and in a bundle's table.

/// Bytes in each half of a SHA-256 digest.
const HALF: usize = 16;

/// The positions of `digests` (as [`split_digest`] gives them) in digest order, ties by
/// position.
///
/// NOTE: digests are uniform, so a counting pass on their top 16 bits splits a million of them
/// into 65,536 runs of about 15, each then sorted in place: linear time. A comparison sort of a
/// million entries was most of a bundle build in wasm, where V8 leaves a long-running call in
/// its baseline tier (no on-stack replacement) and a sort's outer loops are one such call.
pub(crate) fn digest_order(digests: &[(u128, u128)]) -> Vec<u32> {
    const BUCKETS: usize = 1 << 16;
    let top = |d: &(u128, u128)| (d.0 >> 112) as usize;
    let mut starts = vec![0usize; BUCKETS + 1];
    for d in digests {
        if let Some(c) = starts.get_mut(top(d) + 1) {
            *c += 1;
        }
    }
    for b in 0..BUCKETS {
        let before = starts.get(b).copied().unwrap_or(0);
        if let Some(c) = starts.get_mut(b + 1) {
            *c += before;
        }
    }
    let mut next = starts.clone();
    let mut order = vec![0u32; digests.len()];
    for (i, d) in digests.iter().enumerate() {
        if let (Some(at), Ok(i)) = (next.get_mut(top(d)), u32::try_from(i)) {
            if let Some(slot) = order.get_mut(*at) {
                *slot = i;
            }
            *at += 1;
        }
    }
    let key = |i: &u32| (digests.get(*i as usize).copied().unwrap_or_default(), *i);
    for b in 0..BUCKETS {
        let (from, to) = (starts.get(b).copied().unwrap_or(0), starts.get(b + 1).copied().unwrap_or(0));
        if let Some(run) = order.get_mut(from..to) {
            if run.len() > 1 {
                run.sort_unstable_by_key(key);
            }
        }
    }
    order
}

/// A digest as two numbers, its halves, each ordered like its bytes: the first is a bundle's
/// lookup prefix (16 bytes).
pub(crate) fn split_digest(digest: &[u8; 32]) -> (u128, u128) {
    let mut halves = [[0u8; HALF]; 2];
    for (i, b) in digest.iter().enumerate() {
        if let Some(slot) = halves.get_mut(i / HALF).and_then(|h| h.get_mut(i % HALF)) {
            *slot = *b;
        }
    }
    let [prefix, rest] = halves;
    (u128::from_be_bytes(prefix), u128::from_be_bytes(rest))
}
