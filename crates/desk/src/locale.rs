//! The locale the window writes dates and numbers in: the operating system's regional format,
//! not the language of the webview (an English desktop with German formats gets "1.12.2026").

/// The system's regional format as a BCP 47 tag (`de-DE`), or None when it names none (the
/// `C`/`POSIX` locale).
#[must_use]
pub fn format_locale() -> Option<String> {
    #[cfg(all(unix, not(target_os = "macos")))]
    {
        // POSIX: LC_ALL overrides everything, then the category (dates), then LANG.
        let from_env = ["LC_ALL", "LC_TIME", "LANG"]
            .iter()
            .filter_map(|name| std::env::var(name).ok())
            .find(|value| !value.trim().is_empty());
        if let Some(value) = from_env {
            return posix_to_bcp47(&value);
        }
    }
    sys_locale::get_locale().and_then(|tag| posix_to_bcp47(&tag))
}

/// `de_DE.UTF-8@euro` → `de-DE`; `C` and `POSIX` → None.
fn posix_to_bcp47(value: &str) -> Option<String> {
    let name = value.split(['.', '@']).next()?.trim();
    if name.is_empty() || name == "C" || name == "POSIX" {
        return None;
    }
    let tag = name.replace('_', "-");
    tag.chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-')
        .then_some(tag)
}

#[cfg(test)]
mod tests {
    use super::posix_to_bcp47;

    #[test]
    fn posix_names_become_language_tags() {
        assert_eq!(posix_to_bcp47("de_DE.UTF-8").as_deref(), Some("de-DE"));
        assert_eq!(posix_to_bcp47("de_DE.UTF-8@euro").as_deref(), Some("de-DE"));
        assert_eq!(posix_to_bcp47("en-GB").as_deref(), Some("en-GB"));
        assert_eq!(posix_to_bcp47("fr").as_deref(), Some("fr"));
        assert_eq!(posix_to_bcp47("C.UTF-8"), None);
        assert_eq!(posix_to_bcp47("POSIX"), None);
        assert_eq!(posix_to_bcp47("x y"), None);
    }
}
