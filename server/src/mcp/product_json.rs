//! The embedded catalog's product records written to JSON once, at start-up, for the widget data
//! of direct-path answers (`Reply::to_response_json`): a search answer carries ten full records,
//! and writing them per request was a fifth of a search's instructions.
//!
//! A record is used only while the product to write is the catalog's record (the same `Arc`, or
//! an equal copy such as a cart line), so a product that differs (another source's, or a cart
//! line kept from an older catalog) is written from its fields as before: the JSON is always that
//! of the product in hand.

use std::collections::HashMap;
use std::sync::Arc;

use serde::{Serialize, Serializer};
use serde_json::value::RawValue;
use shared::ids::ProductId;
use shared::product::Product;

/// Product id → the catalog's record and its JSON.
#[derive(Default)]
pub struct ProductJson {
    records: HashMap<ProductId, (Arc<Product>, Box<RawValue>)>,
}

impl ProductJson {
    /// Writes each of `products` once; a product that does not serialize is left out (it is then
    /// written per answer, where the error is reported).
    pub fn new(products: &[Arc<Product>]) -> Self {
        let records = products
            .iter()
            .filter_map(|p| Some((p.id.clone(), (Arc::clone(p), serde_json::value::to_raw_value(&**p).ok()?))))
            .collect();
        ProductJson { records }
    }

    /// The JSON of `product` when it is the catalog's record, unchanged: the record itself (the
    /// common case, a pointer comparison) or an equal copy.
    pub fn get(&self, product: &Arc<Product>) -> Option<&RawValue> {
        self.records
            .get(&product.id)
            .filter(|(record, _)| Arc::ptr_eq(record, product) || **record == **product)
            .map(|(_, json)| &**json)
    }

    /// `products` as a JSON array, each from its stored JSON where there is one.
    pub fn list<'a>(&'a self, products: &'a [Arc<Product>]) -> impl Serialize + 'a {
        ProductList { json: self, products }
    }
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
}
