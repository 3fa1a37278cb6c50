//! Prints the argon2id hash of a password read from standard input, for the accounts file.
//!
//! `echo -n 'secret' | cargo run -p server --bin hash-password`

use std::io::Read;

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, SaltString, rand_core::OsRng};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut password = String::new();
    std::io::stdin().read_to_string(&mut password)?;
    let password = password.strip_suffix('\n').unwrap_or(&password);
    if password.is_empty() {
        return Err("give the password on standard input".into());
    }
    let salt = SaltString::generate(&mut OsRng);
    let hash =
        Argon2::default().hash_password(password.as_bytes(), &salt).map_err(|e| format!("hashing failed: {e}"))?;
    println!("{hash}");
    Ok(())
}
