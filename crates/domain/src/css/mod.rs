//! Custom CSS of a client's portal: parsed, checked, scoped and re-serialised.
//!
//! A client's `custom_css` is injected into its portal page (a `<style>` element, and its own
//! stylesheet), so it is treated as hostile. [`sanitize_css`] is the only way to a [`SafeCss`]:
//!
//! 1. **Tokens** (`tokens.rs`): the input is tokenised with cssparser, which resolves escapes
//!    and comments exactly as a browser does, and every token is checked where it stands, so a
//!    refusal names the line and column of the offending token: at-rules outside a safe list,
//!    references (`url()`, `image-set()`, ...) other than the client's own images,
//!    `expression()`, `behavior`, `-moz-binding`, `javascript:`, anything that could end the
//!    `<style>` element.
//! 2. **Tree** (`tree.rs`): the sheet is parsed with lightningcss; rules outside the safe list,
//!    nested style rules and forbidden properties are refused again, every `url()` the parser
//!    found is checked again, and every selector is scoped under `.mspdesk-portal`.
//! 3. **Output**: the tree is printed (readable, not minified; comments dropped, except inside
//!    `@supports` conditions, which lightningcss keeps as written), the text is checked once
//!    more, and the whole pipeline is run on that output, which must come back unchanged. The
//!    stored text is always this output, never the input.
//!
//! Allowed references: `{ASSET_PATH_PREFIX}{tenant}/logo` and `.../favicon`, exactly (no query:
//! a choice among many addresses could spell the page out in request logs), and `data:image/{png,jpeg,gif,webp};base64,...` of at most
//! [`DATA_IMAGE_MAX_BYTES`] whose content is that image. At-rules: `@media`, `@supports`,
//! `@font-face` (its `src` only `local()` or an allowed `url()`), `@keyframes` (also
//! `-webkit-`, `-moz-`), `@layer`, `@container`; `@charset` is dropped. Nested style rules,
//! `{ }` blocks inside values and `<` anywhere outside comments are refused too.

mod refs;
mod tokens;
mod tree;

use std::fmt;

use lightningcss::stylesheet::{ParserOptions, PrinterOptions, StyleSheet};
use lightningcss::targets::{Features, Targets};

use crate::TenantId;

pub use refs::DATA_IMAGE_MAX_BYTES;

/// The largest custom CSS accepted, in bytes (the input, and the sanitised output).
pub const CUSTOM_CSS_MAX_BYTES: usize = 64 * 1024;

/// The portal's root element class; every selector is scoped under it.
pub const PORTAL_ROOT_CLASS: &str = "mspdesk-portal";

/// Custom CSS that passed [`sanitize_css`]: scoped under [`PORTAL_ROOT_CLASS`], loading nothing
/// but the client's own images, and unable to leave a `<style>` element.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SafeCss(String);

impl SafeCss {
    /// The sanitised text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The sanitised text, owned.
    #[must_use]
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for SafeCss {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for SafeCss {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// Why custom CSS was refused, and where: `line` and `column` are 1-based, in characters, and
/// point at the offending token (or, where only the parser's tree knows, at the rule holding it).
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
#[error("line {line}, column {column}: {message}")]
pub struct CssError {
    pub line: u32,
    pub column: u32,
    pub message: String,
}

/// Checks a client's custom CSS and returns it scoped and re-serialised.
///
/// `tenant` is the client whose CSS this is: `url()`s may name only its own uploaded logo and
/// favicon (or a small `data:` image). Never panics; the same input gives the same result (and
/// message) on the server and in the desktop app.
pub fn sanitize_css(input: &str, tenant: TenantId) -> Result<SafeCss, CssError> {
    if input.len() > CUSTOM_CSS_MAX_BYTES {
        return Err(CssError {
            line: 1,
            column: 1,
            message: format!(
                "the stylesheet is {} bytes; the limit is {CUSTOM_CSS_MAX_BYTES} bytes (64 KiB)",
                input.len()
            ),
        });
    }
    let output = sanitize_once(input, tenant)?;
    if output.len() > CUSTOM_CSS_MAX_BYTES {
        return Err(CssError {
            line: 1,
            column: 1,
            message: format!(
                "once scoped under .{PORTAL_ROOT_CLASS}, the stylesheet would be {} bytes; the \
                 limit is {CUSTOM_CSS_MAX_BYTES} bytes (64 KiB)",
                output.len()
            ),
        });
    }
    // Second belt: our own output must pass every check again and come back unchanged, so
    // nothing that the printer produced (rather than the user wrote) escapes the checks.
    match sanitize_once(&output, tenant) {
        Ok(again) if again == output => Ok(SafeCss(output)),
        Ok(_) => Err(not_normalisable(
            "it does not print the same way twice".to_owned(),
        )),
        Err(e) => Err(not_normalisable(e.message)),
    }
}

fn not_normalisable(why: String) -> CssError {
    CssError {
        line: 1,
        column: 1,
        message: format!("the stylesheet cannot be normalised safely ({why}); please simplify it"),
    }
}

/// One pass: token checks, tree checks and scoping, printing, output checks.
fn sanitize_once(input: &str, tenant: TenantId) -> Result<String, CssError> {
    let lines = Lines::new(input);
    tokens::scan(input, tenant).map_err(|r| lines.error_at_byte(r.offset, r.message))?;

    let options = ParserOptions {
        error_recovery: false,
        ..ParserOptions::default()
    };
    let mut sheet = StyleSheet::parse(input, options).map_err(|e| {
        let (line, column) = e.loc.as_ref().map_or((0, 1), |loc| (loc.line, loc.column));
        lines.error_at_utf16(line, column, format!("this is not valid CSS: {}", e.kind))
    })?;
    tree::check_and_scope(&mut sheet, tenant)
        .map_err(|r| lines.error_at_utf16(r.line0, r.column16, r.message))?;

    // Comments are never printed: not even `/*! ... */` ones, which lightningcss would keep.
    sheet.license_comments.clear();
    sheet.source_map_urls.clear();
    let printed = sheet
        .to_css(PrinterOptions {
            minify: false,
            // Print media queries as `min-`/`max-` features: the range syntax needs `<`.
            targets: Targets {
                browsers: None,
                include: Features::MediaRangeSyntax | Features::MediaIntervalSyntax,
                exclude: Features::empty(),
            },
            ..PrinterOptions::default()
        })
        .map_err(|e| CssError {
            line: 1,
            column: 1,
            message: format!("the stylesheet cannot be printed: {}", e.kind),
        })?;
    // A sheet of nothing prints as a line break; store nothing instead.
    let output = if printed.code.trim().is_empty() {
        String::new()
    } else {
        printed.code
    };
    check_output(&output)?;
    Ok(output)
}

/// Text that must never appear in what is stored and served, whatever the checks above found.
fn check_output(output: &str) -> Result<(), CssError> {
    let lower = output.to_ascii_lowercase();
    let forbidden = [
        ("<", "`<`"),
        ("\0", "a NUL character"),
        ("-->", "`-->`"),
        ("@import", "@import"),
        ("javascript:", "javascript:"),
        ("vbscript:", "vbscript:"),
        ("expression(", "expression()"),
    ];
    match forbidden.iter().find(|(text, _)| lower.contains(text)) {
        Some((_, name)) => Err(not_normalisable(format!("its output would contain {name}"))),
        None => Ok(()),
    }
}

/// Turns byte offsets and the parser's (line, UTF-16 column) pairs into 1-based line and
/// character column, counting line breaks as CSS does (`\n`, `\r\n`, `\r`, form feed).
struct Lines<'a> {
    input: &'a str,
    /// Byte offset where each line starts.
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    fn new(input: &'a str) -> Self {
        let mut starts = vec![0];
        let bytes = input.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\r' if bytes.get(i + 1) == Some(&b'\n') => {
                    starts.push(i + 2);
                    i += 2;
                    continue;
                }
                b'\n' | b'\r' | b'\x0C' => starts.push(i + 1),
                _ => {}
            }
            i += 1;
        }
        Self { input, starts }
    }

    fn error_at_byte(&self, offset: usize, message: String) -> CssError {
        let offset = offset.min(self.input.len());
        let line = self.starts.partition_point(|&s| s <= offset).max(1) - 1;
        let start = self.starts[line];
        let column = self
            .input
            .get(start..offset)
            .map_or(0, |text| text.chars().count());
        CssError {
            line: to_u32(line + 1),
            column: to_u32(column + 1),
            message,
        }
    }

    /// `line0` starts at 0, `column16` at 1 and counts UTF-16 code units (as cssparser does).
    fn error_at_utf16(&self, line0: u32, column16: u32, message: String) -> CssError {
        let line = usize::try_from(line0).unwrap_or(usize::MAX);
        let Some(&start) = self.starts.get(line) else {
            return self.error_at_byte(self.input.len(), message);
        };
        let end = self
            .starts
            .get(line + 1)
            .copied()
            .unwrap_or(self.input.len());
        let text = self.input.get(start..end).unwrap_or("");
        let mut units = 0u32;
        let mut offset = start;
        for c in text.chars() {
            if units + 1 >= column16 {
                break;
            }
            units += u32::try_from(c.len_utf16()).unwrap_or(2);
            offset += c.len_utf8();
        }
        self.error_at_byte(offset, message)
    }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_characters_and_css_line_breaks() {
        let text = "a\r\nbé\rc\x0Cd\ne";
        let lines = Lines::new(text);
        let at = |needle: &str| {
            let e = lines.error_at_byte(text.find(needle).expect("needle"), String::new());
            (e.line, e.column)
        };
        assert_eq!(at("a"), (1, 1));
        assert_eq!(at("é"), (2, 2));
        assert_eq!(at("c"), (3, 1));
        assert_eq!(at("d"), (4, 1));
        assert_eq!(at("e"), (5, 1));
        let e = lines.error_at_utf16(1, 3, String::new());
        assert_eq!((e.line, e.column), (2, 3));
    }
}
