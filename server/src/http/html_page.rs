//! The HTML document around the server's own pages (the OAuth sign-in page, the order page): the
//! widgets' design tokens (`style/tokens.css`, light and dark) and the page's CSS inlined, no
//! script. The styles go in as raw element content: CSS is not HTML, and escaping its quotes
//! (`[data-theme="dark"]`, `"Segoe UI"`) would break the selectors and fonts they name.

use leptos::prelude::*;

const TOKENS_CSS: &str = include_str!("../../../style/tokens.css");

/// A whole page: `title`, the tokens plus `page_css`, and `content` inside `<main>`.
pub fn frame(title: String, page_css: &'static str, content: impl IntoView) -> impl IntoView {
    view! {
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="robots" content="noindex"/>
                <title>{title}</title>
                <style inner_html=TOKENS_CSS></style>
                <style inner_html=page_css></style>
            </head>
            <body>
                <main>{content}</main>
            </body>
        </html>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn styles_are_inlined_verbatim_and_the_title_is_text() {
        let html = frame("<b>Order</b>".into(), "p > a { content: \"&\"; }", view! { <p>"Hello"</p> }).to_html();
        assert!(html.contains("<title>&lt;b&gt;Order&lt;/b&gt;</title>"), "{html}");
        assert!(html.contains("p > a { content: \"&\"; }"), "{html}");
        assert!(html.contains("[data-theme=\"dark\"]"), "the tokens keep their quotes: {html}");
        assert!(html.contains("<main><p>Hello</p></main>"), "{html}");
    }
}
