//! The four widgets, one file each.

pub mod cart;
pub mod circle;
pub mod product_grid;
pub mod target_auth;

pub use cart::Cart;
pub use circle::Circle;
pub use product_grid::ProductGrid;
pub use target_auth::TargetAuth;
