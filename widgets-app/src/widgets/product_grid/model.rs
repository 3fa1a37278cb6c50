//! The product grid's data, as pure functions: the products of a search or recommendations result
//! joined with their widget-meta records, client-side sorting, and the sentences the grid shows.

use serde_json::{Value, json};
use shared::cart::Cart;
use shared::ids::SessionId;
use shared::product::{ProductSummary, Rating, RecommendationsOutput, SearchOutput, SortOrder};
use shared::widget::WidgetMeta;

use crate::bridge::ToolResult;
use crate::components::product_image::web_url;
use crate::components::unique_by;
use crate::host::{parse_structured, parse_widget_meta};

/// How many cards an inline grid shows before "View all".
pub const INLINE_LIMIT: usize = 6;

/// One card: the product as the model saw it, plus what only the widget shows.
#[derive(Debug, Clone, PartialEq)]
pub struct GridItem {
    /// Position in the server's answer (relevance order).
    pub rank: usize,
    pub summary: ProductSummary,
    /// Why it is recommended (recommendations only).
    pub reason: Option<String>,
    pub image_url: Option<String>,
    pub product_url: Option<String>,
    pub rating: Option<Rating>,
    pub review_count: Option<u32>,
}

/// Which tool the grid shows.
#[derive(Debug, Clone, PartialEq)]
pub enum GridSource {
    Search { query: String, total: u32 },
    Recommendations,
}

/// Everything the grid shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Grid {
    pub source: GridSource,
    pub items: Vec<GridItem>,
}

fn item(rank: usize, summary: ProductSummary, reason: Option<String>, meta: &WidgetMeta) -> GridItem {
    let full = meta.product(&summary.id);
    GridItem {
        rank,
        reason,
        image_url: full.map(|p| p.image_url.clone()),
        product_url: web_url(full.map(|p| p.url.as_str())),
        rating: full.and_then(|p| p.rating),
        review_count: full.and_then(|p| p.review_count),
        summary,
    }
}

/// The grid of a search or recommendations result; `None` for any other shape.
pub fn grid_from(result: &ToolResult) -> Option<Grid> {
    let meta = parse_widget_meta(result).unwrap_or_default();
    if let Some(search) = parse_structured::<SearchOutput>(result) {
        let products = unique_by(search.products, |p| p.id.clone());
        let items = products.into_iter().enumerate().map(|(i, p)| item(i, p, None, &meta)).collect();
        return Some(Grid { source: GridSource::Search { query: search.query, total: search.total }, items });
    }
    let recs = parse_structured::<RecommendationsOutput>(result)?;
    let products = unique_by(recs.products, |r| r.product.id.clone());
    let items = products.into_iter().enumerate().map(|(i, r)| item(i, r.product, Some(r.reason), &meta)).collect();
    Some(Grid { source: GridSource::Recommendations, items })
}

/// `items` in `order`; ties keep the server's order, so sorting is stable and repeatable.
pub fn sorted(items: &[GridItem], order: SortOrder) -> Vec<GridItem> {
    use std::cmp::Reverse;
    // One comparison for every order (one sort instantiation keeps the WASM small).
    let key = |i: &GridItem| -> (i64, Reverse<u8>, Reverse<u32>) {
        match order {
            SortOrder::Relevance => (0, Reverse(0), Reverse(0)),
            SortOrder::PriceLow => (i.summary.price_cents.0, Reverse(0), Reverse(0)),
            SortOrder::PriceHigh => (i.summary.price_cents.0.saturating_neg(), Reverse(0), Reverse(0)),
            // Unrated products last; more reviews first among equal ratings.
            SortOrder::Rating => {
                (0, Reverse(i.rating.map_or(0, |r| r.0.saturating_add(1))), Reverse(i.review_count.unwrap_or(0)))
            }
        }
    };
    let mut out = items.to_vec();
    out.sort_by(|a, b| key(a).cmp(&key(b)).then(a.rank.cmp(&b.rank)));
    out
}

/// The label of each sort option.
pub const fn sort_label(order: SortOrder) -> &'static str {
    match order {
        SortOrder::Relevance => "Relevance",
        SortOrder::PriceLow => "Price: low to high",
        SortOrder::PriceHigh => "Price: high to low",
        SortOrder::Rating => "Top rated",
    }
}

/// The `sort` saved in widget state, else the tool input's `sort`.
pub fn initial_sort(restored: Option<&Value>, input: Option<&Value>) -> Option<SortOrder> {
    let read = |v: Option<&Value>| v?.get("sort")?.as_str()?.parse::<SortOrder>().ok();
    read(restored).or_else(|| read(input))
}

/// The session this grid started (its first add, when its search had none), from a restored
/// widget state. Malformed ids are ignored.
pub fn restored_session(restored: Option<&Value>) -> Option<SessionId> {
    SessionId::parse(restored?.get("sessionId")?.as_str()?).ok()
}

/// The grid's private widget state: the sort, and the session it started if any.
pub fn grid_state(order: SortOrder, started: Option<&SessionId>) -> Value {
    match started {
        Some(id) => json!({ "sort": order.as_str(), "sessionId": id }),
        None => json!({ "sort": order.as_str() }),
    }
}

/// How many cards to show: all when expanded (fullscreen), else the first [`INLINE_LIMIT`].
pub fn visible_count(total: usize, show_all: bool) -> usize {
    if show_all { total } else { total.min(INLINE_LIMIT) }
}

/// The in-card confirmation after adding: "Added — cart: 3 items, $45.97".
pub fn added_message(cart: &Cart) -> String {
    let items = if cart.item_count == 1 { "1 item".to_owned() } else { format!("{} items", cart.item_count) };
    format!("Added — cart: {items}, {}", crate::locale::usd(cart.total_cents))
}

/// The line under the heading: "12 products", "Showing 12 of 40 products".
pub fn count_text(source: &GridSource, shown: usize) -> String {
    let noun = |n: usize| if n == 1 { "product" } else { "products" };
    match source {
        GridSource::Search { total, .. } if (*total as usize) > shown => {
            format!("Showing {shown} of {total} {}", noun(*total as usize))
        }
        _ => format!("{shown} {}", noun(shown)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use shared::money::{Cents, Currency};
    use shared::widget::WIDGET_META_KEY;

    fn summary(id: &str, price: i64) -> Value {
        json!({"id": id, "title": format!("Product {id}"), "priceCents": price, "currency": "USD", "inStock": true})
    }

    fn full(id: &str, price: i64, rating: Option<u8>, reviews: Option<u32>) -> Value {
        let mut p = summary(id, price);
        p["imageUrl"] = json!(format!("https://img.test/{id}.svg"));
        p["url"] = json!(format!("https://www.target.com/p/{id}"));
        p["category"] = json!("home");
        if let Some(r) = rating {
            p["rating"] = json!(r);
        }
        if let Some(n) = reviews {
            p["reviewCount"] = json!(n);
        }
        p
    }

    fn result(structured: Value, products: Vec<Value>) -> ToolResult {
        ToolResult {
            structured: Some(structured),
            meta: Some(json!({ WIDGET_META_KEY: {"stateVersion": 1, "products": products} })),
            is_error: false,
            text: None,
        }
    }

    fn items(prices_and_ratings: &[(i64, Option<u8>, Option<u32>)]) -> Vec<GridItem> {
        prices_and_ratings
            .iter()
            .enumerate()
            .map(|(rank, (price, rating, reviews))| GridItem {
                rank,
                summary: ProductSummary {
                    id: shared::ids::ProductId::parse(format!("1000000{rank}")).unwrap(),
                    title: format!("P{rank}"),
                    brand: None,
                    price_cents: Cents(*price),
                    regular_price_cents: None,
                    currency: Currency::USD,
                    in_stock: true,
                    circle_offer_percent: None,
                },
                reason: None,
                image_url: None,
                product_url: None,
                rating: rating.map(Rating),
                review_count: *reviews,
            })
            .collect()
    }

    fn ranks(items: &[GridItem]) -> Vec<usize> {
        items.iter().map(|i| i.rank).collect()
    }

    #[test]
    fn sorting_is_stable_and_puts_unrated_last() {
        let list = items(&[
            (1500, Some(40), Some(10)),
            (999, None, None),
            (2500, Some(45), Some(3)),
            (999, Some(40), Some(90)),
        ]);
        assert_eq!(ranks(&sorted(&list, SortOrder::PriceLow)), [1, 3, 0, 2]);
        assert_eq!(ranks(&sorted(&list, SortOrder::PriceHigh)), [2, 0, 1, 3]);
        assert_eq!(ranks(&sorted(&list, SortOrder::Rating)), [2, 3, 0, 1]);
        let shuffled = sorted(&list, SortOrder::PriceHigh);
        assert_eq!(ranks(&sorted(&shuffled, SortOrder::Relevance)), [0, 1, 2, 3]);
        assert!(sorted(&[], SortOrder::Rating).is_empty());
    }

    #[test]
    fn search_results_join_their_meta_records() {
        let structured = json!({"query": "lamp", "total": 40, "products": [summary("12345678", 1999), summary("23456789", 999)],
                                "source": "catalog", "cached": false});
        let grid = grid_from(&result(structured, vec![full("12345678", 1999, Some(45), Some(1200))])).unwrap();
        assert_eq!(grid.source, GridSource::Search { query: "lamp".into(), total: 40 });
        assert_eq!(grid.items[0].rating, Some(Rating(45)));
        assert_eq!(grid.items[0].image_url.as_deref(), Some("https://img.test/12345678.svg"));
        assert_eq!(grid.items[0].product_url.as_deref(), Some("https://www.target.com/p/12345678"));
        assert_eq!(grid.items[1].image_url, None, "a product without a meta record still shows");
        assert_eq!(grid.items[1].reason, None);
    }

    #[test]
    fn recommendations_keep_their_reasons() {
        let mut rec = summary("12345678", 1999);
        rec["reason"] = json!("Pairs with your Desk");
        let structured = json!({"products": [rec.clone()], "source": "catalog"});
        let grid = grid_from(&result(structured, vec![])).unwrap();
        assert_eq!(grid.source, GridSource::Recommendations);
        assert_eq!(grid.items[0].reason.as_deref(), Some("Pairs with your Desk"));
        assert!(grid_from(&result(json!({"cart": {}}), vec![])).is_none());
        let twice = json!({"products": [rec.clone(), rec], "source": "catalog"});
        assert_eq!(grid_from(&result(twice, vec![])).unwrap().items.len(), 1, "a repeated product shows once");
        let no_meta =
            ToolResult { structured: Some(json!({"products": [], "source": "catalog"})), ..Default::default() };
        assert_eq!(grid_from(&no_meta).unwrap().items.len(), 0);
    }

    #[test]
    fn sort_restores_from_state_then_input() {
        let state = json!({"sort": "rating"});
        let input = json!({"query": "lamp", "sort": "price-low"});
        assert_eq!(initial_sort(Some(&state), Some(&input)), Some(SortOrder::Rating));
        assert_eq!(initial_sort(None, Some(&input)), Some(SortOrder::PriceLow));
        assert_eq!(initial_sort(Some(&json!({"sort": "cheapest"})), None), None);
        assert_eq!(initial_sort(None, None), None);
        for order in SortOrder::ALL {
            assert!(!sort_label(*order).is_empty());
        }
    }

    #[test]
    fn a_started_session_round_trips_through_the_widget_state() {
        let id = SessionId::parse("sess_0123456789abcdef0123456789abcdef").unwrap();
        let state = grid_state(SortOrder::Rating, Some(&id));
        assert_eq!(state, json!({"sort": "rating", "sessionId": "sess_0123456789abcdef0123456789abcdef"}));
        assert_eq!(restored_session(Some(&state)), Some(id));
        assert_eq!(initial_sort(Some(&state), None), Some(SortOrder::Rating));
        assert_eq!(grid_state(SortOrder::Relevance, None), json!({"sort": "relevance"}));
        assert_eq!(restored_session(Some(&json!({"sort": "rating"}))), None);
        assert_eq!(restored_session(Some(&json!({"sessionId": "sess_nope"}))), None);
        assert_eq!(restored_session(None), None);
    }

    #[test]
    fn counts_and_messages() {
        assert_eq!(visible_count(12, false), 6);
        assert_eq!(visible_count(4, false), 4);
        assert_eq!(visible_count(12, true), 12);
        let cart = |count, total| Cart {
            items: vec![],
            item_count: count,
            subtotal_cents: Cents(total),
            circle_savings_cents: Cents::ZERO,
            shipping_cents: Cents::ZERO,
            estimated_tax_cents: Cents::ZERO,
            total_cents: Cents(total),
            currency: Currency::USD,
        };
        assert_eq!(added_message(&cart(1, 1999)), "Added — cart: 1 item, $19.99");
        assert_eq!(added_message(&cart(3, 4597)), "Added — cart: 3 items, $45.97");
        let search = GridSource::Search { query: "lamp".into(), total: 40 };
        assert_eq!(count_text(&search, 12), "Showing 12 of 40 products");
        assert_eq!(count_text(&GridSource::Search { query: "x".into(), total: 1 }, 1), "1 product");
        assert_eq!(count_text(&GridSource::Recommendations, 6), "6 products");
    }
}
