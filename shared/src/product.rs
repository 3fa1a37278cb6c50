//! Products and the product-search tools.

use serde::{Deserialize, Serialize};

use crate::ids::{ProductId, SessionId};
use crate::money::{Cents, Currency};
use crate::tool::string_enum;
use crate::{InputError, check_range};

/// A product as the widgets show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct Product {
    /// Target's TCIN.
    pub id: ProductId,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand: Option<String>,
    /// The price the shopper pays today, before Circle offers.
    pub price_cents: Cents,
    /// The usual price, present when the product is on sale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regular_price_cents: Option<Cents>,
    pub currency: Currency,
    /// Average rating from 0 to 5, in tenths (45 = 4.5 stars).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating: Option<Rating>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review_count: Option<u32>,
    pub image_url: String,
    /// The product page on Target.com.
    pub url: String,
    pub in_stock: bool,
    pub category: String,
    /// Extra percent off for Target Circle members.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub circle_offer_percent: Option<u8>,
}

/// A star rating in tenths of a star, 0 to 50, so it stays an integer on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(transparent)]
pub struct Rating(#[cfg_attr(feature = "schema", schemars(range(max = 50)))] pub u8);

impl Rating {
    pub fn stars(self) -> String {
        format!("{}.{}", self.0 / 10, self.0 % 10)
    }
}

/// What the model needs to talk about a product: the `structuredContent` form of [`Product`].
/// Images, ratings and links travel in the result's `_meta` for the widget only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct ProductSummary {
    pub id: ProductId,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand: Option<String>,
    pub price_cents: Cents,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regular_price_cents: Option<Cents>,
    pub currency: Currency,
    pub in_stock: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub circle_offer_percent: Option<u8>,
}

impl From<&Product> for ProductSummary {
    fn from(p: &Product) -> Self {
        ProductSummary {
            id: p.id.clone(),
            title: p.title.clone(),
            brand: p.brand.clone(),
            price_cents: p.price_cents,
            regular_price_cents: p.regular_price_cents,
            currency: p.currency,
            in_stock: p.in_stock,
            circle_offer_percent: p.circle_offer_percent,
        }
    }
}

string_enum!(
    /// How search results are ordered.
    SortOrder {
        Relevance = "relevance",
        PriceLow = "price-low",
        PriceHigh = "price-high",
        Rating = "rating",
    }
);

string_enum!(
    /// Where product data came from.
    DataSource {
        /// The catalog embedded in the server.
        Catalog = "catalog",
        /// The live Unwrangle Target API.
        Unwrangle = "unwrangle",
    }
);

pub const QUERY_MAX_CHARS: usize = 200;
pub const SEARCH_LIMIT_MAX: u32 = 48;
pub const SEARCH_LIMIT_DEFAULT: u32 = 12;
pub const RECOMMENDATION_LIMIT_MAX: u32 = 24;
pub const RECOMMENDATION_LIMIT_DEFAULT: u32 = 6;

/// `search-target-products`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct SearchInput {
    /// What the shopper is looking for, e.g. "desk lamp". 1 to 200 characters.
    #[cfg_attr(feature = "schema", schemars(length(min = 1, max = 200)))]
    pub query: String,
    /// How many products to return, 1 to 48 (default 12).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schemars(range(min = 1, max = 48)))]
    pub limit: Option<u32>,
    /// Result order (default relevance).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort: Option<SortOrder>,
    /// Only products at or under this price, in cents ($40 = 4000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schemars(range(min = 0)))]
    pub max_price_cents: Option<Cents>,
    /// The shopper's session, so recommendations can use what they searched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<SessionId>,
}

impl SearchInput {
    /// Checks what serde cannot: lengths and ranges.
    pub fn validate(&self) -> Result<(), InputError> {
        let chars = self.query.trim().chars().count();
        if chars == 0 {
            return Err(InputError("Tell me what to search for: the query is empty".into()));
        }
        if self.query.chars().count() > QUERY_MAX_CHARS {
            return Err(InputError(format!(
                "The search query is too long: keep it under {QUERY_MAX_CHARS} characters"
            )));
        }
        check_range("limit", self.limit, 1, SEARCH_LIMIT_MAX)?;
        if self.max_price_cents.is_some_and(|c| c.0 < 0) {
            return Err(InputError("maxPriceCents cannot be negative".into()));
        }
        Ok(())
    }

    pub fn limit_or_default(&self) -> usize {
        self.limit.unwrap_or(SEARCH_LIMIT_DEFAULT) as usize
    }
}

/// The `structuredContent` of `search-target-products`.
///
/// `P` is how each product is held: a [`ProductSummary`] everywhere but in the server, which
/// writes the embedded catalog's summaries to JSON once and holds those (its `CatalogSummary`
/// serializes exactly as the `ProductSummary` it was written from). The schema is this type's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct SearchOutput<P = ProductSummary> {
    pub query: String,
    /// How many products matched, before `limit`.
    pub total: u32,
    pub products: Vec<P>,
    pub source: DataSource,
    /// Whether the results were served from the search cache.
    pub cached: bool,
}

/// `get-agentforce-recommendations`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct RecommendationsInput {
    /// Use the shopper's cart and past searches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<SessionId>,
    /// Recommend products that go with this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_id: Option<ProductId>,
    /// A theme to recommend for, e.g. "home office".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schemars(length(max = 200)))]
    pub query: Option<String>,
    /// How many products, 1 to 24 (default 6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schemars(range(min = 1, max = 24)))]
    pub limit: Option<u32>,
}

impl RecommendationsInput {
    pub fn validate(&self) -> Result<(), InputError> {
        if self.query.as_ref().is_some_and(|q| q.chars().count() > QUERY_MAX_CHARS) {
            return Err(InputError(format!("The query is too long: keep it under {QUERY_MAX_CHARS} characters")));
        }
        check_range("limit", self.limit, 1, RECOMMENDATION_LIMIT_MAX)
    }

    pub fn limit_or_default(&self) -> usize {
        self.limit.unwrap_or(RECOMMENDATION_LIMIT_DEFAULT) as usize
    }
}

/// One recommended product and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct Recommendation {
    #[serde(flatten)]
    pub product: ProductSummary,
    /// "Pairs with your Desk Lamp", "Popular in Home Office"…
    pub reason: String,
}

/// The `structuredContent` of `get-agentforce-recommendations`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct RecommendationsOutput {
    pub products: Vec<Recommendation>,
    pub source: DataSource,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(query: &str) -> SearchInput {
        SearchInput { query: query.into(), limit: None, sort: None, max_price_cents: None, session_id: None }
    }

    #[test]
    fn search_input_limits() {
        assert!(input("desk lamp").validate().is_ok());
        assert!(input("   ").validate().is_err());
        assert!(input(&"a".repeat(201)).validate().is_err());
        assert!(input(&"é".repeat(200)).validate().is_ok());
        let mut i = input("lamp");
        i.limit = Some(0);
        assert!(i.validate().is_err());
        i.limit = Some(49);
        assert!(i.validate().unwrap_err().0.contains("between 1 and 48"));
        i.limit = Some(48);
        assert!(i.validate().is_ok());
        assert_eq!(input("x").limit_or_default(), 12);
    }

    #[test]
    fn search_input_wire_form_is_camel_case() {
        let i: SearchInput =
            serde_json::from_str(r#"{"query":"lamp","maxPriceCents":4000,"sort":"price-low","limit":5}"#).unwrap();
        assert_eq!(i.max_price_cents, Some(Cents(4000)));
        assert_eq!(i.sort, Some(SortOrder::PriceLow));
        assert!(serde_json::from_str::<SearchInput>(r#"{"query":"x","sort":"cheapest"}"#).is_err());
    }

    #[test]
    fn recommendation_flattens_the_summary() {
        let r = Recommendation {
            product: ProductSummary {
                id: ProductId::parse("12345678").unwrap(),
                title: "Lamp".into(),
                brand: None,
                price_cents: Cents(1999),
                regular_price_cents: None,
                currency: Currency::USD,
                in_stock: true,
                circle_offer_percent: None,
            },
            reason: "Pairs with your Desk".into(),
        };
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["id"], "12345678");
        assert_eq!(v["reason"], "Pairs with your Desk");
        assert_eq!(serde_json::from_value::<Recommendation>(v).unwrap(), r);
    }
}
