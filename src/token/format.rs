//! The token string format: `sg<k>_` + 43 base62 chars of 256-bit randomness + 6 base62 chars
//! of CRC32 over everything before them.
//!
//! NOTE: the checksum is for typos and secret scanners, not security: the digest lookup is the
//! check that matters. It lets the engine reject garbage without touching the token table.

use sha2::{Digest, Sha256};

use super::TokenKind;
use crate::error::Error;

const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const RANDOM_LEN: usize = 43;
const CHECK_LEN: usize = 6;
const PREFIX_LEN: usize = 4; // "sg" + letter + "_"
/// Length of every minted token.
pub const TOKEN_LEN: usize = PREFIX_LEN + RANDOM_LEN + CHECK_LEN;

/// What the format says about a credential string.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenFormat {
    /// Not a scopegate token (issued elsewhere, or a password): looked up by digest only.
    Foreign,
    /// A scopegate token whose checksum holds.
    Valid(TokenKind),
    /// A scopegate prefix with a wrong length, alphabet or checksum.
    BadChecksum,
    /// Issued by Bitbucket: its prefix names its kind; looked up by digest only, since the rest
    /// of the format (length, alphabet, checksum) is not published.
    Bitbucket(BitbucketToken),
}

impl TokenFormat {
    /// Whether a listed token of `kind` can have this format: a prefix that names a kind must
    /// name the listed one (a record that says otherwise is not this credential's).
    #[must_use]
    #[cfg_attr(scopegate_speed, optimize(speed))]
    pub fn fits(self, kind: TokenKind) -> bool {
        match self {
            TokenFormat::Foreign => true,
            TokenFormat::Valid(k) => k == kind,
            TokenFormat::Bitbucket(b) => b.kinds().contains(&kind),
            TokenFormat::BadChecksum => false,
        }
    }
}

/// The prefixes of tokens Bitbucket Cloud issues. Atlassian has confirmed the prefixes (`ATBB`
/// app passwords, `ATAT` API tokens, `ATCT` workspace, project and repository access tokens);
/// the tokens seen in practice start `ATATT3` and `ATCTT3`, so the longer `ATATT` / `ATCTT` are
/// matched. Nothing else about their format is public: no length, alphabet or checksum is
/// checked, and a mistyped one is found out by its digest like any other.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BitbucketToken {
    /// `ATBB...`: an app password.
    AppPassword,
    /// `ATATT...`: an Atlassian API token.
    ApiToken,
    /// `ATCTT...`: a repository, project or workspace access token.
    AccessToken,
}

impl BitbucketToken {
    /// Every Bitbucket prefix this build knows.
    pub const ALL: [BitbucketToken; 3] =
        [BitbucketToken::AppPassword, BitbucketToken::ApiToken, BitbucketToken::AccessToken];

    /// The prefix the tokens start with.
    #[must_use]
    pub fn prefix(self) -> &'static str {
        match self {
            BitbucketToken::AppPassword => "ATBB",
            BitbucketToken::ApiToken => "ATATT",
            BitbucketToken::AccessToken => "ATCTT",
        }
    }

    /// What the prefix says, for traces.
    #[must_use]
    pub fn describe(self) -> &'static str {
        match self {
            BitbucketToken::AppPassword => "a Bitbucket app password",
            BitbucketToken::ApiToken => "an Atlassian API token",
            BitbucketToken::AccessToken => "a Bitbucket access token (repository, project or workspace)",
        }
    }

    /// The kinds a listed token with this prefix may have.
    #[must_use]
    pub fn kinds(self) -> &'static [TokenKind] {
        match self {
            BitbucketToken::AppPassword => &[TokenKind::AppPassword],
            BitbucketToken::ApiToken => &[TokenKind::ApiToken],
            BitbucketToken::AccessToken => {
                &[TokenKind::RepositoryAccessToken, TokenKind::ProjectAccessToken, TokenKind::WorkspaceAccessToken]
            }
        }
    }

    /// The Bitbucket prefix `token` starts with, if any (case-sensitive, as issued).
    #[must_use]
    #[cfg_attr(scopegate_speed, optimize(speed))]
    pub fn of(token: &str) -> Option<BitbucketToken> {
        BitbucketToken::ALL.into_iter().find(|b| token.starts_with(b.prefix()))
    }
}

/// Whether `text` starts like a token: `sg` + a letter + `_`, or a Bitbucket prefix. What
/// messages and the state reader use to keep secrets out of logs.
#[must_use]
pub fn has_token_prefix(text: &str) -> bool {
    let b = text.as_bytes();
    let scopegate = matches!((b.first(), b.get(1), b.get(3)), (Some(b's'), Some(b'g'), Some(b'_')));
    scopegate || BitbucketToken::of(text).is_some()
}

/// A freshly minted token and its digest; the token is shown once and never stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MintedToken {
    pub token: String,
    pub sha256: String,
}

/// Base62 of `value`, left-padded with `0` to `width` digits.
fn base62(mut value: u64, width: usize) -> String {
    let mut out = vec![b'0'; width];
    for slot in out.iter_mut().rev() {
        let digit = usize::try_from(value % 62).unwrap_or(0);
        *slot = ALPHABET.get(digit).copied().unwrap_or(b'0');
        value /= 62;
    }
    String::from_utf8(out).unwrap_or_default()
}

/// CRC-32 (IEEE 802.3, reflected, as zlib and GitHub's token checksum use it).
///
/// NOTE: one 1 KB table built at compile time instead of crc32fast: its slicing-by-16 tables
/// are 16 KB of incompressible data, a sixth of the edge .wasm's 100 KB gzip budget, to speed
/// up a checksum over 47 bytes.
const CRC_TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        #[expect(clippy::cast_possible_truncation, reason = "i < 256")]
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 == 1 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
            k += 1;
        }
        #[expect(clippy::indexing_slicing, reason = "i < 256 by the loop; const code cannot use get_mut")]
        {
            table[i] = c;
        }
        i += 1;
    }
    table
};

#[cfg_attr(scopegate_speed, optimize(speed))]
fn crc32(bytes: &[u8]) -> u32 {
    !bytes.iter().fold(!0u32, |c, &b| {
        let index = usize::from(u8::try_from(c & 0xFF).unwrap_or(0) ^ b);
        CRC_TABLE.get(index).copied().unwrap_or(0) ^ (c >> 8)
    })
}

fn checksum(body: &str) -> String {
    base62(u64::from(crc32(body.as_bytes())), CHECK_LEN)
}

/// Classifies a credential string by its prefix and checksum.
///
/// # Examples
/// ```
/// use scopegate::{parse_prefix, BitbucketToken, TokenFormat};
/// assert_eq!(parse_prefix("ghp_not_ours"), TokenFormat::Foreign);
/// assert_eq!(parse_prefix("sgr_typo"), TokenFormat::BadChecksum);
/// assert_eq!(parse_prefix("ATBB0123456789abcdef0123456789abcdef"), TokenFormat::Bitbucket(BitbucketToken::AppPassword));
/// ```
#[must_use]
#[cfg_attr(scopegate_speed, optimize(speed))]
pub fn parse_prefix(token: &str) -> TokenFormat {
    if let Some(issued) = BitbucketToken::of(token) {
        return TokenFormat::Bitbucket(issued);
    }
    let mut chars = token.chars();
    let (Some('s'), Some('g'), Some(letter), Some('_')) = (chars.next(), chars.next(), chars.next(), chars.next())
    else {
        return TokenFormat::Foreign;
    };
    let Some(kind) = TokenKind::from_letter(letter) else {
        return TokenFormat::Foreign;
    };
    if checksum_ok(token) {
        TokenFormat::Valid(kind)
    } else {
        TokenFormat::BadChecksum
    }
}

/// Whether a prefixed token has the right length, alphabet and checksum.
#[must_use]
#[cfg_attr(scopegate_speed, optimize(speed))]
pub fn checksum_ok(token: &str) -> bool {
    if token.len() != TOKEN_LEN || !token.bytes().skip(PREFIX_LEN).all(|b| b.is_ascii_alphanumeric()) {
        return false;
    }
    match (token.get(..TOKEN_LEN - CHECK_LEN), token.get(TOKEN_LEN - CHECK_LEN..)) {
        (Some(body), Some(check)) => checksum(body) == check,
        _ => false,
    }
}

/// SHA-256 of a token, as the bundle stores it.
#[must_use]
#[cfg_attr(scopegate_speed, optimize(speed))]
pub fn digest_token(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Lower-case hex of a digest.
// NOTE: by hand, not `write!("{b:02x}")`: 32 trips through the formatting machinery cost more
// than the SHA-256 itself in the size-optimised .wasm (`digestToken`, the bench's floor).
#[must_use]
pub fn digest_hex(digest: &[u8; 32]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digit = |n: u8| char::from(HEX.get(usize::from(n & 0x0f)).copied().unwrap_or(b'0'));
    let mut s = String::with_capacity(64);
    for b in digest {
        s.push(digit(b >> 4));
        s.push(digit(*b));
    }
    s
}

/// Mints a token of `kind` from 256 bits of operating-system randomness.
///
/// # Errors
/// When the platform has no source of randomness.
///
/// # Examples
/// ```
/// use scopegate::{mint_token, parse_prefix, TokenFormat, TokenKind};
/// let minted = mint_token(TokenKind::ApiToken).unwrap();
/// assert!(minted.token.starts_with("sga_"));
/// assert_eq!(parse_prefix(&minted.token), TokenFormat::Valid(TokenKind::ApiToken));
/// ```
pub fn mint_token(kind: TokenKind) -> Result<MintedToken, Error> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| Error::Random(e.to_string()))?;
    Ok(mint_from_seed(kind, &seed))
}

/// Mints a token from given randomness (deterministic; tests and reproducible fixtures).
#[must_use]
pub fn mint_from_seed(kind: TokenKind, seed: &[u8; 32]) -> MintedToken {
    // 256 bits fill 43 base62 digits (62^43 > 2^256): four 64-bit limbs, long division by 62.
    let mut limbs: [u64; 4] = [0; 4];
    for (limb, chunk) in limbs.iter_mut().zip(seed.chunks(8)) {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(chunk);
        *limb = u64::from_be_bytes(bytes);
    }
    let mut digits = Vec::with_capacity(RANDOM_LEN);
    for _ in 0..RANDOM_LEN {
        let mut rem: u128 = 0;
        for limb in &mut limbs {
            let cur = (rem << 64) | u128::from(*limb);
            *limb = u64::try_from(cur / 62).unwrap_or(0);
            rem = cur % 62;
        }
        digits.push(ALPHABET.get(usize::try_from(rem).unwrap_or(0)).copied().unwrap_or(b'0'));
    }
    digits.reverse();
    let body = format!("sg{}_{}", kind.letter(), String::from_utf8(digits).unwrap_or_default());
    let token = format!("{body}{}", checksum(&body));
    let sha256 = digest_hex(&digest_token(&token));
    MintedToken { token, sha256 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minted_tokens_have_the_documented_shape() {
        for kind in TokenKind::ALL {
            let m = mint_token(kind).unwrap();
            assert_eq!(m.token.len(), TOKEN_LEN);
            assert_eq!(parse_prefix(&m.token), TokenFormat::Valid(kind));
            assert_eq!(m.sha256, digest_hex(&digest_token(&m.token)));
        }
    }

    #[test]
    fn a_typo_breaks_the_checksum() {
        let m = mint_from_seed(TokenKind::RepositoryAccessToken, &[7; 32]);
        let mut bytes = m.token.clone().into_bytes();
        bytes[10] = if bytes[10] == b'a' { b'b' } else { b'a' };
        let typo = String::from_utf8(bytes).unwrap();
        assert_eq!(parse_prefix(&typo), TokenFormat::BadChecksum);
        assert_eq!(parse_prefix(m.token.get(..TOKEN_LEN - 1).unwrap()), TokenFormat::BadChecksum);
    }

    #[test]
    fn extremes_of_randomness_still_fit() {
        for seed in [[0u8; 32], [255u8; 32]] {
            let m = mint_from_seed(TokenKind::OrgApiKey, &seed);
            assert_eq!(parse_prefix(&m.token), TokenFormat::Valid(TokenKind::OrgApiKey));
        }
    }

    #[test]
    fn crc32_check_value() {
        // The standard CRC-32 check value.
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn hex_of_every_byte() {
        let digest: [u8; 32] = std::array::from_fn(|i| (i * 8 + 7) as u8);
        let want: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(digest_hex(&digest), want);
        assert_eq!(digest_hex(&[0xff; 32]), "f".repeat(64));
    }

    #[test]
    fn known_digest() {
        // SHA-256("abc") from FIPS 180-2.
        assert_eq!(
            digest_hex(&digest_token("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn bitbucket_prefixes_name_their_kinds() {
        let f = |t: &str| parse_prefix(t);
        assert_eq!(f("ATBB3g7gLXseCxPjJs1CQNMyEjwf1D12"), TokenFormat::Bitbucket(BitbucketToken::AppPassword));
        assert_eq!(f("ATATT3xFfGF0abc=0123ABCD"), TokenFormat::Bitbucket(BitbucketToken::ApiToken));
        assert_eq!(f("ATCTT3xFfGN0abc=0123ABCD"), TokenFormat::Bitbucket(BitbucketToken::AccessToken));
        // Only the published prefixes, as issued (upper case); `ATAT` alone is no API token here.
        for other in ["atbb1234", "ATAB", "ATATX", "ATCT", "ATXTT"] {
            assert_eq!(f(other), TokenFormat::Foreign, "{other}");
        }
        assert!(TokenFormat::Bitbucket(BitbucketToken::AccessToken).fits(TokenKind::ProjectAccessToken));
        assert!(!TokenFormat::Bitbucket(BitbucketToken::AccessToken).fits(TokenKind::ApiToken));
        assert!(!TokenFormat::Bitbucket(BitbucketToken::AppPassword).fits(TokenKind::ApiToken));
        assert!(TokenFormat::Valid(TokenKind::ApiToken).fits(TokenKind::ApiToken));
        assert!(!TokenFormat::Valid(TokenKind::ApiToken).fits(TokenKind::AppPassword));
        assert!(TokenFormat::Foreign.fits(TokenKind::OrgApiKey));
        assert!(
            has_token_prefix("sga_x")
                && has_token_prefix("ATCTT")
                && !has_token_prefix("sg_")
                && !has_token_prefix("x")
        );
    }

    proptest::proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,80}") {
            let _ = parse_prefix(&s);
        }
    }
}
