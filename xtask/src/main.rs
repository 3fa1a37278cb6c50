//! The project's task runner (`cargo xtask <command>`, an alias in `.cargo/config.toml`).
//!
//! - `widgets`: builds the Leptos widgets to WASM, runs wasm-bindgen, and writes one
//!   self-contained HTML template per widget to `target/widgets/` (see [`widgets`]); the server
//!   embeds them at compile time (`server/build.rs`).
//! - `budget`: starts the server with those templates, reads each over MCP and fails if a
//!   `resources/read` response is over the size budget (see [`budget`]).
//!
//! Options: `--locked` / `--offline` are passed on to the cargo builds; `budget --release` builds
//! the server in release mode; `budget --limit-kb N` changes the budget (default 300).
//! `WIDGETS_DIR` moves the output directory (the server's build script reads the same variable).

mod budget;
mod page;
mod wasm;
mod widgets;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

/// Every error of a task: a sentence for the person running it.
pub type Error = Box<dyn std::error::Error>;

const USAGE: &str = "usage: cargo xtask <command> [options]

commands:
  widgets   build the WASM widgets into target/widgets/<id>.html (+ manifest.json)
  budget    serve the built templates and check each resources/read response is within budget

options:
  --locked, --offline   passed on to cargo
  --release             (budget) build the server in release mode instead of debug
  --limit-kb N          (budget) the largest allowed response, in KB of 1000 bytes (default 300)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("widgets") => widgets::run(&Project::new(&args[1..])),
        Some("budget") => budget::run(&Project::new(&args[1..]), &args[1..]),
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            Ok(())
        }
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Where things are, and the flags every cargo call gets.
pub struct Project {
    /// The workspace root.
    pub root: PathBuf,
    /// Cargo's target directory.
    pub target: PathBuf,
    /// Where the templates go: `$WIDGETS_DIR`, else `<target>/widgets`.
    pub widgets_dir: PathBuf,
    /// `--locked` / `--offline`, passed on to cargo.
    pub cargo_flags: Vec<String>,
}

impl Project {
    fn new(args: &[String]) -> Self {
        // xtask/ is one level below the workspace root.
        let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let root = manifest_dir.parent().map(Path::to_path_buf).unwrap_or(manifest_dir);
        let absolute = |p: PathBuf| if p.is_absolute() { p } else { root.join(p) };
        let target =
            std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).map(absolute).unwrap_or(root.join("target"));
        let widgets_dir = std::env::var_os("WIDGETS_DIR")
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
            .map(absolute)
            .unwrap_or(target.join("widgets"));
        let cargo_flags = args.iter().filter(|a| matches!(a.as_str(), "--locked" | "--offline")).cloned().collect();
        Project { root, target, widgets_dir, cargo_flags }
    }

    /// `cargo` (the one running this task, if known) in the workspace root, without the
    /// variables `cargo run` set for this task: build scripts that watch one (ring's watches
    /// `CARGO_MANIFEST_DIR`) would otherwise rerun, and everything after them would be compiled
    /// again, both here and in the next plain `cargo test`.
    pub fn cargo(&self) -> Command {
        let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
        command.current_dir(&self.root);
        for (name, _) in std::env::vars_os() {
            let name = name.to_string_lossy();
            if name.starts_with("CARGO_PKG_")
                || name.starts_with("CARGO_MANIFEST_")
                || ["CARGO_CRATE_NAME", "CARGO_BIN_NAME", "CARGO_PRIMARY_PACKAGE"].contains(&name.as_ref())
            {
                command.env_remove(name.as_ref());
            }
        }
        command
    }
}

/// Runs a command to completion; a failure is an error naming it.
pub fn run_checked(command: &mut Command) -> Result<(), Error> {
    let shown = format!("{command:?}");
    println!("xtask: $ {shown}");
    let status = command.status().map_err(|e| format!("cannot run {shown}: {e}"))?;
    if status.success() { Ok(()) } else { Err(format!("{shown} failed ({status})").into()) }
}

/// Reads a file, naming it in the error.
pub fn read(path: &Path) -> Result<Vec<u8>, Error> {
    std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()).into())
}

/// Writes a file atomically (a temporary file renamed into place), so the server's build script
/// never sees a half-written template.
pub fn write(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| format!("cannot write {}: {e}", path.display()).into())
}
