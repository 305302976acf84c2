//! PDF export: A4, the MSP's name and logo in the header, the client and period, a summary
//! box, a line-item table that continues over as many pages as needed with its header repeated,
//! "Page x of y" on every page, and the totals. Text is set in embedded DejaVu Sans, so names
//! in any European script ("Müller", "Łódź", "Société") render as written.

use mspdesk_domain::{BillingReport, ClientBill};
use printpdf::{
    Color, FontId, Line, LinePoint, Mm, Op, PaintMode, ParsedFont, PdfDocument, PdfFontHandle,
    PdfPage, PdfSaveOptions, Point, Pt, RawImage, Rect, Rgb, TextItem, XObjectTransform,
};
use rust_decimal::Decimal;

use crate::Layout;

const REGULAR_TTF: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
const BOLD_TTF: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold.ttf");

const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const MARGIN: f32 = 42.0;
const ROW_H: f32 = 16.0;
const BODY: f32 = 9.0;
/// Lowest baseline for table rows; below it are the footer and margin.
const TABLE_BOTTOM: f32 = 70.0;

#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error("the embedded font could not be read")]
    Font,
    #[error("the logo is not a readable PNG or JPEG image: {0}")]
    Logo(String),
}

/// Who the report is from: the MSP's name and, optionally, its logo (PNG).
#[derive(Debug, Clone, Default)]
pub struct ReportBranding {
    pub msp_name: String,
    pub logo_png: Option<Vec<u8>>,
}

struct Fonts {
    regular: ParsedFont,
    bold: ParsedFont,
    regular_id: FontId,
    bold_id: FontId,
}

impl Fonts {
    fn width(&self, text: &str, size: f32, bold: bool) -> f32 {
        let font = if bold { &self.bold } else { &self.regular };
        let units = f32::from(font.units_per_em.max(1));
        let total: u32 = text
            .chars()
            .map(|c| {
                font.lookup_glyph_index(c as u32)
                    .and_then(|g| font.get_glyph_width(g))
                    .map_or(500, u32::from)
            })
            .sum();
        total as f32 * size / units
    }

    /// `text` cut with an ellipsis to fit `max` points.
    fn fit(&self, text: &str, size: f32, bold: bool, max: f32) -> String {
        if self.width(text, size, bold) <= max {
            return text.to_owned();
        }
        let mut cut: String = text.to_owned();
        while !cut.is_empty() && self.width(&format!("{cut}…"), size, bold) > max {
            cut.pop();
        }
        format!("{cut}…")
    }
}

/// Drawing operations for one page, in points from the bottom-left corner.
struct Canvas<'a> {
    fonts: &'a Fonts,
    ops: Vec<Op>,
}

const INK: (f32, f32, f32) = (0.13, 0.15, 0.18);
const MUTED: (f32, f32, f32) = (0.42, 0.45, 0.50);
const ACCENT: (f32, f32, f32) = (0.12, 0.53, 0.90);
const RULE: (f32, f32, f32) = (0.80, 0.82, 0.85);
const BAND: (f32, f32, f32) = (0.94, 0.96, 0.98);

fn rgb((r, g, b): (f32, f32, f32)) -> Color {
    Color::Rgb(Rgb {
        r,
        g,
        b,
        icc_profile: None,
    })
}

impl<'a> Canvas<'a> {
    fn new(fonts: &'a Fonts) -> Self {
        Self {
            fonts,
            ops: Vec::new(),
        }
    }

    fn text(&mut self, x: f32, y: f32, size: f32, bold: bool, color: (f32, f32, f32), text: &str) {
        let font = if bold {
            &self.fonts.bold_id
        } else {
            &self.fonts.regular_id
        };
        self.ops.extend([
            Op::StartTextSection,
            Op::SetFillColor { col: rgb(color) },
            Op::SetFont {
                font: PdfFontHandle::External(font.clone()),
                size: Pt(size),
            },
            Op::SetTextCursor {
                pos: Point { x: Pt(x), y: Pt(y) },
            },
            Op::ShowText {
                items: vec![TextItem::Text(text.to_owned())],
            },
            Op::EndTextSection,
        ]);
    }

    fn text_right(
        &mut self,
        right: f32,
        y: f32,
        size: f32,
        bold: bool,
        color: (f32, f32, f32),
        text: &str,
    ) {
        let w = self.fonts.width(text, size, bold);
        self.text(right - w, y, size, bold, color, text);
    }

    fn fill(&mut self, x: f32, y: f32, w: f32, h: f32, color: (f32, f32, f32)) {
        self.ops.push(Op::SetFillColor { col: rgb(color) });
        self.ops.push(Op::DrawRectangle {
            rectangle: Rect {
                mode: Some(PaintMode::Fill),
                ..Rect::from_xywh(Pt(x), Pt(y), Pt(w), Pt(h))
            },
        });
    }

    fn hline(&mut self, x1: f32, x2: f32, y: f32, color: (f32, f32, f32), thickness: f32) {
        let p = |x: f32| LinePoint {
            p: Point { x: Pt(x), y: Pt(y) },
            bezier: false,
        };
        self.ops.push(Op::SetOutlineColor { col: rgb(color) });
        self.ops.push(Op::SetOutlineThickness { pt: Pt(thickness) });
        self.ops.push(Op::DrawLine {
            line: Line {
                points: vec![p(x1), p(x2)],
                is_closed: false,
            },
        });
    }
}

/// A table column: header, left edge, width, right-aligned?
struct Column {
    title: &'static str,
    x: f32,
    w: f32,
    right: bool,
}

enum Row {
    /// A client's name above its lines (lines layout).
    Heading(String),
    Cells(Vec<String>),
    /// Bold, with a rule above.
    Subtotal(Vec<String>),
}

/// An amount as the PDF shows it: the report's one plain format (exactly the currency's
/// minor-unit digits, see `BillingReport::plain_amount`) with thousands separators for reading;
/// the CSV keeps the plain numbers.
fn money(report: &BillingReport, d: Decimal) -> String {
    group_thousands(&report.plain_amount(d))
}

fn group_thousands(plain: &str) -> String {
    let (int, frac) = plain
        .split_once('.')
        .map_or((plain, None), |(i, f)| (i, Some(f)));
    let (sign, digits) = int.strip_prefix('-').map_or(("", int), |d| ("-", d));
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    match frac {
        Some(frac) => format!("{sign}{grouped}.{frac}"),
        None => format!("{sign}{grouped}"),
    }
}

fn columns(layout: Layout) -> Vec<Column> {
    let w = PAGE_W - 2.0 * MARGIN;
    let spec: &[(&str, f32, bool)] = match layout {
        Layout::Lines => &[
            ("Instance", 0.25, false),
            ("Provider", 0.13, false),
            ("Type", 0.15, false),
            ("Hours", 0.08, true),
            ("Hosting", 0.13, true),
            ("License", 0.13, true),
            ("Total", 0.13, true),
        ],
        Layout::Summary => &[
            ("Client", 0.34, false),
            ("Plan", 0.13, false),
            ("Servers", 0.1, true),
            ("Hosting", 0.14, true),
            ("License", 0.14, true),
            ("Total", 0.15, true),
        ],
    };
    let mut x = MARGIN;
    spec.iter()
        .map(|(title, share, right)| {
            let col = Column {
                title,
                x,
                w: w * share,
                right: *right,
            };
            x += w * share;
            col
        })
        .collect()
}

fn rows(report: &BillingReport, layout: Layout) -> Vec<Row> {
    let mut rows = Vec::new();
    match layout {
        Layout::Lines => {
            let many = report.clients.len() > 1;
            for client in &report.clients {
                if many {
                    rows.push(Row::Heading(client.company_name.clone()));
                }
                for l in &client.lines {
                    rows.push(Row::Cells(vec![
                        l.instance_name.clone(),
                        provider_name(l.provider),
                        l.server_type.clone(),
                        l.active_hours.to_string(),
                        money(report, l.hosting_cost),
                        money(report, l.license_fee),
                        money(report, l.total),
                    ]));
                }
                if many {
                    rows.push(subtotal_lines(report, client, "Subtotal"));
                }
            }
            rows.push(Row::Subtotal(vec![
                "Total".into(),
                String::new(),
                String::new(),
                String::new(),
                money(report, report.hosting_cost),
                money(report, report.license_fees),
                money(report, report.total),
            ]));
        }
        Layout::Summary => {
            for c in &report.clients {
                rows.push(Row::Cells(vec![
                    c.company_name.clone(),
                    c.plan_name.clone(),
                    c.server_count.to_string(),
                    money(report, c.hosting_cost),
                    money(report, c.license_fees),
                    money(report, c.total),
                ]));
            }
            let servers: u64 = report.clients.iter().map(|c| c.server_count).sum();
            rows.push(Row::Subtotal(vec![
                "Grand total".into(),
                String::new(),
                servers.to_string(),
                money(report, report.hosting_cost),
                money(report, report.license_fees),
                money(report, report.total),
            ]));
        }
    }
    rows
}

fn subtotal_lines(report: &BillingReport, c: &ClientBill, label: &str) -> Row {
    Row::Subtotal(vec![
        label.into(),
        String::new(),
        String::new(),
        String::new(),
        money(report, c.hosting_cost),
        money(report, c.license_fees),
        money(report, c.total),
    ])
}

fn provider_name(p: mspdesk_domain::Provider) -> String {
    match p {
        mspdesk_domain::Provider::Hetzner => "Hetzner".into(),
        mspdesk_domain::Provider::Digitalocean => "DigitalOcean".into(),
        mspdesk_domain::Provider::Other => "Other".into(),
    }
}

fn month_name(report: &BillingReport) -> String {
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let m = report.period.month() as usize;
    format!(
        "{} {}",
        MONTHS.get(m.wrapping_sub(1)).unwrap_or(&""),
        report.period.year()
    )
}

/// Every character the PDF may show: printable ASCII (labels, numbers, dates), a few marks,
/// and whatever the report's and the MSP's names contain.
fn characters(report: &BillingReport, branding: &ReportBranding) -> String {
    let mut text: String = (' '..='~').collect();
    text.push_str("…·");
    text.push_str(&branding.msp_name);
    for c in &report.clients {
        text.push_str(&c.company_name);
        text.push_str(&c.plan_name);
        for l in &c.lines {
            text.push_str(&l.instance_name);
            text.push_str(&l.server_type);
        }
    }
    text
}

/// The font reduced to the glyphs of `text` (and `.notdef`), with their character mapping, so
/// a report embeds tens of kilobytes of font instead of the whole font. Falls back to the
/// whole font if subsetting fails.
fn subset(ttf: &'static [u8], text: &str) -> Result<ParsedFont, PdfError> {
    use allsorts::binary::read::ReadScope;
    use allsorts::font_data::FontData;
    use allsorts::subset::{subset as allsorts_subset, CmapTarget, SubsetProfile};

    let full = ParsedFont::from_bytes(ttf, 0, &mut Vec::new()).ok_or(PdfError::Font)?;
    let mut glyphs: Vec<u16> = text
        .chars()
        .filter_map(|c| full.lookup_glyph_index(c as u32))
        .collect();
    glyphs.sort_unstable();
    glyphs.dedup();
    glyphs.retain(|g| *g != 0);
    glyphs.insert(0, 0);
    let subset_bytes = ReadScope::new(ttf)
        .read::<FontData<'_>>()
        .ok()
        .and_then(|data| data.table_provider(0).ok())
        .and_then(|provider| {
            allsorts_subset(
                &provider,
                &glyphs,
                &SubsetProfile::Minimal,
                CmapTarget::Unrestricted,
            )
            .ok()
        });
    Ok(subset_bytes
        .and_then(|b| ParsedFont::from_bytes(&b, 0, &mut Vec::new()))
        .unwrap_or(full))
}

/// Renders the report as a PDF.
pub fn to_pdf(
    report: &BillingReport,
    layout: Layout,
    branding: &ReportBranding,
) -> Result<Vec<u8>, PdfError> {
    let used = characters(report, branding);
    let regular = subset(REGULAR_TTF, &used)?;
    let bold = subset(BOLD_TTF, &used)?;
    let title = match (layout, report.clients.as_slice()) {
        (Layout::Summary, _) => "Billing summary: all clients".to_owned(),
        (Layout::Lines, [one]) => format!("Billing report: {}", one.company_name),
        (Layout::Lines, _) => "Billing report: all clients".to_owned(),
    };
    let mut doc = PdfDocument::new(&format!(
        "{}: {title}, {}",
        branding.msp_name, report.period
    ));
    let fonts = Fonts {
        regular_id: doc.add_font(&regular),
        bold_id: doc.add_font(&bold),
        regular,
        bold,
    };
    let logo = match &branding.logo_png {
        Some(bytes) => {
            let image =
                RawImage::decode_from_bytes(bytes, &mut Vec::new()).map_err(PdfError::Logo)?;
            let (w, h) = (image.width as f32, image.height as f32);
            Some((doc.add_image(&image), w, h))
        }
        None => None,
    };

    let cols = columns(layout);
    let all_rows = rows(report, layout);
    // Lay rows out on pages: the first page has the header and summary above the table.
    let first_top = PAGE_H - MARGIN - 200.0;
    let other_top = PAGE_H - MARGIN - 48.0;
    let mut pages: Vec<Vec<&Row>> = vec![Vec::new()];
    let mut y = first_top;
    for row in &all_rows {
        if y < TABLE_BOTTOM {
            pages.push(Vec::new());
            y = other_top;
        }
        if let Some(page) = pages.last_mut() {
            page.push(row);
        }
        y -= ROW_H;
    }
    let page_count = pages.len();

    let mut pdf_pages = Vec::with_capacity(page_count);
    for (index, page_rows) in pages.iter().enumerate() {
        let mut c = Canvas::new(&fonts);
        let top = PAGE_H - MARGIN;
        // Header: MSP name and logo on every page.
        c.text(MARGIN, top - 14.0, 15.0, true, INK, &branding.msp_name);
        c.text(
            MARGIN,
            top - 30.0,
            10.0,
            false,
            MUTED,
            &format!("{title} · {}", month_name(report)),
        );
        if let Some((id, w, h)) = &logo {
            let target_h = 36.0;
            let scale = target_h / h.max(1.0);
            let x = PAGE_W - MARGIN - w * scale;
            c.ops.push(Op::UseXobject {
                id: id.clone(),
                transform: XObjectTransform {
                    translate_x: Some(Pt(x)),
                    translate_y: Some(Pt(top - target_h)),
                    scale_x: Some(scale),
                    scale_y: Some(scale),
                    dpi: Some(72.0),
                    ..Default::default()
                },
            });
        }
        c.hline(MARGIN, PAGE_W - MARGIN, top - 40.0, ACCENT, 1.2);

        let mut y = if index == 0 {
            summary_box(&mut c, report, top - 56.0);
            first_top
        } else {
            other_top
        };
        // Table header, repeated on every page.
        c.fill(MARGIN, y - 4.0, PAGE_W - 2.0 * MARGIN, ROW_H, BAND);
        for col in &cols {
            if col.right {
                c.text_right(col.x + col.w - 4.0, y, BODY, true, INK, col.title);
            } else {
                c.text(col.x + 4.0, y, BODY, true, INK, col.title);
            }
        }
        y -= ROW_H;
        for row in page_rows {
            match row {
                Row::Heading(name) => {
                    let name = fonts.fit(name, BODY, true, PAGE_W - 2.0 * MARGIN - 8.0);
                    c.text(MARGIN + 4.0, y, BODY, true, ACCENT, &name);
                }
                Row::Cells(cells) | Row::Subtotal(cells) => {
                    let bold = matches!(row, Row::Subtotal(_));
                    if bold {
                        c.hline(MARGIN, PAGE_W - MARGIN, y + ROW_H - 4.0, RULE, 0.6);
                    }
                    for (col, cell) in cols.iter().zip(cells) {
                        let text = fonts.fit(cell, BODY, bold, col.w - 8.0);
                        if col.right {
                            c.text_right(col.x + col.w - 4.0, y, BODY, bold, INK, &text);
                        } else {
                            c.text(col.x + 4.0, y, BODY, bold, INK, &text);
                        }
                    }
                }
            }
            y -= ROW_H;
        }
        // Footer.
        c.hline(MARGIN, PAGE_W - MARGIN, 44.0, RULE, 0.6);
        c.text(
            MARGIN,
            30.0,
            8.0,
            false,
            MUTED,
            &format!(
                "Amounts in {}, as of {} UTC",
                report.currency.code(),
                report.as_of.format("%Y-%m-%d %H:%M")
            ),
        );
        c.text_right(
            PAGE_W - MARGIN,
            30.0,
            8.0,
            false,
            MUTED,
            &format!("Page {} of {page_count}", index + 1),
        );
        pdf_pages.push(PdfPage::new(Mm(210.0), Mm(297.0), c.ops));
    }
    Ok(doc
        .with_pages(pdf_pages)
        .save(&PdfSaveOptions::default(), &mut Vec::new()))
}

/// The summary box under the header of the first page.
fn summary_box(c: &mut Canvas<'_>, report: &BillingReport, top: f32) {
    let h = 120.0;
    let (x, w) = (MARGIN, PAGE_W - 2.0 * MARGIN);
    c.fill(x, top - h, w, h, BAND);
    let servers: u64 = report.clients.iter().map(|b| b.server_count).sum();
    let subject = match report.clients.as_slice() {
        [one] => one.company_name.clone(),
        many => format!("{} clients", many.len()),
    };
    let subject = c.fonts.fit(&subject, 13.0, true, w - 24.0);
    c.text(x + 12.0, top - 22.0, 13.0, true, INK, &subject);
    c.text(
        x + 12.0,
        top - 38.0,
        9.0,
        false,
        MUTED,
        &format!("Billing period {}", month_name(report)),
    );
    let figures = [
        ("Servers", servers.to_string()),
        ("Hosting costs", money(report, report.hosting_cost)),
        ("License fees", money(report, report.license_fees)),
        (
            &*format!("Total ({})", report.currency.code()),
            money(report, report.total),
        ),
    ]
    .map(|(k, v)| (k.to_owned(), v));
    let cell_w = w / 4.0;
    for (i, (label, value)) in figures.iter().enumerate() {
        let cx = x + 12.0 + cell_w * i as f32;
        c.text(cx, top - 66.0, 8.5, false, MUTED, label);
        let bold_total = i == 3;
        c.text(
            cx,
            top - 86.0,
            if bold_total { 15.0 } else { 13.0 },
            true,
            if bold_total { ACCENT } else { INK },
            value,
        );
    }
    if !report.fx_rates.is_empty() {
        let rates: Vec<String> = report
            .fx_rates
            .iter()
            .map(|r| {
                format!(
                    "1 {} = {} {}",
                    r.currency.code(),
                    r.rate.normalize(),
                    report.currency.code()
                )
            })
            .collect();
        c.text(
            x + 12.0,
            top - 108.0,
            8.0,
            false,
            MUTED,
            &format!("Exchange rates used: {}", rates.join(", ")),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn report_in(currency: &str) -> BillingReport {
        let period = mspdesk_domain::Period::parse("2026-11").unwrap();
        BillingReport {
            period,
            currency: mspdesk_domain::parse_currency(currency).unwrap(),
            as_of: period.end(),
            fx_rates: Vec::new(),
            clients: Vec::new(),
            hosting_cost: Decimal::ZERO,
            license_fees: Decimal::ZERO,
            total: Decimal::ZERO,
        }
    }

    #[test]
    fn money_groups_thousands() {
        let report = &report_in("EUR");
        assert_eq!(money(report, dec!(0)), "0.00");
        assert_eq!(money(report, dec!(12.3)), "12.30");
        assert_eq!(money(report, dec!(1234.5)), "1,234.50");
        assert_eq!(money(report, dec!(1234567.891)), "1,234,567.89");
        assert_eq!(money(report, dec!(-1234.5)), "-1,234.50");
    }

    #[test]
    fn money_has_the_currency_minor_digits() {
        let jpy = &report_in("JPY");
        assert_eq!(money(jpy, dec!(1000)), "1,000");
        assert_eq!(money(jpy, dec!(1234567)), "1,234,567");
        assert_eq!(money(jpy, dec!(-100)), "-100");
        let bhd = &report_in("BHD");
        assert_eq!(money(bhd, dec!(1.234)), "1.234");
        assert_eq!(money(bhd, dec!(1234.5)), "1,234.500");
        assert_eq!(money(&report_in("EUR"), dec!(19)), "19.00");
    }
}
