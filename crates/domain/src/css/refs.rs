//! What a reference (`url()`, a string in `image-set()`) may point at: the client's own uploaded
//! logo or favicon, or a small inline image.

use base64::Engine as _;

use crate::{AssetKind, TenantId, ASSET_PATH_PREFIX};

/// The largest `data:` image accepted in custom CSS, in decoded bytes.
pub const DATA_IMAGE_MAX_BYTES: usize = 8 * 1024;

/// The image types a `data:` URL may carry, with the media type `infer` reports for each.
const DATA_IMAGE_TYPES: [&str; 4] = ["image/png", "image/jpeg", "image/gif", "image/webp"];

/// `Ok` when `url` is allowed in this tenant's CSS; otherwise the sentence to show.
pub(super) fn check_reference(url: &str, tenant: TenantId) -> Result<(), String> {
    let why = if starts_with_ignore_case(url, "data:") {
        match check_data_image(&url["data:".len()..]) {
            Ok(()) => return Ok(()),
            Err(why) => why,
        }
    } else if is_own_asset(url, tenant) {
        return Ok(());
    } else {
        reason(url, tenant)
    };
    Err(format!(
        "{} is not allowed: {why}. Custom CSS may load only this client's own logo or favicon \
         ({ASSET_PATH_PREFIX}{tenant}/logo or .../favicon) or a data:image (PNG, JPEG, GIF or \
         WebP, base64, at most {DATA_IMAGE_MAX_BYTES} bytes)",
        shown(url)
    ))
}

/// Exactly `{prefix}{tenant}/logo` or `{prefix}{tenant}/favicon`, nothing after it: a query
/// (even the `?v=<hex>` the API adds to cache-bust) would let attribute selectors pick among
/// countless addresses and so write characters of the page into request logs.
fn is_own_asset(url: &str, tenant: TenantId) -> bool {
    let own = format!("{ASSET_PATH_PREFIX}{tenant}/");
    url.strip_prefix(&own).is_some_and(|kind| {
        [AssetKind::Logo, AssetKind::Favicon]
            .iter()
            .any(|k| k.as_str() == kind)
    })
}

/// A short explanation of why a non-data reference is refused.
fn reason(url: &str, tenant: TenantId) -> &'static str {
    let lower = url.to_ascii_lowercase();
    let has_scheme = lower
        .split_once(':')
        .is_some_and(|(scheme, _)| !scheme.is_empty() && !scheme.contains(['/', '?', '#']));
    if url.is_empty() {
        "it is empty"
    } else if url.starts_with('#') {
        "it refers to an element of the page"
    } else if has_scheme || url.starts_with("//") {
        "it points outside this portal"
    } else if url.contains("..") || url.contains("//") || url.contains('\\') {
        "it is not a plain path"
    } else if url.starts_with(ASSET_PATH_PREFIX) && !url.contains(&tenant.to_string()) {
        "it names another client's image"
    } else {
        "it is not one of this client's images"
    }
}

/// `rest` is what follows `data:`: `image/<type>;base64,<data>`, small, and really that image.
fn check_data_image(rest: &str) -> Result<(), &'static str> {
    const NOT_IMAGE: &str = "only base64 PNG, JPEG, GIF or WebP images may be inlined";
    let (header, data) = rest.split_once(',').ok_or(NOT_IMAGE)?;
    let header = header.to_ascii_lowercase();
    let media = header.strip_suffix(";base64").ok_or(NOT_IMAGE)?;
    let media = DATA_IMAGE_TYPES
        .iter()
        .find(|t| **t == media)
        .ok_or(NOT_IMAGE)?;
    // Four base64 characters carry three bytes: refuse long data before decoding it.
    if data.len() > DATA_IMAGE_MAX_BYTES.div_ceil(3) * 4 {
        return Err("the inline image is larger than the limit");
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data)
        .map_err(|_| "the inline image is not valid base64")?;
    if bytes.len() > DATA_IMAGE_MAX_BYTES {
        return Err("the inline image is larger than the limit");
    }
    match infer::get(&bytes) {
        Some(t) if t.mime_type() == *media => Ok(()),
        _ => Err("the inline data is not the image its type says"),
    }
}

fn starts_with_ignore_case(text: &str, prefix: &str) -> bool {
    text.get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}

/// The reference as quoted in a message: at most 60 characters.
fn shown(url: &str) -> String {
    let mut short: String = url.chars().take(60).collect();
    if short.len() < url.len() {
        short.push('…');
    }
    format!("url(\"{short}\")")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 1x1 PNG.
    const PNG_B64: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

    #[test]
    fn own_assets_pass_exactly() {
        let t = TenantId::new();
        for url in [
            format!("/api/v1/public/assets/{t}/logo"),
            format!("/api/v1/public/assets/{t}/favicon"),
        ] {
            assert_eq!(check_reference(&url, t), Ok(()), "{url}");
        }
    }

    #[test]
    fn everything_else_is_refused() {
        let t = TenantId::new();
        let other = TenantId::new();
        let cases = [
            (
                format!("/api/v1/public/assets/{other}/logo"),
                "another client",
            ),
            (format!("/api/v1/public/assets/{t}/banner"), "not one of"),
            (format!("/api/v1/public/assets/{t}/logo?v="), "not one of"),
            // Any query: each could stand for a character of the page in a request log.
            (
                format!("/api/v1/public/assets/{t}/logo?v=0123abcdEF"),
                "not one of",
            ),
            (
                format!("/api/v1/public/assets/{t}/favicon?v=00ff"),
                "not one of",
            ),
            (
                format!("/api/v1/public/assets/{t}/logo?v=xyz"),
                "not one of",
            ),
            (format!("/api/v1/public/assets/{t}/logo#x"), "not one of"),
            (
                format!("/api/v1/public/assets/{t}/../{other}/logo"),
                "plain path",
            ),
            (format!("/api/v1/public/assets/{t}\\logo"), "plain path"),
            (
                format!("//evil.example/api/v1/public/assets/{t}/logo"),
                "outside",
            ),
            (
                format!("https://evil.example/api/v1/public/assets/{t}/logo"),
                "outside",
            ),
            ("#x".to_owned(), "element of the page"),
            (String::new(), "empty"),
            ("javascript:alert(1)".to_owned(), "outside"),
            ("data:text/html;base64,PGgxPg==".to_owned(), "PNG, JPEG"),
            ("data:image/svg+xml;base64,PHN2Zz4=".to_owned(), "PNG, JPEG"),
            ("data:image/png,rawbytes".to_owned(), "PNG, JPEG"),
            ("data:image/png;base64,!!!!".to_owned(), "not valid base64"),
            (
                "data:image/png;base64,R0lGODlhAQABAAAAACw=".to_owned(),
                "not the image",
            ),
        ];
        for (url, why) in cases {
            let message = check_reference(&url, t).expect_err(&url);
            assert!(message.contains(why), "{url}: {message}");
        }
    }

    #[test]
    fn small_data_images_pass_and_large_ones_do_not() {
        let t = TenantId::new();
        assert_eq!(
            check_reference(&format!("data:image/png;base64,{PNG_B64}"), t),
            Ok(())
        );
        assert_eq!(
            check_reference(&format!("DATA:IMAGE/PNG;BASE64,{PNG_B64}"), t),
            Ok(())
        );
        let mut big = base64::engine::general_purpose::STANDARD
            .decode(PNG_B64)
            .expect("test PNG");
        big.resize(DATA_IMAGE_MAX_BYTES + 1, 0);
        let big = base64::engine::general_purpose::STANDARD.encode(big);
        let message =
            check_reference(&format!("data:image/png;base64,{big}"), t).expect_err("too large");
        assert!(message.contains("larger than the limit"), "{message}");
    }
}
