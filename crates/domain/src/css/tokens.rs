//! The first check: every token of the input, as a browser would tokenise it (escapes resolved,
//! comments split out), checked where it stands, so a refusal names its exact position.

use cssparser::{ParseError, ParseErrorKind, Parser, ParserInput, Token};

use super::refs::check_reference;
use crate::TenantId;

/// A refusal at a byte offset of the input.
#[derive(Debug)]
pub(super) struct Refusal {
    pub offset: usize,
    pub message: String,
}

/// Blocks (`{}`, `()`, `[]`, functions) nested deeper than this are refused: no sheet needs
/// it, and it bounds the recursion of every parser that reads the sheet after us.
const MAX_DEPTH: usize = 24;

/// At-rules that may appear. Anything else, including `@import`, `@namespace` and
/// `@-moz-document`, is refused wherever it appears.
const ALLOWED_AT_RULES: [&str; 9] = [
    "media",
    "supports",
    "font-face",
    "keyframes",
    "-webkit-keyframes",
    "-moz-keyframes",
    "layer",
    "container",
    "charset",
];

/// Functions that load or show an image from an address and that custom CSS has no use for.
const REFUSED_IMAGE_FUNCTIONS: [&str; 7] = [
    "src",
    "image",
    "element",
    "-moz-element",
    "cross-fade",
    "-webkit-cross-fade",
    "-webkit-image",
];

/// Property names that run code or load behaviour (old IE and Firefox).
const REFUSED_PROPERTIES: [&str; 2] = ["behavior", "-moz-binding"];

/// How a refused at-rule is explained.
pub(super) const ALLOWED_AT_RULES_SENTENCE: &str =
    "only @media, @supports, @font-face, @keyframes, @layer and @container are";

/// `behavior` or `-moz-binding`, also behind IE's `_property` hack; `name` is lower case.
pub(super) fn is_refused_property(name: &str) -> bool {
    REFUSED_PROPERTIES.contains(&name.trim_start_matches('_'))
}

type Scan<'i> = Result<(), ParseError<'i, Refusal>>;

/// Where a token stands, as far as the checks care.
#[derive(Debug, Clone, Copy, Default)]
struct Context {
    depth: usize,
    /// Inside `image-set()`: its strings are addresses, and `var()` could supply one.
    image_set: bool,
    /// Inside `type()` within `image-set()`: its string is a media type, not an address.
    type_fn: bool,
    /// Inside `attr()`: the `url` type would read an address from the page.
    attr: bool,
}

pub(super) fn scan(input: &str, tenant: TenantId) -> Result<(), Refusal> {
    if let Some(offset) = input.find('\0') {
        return Err(Refusal {
            offset,
            message: "a NUL character is not allowed".to_owned(),
        });
    }
    let mut parser_input = ParserInput::new(input);
    let mut parser = Parser::new(&mut parser_input);
    match scan_block(&mut parser, tenant, Context::default()) {
        Ok(()) => Ok(()),
        Err(ParseError {
            kind: ParseErrorKind::Custom(refusal),
            ..
        }) => Err(refusal),
        // Our scan consumes every token, so the tokenizer has nothing else to complain about;
        // should it ever, refuse rather than let the sheet through.
        Err(e) => Err(Refusal {
            offset: 0,
            message: format!("this is not valid CSS: {:?}", e.kind),
        }),
    }
}

fn less_than_message() -> String {
    "`<` is not allowed: it could end the page's <style> element (in media queries, write \
     min-width/max-width instead of < and >)"
        .to_owned()
}

fn refuse<'i>(offset: usize, message: impl Into<String>) -> Scan<'i> {
    Err(ParseError {
        kind: ParseErrorKind::Custom(Refusal {
            offset,
            message: message.into(),
        }),
        location: cssparser::SourceLocation { line: 0, column: 1 },
    })
}

fn scan_block<'i>(p: &mut Parser<'i, '_>, tenant: TenantId, ctx: Context) -> Scan<'i> {
    // The start of a declaration or rule: an identifier here followed by `:` is a property name.
    let mut statement_start = true;
    // An identifier at a statement start, waiting to see whether a `:` follows.
    let mut property: Option<(usize, String)> = None;
    // The text of the token just before this one, with nothing between them: forbidden text
    // can span two tokens (`xjavascript` `:`, `a--` `>`).
    let mut previous: Option<(usize, String)> = None;
    loop {
        let offset = p.position().byte_index();
        let token = match p.next_including_whitespace_and_comments() {
            Ok(token) => token.clone(),
            Err(_) => return Ok(()),
        };
        if matches!(token, Token::WhiteSpace(_) | Token::Comment(_)) {
            previous = None;
            continue;
        }
        let text = token_text(&token);
        check_text(previous.as_ref(), offset, &text)?;
        check_token(p, tenant, ctx, offset, &token)?;
        // A block's insides were scanned on their own; what follows it follows a bracket.
        previous = if is_block(&token) {
            None
        } else {
            Some((offset, text))
        };
        match &token {
            Token::Ident(name) if statement_start => {
                property = Some((offset, name.to_ascii_lowercase()));
            }
            Token::Colon => {
                if let Some((at, name)) = &property {
                    if is_refused_property(name) {
                        return refuse(*at, property_message(name));
                    }
                }
            }
            _ => {}
        }
        if !matches!(token, Token::Ident(_)) {
            property = None;
        }
        statement_start = match token {
            Token::Semicolon | Token::CurlyBracketBlock => true,
            // The old `*property: value` hack still names the property.
            Token::Delim('*') => statement_start,
            _ => false,
        };
    }
}

fn is_block(token: &Token<'_>) -> bool {
    matches!(
        token,
        Token::Function(_)
            | Token::ParenthesisBlock
            | Token::SquareBracketBlock
            | Token::CurlyBracketBlock
    )
}

/// A token's text after escapes, lower-cased, as far as the forbidden texts care (a number's
/// digits do not matter; a string keeps its quotes so that nothing joins across them).
fn token_text(token: &Token<'_>) -> String {
    let text = match token {
        Token::Ident(t) => t.to_string(),
        Token::AtKeyword(t) => format!("@{t}"),
        Token::Hash(t) | Token::IDHash(t) => format!("#{t}"),
        Token::QuotedString(t) => format!("\"{t}\""),
        Token::UnquotedUrl(t) => format!("url({t})"),
        Token::Function(name) => format!("{name}("),
        Token::Number { .. } => "0".to_owned(),
        Token::Percentage { .. } => "0%".to_owned(),
        Token::Dimension { unit, .. } => format!("0{unit}"),
        Token::Delim(c) => c.to_string(),
        Token::Colon => ":".to_owned(),
        Token::Semicolon => ";".to_owned(),
        Token::Comma => ",".to_owned(),
        Token::CDO => "<!--".to_owned(),
        Token::CDC => "-->".to_owned(),
        Token::ParenthesisBlock => "(".to_owned(),
        Token::SquareBracketBlock => "[".to_owned(),
        Token::CurlyBracketBlock => "{".to_owned(),
        Token::CloseParenthesis => ")".to_owned(),
        Token::CloseSquareBracket => "]".to_owned(),
        Token::CloseCurlyBracket => "}".to_owned(),
        Token::IncludeMatch => "~=".to_owned(),
        Token::DashMatch => "|=".to_owned(),
        Token::PrefixMatch => "^=".to_owned(),
        Token::SuffixMatch => "$=".to_owned(),
        Token::SubstringMatch => "*=".to_owned(),
        Token::WhiteSpace(_) | Token::Comment(_) | Token::BadUrl(_) | Token::BadString(_) => {
            String::new()
        }
    };
    text.to_ascii_lowercase()
}

pub(super) fn property_message(name: &str) -> String {
    format!("the {name} property is not allowed: it can run code")
}

/// The checks on one token; descends into blocks and functions.
fn check_token<'i>(
    p: &mut Parser<'i, '_>,
    tenant: TenantId,
    ctx: Context,
    offset: usize,
    token: &Token<'i>,
) -> Scan<'i> {
    match token {
        Token::Ident(text) => {
            let lower = text.to_ascii_lowercase();
            if ctx.attr && (lower == "url" || lower == "uri") {
                refuse(offset, "attr() may not read an address from the page")
            } else {
                Ok(())
            }
        }
        Token::AtKeyword(name) => check_at_rule(offset, name),
        Token::QuotedString(text) => {
            if ctx.image_set && !ctx.type_fn {
                check_url(offset, text, tenant)
            } else {
                Ok(())
            }
        }
        Token::UnquotedUrl(url) => check_url(offset, url, tenant),
        Token::BadUrl(_) => refuse(offset, "this url() is malformed"),
        Token::BadString(_) => refuse(offset, "this string is not closed before the line ends"),
        // A backslash that starts no escape (before a line break, or at the end) is an error
        // in CSS; refusing it keeps every reader of the sheet in step.
        Token::Delim('\\') => refuse(offset, "a backslash must start an escape"),
        Token::Function(name) => check_function(p, tenant, ctx, offset, &name.to_ascii_lowercase()),
        Token::ParenthesisBlock | Token::SquareBracketBlock | Token::CurlyBracketBlock => {
            let inner = Context {
                depth: ctx.depth + 1,
                ..ctx
            };
            nested(p, tenant, offset, inner)
        }
        _ => Ok(()),
    }
}

fn nested<'i>(p: &mut Parser<'i, '_>, tenant: TenantId, offset: usize, ctx: Context) -> Scan<'i> {
    if ctx.depth > MAX_DEPTH {
        return refuse(
            offset,
            format!("blocks are nested too deeply (more than {MAX_DEPTH} levels)"),
        );
    }
    p.parse_nested_block(|p| scan_block(p, tenant, ctx))
}

fn check_function<'i>(
    p: &mut Parser<'i, '_>,
    tenant: TenantId,
    ctx: Context,
    offset: usize,
    name: &str,
) -> Scan<'i> {
    let inner = Context {
        depth: ctx.depth + 1,
        ..ctx
    };
    match name {
        "url" => p.parse_nested_block(|p| check_url_arguments(p, tenant, offset)),
        _ if REFUSED_IMAGE_FUNCTIONS.contains(&name) => refuse(
            offset,
            format!("{name}() is not allowed; use url() with this client's own logo or favicon"),
        ),
        "image-set" | "-webkit-image-set" => nested(
            p,
            tenant,
            offset,
            Context {
                image_set: true,
                ..inner
            },
        ),
        "type" if ctx.image_set => nested(
            p,
            tenant,
            offset,
            Context {
                type_fn: true,
                ..inner
            },
        ),
        "var" | "env" | "attr" if ctx.image_set => refuse(
            offset,
            format!("{name}() is not allowed inside image-set(): the address must be written out"),
        ),
        "attr" => nested(
            p,
            tenant,
            offset,
            Context {
                attr: true,
                ..inner
            },
        ),
        _ => nested(p, tenant, offset, inner),
    }
}

/// The inside of `url(` followed by a quote: exactly one string, an allowed address.
fn check_url_arguments<'i>(p: &mut Parser<'i, '_>, tenant: TenantId, offset: usize) -> Scan<'i> {
    let mut url = None;
    loop {
        let token = match p.next_including_whitespace_and_comments() {
            Ok(token) => token.clone(),
            Err(_) => break,
        };
        match token {
            Token::WhiteSpace(_) | Token::Comment(_) => {}
            Token::QuotedString(text) if url.is_none() => url = Some(text),
            _ => {
                return refuse(
                    offset,
                    "url() must hold exactly one address and nothing else",
                )
            }
        }
    }
    match url {
        Some(text) => {
            check_text(None, offset, &format!("\"{}\"", text.to_ascii_lowercase()))?;
            check_url(offset, &text, tenant)
        }
        None => refuse(
            offset,
            "url() must hold exactly one address and nothing else",
        ),
    }
}

fn check_url<'i>(offset: usize, url: &str, tenant: TenantId) -> Scan<'i> {
    match check_reference(url, tenant) {
        Ok(()) => Ok(()),
        Err(message) => refuse(offset, message),
    }
}

fn check_at_rule<'i>(offset: usize, name: &str) -> Scan<'i> {
    let lower = name.to_ascii_lowercase();
    if ALLOWED_AT_RULES.contains(&lower.as_str()) {
        return Ok(());
    }
    let why = match lower.as_str() {
        "import" => "custom CSS cannot load other stylesheets",
        "namespace" => "namespaces are not supported",
        "document" | "-moz-document" => "it targets other pages",
        _ => ALLOWED_AT_RULES_SENTENCE,
    };
    refuse(offset, format!("@{lower} is not allowed: {why}"))
}

/// Texts that must never reach the output, and why.
const FORBIDDEN_TEXTS: [&str; 6] = [
    "<",
    "-->",
    "javascript:",
    "vbscript:",
    "expression(",
    "@import",
];

/// A token's text (after escapes), alone or joined to the token right before it: nothing that
/// could end the `<style>` element, name a script scheme, or read as `expression(` or
/// `@import` (the same texts the output is checked for, so the output check never has to be
/// the one that refuses).
fn check_text<'i>(previous: Option<&(usize, String)>, offset: usize, text: &str) -> Scan<'i> {
    let (start, joined) = match previous {
        Some((at, before)) => (*at, format!("{before}{text}")),
        None => (offset, text.to_owned()),
    };
    let own_start = joined.len() - text.len();
    for forbidden in FORBIDDEN_TEXTS {
        let Some(found) = joined.find(forbidden) else {
            continue;
        };
        // Point at the token where the forbidden text starts.
        let at = if found < own_start { start } else { offset };
        let message = match forbidden {
            "<" if joined[found..].starts_with("<!--") => {
                "`<!--` and `-->` are not allowed".to_owned()
            }
            "<" => less_than_message(),
            "-->" => "`<!--` and `-->` are not allowed".to_owned(),
            "expression(" => "expression() is not allowed: it runs script".to_owned(),
            "@import" => {
                "@import is not allowed: custom CSS cannot load other stylesheets".to_owned()
            }
            _ => "javascript: and vbscript: are not allowed".to_owned(),
        };
        return refuse(at, message);
    }
    Ok(())
}
