//! Search ranking for the embedded catalog: pure functions over an index built once at load.
//!
//! Text goes through the same pipeline on both sides: lowercase, fold accents (`é` → `e`),
//! drop apostrophes (`Burt's` → `burts`), split on anything that is not a letter or digit, drop
//! stopwords, and reduce plurals to singulars (`lamps` → `lamp`, `shelves` → `shelf`). Words
//! joined by `-`, `&` or `/` are also indexed run together (`K-Cup` → `kcup`, `Wi-Fi` → `wifi`).
//!
//! A query term matches a product when one of its variants occurs in the title, brand,
//! category or keywords (weighted in that order; a title's leading brand name counts as brand,
//! so "cat" prefers cat food to Cat & Jack). The variants of a term are the term itself
//! when the catalog knows it, otherwise the catalog words within a Damerau–Levenshtein distance
//! of 1 (terms of 4+ characters) or 2 (8+ characters), so `lmap` finds lamps but `lamp` never
//! drifts to `lamb`. Products matching more terms always rank first, and when enough products
//! match the whole query, products matching only part of it are dropped (see
//! [`SearchIndex::search`]). Adjacent query terms found adjacent in a title earn a phrase bonus,
//! and a term naming what the product is (the last word of the title before ` - `, ` with `…)
//! earns a head bonus, so "desk" ranks desks above desk lamps.
//!
//! A price written in the query ("desk lamp under $40") becomes a price cap and is not searched
//! for as a word. Everything is deterministic and no input can panic.

use std::cmp::{Ordering, Reverse};
use std::collections::HashMap;

use shared::money::Cents;
use shared::product::SortOrder;

/// Words that carry no product meaning. A query made only of these matches nothing. Sorted, for
/// binary search (a test checks).
const STOPWORDS: &[&str] = &[
    "a",
    "about",
    "above",
    "all",
    "an",
    "and",
    "any",
    "are",
    "around",
    "as",
    "at",
    "be",
    "below",
    "best",
    "bucks",
    "buy",
    "by",
    "can",
    "cheap",
    "cheaper",
    "cheapest",
    "dollar",
    "dollars",
    "find",
    "for",
    "from",
    "get",
    "give",
    "good",
    "have",
    "i",
    "im",
    "in",
    "into",
    "is",
    "it",
    "item",
    "items",
    "less",
    "like",
    "look",
    "looking",
    "max",
    "maximum",
    "me",
    "my",
    "need",
    "nice",
    "of",
    "on",
    "or",
    "over",
    "please",
    "product",
    "products",
    "search",
    "show",
    "some",
    "something",
    "target",
    "than",
    "that",
    "the",
    "this",
    "to",
    "under",
    "usd",
    "want",
    "what",
    "which",
    "with",
    "within",
    "you",
    "your",
];

/// Plurals that the suffix rules would get wrong.
const IRREGULAR: &[(&str, &str)] = &[
    ("calves", "calf"),
    ("children", "child"),
    ("feet", "foot"),
    ("geese", "goose"),
    ("halves", "half"),
    ("hooves", "hoof"),
    ("knives", "knife"),
    ("leaves", "leaf"),
    ("lives", "life"),
    ("loaves", "loaf"),
    ("men", "man"),
    ("mice", "mouse"),
    ("people", "person"),
    ("scarves", "scarf"),
    ("series", "series"),
    ("shelves", "shelf"),
    ("species", "species"),
    ("teeth", "tooth"),
    ("wives", "wife"),
    ("wolves", "wolf"),
    ("women", "woman"),
];

/// Words that introduce a price cap: "under $40", "less than 25", "up to $100".
const PRICE_CAP_WORDS: &[&str] = &["under", "below", "less", "max", "maximum", "cheaper", "within", "upto", "up"];
/// A number followed by one of these is a size or an age, not a price ("under 5 lbs").
const UNITS: &[&str] = &[
    "year", "years", "yr", "yrs", "month", "months", "mo", "lb", "lbs", "pound", "pounds", "oz", "inch", "inches",
    "ft", "feet", "foot", "qt", "gal", "gallon", "gallons", "pc", "pcs", "piece", "pieces", "ct", "count", "pk",
    "pack", "w", "watt", "watts", "mm", "cm", "m", "l", "ml", "person", "people", "cup", "cups", "gb", "tb", "percent",
];

/// Partial matches are dropped only when at least this many products match more terms.
const RELAX_BELOW: usize = 6;
/// At most this many distinct terms of a query are used.
const MAX_TERMS: usize = 12;
/// Queries are cut to this many characters before they are parsed.
const MAX_QUERY_CHARS: usize = 512;
/// Longer words are matched exactly only.
const MAX_FUZZY_CHARS: usize = 32;

/// Points for a term found in each field, in the order title, brand, category, keywords.
const FIELD_POINTS: [u32; 4] = [100, 70, 50, 35];
const TITLE: usize = 0;
const KEYWORDS: usize = 3;
/// Percent of the field points a variant earns: exact, one edit, two edits.
const VARIANT_PERCENT: [u32; 3] = [100, 80, 65];
const HEAD_BONUS: u32 = 40;
const TITLE_PHRASE_BONUS: u32 = 60;
const KEYWORD_PHRASE_BONUS: u32 = 25;

/// Lowercases `text` and folds accented Latin letters to ASCII (`Crème Brûlée` → `creme brulee`).
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => out.push('a'),
            'ç' | 'ć' | 'č' => out.push('c'),
            'ď' | 'đ' | 'ð' => out.push('d'),
            'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ė' | 'ę' | 'ě' => out.push('e'),
            'ì' | 'í' | 'î' | 'ï' | 'ī' | 'į' | 'ı' => out.push('i'),
            'ñ' | 'ń' | 'ň' => out.push('n'),
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => out.push('o'),
            'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' | 'ų' => out.push('u'),
            'ý' | 'ÿ' => out.push('y'),
            'ś' | 'š' | 'ş' => out.push('s'),
            'ź' | 'ż' | 'ž' => out.push('z'),
            'ł' => out.push('l'),
            'ř' => out.push('r'),
            'ť' => out.push('t'),
            'ß' => out.push_str("ss"),
            'æ' => out.push_str("ae"),
            'œ' => out.push_str("oe"),
            'þ' => out.push_str("th"),
            '’' | 'ʼ' | '‘' | '`' => out.push('\''),
            c => out.push(c),
        }
    }
    out
}

/// A label compared loosely: folded, trimmed, inner whitespace collapsed ("  HOME  office" →
/// "home office"). Used for case-insensitive category lookups.
pub fn normalize_label(text: &str) -> String {
    fold(text).split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Reduces an English plural to its singular. Only lowercase alphabetic words of 4+ letters
/// change; the same function runs on the catalog and on queries, so both sides always agree.
pub fn stem(word: &str) -> String {
    if let Some(singular) = irregular(word) {
        return singular.to_owned();
    }
    let stemmed = stem_rules(word);
    irregular(&stemmed).map(str::to_owned).unwrap_or(stemmed)
}

fn irregular(word: &str) -> Option<&'static str> {
    IRREGULAR.iter().find(|(plural, _)| *plural == word).map(|(_, singular)| *singular)
}

fn stem_rules(word: &str) -> String {
    if word.chars().count() < 4 || !word.chars().all(|c| c.is_ascii_lowercase()) {
        return word.to_owned();
    }
    let len = word.len(); // ASCII from here on, so byte offsets are char offsets
    let cut = |n: usize| word[..len - n].to_owned();
    if word.ends_with("ss") || word.ends_with("us") || word.ends_with("is") {
        word.to_owned() // glass, dress, cactus, tennis
    } else if word.ends_with("ies") && len > 4 {
        format!("{}y", cut(3)) // batteries → battery, cookies → cooky (as cookie below)
    } else if word.ends_with("ie") && len > 4 {
        format!("{}y", cut(2)) // cookie → cooky, onesie → onesy: agrees with the plural
    } else if word.ends_with("sses") || word.ends_with("xes") || word.ends_with("ches") || word.ends_with("shes") {
        cut(2) // dresses → dress, boxes → box, benches → bench, brushes → brush
    } else if word.ends_with('s') {
        cut(1) // lamps → lamp, vases → vase, olives → olive
    } else {
        word.to_owned()
    }
}

/// One word of text as the tokenizer saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct RawToken {
    /// Folded, apostrophes removed, not yet stemmed.
    text: String,
    /// Joined to the previous word by a single `-`, `&` or `/` ("K-Cup", "up&up").
    joined: bool,
    /// Preceded by a `$`.
    dollar: bool,
    /// Separated from the previous word by a single `.` ("39.99").
    after_dot: bool,
}

/// Splits folded text into words: runs of letters and digits. Apostrophes inside words are
/// dropped, and dots between letters are dropped (`e.l.f.` → `elf`).
fn raw_tokens(text: &str) -> Vec<RawToken> {
    let folded = fold(text);
    let chars: Vec<char> = folded.chars().take(MAX_QUERY_CHARS * 2).collect();
    let mut tokens = Vec::new();
    let mut current = String::new();
    let mut separator = String::new();
    // A letter standing alone between non-alphanumerics or dots, like each letter of "e.l.f.".
    let lone_letter = |k: usize| {
        chars.get(k).is_some_and(|c| c.is_alphabetic())
            && (k == 0 || chars.get(k - 1).is_some_and(|c| !c.is_alphanumeric()))
            && chars.get(k + 1).is_none_or(|c| !c.is_alphanumeric())
    };
    for (i, &c) in chars.iter().enumerate() {
        if c.is_alphanumeric() {
            current.push(c);
        } else if c == '\'' && !current.is_empty() {
            // "burt's" → "burts"
        } else if c == '.' && !current.is_empty() && i > 0 && lone_letter(i - 1) && lone_letter(i + 1) {
            // "e.l.f." → "elf": only single letters run together, so "Dr.Brown" stays apart
        } else {
            if !current.is_empty() {
                push_token(&mut tokens, std::mem::take(&mut current), &separator);
                separator.clear();
            }
            separator.push(c);
        }
    }
    if !current.is_empty() {
        push_token(&mut tokens, current, &separator);
    }
    tokens
}

fn push_token(tokens: &mut Vec<RawToken>, text: String, separator_before: &str) {
    let first = tokens.is_empty();
    tokens.push(RawToken {
        text,
        joined: !first && matches!(separator_before, "-" | "&" | "/"),
        dollar: separator_before.contains('$'),
        after_dot: !first && separator_before == ".",
    });
}

fn is_stopword(word: &str) -> bool {
    STOPWORDS.binary_search(&word).is_ok()
}

fn is_number(word: &str) -> bool {
    !word.is_empty() && word.bytes().all(|b| b.is_ascii_digit())
}

/// A query after parsing: what to look for and any price cap written in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedQuery {
    /// Distinct stemmed terms, in query order, stopwords and prices removed.
    pub terms: Vec<String>,
    /// A cap written in the text, e.g. "under $40" → 4000 cents.
    pub max_price: Option<Cents>,
}

/// Parses a shopper's query into search terms and an optional price cap.
pub fn parse_query(text: &str) -> ParsedQuery {
    let text: String = text.chars().take(MAX_QUERY_CHARS).collect();
    let tokens = raw_tokens(&text);
    let mut skip = vec![false; tokens.len()];
    let mut max_price: Option<Cents> = None;

    for i in 0..tokens.len() {
        let token = &tokens[i];
        if !is_number(&token.text) {
            continue;
        }
        // Walk back over "than", "to" and "of" to the word that introduces the cap, if any.
        let cap_word = {
            let mut j = i;
            let mut found = None;
            while j > 0 {
                j -= 1;
                let word = tokens[j].text.as_str();
                if matches!(word, "than" | "to" | "of") {
                    continue;
                }
                let up_to = word != "up" || tokens.get(j + 1).is_some_and(|t| t.text == "to");
                if PRICE_CAP_WORDS.contains(&word) && up_to {
                    found = Some(j);
                }
                break;
            }
            found
        };
        let after_cap_word = cap_word.is_some();
        let next = tokens.get(i + 1);
        let cents_part = next.filter(|n| n.after_dot && n.text.len() == 2 && is_number(&n.text));
        let unit_after =
            next.filter(|n| cents_part.is_none() && !n.joined).is_some_and(|n| UNITS.contains(&n.text.as_str()));
        let glued_unit = next.is_some_and(|n| n.joined);
        if token.dollar || (after_cap_word && !unit_after && !glued_unit) {
            skip[i] = true;
            if cents_part.is_some() {
                skip[i + 1] = true;
            }
            if let Some(j) = cap_word {
                skip[j..i].iter_mut().for_each(|s| *s = true);
                if let Some(cents) = price_cents(&token.text, cents_part.map(|n| n.text.as_str())) {
                    max_price = Some(max_price.map_or(cents, |m| m.min(cents)));
                }
            }
        }
    }

    let mut terms: Vec<String> = Vec::new();
    for (token, skipped) in tokens.iter().zip(skip) {
        if skipped || is_stopword(&token.text) {
            continue;
        }
        let term = stem(&token.text);
        if is_stopword(&term) || terms.contains(&term) {
            continue;
        }
        terms.push(term);
        if terms.len() == MAX_TERMS {
            break;
        }
    }
    ParsedQuery { terms, max_price }
}

fn price_cents(dollars: &str, cents: Option<&str>) -> Option<Cents> {
    if dollars.len() > 7 {
        return None;
    }
    let dollars: i64 = dollars.parse().ok()?;
    let cents: i64 = cents.map_or(Ok(0), str::parse).ok()?;
    Some(Cents(dollars * 100 + cents))
}

/// The searchable words of a catalog field: stemmed tokens in order, plus the run-together
/// forms of joined words (`K-Cup` → `kcup`). Stopwords are dropped.
fn field_words(text: &str) -> (Vec<String>, Vec<String>) {
    let tokens = raw_tokens(text);
    let mut words = Vec::new();
    let mut compounds = Vec::new();
    let mut chain = String::new();
    let mut chain_len = 0;
    for token in &tokens {
        if token.joined {
            chain.push_str(&token.text);
            chain_len += 1;
        } else {
            if chain_len > 1 {
                compounds.push(stem(&chain));
            }
            chain = token.text.clone();
            chain_len = 1;
        }
        if !is_stopword(&token.text) {
            words.push(stem(&token.text));
        }
    }
    if chain_len > 1 {
        compounds.push(stem(&chain));
    }
    (words, compounds)
}

/// The last real word of the title's name part ("Room Essentials LED Desk Lamp with Flexible
/// Neck - White" → `lamp`): what the product is.
fn head_word(title: &str) -> Option<String> {
    let folded = fold(title);
    let cut = [" - ", " with ", " for ", " by ", " (", ", ", " in "]
        .iter()
        .filter_map(|p| folded.find(p))
        .min()
        .unwrap_or(folded.len());
    let (words, _) = field_words(&folded[..cut]);
    words.into_iter().rev().find(|w| w.chars().all(char::is_alphabetic))
}

/// The folded title without a leading brand name ("Threshold Brass Lamp" → "brass lamp"), so
/// brand words score as brand. Titles that are only the brand keep it.
fn without_brand(title: &str, brand: &str) -> String {
    let (title, brand) = (fold(title), fold(brand.trim()));
    match title.strip_prefix(brand.as_str()) {
        Some(rest)
            if !brand.is_empty()
                && rest.starts_with(|c: char| !c.is_alphanumeric())
                && rest.chars().any(char::is_alphanumeric) =>
        {
            rest.to_owned()
        }
        _ => title,
    }
}

/// What the index needs to know about one product.
#[derive(Debug, Clone, Copy)]
pub struct Document<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub brand: Option<&'a str>,
    pub category: &'a str,
    pub keywords: &'a [String],
    pub price: Cents,
    /// In tenths of a star; 0 when unrated.
    pub rating: u8,
    pub review_count: u32,
}

type WordId = u32;

#[derive(Debug, Clone)]
struct IndexedDoc {
    /// Per field (title, brand, category, keywords): segments of word ids in reading order.
    /// Keywords have one segment each; phrases never span segments.
    segments: [Vec<Vec<WordId>>; 4],
    head: Option<WordId>,
    /// Every word of the document, run-together forms (compounds) included, with the fields it
    /// appears in (a bit per field), sorted by word: what scoring asks for each query term.
    fields: Vec<(WordId, u8)>,
    id: String,
    price: Cents,
    rating: u8,
    review_count: u32,
}

impl IndexedDoc {
    /// The fields `word` appears in, a bit per field (bit 0: title).
    fn fields_of(&self, word: WordId) -> u8 {
        self.fields.binary_search_by_key(&word, |&(w, _)| w).map_or(0, |i| self.fields[i].1)
    }
}

/// Every word of a document with the fields it appears in (a bit per field), sorted by word.
/// `compounds`: per field, run-together forms, matched like words but not used for phrases.
fn word_fields(segments: &[Vec<Vec<WordId>>; 4], compounds: &[Vec<WordId>; 4]) -> Vec<(WordId, u8)> {
    let mut fields: Vec<(WordId, u8)> = Vec::new();
    for field in 0..4 {
        let words = segments[field].iter().flatten().chain(&compounds[field]);
        fields.extend(words.map(|&word| (word, 1u8 << field)));
    }
    fields.sort_unstable();
    fields.dedup_by(|later, kept| {
        let same = later.0 == kept.0;
        if same {
            kept.1 |= later.1;
        }
        same
    });
    fields
}

/// Word id → the positions of the documents having that word in a field or compound.
fn postings(docs: &[IndexedDoc], words: usize) -> Vec<Vec<u32>> {
    let mut postings = vec![Vec::new(); words];
    for (i, doc) in docs.iter().enumerate() {
        let position = u32::try_from(i).unwrap_or(u32::MAX);
        for &(word, _) in &doc.fields {
            if let Some(list) = postings.get_mut(word as usize) {
                list.push(position);
            }
        }
    }
    postings
}

/// A term's acceptable spellings in the catalog's vocabulary and how much each is worth.
type Variants = Vec<(WordId, u32)>;

/// How well one product matches a query; greater is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Relevance {
    /// How many distinct query terms the product matches.
    pub matched: u16,
    /// Field, phrase and head points.
    pub points: u32,
}

/// The outcome of [`SearchIndex::search`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ranked {
    /// Matches after the price filter, before `limit`.
    pub total: usize,
    /// Positions of the products (in the order given to [`SearchIndex::build`]), best first.
    pub hits: Vec<usize>,
}

/// The precomputed search index over a fixed list of products.
#[derive(Debug, Clone)]
pub struct SearchIndex {
    /// Every word of the catalog, sorted; a word's id is its position.
    vocabulary: Vec<String>,
    /// Word → id.
    lookup: HashMap<String, WordId>,
    /// The vocabulary as characters, for typo matching.
    vocabulary_chars: Vec<Vec<char>>,
    docs: Vec<IndexedDoc>,
    /// Word id → the documents having it in some field, ascending: a search scores only
    /// documents that have one of its words.
    postings: Vec<Vec<u32>>,
}

impl SearchIndex {
    /// Indexes `documents`; search results refer to them by position.
    pub fn build<'a>(documents: impl IntoIterator<Item = Document<'a>>) -> Self {
        struct Pending {
            segments: [Vec<Vec<String>>; 4],
            compounds: [Vec<String>; 4],
            head: Option<String>,
            id: String,
            price: Cents,
            rating: u8,
            review_count: u32,
        }

        let mut pending = Vec::new();
        for doc in documents {
            let mut segments: [Vec<Vec<String>>; 4] = Default::default();
            let mut compounds: [Vec<String>; 4] = Default::default();
            let keywords: Vec<&str> = doc.keywords.iter().map(String::as_str).collect();
            let title = doc.brand.map_or_else(|| fold(doc.title), |brand| without_brand(doc.title, brand));
            let fields: [Vec<&str>; 4] = [vec![&title], doc.brand.into_iter().collect(), vec![doc.category], keywords];
            for (field, texts) in fields.iter().enumerate() {
                for text in texts {
                    let (words, joined) = field_words(text);
                    segments[field].push(words);
                    compounds[field].extend(joined);
                }
            }
            pending.push(Pending {
                segments,
                compounds,
                head: head_word(doc.title),
                id: doc.id.to_owned(),
                price: doc.price,
                rating: doc.rating,
                review_count: doc.review_count,
            });
        }

        let mut vocabulary: Vec<String> = pending
            .iter()
            .flat_map(|p| p.segments.iter().flatten().flatten().chain(p.compounds.iter().flatten()))
            .cloned()
            .collect();
        vocabulary.sort_unstable();
        vocabulary.dedup();
        let lookup: HashMap<String, WordId> = vocabulary
            .iter()
            .enumerate()
            .map(|(i, w)| (w.clone(), WordId::try_from(i).unwrap_or(WordId::MAX)))
            .collect();
        let id_of = |w: &String| lookup.get(w).copied().unwrap_or(WordId::MAX);

        let docs: Vec<IndexedDoc> = pending
            .into_iter()
            .map(|p| {
                let segments = p.segments.map(|f| f.iter().map(|s| s.iter().map(id_of).collect()).collect());
                let compounds: [Vec<WordId>; 4] = p.compounds.map(|f| f.iter().map(id_of).collect());
                IndexedDoc {
                    fields: word_fields(&segments, &compounds),
                    segments,
                    head: p.head.as_ref().and_then(|h| lookup.get(h).copied()),
                    id: p.id,
                    price: p.price,
                    rating: p.rating,
                    review_count: p.review_count,
                }
            })
            .collect();
        let vocabulary_chars = vocabulary.iter().map(|w| w.chars().collect()).collect();
        let postings = postings(&docs, vocabulary.len());
        SearchIndex { vocabulary, lookup, vocabulary_chars, docs, postings }
    }

    /// How many products are indexed.
    pub fn len(&self) -> usize {
        self.docs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }

    /// The catalog words a term may stand for: itself if the catalog has it, else its near
    /// misspellings.
    fn variants(&self, term: &str) -> Variants {
        if let Some(&id) = self.lookup.get(term) {
            return vec![(id, VARIANT_PERCENT[0])];
        }
        let chars: Vec<char> = term.chars().collect();
        let max = match chars.len() {
            n if n > MAX_FUZZY_CHARS => return Vec::new(),
            0..=3 => return Vec::new(),
            4..=7 => 1,
            _ => 2,
        };
        if chars.iter().any(|c| c.is_ascii_digit()) {
            return Vec::new();
        }
        self.vocabulary_chars
            .iter()
            .enumerate()
            .filter(|(_, word)| !word.iter().any(|c| c.is_ascii_digit()))
            .filter_map(|(i, word)| {
                let distance = bounded_distance(&chars, word, max)?;
                let id = WordId::try_from(i).ok()?;
                Some((id, VARIANT_PERCENT[distance.min(2)]))
            })
            .collect()
    }

    /// Scores one document; `None` when it matches no term.
    fn score(&self, doc: &IndexedDoc, variants: &[Variants]) -> Option<Relevance> {
        let mut matched = 0u16;
        let mut points = 0u32;
        for term in variants {
            let mut best = 0;
            for &(word, percent) in term {
                let fields = doc.fields_of(word);
                let field = FIELD_POINTS
                    .iter()
                    .enumerate()
                    .filter(|(field, _)| fields & (1 << field) != 0)
                    .map(|(_, points)| *points)
                    .max()
                    .unwrap_or(0);
                let head = if doc.head == Some(word) { HEAD_BONUS } else { 0 };
                best = best.max((field + head) * percent / 100);
            }
            if best > 0 {
                matched += 1;
                points += best;
            }
        }
        if matched == 0 {
            return None;
        }
        for pair in variants.windows(2) {
            let [left, right] = pair else { continue };
            for (field, bonus) in [(TITLE, TITLE_PHRASE_BONUS), (KEYWORDS, KEYWORD_PHRASE_BONUS)] {
                let adjacent = doc.segments[field].iter().any(|segment| {
                    segment
                        .windows(2)
                        .any(|w| left.iter().any(|&(id, _)| id == w[0]) && right.iter().any(|&(id, _)| id == w[1]))
                });
                if adjacent {
                    points += bonus;
                }
            }
        }
        Some(Relevance { matched, points })
    }

    /// Searches the catalog.
    ///
    /// Products matching more query terms rank first. When the best product matches `b` terms,
    /// only products matching `b` terms are kept, unless fewer than six do: then the bar drops
    /// one term at a time (never below half of `b`) until six products clear it. So "desk lamp"
    /// lists only desk lamps, while "toys for kids" also shows toys not labelled for kids. The
    /// bar is set before the price filter, so a tight budget shows fewer desk lamps rather than
    /// cheap desks. A price cap written in the query ("under $40") applies on top of
    /// `max_price`. `total` counts matches after the price filter; `hits` holds at most `limit`.
    pub fn search(&self, text: &str, max_price: Option<Cents>, sort: SortOrder, limit: usize) -> Ranked {
        let parsed = parse_query(text);
        let variants: Vec<Variants> = parsed.terms.iter().map(|t| self.variants(t)).collect();
        let cap = match (max_price, parsed.max_price) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };

        // Vectors sized up front: collecting a filtered iterator grows them step by step.
        let candidates = self.candidates(&variants);
        let mut scored: Vec<(usize, Relevance)> = Vec::with_capacity(candidates.len());
        scored.extend(candidates.into_iter().filter_map(|i| self.score(&self.docs[i], &variants).map(|r| (i, r))));
        let best = scored.iter().map(|(_, r)| r.matched).max().unwrap_or(0);
        let floor = best.div_ceil(2).max(1);
        let mut required = best.max(1);
        while required > floor && scored.iter().filter(|(_, r)| r.matched >= required).count() < RELAX_BELOW {
            required -= 1;
        }

        let mut hits: Vec<(usize, Relevance)> = Vec::with_capacity(scored.len());
        hits.extend(
            scored
                .into_iter()
                .filter(|(_, r)| r.matched >= required)
                .filter(|(i, _)| cap.is_none_or(|cap| self.docs[*i].price <= cap)),
        );
        hits.sort_by(|a, b| self.compare(a, b, sort));
        let total = hits.len();
        hits.truncate(limit);
        Ranked { total, hits: hits.into_iter().map(|(i, _)| i).collect() }
    }

    /// The documents having at least one variant of some term, ascending (the only ones
    /// [`SearchIndex::score`] can match).
    fn candidates(&self, variants: &[Variants]) -> Vec<usize> {
        let mut seen = vec![false; self.docs.len()];
        let mut count = 0;
        for &(word, _) in variants.iter().flatten() {
            for &doc in self.postings.get(word as usize).map_or(&[][..], Vec::as_slice) {
                count += usize::from(!std::mem::replace(&mut seen[doc as usize], true));
            }
        }
        let mut candidates = Vec::with_capacity(count);
        candidates.extend(seen.iter().enumerate().filter(|(_, hit)| **hit).map(|(i, _)| i));
        candidates
    }

    fn compare(&self, (ia, ra): &(usize, Relevance), (ib, rb): &(usize, Relevance), sort: SortOrder) -> Ordering {
        let (a, b) = (&self.docs[*ia], &self.docs[*ib]);
        let relevance = || {
            rb.cmp(ra)
                .then_with(|| b.rating.cmp(&a.rating))
                .then_with(|| b.review_count.cmp(&a.review_count))
                .then_with(|| a.id.cmp(&b.id))
        };
        match sort {
            SortOrder::Relevance => relevance(),
            SortOrder::PriceLow => a.price.cmp(&b.price).then_with(relevance),
            SortOrder::PriceHigh => b.price.cmp(&a.price).then_with(relevance),
            SortOrder::Rating => (Reverse(a.rating), Reverse(a.review_count))
                .cmp(&(Reverse(b.rating), Reverse(b.review_count)))
                .then_with(relevance),
        }
    }

    /// The indexed words, sorted (for diagnostics and tests).
    pub fn vocabulary(&self) -> &[String] {
        &self.vocabulary
    }
}

/// The optimal-string-alignment distance between `a` and `b` (insertions, deletions,
/// substitutions and transpositions of neighbours), or `None` when it exceeds `max`.
pub fn bounded_distance(a: &[char], b: &[char], max: usize) -> Option<usize> {
    if a.len().abs_diff(b.len()) > max {
        return None;
    }
    let width = b.len() + 1;
    let mut before: Vec<usize> = vec![0; width]; // row i - 2
    let mut previous: Vec<usize> = (0..width).collect(); // row i - 1
    let mut current: Vec<usize> = vec![0; width];
    for i in 1..=a.len() {
        current[0] = i;
        let mut row_min = current[0];
        for j in 1..width {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut value = (previous[j] + 1).min(current[j - 1] + 1).min(previous[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                value = value.min(before[j - 2] + 1);
            }
            current[j] = value;
            row_min = row_min.min(value);
        }
        if row_min > max {
            return None;
        }
        std::mem::swap(&mut before, &mut previous);
        std::mem::swap(&mut previous, &mut current);
    }
    let distance = previous[b.len()];
    (distance <= max).then_some(distance)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    struct Item {
        id: &'static str,
        title: &'static str,
        brand: &'static str,
        category: &'static str,
        keywords: Vec<String>,
        price: i64,
        rating: u8,
        reviews: u32,
    }

    fn item(
        id: &'static str,
        title: &'static str,
        brand: &'static str,
        category: &'static str,
        price: i64,
        rating: u8,
    ) -> Item {
        Item { id, title, brand, category, keywords: Vec::new(), price, rating, reviews: u32::from(rating) * 10 }
    }

    fn index(items: &[Item]) -> SearchIndex {
        SearchIndex::build(items.iter().map(|i| Document {
            id: i.id,
            title: i.title,
            brand: Some(i.brand),
            category: i.category,
            keywords: &i.keywords,
            price: Cents(i.price),
            rating: i.rating,
            review_count: i.reviews,
        }))
    }

    fn sample() -> Vec<Item> {
        let mut items = vec![
            item("10000001", "Threshold Brass Desk Lamp with USB Port", "Threshold", "Lighting", 3499, 45),
            item("10000002", "Room Essentials Writing Desk - Black", "Room Essentials", "Home Office", 6000, 44),
            item("10000003", "Project 62 Arc Floor Lamp - Black", "Project 62", "Lighting", 8999, 47),
            item("10000004", "Room Essentials Lamp for Desk - White", "Room Essentials", "Lighting", 1500, 40),
            item("10000005", "Purina ONE Lamb & Rice Dry Dog Food", "Purina", "Pets", 3299, 48),
            item("10000006", "Keurig K-Mini Coffee Maker", "Keurig", "Kitchen & Dining", 7999, 46),
            item("10000007", "Threshold Queen Sheet Set", "Threshold", "Bedding & Bath", 4000, 43),
            item("10000008", "Desk Organizer with Lamp Holder", "Brightroom", "Home Office", 1200, 50),
        ];
        items[7].keywords = words(&["desktop", "storage"]);
        items[1].keywords = words(&["computer desk"]);
        items
    }

    fn ids(index: &SearchIndex, items: &[Item], query: &str, sort: SortOrder) -> Vec<&'static str> {
        index.search(query, None, sort, 50).hits.into_iter().map(|i| items[i].id).collect()
    }

    #[test]
    fn every_document_a_query_matches_is_a_candidate() {
        let items = sample();
        let index = index(&items);
        let queries =
            ["desk lamp", "lmap", "kmini", "k-mini coffee", "lamb", "desktop storage", "threshold", "zzz", ""];
        for query in queries {
            let variants: Vec<Variants> = parse_query(query).terms.iter().map(|t| index.variants(t)).collect();
            let candidates = index.candidates(&variants);
            for (i, doc) in index.docs.iter().enumerate() {
                if index.score(doc, &variants).is_some() {
                    assert!(candidates.contains(&i), "{query:?} matches {} but it is no candidate", items[i].id);
                }
            }
        }
        let lamp: Vec<Variants> = vec![index.variants("lamp")];
        assert_eq!(index.candidates(&lamp), vec![0, 2, 3, 7], "exactly the lamps, in catalog order");
    }

    #[test]
    fn folding_and_tokenizing() {
        assert_eq!(fold("Crème BRÛLÉE Æsop Straße"), "creme brulee aesop strasse");
        assert_eq!(normalize_label("  HOME   Office "), "home office");
        let t: Vec<String> = raw_tokens("L'Oréal e.l.f. K-Cup Dr. Brown's 39.99").into_iter().map(|t| t.text).collect();
        assert_eq!(t, words(&["loreal", "elf", "k", "cup", "dr", "browns", "39", "99"]));
        let (w, c) = field_words("Keurig K-Mini Single-Serve Wi-Fi Plug & Play up&up");
        assert_eq!(w, words(&["keurig", "k", "mini", "single", "serve", "wi", "fi", "plug", "play", "up", "up"]));
        assert_eq!(c, words(&["kmini", "singleserve", "wifi", "upup"]));
    }

    #[test]
    fn stemming_singularizes_without_mangling() {
        for (plural, singular) in [
            ("lamps", "lamp"),
            ("boxes", "box"),
            ("batteries", "battery"),
            ("shelves", "shelf"),
            ("knives", "knife"),
            ("dresses", "dress"),
            ("glasses", "glass"),
            ("benches", "bench"),
            ("vases", "vase"),
            ("olives", "olive"),
            ("toys", "toy"),
            ("women", "woman"),
            ("womens", "woman"),
            ("mice", "mouse"),
        ] {
            assert_eq!(stem(plural), singular, "{plural}");
            assert_eq!(stem(singular), stem(plural), "{singular} and {plural} must agree");
        }
        for unchanged in ["glass", "dress", "lamp", "tennis", "cactus", "bus", "gas", "series", "24ct", "café"] {
            assert_eq!(stem(unchanged), unchanged);
        }
        assert_eq!(stem("cookies"), stem("cookie"));
        assert_eq!(stem("onesies"), stem("onesie"));
    }

    #[test]
    fn osa_distance() {
        let d = |a: &str, b: &str, max| {
            bounded_distance(&a.chars().collect::<Vec<_>>(), &b.chars().collect::<Vec<_>>(), max)
        };
        assert_eq!(d("lmap", "lamp", 1), Some(1));
        assert_eq!(d("kuerig", "keurig", 1), Some(1));
        assert_eq!(d("lamp", "lamb", 1), Some(1));
        assert_eq!(d("lmap", "lamb", 1), None);
        assert_eq!(d("threshhold", "threshold", 2), Some(1));
        assert_eq!(d("abc", "abc", 0), Some(0));
        assert_eq!(d("", "abcd", 2), None);
        assert_eq!(d("ca", "abc", 3), Some(3)); // OSA, not full Damerau
    }

    #[test]
    fn stopwords_are_sorted_for_binary_search() {
        assert!(STOPWORDS.windows(2).all(|w| w[0] < w[1]), "sorted, no repeats");
        assert!(is_stopword("the") && is_stopword("a") && is_stopword(STOPWORDS[STOPWORDS.len() - 1]));
        assert!(!is_stopword("lamp"));
    }

    #[test]
    fn query_parsing_drops_stopwords_and_reads_prices() {
        let q = parse_query("Find me a desk lamp under $40");
        assert_eq!(q.terms, words(&["desk", "lamp"]));
        assert_eq!(q.max_price, Some(Cents(4000)));
        assert_eq!(parse_query("lamps less than 24.99 dollars").max_price, Some(Cents(2499)));
        assert_eq!(parse_query("tent up to $150").max_price, Some(Cents(15000)));
        assert_eq!(parse_query("tent up to $150").terms, words(&["tent"]));
        let q = parse_query("desk lamp under 40 in black");
        assert_eq!((q.terms, q.max_price), (words(&["desk", "lamp", "black"]), Some(Cents(4000))));
        assert_eq!(parse_query("tv under 55-inch").max_price, None);
        assert_eq!(parse_query("toys for under 5 years").max_price, None);
        assert_eq!(parse_query("$25 gift").terms, words(&["gift"]));
        assert_eq!(parse_query("$25 gift").max_price, None, "a bare price is not a cap");
        assert_eq!(parse_query("under $99999999999999999999999").max_price, None);
        assert_eq!(parse_query("40oz tumbler").terms, words(&["40oz", "tumbler"]));
        assert_eq!(parse_query("lamps lamp LAMPS").terms, words(&["lamp"]));
        assert!(parse_query("the for a me with under").terms.is_empty());
        assert_eq!(parse_query(&"word ".repeat(100)).terms.len(), 1);
        let many: String = (0..40).map(|i| format!("w{i} ")).collect();
        assert_eq!(parse_query(&many).terms.len(), MAX_TERMS);
    }

    #[test]
    fn all_terms_beat_partial_matches_and_phrases_win() {
        let items = sample();
        let index = index(&items);
        let hits = ids(&index, &items, "desk lamp", SortOrder::Relevance);
        // Products with both words first, the adjacent "Desk Lamp" leading; with so few of them,
        // lone lamps and desks follow (what the product is, then rating).
        assert_eq!(hits, ["10000001", "10000004", "10000008", "10000003", "10000002"]);
        assert_eq!(ids(&index, &items, "desk lamps", SortOrder::Relevance), hits);
        // "desk" alone: the desk itself is what the product is, so it leads.
        assert_eq!(ids(&index, &items, "desk", SortOrder::Relevance)[0], "10000002");
    }

    #[test]
    fn partial_matches_are_dropped_when_full_matches_abound() {
        let titles = [
            "Alpha Desk Lamp",
            "Beta Desk Lamp",
            "Gamma Desk Lamp",
            "Delta Desk Lamp",
            "Epsilon Desk Lamp",
            "Zeta Desk Lamp",
            "Eta Writing Desk",
            "Theta Floor Lamp",
        ];
        let ids = ["20000001", "20000002", "20000003", "20000004", "20000005", "20000006", "20000007", "20000008"];
        let items: Vec<Item> =
            titles.iter().zip(ids).map(|(t, id)| item(id, t, "Brand", "Lighting", 1000, 40)).collect();
        let index = index(&items);
        let r = index.search("desk lamp", None, SortOrder::PriceLow, 50);
        assert_eq!(r.total, 6);
        assert!(r.hits.iter().all(|&i| items[i].title.ends_with("Desk Lamp")));
        // Fixed before the price filter: a tight budget does not bring the lone desk back.
        assert_eq!(index.search("desk lamp", Some(Cents(999)), SortOrder::Relevance, 50).total, 0);
        assert_eq!(index.search("lamp", None, SortOrder::Relevance, 50).total, 7);
    }

    #[test]
    fn long_queries_tolerate_a_missing_word() {
        let items = sample();
        let index = index(&items);
        let hits = ids(&index, &items, "threshold brass desk lamp purple", SortOrder::Relevance);
        assert_eq!(hits[0], "10000001");
        let r = index.search("threshold brass desk lamp purple", None, SortOrder::Relevance, 10);
        // The best match has 4 of the 5 words; too few products have 3, so 2 are enough, not 1.
        assert_eq!(hits, ["10000001", "10000004", "10000008"]);
        assert_eq!(r.total, 3);
    }

    #[test]
    fn typos_are_forgiven_but_known_words_stay_exact() {
        let items = sample();
        let index = index(&items);
        let lmap = ids(&index, &items, "lmap", SortOrder::Relevance);
        assert!(!lmap.is_empty() && lmap.iter().all(|id| *id != "10000005"), "{lmap:?}");
        assert_eq!(lmap.len(), 4);
        assert_eq!(ids(&index, &items, "kuerig", SortOrder::Relevance), ["10000006"]);
        assert_eq!(ids(&index, &items, "threshhold", SortOrder::Relevance).len(), 2);
        let lamp = ids(&index, &items, "lamp", SortOrder::Relevance);
        assert!(!lamp.contains(&"10000005"), "lamp must not drift to lamb: {lamp:?}");
        assert_eq!(ids(&index, &items, "lamb", SortOrder::Relevance), ["10000005"]);
        assert!(ids(&index, &items, "kcup", SortOrder::Relevance).is_empty());
        assert_eq!(ids(&index, &items, "kmini", SortOrder::Relevance), ["10000006"]);
    }

    #[test]
    fn brand_and_category_terms_match() {
        let items = sample();
        let index = index(&items);
        let threshold = ids(&index, &items, "threshold lamp", SortOrder::Relevance);
        assert_eq!(threshold[0], "10000001");
        assert!(threshold.contains(&"10000007") && threshold.contains(&"10000003"), "{threshold:?}");
        // A brand word at the start of a title scores as brand, below the same word as product.
        let cat = [
            item("30000001", "Cat & Jack Toddler Dress", "Cat & Jack", "Baby", 1200, 50),
            item("30000002", "Purina Cat Chow", "Purina", "Pets", 1500, 40),
        ];
        let cat_index = super::tests::index(&cat);
        assert_eq!(ids(&cat_index, &cat, "cat", SortOrder::Relevance), ["30000002", "30000001"]);
        let kitchen = ids(&index, &items, "kitchen", SortOrder::Relevance);
        assert_eq!(kitchen, ["10000006"]);
    }

    #[test]
    fn sort_orders_and_price_cap() {
        let items = sample();
        let index = index(&items);
        let price = |id: &str| items.iter().find(|i| i.id == id).map(|i| i.price).expect("known id");
        let low = ids(&index, &items, "lamp", SortOrder::PriceLow);
        assert_eq!(low, ["10000008", "10000004", "10000001", "10000003"]);
        let high = ids(&index, &items, "lamp", SortOrder::PriceHigh);
        assert_eq!(high, ["10000003", "10000001", "10000004", "10000008"]);
        let rating = ids(&index, &items, "lamp", SortOrder::Rating);
        assert_eq!(rating, ["10000008", "10000003", "10000001", "10000004"]);
        let capped = index.search("lamp", Some(Cents(3499)), SortOrder::Relevance, 1);
        assert_eq!(capped.total, 3);
        assert_eq!(capped.hits.len(), 1);
        assert!(price(items[capped.hits[0]].id) <= 3499);
        let written = index.search("lamp under $20", Some(Cents(5000)), SortOrder::PriceHigh, 10);
        assert_eq!(written.hits.iter().map(|&i| items[i].id).collect::<Vec<_>>(), ["10000004", "10000008"]);
        assert_eq!(index.search("lamp", Some(Cents(-1)), SortOrder::Relevance, 10).total, 0);
        assert_eq!(index.search("lamp", None, SortOrder::Relevance, 0).hits.len(), 0);
    }

    #[test]
    fn stopword_only_and_garbage_queries_return_nothing_without_panicking() {
        let items = sample();
        let index = index(&items);
        for query in [
            "the for a",
            "me with under",
            "",
            "   ",
            "🙂🙂🙂",
            "日本語の検索",
            "\u{0}\u{1}\u{7f}",
            "$$$ ... ---",
            "under $",
            "ǅǈǋ ﬁ ẞ İ",
            "\u{202e}lamp\u{202d}",
        ] {
            let r = index.search(query, None, SortOrder::Relevance, 10);
            if query.contains("lamp") {
                assert!(r.total > 0, "{query:?}");
            } else {
                assert_eq!(r, Ranked { total: 0, hits: vec![] }, "{query:?}");
            }
        }
        for query in ["a".repeat(200), "🙂".repeat(200), "lämp ".repeat(40), "x".repeat(10_000), "ab".repeat(100)] {
            let _ = index.search(&query, Some(Cents(100)), SortOrder::Rating, 48);
        }
        assert!(index.search(&"lamp ".repeat(40), None, SortOrder::Relevance, 10).total > 0);
    }

    #[test]
    fn results_are_deterministic() {
        let items = sample();
        let a = index(&items);
        let b = index(&items);
        for sort in [SortOrder::Relevance, SortOrder::PriceLow, SortOrder::PriceHigh, SortOrder::Rating] {
            assert_eq!(a.search("lamp desk", None, sort, 10), b.search("lamp desk", None, sort, 10));
        }
        assert_eq!(a.vocabulary(), b.vocabulary());
        assert_eq!(a.len(), items.len());
    }
}
