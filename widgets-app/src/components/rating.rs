//! Star ratings: five stars filled to the product's rating (in tenths), plus the review count.

use leptos::prelude::*;
use shared::product::Rating;

/// `1234567` → `"1,234,567"`.
pub fn group_thousands(n: u32) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// The rating clamped to 0–5 stars, as a percentage of five stars (the width of the filled row).
pub fn fill_percent(rating: Rating) -> u8 {
    rating.0.min(50) * 2
}

/// What a screen reader hears: "Rated 4.5 out of 5 stars, 1,234 reviews".
pub fn rating_label(rating: Rating, reviews: Option<u32>) -> String {
    let stars = Rating(rating.0.min(50)).stars();
    match reviews {
        Some(1) => format!("Rated {stars} out of 5 stars, 1 review"),
        Some(n) => format!("Rated {stars} out of 5 stars, {} reviews", group_thousands(n)),
        None => format!("Rated {stars} out of 5 stars"),
    }
}

/// Five stars filled to `rating`, with the review count. Renders nothing without a rating.
#[component]
pub fn Stars(
    /// The average rating in tenths of a star.
    rating: Option<Rating>,
    /// How many reviews the rating averages.
    #[prop(default = None)]
    reviews: Option<u32>,
) -> impl IntoView {
    rating.map(|rating| {
        let width = format!("width:{}%", fill_percent(rating));
        view! {
            <span class="tw-rating" data-testid="rating">
                <span class="tw-visually-hidden">{rating_label(rating, reviews)}</span>
                <span class="tw-rating__stars" aria-hidden="true">
                    <span class="tw-rating__fill" style=width>"★★★★★"</span>
                    "★★★★★"
                </span>
                <span class="tw-rating__count" aria-hidden="true">
                    {reviews.map(|n| format!("({})", group_thousands(n)))}
                </span>
            </span>
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(group_thousands(0), "0");
        assert_eq!(group_thousands(999), "999");
        assert_eq!(group_thousands(1000), "1,000");
        assert_eq!(group_thousands(1_234_567), "1,234,567");
        assert_eq!(group_thousands(u32::MAX), "4,294,967,295");
    }

    #[test]
    fn stars_fill_in_tenths_and_never_overflow() {
        assert_eq!(fill_percent(Rating(45)), 90);
        assert_eq!(fill_percent(Rating(0)), 0);
        assert_eq!(fill_percent(Rating(50)), 100);
        assert_eq!(fill_percent(Rating(255)), 100);
    }

    #[test]
    fn labels_read_well() {
        assert_eq!(rating_label(Rating(45), Some(1234)), "Rated 4.5 out of 5 stars, 1,234 reviews");
        assert_eq!(rating_label(Rating(40), Some(1)), "Rated 4.0 out of 5 stars, 1 review");
        assert_eq!(rating_label(Rating(99), None), "Rated 5.0 out of 5 stars");
    }
}
