//! The embedded product catalog: 300+ products compiled into the binary from
//! `server/data/catalog.json`, validated and indexed once at startup. It is the default
//! [`ProductSource`], needs no network, and draws each product's picture itself (see
//! [`images`](super::images)).

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use serde::Deserialize;
use shared::ids::ProductId;
use shared::money::{Cents, Currency};
use shared::product::{DataSource, Product, Rating};

use crate::catalog::images;
use crate::catalog::ranking::{self, Document, SearchIndex};
use crate::catalog::{CatalogError, ProductSource, SearchQuery, SearchResults};
use crate::http::client_ip::ClientKey;

/// The catalog as shipped.
const CATALOG_JSON: &str = include_str!("../../data/catalog.json");

/// The embedded catalog must hold at least this many products.
pub const MIN_PRODUCTS: usize = 300;

/// The highest rating, in tenths of a star.
const RATING_MAX: u8 = 50;

/// One product as written in `catalog.json`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Record {
    /// The TCIN.
    id: String,
    title: String,
    brand: Option<String>,
    price_cents: i64,
    regular_price_cents: Option<i64>,
    /// Tenths of a star, 0 to 50.
    rating: u8,
    review_count: u32,
    in_stock: bool,
    category: String,
    circle_offer_percent: Option<u8>,
    /// Extra search terms, never shown.
    #[serde(default)]
    keywords: Vec<String>,
    /// The main colour of the product's picture, `#rrggbb`.
    color: String,
    /// The glyph of the product's picture, one of [`images::ICONS`].
    icon: String,
}

/// Why the embedded catalog could not be loaded. Any of these is a bug in `catalog.json`.
#[derive(Debug, thiserror::Error)]
pub enum EmbeddedCatalogError {
    #[error("the embedded catalog is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("embedded catalog product {id:?}: {reason}")]
    InvalidProduct { id: String, reason: String },
    #[error("embedded catalog product id {0} appears more than once")]
    DuplicateId(String),
    #[error("the embedded catalog has {found} products; at least {required} are required")]
    TooFew { found: usize, required: usize },
}

/// How a product's picture is drawn.
#[derive(Debug, Clone)]
struct Art {
    color: String,
    icon: String,
}

/// The products compiled into the server, with their search index.
#[derive(Debug)]
pub struct EmbeddedCatalog {
    /// Shared (`Arc`) with the answers that show them.
    products: Vec<Arc<Product>>,
    art: Vec<Art>,
    by_id: HashMap<ProductId, usize>,
    index: SearchIndex,
}

impl EmbeddedCatalog {
    /// Parses, validates and indexes the embedded catalog. Image URLs point at
    /// `{image_base_url}/images/products/{id}.svg`.
    pub fn load(image_base_url: &str) -> Result<Self, EmbeddedCatalogError> {
        Self::from_json(CATALOG_JSON, image_base_url, MIN_PRODUCTS)
    }

    fn from_json(json: &str, image_base_url: &str, min_products: usize) -> Result<Self, EmbeddedCatalogError> {
        let records: Vec<Record> = serde_json::from_str(json)?;
        if records.len() < min_products {
            return Err(EmbeddedCatalogError::TooFew { found: records.len(), required: min_products });
        }
        let base = image_base_url.trim_end_matches('/');
        let mut products = Vec::with_capacity(records.len());
        let mut art = Vec::with_capacity(records.len());
        let mut by_id = HashMap::with_capacity(records.len());
        for record in &records {
            let id = validate(record)?;
            if by_id.insert(id.clone(), products.len()).is_some() {
                return Err(EmbeddedCatalogError::DuplicateId(record.id.clone()));
            }
            products.push(Arc::new(Product {
                url: format!("https://www.target.com/p/{}/-/A-{}", slug(&record.title), id),
                image_url: format!("{base}/images/products/{id}.svg"),
                id,
                title: record.title.clone(),
                brand: record.brand.clone(),
                price_cents: Cents(record.price_cents),
                regular_price_cents: record.regular_price_cents.map(Cents),
                currency: Currency::USD,
                rating: Some(Rating(record.rating)),
                review_count: Some(record.review_count),
                in_stock: record.in_stock,
                category: record.category.clone(),
                circle_offer_percent: record.circle_offer_percent,
            }));
            art.push(Art { color: record.color.clone(), icon: record.icon.clone() });
        }
        let index = SearchIndex::build(products.iter().zip(&records).map(|(p, r)| Document {
            id: p.id.as_str(),
            title: &p.title,
            brand: p.brand.as_deref(),
            category: &p.category,
            keywords: &r.keywords,
            price: p.price_cents,
            rating: r.rating,
            review_count: r.review_count,
        }));
        Ok(EmbeddedCatalog { products, art, by_id, index })
    }

    /// How many products the catalog holds.
    pub fn len(&self) -> usize {
        self.products.len()
    }

    pub fn is_empty(&self) -> bool {
        self.products.is_empty()
    }

    /// Every product, in catalog order.
    pub fn products(&self) -> &[Arc<Product>] {
        &self.products
    }

    /// One product by id, without going through the async trait.
    pub fn get(&self, id: &ProductId) -> Option<&Arc<Product>> {
        self.by_id.get(id).map(|&i| &self.products[i])
    }

    /// The SVG picture of a product, or `None` for an unknown id.
    pub fn product_svg(&self, id: &ProductId) -> Option<String> {
        let &i = self.by_id.get(id)?;
        let (product, art) = (&self.products[i], &self.art[i]);
        Some(images::product_svg(&product.title, product.brand.as_deref(), &art.color, &art.icon))
    }
}

/// Checks one record and returns its parsed id.
fn validate(record: &Record) -> Result<ProductId, EmbeddedCatalogError> {
    let invalid = |reason: String| EmbeddedCatalogError::InvalidProduct { id: record.id.clone(), reason };
    let id = ProductId::parse(record.id.as_str()).map_err(|e| invalid(e.0))?;
    if record.title.trim().is_empty() {
        return Err(invalid("the title is empty".into()));
    }
    if record.category.trim().is_empty() {
        return Err(invalid("the category is empty".into()));
    }
    if record.brand.as_deref().is_some_and(|b| b.trim().is_empty()) {
        return Err(invalid("the brand is empty; leave it out instead".into()));
    }
    if record.price_cents <= 0 {
        return Err(invalid(format!("the price must be positive (got {})", record.price_cents)));
    }
    if let Some(regular) = record.regular_price_cents
        && regular <= record.price_cents
    {
        return Err(invalid(format!("the regular price {regular} must exceed the sale price {}", record.price_cents)));
    }
    if record.rating > RATING_MAX {
        return Err(invalid(format!("the rating {} is over {RATING_MAX}", record.rating)));
    }
    if let Some(percent) = record.circle_offer_percent
        && !(1..=100).contains(&percent)
    {
        return Err(invalid(format!("the Circle offer {percent}% is not between 1 and 100")));
    }
    if !images::is_hex_color(&record.color) {
        return Err(invalid(format!("the colour {:?} is not #rrggbb", record.color)));
    }
    if !images::is_icon(&record.icon) {
        return Err(invalid(format!("the icon {:?} is not one of images::ICONS", record.icon)));
    }
    Ok(id)
}

/// The URL slug Target.com uses for a title: lowercase ASCII words joined by hyphens.
fn slug(title: &str) -> String {
    let mut slug = String::with_capacity(title.len());
    for c in ranking::fold(title).chars().filter(|&c| c != '\'') {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    while slug.ends_with('-') {
        slug.pop();
    }
    slug
}

#[async_trait]
impl ProductSource for EmbeddedCatalog {
    fn kind(&self) -> DataSource {
        DataSource::Catalog
    }

    async fn search(&self, query: &SearchQuery) -> Result<SearchResults, CatalogError> {
        let ranked = self.index.search(&query.text, query.max_price, query.sort, query.limit);
        Ok(SearchResults {
            total: u32::try_from(ranked.total).unwrap_or(u32::MAX),
            products: ranked.hits.iter().map(|&i| self.products[i].clone()).collect(),
            cached: false,
        })
    }

    async fn product(&self, id: &ProductId) -> Result<Option<Arc<Product>>, CatalogError> {
        Ok(self.get(id).cloned())
    }

    /// No per-client limits: the same catalog for everybody.
    fn for_client(self: Arc<Self>, _client: ClientKey) -> Arc<dyn ProductSource> {
        self
    }

    /// In-stock products first, then by rating, review count and id.
    async fn top_in_category(&self, category: &str, limit: usize) -> Result<Vec<Arc<Product>>, CatalogError> {
        let wanted = ranking::normalize_label(category);
        if wanted.is_empty() {
            return Ok(Vec::new());
        }
        let mut matches: Vec<&Arc<Product>> =
            self.products.iter().filter(|p| ranking::normalize_label(&p.category) == wanted).collect();
        matches.sort_by(|a, b| {
            b.in_stock
                .cmp(&a.in_stock)
                .then_with(|| b.rating.cmp(&a.rating))
                .then_with(|| b.review_count.cmp(&a.review_count))
                .then_with(|| a.id.cmp(&b.id))
        });
        Ok(matches.into_iter().take(limit).cloned().collect())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashSet};

    use shared::product::SortOrder;

    use super::*;

    const BASE: &str = "http://localhost:8787/";

    fn catalog() -> EmbeddedCatalog {
        EmbeddedCatalog::load(BASE).expect("the embedded catalog loads")
    }

    async fn search(c: &EmbeddedCatalog, text: &str, sort: SortOrder, max: Option<i64>, limit: usize) -> SearchResults {
        c.search(&SearchQuery { text: text.into(), limit, sort, max_price: max.map(Cents) })
            .await
            .expect("the embedded catalog never fails")
    }

    async fn titles(c: &EmbeddedCatalog, text: &str) -> Vec<String> {
        search(c, text, SortOrder::Relevance, None, 48).await.products.iter().map(|p| p.title.clone()).collect()
    }

    fn is_lamp(p: &Product) -> bool {
        p.title.to_lowercase().contains("lamp")
    }

    #[test]
    fn the_shipped_catalog_loads_and_is_plausible() {
        let c = catalog();
        assert!(c.len() >= MIN_PRODUCTS, "{} products", c.len());
        let mut per_category: BTreeMap<&str, usize> = BTreeMap::new();
        for p in c.products() {
            *per_category.entry(p.category.as_str()).or_default() += 1;
        }
        assert_eq!(per_category.len(), 12, "{per_category:?}");
        assert!(per_category.values().all(|&n| (20..=35).contains(&n)), "{per_category:?}");

        let titles: HashSet<&str> = c.products().iter().map(|p| p.title.as_str()).collect();
        assert_eq!(titles.len(), c.len(), "titles repeat");
        let ids: HashSet<&str> = c.products().iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids.len(), c.len());

        let share = |f: &dyn Fn(&Product) -> bool| c.products().iter().filter(|p| f(p)).count() * 100 / c.len();
        assert!((15..=35).contains(&share(&|p| p.regular_price_cents.is_some())), "on sale");
        assert!((25..=40).contains(&share(&|p| p.circle_offer_percent.is_some())), "Circle offers");
        assert!((2..=10).contains(&share(&|p| !p.in_stock)), "out of stock");
        assert!(c.products().iter().all(|p| p.rating.is_some_and(|r| (30..=50).contains(&r.0))));
        assert!(
            c.products().iter().filter_map(|p| p.circle_offer_percent).all(|o| [5, 10, 15, 20, 25, 30].contains(&o))
        );
        let cheap_lamps = c.products().iter().filter(|p| is_lamp(p) && p.price_cents <= Cents(4000)).count();
        assert!(cheap_lamps >= 8, "{cheap_lamps} lamps under $40");
    }

    #[test]
    fn products_get_urls_and_images() {
        let c = catalog();
        let id = ProductId::parse(c.products()[0].id.as_str()).expect("valid id");
        let p = c.get(&id).expect("first product");
        assert_eq!(p.image_url, format!("http://localhost:8787/images/products/{id}.svg"));
        assert_eq!(p.currency, Currency::USD);
        let lamp =
            c.products().iter().find(|p| p.title == "Threshold Brass Task Desk Lamp with USB Port").expect("demo lamp");
        assert_eq!(
            lamp.url,
            format!("https://www.target.com/p/threshold-brass-task-desk-lamp-with-usb-port/-/A-{}", lamp.id)
        );
        assert_eq!(slug("L'Oréal Paris Infallible — 1.7oz (2pk)!"), "loreal-paris-infallible-1-7oz-2pk");
        assert_eq!(slug("Pokémon Trading Card Game: Scarlet & Violet"), "pokemon-trading-card-game-scarlet-violet");
        for p in c.products() {
            assert!(p.url.starts_with("https://www.target.com/p/") && p.url.ends_with(&format!("/-/A-{}", p.id)));
            let slug = &p.url["https://www.target.com/p/".len()..p.url.len() - format!("/-/A-{}", p.id).len()];
            assert!(
                !slug.is_empty() && !slug.contains("--") && !slug.starts_with('-') && !slug.ends_with('-'),
                "{slug}"
            );
            assert!(slug.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'), "{slug}");
        }
        let svg = c.product_svg(&lamp.id).expect("svg for a known product");
        assert!(svg.contains(">Threshold</text>") && svg.contains("viewBox=\"0 0 400 400\""));
        assert!(c.product_svg(&ProductId::parse("99999999999").expect("valid id")).is_none());
    }

    #[test]
    fn validation_rejects_bad_records() {
        let record = |extra: &str| {
            format!(
                r##"{{"id":"12345678","title":"Lamp","brand":"Threshold","priceCents":1999,"rating":45,"reviewCount":3,"inStock":true,"category":"Lighting","color":"#aabbcc","icon":"lamp"{extra}}}"##
            )
        };
        let load = |json: String| EmbeddedCatalog::from_json(&json, BASE, 1);
        assert!(load(format!("[{}]", record(""))).is_ok());
        let invalid = |extra: &str, needle: &str| {
            let json = format!("[{}]", record(extra));
            match load(json) {
                Err(EmbeddedCatalogError::InvalidProduct { reason, .. }) => {
                    assert!(reason.contains(needle), "{reason}")
                }
                other => panic!("{extra}: expected InvalidProduct, got {other:?}"),
            }
        };
        invalid(r#","regularPriceCents":1999"#, "regular price");
        invalid(r#","circleOfferPercent":0"#, "Circle offer");
        let swap = |from: &str, to: &str| format!("[{}]", record("").replace(from, to));
        for (from, to, needle) in [
            (r#""id":"12345678""#, r#""id":"12ab5678""#, "not a valid product id"),
            (r#""priceCents":1999"#, r#""priceCents":0"#, "positive"),
            (r#""rating":45"#, r#""rating":51"#, "over 50"),
            (r##""color":"#aabbcc""##, r#""color":"blue""#, "colour"),
            (r#""icon":"lamp""#, r#""icon":"rocket""#, "icon"),
            (r#""title":"Lamp""#, r#""title":"  ""#, "title"),
        ] {
            match load(swap(from, to)) {
                Err(EmbeddedCatalogError::InvalidProduct { reason, .. }) => {
                    assert!(reason.contains(needle), "{reason}")
                }
                other => panic!("{to}: expected InvalidProduct, got {other:?}"),
            }
        }
        assert!(matches!(
            load(format!("[{},{}]", record(""), record(""))),
            Err(EmbeddedCatalogError::DuplicateId(id)) if id == "12345678"
        ));
        assert!(matches!(
            EmbeddedCatalog::from_json(&format!("[{}]", record("")), BASE, 2),
            Err(EmbeddedCatalogError::TooFew { found: 1, required: 2 })
        ));
        assert!(matches!(load("{".into()), Err(EmbeddedCatalogError::Json(_))));
        assert!(matches!(load(format!("[{}]", record(r#","colour":"red""#))), Err(EmbeddedCatalogError::Json(_))));
        assert!(matches!(load(swap(r#""rating":45"#, r#""rating":300"#)), Err(EmbeddedCatalogError::Json(_))));
    }

    #[tokio::test]
    async fn desk_lamp_finds_desk_lamps() {
        let c = catalog();
        let results = search(&c, "desk lamp", SortOrder::Relevance, None, 12).await;
        assert!(results.products.len() >= 8, "{:?}", results.products.iter().map(|p| &p.title).collect::<Vec<_>>());
        for p in &results.products {
            assert!(p.title.contains("Desk Lamp"), "{}", p.title);
        }
        assert!(!results.cached);
        assert_eq!(titles(&c, "desk lamps").await, titles(&c, "desk lamp").await);
        assert_eq!(titles(&c, "Desk  LAMPS!").await, titles(&c, "desk lamp").await);
    }

    #[tokio::test]
    async fn the_demo_query_respects_its_budget() {
        let c = catalog();
        let results = search(&c, "find me a desk lamp under $40", SortOrder::Relevance, None, 12).await;
        assert!(results.products.len() >= 5);
        for p in &results.products {
            assert!(p.title.contains("Desk Lamp") && p.price_cents <= Cents(4000), "{} {:?}", p.title, p.price_cents);
        }
        assert_eq!(results.total as usize, results.products.len());
    }

    #[tokio::test]
    async fn typos_still_find_lamps_and_coffee_makers() {
        let c = catalog();
        let lmap = search(&c, "lmap", SortOrder::Relevance, None, 48).await;
        assert!(lmap.total >= 20, "{}", lmap.total);
        assert!(
            lmap.products.iter().all(|p| is_lamp(p)),
            "{:?}",
            lmap.products.iter().map(|p| &p.title).collect::<Vec<_>>()
        );
        let kuerig = search(&c, "kuerig", SortOrder::Relevance, None, 5).await;
        assert!(!kuerig.products.is_empty());
        assert!(kuerig.products.iter().all(|p| p.brand.as_deref() == Some("Keurig")));
        let lamp = titles(&c, "lamp").await;
        assert!(lamp.iter().all(|t| !t.contains("Lamb")), "lamp must not match lamb dog food");
    }

    #[tokio::test]
    async fn brand_queries_rank_the_brand_first() {
        let c = catalog();
        let brand_lamps =
            |brand: &str| c.products().iter().filter(|p| p.brand.as_deref() == Some(brand) && is_lamp(p)).count();
        for (query, brand) in [("threshold lamp", "Threshold"), ("hearth & hand lamps", "Hearth & Hand with Magnolia")]
        {
            let n = brand_lamps(brand);
            assert!(n >= 3, "{brand}: {n} lamps");
            let results = search(&c, query, SortOrder::Relevance, None, 48).await;
            assert!(results.products.len() > n, "{query}: partial matches follow the few full ones");
            for p in &results.products[..n] {
                assert!(p.brand.as_deref() == Some(brand) && is_lamp(p), "{query}: {}", p.title);
            }
        }
    }

    #[tokio::test]
    async fn price_cap_keeps_only_cheap_lamps() {
        let c = catalog();
        let results = search(&c, "lamp", SortOrder::Relevance, Some(4000), 48).await;
        assert!(results.products.len() >= 8);
        for p in &results.products {
            assert!(is_lamp(p) && p.price_cents <= Cents(4000), "{} {:?}", p.title, p.price_cents);
        }
        let uncapped = search(&c, "lamp", SortOrder::Relevance, None, 48).await;
        assert!(uncapped.total > results.total, "some lamps cost more than $40");
        let exact = c.products().iter().filter(|p| p.price_cents == Cents(3499) && is_lamp(p)).count();
        let at_limit = search(&c, "lamp", SortOrder::Relevance, Some(3499), 48).await;
        assert!(at_limit.products.iter().filter(|p| p.price_cents == Cents(3499)).count() == exact && exact > 0);
    }

    #[tokio::test]
    async fn total_counts_matches_before_the_limit() {
        let c = catalog();
        let three = search(&c, "lamp", SortOrder::Relevance, None, 3).await;
        let all = search(&c, "lamp", SortOrder::Relevance, None, 48).await;
        assert_eq!(three.products.len(), 3);
        assert_eq!(three.total, all.total);
        assert_eq!(three.products[..], all.products[..3]);
    }

    #[tokio::test]
    async fn each_sort_order_orders() {
        let c = catalog();
        let run = |sort| search(&c, "lamp", sort, None, 48);
        let low = run(SortOrder::PriceLow).await.products;
        assert!(low.len() >= 20);
        assert!(low.windows(2).all(|w| w[0].price_cents <= w[1].price_cents));
        let high = run(SortOrder::PriceHigh).await.products;
        assert!(high.windows(2).all(|w| w[0].price_cents >= w[1].price_cents));
        assert!(high[0].price_cents > low[0].price_cents);
        let rated = run(SortOrder::Rating).await.products;
        assert!(rated.windows(2).all(|w| { (w[0].rating, w[0].review_count) >= (w[1].rating, w[1].review_count) }));
        let relevance = run(SortOrder::Relevance).await.products;
        assert_ne!(relevance, low);
        assert_ne!(relevance, rated);
        let mut a: Vec<_> = relevance.iter().map(|p| p.id.clone()).collect();
        let mut b: Vec<_> = rated.iter().map(|p| p.id.clone()).collect();
        a.sort();
        b.sort();
        assert_eq!(a, b, "sorting reorders the same matches");
    }

    #[tokio::test]
    async fn plurals_folding_and_brands_match() {
        let c = catalog();
        for (query, expected) in [
            ("batteries", "Batteries"),
            ("shelves", "Shelf"),
            ("knives", "Knife"),
            ("boxes", "Box"),
            ("glasses", "Wine Glasses"),
            ("pokemon", "Pokémon"),
            ("loreal lipstick", "L'Oréal"),
            ("elf primer", "e.l.f."),
            ("creme brulee", "Crème Brûlée"),
            ("kcup coffee maker", "K-Cup"),
            ("wifi", "Wi-Fi"),
            ("dresses", "Dress"),
        ] {
            let found = titles(&c, query).await;
            assert!(found.first().is_some_and(|t| t.contains(expected)), "{query}: {found:?}");
        }
    }

    #[tokio::test]
    async fn stopword_only_and_garbage_queries() {
        let c = catalog();
        for q in ["the for a", "me with under", "find me something", "🙂", "日本語", "\u{0}"] {
            let r = search(&c, q, SortOrder::Relevance, None, 12).await;
            assert_eq!((r.total, r.products.len()), (0, 0), "{q:?}");
        }
        let long = format!("{}{}", "lamp ".repeat(20), "🦀é\u{301}ß".repeat(25));
        for q in ["x".repeat(200), "🙂".repeat(200), long, "-".repeat(200), "under $".repeat(28)] {
            for sort in [SortOrder::Relevance, SortOrder::PriceLow, SortOrder::PriceHigh, SortOrder::Rating] {
                let r = search(&c, &q, sort, Some(0), 48).await;
                assert!(r.products.len() <= 48);
            }
        }
    }

    #[tokio::test]
    async fn top_in_category_is_case_insensitive_and_best_rated_first() {
        let c = catalog();
        let top = c.top_in_category("home office", 6).await.expect("never fails");
        assert_eq!(top.len(), 6);
        assert!(top.iter().all(|p| p.category == "Home Office"));
        assert_eq!(c.top_in_category("  HOME   Office ", 6).await.expect("never fails"), top);
        let all = c.top_in_category("Home Office", 100).await.expect("never fails");
        let in_stock: Vec<_> = all.iter().take_while(|p| p.in_stock).collect();
        assert!(all[in_stock.len()..].iter().all(|p| !p.in_stock), "in-stock products come first");
        assert!(in_stock.windows(2).all(|w| w[0].rating >= w[1].rating));
        assert_eq!(all[..6], top[..]);
        assert_eq!(all.len(), c.products().iter().filter(|p| p.category == "Home Office").count());
        assert!(c.top_in_category("Garden", 5).await.expect("never fails").is_empty());
        assert!(c.top_in_category("", 5).await.expect("never fails").is_empty());
        assert!(c.top_in_category("kitchen & dining", 0).await.expect("never fails").is_empty());
    }

    #[tokio::test]
    async fn product_lookup_and_kind() {
        let c = catalog();
        let first = c.products()[0].clone();
        assert_eq!(c.product(&first.id).await.expect("never fails"), Some(first));
        let unknown = ProductId::parse("000000").expect("valid id");
        assert_eq!(c.product(&unknown).await.expect("never fails"), None);
        assert_eq!(c.kind(), DataSource::Catalog);
    }
}
