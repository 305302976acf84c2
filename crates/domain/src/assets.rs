//! Uploaded branding images: which kinds exist, which formats are accepted, how large.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Where uploaded branding images are served: `{ASSET_PATH_PREFIX}{tenant}/{kind}`, optionally
/// followed by `?v=<hex>` (which changes with the content, so caches refresh).
pub const ASSET_PATH_PREFIX: &str = "/api/v1/public/assets/";

/// The largest uploaded image, in bytes.
pub const ASSET_MAX_BYTES: usize = 512 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum AssetKind {
    Logo,
    Favicon,
}

impl AssetKind {
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            AssetKind::Logo => "logo",
            AssetKind::Favicon => "favicon",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "logo" => Some(AssetKind::Logo),
            "favicon" => Some(AssetKind::Favicon),
            _ => None,
        }
    }
}

impl fmt::Display for AssetKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AssetError {
    #[error("is empty")]
    Empty,
    #[error("is {0} bytes; the limit is {ASSET_MAX_BYTES} bytes (512 KiB)")]
    TooLarge(usize),
    #[error("is SVG, which is not accepted (it can carry scripts); upload PNG, JPEG, WebP or ICO")]
    Svg,
    #[error("is not a PNG, JPEG, WebP or ICO image")]
    Unsupported,
}

/// Checks an uploaded image by its content (never by its name or declared type) and returns
/// its media type.
pub fn sniff_image(bytes: &[u8]) -> Result<&'static str, AssetError> {
    if bytes.is_empty() {
        return Err(AssetError::Empty);
    }
    if bytes.len() > ASSET_MAX_BYTES {
        return Err(AssetError::TooLarge(bytes.len()));
    }
    match infer::get(bytes).map(|t| t.mime_type()) {
        Some(mime @ ("image/png" | "image/jpeg" | "image/webp" | "image/vnd.microsoft.icon")) => {
            Ok(mime)
        }
        _ if looks_like_svg(bytes) => Err(AssetError::Svg),
        _ => Err(AssetError::Unsupported),
    }
}

fn looks_like_svg(bytes: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(1024)]).to_ascii_lowercase();
    head.contains("<svg")
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = &[
        0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, b'I', b'H', b'D', b'R',
    ];
    const JPEG: &[u8] = &[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F', 0];
    const ICO: &[u8] = &[0, 0, 1, 0, 1, 0, 16, 16, 0, 0, 1, 0, 32, 0];

    #[test]
    fn accepts_by_content() {
        assert_eq!(sniff_image(PNG), Ok("image/png"));
        assert_eq!(sniff_image(JPEG), Ok("image/jpeg"));
        assert_eq!(sniff_image(ICO), Ok("image/vnd.microsoft.icon"));
        let mut webp = b"RIFF\x00\x00\x00\x00WEBPVP8 ".to_vec();
        webp.extend_from_slice(&[0; 8]);
        assert_eq!(sniff_image(&webp), Ok("image/webp"));
    }

    #[test]
    fn rejects() {
        assert_eq!(sniff_image(b""), Err(AssetError::Empty));
        assert_eq!(
            sniff_image(b"<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>"),
            Err(AssetError::Svg)
        );
        assert_eq!(
            sniff_image(b"<html><body>hi</body></html>"),
            Err(AssetError::Unsupported)
        );
        assert_eq!(
            sniff_image(b"GIF89a\x01\x00\x01\x00"),
            Err(AssetError::Unsupported)
        );
        let mut big = PNG.to_vec();
        big.resize(ASSET_MAX_BYTES + 1, 0);
        assert_eq!(
            sniff_image(&big),
            Err(AssetError::TooLarge(ASSET_MAX_BYTES + 1))
        );
        assert_eq!(AssetKind::parse("logo"), Some(AssetKind::Logo));
        assert_eq!(AssetKind::parse("banner"), None);
    }
}
