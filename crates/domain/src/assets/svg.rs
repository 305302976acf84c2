//! Uploaded SVGs, rendered to PNG so that nothing of the SVG itself (scripts, links, styles) is
//! ever stored or served.
//!
//! The renderer (resvg) is built without its text, font and bitmap features and is given an
//! image resolver that resolves nothing, so rendering reads no file, font or URL: it stays
//! pure, as the domain must. What would then silently vanish (text, embedded or linked
//! images) is refused with a message saying what to do instead, and so is what would make the
//! renderer work for seconds (filters, markers, copies of copies, too many layers): the
//! buffer is bounded by the target size, the work by a budget.

use std::collections::{HashMap, HashSet};

use resvg::tiny_skia::{Pixmap, Transform};
use resvg::usvg::{self, roxmltree};

use super::{AssetError, AssetKind, ASSET_MIN_PX};

/// A logo is rendered this many pixels on its long side.
pub(super) const SVG_LOGO_LONG_SIDE_PX: u32 = 512;
/// A favicon is rendered this many pixels square.
pub(super) const SVG_FAVICON_PX: u32 = 256;
/// How far the width and height of a favicon's SVG may differ, relative to the larger one.
const SQUARE_TOLERANCE: f32 = 0.01;
/// The most XML nodes parsed (a logo has a few thousand at most); bounds memory.
const MAX_XML_NODES: u32 = 200_000;
/// The deepest nesting of elements accepted; renderers recurse per level.
pub(super) const MAX_DEPTH: usize = 64;
/// The most elements accepted once every `<use>` is expanded (a detailed logo has a few
/// thousand); bounds the renderer's work.
pub(super) const MAX_EXPANDED_ELEMENTS: usize = 20_000;
const XLINK_NS: &str = "http://www.w3.org/1999/xlink";
/// The most `<mask>`, `<clipPath>` and `<pattern>` elements accepted: they may refer to one
/// another, and usvg follows such chains recursively.
pub(super) const MAX_PAINT_SERVERS: usize = 128;
/// The renderer's work accepted, in units: a shape costs 1, a layer (a group with opacity, a
/// clip path, a mask or a pattern, each composited over the whole image) [`LAYER_COST`].
/// Measured in a release build: 15,000 shapes filling the image 0.7 s, 600 layers 0.5 s, 128
/// chained masks 0.3 s.
pub(super) const WORK_BUDGET: u32 = 20_000;
const LAYER_COST: u32 = 32;

/// An SVG rendered to PNG.
#[derive(Debug)]
pub(super) struct Raster {
    pub png: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

/// Renders an uploaded SVG for `kind`; see [`super::check_upload`].
pub(super) fn rasterise(kind: AssetKind, bytes: &[u8]) -> Result<Raster, AssetError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| AssetError::SvgInvalid("it is not UTF-8 text".to_owned()))?;
    let xml = roxmltree::Document::parse_with_options(
        text,
        roxmltree::ParsingOptions {
            // Editors write entity declarations; roxmltree bounds their expansion and never
            // loads an external entity (no resolver is given).
            allow_dtd: true,
            nodes_limit: MAX_XML_NODES,
            ..roxmltree::ParsingOptions::default()
        },
    )
    .map_err(|e| AssetError::SvgInvalid(e.to_string()))?;
    check_elements(&xml)?;
    let tree = usvg::Tree::from_xmltree(&xml, &options()).map_err(|e| match e {
        usvg::Error::InvalidSize => AssetError::SvgNoSize,
        other => AssetError::SvgInvalid(other.to_string()),
    })?;
    if !tree.root().has_children() {
        return Err(AssetError::SvgEmpty);
    }
    Work {
        left: WORK_BUDGET,
        depth: 0,
    }
    .group(tree.root())?;

    let size = tree.size();
    let (width, height) = (size.width(), size.height());
    let shown = format!("{width}×{height}");
    let (target_width, target_height) = match kind {
        AssetKind::Favicon => {
            if (width - height).abs() > SQUARE_TOLERANCE * width.max(height) {
                return Err(AssetError::SvgNotSquare(shown));
            }
            (SVG_FAVICON_PX, SVG_FAVICON_PX)
        }
        AssetKind::Logo => {
            let long = width.max(height);
            let side = |length: f32| {
                // At most the long side's pixels, so the cast cannot overflow; usvg sizes are
                // finite and positive.
                let px = (length / long * SVG_LOGO_LONG_SIDE_PX as f32).round();
                px.clamp(1.0, SVG_LOGO_LONG_SIDE_PX as f32) as u32
            };
            let (w, h) = (side(width), side(height));
            if w.min(h) < ASSET_MIN_PX {
                return Err(AssetError::SvgTooNarrow(shown));
            }
            (w, h)
        }
    };

    // The buffer is sized by the target alone, never by the SVG's own numbers.
    let mut pixmap = Pixmap::new(target_width, target_height).ok_or(AssetError::SvgRender)?;
    let scale = Transform::from_scale(target_width as f32 / width, target_height as f32 / height);
    resvg::render(&tree, scale, &mut pixmap.as_mut());
    let png = pixmap.encode_png().map_err(|_| AssetError::SvgRender)?;
    Ok(Raster {
        png,
        width: target_width,
        height: target_height,
    })
}

/// usvg's options for uploads: every image reference resolves to nothing, so neither a file
/// path, nor a URL, nor a data URL is ever loaded or decoded.
pub(super) fn options() -> usvg::Options<'static> {
    usvg::Options {
        resources_dir: None,
        image_href_resolver: usvg::ImageHrefResolver {
            resolve_data: Box::new(|_, _, _| None),
            resolve_string: Box::new(|_, _| None),
        },
        ..usvg::Options::default()
    }
}

/// Refuses, from the XML: an SVG without a declared size; what the renderer would drop
/// without a word (text, images); markers (a copy per vertex) and filters (slow); and what
/// would make it work too hard: nesting deeper than [`MAX_DEPTH`], more than
/// [`MAX_PAINT_SERVERS`] masks, clip paths and patterns, or more than
/// [`MAX_EXPANDED_ELEMENTS`] elements once every `<use>` is replaced by a copy of what it
/// points at (copies of copies multiply: a few hundred bytes can stand for billions of shapes).
fn check_elements(xml: &roxmltree::Document<'_>) -> Result<(), AssetError> {
    // Without a size usvg would guess 100×100; the shape of a logo should not be a guess.
    let root = xml.root_element();
    let sized = root.has_attribute("viewBox")
        || (root.has_attribute("width") && root.has_attribute("height"));
    if !sized {
        return Err(AssetError::SvgNoSize);
    }
    let mut paint_servers = 0;
    for node in xml.descendants().filter(roxmltree::Node::is_element) {
        // Elements of any namespace count: stricter than the renderer, never looser.
        match node.tag_name().name() {
            "text" | "tspan" | "textPath" => return Err(AssetError::SvgText),
            "image" | "feImage" => return Err(AssetError::SvgImage),
            "marker" => return Err(AssetError::SvgMarker),
            "filter" => return Err(AssetError::SvgFilter),
            "mask" | "clipPath" | "pattern" => {
                paint_servers += 1;
                if paint_servers > MAX_PAINT_SERVERS {
                    return Err(AssetError::SvgTooComplex);
                }
            }
            _ => {}
        }
    }
    let mut expansion = Expansion {
        by_id: xml
            .descendants()
            .filter_map(|n| Some((n.attribute("id")?, n)))
            .collect(),
        sizes: HashMap::new(),
        in_progress: HashSet::new(),
    };
    expansion.size(xml.root_element(), 1).map(|_| ())
}

/// What rendering a tree would cost, counted down from [`WORK_BUDGET`]; refuses filters
/// (CSS filter functions need no `<filter>` element, so they are caught here too): one blur
/// over the image can take a quarter of a second.
struct Work {
    left: u32,
    depth: usize,
}

impl Work {
    fn spend(&mut self, units: u32) -> Result<(), AssetError> {
        self.left = self
            .left
            .checked_sub(units)
            .ok_or(AssetError::SvgTooComplex)?;
        Ok(())
    }

    /// Walks a group and everything it paints; the budget bounds the walk itself too.
    fn group(&mut self, group: &usvg::Group) -> Result<(), AssetError> {
        if !group.filters().is_empty() {
            return Err(AssetError::SvgFilter);
        }
        self.depth += 1;
        if self.depth > 4 * MAX_DEPTH {
            return Err(AssetError::SvgTooDeep(MAX_DEPTH));
        }
        self.spend(if group.should_isolate() {
            LAYER_COST
        } else {
            1
        })?;
        let mut clip = group.clip_path();
        while let Some(c) = clip {
            self.spend(LAYER_COST)?;
            self.group(c.root())?;
            clip = c.clip_path();
        }
        let mut mask = group.mask();
        while let Some(m) = mask {
            self.spend(LAYER_COST)?;
            self.group(m.root())?;
            mask = m.mask();
        }
        for child in group.children() {
            match child {
                usvg::Node::Group(g) => self.group(g)?,
                usvg::Node::Path(path) => {
                    self.spend(1)?;
                    let fill = path.fill().map(usvg::Fill::paint);
                    let stroke = path.stroke().map(usvg::Stroke::paint);
                    for paint in fill.into_iter().chain(stroke) {
                        if let usvg::Paint::Pattern(pattern) = paint {
                            self.spend(LAYER_COST)?;
                            self.group(pattern.root())?;
                        }
                    }
                }
                // Neither is made by this build (no text, no image is ever resolved).
                usvg::Node::Image(_) | usvg::Node::Text(_) => self.spend(1)?,
            }
        }
        self.depth -= 1;
        Ok(())
    }
}

/// Counts elements with every `<use>` expanded, memoised, so each element is counted once.
struct Expansion<'a, 'input> {
    by_id: HashMap<&'a str, roxmltree::Node<'a, 'input>>,
    sizes: HashMap<roxmltree::NodeId, usize>,
    in_progress: HashSet<roxmltree::NodeId>,
}

impl<'a, 'input> Expansion<'a, 'input> {
    /// Elements under `node` (itself included), expanded; `depth` is its nesting, `<use>`
    /// hops included. Recursion stops at [`MAX_DEPTH`], so the stack stays small.
    fn size(
        &mut self,
        node: roxmltree::Node<'a, 'input>,
        depth: usize,
    ) -> Result<usize, AssetError> {
        if depth > MAX_DEPTH {
            return Err(AssetError::SvgTooDeep(MAX_DEPTH));
        }
        if let Some(size) = self.sizes.get(&node.id()) {
            return Ok(*size);
        }
        if !self.in_progress.insert(node.id()) {
            return Err(AssetError::SvgInvalid(
                "a <use> element refers to one of its own ancestors".to_owned(),
            ));
        }
        let mut total = 1;
        if node.tag_name().name() == "use" {
            let href = node
                .attribute("href")
                .or_else(|| node.attribute((XLINK_NS, "href")));
            if let Some(target) = href
                .and_then(|h| h.strip_prefix('#'))
                .and_then(|id| self.by_id.get(id).copied())
            {
                total += self.size(target, depth + 1)?;
            }
        }
        for child in node.children().filter(roxmltree::Node::is_element) {
            total += self.size(child, depth + 1)?;
            if total > MAX_EXPANDED_ELEMENTS {
                return Err(AssetError::SvgTooComplex);
            }
        }
        if total > MAX_EXPANDED_ELEMENTS {
            return Err(AssetError::SvgTooComplex);
        }
        self.in_progress.remove(&node.id());
        self.sizes.insert(node.id(), total);
        Ok(total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Renders `svg` with the given options onto a 32×32 canvas and returns the centre pixel's
    /// alpha.
    fn centre_alpha(svg: &str, options: &usvg::Options<'_>) -> u8 {
        let tree = usvg::Tree::from_str(svg, options).expect("parses");
        let mut pixmap = Pixmap::new(32, 32).expect("a canvas");
        resvg::render(&tree, Transform::default(), &mut pixmap.as_mut());
        pixmap.pixel(16, 16).expect("inside").alpha()
    }

    /// Past the element check (defence in depth): even an `<image>` that reached usvg would
    /// load nothing with our options, where usvg's defaults read the file from disk.
    #[test]
    fn options_load_no_file_and_decode_no_data() {
        let dir = std::env::temp_dir().join(format!("mspdesk-usvg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a temp dir");
        let file = dir.join("red.svg");
        std::fs::write(
            &file,
            r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><rect width="1" height="1" fill="#F00"/></svg>"##,
        )
        .expect("writes the file");
        let linking = |href: &str| {
            format!(
                r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><image href="{href}" width="32" height="32"/></svg>"#
            )
        };
        let by_path = linking(&file.display().to_string());
        // The test can fail: usvg's defaults do read the file.
        assert_eq!(centre_alpha(&by_path, &usvg::Options::default()), 255);
        assert_eq!(centre_alpha(&by_path, &options()), 0);
        let tree = usvg::Tree::from_str(&by_path, &options()).expect("parses");
        assert!(!tree.root().has_children(), "the image was dropped");

        let inline = linking(
            "data:image/svg+xml;utf8,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 1 1'%3E%3Crect width='1' height='1'/%3E%3C/svg%3E",
        );
        assert_eq!(centre_alpha(&inline, &usvg::Options::default()), 255);
        assert_eq!(centre_alpha(&inline, &options()), 0);
        std::fs::remove_dir_all(&dir).expect("removes the temp dir");
    }
}
