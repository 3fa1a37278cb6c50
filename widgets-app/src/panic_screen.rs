//! A panic must never leave a blank frame: the hook logs it and replaces the page with a short,
//! friendly message (the WASM build aborts on panic, so nothing runs after the hook).

use wasm_bindgen::JsCast;

const MESSAGE: &str = "<div class=\"tw-fatal\" role=\"alert\"><h1>Something went wrong</h1>\
<p>This Target widget hit an unexpected problem. Ask ChatGPT to try again, or continue on \
<a href=\"https://www.target.com\" target=\"_blank\" rel=\"noopener\">Target.com</a>.</p></div>";

pub fn install() {
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        show();
    }));
}

/// Replaces the widget with the error screen.
pub fn show() {
    let root = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("root"))
        .and_then(|r| r.dyn_into::<web_sys::HtmlElement>().ok());
    if let Some(root) = root {
        root.set_inner_html(MESSAGE);
    }
}
