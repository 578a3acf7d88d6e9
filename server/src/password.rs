//! Password hashing with Argon2id (the argon2 crate's defaults: 19 MiB, 2 passes).

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

pub fn hash(password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| format!("argon2: {e}"))
}

/// Checks `password` against a stored PHC string; `None` (unknown user) still spends the same
/// work on a dummy hash, so the answer time does not tell whether the email exists.
pub fn verify(password: &str, stored: Option<&str>) -> bool {
    const DUMMY: &str =
        "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Hx8m3wCkk3TZbdN9pEp5x8yS0V2h1XyVhWgXhCqX5Qw";
    let candidate = stored.unwrap_or(DUMMY);
    let Ok(parsed) = PasswordHash::new(candidate) else { return false };
    let ok = Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok();
    ok && stored.is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_and_verify() {
        let h = hash("correct horse").expect("hash");
        assert!(verify("correct horse", Some(&h)));
        assert!(!verify("wrong", Some(&h)));
        assert!(!verify("correct horse", None));
        assert!(!verify("x", Some("not a phc string")));
    }
}
