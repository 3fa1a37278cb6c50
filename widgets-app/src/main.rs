//! Entry point of the widgets' WASM: installs the friendly panic screen and mounts the widget the
//! page names in `<div id="root" data-widget="…">`.

fn main() {
    widgets_app::start();
}
