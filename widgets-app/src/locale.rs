//! Money and dates in the host's locale (`locale` of the host context). Prices stay in US
//! dollars: only how they are written follows the locale (`$1,234.50`, `1.234,50 $`, `US$1,234.50`).
//!
//! The root component sets the formatting locale before it mounts the widget and mounts it again
//! when that changes; en-US (and no locale) is the default formatting, `$12.34` from integer
//! cents, so the widgets format the same with or without `Intl`. Other locales use the browser's
//! `Intl.NumberFormat` / `Intl.DateTimeFormat`; natively (unit tests) and when `Intl` refuses a
//! tag, the default formatting is used.

use std::cell::RefCell;

use shared::money::Cents;

thread_local! {
    static LOCALE: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// The locale to format with: `None` for the default (absent, `en`, `en-US`) and for anything
/// not shaped like a BCP 47 tag (`Intl` would throw on it).
pub fn formatting_locale(locale: Option<&str>) -> Option<String> {
    let tag = locale?.trim();
    let default = tag.eq_ignore_ascii_case("en") || tag.eq_ignore_ascii_case("en-US");
    (!default && is_tag_shaped(tag)).then(|| tag.to_owned())
}

/// `ll(-xxxx)*`: a 2 to 8 letter language, then subtags of 1 to 8 letters or digits.
fn is_tag_shaped(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let language = parts.next().unwrap_or_default();
    (2..=8).contains(&language.len())
        && language.bytes().all(|b| b.is_ascii_alphabetic())
        && parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// Sets the formatting locale (see [`formatting_locale`]).
pub fn set(locale: Option<String>) {
    LOCALE.with(|l| *l.borrow_mut() = locale);
}

fn current() -> Option<String> {
    LOCALE.with(|l| l.borrow().clone())
}

/// An amount of US dollars for the shopper.
pub fn usd(amount: Cents) -> String {
    current().and_then(|tag| intl::usd(&tag, amount)).unwrap_or_else(|| amount.display_usd())
}

/// A day for the shopper, e.g. "March 5, 2026" / "5. März 2026" (UTC), from milliseconds since
/// the epoch; `default` (the English text) without a formatting locale.
pub fn long_date(at_millis: i64, default: impl FnOnce() -> String) -> String {
    current().and_then(|tag| intl::long_date(&tag, at_millis)).unwrap_or_else(default)
}

#[cfg(target_arch = "wasm32")]
mod intl {
    use js_sys::{Array, Intl, Object, Reflect};
    use shared::money::Cents;
    use wasm_bindgen::JsValue;

    fn options(pairs: &[(&str, &str)]) -> Object {
        let options = Object::new();
        for (key, value) in pairs {
            let _ = Reflect::set(&options, &(*key).into(), &(*value).into());
        }
        options
    }

    fn format(formatter: js_sys::Function, value: &JsValue) -> Option<String> {
        formatter.call1(&JsValue::UNDEFINED, value).ok()?.as_string()
    }

    /// `Intl.NumberFormat(tag, {style: "currency", currency: "USD"})`. The cents become a number
    /// only here, for display (exact for any cart's total).
    pub fn usd(tag: &str, amount: Cents) -> Option<String> {
        let locales = Array::of1(&tag.into());
        let formatter = Intl::NumberFormat::new(&locales, &options(&[("style", "currency"), ("currency", "USD")]));
        format(formatter.format(), &JsValue::from_f64(amount.0 as f64 / 100.0))
    }

    /// `Intl.DateTimeFormat(tag, {year: "numeric", month: "long", day: "numeric", timeZone: "UTC"})`.
    pub fn long_date(tag: &str, at_millis: i64) -> Option<String> {
        let locales = Array::of1(&tag.into());
        let options = options(&[("year", "numeric"), ("month", "long"), ("day", "numeric"), ("timeZone", "UTC")]);
        let formatter = Intl::DateTimeFormat::new(&locales, &options);
        let date = js_sys::Date::new(&JsValue::from_f64(at_millis as f64));
        format(formatter.format(), &date.into())
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod intl {
    use shared::money::Cents;

    pub fn usd(_: &str, _: Cents) -> Option<String> {
        None
    }

    pub fn long_date(_: &str, _: i64) -> Option<String> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn en_us_is_the_default_formatting() {
        for default in
            [None, Some(""), Some("en"), Some("en-US"), Some("EN-us"), Some("x"), Some("de_DE"), Some("de--DE")]
        {
            assert_eq!(formatting_locale(default), None, "{default:?}");
        }
        assert_eq!(formatting_locale(Some("de-DE")).as_deref(), Some("de-DE"));
        assert_eq!(formatting_locale(Some("en-GB")).as_deref(), Some("en-GB"));
        assert_eq!(formatting_locale(Some("zh-Hant-TW")).as_deref(), Some("zh-Hant-TW"));
        set(None);
        assert_eq!(usd(Cents(123_450)), "$1234.50");
        set(Some("de-DE".into()));
        assert_eq!(usd(Cents(1999)), "$19.99", "without Intl (native) the default formatting");
        set(None);
    }
}
