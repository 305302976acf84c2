//! The portal's two cookies, both `HttpOnly; SameSite=Strict`, scoped to the portal's path,
//! and `Secure` unless the server listens on loopback (where there is no TLS):
//!
//! - the session cookie: the session's token (the database holds only its hash);
//! - the form cookie: a random token that the sign-in and set-password forms repeat in a hidden
//!   field (double submit), so those forms are CSRF-protected before any session exists.
//!   Signed-in forms carry the session's own CSRF token instead.

use axum::http::{header, HeaderMap, HeaderValue};

use super::Site;
use crate::store::portal::SESSION_MAX_DAYS;

/// The session cookie's name.
pub const SESSION: &str = "mspdesk_portal_session";
/// The form cookie's name.
pub const FORM: &str = "mspdesk_portal_form";

/// The value of cookie `name` in the request, if it looks like one of our tokens.
pub fn get(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.trim().to_owned())
        .filter(|v| {
            (20..=64).contains(&v.len())
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// How long a cookie lives.
#[derive(Debug, Clone, Copy)]
pub enum Life {
    /// Until the browser closes.
    Browser,
    /// As long as a session can.
    Session,
    /// Remove it now.
    Gone,
}

/// A `Set-Cookie` value.
pub fn set(site: &Site, secure: bool, name: &str, value: &str, life: Life) -> HeaderValue {
    let age = match life {
        Life::Browser => String::new(),
        Life::Session => format!("; Max-Age={}", i64::from(SESSION_MAX_DAYS) * 24 * 3600),
        Life::Gone => "; Max-Age=0".to_owned(),
    };
    let secure = if secure { "; Secure" } else { "" };
    let text = format!(
        "{name}={value}; Path={}; HttpOnly; SameSite=Strict{secure}{age}",
        site.cookie_path()
    );
    // Names, values (base64url tokens) and paths (UUIDs) are all header-safe.
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_only_token_shaped_values() {
        let mut h = HeaderMap::new();
        let token = "abcdefghijklmnopqrstuvwxyz_-0123456789ABCDE";
        h.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("other=1; {SESSION}={token}; {FORM}=short"))
                .expect("value"),
        );
        assert_eq!(get(&h, SESSION).as_deref(), Some(token));
        assert_eq!(get(&h, FORM), None, "too short to be ours");
        assert_eq!(get(&h, "missing"), None);
    }

    #[test]
    fn attributes() {
        let site = Site {
            tenant: "0190b5c4-0000-7000-8000-000000000001".parse().expect("id"),
            msp: "0190b5c4-0000-7000-8000-000000000002".parse().expect("id"),
            custom_host: false,
        };
        let v = set(&site, true, SESSION, "tok", Life::Session);
        assert_eq!(
            v.to_str().expect("text"),
            "mspdesk_portal_session=tok; Path=/portal/0190b5c4-0000-7000-8000-000000000001; HttpOnly; SameSite=Strict; Secure; Max-Age=604800"
        );
        let v = set(&site, false, FORM, "", Life::Gone);
        let v = v.to_str().expect("text");
        assert!(!v.contains("Secure") && v.ends_with("Max-Age=0"), "{v}");
    }
}
