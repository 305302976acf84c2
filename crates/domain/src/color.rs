//! Brand colours.

use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HexColorError {
    #[error("must start with '#', as in #1E88E5")]
    MissingHash,
    #[error("must have 3 or 6 hex digits after '#', as in #FFF or #1E88E5")]
    WrongLength,
    #[error("may contain only the hex digits 0-9 and A-F after '#'")]
    NotHex,
}

/// A colour as `#RRGGBB` in upper case. `#RGB` is accepted and expanded (`#1af` -> `#11AAFF`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct HexColor {
    r: u8,
    g: u8,
    b: u8,
}

impl HexColor {
    pub fn parse(input: &str) -> Result<Self, HexColorError> {
        let digits = input
            .trim()
            .strip_prefix('#')
            .ok_or(HexColorError::MissingHash)?;
        if !digits.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(HexColorError::NotHex);
        }
        // All ASCII from here on, so byte indexing is character indexing.
        let nibble =
            |i: usize| u8::from_str_radix(&digits[i..=i], 16).map_err(|_| HexColorError::NotHex);
        match digits.len() {
            3 => Ok(Self {
                r: nibble(0)? * 0x11,
                g: nibble(1)? * 0x11,
                b: nibble(2)? * 0x11,
            }),
            6 => {
                let byte = |i: usize| {
                    u8::from_str_radix(&digits[i..i + 2], 16).map_err(|_| HexColorError::NotHex)
                };
                Ok(Self {
                    r: byte(0)?,
                    g: byte(2)?,
                    b: byte(4)?,
                })
            }
            _ => Err(HexColorError::WrongLength),
        }
    }

    #[must_use]
    pub const fn from_rgb(r: u8, g: u8, b: u8) -> Self {
        Self { r, g, b }
    }

    #[must_use]
    pub const fn rgb(&self) -> (u8, u8, u8) {
        (self.r, self.g, self.b)
    }
}

impl TryFrom<String> for HexColor {
    type Error = HexColorError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<HexColor> for String {
    fn from(c: HexColor) -> String {
        c.to_string()
    }
}

impl fmt::Display for HexColor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{:02X}{:02X}{:02X}", self.r, self.g, self.b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_and_normalises() {
        assert_eq!(HexColor::parse("#1e88e5").unwrap().to_string(), "#1E88E5");
        assert_eq!(HexColor::parse("#1AF").unwrap().to_string(), "#11AAFF");
        assert_eq!(HexColor::parse(" #000 ").unwrap().to_string(), "#000000");
        assert_eq!(HexColor::parse("#FfFfFf").unwrap().rgb(), (255, 255, 255));
    }

    #[test]
    fn rejects() {
        assert_eq!(HexColor::parse(""), Err(HexColorError::MissingHash));
        assert_eq!(HexColor::parse("1E88E5"), Err(HexColorError::MissingHash));
        assert_eq!(HexColor::parse("#"), Err(HexColorError::WrongLength));
        assert_eq!(HexColor::parse("#1234"), Err(HexColorError::WrongLength));
        assert_eq!(HexColor::parse("#1234567"), Err(HexColorError::WrongLength));
        assert_eq!(HexColor::parse("#GGGGGG"), Err(HexColorError::NotHex));
        assert_eq!(HexColor::parse("#12 456"), Err(HexColorError::NotHex));
        assert_eq!(HexColor::parse("#+12345"), Err(HexColorError::NotHex));
        assert_eq!(HexColor::parse("#ÿÿÿ"), Err(HexColorError::NotHex));
        assert_eq!(HexColor::parse("red"), Err(HexColorError::MissingHash));
    }

    #[test]
    fn serde_round_trip() {
        let c: HexColor = serde_json::from_str("\"#abc\"").unwrap();
        assert_eq!(serde_json::to_string(&c).unwrap(), "\"#AABBCC\"");
        assert!(serde_json::from_str::<HexColor>("\"#abcd\"").is_err());
    }

    proptest! {
        #[test]
        fn six_digits_round_trip(r in any::<u8>(), g in any::<u8>(), b in any::<u8>(), lower in any::<bool>()) {
            let text = format!("#{r:02x}{g:02x}{b:02x}");
            let text = if lower { text } else { text.to_uppercase() };
            let c = HexColor::parse(&text).unwrap();
            prop_assert_eq!(c.rgb(), (r, g, b));
            prop_assert_eq!(HexColor::parse(&c.to_string()), Ok(c));
            prop_assert_eq!(c.to_string(), text.to_uppercase());
        }

        #[test]
        fn never_panics(s in "\\PC{0,12}") {
            if let Ok(c) = HexColor::parse(&s) {
                let shown = c.to_string();
                prop_assert_eq!(shown.len(), 7);
            }
        }
    }
}
