//! The embedded catalog's products written to JSON once, at start-up, for direct-path answers
//! (`Reply::to_response_json`): a search answer carries ten full records in the widget data and
//! ten summaries in `structuredContent`, and writing them per request was most of a search's
//! instructions.
//!
//! Stored JSON is used only while the product to write is the catalog's record (the same `Arc`,
//! or an equal copy such as a cart line), so a product that differs (another source's, or a cart
//! line kept from an older catalog) is written from its fields as before: the JSON is always that
//! of the product in hand.

use std::collections::HashMap;
use std::sync::Arc;

use serde::{Serialize, Serializer};
use serde_json::value::RawValue;
use shared::ids::ProductId;
use shared::product::{Product, ProductSummary};

/// Product id → the catalog's record and its JSON.
#[derive(Default)]
pub struct ProductJson {
    records: HashMap<ProductId, Written>,
}

/// One catalog record and its two JSON forms.
struct Written {
    record: Arc<Product>,
    /// The whole record (widget data).
    json: Box<RawValue>,
    /// Its [`ProductSummary`] (`structuredContent`).
    summary: Arc<RawValue>,
}

impl ProductJson {
    /// Writes each of `products` once; a product that does not serialize is left out (it is then
    /// written per answer, where the error is reported).
    pub fn new(products: &[Arc<Product>]) -> Self {
        let records = products
            .iter()
            .filter_map(|p| {
                let json = serde_json::value::to_raw_value(&**p).ok()?;
                let summary = serde_json::value::to_raw_value(&ProductSummary::from(&**p)).ok()?.into();
                Some((p.id.clone(), Written { record: Arc::clone(p), json, summary }))
            })
            .collect();
        ProductJson { records }
    }

    /// What was written of `product` when it is the catalog's record, unchanged: the record
    /// itself (the common case, a pointer comparison) or an equal copy.
    fn written(&self, product: &Arc<Product>) -> Option<&Written> {
        self.records.get(&product.id).filter(|w| Arc::ptr_eq(&w.record, product) || *w.record == **product)
    }

    /// The JSON of `product` when it is the catalog's record, unchanged.
    pub fn get(&self, product: &Arc<Product>) -> Option<&RawValue> {
        self.written(product).map(|w| &*w.json)
    }

    /// `product`'s summary for `structuredContent`: the stored JSON when it is the catalog's
    /// record, else built from its fields.
    pub fn summary(&self, product: &Arc<Product>) -> CatalogSummary {
        match self.written(product) {
            Some(w) => CatalogSummary::Written(Arc::clone(&w.summary)),
            None => CatalogSummary::Fields(ProductSummary::from(&**product)),
        }
    }

    /// `products` as a JSON array, each from its stored JSON where there is one.
    pub fn list<'a>(&'a self, products: &'a [Arc<Product>]) -> impl Serialize + 'a {
        ProductList { json: self, products }
    }
}

/// A product in a search's `structuredContent` (`SearchOutput<CatalogSummary>`): serializes
/// exactly as the [`ProductSummary`] of the product it was made from.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum CatalogSummary {
    /// The catalog record's summary, written at start-up.
    Written(Arc<RawValue>),
    /// Any other product's.
    Fields(ProductSummary),
}

struct ProductList<'a> {
    json: &'a ProductJson,
    products: &'a [Arc<Product>],
}

impl Serialize for ProductList<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.products.iter().map(|p| match self.json.get(p) {
            Some(json) => Record::Written(json),
            None => Record::Fields(p),
        }))
    }
}

#[derive(Serialize)]
#[serde(untagged)]
enum Record<'a> {
    Written(&'a RawValue),
    Fields(&'a Product),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::product;

    #[test]
    fn stored_json_is_used_only_for_the_unchanged_record() {
        let lamp = Arc::new(product("10000001", 2999, Some(5)));
        let json = ProductJson::new(std::slice::from_ref(&lamp));
        assert!(json.get(&lamp).is_some(), "the record itself");
        let copy = Arc::new((*lamp).clone());
        assert!(json.get(&copy).is_some(), "an equal copy, e.g. a cart line");
        let repriced = Arc::new(Product { price_cents: shared::money::Cents(1999), ..(*lamp).clone() });
        assert!(json.get(&repriced).is_none(), "a changed record is written from its fields");
        let list = serde_json::to_value(json.list(&[lamp.clone(), repriced.clone()])).expect("serializes");
        assert_eq!(list, serde_json::json!([*lamp, *repriced]));
    }

    #[test]
    fn stored_summaries_write_exactly_what_the_summary_would() {
        let on_sale = Arc::new(Product {
            regular_price_cents: Some(shared::money::Cents(3999)),
            ..product("10000001", 2999, Some(5))
        });
        let plain = Arc::new(Product { brand: None, ..product("10000002", 1999, None) });
        let json = ProductJson::new(&[on_sale.clone(), plain.clone()]);
        for p in [&on_sale, &plain] {
            let summary = json.summary(p);
            assert!(matches!(summary, CatalogSummary::Written(_)), "the catalog's record");
            let written = serde_json::to_string(&summary).expect("serializes");
            assert_eq!(written, serde_json::to_string(&ProductSummary::from(&**p)).expect("serializes"));
        }
        let repriced = Arc::new(Product { price_cents: shared::money::Cents(999), ..(*plain).clone() });
        let summary = json.summary(&repriced);
        assert!(matches!(&summary, CatalogSummary::Fields(s) if s.price_cents.0 == 999), "written from its fields");
    }
}
