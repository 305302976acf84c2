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
    #[error("is not a PNG, JPEG, WebP, ICO or SVG image")]
    NotAnImage,
    #[error("is a {format} image whose size in pixels cannot be read; save it again as a standard {format}")]
    UnreadableSize { format: &'static str },
    #[error("is {width}×{height} px; {}", kind.pixel_rule())]
    WrongPixelSize {
        kind: AssetKind,
        width: u32,
        height: u32,
    },
    #[error("is an SVG that cannot be read: {0}")]
    SvgInvalid(String),
    #[error(
        "is an SVG without a size; give its root <svg> element a viewBox (or a width and a height)"
    )]
    SvgNoSize,
    #[error("is an SVG with text, which would not show (no fonts are loaded); convert the text to paths (outlines) and upload it again")]
    SvgText,
    #[error("is an SVG that embeds or links a bitmap image; upload the bitmap itself as PNG, JPEG or WebP, or an SVG made of shapes only")]
    SvgImage,
    #[error("is an SVG nested more than {0} elements deep")]
    SvgTooDeep(usize),
    #[error("is an SVG with markers; convert them to paths and upload it again")]
    SvgMarker,
    #[error("is an SVG too complex to render here (too many shapes, layers, masks or copies); simplify it or upload a PNG")]
    SvgTooComplex,
    #[error(
        "is an SVG with filter effects (such as blur or shadow); flatten them, or upload a PNG"
    )]
    SvgFilter,
    #[error("is an SVG that draws nothing")]
    SvgEmpty,
    #[error(
        "is an SVG of {0}; a favicon must be square (width and height within 1 % of each other)"
    )]
    SvgNotSquare(String),
    #[error("is an SVG of {0}; rendered 512 px on its long side, its short side would be under 16 px, and a logo must be at least 16 px a side")]
    SvgTooNarrow(String),
    #[error("is an SVG that could not be rendered")]
    SvgRender,
}

/// Checks an uploaded image by its content (never by its name or declared type) and returns
/// its media type. Raster formats only; [`check_upload`] also takes SVG and checks pixels.
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

mod svg;

/// The smallest side of an accepted logo or favicon, in pixels.
pub const ASSET_MIN_PX: u32 = 16;
/// The largest side of an accepted favicon, in pixels.
pub const FAVICON_MAX_PX: u32 = 512;
/// The largest side of an accepted logo, in pixels.
pub const LOGO_MAX_PX: u32 = 2048;

impl AssetKind {
    /// What this kind's size in pixels must be, as the end of a sentence.
    const fn pixel_rule(self) -> &'static str {
        match self {
            AssetKind::Logo => "a logo must be 16 to 2048 px a side",
            AssetKind::Favicon => "a favicon must be square, 16 to 512 px",
        }
    }

    fn check_pixels(self, width: u32, height: u32) -> Result<(), AssetError> {
        let fits = match self {
            AssetKind::Logo => {
                (ASSET_MIN_PX..=LOGO_MAX_PX).contains(&width)
                    && (ASSET_MIN_PX..=LOGO_MAX_PX).contains(&height)
            }
            AssetKind::Favicon => {
                width == height && (ASSET_MIN_PX..=FAVICON_MAX_PX).contains(&width)
            }
        };
        if fits {
            Ok(())
        } else {
            Err(AssetError::WrongPixelSize {
                kind: self,
                width,
                height,
            })
        }
    }
}

/// An uploaded image that passed [`check_upload`], ready to store and serve as is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedImage {
    /// The media type, found from the content (an SVG upload is stored as `image/png`).
    pub content_type: &'static str,
    /// The bytes to store: the upload itself, or the PNG an SVG upload was rendered to.
    pub bytes: Vec<u8>,
    /// Width in pixels (of an ICO: its largest entry).
    pub width: u32,
    /// Height in pixels (of an ICO: its largest entry).
    pub height: u32,
}

/// Checks an uploaded image for `kind`: its format by content (never by name or declared
/// type), its size in bytes ([`ASSET_MAX_BYTES`]) and in pixels (a favicon square, 16 to
/// 512 px; a logo 16 to 2048 px a side).
///
/// PNG, JPEG, WebP and ICO are kept byte for byte; their size is read from their headers (of
/// an ICO, the largest entry). An SVG is rendered to a PNG, so no script or reference in it
/// survives: a logo 512 px on its long side, a favicon 256×256 (its SVG must be square). The
/// SVG may hold shapes only: text (no fonts are loaded) and images (nothing is loaded from a
/// file or URL, nor decoded from a data URL) are refused rather than silently dropped.
pub fn check_upload(kind: AssetKind, bytes: &[u8]) -> Result<CheckedImage, AssetError> {
    match sniff_image(bytes) {
        Ok(content_type) => {
            let format = match content_type {
                "image/png" => "PNG",
                "image/jpeg" => "JPEG",
                "image/webp" => "WebP",
                _ => "ICO",
            };
            let size =
                imagesize::blob_size(bytes).map_err(|_| AssetError::UnreadableSize { format })?;
            // Wider than u32 is far too wide anyway.
            let width = u32::try_from(size.width).unwrap_or(u32::MAX);
            let height = u32::try_from(size.height).unwrap_or(u32::MAX);
            kind.check_pixels(width, height)?;
            Ok(CheckedImage {
                content_type,
                bytes: bytes.to_vec(),
                width,
                height,
            })
        }
        Err(AssetError::Svg) => {
            let raster = svg::rasterise(kind, bytes)?;
            kind.check_pixels(raster.width, raster.height)?;
            Ok(CheckedImage {
                content_type: "image/png",
                bytes: raster.png,
                width: raster.width,
                height: raster.height,
            })
        }
        Err(AssetError::Unsupported) => Err(AssetError::NotAnImage),
        Err(other) => Err(other),
    }
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

#[cfg(test)]
mod upload_tests {
    use super::*;
    use resvg::tiny_skia::{Color, Pixmap};

    /// A real PNG of `width`×`height`, filled with one colour.
    fn png(width: u32, height: u32) -> Vec<u8> {
        let mut pixmap = Pixmap::new(width, height).expect("a non-empty test image");
        pixmap.fill(Color::from_rgba8(30, 136, 229, 255));
        pixmap.encode_png().expect("encodes the test PNG")
    }

    fn jpeg(width: u16, height: u16) -> Vec<u8> {
        let pixels = vec![128u8; usize::from(width) * usize::from(height) * 3];
        let mut out = Vec::new();
        jpeg_encoder::Encoder::new(&mut out, 80)
            .encode(&pixels, width, height, jpeg_encoder::ColorType::Rgb)
            .expect("encodes the test JPEG");
        out
    }

    fn webp(width: u32, height: u32) -> Vec<u8> {
        let pixels = vec![200u8; (width * height * 3) as usize];
        let mut out = Vec::new();
        image_webp::WebPEncoder::new(&mut out)
            .encode(&pixels, width, height, image_webp::ColorType::Rgb8)
            .expect("encodes the test WebP");
        out
    }

    /// A real ICO holding one PNG entry per size (PNG entries are valid since Windows Vista).
    fn ico(sizes: &[u32]) -> Vec<u8> {
        let images: Vec<Vec<u8>> = sizes.iter().map(|s| png(*s, *s)).collect();
        let count = u16::try_from(sizes.len()).expect("a few entries");
        let mut out = vec![0, 0, 1, 0];
        out.extend_from_slice(&count.to_le_bytes());
        let mut offset = 6 + 16 * sizes.len();
        for (size, image) in sizes.iter().zip(&images) {
            // 256 is written as 0.
            let side = u8::try_from(*size % 256).expect("at most 256 px");
            out.extend_from_slice(&[side, side, 0, 0, 1, 0, 32, 0]);
            out.extend_from_slice(&u32::try_from(image.len()).expect("small").to_le_bytes());
            out.extend_from_slice(&u32::try_from(offset).expect("small").to_le_bytes());
            offset += image.len();
        }
        for image in images {
            out.extend_from_slice(&image);
        }
        out
    }

    fn refusal(kind: AssetKind, bytes: &[u8]) -> AssetError {
        check_upload(kind, bytes).expect_err("the upload should be refused")
    }

    #[test]
    fn accepts_each_raster_format_as_is() {
        let cases = [
            (AssetKind::Favicon, png(32, 32), "image/png", (32, 32)),
            (AssetKind::Logo, png(600, 200), "image/png", (600, 200)),
            (AssetKind::Logo, jpeg(300, 120), "image/jpeg", (300, 120)),
            (AssetKind::Favicon, jpeg(64, 64), "image/jpeg", (64, 64)),
            (AssetKind::Logo, webp(200, 50), "image/webp", (200, 50)),
            (AssetKind::Favicon, webp(48, 48), "image/webp", (48, 48)),
            // The largest entry counts.
            (
                AssetKind::Favicon,
                ico(&[16, 48, 32]),
                "image/vnd.microsoft.icon",
                (48, 48),
            ),
            (
                AssetKind::Favicon,
                ico(&[256]),
                "image/vnd.microsoft.icon",
                (256, 256),
            ),
        ];
        for (kind, bytes, content_type, (width, height)) in cases {
            let checked = check_upload(kind, &bytes).expect("a good upload");
            assert_eq!(checked.content_type, content_type);
            assert_eq!((checked.width, checked.height), (width, height));
            assert_eq!(checked.bytes, bytes, "kept byte for byte");
        }
    }

    #[test]
    fn refuses_wrong_pixel_sizes_saying_what_was_found() {
        let err = refusal(AssetKind::Favicon, &png(600, 400));
        assert_eq!(
            err.to_string(),
            "is 600×400 px; a favicon must be square, 16 to 512 px"
        );
        assert_eq!(
            refusal(AssetKind::Logo, &png(2049, 100)).to_string(),
            "is 2049×100 px; a logo must be 16 to 2048 px a side"
        );
        for (kind, bytes, size) in [
            (AssetKind::Favicon, png(513, 513), (513, 513)),
            (AssetKind::Favicon, png(15, 15), (15, 15)),
            (AssetKind::Favicon, webp(64, 63), (64, 63)),
            (AssetKind::Favicon, ico(&[8]), (8, 8)),
            (AssetKind::Logo, png(15, 100), (15, 100)),
            (AssetKind::Logo, jpeg(100, 2100), (100, 2100)),
        ] {
            assert_eq!(
                refusal(kind, &bytes),
                AssetError::WrongPixelSize {
                    kind,
                    width: size.0,
                    height: size.1
                }
            );
        }
        // The limits themselves are accepted.
        for (kind, bytes) in [
            (AssetKind::Favicon, png(16, 16)),
            (AssetKind::Favicon, png(512, 512)),
            (AssetKind::Logo, png(2048, 16)),
            (AssetKind::Logo, png(16, 2048)),
        ] {
            assert!(check_upload(kind, &bytes).is_ok());
        }
    }

    #[test]
    fn refuses_what_is_not_a_readable_image() {
        // A PNG signature with a cut-off header: the type is known, the size is not.
        let cut = &png(32, 32)[..20];
        let err = refusal(AssetKind::Logo, cut);
        assert_eq!(err, AssetError::UnreadableSize { format: "PNG" });
        assert_eq!(
            err.to_string(),
            "is a PNG image whose size in pixels cannot be read; save it again as a standard PNG"
        );
        assert_eq!(
            refusal(AssetKind::Logo, b"<html><body>hi</body></html>"),
            AssetError::NotAnImage
        );
        assert_eq!(
            refusal(AssetKind::Logo, b"GIF89a\x01\x00\x01\x00"),
            AssetError::NotAnImage
        );
        assert_eq!(refusal(AssetKind::Logo, b""), AssetError::Empty);
        let mut big = png(32, 32);
        big.resize(ASSET_MAX_BYTES + 1, 0);
        assert_eq!(
            refusal(AssetKind::Favicon, &big),
            AssetError::TooLarge(ASSET_MAX_BYTES + 1)
        );
    }

    const RED_RECT: &str = r##"<rect width="100%" height="100%" fill="#FF0000"/>"##;

    fn svg(attributes: &str, body: &str) -> Vec<u8> {
        format!(r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" {attributes}>{body}</svg>"#)
            .into_bytes()
    }

    /// Decodes a checked SVG upload's PNG, checking its signature and declared size.
    fn rendered(checked: &CheckedImage) -> Pixmap {
        assert_eq!(checked.content_type, "image/png");
        assert!(checked.bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
        let pixmap = Pixmap::decode_png(&checked.bytes).expect("a decodable PNG");
        assert_eq!(
            (pixmap.width(), pixmap.height()),
            (checked.width, checked.height)
        );
        pixmap
    }

    fn pixel(pixmap: &Pixmap, x: u32, y: u32) -> (u8, u8, u8, u8) {
        let p = pixmap.pixel(x, y).expect("inside the image");
        (p.red(), p.green(), p.blue(), p.alpha())
    }

    #[test]
    fn svg_logo_is_rendered_to_png_512_on_its_long_side() {
        for (attributes, size) in [
            (r#"viewBox="0 0 200 100""#, (512, 256)),
            (r#"width="100" height="400""#, (128, 512)),
            // Small SVGs are scaled up, huge declared sizes do not make a huge buffer.
            (r#"width="20" height="10""#, (512, 256)),
            (
                r#"width="10000000" height="5000000" viewBox="0 0 2 1""#,
                (512, 256),
            ),
        ] {
            let checked =
                check_upload(AssetKind::Logo, &svg(attributes, RED_RECT)).expect("an SVG logo");
            assert_eq!((checked.width, checked.height), size, "{attributes}");
            let pixmap = rendered(&checked);
            assert_eq!(pixel(&pixmap, size.0 / 2, size.1 / 2), (255, 0, 0, 255));
        }
        // Half the canvas drawn: the other half stays transparent.
        let half = svg(
            r#"viewBox="0 0 200 100""#,
            r##"<rect width="100" height="100" fill="#0000FF"/>"##,
        );
        let pixmap = rendered(&check_upload(AssetKind::Logo, &half).expect("an SVG logo"));
        assert_eq!(pixel(&pixmap, 10, 128), (0, 0, 255, 255));
        assert_eq!(pixel(&pixmap, 500, 128).3, 0);
    }

    #[test]
    fn svg_logo_too_narrow_is_refused() {
        let err = refusal(AssetKind::Logo, &svg(r#"viewBox="0 0 1000 10""#, RED_RECT));
        assert_eq!(err, AssetError::SvgTooNarrow("1000×10".to_owned()));
        assert!(err.to_string().contains("at least 16 px"), "{err}");
    }

    #[test]
    fn svg_favicon_is_rendered_square_or_refused() {
        let checked = check_upload(AssetKind::Favicon, &svg(r#"viewBox="0 0 64 64""#, RED_RECT))
            .expect("a square SVG favicon");
        assert_eq!((checked.width, checked.height), (256, 256));
        assert_eq!(pixel(&rendered(&checked), 255, 255), (255, 0, 0, 255));
        // Within 1 %.
        assert!(check_upload(
            AssetKind::Favicon,
            &svg(r#"viewBox="0 0 100 100.9""#, RED_RECT)
        )
        .is_ok());
        let err = refusal(
            AssetKind::Favicon,
            &svg(r#"viewBox="0 0 100 102""#, RED_RECT),
        );
        assert_eq!(err, AssetError::SvgNotSquare("100×102".to_owned()));
        assert_eq!(
            refusal(AssetKind::Favicon, &svg(r#"width="600" height="400""#, RED_RECT)).to_string(),
            "is an SVG of 600×400; a favicon must be square (width and height within 1 % of each other)"
        );
    }

    #[test]
    fn svg_script_is_dropped_by_rendering() {
        let body = format!(
            r#"<script>alert(document.cookie)</script>{RED_RECT}<a href="javascript:alert(1)"><rect width="1" height="1"/></a>"#
        );
        let checked = check_upload(
            AssetKind::Favicon,
            &svg(r#"viewBox="0 0 32 32" onload="alert(2)""#, &body),
        )
        .expect("the shapes are kept");
        let pixmap = rendered(&checked);
        assert_eq!(pixel(&pixmap, 128, 128), (255, 0, 0, 255));
        let stored = String::from_utf8_lossy(&checked.bytes);
        assert!(!stored.contains("alert") && !stored.contains("<svg"));
    }

    #[test]
    fn svg_images_are_refused_wherever_they_point() {
        let dir = std::env::temp_dir().join(format!("mspdesk-svg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a temp dir");
        let secret = dir.join("secret.svg");
        std::fs::write(&secret, svg(r#"viewBox="0 0 1 1""#, RED_RECT)).expect("writes the file");
        for href in [
            "/etc/hostname".to_owned(),
            secret.display().to_string(),
            "https://example.invalid/logo.png".to_owned(),
            format!("data:image/png;base64,{}", "iVBORw0KGgo="),
        ] {
            for (element, expected) in [
                (
                    format!(r#"<image href="{href}" width="32" height="32"/>"#),
                    AssetError::SvgImage,
                ),
                (
                    format!(r#"<image xlink:href="{href}" width="32" height="32"/>"#),
                    AssetError::SvgImage,
                ),
                (format!(r#"<feImage href="{href}"/>"#), AssetError::SvgImage),
                // Filters are refused anyway; here the <filter> element comes first.
                (
                    format!(
                        r#"<filter id="f"><feImage href="{href}"/></filter><rect width="9" height="9" filter="url(#f)"/>"#
                    ),
                    AssetError::SvgFilter,
                ),
            ] {
                let upload = svg(r#"viewBox="0 0 32 32""#, &format!("{RED_RECT}{element}"));
                assert_eq!(refusal(AssetKind::Favicon, &upload), expected, "{element}");
            }
        }
        std::fs::remove_dir_all(&dir).expect("removes the temp dir");
    }

    #[test]
    fn svg_text_is_refused_with_advice() {
        let err = refusal(
            AssetKind::Logo,
            &svg(
                r#"viewBox="0 0 200 50""#,
                r#"<text x="0" y="40">ACME</text>"#,
            ),
        );
        assert_eq!(err, AssetError::SvgText);
        assert!(
            err.to_string().contains("convert the text to paths"),
            "{err}"
        );
    }

    #[test]
    fn svg_that_draws_nothing_or_has_no_size_is_refused() {
        // The SVG the server's tests upload: no size at all.
        assert_eq!(
            refusal(
                AssetKind::Favicon,
                b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"
            ),
            AssetError::SvgNoSize
        );
        assert_eq!(
            refusal(
                AssetKind::Favicon,
                &svg(r#"viewBox="0 0 10 10""#, "<script>alert(1)</script>")
            ),
            AssetError::SvgEmpty
        );
        assert!(matches!(
            refusal(
                AssetKind::Logo,
                b"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 1 1'><rect"
            ),
            AssetError::SvgInvalid(_)
        ));
        assert!(matches!(
            refusal(AssetKind::Logo, b"<svg \xff\xfe viewBox='0 0 1 1'></svg>"),
            AssetError::SvgInvalid(_)
        ));
        assert_eq!(
            refusal(
                AssetKind::Logo,
                &svg(
                    r#"viewBox="0 0 10 10""#,
                    r#"<marker id="m"><circle r="1"/></marker><path d="M0 0L9 9" marker-end="url(#m)"/>"#
                )
            ),
            AssetError::SvgMarker
        );
    }

    #[test]
    fn svg_that_multiplies_or_nests_too_deep_is_refused() {
        // Each level uses the one below twice: 2^40 rectangles from under 3 KiB.
        let mut body = r#"<defs><rect id="l0" width="1" height="1"/>"#.to_owned();
        for level in 1..=40 {
            let below = level - 1;
            body.push_str(&format!(
                r##"<g id="l{level}"><use href="#l{below}"/><use href="#l{below}" x="1"/></g>"##
            ));
        }
        body.push_str(r##"</defs><use href="#l40"/>"##);
        assert_eq!(
            refusal(AssetKind::Logo, &svg(r#"viewBox="0 0 100 100""#, &body)),
            AssetError::SvgTooComplex
        );
        // A group that uses itself.
        let cycle = svg(
            r#"viewBox="0 0 10 10""#,
            r##"<g id="g"><rect width="1" height="1"/><use href="#g"/></g>"##,
        );
        assert!(matches!(
            refusal(AssetKind::Logo, &cycle),
            AssetError::SvgInvalid(_)
        ));
        // Deep nesting is refused before any renderer recurses into it.
        let deep = svg(
            r#"viewBox="0 0 10 10""#,
            &format!(
                "{}{RED_RECT}{}",
                "<g>".repeat(20_000),
                "</g>".repeat(20_000)
            ),
        );
        assert_eq!(
            refusal(AssetKind::Logo, &deep),
            AssetError::SvgTooDeep(svg::MAX_DEPTH)
        );
        // As deep as allowed renders (root at 1, 62 groups, the rectangle at 64), one more not.
        let nested = |groups: usize| {
            svg(
                r#"viewBox="0 0 10 10""#,
                &format!(
                    "{}{RED_RECT}{}",
                    "<g>".repeat(groups),
                    "</g>".repeat(groups)
                ),
            )
        };
        assert_eq!(svg::MAX_DEPTH, 64);
        assert!(check_upload(AssetKind::Favicon, &nested(62)).is_ok());
        assert_eq!(
            refusal(AssetKind::Favicon, &nested(63)),
            AssetError::SvgTooDeep(64)
        );
        // A handful of uses is fine.
        let few = svg(
            r#"viewBox="0 0 10 10""#,
            &format!(r##"<defs><g id="a">{RED_RECT}</g></defs><use href="#a"/><use href="#a"/>"##),
        );
        assert!(check_upload(AssetKind::Favicon, &few).is_ok());
    }
}

#[cfg(test)]
mod render_cost_tests {
    use super::*;

    fn svg(body: &str) -> Vec<u8> {
        format!(r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 100">{body}</svg>"#)
            .into_bytes()
    }

    /// `count` groups with `attribute`, each holding a small square (rendering time in a debug
    /// build grows with the area painted).
    fn groups(count: usize, attribute: &str) -> Vec<u8> {
        let one = format!(r#"<g {attribute}><rect width="4" height="4"/></g>"#);
        svg(&one.repeat(count))
    }

    #[test]
    fn filters_are_refused_as_elements_and_as_css_functions() {
        let element = svg(
            r#"<filter id="f"><feGaussianBlur stdDeviation="50"/></filter><rect width="9" height="9" filter="url(#f)"/>"#,
        );
        assert_eq!(
            check_upload(AssetKind::Logo, &element),
            Err(AssetError::SvgFilter)
        );
        for css in [
            r#"<rect width="99" height="99" style="filter: blur(5px)"/>"#,
            r#"<style>rect { filter: drop-shadow(2px 2px 2px black) }</style><rect width="99" height="99"/>"#,
        ] {
            assert_eq!(
                check_upload(AssetKind::Logo, &svg(css)),
                Err(AssetError::SvgFilter),
                "{css}"
            );
        }
    }

    #[test]
    fn layers_are_budgeted() {
        // Each group with opacity is composited over the whole image: 2,000 would take seconds.
        for attribute in [
            r#"opacity="0.5""#,
            r#"clip-path="url(#c)""#,
            r#"mask="url(#m)""#,
        ] {
            let defs = r#"<defs><clipPath id="c"><circle cx="50" cy="50" r="40"/></clipPath><mask id="m"><rect width="200" height="100" fill="white"/></mask></defs>"#;
            let many = [defs.as_bytes(), &groups(2_000, attribute)].concat();
            let many = String::from_utf8(many).expect("UTF-8");
            let many = many.replacen(defs, "", 1).replacen(
                r#"viewBox="0 0 200 100">"#,
                &format!(r#"viewBox="0 0 200 100">{defs}"#),
                1,
            );
            assert_eq!(
                check_upload(AssetKind::Logo, many.as_bytes()),
                Err(AssetError::SvgTooComplex),
                "{attribute}"
            );
            let few = String::from_utf8(groups(20, attribute))
                .expect("UTF-8")
                .replacen(
                    r#"viewBox="0 0 200 100">"#,
                    &format!(r#"viewBox="0 0 200 100">{defs}"#),
                    1,
                );
            assert!(
                check_upload(AssetKind::Logo, few.as_bytes()).is_ok(),
                "{attribute}"
            );
        }
        // Plain shapes are cheap: thousands are fine.
        assert!(check_upload(AssetKind::Logo, &groups(3_000, "")).is_ok());
    }

    #[test]
    fn chains_of_masks_and_clip_paths_are_bounded() {
        // Each mask is masked by the next: the renderer follows the chain recursively.
        let chain = |count: usize, element: &str, attribute: &str| {
            let mut body = String::new();
            for i in 0..count {
                let next = if i + 1 < count {
                    format!(r#" {attribute}="url(#x{})""#, i + 1)
                } else {
                    String::new()
                };
                body.push_str(&format!(
                    r#"<{element} id="x{i}"{next}><rect width="200" height="100" fill="white"/></{element}>"#
                ));
            }
            body.push_str(&format!(
                r#"<rect width="200" height="100" {attribute}="url(#x0)"/>"#
            ));
            svg(&body)
        };
        for (element, attribute) in [("mask", "mask"), ("clipPath", "clip-path")] {
            // As many as allowed render without overflowing the stack (a test thread's 2 MiB).
            if element == "mask" {
                let longest = chain(svg::MAX_PAINT_SERVERS, element, attribute);
                assert!(check_upload(AssetKind::Logo, &longest).is_ok());
            }
            assert_eq!(
                check_upload(
                    AssetKind::Logo,
                    &chain(svg::MAX_PAINT_SERVERS + 1, element, attribute)
                ),
                Err(AssetError::SvgTooComplex)
            );
            assert!(check_upload(AssetKind::Logo, &chain(3, element, attribute)).is_ok());
        }
    }
}
