//! The HTML of one widget template: styles, the `#root` element with a loading state, the gzipped
//! WASM as base64 in a data element (`#tw-wasm`, never run as script), the boot script (WASM probe,
//! error screen, starts compiling the WASM, plain-JS fallback) and the module script (wasm-bindgen
//! glue, started with its default export once the WASM is compiled).

/// What the server replaces with its public base URL (`data-api-base`).
pub const API_BASE_MARKER: &str = "__TARGET_API_BASE__";

const PAGE_CSS: &str = include_str!("page.css");
const BOOT_JS: &str = include_str!("js/boot.js");
const START_JS: &str = include_str!("js/start.js");

/// Everything the four templates share.
pub struct Assets {
    /// The project's CSS (all of `style/*.css`, in name order).
    pub css: String,
    /// The wasm-bindgen `--target web` glue (an ES module).
    pub glue: String,
    /// The stripped WASM, gzip -9, base64.
    pub wasm_gzip_base64: String,
    /// `widgets-app/fallback.js`.
    pub fallback_js: String,
    /// The error screen, as HTML (the panic screen's message).
    pub fatal_html: String,
}

/// The whole template of `widget`.
pub fn render(widget: &str, assets: &Assets) -> String {
    let fatal = serde_json::Value::String(assets.fatal_html.clone()).to_string();
    let boot = compact_js(&BOOT_JS.replace("/*FATAL_HTML*/", &fatal).replace("/*FALLBACK_JS*/", &assets.fallback_js));
    let glue = compact_js(&assets.glue);
    let css = format!("{PAGE_CSS}{}", assets.css);
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
<title>Target · {widget}</title>\n<style>\n{css}</style></head>\n\
<body><div id=\"root\" data-widget=\"{widget}\" data-api-base=\"{API_BASE_MARKER}\">\
<div class=\"tw-boot\" data-loading role=\"status\" aria-live=\"polite\">\
<span class=\"tw-boot-spinner\" aria-hidden=\"true\"></span><span>Loading Target…</span></div></div>\n\
<script type=\"application/gzip;base64\" id=\"tw-wasm\">{wasm}</script>\n\
<script>\n{boot}</script>\n<script type=\"module\">\n{glue}\n{start}</script>\n</body></html>\n",
        css = escape_style(&css),
        boot = escape_script(&boot),
        glue = escape_script(glue.trim_end()),
        wasm = escape_script(&assets.wasm_gzip_base64),
        start = escape_script(START_JS),
    )
}

/// Script text that cannot end its `<script>` element early or switch the HTML parser into its
/// "double escaped" state: `</script` → `<\/script`, `<!--` → `<\!--` (both mean the same in
/// JavaScript strings, comments and regular expressions).
pub fn escape_script(js: &str) -> String {
    backslash_after_lt(&js.replace("<!--", "<\\!--"), "</script")
}

/// CSS that cannot end its `<style>` element early: `</style` → `<\/style` (a CSS escape).
pub fn escape_style(css: &str) -> String {
    backslash_after_lt(css, "</style")
}

/// `text` with a backslash after the `<` of every ASCII-case-insensitive `needle` (which starts
/// with `<`); the rest keeps its case (`<\/SCRIPT` works too).
fn backslash_after_lt(text: &str, needle: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (at, _) in lower.match_indices(needle) {
        out.push_str(&text[last..at]);
        out.push_str("<\\");
        out.push_str(&text[at + 1..at + needle.len()]);
        last = at + needle.len();
    }
    out.push_str(&text[last..]);
    out
}

/// Script text without indentation, blank lines and whole-line comments (a quarter of the
/// wasm-bindgen glue), with every line break kept so semicolon insertion means the same. Left
/// as it is if a line break could be inside a string (an odd number of backticks on a line, or a
/// line ending in a backslash).
pub fn compact_js(js: &str) -> String {
    if js.lines().any(|l| l.matches('`').count() % 2 == 1 || l.trim_end().ends_with('\\')) {
        return js.to_owned();
    }
    let mut out = String::with_capacity(js.len());
    let mut in_comment = false;
    for line in js.lines() {
        let mut code = line.trim();
        if in_comment {
            let Some(end) = code.find("*/") else { continue };
            in_comment = false;
            code = code[end + 2..].trim();
        } else if let Some(rest) = code.strip_prefix("/*") {
            match rest.find("*/") {
                Some(end) => code = rest[end + 2..].trim(),
                None => {
                    in_comment = true;
                    continue;
                }
            }
        }
        if code.is_empty() || code.starts_with("//") {
            continue;
        }
        out.push_str(code);
        out.push('\n');
    }
    out
}

/// The friendly error message of `widgets-app/src/panic_screen.rs` (its `MESSAGE` constant), so
/// a failed start and a panic look the same. `None` if the file no longer has that constant.
pub fn panic_message(source: &str) -> Option<String> {
    let start = source.find("const MESSAGE: &str = \"")? + "const MESSAGE: &str = \"".len();
    let mut out = String::new();
    let mut chars = source[start..].chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(out),
            '\\' => match chars.next()? {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                '\n' => {
                    while chars.peek().is_some_and(|c| c.is_whitespace()) {
                        chars.next();
                    }
                }
                other => out.push(other),
            },
            c => out.push(c),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_and_styles_cannot_close_their_element() {
        assert_eq!(escape_script("a='</script>';b='</SCRIPT>'"), "a='<\\/script>';b='<\\/SCRIPT>'");
        assert_eq!(escape_script("x = '<!--'"), "x = '<\\!--'");
        assert_eq!(escape_style("a::after{content:'</style>'}"), "a::after{content:'<\\/style>'}");
        assert_eq!(escape_script("no tags, ünïcode"), "no tags, ünïcode");
    }

    #[test]
    fn compacts_js_without_changing_lines_of_code() {
        let js = "/**\n * Docs\n */\nfunction f(a) {\n    // note\n    return a + \"  x  \";\n\n}\n/* a */ g();\n";
        assert_eq!(compact_js(js), "function f(a) {\nreturn a + \"  x  \";\n}\ng();\n");
        let template = "const s = `a\n    b`;\n";
        assert_eq!(compact_js(template), template, "a multi-line template literal: left alone");
    }

    #[test]
    fn reads_the_panic_message() {
        let source = "use x;\nconst MESSAGE: &str = \"<div class=\\\"tw-fatal\\\"><h1>Oops</h1>\\\n    <p>Try again.</p></div>\";\n";
        assert_eq!(
            panic_message(source).as_deref(),
            Some("<div class=\"tw-fatal\"><h1>Oops</h1><p>Try again.</p></div>")
        );
        assert_eq!(panic_message("fn main() {}"), None);
    }

    #[test]
    fn template_has_root_loading_state_and_both_scripts() {
        let assets = Assets {
            css: "body{color:red}</style>".into(),
            glue: "async function __wbg_init(){}\nexport { __wbg_init as default };\n// </script>\n".into(),
            wasm_gzip_base64: "H4sI".into(),
            fallback_js: "var fallbackRan = true;".into(),
            fatal_html: "<p>\"broken\"</p>".into(),
        };
        let html = render("cart", &assets);
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.contains("<div id=\"root\" data-widget=\"cart\" data-api-base=\"__TARGET_API_BASE__\">"));
        assert!(html.contains("data-loading role=\"status\""));
        assert!(html.contains("body{color:red}<\\/style>"));
        assert!(html.contains("root.innerHTML = \"<p>\\\"broken\\\"</p>\";"));
        assert!(html.contains("var fallbackRan = true;"));
        assert!(html.contains("<script type=\"application/gzip;base64\" id=\"tw-wasm\">H4sI</script>"));
        assert_eq!(html.matches("</script>").count(), 3, "only the three real closing tags");
        assert_eq!(html.matches("</style>").count(), 1);
        assert!(!html.contains("/*FALLBACK_JS*/") && !html.contains("/*FATAL_HTML*/"));
    }
}
