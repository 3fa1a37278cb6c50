//! A product picture: lazy-loaded, with the product title as alt text, in a frame whose neutral
//! background stands in when there is no image or it fails to load.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// Only `http(s)` URLs are used for images and links; anything else (`javascript:`, `data:`) is
/// dropped.
pub fn web_url(url: Option<&str>) -> Option<String> {
    let url = url?.trim();
    let lower = url.to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://")).then(|| url.to_owned())
}

/// A lazy product image in a fixed-size frame; the frame's placeholder shows when the URL is
/// missing or the image fails to load.
#[component]
pub fn ProductImage(
    /// The image URL from the result's widget meta, if the product has one.
    url: Option<String>,
    /// The alt text: the product title.
    #[prop(into)]
    alt: String,
    /// Draw it small (cart lines) instead of card-sized.
    #[prop(optional)]
    small: bool,
) -> impl IntoView {
    let class = if small { "tw-img tw-img--small" } else { "tw-img" };
    let size = if small { "64" } else { "240" };
    view! {
        <div class=class>
            {web_url(url.as_deref()).map(|src| {
                view! {
                    <img
                        src=src
                        alt=alt
                        loading="lazy"
                        decoding="async"
                        width=size
                        height=size
                        on:error=|ev| {
                            // A broken image leaves the frame's placeholder.
                            if let Some(img) = ev.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()) {
                                let _ = img.set_attribute("hidden", "");
                            }
                        }
                    />
                }
            })}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_web_urls_are_loaded() {
        assert_eq!(web_url(Some("https://x.test/a.svg")).as_deref(), Some("https://x.test/a.svg"));
        assert_eq!(web_url(Some(" http://localhost:8000/i.svg ")).as_deref(), Some("http://localhost:8000/i.svg"));
        assert_eq!(web_url(Some("javascript:alert(1)")), None);
        assert_eq!(web_url(Some("data:image/png;base64,AAAA")), None);
        assert_eq!(web_url(None), None);
    }
}
