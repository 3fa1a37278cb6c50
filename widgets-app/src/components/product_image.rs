//! A product picture: lazy-loaded, with the product title as alt text, and a neutral placeholder
//! when there is no image or it fails to load.

use leptos::prelude::*;

/// Only `http(s)` URLs are used for images and links; anything else (`javascript:`, `data:`) is
/// dropped.
pub fn web_url(url: Option<&str>) -> Option<String> {
    let url = url?.trim();
    let lower = url.to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://")).then(|| url.to_owned())
}

/// A lazy product image; the placeholder takes its place when the URL is missing or broken.
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
    let failed = RwSignal::new(false);
    let url = web_url(url.as_deref());
    let class = if small { "tw-img tw-img--small" } else { "tw-img" };
    let size = if small { "64" } else { "240" };
    move || match (url.clone(), failed.get()) {
        (Some(src), false) => view! {
            <img
                class=class
                src=src
                alt=alt.clone()
                loading="lazy"
                decoding="async"
                width=size
                height=size
                on:error=move |_| failed.set(true)
            />
        }
        .into_any(),
        _ => {
            view! { <div class=format!("{class} tw-img--missing") role="img" aria-label=alt.clone()></div> }.into_any()
        }
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
