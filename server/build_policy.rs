// Whether a build may embed the plain placeholder widgets instead of the built Leptos ones.
// Shared by build.rs (`include!`) and the server's unit tests (`#[path]`), so the rule is tested.

/// The variable that allows a release build with placeholders (for a server-only image or a
/// quick benchmark build): `ALLOW_PLACEHOLDER_WIDGETS=1`.
pub const ALLOW_PLACEHOLDERS_VAR: &str = "ALLOW_PLACEHOLDER_WIDGETS";

/// `Err(message)` when a build with cargo profile `profile` must not embed placeholders: a
/// release build fails closed unless `allow` (the variable's value) is `1`, `true` or `yes`.
pub fn placeholders_allowed(profile: &str, allow: Option<&str>) -> Result<(), String> {
    let allowed = allow.is_some_and(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "1" | "true" | "yes"));
    if profile != "release" || allowed {
        return Ok(());
    }
    Err(format!(
        "refusing a release build with the plain placeholder widgets: the widget templates are not built. \
         Run `cargo xtask widgets` first (scripts/run.sh and scripts/build.sh do), point WIDGETS_DIR \
         at built templates, or set {ALLOW_PLACEHOLDERS_VAR}=1 to build without them"
    ))
}
