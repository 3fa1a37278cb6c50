//! Cart and checkout tools: add-to-cart, get-cart, update-cart-item, checkout.

use std::sync::Arc;

use rmcp::handler::server::common::schema_for_output;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::{tool, tool_router};
use shared::auth::SessionInput;
use shared::cart::{AddToCartInput, Cart, CartOutput, QUANTITY_MAX, UpdateCartItemInput};
use shared::checkout::{CheckoutInput, CheckoutOutput, Order};
use shared::membership::MembershipTier;
use shared::tool::ToolName;

use crate::error::AppError;
use crate::identity::sessions;
use crate::identity::shopper::{self, Who};
use crate::mcp::handler::TargetMcp;
use crate::mcp::reply::{Reply, ToolOutcome, plural};
use crate::state::AppState;
use crate::store::home::Home;
use crate::store::{CartEntry, Placed, Session, StoreError};

/// Where a shopper can finish on Target.com.
const TARGET_CART_URL: &str = "https://www.target.com/cart";

/// The Circle tier of the session's account, if signed in and a member.
pub(crate) async fn tier_of(state: &AppState, session: &Session) -> Result<Option<MembershipTier>, AppError> {
    match &session.user {
        Some(user) => Ok(state.store.membership(&user.email).await?.map(|m| m.tier)),
        None => Ok(None),
    }
}

/// The session's cart, priced for its account.
pub(crate) async fn priced_cart(state: &AppState, session: &Session) -> Result<Cart, AppError> {
    let lines: Vec<_> = session.cart.iter().map(|e| (&*e.product, e.quantity)).collect();
    Ok(state.pricing.price(&lines, tier_of(state, session).await?))
}

async fn cart_reply(state: &AppState, session: &Session, sentence: String) -> Result<Reply<CartOutput>, AppError> {
    let cart = priced_cart(state, session).await?;
    let sentence = format!(
        "{sentence} The cart has {}, total {}.",
        plural(cart.item_count as usize, "item", "items"),
        cart.total_cents.display_usd()
    );
    let products = session.cart.iter().map(|e| Arc::clone(&e.product)).collect();
    Ok(Reply::new(CartOutput { session_id: session.public_id(), cart }, sentence).widget(Some(session), products))
}

/// Fresh order ids drawn when the one drawn exists already, before giving up.
const ORDER_ID_DRAWS: usize = 4;

/// Whether a replayed order is what this checkout asks for: a retry finds the cart emptied by
/// that order (or, in a race, the same lines); a cart with other lines is a new purchase that
/// reuses an old key, and must not be answered with the old order.
fn replay_fits(order: &Order, cart: &[CartEntry]) -> bool {
    let mut ordered: Vec<(&str, u32)> = order.items.iter().map(|l| (l.product.id.as_str(), l.quantity)).collect();
    let mut in_cart: Vec<(&str, u32)> = cart.iter().map(|e| (e.product.id.as_str(), e.quantity)).collect();
    ordered.sort_unstable();
    in_cart.sort_unstable();
    cart.is_empty() || ordered == in_cart
}

fn replay(session: &Session, order: Order) -> Result<Reply<CheckoutOutput>, AppError> {
    if !replay_fits(&order, &session.cart) {
        return Err(AppError::IdempotencyConflict { order_id: order.order_id.to_string() });
    }
    Ok(order_reply(session, Placed { order, replayed: true }))
}

#[tool_router(router = checkout_tools, vis = "pub(crate)")]
impl TargetMcp {
    #[tool(
        name = "add-to-cart",
        description = "Add a Target product to the shopper's cart by its product id (from search results), \
                       and show the cart. Without a sessionId (and no linked account) it starts a new session \
                       and returns its sessionId: pass that to the later cart, checkout and sign-in tools.",
        annotations(title = "Add to Target cart", read_only_hint = false, destructive_hint = false,
                    idempotent_hint = false, open_world_hint = false),
        output_schema = schema_for_output::<CartOutput>()
    )]
    pub(crate) async fn add_to_cart(&self, Parameters(input): Parameters<AddToCartInput>) -> ToolOutcome<CartOutput> {
        input.validate()?;
        let who = self.who(input.session_id.as_ref(), ToolName::AddToCart)?;
        let product = self
            .state
            .products
            .product(&input.product_id)
            .await?
            .ok_or_else(|| AppError::ProductNotFound(input.product_id.to_string()))?;
        if !product.in_stock {
            return Err(AppError::OutOfStock(product.title.clone()));
        }
        let quantity = input.quantity.unwrap_or(1);
        let title = product.title.clone();
        // Nobody (no token, no sessionId): start a session for this cart, as create-target-session
        // does, so an add from a search made without a session is not a dead end.
        let (id, started) = match who {
            Some(Who::Session(id)) => (id, false),
            Some(Who::Linked { claims, merge_from }) => {
                (shopper::linked_session(&self.state, &claims, merge_from.as_ref()).await?.id, false)
            }
            None => (sessions::create(&self.state).await?.id, true),
        };
        let now = self.state.clock.now();
        let session = self.state.store.add_to_cart(&id, product, quantity, QUANTITY_MAX, now).await?;
        let mut sentence = format!("Added {quantity} × {title}.");
        if started {
            sentence = format!(
                "{sentence} This started Target session {id}: pass sessionId \"{id}\" to get-cart, update-cart-item, \
                 checkout and authenticate-target (and to later add-to-cart calls) so they use this cart."
            );
        }
        cart_reply(&self.state, &session, sentence).await
    }

    #[tool(
        name = "get-cart",
        description = "Show the shopper's Target cart with Circle savings, shipping, tax and total.",
        annotations(title = "Show Target cart", read_only_hint = true, destructive_hint = false,
                    idempotent_hint = true, open_world_hint = false),
        output_schema = schema_for_output::<CartOutput>()
    )]
    pub(crate) async fn get_cart(&self, Parameters(input): Parameters<SessionInput>) -> ToolOutcome<CartOutput> {
        let session = self.shopper(input.session_id.as_ref(), ToolName::GetCart).await?.into_session();
        cart_reply(&self.state, &session, "Here is the cart.".to_owned()).await
    }

    #[tool(
        name = "update-cart-item",
        description = "Change the quantity of a product in the Target cart; quantity 0 removes it.",
        annotations(title = "Update Target cart", read_only_hint = false, destructive_hint = true,
                    idempotent_hint = true, open_world_hint = false),
        output_schema = schema_for_output::<CartOutput>()
    )]
    pub(crate) async fn update_cart_item(
        &self,
        Parameters(input): Parameters<UpdateCartItemInput>,
    ) -> ToolOutcome<CartOutput> {
        input.validate()?;
        let session = self.shopper(input.session_id.as_ref(), ToolName::UpdateCartItem).await?.into_session();
        let session = self
            .state
            .store
            .set_quantity(&session.id, &input.product_id, input.quantity)
            .await?
            .ok_or_else(|| AppError::NotInCart(input.product_id.to_string()))?;
        let sentence = if input.quantity == 0 {
            format!("Removed product {} from the cart.", input.product_id)
        } else {
            format!("Set product {} to quantity {}.", input.product_id, input.quantity)
        };
        cart_reply(&self.state, &session, sentence).await
    }

    #[tool(
        name = "checkout",
        description = "Place the order for everything in the Target cart. Needs a signed-in session. \
                       Pass the same idempotencyKey when retrying so the order is placed only once.",
        annotations(title = "Check out at Target", read_only_hint = false, destructive_hint = false,
                    idempotent_hint = false, open_world_hint = false),
        output_schema = schema_for_output::<CheckoutOutput>()
    )]
    pub(crate) async fn checkout(&self, Parameters(input): Parameters<CheckoutInput>) -> ToolOutcome<CheckoutOutput> {
        let shopper = self.shopper(input.session_id.as_ref(), ToolName::Checkout).await?;
        let user = shopper.require_user(&self.resource, ToolName::Checkout)?.clone();
        let session = shopper.into_session();
        let key = input.idempotency_key.as_ref();
        if let Some(key) = key
            && let Some(order) = self.state.store.order_for_key(&session.id, &user.email, key).await?
        {
            return replay(&session, order);
        }
        if session.cart.is_empty() {
            return Err(AppError::EmptyCart);
        }
        let cart = priced_cart(&self.state, &session).await?;
        let mut order = Order {
            order_id: Home::of_session(&session.id).new_order_id(),
            placed_at: self.state.clock.now(),
            email: user.email.clone(),
            items: cart.items,
            subtotal_cents: cart.subtotal_cents,
            circle_savings_cents: cart.circle_savings_cents,
            shipping_cents: cart.shipping_cents,
            tax_cents: cart.estimated_tax_cents,
            total_cents: cart.total_cents,
            currency: cart.currency,
            continue_url: TARGET_CART_URL.to_owned(),
        };
        let savings = cart.circle_savings_cents;
        let mut draws = 1;
        let placed = loop {
            match self.state.store.place_order(&session.id, key, &session.cart, order.clone(), savings).await {
                // Another order has this id: draw again (the store wrote nothing).
                Err(StoreError::OrderIdTaken) if draws < ORDER_ID_DRAWS => {
                    tracing::warn!(order = %order.order_id, "order id drawn twice; drawing another");
                    order.order_id = Home::of_session(&session.id).new_order_id();
                    draws += 1;
                }
                // The cart was emptied by the same order a moment ago (a double click).
                Err(StoreError::CartChanged) => return Err(AppError::EmptyCart),
                other => break other?,
            }
        };
        if placed.replayed {
            return replay(&session, placed.order);
        }
        Ok(order_reply(&session, placed))
    }
}

fn order_reply(session: &Session, placed: Placed) -> Reply<CheckoutOutput> {
    let order = &placed.order;
    let sentence = format!(
        "{} order {} for {} ({}). A confirmation goes to {}.",
        if placed.replayed { "Already placed" } else { "Placed" },
        order.order_id,
        order.total_cents.display_usd(),
        plural(order.items.iter().map(|l| l.quantity as usize).sum(), "item", "items"),
        order.email
    );
    Reply::new(CheckoutOutput { order: placed.order.clone(), replayed: placed.replayed }, sentence)
        .widget(Some(session), session.cart.iter().map(|e| Arc::clone(&e.product)).collect())
}
