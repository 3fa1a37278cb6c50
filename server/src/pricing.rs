//! Every pricing rule in one place: Circle offers, the Circle Card discount, shipping and tax.
//!
//! - Members (any tier) get each product's `circleOfferPercent` off that line.
//! - Target Circle Card adds 5% off the merchandise after those offers.
//! - Shipping is free for Target Circle 360 and for merchandise of $35 or more (after savings);
//!   otherwise $5.99. An empty cart ships nothing.
//! - Tax is the configured rate on the merchandise after savings (shipping is not taxed).
//! - Express shipping (offered to ACP checkouts) is a flat $9.99 instead of the standard rule.
//! - Per line (ACP line items), the Circle Card discount and the tax are shared out in proportion
//!   to each line's amount, largest remainders first, so the lines add up to the cart exactly.
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
pub const EXPRESS_SHIPPING_FEE: Cents = Cents(999);

/// How fast an order ships.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShippingSpeed {
    /// Free from $35 (after savings) or with Circle 360, else $5.99.
    Standard,
    /// Flat [`EXPRESS_SHIPPING_FEE`].
    Express,
}

/// One line's share of a priced cart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineShare {
    /// Price times quantity.
    pub base: Cents,
    /// Circle savings on this line (its offer plus its share of the Circle Card discount).
    pub discount: Cents,
    /// Its share of the cart's tax.
    pub tax: Cents,
}

/// Splits `total` in proportion to `weights` (largest remainders get the leftover cents); the
/// parts add up to `total`. All weights zero: everything goes to the first part.
fn share_out(total: Cents, weights: &[i64]) -> Vec<Cents> {
    let sum: i128 = weights.iter().map(|w| i128::from(*w)).sum();
    if weights.is_empty() {
        return vec![];
    }
    if sum <= 0 {
        let mut parts = vec![Cents::ZERO; weights.len()];
        parts[0] = total;
        return parts;
    }
    let scaled: Vec<i128> = weights.iter().map(|w| i128::from(total.0) * i128::from(*w)).collect();
    let mut parts: Vec<i64> = scaled.iter().map(|x| i64::try_from(x.div_euclid(sum)).unwrap_or(0)).collect();
    let left = usize::try_from(total.0 - parts.iter().sum::<i64>()).unwrap_or(0);
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|a, b| scaled[*b].rem_euclid(sum).cmp(&scaled[*a].rem_euclid(sum)).then(a.cmp(b)));
    for i in order.into_iter().take(left) {
        parts[i] += 1;
    }
    parts.into_iter().map(Cents).collect()
}

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

impl PricingRules {
    /// What shipping at `speed` costs for a cart priced by [`PricingRules::price`].
    pub fn shipping(&self, cart: &Cart, speed: ShippingSpeed) -> Cents {
        match speed {
            _ if cart.items.is_empty() => Cents::ZERO,
            ShippingSpeed::Standard => cart.shipping_cents,
            ShippingSpeed::Express => EXPRESS_SHIPPING_FEE,
        }
    }

    /// Each line's base amount, savings and tax for a cart priced by [`PricingRules::price`]
    /// from the same `lines` and `tier`; the lines add up to the cart's savings and tax.
    pub fn line_shares(&self, lines: &[(&Product, u32)], tier: Option<MembershipTier>, cart: &Cart) -> Vec<LineShare> {
        let bases: Vec<Cents> = lines.iter().map(|(p, q)| p.price_cents.times(*q)).collect();
        let offers: Vec<Cents> = match tier {
            Some(_) => lines
                .iter()
                .zip(&bases)
                .map(|((p, _), base)| base.percent(u32::from(p.circle_offer_percent.unwrap_or(0))))
                .collect(),
            None => vec![Cents::ZERO; lines.len()],
        };
        let after_offers: Vec<i64> = bases.iter().zip(&offers).map(|(b, o)| (*b - *o).0).collect();
        let card = cart.circle_savings_cents - offers.iter().copied().sum();
        let card_shares = share_out(card, &after_offers);
        let merchandise: Vec<i64> = after_offers.iter().zip(&card_shares).map(|(a, c)| a - c.0).collect();
        let tax_shares = share_out(cart.estimated_tax_cents, &merchandise);
        bases
            .iter()
            .zip(offers.iter().zip(card_shares))
            .zip(tax_shares)
            .map(|((base, (offer, card)), tax)| LineShare { base: *base, discount: *offer + card, tax })
            .collect()
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
    fn line_shares_add_up_to_the_cart() {
        let a = product("10000001", 1999, Some(10));
        let b = product("10000002", 333, None);
        let c = product("10000003", 12345, Some(15));
        let lines = [(&a, 3), (&b, 1), (&c, 2)];
        for tier in [None, Some(MembershipTier::Circle), Some(MembershipTier::CircleCard)] {
            let cart = RULES.price(&lines, tier);
            let shares = RULES.line_shares(&lines, tier, &cart);
            assert_eq!(shares.iter().map(|s| s.base).sum::<Cents>(), cart.subtotal_cents, "{tier:?}");
            assert_eq!(shares.iter().map(|s| s.discount).sum::<Cents>(), cart.circle_savings_cents, "{tier:?}");
            assert_eq!(shares.iter().map(|s| s.tax).sum::<Cents>(), cart.estimated_tax_cents, "{tier:?}");
            assert!(shares.iter().all(|s| s.discount <= s.base && s.tax >= Cents::ZERO), "{tier:?}");
        }
        let cart = RULES.price(&lines, Some(MembershipTier::Circle));
        let shares = RULES.line_shares(&lines, Some(MembershipTier::Circle), &cart);
        assert_eq!(shares[0].discount, Cents(600), "10% of 5997, rounded half away from zero");
        assert_eq!(shares[1].discount, Cents::ZERO, "no offer on this product");
    }

    #[test]
    fn express_is_flat_and_standard_follows_the_threshold() {
        let small = RULES.price(&[(&product("10000001", 1000, None), 1)], None);
        assert_eq!(RULES.shipping(&small, ShippingSpeed::Standard), SHIPPING_FEE);
        assert_eq!(RULES.shipping(&small, ShippingSpeed::Express), EXPRESS_SHIPPING_FEE);
        let big = RULES.price(&[(&product("10000001", 5000, None), 1)], None);
        assert_eq!(RULES.shipping(&big, ShippingSpeed::Standard), Cents::ZERO);
        assert_eq!(RULES.shipping(&RULES.price(&[], None), ShippingSpeed::Express), Cents::ZERO);
    }

    #[test]
    fn tax_rate_is_configurable() {
        let rules = PricingRules { tax_rate: TaxRate(0) };
        let cart = rules.price(&[(&product("10000001", 5000, None), 1)], None);
        assert_eq!(cart.estimated_tax_cents, Cents::ZERO);
        assert_eq!(cart.total_cents, Cents(5000));
    }
}
