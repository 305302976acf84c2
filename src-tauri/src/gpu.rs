//! How WebKitGTK paints on a machine without a GPU.
//!
//! WebKitGTK composites pages with OpenGL. Without a GPU (no DRM render node: a virtual
//! machine, a remote or virtual display) that OpenGL is Mesa's software rasteriser, and a
//! frame of the client list then took 10 to 130 ms after a keystroke (median 45 ms with 10,000
//! clients, see BENCHMARKS.md); WebKit's own painting without compositing took 5 to 20 ms
//! (median 10 ms) and less memory. So where there is no render node the app turns accelerated
//! compositing off, unless the user set `WEBKIT_DISABLE_COMPOSITING_MODE` themselves.

use std::path::Path;

const VAR: &str = "WEBKIT_DISABLE_COMPOSITING_MODE";

/// Turns WebKit's accelerated compositing off when this machine has no GPU render node. Call
/// it first thing, before any thread starts (it sets an environment variable).
pub fn paint_without_gl_when_there_is_no_gpu() {
    if cfg!(target_os = "linux")
        && std::env::var_os(VAR).is_none()
        && !has_render_node(Path::new("/dev/dri"))
    {
        std::env::set_var(VAR, "1");
    }
}

/// Whether `dri` (normally `/dev/dri`) holds a render node (`renderD128`, ...).
fn has_render_node(dri: &Path) -> bool {
    std::fs::read_dir(dri).is_ok_and(|entries| {
        entries
            .flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with("renderD"))
    })
}

#[cfg(test)]
mod tests {
    use super::has_render_node;

    #[test]
    fn a_render_node_means_a_gpu() {
        let dir = std::env::temp_dir().join(format!("mspdesk-dri-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a temporary folder");
        assert!(!has_render_node(&dir), "an empty folder has no render node");
        std::fs::write(dir.join("card0"), "").expect("a file");
        assert!(!has_render_node(&dir), "a card without a render node");
        std::fs::write(dir.join("renderD128"), "").expect("a file");
        assert!(has_render_node(&dir));
        std::fs::remove_dir_all(&dir).expect("removed");
        assert!(!has_render_node(&dir), "no folder at all");
    }
}
