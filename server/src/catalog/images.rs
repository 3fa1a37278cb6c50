//! Product illustrations for the embedded catalog: small, deterministic SVGs drawn from a
//! product's main colour and one of a fixed set of glyphs ([`ICONS`]), with the brand name
//! underneath. No network, no randomness: the same product always gets the same bytes.
//!
//! Every glyph is drawn in a 100 × 100 box with three placeholder colours, `#C` (the product
//! colour), `#D` (a darker shade) and `#L` (a lighter tint), substituted at render time.

/// The glyph names a catalog record may use as its `icon`.
pub const ICONS: &[&str] = &[
    "bag",
    "ball",
    "basket",
    "battery",
    "bed",
    "bike",
    "bin",
    "blanket",
    "blender",
    "blocks",
    "bone",
    "bottle",
    "bowl",
    "box",
    "bulb",
    "cable",
    "camera",
    "candle",
    "car",
    "cards",
    "chair",
    "clock",
    "coffee",
    "curtain",
    "desk",
    "diaper",
    "dice",
    "doll",
    "dumbbell",
    "fish",
    "frame",
    "gamepad",
    "glass",
    "hairdryer",
    "hanger",
    "headphones",
    "helmet",
    "house",
    "jar",
    "keyboard",
    "knife",
    "lamp",
    "lantern",
    "laptop",
    "lipstick",
    "mat",
    "mirror",
    "mouse",
    "mug",
    "notebook",
    "pan",
    "paw",
    "pen",
    "phone",
    "pillow",
    "plant",
    "plate",
    "pot",
    "printer",
    "puzzle",
    "racket",
    "ring",
    "shelf",
    "shirt",
    "speaker",
    "star",
    "stroller",
    "tag",
    "teddy",
    "tent",
    "toaster",
    "towel",
    "tv",
    "utensils",
    "vase",
    "watch",
];

/// The colour used when a record's colour is not `#rrggbb`: Target red.
pub const FALLBACK_COLOR: &str = "#cc0000";

/// Brand names longer than this are cut (with an ellipsis) so the label fits the card.
const BRAND_MAX_CHARS: usize = 32;
/// The accessible `<title>` is cut to this many characters to bound the SVG's size.
const TITLE_MAX_CHARS: usize = 90;

/// Whether `name` is one of [`ICONS`].
pub fn is_icon(name: &str) -> bool {
    ICONS.contains(&name)
}

/// Whether `color` is exactly `#` followed by six hex digits.
pub fn is_hex_color(color: &str) -> bool {
    color.len() == 7 && color.starts_with('#') && color.bytes().skip(1).all(|b| b.is_ascii_hexdigit())
}

/// Renders the illustration of one product as a standalone SVG document (`viewBox="0 0 400 400"`,
/// under 3 KB). `color` falls back to [`FALLBACK_COLOR`] when malformed and an unknown `icon`
/// draws a star. `title` becomes the accessible `<title>`; `brand` (or, without one, nothing) is
/// printed under the glyph. All text is XML-escaped.
pub fn product_svg(title: &str, brand: Option<&str>, color: &str, icon: &str) -> String {
    let base = parse_hex(color).unwrap_or_else(|| parse_hex(FALLBACK_COLOR).unwrap_or((204, 0, 0)));
    // Very light products (white bookcases, ivory towels) would vanish on their own tint, so
    // their glyph is drawn in a darkened shade instead.
    let main = if luminance(base) > 0.82 { mix(base, (0, 0, 0), 0.38) } else { base };
    let dark = mix(main, (0, 0, 0), 0.35);
    let light = mix(base, (255, 255, 255), 0.55);
    let background = mix(main, (255, 255, 255), 0.86);
    let halo = mix(main, (255, 255, 255), 0.72);
    let ink = if luminance(main) > 0.55 { mix(main, (0, 0, 0), 0.6) } else { main };

    let glyph = glyph(icon).replace("#C", &hex(main)).replace("#D", &hex(dark)).replace("#L", &hex(light));
    let title = escape_xml(&truncate_chars(title.trim(), TITLE_MAX_CHARS));
    let label = brand
        .map(str::trim)
        .filter(|b| !b.is_empty())
        .map(|b| {
            let b = truncate_chars(b, BRAND_MAX_CHARS);
            format!(
                r#"<text x="200" y="354" text-anchor="middle" font-family="Helvetica,Arial,sans-serif" font-size="{}" font-weight="700" fill="{}">{}</text>"#,
                label_font_size(b.chars().count()),
                hex(ink),
                escape_xml(&b)
            )
        })
        .unwrap_or_default();

    format!(
        concat!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 400 400" width="400" height="400" role="img">"#,
            "<title>{title}</title>",
            r#"<rect width="400" height="400" rx="32" fill="{background}"/>"#,
            r#"<circle cx="200" cy="170" r="128" fill="{halo}"/>"#,
            r#"<g transform="translate(90 60) scale(2.2)" stroke-linejoin="round">{glyph}</g>"#,
            "{label}</svg>"
        ),
        title = title,
        background = hex(background),
        halo = hex(halo),
        glyph = glyph,
        label = label,
    )
}

/// Escapes the five XML special characters and drops characters XML 1.0 forbids.
pub fn escape_xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(' '),
            c if (c as u32) < 0x20 || matches!(c, '\u{FFFE}' | '\u{FFFF}') => {}
            c => out.push(c),
        }
    }
    out
}

/// A font size that fits `chars` bold characters in the card's 340 px text width (a bold sans
/// glyph is about 0.62 em wide), between 16 and 28 px.
fn label_font_size(chars: usize) -> usize {
    let chars = chars.max(1) as f32;
    (340.0 / (chars * 0.62)).clamp(16.0, 28.0) as usize
}

fn truncate_chars(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let head: String = text.chars().take(max.saturating_sub(1)).collect();
        format!("{}…", head.trim_end())
    }
}

type Rgb = (u8, u8, u8);

fn parse_hex(color: &str) -> Option<Rgb> {
    if !is_hex_color(color) {
        return None;
    }
    let channel = |i: usize| u8::from_str_radix(color.get(i..i + 2)?, 16).ok();
    Some((channel(1)?, channel(3)?, channel(5)?))
}

fn hex((r, g, b): Rgb) -> String {
    format!("#{r:02x}{g:02x}{b:02x}")
}

/// `a` moved towards `b` by `t` (0 keeps `a`, 1 gives `b`).
fn mix(a: Rgb, b: Rgb, t: f32) -> Rgb {
    let lerp = |x: u8, y: u8| (f32::from(x) + (f32::from(y) - f32::from(x)) * t).round().clamp(0.0, 255.0) as u8;
    (lerp(a.0, b.0), lerp(a.1, b.1), lerp(a.2, b.2))
}

/// Relative luminance, 0 (black) to 1 (white), with the usual Rec. 709 weights.
fn luminance((r, g, b): Rgb) -> f32 {
    (0.2126 * f32::from(r) + 0.7152 * f32::from(g) + 0.0722 * f32::from(b)) / 255.0
}

/// The drawing of one icon in a 100 × 100 box, with `#C`, `#D` and `#L` colour placeholders.
fn glyph(icon: &str) -> &'static str {
    match icon {
        "lamp" => {
            r##"<path d="M30 14h40l14 32H16z" fill="#C"/><rect x="47" y="46" width="6" height="38" fill="#D"/><rect x="28" y="84" width="44" height="9" rx="4.5" fill="#D"/>"##
        }
        "bulb" => {
            r##"<circle cx="50" cy="38" r="27" fill="#C"/><path d="M40 60h20v10H40z" fill="#C"/><rect x="38" y="70" width="24" height="16" rx="3" fill="#D"/><rect x="43" y="86" width="14" height="6" rx="3" fill="#D"/><path d="M42 40q8-12 16 0" stroke="#L" stroke-width="4" fill="none"/>"##
        }
        "lantern" => {
            r##"<path d="M38 10h24M50 10v8" stroke="#D" stroke-width="5" fill="none"/><rect x="30" y="18" width="40" height="10" rx="4" fill="#D"/><rect x="33" y="28" width="34" height="50" rx="6" fill="#L" stroke="#C" stroke-width="5"/><circle cx="50" cy="53" r="9" fill="#C"/><rect x="28" y="78" width="44" height="12" rx="4" fill="#D"/>"##
        }
        "candle" => {
            r##"<rect x="32" y="42" width="36" height="50" rx="5" fill="#C"/><path d="M50 12c9 11 9 20 0 25c-9-5-9-14 0-25z" fill="#D"/><rect x="32" y="42" width="36" height="8" rx="4" fill="#L"/>"##
        }
        "desk" => {
            r##"<rect x="6" y="36" width="88" height="9" rx="2" fill="#C"/><rect x="12" y="45" width="7" height="45" fill="#D"/><rect x="81" y="45" width="7" height="45" fill="#D"/><rect x="50" y="45" width="31" height="24" fill="#L" stroke="#D" stroke-width="3"/><rect x="61" y="55" width="10" height="3" fill="#D"/>"##
        }
        "chair" => {
            r##"<rect x="28" y="8" width="44" height="42" rx="8" fill="#C"/><rect x="22" y="50" width="56" height="12" rx="5" fill="#D"/><path d="M30 62l-6 30M70 62l6 30M50 62v28" stroke="#D" stroke-width="6" stroke-linecap="round"/>"##
        }
        "shelf" => {
            r##"<rect x="18" y="6" width="64" height="88" rx="3" fill="none" stroke="#D" stroke-width="6"/><path d="M18 36h64M18 64h64" stroke="#D" stroke-width="5"/><rect x="26" y="14" width="8" height="19" fill="#C"/><rect x="36" y="18" width="8" height="15" fill="#L"/><rect x="56" y="44" width="18" height="17" fill="#C"/><rect x="28" y="71" width="22" height="20" rx="3" fill="#L"/>"##
        }
        "notebook" => {
            r##"<rect x="24" y="8" width="56" height="84" rx="6" fill="#C"/><rect x="34" y="8" width="4" height="84" fill="#D"/><rect x="46" y="24" width="24" height="12" rx="2" fill="#L"/><path d="M18 20h12M18 40h12M18 60h12M18 80h12" stroke="#D" stroke-width="4" stroke-linecap="round"/>"##
        }
        "pen" => {
            r##"<g transform="rotate(40 50 50)"><rect x="42" y="4" width="16" height="70" rx="4" fill="#C"/><path d="M42 74h16l-8 20z" fill="#L"/><path d="M48 88h4l-2 6z" fill="#D"/><rect x="42" y="4" width="16" height="14" rx="4" fill="#D"/></g>"##
        }
        "laptop" => {
            r##"<rect x="18" y="16" width="64" height="46" rx="5" fill="#D"/><rect x="23" y="21" width="54" height="36" rx="2" fill="#L"/><path d="M8 68h84l-6 12H14z" fill="#C"/>"##
        }
        "keyboard" => {
            r##"<rect x="4" y="28" width="92" height="44" rx="8" fill="#C"/><path d="M14 40h8M28 40h8M42 40h8M56 40h8M70 40h8M14 52h8M28 52h8M42 52h8M56 52h8M70 52h8M28 63h44" stroke="#L" stroke-width="6" stroke-linecap="round"/>"##
        }
        "mouse" => {
            r##"<rect x="28" y="10" width="44" height="80" rx="22" fill="#C"/><path d="M50 10v30M28 40h44" stroke="#D" stroke-width="3"/><rect x="47" y="20" width="6" height="12" rx="3" fill="#L"/>"##
        }
        "printer" => {
            r##"<rect x="28" y="8" width="44" height="28" fill="#L" stroke="#D" stroke-width="3"/><rect x="8" y="32" width="84" height="40" rx="8" fill="#C"/><rect x="26" y="62" width="48" height="30" fill="#L" stroke="#D" stroke-width="3"/><circle cx="80" cy="44" r="4" fill="#L"/>"##
        }
        "mug" => {
            r##"<path d="M20 24h52v50a14 14 0 0 1-14 14H34a14 14 0 0 1-14-14z" fill="#C"/><path d="M72 36h6a12 12 0 0 1 0 24h-6" fill="none" stroke="#D" stroke-width="7"/><path d="M36 8q-6 6 0 12M52 8q-6 6 0 12" stroke="#D" stroke-width="3" fill="none"/>"##
        }
        "coffee" => {
            r##"<rect x="20" y="6" width="60" height="20" rx="5" fill="#C"/><rect x="20" y="26" width="14" height="58" fill="#C"/><rect x="14" y="84" width="72" height="10" rx="3" fill="#D"/><path d="M46 50h26v22a8 8 0 0 1-8 8H54a8 8 0 0 1-8-8z" fill="#L" stroke="#D" stroke-width="3"/><rect x="52" y="26" width="14" height="6" fill="#D"/>"##
        }
        "pan" => {
            r##"<circle cx="40" cy="54" r="32" fill="#D"/><circle cx="40" cy="54" r="25" fill="#C"/><rect x="68" y="48" width="30" height="11" rx="5" fill="#D"/>"##
        }
        "pot" => {
            r##"<rect x="16" y="36" width="68" height="50" rx="10" fill="#C"/><path d="M10 46h8M82 46h8" stroke="#D" stroke-width="7" stroke-linecap="round"/><path d="M14 34q36-22 72 0z" fill="#D"/><rect x="44" y="14" width="12" height="8" rx="3" fill="#D"/>"##
        }
        "toaster" => {
            r##"<rect x="12" y="28" width="76" height="58" rx="16" fill="#C"/><rect x="28" y="20" width="14" height="18" rx="3" fill="#L"/><rect x="58" y="20" width="14" height="18" rx="3" fill="#L"/><rect x="14" y="86" width="10" height="6" fill="#D"/><rect x="76" y="86" width="10" height="6" fill="#D"/><circle cx="76" cy="60" r="5" fill="#D"/>"##
        }
        "knife" => {
            r##"<g transform="rotate(-35 50 50)"><path d="M44 6h10v56H38C38 36 40 18 44 6z" fill="#L" stroke="#D" stroke-width="2"/><rect x="40" y="62" width="16" height="34" rx="5" fill="#C"/><circle cx="48" cy="72" r="2" fill="#L"/><circle cx="48" cy="86" r="2" fill="#L"/></g>"##
        }
        "utensils" => {
            r##"<path d="M30 8v26a8 8 0 0 0 16 0V8M38 8v84" stroke="#C" stroke-width="6" fill="none" stroke-linecap="round"/><path d="M66 8c-10 8-10 32 0 40v44" stroke="#D" stroke-width="7" fill="none" stroke-linecap="round"/>"##
        }
        "bowl" => {
            r##"<path d="M8 40h84a42 42 0 0 1-84 0z" fill="#C"/><rect x="34" y="80" width="32" height="8" rx="4" fill="#D"/><rect x="6" y="36" width="88" height="8" rx="4" fill="#D"/>"##
        }
        "plate" => {
            r##"<circle cx="50" cy="50" r="42" fill="#C"/><circle cx="50" cy="50" r="28" fill="#L"/><circle cx="50" cy="50" r="28" fill="none" stroke="#D" stroke-width="2"/>"##
        }
        "glass" => {
            r##"<path d="M28 8h44c0 30-8 44-22 44S28 38 28 8z" fill="#L" stroke="#C" stroke-width="4"/><path d="M31 26h38c-2 16-9 22-19 22s-17-6-19-22z" fill="#C"/><path d="M50 52v32M32 90h36" stroke="#D" stroke-width="5" stroke-linecap="round"/>"##
        }
        "blender" => {
            r##"<path d="M28 6h44l-6 56H34z" fill="#L" stroke="#C" stroke-width="4"/><path d="M72 16h8v28h-10" fill="none" stroke="#C" stroke-width="4"/><rect x="26" y="62" width="48" height="30" rx="6" fill="#C"/><circle cx="50" cy="77" r="6" fill="#L"/>"##
        }
        "bottle" => {
            r##"<rect x="40" y="6" width="20" height="12" rx="3" fill="#D"/><path d="M42 18h16v10c12 6 14 12 14 22v36a8 8 0 0 1-8 8H36a8 8 0 0 1-8-8V50c0-10 2-16 14-22z" fill="#C"/><rect x="36" y="52" width="28" height="24" rx="3" fill="#L"/>"##
        }
        "jar" => {
            r##"<rect x="26" y="12" width="48" height="16" rx="4" fill="#D"/><rect x="20" y="28" width="60" height="62" rx="12" fill="#C"/><rect x="30" y="46" width="40" height="24" rx="4" fill="#L"/>"##
        }
        "lipstick" => {
            r##"<path d="M38 34V16l24-10v28z" fill="#C"/><rect x="34" y="34" width="32" height="14" rx="2" fill="#D"/><rect x="30" y="48" width="40" height="46" rx="5" fill="#C"/><rect x="30" y="62" width="40" height="5" fill="#L"/>"##
        }
        "hairdryer" => {
            r##"<path d="M14 22h48a20 20 0 0 1 0 40H14z" fill="#C"/><rect x="6" y="26" width="10" height="32" rx="3" fill="#D"/><path d="M46 58l-8 34h16l6-30z" fill="#D"/><circle cx="62" cy="42" r="10" fill="#L"/>"##
        }
        "bed" => {
            r##"<rect x="8" y="22" width="14" height="70" rx="4" fill="#D"/><rect x="22" y="52" width="72" height="24" rx="4" fill="#C"/><rect x="26" y="40" width="24" height="14" rx="6" fill="#L"/><rect x="22" y="76" width="72" height="6" fill="#D"/><rect x="86" y="82" width="8" height="10" fill="#D"/>"##
        }
        "pillow" => {
            r##"<path d="M14 24q36-10 72 0q-8 26 0 52q-36 10-72 0q8-26 0-52z" fill="#C"/><path d="M30 38q20-6 40 0" stroke="#L" stroke-width="4" fill="none" stroke-linecap="round"/>"##
        }
        "towel" => {
            r##"<rect x="14" y="14" width="72" height="12" rx="6" fill="#D"/><rect x="22" y="20" width="56" height="72" rx="4" fill="#C"/><path d="M22 72h56M22 80h56" stroke="#L" stroke-width="4"/>"##
        }
        "blanket" => {
            r##"<path d="M12 20h76v48c-12 10-28 16-44 16H12z" fill="#C"/><path d="M12 36h76M12 52h76" stroke="#L" stroke-width="5"/><path d="M88 68c-10 0-16 6-16 16" fill="#D"/>"##
        }
        "mat" => {
            r##"<rect x="10" y="30" width="80" height="40" rx="8" fill="#C"/><rect x="18" y="38" width="64" height="24" rx="4" fill="none" stroke="#L" stroke-width="3"/><path d="M6 36v28M94 36v28" stroke="#D" stroke-width="3" stroke-dasharray="3 3"/>"##
        }
        "curtain" => {
            r##"<rect x="6" y="8" width="88" height="6" rx="3" fill="#D"/><path d="M12 14h30c-6 26 0 52 6 78H12z" fill="#C"/><path d="M88 14H58c6 26 0 52-6 78h36z" fill="#C"/><path d="M22 20v68M78 20v68" stroke="#L" stroke-width="3"/>"##
        }
        "headphones" => {
            r##"<path d="M18 60V48a32 32 0 0 1 64 0v12" fill="none" stroke="#D" stroke-width="7"/><rect x="10" y="54" width="20" height="34" rx="8" fill="#C"/><rect x="70" y="54" width="20" height="34" rx="8" fill="#C"/>"##
        }
        "speaker" => {
            r##"<rect x="24" y="6" width="52" height="88" rx="12" fill="#C"/><circle cx="50" cy="62" r="18" fill="#D"/><circle cx="50" cy="62" r="7" fill="#L"/><circle cx="50" cy="26" r="8" fill="#D"/>"##
        }
        "phone" => {
            r##"<rect x="26" y="4" width="48" height="92" rx="10" fill="#D"/><rect x="30" y="12" width="40" height="72" rx="3" fill="#L"/><rect x="34" y="18" width="32" height="20" rx="3" fill="#C"/><circle cx="50" cy="90" r="3" fill="#L"/>"##
        }
        "watch" => {
            r##"<rect x="36" y="4" width="28" height="92" rx="8" fill="#D"/><rect x="24" y="24" width="52" height="52" rx="14" fill="#C"/><rect x="30" y="30" width="40" height="40" rx="10" fill="#L"/><path d="M50 38v14h10" stroke="#D" stroke-width="4" fill="none" stroke-linecap="round"/>"##
        }
        "tag" => {
            r##"<circle cx="50" cy="54" r="34" fill="#L" stroke="#C" stroke-width="6"/><circle cx="50" cy="54" r="12" fill="#C"/><path d="M50 20V8" stroke="#D" stroke-width="6" stroke-linecap="round"/>"##
        }
        "tv" => {
            r##"<rect x="6" y="14" width="88" height="58" rx="5" fill="#D"/><rect x="11" y="19" width="78" height="48" rx="2" fill="#C"/><path d="M40 72l-6 16M60 72l6 16M28 90h44" stroke="#D" stroke-width="5" stroke-linecap="round"/>"##
        }
        "camera" => {
            r##"<rect x="8" y="24" width="84" height="62" rx="10" fill="#C"/><rect x="20" y="16" width="20" height="10" rx="3" fill="#D"/><circle cx="50" cy="56" r="22" fill="#D"/><circle cx="50" cy="56" r="12" fill="#L"/><circle cx="78" cy="36" r="4" fill="#L"/>"##
        }
        "gamepad" => {
            r##"<path d="M26 28h48c14 0 22 20 22 40c0 14-14 18-22 6l-6-8H32l-6 8c-8 12-22 8-22-6c0-20 8-40 22-40z" fill="#C"/><path d="M26 42v16M18 50h16" stroke="#L" stroke-width="5" stroke-linecap="round"/><circle cx="70" cy="44" r="4" fill="#L"/><circle cx="78" cy="54" r="4" fill="#L"/>"##
        }
        "battery" => {
            r##"<rect x="22" y="14" width="56" height="80" rx="8" fill="#C"/><rect x="38" y="6" width="24" height="10" rx="2" fill="#D"/><rect x="22" y="14" width="56" height="28" rx="8" fill="#D"/><path d="M52 52l-10 16h12l-8 16" stroke="#L" stroke-width="4" fill="none" stroke-linecap="round"/>"##
        }
        "cable" => {
            r##"<rect x="30" y="6" width="40" height="40" rx="8" fill="#C"/><path d="M40 6V0M60 6V0" stroke="#D" stroke-width="6"/><path d="M50 46v14c0 16-20 14-20 28v8" fill="none" stroke="#D" stroke-width="6" stroke-linecap="round"/>"##
        }
        "blocks" => {
            r##"<rect x="10" y="56" width="38" height="30" rx="3" fill="#C"/><rect x="52" y="56" width="38" height="30" rx="3" fill="#D"/><rect x="30" y="22" width="40" height="30" rx="3" fill="#C"/><g fill="#L"><rect x="36" y="14" width="10" height="8" rx="2"/><rect x="54" y="14" width="10" height="8" rx="2"/></g>"##
        }
        "teddy" => {
            r##"<circle cx="28" cy="18" r="10" fill="#D"/><circle cx="72" cy="18" r="10" fill="#D"/><circle cx="50" cy="32" r="24" fill="#C"/><ellipse cx="50" cy="76" rx="28" ry="20" fill="#C"/><ellipse cx="50" cy="40" rx="9" ry="7" fill="#L"/><circle cx="41" cy="28" r="3" fill="#D"/><circle cx="59" cy="28" r="3" fill="#D"/>"##
        }
        "doll" => {
            r##"<circle cx="50" cy="22" r="16" fill="#L"/><path d="M34 20c0-14 32-14 32 0c-8-6-24-6-32 0z" fill="#D"/><path d="M50 38l-28 56h56z" fill="#C"/>"##
        }
        "ball" => {
            r##"<circle cx="50" cy="50" r="42" fill="#C"/><path d="M8 50h84M50 8v84M20 20q26 30 0 60M80 20q-26 30 0 60" stroke="#D" stroke-width="3" fill="none"/>"##
        }
        "racket" => {
            r##"<ellipse cx="44" cy="36" rx="28" ry="30" fill="#C"/><rect x="40" y="62" width="9" height="32" rx="4" fill="#D" transform="rotate(-20 44 64)"/><circle cx="76" cy="80" r="10" fill="#L" stroke="#D" stroke-width="2"/>"##
        }
        "dice" => {
            r##"<rect x="10" y="10" width="50" height="50" rx="10" fill="#C"/><rect x="46" y="46" width="44" height="44" rx="9" fill="#D"/><g fill="#L"><circle cx="24" cy="24" r="5"/><circle cx="35" cy="35" r="5"/><circle cx="46" cy="46" r="3"/><circle cx="60" cy="60" r="4"/><circle cx="76" cy="76" r="4"/></g>"##
        }
        "cards" => {
            r##"<rect x="14" y="18" width="44" height="64" rx="6" fill="#D" transform="rotate(-12 36 50)"/><rect x="40" y="14" width="44" height="64" rx="6" fill="#C" transform="rotate(10 62 46)"/><circle cx="62" cy="46" r="9" fill="#L"/>"##
        }
        "puzzle" => {
            r##"<path d="M12 28h22a10 10 0 1 1 20 0h22v22a10 10 0 1 1 0 20v22H54a10 10 0 1 0-20 0H12V70a10 10 0 1 0 0-20z" fill="#C"/>"##
        }
        "car" => {
            r##"<path d="M10 60l8-22h56l16 22v16H10z" fill="#C"/><path d="M26 42h18v16H20zM52 42h18l10 16H52z" fill="#L"/><circle cx="28" cy="78" r="10" fill="#D"/><circle cx="72" cy="78" r="10" fill="#D"/>"##
        }
        "house" => {
            r##"<path d="M50 8l42 36h-10v48H18V44H8z" fill="#C"/><rect x="42" y="60" width="16" height="32" fill="#D"/><rect x="24" y="50" width="12" height="12" fill="#L"/><rect x="64" y="50" width="12" height="12" fill="#L"/>"##
        }
        "tent" => {
            r##"<path d="M50 10L6 90h88z" fill="#C"/><path d="M50 10L34 90h32z" fill="#D"/><path d="M50 90L42 70h16z" fill="#L"/>"##
        }
        "dumbbell" => {
            r##"<rect x="20" y="46" width="60" height="8" rx="3" fill="#D"/><rect x="10" y="24" width="16" height="52" rx="4" fill="#C"/><rect x="74" y="24" width="16" height="52" rx="4" fill="#C"/><rect x="2" y="34" width="10" height="32" rx="3" fill="#D"/><rect x="88" y="34" width="10" height="32" rx="3" fill="#D"/>"##
        }
        "ring" => {
            r##"<circle cx="50" cy="50" r="34" fill="none" stroke="#C" stroke-width="12"/><circle cx="50" cy="50" r="22" fill="none" stroke="#L" stroke-width="4"/>"##
        }
        "helmet" => {
            r##"<path d="M10 66a40 40 0 0 1 80 0z" fill="#C"/><path d="M30 34v-8M50 30v-6M70 34v-8" stroke="#L" stroke-width="5"/><rect x="6" y="64" width="60" height="10" rx="4" fill="#D"/>"##
        }
        "bike" => {
            r##"<circle cx="22" cy="66" r="18" fill="none" stroke="#D" stroke-width="6"/><circle cx="78" cy="66" r="18" fill="none" stroke="#D" stroke-width="6"/><path d="M22 66l18-32h30l8 32M40 34l12 32l18-32M36 26h12M66 24h10" stroke="#C" stroke-width="6" fill="none" stroke-linecap="round"/>"##
        }
        "stroller" => {
            r##"<path d="M22 20a36 36 0 0 1 36 36H22z" fill="#C"/><path d="M22 56h56l-8 16H30z" fill="#D"/><path d="M78 56l10-30h8" stroke="#D" stroke-width="5" fill="none" stroke-linecap="round"/><circle cx="34" cy="84" r="9" fill="#D"/><circle cx="68" cy="84" r="9" fill="#D"/>"##
        }
        "diaper" => {
            r##"<path d="M8 24h84v14c-14 0-24 10-28 40H36C32 48 22 38 8 38z" fill="#C"/><rect x="8" y="24" width="84" height="10" fill="#L"/><circle cx="50" cy="52" r="6" fill="#L"/>"##
        }
        "paw" => {
            r##"<ellipse cx="50" cy="66" rx="22" ry="18" fill="#C"/><ellipse cx="24" cy="40" rx="9" ry="12" fill="#C"/><ellipse cx="40" cy="24" rx="9" ry="12" fill="#C"/><ellipse cx="60" cy="24" rx="9" ry="12" fill="#C"/><ellipse cx="76" cy="40" rx="9" ry="12" fill="#C"/>"##
        }
        "bone" => {
            r##"<g transform="rotate(-30 50 50)" fill="#C"><rect x="22" y="42" width="56" height="16" rx="4"/><circle cx="20" cy="40" r="11"/><circle cx="20" cy="60" r="11"/><circle cx="80" cy="40" r="11"/><circle cx="80" cy="60" r="11"/></g>"##
        }
        "bag" => {
            r##"<path d="M20 16h60l-4 10l8 64H16l8-64z" fill="#C"/><rect x="20" y="12" width="60" height="8" rx="2" fill="#D"/><circle cx="50" cy="56" r="16" fill="#L"/>"##
        }
        "fish" => {
            r##"<rect x="8" y="14" width="84" height="72" rx="10" fill="#L" stroke="#D" stroke-width="4"/><path d="M26 50q16-18 34 0q-18 18-34 0z" fill="#C"/><path d="M60 50l14-10v20z" fill="#C"/><path d="M8 74h84" stroke="#D" stroke-width="4"/>"##
        }
        "vase" => {
            r##"<path d="M38 8h24v12c16 10 20 24 20 40c0 20-12 32-32 32S18 80 18 60c0-16 4-30 20-40z" fill="#C"/><rect x="36" y="6" width="28" height="6" rx="3" fill="#D"/><path d="M28 56q22 8 44 0" stroke="#L" stroke-width="4" fill="none"/>"##
        }
        "frame" => {
            r##"<rect x="12" y="10" width="76" height="80" rx="3" fill="#C"/><rect x="22" y="20" width="56" height="60" fill="#L"/><path d="M26 74l16-22l12 14l8-8l14 16z" fill="#D"/>"##
        }
        "mirror" => {
            r##"<rect x="20" y="6" width="60" height="88" rx="30" fill="#C"/><rect x="27" y="13" width="46" height="74" rx="23" fill="#L"/><path d="M38 30l14-10M38 44l26-20" stroke="#C" stroke-width="3" stroke-linecap="round"/>"##
        }
        "plant" => {
            r##"<path d="M50 56C30 50 20 34 24 14c18 4 26 20 26 42zM50 56c20-6 30-22 26-42c-18 4-26 20-26 42z" fill="#C"/><path d="M50 56V26" stroke="#D" stroke-width="3"/><path d="M30 58h40l-6 34H36z" fill="#D"/>"##
        }
        "clock" => {
            r##"<circle cx="50" cy="50" r="42" fill="#C"/><circle cx="50" cy="50" r="34" fill="#L"/><path d="M50 26v24l16 10" stroke="#D" stroke-width="5" fill="none" stroke-linecap="round"/>"##
        }
        "box" => {
            r##"<path d="M10 30l40-18l40 18v44l-40 18l-40-18z" fill="#C"/><path d="M10 30l40 18l40-18M50 48v44" stroke="#D" stroke-width="4" fill="none"/><path d="M30 21l40 18" stroke="#L" stroke-width="5"/>"##
        }
        "basket" => {
            r##"<path d="M28 40a22 22 0 0 1 44 0" fill="none" stroke="#D" stroke-width="6"/><path d="M8 40h84l-10 50H18z" fill="#C"/><path d="M14 56h72M16 72h68M36 40l-4 50M64 40l4 50" stroke="#D" stroke-width="3"/>"##
        }
        "bin" => {
            r##"<path d="M14 22h72l-6 68H20z" fill="#C"/><rect x="10" y="16" width="80" height="10" rx="3" fill="#D"/><rect x="38" y="40" width="24" height="8" rx="4" fill="#L"/>"##
        }
        "hanger" => {
            r##"<path d="M50 30v-6a8 8 0 1 0-8-8" fill="none" stroke="#D" stroke-width="5" stroke-linecap="round"/><path d="M50 30L8 68c-4 4-2 10 4 10h76c6 0 8-6 4-10z" fill="none" stroke="#C" stroke-width="7" stroke-linejoin="round"/>"##
        }
        "shirt" => {
            r##"<path d="M34 10l-26 14l10 22l10-6v50h44V40l10 6l10-22l-26-14c-2 8-8 12-16 12s-14-4-16-12z" fill="#C"/><path d="M34 10c2 8 8 12 16 12s14-4 16-12" stroke="#D" stroke-width="3" fill="none"/>"##
        }
        _ => {
            r##"<path d="M50 6l12 28l30 3l-23 20l7 30l-26-16l-26 16l7-30l-23-20l30-3z" fill="#C"/><circle cx="50" cy="50" r="8" fill="#L"/>"##
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn svg(icon: &str) -> String {
        product_svg("Threshold Brass Task Desk Lamp", Some("Threshold"), "#c9a45c", icon)
    }

    #[test]
    fn every_icon_has_its_own_drawing_and_stays_small() {
        let star = glyph("no-such-icon");
        for icon in ICONS.iter().copied() {
            if icon != "star" {
                assert_ne!(glyph(icon), star, "{icon} falls back to the star");
            }
            let s = svg(icon);
            assert!(s.len() < 3 * 1024, "{icon}: {} bytes", s.len());
            assert!(!s.contains("#C") && !s.contains("#D") && !s.contains("#L"), "{icon}: placeholder left");
        }
        let mut sorted = ICONS.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), ICONS.len(), "ICONS has duplicates");
    }

    /// Checks that every element is closed in order, with a tiny tag-stack parser.
    fn assert_balanced(svg: &str) {
        let mut stack: Vec<&str> = Vec::new();
        let mut rest = svg;
        while let Some(start) = rest.find('<') {
            let end = rest[start..].find('>').expect("unterminated tag") + start;
            let tag = &rest[start + 1..end];
            if let Some(closing) = tag.strip_prefix('/') {
                assert_eq!(stack.pop(), Some(closing), "misnested </{closing}> in {svg}");
            } else if !tag.ends_with('/') {
                stack.push(tag.split_whitespace().next().expect("empty tag"));
            }
            rest = &rest[end + 1..];
        }
        assert!(stack.is_empty(), "unclosed {stack:?} in {svg}");
    }

    #[test]
    fn svg_is_well_formed_looking() {
        let s = svg("lamp");
        assert!(s.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 400 400\""));
        assert!(s.ends_with("</svg>"));
        for icon in ICONS {
            assert_balanced(&svg(icon));
        }
        assert_balanced(&product_svg("<a> & </b>", Some("<x>"), "#000000", "star"));
        assert!(s.contains(">Threshold</text>"));
        assert!(s.contains("<title>Threshold Brass Task Desk Lamp</title>"));
        assert!(s.contains("fill=\"#c9a45c\""), "the glyph uses the product colour");
    }

    #[test]
    fn text_is_escaped() {
        let s = product_svg("<script>alert(1)</script> & \"quotes\"", Some("Ben & Jerry's <b>"), "#123456", "mug");
        assert!(!s.contains("<script"), "{s}");
        assert!(!s.contains("<b>"), "{s}");
        assert!(s.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;"));
        assert!(s.contains("Ben &amp; Jerry&apos;s &lt;b&gt;"));
        assert_eq!(escape_xml("a\u{0}b\u{7}c\nd"), "abc d");
    }

    #[test]
    fn bad_colours_fall_back_and_odd_input_stays_bounded() {
        for bad in ["red", "#12345", "#1234567", "#ggggggg", "\"/><script>", "", "#ÿÿÿ"] {
            assert!(!is_hex_color(bad));
            let s = product_svg("Lamp", None, bad, "lamp");
            assert!(!s.contains("<script"), "{bad:?} leaked into the SVG");
            assert!(s.contains(&hex(mix((204, 0, 0), (255, 255, 255), 0.86))), "fallback background for {bad:?}");
        }
        assert!(is_hex_color("#A1b2C3"));
        let long = "&<>\"'".repeat(200);
        let s = product_svg(&long, Some(&long), "#000000", "unknown");
        assert!(s.len() < 3 * 1024, "{} bytes", s.len());
        assert_eq!(s.matches("<text").count(), 1, "a long brand still gets its label: {s}");
        assert!(s.contains("…</text>"), "the label is cut with an ellipsis: {s}");
        assert!(!product_svg("Lamp", None, "#000000", "lamp").contains("<text"), "no brand, no label");
        assert!(!product_svg("Lamp", Some("  "), "#000000", "lamp").contains("<text"));
    }

    #[test]
    fn rendering_is_deterministic_and_light_colours_stay_visible() {
        assert_eq!(svg("bed"), svg("bed"));
        let white = product_svg("Bookcase", Some("Room Essentials"), "#f4f4f2", "shelf");
        assert!(!white.contains("fill=\"#f4f4f2\""), "white glyph on a near-white card");
        assert_ne!(svg("bed"), product_svg("Threshold Brass Task Desk Lamp", Some("Threshold"), "#224488", "bed"));
    }
}
