//! Builders shared by unit tests.

use shared::ids::ProductId;
use shared::money::{Cents, Currency};
use shared::product::Product;

/// A plain in-stock Lighting product.
pub(crate) fn product(id: &str, cents: i64, circle_offer_percent: Option<u8>) -> Product {
    Product {
        id: ProductId::parse(id).expect("test product id"),
        title: format!("Product {id}"),
        brand: None,
        price_cents: Cents(cents),
        regular_price_cents: None,
        currency: Currency::USD,
        rating: None,
        review_count: None,
        image_url: String::new(),
        url: String::new(),
        in_stock: true,
        category: "Lighting".into(),
        circle_offer_percent,
    }
}
