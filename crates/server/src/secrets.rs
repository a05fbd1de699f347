//! Passwords, tokens and tickets. Passwords are hashed with argon2; tokens and
//! tickets are 256 random bits, so a fast SHA-256 is enough to store them.

use argon2::password_hash::phc::PasswordHash;
use argon2::{Algorithm, Argon2, Block, Params, PasswordHasher, Version};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

/// A new random secret, URL-safe (usable in a WebSocket subprotocol).
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What the database keeps of a token or ticket.
pub fn token_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Compares two equal-purpose hashes without an early exit.
pub fn hashes_equal(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The server's own secret (32 random bytes), kept in `server.key` in the
/// data directory, created on first start: what keys the pages' CSRF
/// tokens, so that someone who can read the database (where session hashes
/// live) still cannot forge a form post.
#[derive(Clone)]
pub struct ServerKey([u8; 32]);

impl std::fmt::Debug for ServerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServerKey(..)")
    }
}

impl ServerKey {
    /// Reads the key from `dir/server.key`, or makes one there (owner-only).
    pub fn load_or_create(dir: &std::path::Path) -> std::io::Result<Self> {
        let path = dir.join("server.key");
        match std::fs::read(&path) {
            Ok(bytes) if bytes.len() == 32 => {
                let mut key = [0u8; 32];
                key.copy_from_slice(&bytes);
                return Ok(Self(key));
            }
            Ok(_) => {
                return Err(std::io::Error::other(format!(
                    "{} is not a Ringback key (32 bytes); remove it to make a new one (signed-in forms will need a reload)",
                    path.display()
                )));
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => return Err(error),
        }
        let key = Self::random();
        std::fs::create_dir_all(dir)?;
        // Written whole under a name of its own, then linked into place: a
        // link never replaces a file, so of instances starting together on
        // one shared directory exactly one key wins, and nobody reads a
        // half-written one.
        let partial = dir.join(format!("server.key.{}.partial", random_token()));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let written = options
            .open(&partial)
            .and_then(|mut file| std::io::Write::write_all(&mut file, &key.0))
            .and_then(|()| std::fs::hard_link(&partial, &path));
        let _ = std::fs::remove_file(&partial);
        match written {
            Ok(()) => Ok(key),
            // Another instance made it meanwhile: use theirs.
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
                Self::load_or_create(dir)
            }
            Err(error) => Err(error),
        }
    }

    pub fn random() -> Self {
        let mut key = [0u8; 32];
        rand::rng().fill_bytes(&mut key);
        Self(key)
    }

    /// HMAC-SHA256 (RFC 2104) of `message`, URL-safe base64.
    pub fn sign(&self, message: &[u8]) -> String {
        const BLOCK: usize = 64;
        let mut inner_key = [0x36u8; BLOCK];
        let mut outer_key = [0x5cu8; BLOCK];
        for (i, byte) in self.0.iter().enumerate() {
            inner_key[i] ^= byte;
            outer_key[i] ^= byte;
        }
        let inner = Sha256::new()
            .chain_update(inner_key)
            .chain_update(message)
            .finalize();
        let outer = Sha256::new()
            .chain_update(outer_key)
            .chain_update(inner)
            .finalize();
        URL_SAFE_NO_PAD.encode(outer)
    }
}

/// An argon2 PHC string for `password`. CPU-heavy: call from a blocking task.
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| anyhow::anyhow!("hashing a password failed: {e}"))
}

/// Checks `password` against a stored hash. With no hash (unknown email) it
/// still does the work, so a response's timing does not reveal which emails exist.
pub fn verify_password(password: &str, stored: Option<&str>) -> bool {
    verify_password_in(password, stored, &mut Vec::new())
}

/// Stored hashes asking for more memory than this are refused unchecked
/// (ours use argon2's default, 19 MiB).
const MAX_HASH_BLOCKS: usize = 64 * 1024;

/// [`verify_password`] with argon2's working memory in `memory`, which is
/// grown to fit and kept for the next check. Argon2's own allocation of it
/// per check is what the allocator fails to give back (measured: one thread
/// checking in a loop settled at 130 MiB more than it started).
pub fn verify_password_in(password: &str, stored: Option<&str>, memory: &mut Vec<Block>) -> bool {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let dummy = DUMMY.get_or_init(|| hash_password("not a password").unwrap_or_default());
    let ok = matches_hash(password.as_bytes(), stored.unwrap_or(dummy), memory);
    ok && stored.is_some()
}

/// What argon2's `PasswordVerifier` does, with caller-owned memory.
fn matches_hash(password: &[u8], stored: &str, memory: &mut Vec<Block>) -> bool {
    let Ok(hash) = PasswordHash::new(stored) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (&hash.salt, &hash.hash) else {
        return false;
    };
    let (Ok(params), Ok(algorithm)) = (
        Params::try_from(&hash),
        Algorithm::try_from(hash.algorithm.as_str()),
    ) else {
        return false;
    };
    let Ok(version) = hash.version.map(Version::try_from).transpose() else {
        return false;
    };
    let blocks = params.block_count();
    if blocks > MAX_HASH_BLOCKS {
        tracing::warn!(blocks, "a stored password hash asks for too much memory");
        return false;
    }
    if memory.len() < blocks {
        memory.resize(blocks, Block::new());
    }
    let mut computed = [0u8; 64];
    let Some(out) = computed.get_mut(..expected.len()) else {
        return false;
    };
    let argon2 = Argon2::new(algorithm, version.unwrap_or_default(), params);
    argon2
        .hash_password_into_with_memory(password, salt, out, &mut memory[..blocks])
        .is_ok()
        && constant_time_eq(out, expected.as_bytes())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_against_their_own_hash() {
        let hash = hash_password("correct horse").expect("hashes");
        assert!(hash.starts_with("$argon2"));
        assert!(verify_password("correct horse", Some(&hash)));
        assert!(!verify_password("wrong horse", Some(&hash)));
        assert!(!verify_password("correct horse", None));
        assert!(!verify_password("x", Some("not a phc string")));
    }

    #[test]
    fn the_server_key_signs_with_hmac_and_persists() {
        // A known HMAC-SHA256 of a 32-byte key: key = 0x00..0x1f, message
        // "message" (Python's hmac module gives the same).
        let mut key = [0u8; 32];
        for (i, byte) in key.iter_mut().enumerate() {
            *byte = i as u8;
        }
        let signed = ServerKey(key).sign(b"message");
        assert_eq!(signed, "Ype3dQihow6k363Y-EfDG0mrpF3hCnna9yHT9-wRKiQ");
        let dir = tempfile::tempdir().expect("dir");
        let first = ServerKey::load_or_create(dir.path()).expect("made");
        let again = ServerKey::load_or_create(dir.path()).expect("read");
        assert_eq!(
            first.sign(b"x"),
            again.sign(b"x"),
            "the same key after a restart"
        );
        assert_ne!(first.sign(b"x"), ServerKey::random().sign(b"x"));
    }

    #[test]
    fn instances_starting_together_on_one_directory_agree_on_one_key() {
        for _ in 0..20 {
            let dir = tempfile::tempdir().expect("dir");
            let start = std::sync::Barrier::new(4);
            let signed: Vec<String> = std::thread::scope(|scope| {
                let handles: Vec<_> = (0..4)
                    .map(|_| {
                        scope.spawn(|| {
                            start.wait();
                            ServerKey::load_or_create(dir.path())
                                .expect("made or read")
                                .sign(b"x")
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|handle| handle.join().expect("thread"))
                    .collect()
            });
            assert!(
                signed.windows(2).all(|pair| pair[0] == pair[1]),
                "{signed:?}"
            );
            let left: Vec<_> = std::fs::read_dir(dir.path())
                .expect("read dir")
                .filter_map(Result::ok)
                .map(|entry| entry.file_name())
                .collect();
            assert_eq!(left, ["server.key"], "no partial files left behind");
        }
    }

    #[test]
    fn reused_memory_gives_the_same_answers() {
        let hash = hash_password("correct horse").expect("hashes");
        let other = hash_password("other horse").expect("hashes");
        let mut memory = Vec::new();
        for _ in 0..2 {
            assert!(!verify_password_in("wrong", Some(&hash), &mut memory));
            assert!(verify_password_in("other horse", Some(&other), &mut memory));
            assert!(verify_password_in(
                "correct horse",
                Some(&hash),
                &mut memory
            ));
        }
    }

    #[test]
    fn tokens_are_random_and_hashes_are_stable() {
        let (a, b) = (random_token(), random_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(token_hash(&a), token_hash(&a));
        assert_ne!(token_hash(&a), token_hash(&b));
        assert!(hashes_equal(&token_hash(&a), &token_hash(&a)));
        assert!(!hashes_equal(&token_hash(&a), &token_hash(&b)));
    }
}
