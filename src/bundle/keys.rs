//! Ed25519 keys for signing bundles: generation, parsing, and the key id a bundle names.
//!
//! Keys are written in a typed text form, `scopegate-ed25519-public:<base64url>` and
//! `scopegate-ed25519-private:<base64url>`, so a public key given where the private key belongs
//! (or the reverse) is an error instead of a signature nobody can verify. Untyped base64url or
//! base64 text (what earlier versions wrote, and keys from other tools) is still read.
//!
//! NOTE: a private key never appears in an error message or a `Debug` output; parse errors
//! say what was expected and how many bytes came, nothing more.

use std::fmt;

use base64::alphabet;
use base64::engine::{DecodePaddingMode, Engine as _, GeneralPurpose, GeneralPurposeConfig};
use ed25519_dalek::hazmat::{raw_sign_byupdate, ExpandedSecretKey};
use ed25519_dalek::{Signature, SignatureError, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

use crate::error::Error;

/// Bytes of a bundle hashed per call of SHA-512 while signing and verifying. NOTE: V8 runs a
/// wasm function in its baseline tier until the call returns (no on-stack replacement): hashed
/// in one call, 41 MB went through the slow tier (60 MB/s at opt-level 2); in 64 KiB pieces
/// the compression function is called often enough to be optimised.
const PIECE: usize = 1 << 16;

/// Base64url without padding: what keys are written as.
const URL_NO_PAD: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_encode_padding(false).with_decode_padding_mode(DecodePaddingMode::Indifferent),
);
/// Standard base64, padded or not: accepted too (keys pasted from other tools).
const STANDARD_ANY_PAD: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The type tag of a public key in its typed text form.
pub const PUBLIC_KEY_PREFIX: &str = "scopegate-ed25519-public:";
/// The type tag of a private key in its typed text form.
pub const PRIVATE_KEY_PREFIX: &str = "scopegate-ed25519-private:";
/// What every typed key starts with.
const TYPED_PREFIX: &str = "scopegate-";
/// Longest type tag quoted in an error (a tag is short; anything longer may be a pasted secret).
const MAX_QUOTED_TAG: usize = 40;

/// Which kind of key a typed text says it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tagged<'a> {
    Public(&'a str),
    Private(&'a str),
    /// No type tag: raw base64url or base64.
    Untyped(&'a str),
}

/// Splits a key text into its type tag and its base64 body; an unknown `scopegate-...:` tag is
/// an error for `what` (`public key`, `private key`). Surrounding whitespace is ignored.
fn tagged<'a>(text: &'a str, what: &str) -> Result<Tagged<'a>, Error> {
    let text = text.trim();
    if let Some(body) = text.strip_prefix(PUBLIC_KEY_PREFIX) {
        return Ok(Tagged::Public(body));
    }
    if let Some(body) = text.strip_prefix(PRIVATE_KEY_PREFIX) {
        return Ok(Tagged::Private(body));
    }
    if text.starts_with(TYPED_PREFIX) {
        let tag = text.split_once(':').map(|(tag, _)| tag).filter(|tag| {
            tag.len() <= MAX_QUOTED_TAG
                && tag.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        });
        return Err(Error::Key(match tag {
            Some(tag) => {
                format!("{what}: unknown key type `{tag}:`, expected `{PUBLIC_KEY_PREFIX}` or `{PRIVATE_KEY_PREFIX}`")
            }
            None => format!("{what}: expected `{PUBLIC_KEY_PREFIX}` or `{PRIVATE_KEY_PREFIX}` and base64url"),
        }));
    }
    Ok(Tagged::Untyped(text))
}

/// The 8-byte id of a public key: the first 8 bytes of SHA-256 of its 32 bytes. A bundle names
/// the key that signed it by this id, so a verifier holding several keys (rotation) picks one.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyId(pub [u8; 8]);

impl KeyId {
    fn of(public: &[u8; 32]) -> KeyId {
        let digest = Sha256::digest(public);
        let mut id = [0u8; 8];
        id.copy_from_slice(digest.get(..8).unwrap_or(&[0u8; 8]));
        KeyId(id)
    }
}

impl fmt::Display for KeyId {
    /// Lower-case hex, 16 digits.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

/// An Ed25519 public key that verifies bundles.
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey {
    key: VerifyingKey,
    id: KeyId,
}

impl PublicKey {
    /// Reads a key in its typed form (`scopegate-ed25519-public:<base64url>`, as
    /// [`PublicKey::typed`] writes it) or untyped, as base64url (as [`generate_key_pair`] writes
    /// it) or standard base64, with or without padding; surrounding whitespace is ignored.
    ///
    /// # Errors
    /// `Error::Key` when the text is a typed private key (never quoted), is not base64, not 32
    /// bytes, or not a curve point.
    ///
    /// # Examples
    /// ```
    /// use scopegate::{generate_key_pair, PrivateKey, PublicKey};
    /// let pair = generate_key_pair().unwrap();
    /// let key = PublicKey::parse(&pair.public_key).unwrap();
    /// assert_eq!(key.to_string(), pair.public_key);
    /// assert_eq!(PublicKey::parse(&key.typed()).unwrap(), key);
    /// assert!(PublicKey::parse("not a key").is_err());
    /// let private = PrivateKey::parse(&pair.private_key).unwrap();
    /// assert!(PublicKey::parse(&private.typed()).is_err());
    /// ```
    pub fn parse(text: &str) -> Result<PublicKey, Error> {
        let text = match tagged(text, "public key")? {
            Tagged::Public(body) | Tagged::Untyped(body) => body,
            Tagged::Private(_) => {
                return Err(Error::Key(format!(
                    "public key: got a private key (`{PRIVATE_KEY_PREFIX}`) where the public key is needed: \
                     give the public key, and keep the private one secret"
                )))
            }
        };
        let bytes = decode_base64(text).ok_or_else(|| {
            Error::Key(format!(
                "public key: expected 32 bytes as base64url or base64 text, got {} characters that are neither",
                text.trim().chars().count()
            ))
        })?;
        PublicKey::from_slice(&bytes)
    }

    /// A key from its raw bytes (a `Uint8Array` in JavaScript).
    ///
    /// # Errors
    /// `Error::Key` when there are not exactly 32 bytes or they are not a curve point.
    pub fn from_slice(bytes: &[u8]) -> Result<PublicKey, Error> {
        let raw: [u8; 32] =
            bytes.try_into().map_err(|_| Error::Key(format!("public key: expected 32 bytes, got {}", bytes.len())))?;
        PublicKey::from_bytes(&raw)
    }

    /// A key from its 32 bytes.
    ///
    /// # Errors
    /// `Error::Key` when the bytes are not an Ed25519 public key.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<PublicKey, Error> {
        let key = VerifyingKey::from_bytes(bytes)
            .map_err(|_| Error::Key("public key: the 32 bytes are not an Ed25519 public key".into()))?;
        if key.is_weak() {
            return Err(Error::Key(
                "public key: a weak (small-order) Ed25519 key verifies forged signatures; refusing it".into(),
            ));
        }
        Ok(PublicKey { key, id: KeyId::of(bytes) })
    }

    /// The 32 bytes.
    #[must_use]
    pub fn to_bytes(&self) -> [u8; 32] {
        self.key.to_bytes()
    }

    /// The typed text form: `scopegate-ed25519-public:` and base64url without padding.
    #[must_use]
    pub fn typed(&self) -> String {
        [PUBLIC_KEY_PREFIX, &self.to_string()].concat()
    }

    /// The id a bundle signed by the matching private key carries.
    #[must_use]
    pub fn key_id(&self) -> KeyId {
        self.id
    }

    /// Whether `signature` signs `message` under this key, as `verify_strict` decides (no
    /// malleable signatures, no small-order key or `R`), with the message hashed in pieces.
    pub(crate) fn verifies(&self, message: &[u8], signature: &[u8; 64]) -> bool {
        let signature = Signature::from_bytes(signature);
        // What verify_strict checks beyond the equation: `R` decodes to a point that is not
        // of small order, and so is the key (also refused when parsed).
        let weak_r = VerifyingKey::from_bytes(signature.r_bytes()).map_or(true, |r| r.is_weak());
        if weak_r || self.key.is_weak() {
            return false;
        }
        let Ok(mut verifier) = self.key.verify_stream(&signature) else {
            return false;
        };
        for piece in message.chunks(PIECE) {
            verifier.update(piece);
        }
        verifier.finalize_and_verify().is_ok()
    }
}

impl fmt::Display for PublicKey {
    /// Base64url without padding.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&URL_NO_PAD.encode(self.key.as_bytes()))
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({self}, id {})", self.id)
    }
}

/// An Ed25519 private key (its 32-byte seed) that signs bundles. Zeroed when dropped.
#[derive(Clone)]
pub struct PrivateKey {
    key: SigningKey,
}

impl PrivateKey {
    /// Reads a seed in its typed form (`scopegate-ed25519-private:<base64url>`, as
    /// [`PrivateKey::typed`] writes it) or untyped, as base64url (as [`generate_key_pair`]
    /// writes it) or standard base64, with or without padding.
    ///
    /// # Errors
    /// `Error::Key` when the text is a typed public key (which cannot sign), or is not base64
    /// of 32 bytes. The message never quotes the text.
    ///
    /// # Examples
    /// ```
    /// use scopegate::{generate_key_pair, PrivateKey};
    /// let pair = generate_key_pair().unwrap();
    /// let key = PrivateKey::parse(&pair.private_key).unwrap();
    /// assert_eq!(PrivateKey::parse(&key.typed()).unwrap().public_key(), key.public_key());
    /// let e = PrivateKey::parse(&key.public_key().typed()).unwrap_err().to_string();
    /// assert!(e.starts_with("private key: got a public key"), "{e}");
    /// ```
    pub fn parse(text: &str) -> Result<PrivateKey, Error> {
        let text = match tagged(text, "private key")? {
            Tagged::Private(body) | Tagged::Untyped(body) => body,
            Tagged::Public(_) => {
                return Err(Error::Key(format!(
                    "private key: got a public key (`{PUBLIC_KEY_PREFIX}`), which cannot sign: give the private key"
                )))
            }
        };
        let mut bytes = decode_base64(text).ok_or_else(|| {
            Error::Key("private key: expected 32 bytes as base64url or base64 text, got text that is neither".into())
        })?;
        let key = PrivateKey::from_slice(&bytes);
        bytes.fill(0);
        key
    }

    /// A key from its raw 32-byte seed (a `Uint8Array` in JavaScript).
    ///
    /// # Errors
    /// `Error::Key` when there are not exactly 32 bytes.
    pub fn from_slice(bytes: &[u8]) -> Result<PrivateKey, Error> {
        let seed: &[u8; 32] = bytes.try_into().map_err(|_| {
            Error::Key(format!("private key: expected a 32-byte Ed25519 seed, got {} bytes", bytes.len()))
        })?;
        Ok(PrivateKey::from_bytes(seed))
    }

    /// A key from its 32-byte seed.
    #[must_use]
    pub fn from_bytes(seed: &[u8; 32]) -> PrivateKey {
        PrivateKey { key: SigningKey::from_bytes(seed) }
    }

    /// The public key that verifies what this key signs.
    #[must_use]
    pub fn public_key(&self) -> PublicKey {
        let key = self.key.verifying_key();
        PublicKey { id: KeyId::of(key.as_bytes()), key }
    }

    /// The typed text form: `scopegate-ed25519-private:` and base64url without padding of the
    /// seed. A secret: write it only where the private key belongs (a file of mode 0600, a CI
    /// secret).
    #[must_use]
    pub fn typed(&self) -> String {
        [PRIVATE_KEY_PREFIX, &URL_NO_PAD.encode(self.key.as_bytes())].concat()
    }

    /// The Ed25519 signature of `message` (the same bytes as `SigningKey::sign`), with the
    /// message hashed in pieces.
    pub(crate) fn sign(&self, message: &[u8]) -> Result<[u8; 64], Error> {
        let expanded = ExpandedSecretKey::from(self.key.as_bytes());
        let feed = |h: &mut sha2::Sha512| -> Result<(), SignatureError> {
            for piece in message.chunks(PIECE) {
                sha2::Digest::update(h, piece);
            }
            Ok(())
        };
        raw_sign_byupdate::<sha2::Sha512, _>(&expanded, feed, &self.key.verifying_key())
            .map(|s| s.to_bytes())
            .map_err(|e| Error::Key(format!("cannot sign: {e}")))
    }
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PrivateKey(<redacted>, id {})", self.public_key().id)
    }
}

/// A fresh key pair as text: base64url without padding of the 32-byte public key and of the
/// 32-byte private seed.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyPair {
    pub public_key: String,
    pub private_key: String,
}

impl fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyPair").field("public_key", &self.public_key).field("private_key", &"<redacted>").finish()
    }
}

/// A new Ed25519 key pair from the platform's randomness (`getrandom`: the OS natively,
/// `crypto.getRandomValues` in browsers, workers and Node).
///
/// # Errors
/// `Error::Random` when the platform gives no randomness.
///
/// # Examples
/// ```
/// let pair = scopegate::generate_key_pair().unwrap();
/// assert_eq!(pair.public_key.len(), 43);
/// assert_eq!(pair.private_key.len(), 43);
/// ```
pub fn generate_key_pair() -> Result<KeyPair, Error> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| Error::Random(e.to_string()))?;
    let key = PrivateKey::from_bytes(&seed);
    let private_key = URL_NO_PAD.encode(seed);
    seed.fill(0);
    Ok(KeyPair { public_key: key.public_key().to_string(), private_key })
}

fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let text = text.trim();
    URL_NO_PAD.decode(text).or_else(|_| STANDARD_ANY_PAD.decode(text)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_pairs_parse_and_match() {
        let pair = generate_key_pair().unwrap();
        let public = PublicKey::parse(&pair.public_key).unwrap();
        let private = PrivateKey::parse(&pair.private_key).unwrap();
        assert_eq!(private.public_key(), public);
        let sig = private.sign(b"hello").unwrap();
        assert!(public.verifies(b"hello", &sig));
        assert!(!public.verifies(b"hellp", &sig));
    }

    /// Signing and verifying in pieces give what `SigningKey::sign` and `verify_strict` give,
    /// across piece boundaries, for tampered signatures and small-order `R`s.
    #[test]
    fn pieces_agree_with_sign_and_verify_strict() {
        use ed25519_dalek::Signer as _;
        let private = PrivateKey::from_bytes(&[9u8; 32]);
        let public = private.public_key();
        let message: Vec<u8> = (0..3 * PIECE + 17).map(|i| (i * 31 % 251) as u8).collect();
        for len in [0, 1, PIECE - 1, PIECE, PIECE + 1, 3 * PIECE + 17] {
            let m = &message[..len];
            let ours = private.sign(m).unwrap();
            assert_eq!(ours, private.key.sign(m).to_bytes(), "len {len}");
            assert!(public.verifies(m, &ours));
            let mut bad = ours;
            for bit in [0, 100, 255, 256, 300, 511] {
                bad[bit / 8] ^= 1 << (bit % 8);
                let strict = public.key.verify_strict(m, &Signature::from_bytes(&bad)).is_ok();
                assert_eq!(public.verifies(m, &bad), strict, "len {len}, bit {bit}");
                bad[bit / 8] ^= 1 << (bit % 8);
            }
        }
        // A small-order R (the identity point, encoded 1, 0, ...) is refused, as verify_strict does.
        let mut small = private.sign(b"x").unwrap();
        small[..32].copy_from_slice(&{
            let mut id = [0u8; 32];
            id[0] = 1;
            id
        });
        assert!(!public.verifies(b"x", &small));
        assert!(public.key.verify_strict(b"x", &Signature::from_bytes(&small)).is_err());
    }

    #[test]
    fn accepts_standard_base64_and_padding() {
        let private = PrivateKey::from_bytes(&[7u8; 32]);
        let raw = private.public_key().to_bytes();
        let std_padded = base64::engine::general_purpose::STANDARD.encode(raw);
        let url_padded = base64::engine::general_purpose::URL_SAFE.encode(raw);
        for text in [std_padded.as_str(), url_padded.as_str(), &format!(" {} \n", private.public_key())] {
            assert_eq!(PublicKey::parse(text).unwrap(), private.public_key(), "{text}");
        }
    }

    #[test]
    fn errors_never_echo_private_keys() {
        let secret = "c2VjcmV0LXNlZWQtdGhhdC1pcy10b28tc2hvcnQ";
        let e = PrivateKey::parse(secret).unwrap_err().to_string();
        assert!(!e.contains(secret), "{e}");
        assert!(e.starts_with("private key: expected a 32-byte"), "{e}");
        let e = PrivateKey::parse("%%% not base64 %%%").unwrap_err().to_string();
        assert!(!e.contains("%%%"), "{e}");
        assert!(format!("{:?}", PrivateKey::from_bytes(&[1; 32])).contains("redacted"));
        let pair = generate_key_pair().unwrap();
        assert!(!format!("{pair:?}").contains(&pair.private_key));
    }

    #[test]
    fn rejects_wrong_lengths_and_weak_keys() {
        assert!(PublicKey::from_slice(&[1u8; 31]).unwrap_err().to_string().contains("got 31"));
        // The identity point: small order, verifies forgeries.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert!(PublicKey::from_bytes(&identity).is_err());
    }

    #[test]
    fn typed_keys_round_trip_and_refuse_the_other_kind() {
        let private = PrivateKey::from_bytes(&[5u8; 32]);
        let public = private.public_key();
        assert!(public.typed().starts_with("scopegate-ed25519-public:"));
        assert!(private.typed().starts_with("scopegate-ed25519-private:"));
        assert_eq!(PublicKey::parse(&public.typed()).unwrap(), public);
        assert_eq!(PublicKey::parse(&format!("  {}\n", public.typed())).unwrap(), public);
        assert_eq!(PrivateKey::parse(&private.typed()).unwrap().public_key(), public);
        // The wrong kind: an error that names both kinds and never quotes the key.
        let e = PrivateKey::parse(&public.typed()).unwrap_err().to_string();
        assert!(e.starts_with("private key: got a public key"), "{e}");
        let e = PublicKey::parse(&private.typed()).unwrap_err().to_string();
        assert!(e.starts_with("public key: got a private key"), "{e}");
        let body = private.typed().split_once(':').unwrap().1.to_owned();
        assert!(!e.contains(&body), "{e}");
        // Untyped text is still read, as either kind.
        assert_eq!(PublicKey::parse(&public.to_string()).unwrap(), public);
        assert_eq!(PrivateKey::parse(&body).unwrap().public_key(), public);
    }

    #[test]
    fn unknown_key_types_are_named_but_never_long_text() {
        let e = PublicKey::parse("scopegate-rsa-public:AAAA").unwrap_err().to_string();
        assert_eq!(e, "public key: unknown key type `scopegate-rsa-public:`, expected `scopegate-ed25519-public:` or `scopegate-ed25519-private:`");
        let secret = format!("scopegate-{}:AAAA", "x".repeat(60));
        let e = PrivateKey::parse(&secret).unwrap_err().to_string();
        assert!(!e.contains("xxxx"), "{e}");
        let e = PrivateKey::parse("scopegate-Secret_Value").unwrap_err().to_string();
        assert!(!e.contains("Secret_Value"), "{e}");
    }

    #[test]
    fn key_id_is_sha256_prefix() {
        let public = PrivateKey::from_bytes(&[9u8; 32]).public_key();
        let digest = Sha256::digest(public.to_bytes());
        assert_eq!(public.key_id().0, digest[..8]);
        assert_eq!(public.key_id().to_string().len(), 16);
    }
}
