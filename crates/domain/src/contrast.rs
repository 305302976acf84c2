//! Colour contrast of the brand colours (WCAG 2.x), and the nearest shade that would pass.
//!
//! The client's portal writes white text on the brand's primary colour (buttons), secondary
//! colour (header band) and accent colour (badges, active items), so each of them must be dark
//! enough for that text to be read. These rules only warn: the branding is still saved.

use serde::{Deserialize, Serialize};

use crate::HexColor;

/// The text colour the portal puts on each brand colour.
pub const PORTAL_TEXT_ON_BRAND: HexColor = HexColor::from_rgb(0xFF, 0xFF, 0xFF);

/// The contrast WCAG 2.x level AA asks for normal-size text.
pub const WCAG_AA_NORMAL: f64 = 4.5;

/// How finely [`nearest_passing_shade`] walks the lightness scale: 1000 steps from black to
/// white, so one step is 0.1 % of HSL lightness.
const LIGHTNESS_STEPS: i32 = 1000;

/// The relative luminance of an sRGB colour (0.0 for black, 1.0 for white), as WCAG 2.x
/// defines it (with 0.04045 as the threshold of the sRGB transfer function).
fn relative_luminance(color: HexColor) -> f64 {
    fn linear(channel: u8) -> f64 {
        let c = f64::from(channel) / 255.0;
        if c <= 0.04045 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    }
    let (r, g, b) = color.rgb();
    0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)
}

/// WCAG 2.x contrast ratio between two sRGB colours: from 1.0 (the same luminance) to 21.0
/// (black and white). The order of the two colours does not matter.
#[must_use]
pub fn contrast_ratio(a: HexColor, b: HexColor) -> f64 {
    let (la, lb) = (relative_luminance(a), relative_luminance(b));
    let (lighter, darker) = if la >= lb { (la, lb) } else { (lb, la) };
    (lighter + 0.05) / (darker + 0.05)
}

/// A colour's hue and saturation in HSL, whose lightness can be stepped from black
/// (step 0) to white (step [`LIGHTNESS_STEPS`]).
///
/// HSL rather than OKLCH: with the hue and the saturation kept, every lightness is a colour
/// sRGB can show, so no gamut mapping (which would change the saturation after all) is
/// needed, and each channel only grows with the lightness, so luminance does too.
#[derive(Debug, Clone, Copy)]
struct ShadeScale {
    /// Degrees, 0.0..360.0.
    hue: f64,
    /// 0.0..=1.0.
    saturation: f64,
    /// The step nearest to the colour the scale was made from.
    start: i32,
}

impl ShadeScale {
    fn of(color: HexColor) -> Self {
        let (r, g, b) = color.rgb();
        let (r, g, b) = (
            f64::from(r) / 255.0,
            f64::from(g) / 255.0,
            f64::from(b) / 255.0,
        );
        let max = r.max(g).max(b);
        let min = r.min(g).min(b);
        let lightness = (max + min) / 2.0;
        let chroma = max - min;
        let (hue, saturation) = if chroma <= f64::EPSILON {
            (0.0, 0.0)
        } else {
            let saturation = chroma / (1.0 - (2.0 * lightness - 1.0).abs());
            let sector = if max == r {
                ((g - b) / chroma).rem_euclid(6.0)
            } else if max == g {
                (b - r) / chroma + 2.0
            } else {
                (r - g) / chroma + 4.0
            };
            (sector * 60.0, saturation.min(1.0))
        };
        Self {
            hue,
            saturation,
            start: step_of(lightness),
        }
    }

    /// The colour of this hue and saturation at `step` of lightness (clamped to the scale).
    fn shade(&self, step: i32) -> HexColor {
        let lightness = f64::from(step.clamp(0, LIGHTNESS_STEPS)) / f64::from(LIGHTNESS_STEPS);
        let chroma = (1.0 - (2.0 * lightness - 1.0).abs()) * self.saturation;
        let sector = self.hue / 60.0;
        let x = chroma * (1.0 - (sector.rem_euclid(2.0) - 1.0).abs());
        let (r, g, b) = match sector {
            s if s < 1.0 => (chroma, x, 0.0),
            s if s < 2.0 => (x, chroma, 0.0),
            s if s < 3.0 => (0.0, chroma, x),
            s if s < 4.0 => (0.0, x, chroma),
            s if s < 5.0 => (x, 0.0, chroma),
            _ => (chroma, 0.0, x),
        };
        let m = lightness - chroma / 2.0;
        HexColor::from_rgb(to_byte(r + m), to_byte(g + m), to_byte(b + m))
    }
}

/// The lightness step (0..=LIGHTNESS_STEPS) nearest to a lightness in 0.0..=1.0.
fn step_of(lightness: f64) -> i32 {
    // Clamped first, so the cast cannot saturate.
    (lightness.clamp(0.0, 1.0) * f64::from(LIGHTNESS_STEPS)).round() as i32
}

/// A channel in 0.0..=1.0 as a byte, rounded.
fn to_byte(channel: f64) -> u8 {
    // Clamped first, so the cast cannot saturate.
    (channel.clamp(0.0, 1.0) * 255.0).round() as u8
}

/// The shade of `color` nearest to it (the same HSL hue and saturation; only the lightness
/// changes, in steps of 0.1 %) whose contrast with `against` is at least `min_ratio`.
/// `color` itself when it already passes; `None` when no shade does (e.g. `min_ratio` above
/// 21, or a mid grey against a colour of mid luminance with a high ratio asked for).
#[must_use]
pub fn nearest_passing_shade(
    color: HexColor,
    against: HexColor,
    min_ratio: f64,
) -> Option<HexColor> {
    if contrast_ratio(color, against) >= min_ratio {
        return Some(color);
    }
    let scale = ShadeScale::of(color);
    let passes = |shade: HexColor| contrast_ratio(shade, against) >= min_ratio;
    for distance in 0..=LIGHTNESS_STEPS {
        let darker = Some(scale.shade(scale.start - distance))
            .filter(|_| scale.start - distance >= 0)
            .filter(|c| passes(*c));
        let lighter = Some(scale.shade(scale.start + distance))
            .filter(|_| scale.start + distance <= LIGHTNESS_STEPS)
            .filter(|c| passes(*c));
        match (darker, lighter) {
            // As near either way: the one that reads better.
            (Some(d), Some(l)) => {
                return Some(if contrast_ratio(l, against) > contrast_ratio(d, against) {
                    l
                } else {
                    d
                });
            }
            (Some(found), None) | (None, Some(found)) => return Some(found),
            (None, None) => {}
        }
    }
    None
}

/// A brand colour that white portal text cannot be read on well enough.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContrastWarning {
    /// The branding field: `primary_color`, `secondary_color` or `accent_color`.
    pub field: String,
    /// A sentence fit to show the user, with the ratio and the suggestion.
    pub message: String,
    /// The contrast ratio with [`PORTAL_TEXT_ON_BRAND`], cut (not rounded) to 2 decimals, so a
    /// ratio just under 4.5 never reads as 4.50.
    pub ratio: f64,
    /// The nearest shade of the colour that passes, if there is one.
    pub suggestion: Option<HexColor>,
}

/// Warnings for the brand colours that are set and whose contrast with
/// [`PORTAL_TEXT_ON_BRAND`] is below WCAG AA ([`WCAG_AA_NORMAL`], 4.5:1), in the order
/// primary, secondary, accent.
#[must_use]
pub fn brand_contrast_warnings(
    primary: Option<HexColor>,
    secondary: Option<HexColor>,
    accent: Option<HexColor>,
) -> Vec<ContrastWarning> {
    [
        ("primary_color", primary),
        ("secondary_color", secondary),
        ("accent_color", accent),
    ]
    .into_iter()
    .filter_map(|(field, color)| {
        let color = color?;
        let exact = contrast_ratio(PORTAL_TEXT_ON_BRAND, color);
        if exact >= WCAG_AA_NORMAL {
            return None;
        }
        let ratio = (exact * 100.0).floor() / 100.0;
        let suggestion = nearest_passing_shade(color, PORTAL_TEXT_ON_BRAND, WCAG_AA_NORMAL);
        let hint = suggestion.map_or_else(String::new, |s| format!(" (try {s})"));
        Some(ContrastWarning {
            field: field.to_owned(),
            message: format!(
                "white text on {color} has contrast {ratio:.2}:1; WCAG AA needs {WCAG_AA_NORMAL}:1{hint}"
            ),
            ratio,
            suggestion,
        })
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const WHITE: HexColor = HexColor::from_rgb(255, 255, 255);
    const BLACK: HexColor = HexColor::from_rgb(0, 0, 0);

    fn hex(s: &str) -> HexColor {
        HexColor::parse(s).expect("a valid colour in the test")
    }

    fn close(a: f64, b: f64, tolerance: f64) -> bool {
        (a - b).abs() <= tolerance
    }

    #[test]
    fn known_ratios() {
        assert!(close(contrast_ratio(BLACK, WHITE), 21.0, 1e-9));
        assert!(close(contrast_ratio(WHITE, BLACK), 21.0, 1e-9));
        assert!(close(contrast_ratio(WHITE, WHITE), 1.0, 1e-12));
        assert!(close(
            contrast_ratio(hex("#1E88E5"), hex("#1E88E5")),
            1.0,
            1e-12
        ));
        // #767676 is the lightest grey that passes AA on white; #777777 just fails.
        // Luminance of 0x76: ((118/255 + 0.055) / 1.055)^2.4 = 0.18116 -> 1.05 / 0.23116 = 4.542.
        assert!(close(contrast_ratio(hex("#767676"), WHITE), 4.542, 0.001));
        // 0x77: 0.18447 -> 1.05 / 0.23447 = 4.478.
        assert!(close(contrast_ratio(hex("#777777"), WHITE), 4.478, 0.001));
        // Pure primaries on white: red 3.998, green 1.372, blue 8.592.
        assert!(close(contrast_ratio(hex("#FF0000"), WHITE), 3.998, 0.001));
        assert!(close(contrast_ratio(hex("#00FF00"), WHITE), 1.372, 0.001));
        assert!(close(contrast_ratio(hex("#0000FF"), WHITE), 8.592, 0.001));
        // Below the 0.04045 threshold the transfer function is linear: 10/255/12.92.
        let dark = hex("#0A0A0A");
        assert!(close(
            contrast_ratio(dark, BLACK),
            (10.0 / 255.0 / 12.92 + 0.05) / 0.05,
            1e-9
        ));
    }

    #[test]
    fn passing_colour_is_its_own_shade() {
        assert_eq!(
            nearest_passing_shade(hex("#767676"), WHITE, WCAG_AA_NORMAL),
            Some(hex("#767676"))
        );
        // The nearest passing grey to #777777 is one lightness step darker: #767676.
        assert_eq!(
            nearest_passing_shade(hex("#777777"), WHITE, WCAG_AA_NORMAL),
            Some(hex("#767676"))
        );
    }

    #[test]
    fn gold_gets_a_darker_gold() {
        let gold = hex("#FFD700");
        let shade = nearest_passing_shade(gold, WHITE, WCAG_AA_NORMAL).expect("a passing shade");
        assert!(contrast_ratio(shade, WHITE) >= WCAG_AA_NORMAL);
        let (original, found) = (ShadeScale::of(gold), ShadeScale::of(shade));
        assert!(close(found.hue, original.hue, 1.0), "{}", found.hue);
        assert!(close(found.saturation, 1.0, 0.01), "{}", found.saturation);
        assert!(found.start < original.start);
        // #8B7500 passes (4.52); the next step lighter, #8C7600, does not (4.46).
        assert_eq!(shade.to_string(), "#8B7500");
        assert!(contrast_ratio(hex("#8C7600"), WHITE) < WCAG_AA_NORMAL);
    }

    #[test]
    fn unreachable_ratio_has_no_shade() {
        assert_eq!(nearest_passing_shade(hex("#1E88E5"), WHITE, 21.5), None);
        // Mid grey against mid grey: neither black (5.3) nor white (3.9) reaches 7.
        assert_eq!(
            nearest_passing_shade(hex("#808080"), hex("#808080"), 7.0),
            None
        );
        assert_eq!(nearest_passing_shade(hex("#808080"), WHITE, f64::NAN), None);
    }

    #[test]
    fn lighter_shade_when_text_is_dark() {
        let navy = hex("#000080");
        let shade = nearest_passing_shade(navy, BLACK, WCAG_AA_NORMAL).expect("a passing shade");
        assert!(contrast_ratio(shade, BLACK) >= WCAG_AA_NORMAL);
        assert!(ShadeScale::of(shade).start > ShadeScale::of(navy).start);
    }

    #[test]
    fn warnings_only_for_low_contrast() {
        let warnings = brand_contrast_warnings(
            Some(hex("#FFD700")),
            Some(hex("#1E3A5F")),
            Some(hex("#777777")),
        );
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert_eq!(warnings[0].field, "primary_color");
        assert_eq!(warnings[0].ratio, 1.4);
        assert_eq!(warnings[0].suggestion, Some(hex("#8B7500")));
        assert_eq!(
            warnings[0].message,
            "white text on #FFD700 has contrast 1.40:1; WCAG AA needs 4.5:1 (try #8B7500)"
        );
        assert_eq!(warnings[1].field, "accent_color");
        // 4.478 is cut, not rounded, so it does not read as passing when cut at 4.5.
        assert_eq!(warnings[1].ratio, 4.47);
        assert!(
            warnings[1].message.contains("4.47:1"),
            "{}",
            warnings[1].message
        );
        assert_eq!(warnings[1].suggestion, Some(hex("#767676")));

        assert!(brand_contrast_warnings(None, None, None).is_empty());
        assert!(brand_contrast_warnings(Some(hex("#767676")), Some(BLACK), None).is_empty());
        let white = brand_contrast_warnings(None, Some(WHITE), None);
        assert_eq!(white.len(), 1);
        assert_eq!(white[0].field, "secondary_color");
        assert_eq!(white[0].ratio, 1.0);
        assert!(white[0].suggestion.is_some());
    }

    fn any_color() -> impl Strategy<Value = HexColor> {
        (any::<u8>(), any::<u8>(), any::<u8>()).prop_map(|(r, g, b)| HexColor::from_rgb(r, g, b))
    }

    proptest! {
        #[test]
        fn contrast_is_symmetric_and_bounded(a in any_color(), b in any_color()) {
            let ratio = contrast_ratio(a, b);
            prop_assert!((1.0..=21.0 + 1e-9).contains(&ratio));
            prop_assert!(close(ratio, contrast_ratio(b, a), 1e-12));
        }

        /// Checked against the whole scale, not by walking it the way the code does: the
        /// suggestion passes, and no step of the scale nearer to the colour does.
        #[test]
        fn suggestion_passes_and_is_nearest(
            color in any_color(),
            against in prop_oneof![Just(WHITE), Just(BLACK), any_color()],
            min_ratio in 1.0f64..22.0,
        ) {
            let scale = ShadeScale::of(color);
            let passes = |c: HexColor| contrast_ratio(c, against) >= min_ratio;
            let passing_steps: Vec<i32> =
                (0..=LIGHTNESS_STEPS).filter(|k| passes(scale.shade(*k))).collect();
            match nearest_passing_shade(color, against, min_ratio) {
                Some(found) if found == color => prop_assert!(passes(color)),
                Some(found) => {
                    prop_assert!(!passes(color));
                    prop_assert!(passes(found));
                    let distance = passing_steps
                        .iter()
                        .filter(|k| scale.shade(**k) == found)
                        .map(|k| (k - scale.start).abs())
                        .min();
                    prop_assert!(distance.is_some(), "{found} is not on the scale of {color}");
                    let distance = distance.unwrap_or_default();
                    // Every step nearer to the colour fails, the one next to it included.
                    prop_assert!(passing_steps.iter().all(|k| (k - scale.start).abs() >= distance));
                }
                None => {
                    prop_assert!(!passes(color));
                    prop_assert!(passing_steps.is_empty());
                }
            }
        }

        /// White text: black always passes, so there is always a suggestion for AA.
        #[test]
        fn white_text_always_gets_a_suggestion(color in any_color()) {
            let found = nearest_passing_shade(color, WHITE, WCAG_AA_NORMAL);
            prop_assert!(found.is_some_and(|c| contrast_ratio(c, WHITE) >= WCAG_AA_NORMAL));
        }
    }
}
