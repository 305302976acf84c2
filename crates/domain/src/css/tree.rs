//! The second check, on lightningcss's tree: which rules may stand where, which properties,
//! which `url()`s; and the scoping of every selector under the portal's root element.

use lightningcss::declaration::DeclarationBlock;
use lightningcss::properties::custom::{Token, TokenList, TokenOrValue};
use lightningcss::properties::Property;
use lightningcss::rules::font_face::FontFaceProperty;
use lightningcss::rules::{CssRule, CssRuleList, Location};
use lightningcss::selector::{Component, Selector, SelectorList};
use lightningcss::stylesheet::StyleSheet;
use lightningcss::values::ident::Ident;
use lightningcss::values::string::CowArcStr;
use lightningcss::values::url::Url;
use lightningcss::visit_types;
use lightningcss::visitor::{Visit, VisitTypes, Visitor};
use parcel_selectors::parser::Combinator;

use super::refs::check_reference;
use super::tokens::{is_refused_property, property_message, ALLOWED_AT_RULES_SENTENCE};
use super::PORTAL_ROOT_CLASS;
use crate::TenantId;

/// A refusal at a position of the parser's: `line0` from 0, `column16` from 1 in UTF-16 units.
#[derive(Debug)]
pub(super) struct TreeRefusal {
    pub line0: u32,
    pub column16: u32,
    pub message: String,
}

impl TreeRefusal {
    fn at(loc: Location, message: impl Into<String>) -> Self {
        Self {
            line0: loc.line,
            column16: loc.column,
            message: message.into(),
        }
    }
}

/// Checks the sheet's rules, properties and `url()`s, and scopes its selectors in place.
pub(super) fn check_and_scope(
    sheet: &mut StyleSheet<'_>,
    tenant: TenantId,
) -> Result<(), TreeRefusal> {
    check_rules(&mut sheet.rules)?;
    sheet.visit(&mut Values { tenant })
}

fn check_rules(rules: &mut CssRuleList<'_>) -> Result<(), TreeRefusal> {
    for rule in &mut rules.0 {
        match rule {
            CssRule::Style(style) => {
                if let Some(nested) = style.rules.0.first() {
                    return Err(TreeRefusal::at(
                        location(nested).unwrap_or(style.loc),
                        "nested rules are not supported: write each selector in full",
                    ));
                }
                check_declarations(&style.declarations, style.loc)?;
                scope_list(&mut style.selectors);
            }
            CssRule::Media(r) => check_rules(&mut r.rules)?,
            CssRule::Supports(r) => check_rules(&mut r.rules)?,
            CssRule::LayerBlock(r) => check_rules(&mut r.rules)?,
            CssRule::Container(r) => check_rules(&mut r.rules)?,
            CssRule::Keyframes(r) => {
                for frame in &r.keyframes {
                    check_declarations(&frame.declarations, r.loc)?;
                }
            }
            // Its `src` can only load what the url check below allows.
            CssRule::FontFace(r) => {
                for property in &r.properties {
                    if let FontFaceProperty::Custom(custom) = property {
                        check_value(custom.name.as_ref(), &custom.value, r.loc)?;
                    }
                }
            }
            CssRule::LayerStatement(_) | CssRule::Ignored => {}
            CssRule::Import(r) => {
                return Err(TreeRefusal::at(
                    r.loc,
                    "@import is not allowed: custom CSS cannot load other stylesheets",
                ))
            }
            other => {
                return Err(TreeRefusal::at(
                    location(other).unwrap_or(Location {
                        source_index: 0,
                        line: 0,
                        column: 1,
                    }),
                    format!("this at-rule is not allowed: {ALLOWED_AT_RULES_SENTENCE}"),
                ))
            }
        }
    }
    Ok(())
}

fn check_declarations(block: &DeclarationBlock<'_>, loc: Location) -> Result<(), TreeRefusal> {
    for (property, _important) in block.iter() {
        let id = property.property_id();
        let name = id.name().to_ascii_lowercase();
        if is_refused_property(&name) {
            return Err(TreeRefusal::at(loc, property_message(&name)));
        }
        let value = match property {
            Property::Custom(custom) => Some(&custom.value),
            Property::Unparsed(unparsed) => Some(&unparsed.value),
            _ => None,
        };
        if let Some(value) = value {
            check_value(&name, value, loc)?;
        }
    }
    Ok(())
}

fn check_value(name: &str, value: &TokenList<'_>, loc: Location) -> Result<(), TreeRefusal> {
    if has_curly_block(value) {
        return Err(TreeRefusal::at(
            loc,
            format!(
                "the value of {name} holds a {{ }} block, which is not supported (is a `}}` \
                 missing before it?)"
            ),
        ));
    }
    Ok(())
}

/// A `{ }` block anywhere in a value (custom properties may hold one; nothing here needs it, and
/// it usually means a `}` was forgotten, so that the following rules became this value).
fn has_curly_block(tokens: &TokenList<'_>) -> bool {
    tokens.0.iter().any(|token| match token {
        TokenOrValue::Token(Token::CurlyBracketBlock) => true,
        TokenOrValue::Function(f) => has_curly_block(&f.arguments),
        TokenOrValue::Var(v) => v.fallback.as_ref().is_some_and(has_curly_block),
        TokenOrValue::Env(e) => e.fallback.as_ref().is_some_and(has_curly_block),
        _ => false,
    })
}

/// Where a rule starts, for every kind that records it.
fn location(rule: &CssRule<'_>) -> Option<Location> {
    Some(match rule {
        CssRule::Media(r) => r.loc,
        CssRule::Import(r) => r.loc,
        CssRule::Style(r) => r.loc,
        CssRule::Keyframes(r) => r.loc,
        CssRule::FontFace(r) => r.loc,
        CssRule::FontPaletteValues(r) => r.loc,
        CssRule::FontFeatureValues(r) => r.loc,
        CssRule::Page(r) => r.loc,
        CssRule::Supports(r) => r.loc,
        CssRule::CounterStyle(r) => r.loc,
        CssRule::Namespace(r) => r.loc,
        CssRule::MozDocument(r) => r.loc,
        CssRule::Nesting(r) => r.loc,
        CssRule::NestedDeclarations(r) => r.loc,
        CssRule::Viewport(r) => r.loc,
        CssRule::CustomMedia(r) => r.loc,
        CssRule::LayerStatement(r) => r.loc,
        CssRule::LayerBlock(r) => r.loc,
        CssRule::Property(r) => r.loc,
        CssRule::Container(r) => r.loc,
        CssRule::Scope(r) => r.loc,
        CssRule::StartingStyle(r) => r.loc,
        CssRule::ViewTransition(r) => r.loc,
        CssRule::PositionTry(r) => r.loc,
        CssRule::Unknown(r) => r.loc,
        CssRule::Ignored | CssRule::Custom(_) => return None,
    })
}

/// Every `url()` the parser found, wherever it stands, is checked; and comments, which the
/// parser keeps inside values it does not know, become spaces (a space, not nothing: removing
/// `/**/` from `ur/**/l(` would make a `url(`).
struct Values {
    tenant: TenantId,
}

impl<'i> Visitor<'i> for Values {
    type Error = TreeRefusal;

    fn visit_types(&self) -> VisitTypes {
        visit_types!(URLS | TOKENS)
    }

    fn visit_url(&mut self, url: &mut Url<'i>) -> Result<(), TreeRefusal> {
        check_reference(&url.url, self.tenant).map_err(|message| TreeRefusal {
            line0: url.loc.line.saturating_sub(1),
            column16: url.loc.column,
            message,
        })
    }

    /// After its comments became spaces, each run of spaces becomes one, and none is left at
    /// either end (so that printing and parsing again gives the same list).
    fn visit_token_list(&mut self, tokens: &mut TokenList<'i>) -> Result<(), TreeRefusal> {
        tokens.visit_children(self)?;
        let mut kept: Vec<TokenOrValue<'i>> = Vec::with_capacity(tokens.0.len());
        for token in tokens.0.drain(..) {
            if !token.is_whitespace() {
                kept.push(token);
            } else if kept.last().is_some_and(|last| !last.is_whitespace()) {
                kept.push(TokenOrValue::Token(Token::WhiteSpace(CowArcStr::from(" "))));
            }
        }
        if kept.last().is_some_and(TokenOrValue::is_whitespace) {
            kept.pop();
        }
        tokens.0 = kept;
        Ok(())
    }

    fn visit_token(&mut self, token: &mut TokenOrValue<'i>) -> Result<(), TreeRefusal> {
        if let TokenOrValue::Token(Token::Comment(_)) = token {
            *token = TokenOrValue::Token(Token::WhiteSpace(CowArcStr::from(" ")));
            return Ok(());
        }
        token.visit_children(self)
    }
}

fn scope_list(list: &mut SelectorList<'_>) {
    for selector in list.0.iter_mut() {
        *selector = scoped(selector);
    }
}

/// The selector, confined to the portal's root element and what is inside it, always written
/// as `.mspdesk-portal` first (so anyone can check the output by reading it):
///
/// - already scoped (it starts with the root class, and no sibling combinator follows that
///   first compound): unchanged, so scoping twice changes nothing;
/// - first compound `:root`, `html` or `body` (with no other element type), and any such
///   compounds right after it: that compound becomes the root class, keeping its other parts
///   (`body.dark .x` becomes `.mspdesk-portal.dark .x`);
/// - anything else: prefixed with the root class and a descendant combinator.
fn scoped<'i>(selector: &Selector<'i>) -> Selector<'i> {
    let parts = parse_order(selector);
    let first_end = next_compound_end(&parts, 0);
    let sibling_next = matches!(
        parts.get(first_end),
        Some(Component::Combinator(
            Combinator::NextSibling | Combinator::LaterSibling
        ))
    );
    let first = &parts[..first_end];
    if !sibling_next {
        if first.first().is_some_and(is_root_class) {
            return selector.clone();
        }
        let other_type = first
            .iter()
            .any(|c| matches!(c, Component::LocalName(_)) && !is_document_root(c));
        if first.iter().any(is_document_root) && !other_type {
            let mut rest = first_end;
            // `html body .x`, `html > body > .x`: the body compound goes too.
            while let Some(Component::Combinator(Combinator::Descendant | Combinator::Child)) =
                parts.get(rest)
            {
                let end = next_compound_end(&parts, rest + 1);
                let compound = &parts[rest + 1..end];
                if !compound.iter().any(is_document_root)
                    || !compound.iter().all(|c| is_document_root(c) || is_type(c))
                {
                    break;
                }
                rest = end;
            }
            let mut out = vec![root_class()];
            out.extend(
                first
                    .iter()
                    .filter(|c| !is_document_root(c) && !is_type(c))
                    .cloned(),
            );
            out.extend(parts[rest..].iter().cloned());
            return Selector::from(out);
        }
    }
    let mut out = vec![root_class(), Component::Combinator(Combinator::Descendant)];
    out.extend(parts);
    Selector::from(out)
}

/// The selector's components in the order they are written. (They are stored right to left
/// by compound, each compound's own parts left to right, so reversing the raw list would also
/// reverse each compound.)
fn parse_order<'i>(selector: &Selector<'i>) -> Vec<Component<'i>> {
    let mut compounds: Vec<Vec<Component<'i>>> = vec![Vec::new()];
    let mut combinators = Vec::new();
    for part in selector.iter_raw_match_order() {
        if part.is_combinator() {
            combinators.push(part.clone());
            compounds.push(Vec::new());
        } else if let Some(compound) = compounds.last_mut() {
            compound.push(part.clone());
        }
    }
    let mut out = Vec::with_capacity(selector.len());
    for compound in compounds.into_iter().rev() {
        out.extend(compound);
        if let Some(combinator) = combinators.pop() {
            out.push(combinator);
        }
    }
    out
}

/// The index of the combinator that ends the compound starting at `start` (or the length).
/// Pseudo-element, slot and part "combinators" belong to the compound.
fn next_compound_end(parts: &[Component<'_>], start: usize) -> usize {
    parts
        .iter()
        .skip(start)
        .position(|c| {
            matches!(
                c,
                Component::Combinator(
                    Combinator::Child
                        | Combinator::Descendant
                        | Combinator::NextSibling
                        | Combinator::LaterSibling
                        | Combinator::Deep
                        | Combinator::DeepDescendant
                )
            )
        })
        .map_or(parts.len(), |i| start + i)
}

fn root_class<'i>() -> Component<'i> {
    Component::Class(Ident(CowArcStr::from(PORTAL_ROOT_CLASS)))
}

fn is_root_class(part: &Component<'_>) -> bool {
    matches!(part, Component::Class(name) if name.0.as_ref() == PORTAL_ROOT_CLASS)
}

/// `:root`, `html`, `body`, and the top-level `:scope` and `&` (which mean the root).
fn is_document_root(part: &Component<'_>) -> bool {
    match part {
        Component::Root | Component::Scope | Component::Nesting => true,
        Component::LocalName(name) => {
            let lower = name.lower_name.0.as_ref();
            lower == "html" || lower == "body"
        }
        _ => false,
    }
}

/// A namespace prefix or the universal type: dropped with the document root they qualify.
fn is_type(part: &Component<'_>) -> bool {
    matches!(
        part,
        Component::ExplicitUniversalType
            | Component::ExplicitAnyNamespace
            | Component::ExplicitNoNamespace
            | Component::DefaultNamespace(_)
            | Component::Namespace(..)
    )
}
