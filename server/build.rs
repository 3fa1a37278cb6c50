//! Embeds the built widget templates: when `cargo xtask widgets` has written
//! `target/widgets/manifest.json` (directory overridable with `WIDGETS_DIR`), this generates
//! `$OUT_DIR/widgets_embedded.rs` with `include_str!` of the four `<id>.html` files; otherwise a
//! version without templates, and the server serves its plain placeholders (with a warning here).

use std::path::{Path, PathBuf};

include!("build_policy.rs");

/// The templates `cargo xtask widgets` writes (`shared::tool::WidgetId`).
const WIDGETS: [&str; 4] = ["target-auth", "product-grid", "cart", "circle"];

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=WIDGETS_DIR");
    println!("cargo:rerun-if-env-changed=CARGO_TARGET_DIR");
    println!("cargo:rerun-if-env-changed={ALLOW_PLACEHOLDERS_VAR}");
    println!("cargo:rerun-if-changed=build_policy.rs");
    let dir = widgets_dir();
    let manifest = dir.join("manifest.json");
    let files: Vec<(&str, PathBuf)> = WIDGETS.iter().map(|w| (*w, dir.join(format!("{w}.html")))).collect();
    let complete = manifest.is_file() && files.iter().all(|(_, f)| f.is_file());

    let code = if complete {
        println!("cargo:rerun-if-changed={}", manifest.display());
        let mut entries = String::new();
        for (widget, file) in &files {
            println!("cargo:rerun-if-changed={}", file.display());
            entries.push_str(&format!("    ({widget:?}, include_str!({:?})),\n", file.display().to_string()));
        }
        format!(
            "/// Where the templates were embedded from.\npub const SOURCE: &str = {:?};\n\
             /// (widget id, template HTML) of every built widget.\n\
             pub const TEMPLATES: Option<&[(&str, &str)]> = Some(&[\n{entries}]);\n",
            dir.display().to_string()
        )
    } else {
        let profile = std::env::var("PROFILE").unwrap_or_default();
        if let Err(message) = placeholders_allowed(&profile, std::env::var(ALLOW_PLACEHOLDERS_VAR).ok().as_deref()) {
            eprintln!("error: {message}");
            println!("cargo:warning={message}");
            std::process::exit(1);
        }
        if manifest.is_file() {
            println!("cargo:warning=widget templates incomplete in {}: serving placeholders", dir.display());
        } else {
            println!(
                "cargo:warning=widget templates not built ({} missing): the server serves plain placeholders; \
                 run `cargo xtask widgets` to embed the Leptos widgets",
                manifest.display()
            );
        }
        // Watch the directory (created empty if need be), not the missing files: cargo reruns a
        // build script on every build while a watched path does not exist.
        let _ = std::fs::create_dir_all(&dir);
        println!("cargo:rerun-if-changed={}", dir.display());
        "/// Where the templates were embedded from.\npub const SOURCE: &str = \"not built\";\n\
         /// (widget id, template HTML) of every built widget.\n\
         pub const TEMPLATES: Option<&[(&str, &str)]> = None;\n"
            .to_owned()
    };
    let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default()).join("widgets_embedded.rs");
    if let Err(e) = std::fs::write(&out, code) {
        println!("cargo:warning=cannot write {}: {e}", out.display());
        std::process::exit(1);
    }
}

/// `$WIDGETS_DIR`, else `$CARGO_TARGET_DIR/widgets`, else `<workspace>/target/widgets`
/// (relative paths are taken from the workspace root, like `cargo xtask` does).
fn widgets_dir() -> PathBuf {
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let root = manifest_dir.parent().map(Path::to_path_buf).unwrap_or(manifest_dir);
    let from_env = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    let dir = from_env("WIDGETS_DIR")
        .or_else(|| from_env("CARGO_TARGET_DIR").map(|t| t.join("widgets")))
        .unwrap_or_else(|| PathBuf::from("target").join("widgets"));
    if dir.is_absolute() { dir } else { root.join(dir) }
}
