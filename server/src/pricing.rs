//! Every pricing rule in one place: Circle offers, the Circle Card discount, shipping and tax.
//!
//! - Members (any tier) get each product's `circleOfferPercent` off that line.
//! - Target Circle Card adds 5% off the merchandise after those offers.
//! - Shipping is free for Target Circle 360 and for merchandise of $35 or more (after savings);
//!   otherwise $5.99. An empty cart ships nothing.
//! - Tax is the configured rate on the merchandise after savings (shipping is not taxed).
//!
//! All amounts are integer cents; each percentage rounds half away from zero per line.

use shared::cart::{Cart, CartLine};
use shared::membership::MembershipTier;
use shared::money::{Cents, Currency};
use shared::product::{Product, ProductSummary};

use crate::config::TaxRate;

pub const FREE_SHIPPING_THRESHOLD: Cents = Cents(3500);
pub const SHIPPING_FEE: Cents = Cents(599);
pub const CIRCLE_CARD_PERCENT: u32 = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PricingRules {
    pub tax_rate: TaxRate,
}

impl PricingRules {
    /// Prices `lines` (product and quantity) for a shopper with `tier` (None = not a member).
    pub fn price(&self, lines: &[(&Product, u32)], tier: Option<MembershipTier>) -> Cart {
        let items: Vec<CartLine> = lines
            .iter()
            .map(|(product, quantity)| CartLine {
                product: ProductSummary::from(*product),
                quantity: *quantity,
                line_total_cents: product.price_cents.times(*quantity),
            })
            .collect();
        let subtotal: Cents = items.iter().map(|l| l.line_total_cents).sum();
        let offers: Cents = match tier {
            Some(_) => lines
                .iter()
                .zip(&items)
                .map(|((p, _), l)| l.line_total_cents.percent(u32::from(p.circle_offer_percent.unwrap_or(0))))
                .sum(),
            None => Cents::ZERO,
        };
        let card = match tier {
            Some(MembershipTier::CircleCard) => (subtotal - offers).percent(CIRCLE_CARD_PERCENT),
            _ => Cents::ZERO,
        };
        let savings = offers + card;
        let merchandise = subtotal - savings;
        let shipping =
            if items.is_empty() || tier == Some(MembershipTier::Circle360) || merchandise >= FREE_SHIPPING_THRESHOLD {
                Cents::ZERO
            } else {
                SHIPPING_FEE
            };
        let tax = merchandise.basis_points(self.tax_rate.0);
        Cart {
            item_count: items.iter().map(|l| l.quantity).sum(),
            items,
            subtotal_cents: subtotal,
            circle_savings_cents: savings,
            shipping_cents: shipping,
            estimated_tax_cents: tax,
            total_cents: merchandise + shipping + tax,
            currency: Currency::USD,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::product;

    const RULES: PricingRules = PricingRules { tax_rate: TaxRate(825) };

    #[test]
    fn non_member_under_35_pays_shipping_and_tax() {
        let cart = RULES.price(&[(&product("10000001", 1999, Some(10)), 1)], None);
        assert_eq!(cart.subtotal_cents, Cents(1999));
        assert_eq!(cart.circle_savings_cents, Cents::ZERO, "offers are for members only");
        assert_eq!(cart.shipping_cents, SHIPPING_FEE);
        assert_eq!(cart.estimated_tax_cents, Cents(165)); // 1999 * 8.25% = 164.92
        assert_eq!(cart.total_cents, Cents(1999 + 599 + 165));
        assert_eq!(cart.item_count, 1);
    }

    #[test]
    fn members_get_each_products_circle_offer() {
        let lines = [(&product("10000001", 2000, Some(10)), 2), (&product("10000002", 1000, None), 1)];
        let cart = RULES.price(&lines, Some(MembershipTier::Circle));
        assert_eq!(cart.subtotal_cents, Cents(5000));
        assert_eq!(cart.circle_savings_cents, Cents(400));
        assert_eq!(cart.shipping_cents, Cents::ZERO, "4600 is over the threshold");
        assert_eq!(cart.estimated_tax_cents, Cents(380)); // 4600 * 8.25% = 379.5
        assert_eq!(cart.total_cents, Cents(4600 + 380));
        assert_eq!(cart.item_count, 3);
        assert_eq!(cart.items[0].line_total_cents, Cents(4000));
    }

    #[test]
    fn circle_card_adds_five_percent_after_offers() {
        let lines = [(&product("10000001", 10000, Some(20)), 1)];
        let cart = RULES.price(&lines, Some(MembershipTier::CircleCard));
        // 20% offer = 2000; then 5% of 8000 = 400.
        assert_eq!(cart.circle_savings_cents, Cents(2400));
        assert_eq!(cart.total_cents, Cents(7600 + 627)); // 7600 * 8.25% = 627
    }

    #[test]
    fn shipping_threshold_is_measured_after_savings() {
        let exactly = RULES.price(&[(&product("10000001", 3500, None), 1)], None);
        assert_eq!(exactly.shipping_cents, Cents::ZERO, "$35.00 ships free");
        let just_under = RULES.price(&[(&product("10000001", 3499, None), 1)], None);
        assert_eq!(just_under.shipping_cents, SHIPPING_FEE);
        let discounted_under = RULES.price(&[(&product("10000001", 3600, Some(10)), 1)], Some(MembershipTier::Circle));
        assert_eq!(discounted_under.shipping_cents, SHIPPING_FEE, "3240 after the offer");
    }

    #[test]
    fn circle_360_always_ships_free_and_empty_carts_cost_nothing() {
        let small = RULES.price(&[(&product("10000001", 500, None), 1)], Some(MembershipTier::Circle360));
        assert_eq!(small.shipping_cents, Cents::ZERO);
        let empty = RULES.price(&[], None);
        assert_eq!(empty.total_cents, Cents::ZERO);
        assert_eq!(empty.shipping_cents, Cents::ZERO);
    }

    #[test]
    fn tax_rate_is_configurable() {
        let rules = PricingRules { tax_rate: TaxRate(0) };
        let cart = rules.price(&[(&product("10000001", 5000, None), 1)], None);
        assert_eq!(cart.estimated_tax_cents, Cents::ZERO);
        assert_eq!(cart.total_cents, Cents(5000));
    }
}
