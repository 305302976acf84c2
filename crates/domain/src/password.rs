//! The rule for a password that a client portal user chooses: long enough, not a known common
//! password, not the user's own e-mail address.

/// The fewest characters (Unicode scalar values) a new password may have.
pub const PASSWORD_MIN_CHARS: usize = 12;

/// The most bytes a password may have (hashing is cheap whatever the length, but a request
/// body has no business carrying more).
pub const PASSWORD_MAX_BYTES: usize = 1024;

/// The common passwords (see `data/README.md`), most common first.
const COMMON: &str = include_str!("../data/common-passwords.txt");

/// Why a new password is refused. `Display` is a sentence fit to show the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("Use at least {PASSWORD_MIN_CHARS} characters; this one has {0}.")]
    TooShort(usize),
    #[error("Use at most {PASSWORD_MAX_BYTES} bytes.")]
    TooLong,
    #[error("This is one of the most common passwords, which are guessed first: choose another.")]
    Common,
    #[error("Do not use your e-mail address as your password.")]
    IsEmail,
}

fn common() -> &'static std::collections::HashSet<&'static str> {
    static SET: std::sync::OnceLock<std::collections::HashSet<&'static str>> =
        std::sync::OnceLock::new();
    SET.get_or_init(|| {
        COMMON
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect()
    })
}

/// Is `password` on the common-password list? Compared without case and surrounding spaces
/// (the list is lower-case), so `Password1234` counts as `password1234`.
#[must_use]
pub fn is_common_password(password: &str) -> bool {
    common().contains(password.trim().to_lowercase().as_str())
}

/// Checks a password a user wants to set. `email` is the user's own address.
pub fn check_new_password(password: &str, email: &str) -> Result<(), PasswordError> {
    if password.len() > PASSWORD_MAX_BYTES {
        return Err(PasswordError::TooLong);
    }
    let chars = password.chars().count();
    if chars < PASSWORD_MIN_CHARS {
        return Err(PasswordError::TooShort(chars));
    }
    if is_common_password(password) {
        return Err(PasswordError::Common);
    }
    if password.trim().eq_ignore_ascii_case(email.trim()) {
        return Err(PasswordError::IsEmail);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_is_the_published_one() {
        assert_eq!(COMMON.lines().count(), 49_233);
        assert_eq!(COMMON.lines().next(), Some("123456"));
        assert!(COMMON.lines().all(|l| l == l.to_lowercase()), "lower-case");
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        assert_eq!(
            check_new_password("short", "a@b.example"),
            Err(PasswordError::TooShort(5))
        );
        assert_eq!(
            check_new_password("ééééééééééé", "a@b.example"),
            Err(PasswordError::TooShort(11)),
            "22 bytes, 11 characters"
        );
        assert_eq!(check_new_password("éééééééééééé", "a@b.example"), Ok(()));
        assert_eq!(
            check_new_password(&"x".repeat(PASSWORD_MAX_BYTES + 1), "a@b.example"),
            Err(PasswordError::TooLong)
        );
    }

    #[test]
    fn common_passwords_are_refused_whatever_their_case() {
        for p in [
            "qwerty123456",
            "QWERTY123456",
            "1qaz2wsx3edc",
            "  LeaveMeAlone  ",
        ] {
            assert!(is_common_password(p), "{p}");
            assert_eq!(
                check_new_password(p, "a@b.example"),
                Err(PasswordError::Common)
            );
        }
        assert!(is_common_password("123456"), "short ones are listed too");
    }

    #[test]
    fn the_users_email_is_refused() {
        assert_eq!(
            check_new_password("Alice.Smith@Example.com", "alice.smith@example.com"),
            Err(PasswordError::IsEmail)
        );
    }

    #[test]
    fn good_passwords_pass() {
        for p in [
            "correct horse battery staple",
            "Tr0ub4dor&3-but-longer",
            "zebra-pinecone-lamp-42",
        ] {
            assert_eq!(check_new_password(p, "a@b.example"), Ok(()), "{p}");
        }
    }
}
