//! The four widgets, one module each; each is behind the cargo feature of its name, so a
//! template's WASM carries only its own widget.

#[cfg(feature = "cart")]
pub mod cart;
#[cfg(feature = "circle")]
pub mod circle;
#[cfg(feature = "product-grid")]
pub mod product_grid;
#[cfg(feature = "target-auth")]
pub mod target_auth;

#[cfg(feature = "cart")]
pub use cart::Cart;
#[cfg(feature = "circle")]
pub use circle::Circle;
#[cfg(feature = "product-grid")]
pub use product_grid::ProductGrid;
#[cfg(feature = "target-auth")]
pub use target_auth::TargetAuth;
