//! `cargo xtask widgets`: Leptos sources → one self-contained HTML template per widget.
//!
//! For each widget, one WASM with only that widget's code (the widgets-app cargo feature of the
//! widget's name):
//! 1. `cargo build -p widgets-app --bin widgets-app --target wasm32-unknown-unknown --profile wasm-release
//!    --no-default-features --features <id>`
//! 2. `wasm-bindgen --target web --no-typescript` (the CLI must match Cargo.lock's wasm-bindgen;
//!    `scripts/setup.sh` installs it) into `<widgets dir>/bindgen/<id>/`
//! 3. drop the WASM's `name` section, gzip -9, base64
//! 4. `<widgets dir>/<id>.html` (see [`crate::page`]);
//!
//! then `manifest.json` last (the server's build script embeds the templates once it exists).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use base64::Engine;
use flate2::Compression;
use flate2::write::GzEncoder;
use serde_json::json;

use crate::page::{self, Assets};
use crate::{Error, Project, read, run_checked, write};

/// The widget ids (`shared::tool::WidgetId`), in the order the manifest lists them.
pub const WIDGETS: [&str; 4] = ["target-auth", "product-grid", "cart", "circle"];

/// Sizes of the shared WASM, in bytes.
struct WasmSizes {
    /// As wasm-bindgen wrote it.
    bindgen: usize,
    /// Without the `name` section (what the page runs).
    stripped: usize,
    gzip: usize,
    base64: usize,
}

pub fn run(project: &Project) -> Result<(), Error> {
    let started = Instant::now();
    let version = lock_version(&project.root.join("Cargo.lock"), "wasm-bindgen")?;
    check_wasm_bindgen(&version)?;

    let (css, css_files) = styles(&project.root.join("style"))?;
    let fallback_js = String::from_utf8(read(&project.root.join("widgets-app").join("fallback.js"))?)?;
    let panic_screen = project.root.join("widgets-app").join("src").join("panic_screen.rs");
    let fatal_html = match std::fs::read_to_string(&panic_screen).ok().as_deref().and_then(page::panic_message) {
        Some(message) => message,
        None => {
            println!(
                "xtask: warning: no `const MESSAGE` in {}; using a built-in error message",
                panic_screen.display()
            );
            FATAL_HTML.to_owned()
        }
    };
    let out = &project.widgets_dir;
    let bindgen_root = out.join("bindgen");
    if bindgen_root.exists() {
        std::fs::remove_dir_all(&bindgen_root).map_err(|e| format!("cannot clear {}: {e}", bindgen_root.display()))?;
    }

    let mut widgets = serde_json::Map::new();
    let mut rows = Vec::new();
    for widget in WIDGETS {
        // One WASM per widget: each carries only its own widget's code (cargo feature of its name).
        let compiled = Instant::now();
        run_checked(
            project
                .cargo()
                .args(["build", "-p", "widgets-app", "--bin", "widgets-app", "--target", "wasm32-unknown-unknown"])
                .args(["--profile", "wasm-release", "--no-default-features", "--features", widget])
                .args(&project.cargo_flags),
        )?;
        let built = project.target.join("wasm32-unknown-unknown").join("wasm-release").join("widgets-app.wasm");
        let bindgen_dir = bindgen_root.join(widget);
        std::fs::create_dir_all(&bindgen_dir).map_err(|e| format!("cannot create {}: {e}", bindgen_dir.display()))?;
        run_checked(
            Command::new("wasm-bindgen")
                .args(["--target", "web", "--no-typescript", "--out-dir"])
                .arg(&bindgen_dir)
                .arg(&built),
        )?;
        if bindgen_dir.join("snippets").exists() {
            return Err("wasm-bindgen emitted JS snippets (#[wasm_bindgen(module = …)] or inline_js), which \
                        the inliner cannot put into one page; use js-sys / web-sys instead"
                .into());
        }
        let glue = String::from_utf8(read(&bindgen_dir.join("widgets-app.js"))?)?;
        if !glue.contains("function __wbg_init(") {
            return Err("the wasm-bindgen glue has no `__wbg_init` (its default export); check the inliner \
                        against this wasm-bindgen version (xtask/src/js/start.js)"
                .into());
        }
        let bindgen_wasm = read(&bindgen_dir.join("widgets-app_bg.wasm"))?;
        let by_crate = crate::wasm::code_size_by_crate(&bindgen_wasm).unwrap_or_default();
        let stripped = crate::wasm::strip_names(&bindgen_wasm)?;
        let gzipped = gzip(&stripped)?;
        let wasm_gzip_base64 = base64::engine::general_purpose::STANDARD.encode(&gzipped);
        let sizes = WasmSizes {
            bindgen: bindgen_wasm.len(),
            stripped: stripped.len(),
            gzip: gzipped.len(),
            base64: wasm_gzip_base64.len(),
        };
        let glue_len = glue.len();
        let assets = Assets {
            css: css.clone(),
            glue,
            wasm_gzip_base64,
            fallback_js: fallback_js.clone(),
            fatal_html: fatal_html.clone(),
        };
        let file = format!("{widget}.html");
        let html = page::render(widget, &assets);
        write(&out.join(&file), html.as_bytes())?;
        rows.push(format!(
            "{widget:<14} {:>9} {:>9} {:>9} {:>9} {:>7}  ({:.0}s)",
            html.len(),
            sizes.stripped,
            sizes.gzip,
            sizes.base64,
            glue_len,
            compiled.elapsed().as_secs_f64()
        ));
        widgets.insert(
            widget.to_owned(),
            json!({
                "file": file,
                "bytes": html.len(),
                "wasm": {
                    "bindgenBytes": sizes.bindgen,
                    "strippedBytes": sizes.stripped,
                    "gzipBytes": sizes.gzip,
                    "base64Bytes": sizes.base64,
                },
                "glueBytes": glue_len,
                "codeBytesByCrate": by_crate.iter().take(12).map(|(k, n)| json!([k, n])).collect::<Vec<_>>(),
            }),
        );
    }
    let manifest = json!({
        "wasmBindgen": version,
        "widgets": widgets,
        "css": { "bytes": css.len(), "files": css_files },
    });
    write(&out.join("manifest.json"), serde_json::to_string_pretty(&manifest)?.as_bytes())?;
    println!("\n{:<14} {:>9} {:>9} {:>9} {:>9} {:>7}", "widget", "template", "wasm", "gzip", "base64", "glue");
    for row in rows {
        println!("{row}");
    }
    println!(
        "CSS {} bytes from {} file(s); widgets written to {} in {:.1}s",
        css.len(),
        css_files.len(),
        out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Used if `panic_screen.rs` ever stops having its `MESSAGE` constant.
const FATAL_HTML: &str = "<div class=\"tw-fatal\" role=\"alert\"><h1>Something went wrong</h1><p>This Target \
widget hit an unexpected problem. Ask ChatGPT to try again, or continue on <a href=\"https://www.target.com\" \
target=\"_blank\" rel=\"noopener\">Target.com</a>.</p></div>";

/// The version of `package` in a Cargo.lock (the first entry of that name).
pub fn lock_version(lock: &Path, package: &str) -> Result<String, Error> {
    let text = std::fs::read_to_string(lock).map_err(|e| format!("cannot read {}: {e}", lock.display()))?;
    let name_line = format!("name = \"{package}\"");
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line == name_line
            && let Some(version) = lines.next().and_then(|l| l.strip_prefix("version = \""))
        {
            return Ok(version.trim_end_matches('"').to_owned());
        }
    }
    Err(format!("{} has no package {package}", lock.display()).into())
}

/// The wasm-bindgen CLI must be exactly the library's version, or the glue does not fit the WASM.
fn check_wasm_bindgen(version: &str) -> Result<(), Error> {
    let found = Command::new("wasm-bindgen").arg("--version").output();
    let found = found.map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned()).unwrap_or_default();
    if found == format!("wasm-bindgen {version}") {
        Ok(())
    } else {
        let found = if found.is_empty() { "none on PATH".to_owned() } else { found };
        Err(format!(
            "wasm-bindgen {version} is needed (Cargo.lock), found: {found}; run scripts/setup.sh \
             (or: cargo install wasm-bindgen-cli --version {version})"
        )
        .into())
    }
}

/// All `*.css` of `dir` in name order, concatenated; and their names. No directory, no CSS.
fn styles(dir: &Path) -> Result<(String, Vec<String>), Error> {
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "css") && p.is_file())
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(format!("cannot list {}: {e}", dir.display()).into()),
    };
    files.sort();
    let mut css = String::new();
    let mut names = Vec::new();
    for file in files {
        let text = String::from_utf8(read(&file)?)?;
        let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        css.push_str(&format!("/* {name} */\n{}\n", text.trim_end()));
        names.push(name);
    }
    Ok((css, names))
}

/// gzip -9 with a zero timestamp, so the same WASM gives the same template (and template URI).
fn gzip(bytes: &[u8]) -> Result<Vec<u8>, Error> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    encoder.write_all(bytes)?;
    Ok(encoder.finish()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_locked_version() {
        let dir = std::env::temp_dir().join(format!("xtask-lock-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let lock = dir.join("Cargo.lock");
        std::fs::write(
            &lock,
            "[[package]]\nname = \"wasm-bindgen-futures\"\nversion = \"0.4.1\"\n\n\
             [[package]]\nname = \"wasm-bindgen\"\nversion = \"0.2.130\"\n",
        )
        .unwrap();
        assert_eq!(lock_version(&lock, "wasm-bindgen").unwrap(), "0.2.130");
        assert!(lock_version(&lock, "leptos").is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn gzip_is_reproducible() {
        let data = vec![7u8; 10_000];
        let a = gzip(&data).unwrap();
        assert_eq!(a, gzip(&data).unwrap());
        let mut inflated = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&a[..]), &mut inflated).unwrap();
        assert_eq!(inflated, data);
    }

    #[test]
    fn the_widget_ids_match_the_shared_crate() {
        let source = include_str!("../../shared/src/tool.rs");
        for widget in WIDGETS {
            assert!(source.contains(&format!("\"{widget}\"")), "shared/src/tool.rs no longer names {widget}");
        }
    }
}
