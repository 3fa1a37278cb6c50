//! "Agentforce" recommendations: products with a reason, from what we know of the shopper, in
//! order of strength: the product they asked about, their cart, the theme they named, their
//! past searches, then what is popular. Out-of-stock products, products already in the cart
//! and duplicates are left out.

use std::collections::HashSet;
use std::sync::Arc;

use shared::ids::ProductId;
use shared::product::{Product, SortOrder};

use crate::catalog::{CatalogError, ProductSource, SearchQuery};
use crate::store::Session;

/// What the recommendations are based on.
#[derive(Default, Clone, Copy)]
pub struct Signals<'a> {
    pub seed: Option<&'a Product>,
    pub session: Option<&'a Session>,
    pub query: Option<&'a str>,
}

/// A recommended product and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Pick {
    pub product: Arc<Product>,
    pub reason: String,
}

/// Categories that go well with a category, best first.
pub fn complements(category: &str) -> &'static [&'static str] {
    match category.to_lowercase().as_str() {
        "home office" => &["Lighting", "Storage & Organization"],
        "lighting" => &["Home Office", "Home Decor"],
        "kitchen & dining" => &["Storage & Organization", "Home Decor"],
        "bedding & bath" => &["Home Decor", "Beauty"],
        "electronics" => &["Home Office", "Sports & Outdoors"],
        "toys & games" => &["Baby", "Storage & Organization"],
        "beauty" => &["Bedding & Bath", "Storage & Organization"],
        "sports & outdoors" => &["Electronics", "Kitchen & Dining"],
        "baby" => &["Toys & Games", "Bedding & Bath"],
        "pets" => &["Storage & Organization", "Home Decor"],
        "home decor" => &["Lighting", "Bedding & Bath"],
        "storage & organization" => &["Home Office", "Kitchen & Dining"],
        _ => &["Home Decor"],
    }
}

/// Categories shown when nothing else is known.
const POPULAR: [&str; 3] = ["Home Office", "Kitchen & Dining", "Home Decor"];

/// A short name for reasons: the title before " - " or " with ", at most five words.
pub fn short_title(title: &str) -> String {
    let head = title.split(" - ").next().unwrap_or(title);
    let head = head.split(" with ").next().unwrap_or(head);
    head.split_whitespace().take(5).collect::<Vec<_>>().join(" ")
}

struct Picker {
    limit: usize,
    seen: HashSet<ProductId>,
    picks: Vec<Pick>,
}

impl Picker {
    fn full(&self) -> bool {
        self.picks.len() >= self.limit
    }

    /// Takes up to `per_source` new in-stock products from `candidates`.
    fn take(&mut self, candidates: Vec<Arc<Product>>, per_source: usize, reason: &str) {
        let mut taken = 0;
        for product in candidates {
            if self.full() || taken >= per_source {
                break;
            }
            if product.in_stock && self.seen.insert(product.id.clone()) {
                self.picks.push(Pick { product, reason: reason.to_owned() });
                taken += 1;
            }
        }
    }
}

pub async fn recommend(
    source: &dyn ProductSource,
    signals: Signals<'_>,
    limit: usize,
) -> Result<Vec<Pick>, CatalogError> {
    let mut picker = Picker { limit, seen: HashSet::new(), picks: Vec::new() };
    let per_source = limit.div_ceil(2).max(1);
    if let Some(seed) = signals.seed {
        picker.seen.insert(seed.id.clone());
    }
    if let Some(session) = signals.session {
        picker.seen.extend(session.cart.iter().map(|e| e.product.id.clone()));
    }

    let mut anchors: Vec<&Product> = signals.seed.into_iter().collect();
    if let Some(session) = signals.session {
        anchors.extend(session.cart.iter().rev().map(|e| &*e.product));
    }
    for anchor in anchors {
        let reason = format!("Pairs with your {}", short_title(&anchor.title));
        for category in complements(&anchor.category) {
            if picker.full() {
                return Ok(picker.picks);
            }
            let candidates = source.top_in_category(category, limit * 2).await?;
            picker.take(candidates, per_source, &reason);
        }
    }

    let mut themes: Vec<(String, String)> = Vec::new();
    if let Some(query) = signals.query {
        themes.push((query.to_owned(), format!("Popular in {}", title_case(query))));
    }
    if let Some(session) = signals.session {
        for past in &session.searches {
            themes.push((past.clone(), format!("Because you searched for \"{past}\"")));
        }
    }
    for (text, reason) in themes {
        if picker.full() {
            return Ok(picker.picks);
        }
        let query = SearchQuery { text, limit: limit * 2, sort: SortOrder::Rating, max_price: None };
        let found = source.search(&query).await?;
        picker.take(found.products, per_source, &reason);
    }

    for category in POPULAR {
        if picker.full() {
            break;
        }
        let candidates = source.top_in_category(category, limit * 2).await?;
        picker.take(candidates, per_source, &format!("Popular in {category}"));
    }
    Ok(picker.picks)
}

fn title_case(text: &str) -> String {
    text.split_whitespace()
        .map(|w| {
            let mut chars = w.chars();
            chars.next().map(|c| c.to_uppercase().chain(chars).collect::<String>()).unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_titles_read_well_in_reasons() {
        assert_eq!(short_title("Threshold Brass Task Desk Lamp with USB Port"), "Threshold Brass Task Desk Lamp");
        assert_eq!(short_title("Room Essentials Bookcase - White"), "Room Essentials Bookcase");
        assert_eq!(title_case("home office"), "Home Office");
    }

    #[test]
    fn every_complement_is_a_catalog_category() {
        let categories = [
            "Home Office",
            "Lighting",
            "Kitchen & Dining",
            "Bedding & Bath",
            "Electronics",
            "Toys & Games",
            "Beauty",
            "Sports & Outdoors",
            "Baby",
            "Pets",
            "Home Decor",
            "Storage & Organization",
        ];
        for c in categories {
            for other in complements(c) {
                assert!(categories.contains(other), "{c} -> {other}");
                assert_ne!(*other, c);
            }
        }
    }
}
