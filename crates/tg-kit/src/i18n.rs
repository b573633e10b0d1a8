//! Translations (Project Fluent): each crate that talks to users ships its own
//! `locales/{ru,en}.ftl` as a [`Locale`], and [`I18n::new`] joins them into one bundle per
//! language (an id defined twice is a bug, refused at start). Handlers ask for a message by id
//! with [`I18n::t`] / [`I18n::tf`].
//!
//! Everything that comes from a user or a model file (names, prompts, titles, Kie's messages)
//! goes in through [`Args::text`], which escapes it for Telegram HTML; only markup a crate
//! builds itself goes through [`Args::raw`]. This module must never format money or dates on
//! its own terms: [`fmt_money`] and friends are the one place for that.

use std::borrow::Cow;
use std::collections::BTreeSet;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use pricing::Money;
use rust_decimal::Decimal;
use teloxide::utils::html;

pub use ledger::Language as Lang;

/// One crate's translations, embedded at build time: one or more Fluent files per language
/// (a crate may keep one file per area; ids stay unique across all of them).
#[derive(Clone, Copy, Debug)]
pub struct Locale {
    /// The crate, named in errors.
    pub owner: &'static str,
    /// The Russian files' contents.
    pub ru: &'static [&'static str],
    /// The English files' contents.
    pub en: &'static [&'static str],
}

/// The messages every branch shares ("something went wrong", "this button is out of date").
pub const LOCALE: Locale = Locale {
    owner: "tg-kit",
    ru: &[include_str!("../locales/ru.ftl")],
    en: &[include_str!("../locales/en.ftl")],
};

impl Locale {
    fn sources(&self, lang: Lang) -> &'static [&'static str] {
        match lang {
            Lang::Ru => self.ru,
            Lang::En => self.en,
        }
    }

    fn resources(&self, lang: Lang) -> Vec<FluentResource> {
        self.sources(lang)
            .iter()
            .map(|source| {
                FluentResource::try_new(source.to_string()).unwrap_or_else(|(_, errors)| {
                    panic!(
                        "a {} {} locale file does not parse: {errors:?}",
                        self.owner,
                        code(lang)
                    )
                })
            })
            .collect()
    }

    /// Every message id this locale defines in `lang` (for the tests).
    pub fn ids(&self, lang: Lang) -> BTreeSet<String> {
        self.resources(lang)
            .iter()
            .flat_map(|r| r.entries())
            .filter_map(|e| match e {
                fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.to_string()),
                _ => None,
            })
            .collect()
    }
}

/// The bundles of both languages, joined from every crate's [`Locale`].
pub struct I18n {
    ru: FluentBundle<FluentResource>,
    en: FluentBundle<FluentResource>,
}

impl std::fmt::Debug for I18n {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("I18n")
    }
}

fn bundle(lang: Lang, locales: &[Locale]) -> FluentBundle<FluentResource> {
    let id: unic_langid::LanguageIdentifier = code(lang).parse().expect("a valid language tag");
    let mut bundle = FluentBundle::new_concurrent(vec![id]);
    // Unicode isolation marks around every placeable would end up inside Telegram HTML and
    // callback labels; our texts are all left-to-right.
    bundle.set_use_isolating(false);
    for locale in locales {
        for resource in locale.resources(lang) {
            bundle.add_resource(resource).unwrap_or_else(|errors| {
                panic!(
                    "a {} {} locale file defines ids defined elsewhere: {errors:?}",
                    locale.owner,
                    code(lang)
                )
            });
        }
    }
    bundle
}

impl I18n {
    /// Joins the shared messages ([`LOCALE`]) and `locales` (a syntax error or an id defined
    /// twice is a bug caught by the tests).
    pub fn new(locales: &[Locale]) -> I18n {
        let all: Vec<Locale> = std::iter::once(LOCALE)
            .chain(locales.iter().copied())
            .collect();
        I18n {
            ru: bundle(Lang::Ru, &all),
            en: bundle(Lang::En, &all),
        }
    }

    fn bundle(&self, lang: Lang) -> &FluentBundle<FluentResource> {
        match lang {
            Lang::Ru => &self.ru,
            Lang::En => &self.en,
        }
    }

    /// The message `id` without arguments.
    pub fn t(&self, lang: Lang, id: &str) -> String {
        self.format(lang, id, None)
    }

    /// The message `id` with arguments.
    pub fn tf(&self, lang: Lang, id: &str, args: &Args) -> String {
        self.format(lang, id, Some(&args.0))
    }

    /// True when `id` exists (in both languages: the tests prove they agree).
    pub fn has(&self, id: &str) -> bool {
        self.en.has_message(id)
    }

    fn format(&self, lang: Lang, id: &str, args: Option<&FluentArgs<'static>>) -> String {
        let bundle = self.bundle(lang);
        let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) else {
            // The tests prove every id used in the code exists in both files; this is the
            // fallback for a release built without them.
            tracing::error!(id, ?lang, "missing translation");
            return id.to_string();
        };
        let mut errors = Vec::new();
        let text = bundle.format_pattern(pattern, args, &mut errors);
        if !errors.is_empty() {
            tracing::error!(id, ?lang, ?errors, "translation formatting failed");
        }
        text.into_owned()
    }
}

/// Ids that `locale` defines in one language only (empty when ru and en agree).
pub fn one_language_only(locale: &Locale) -> Vec<String> {
    let ru = locale.ids(Lang::Ru);
    let en = locale.ids(Lang::En);
    ru.symmetric_difference(&en).cloned().collect()
}

/// The ids a crate's code may ask for: its own `locale`'s and the shared ones ([`LOCALE`]).
pub fn ids_visible_to(locale: &Locale) -> BTreeSet<String> {
    let mut ids = locale.ids(Lang::En);
    ids.extend(LOCALE.ids(Lang::En));
    ids
}

/// For a crate's test that every id its code asks for exists: how many literal ids the sources
/// under `dir` use, and those that neither `locale` nor the shared messages define.
pub fn ids_missing_from(
    locale: &Locale,
    dir: &std::path::Path,
) -> (usize, Vec<(std::path::PathBuf, String)>) {
    let ids = ids_visible_to(locale);
    let used = ids_used_in_sources(dir);
    let scanned = used.len();
    let missing = used
        .into_iter()
        .filter(|(_, id)| !ids.contains(id))
        .collect();
    (scanned, missing)
}

/// Every message id the Rust sources under `dir` ask for literally (a string literal right
/// after `.t(lang, ` or `.tf(lang, `), with the file it is in — for each crate's test that
/// they all exist.
pub fn ids_used_in_sources(dir: &std::path::Path) -> Vec<(std::path::PathBuf, String)> {
    let mut found = Vec::new();
    for file in source_files(dir) {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        for marker in [".t(", ".tf("] {
            for (at, _) in text.match_indices(marker) {
                let rest = &text[at + marker.len()..];
                let Some(comma) = rest.find(',') else {
                    continue;
                };
                let after = rest[comma + 1..].trim_start();
                if let Some(lit) = after.strip_prefix('"')
                    && let Some(end) = lit.find('"')
                {
                    found.push((file.clone(), lit[..end].to_string()));
                }
            }
        }
    }
    found
}

fn source_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(source_files(&path));
        } else if path.extension().is_some_and(|x| x == "rs") {
            out.push(path);
        }
    }
    out
}

/// Arguments of a message.
#[derive(Default)]
pub struct Args(FluentArgs<'static>);

impl Args {
    /// No arguments yet.
    pub fn new() -> Args {
        Args(FluentArgs::new())
    }

    /// Text from a user, a model file or Kie: escaped for Telegram HTML.
    pub fn text(mut self, name: &'static str, value: impl AsRef<str>) -> Args {
        self.0.set(
            name,
            FluentValue::String(Cow::Owned(html::escape(value.as_ref()))),
        );
        self
    }

    /// Markup this crate built (already escaped where it holds outside text).
    pub fn raw(mut self, name: &'static str, value: impl Into<String>) -> Args {
        self.0
            .set(name, FluentValue::String(Cow::Owned(value.into())));
        self
    }

    /// A count (selects plural forms).
    pub fn num(mut self, name: &'static str, value: i64) -> Args {
        self.0.set(name, FluentValue::from(value));
        self
    }

    /// An amount of money, formatted for `lang`.
    pub fn money(self, name: &'static str, lang: Lang, value: Money) -> Args {
        self.raw(name, fmt_money(lang, value))
    }
}

/// "1 234,50 ₽" (ru) or "1,234.50 ₽" (en); whole amounts without kopecks. Money is already
/// rounded to the kopeck by the pricing crate: nothing is rounded here.
pub fn fmt_money(lang: Lang, value: Money) -> String {
    let amount = value.amount();
    let negative = amount.is_sign_negative() && !amount.is_zero();
    let abs = amount.abs();
    let whole = abs.trunc();
    let kopecks = ((abs - whole) * Decimal::ONE_HUNDRED).trunc();
    let (group, point) = match lang {
        Lang::Ru => ('\u{a0}', ','),
        Lang::En => (',', '.'),
    };
    let digits = whole.to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(group);
        }
        grouped.push(c);
    }
    let sign = if negative { "−" } else { "" };
    if kopecks.is_zero() {
        format!("{sign}{grouped}\u{a0}₽")
    } else {
        format!("{sign}{grouped}{point}{kopecks:0>2}\u{a0}₽")
    }
}

/// A date and time for receipts and history, in UTC ("24.11 14:05" / "Nov 24 14:05").
pub fn fmt_when(lang: Lang, at: chrono::DateTime<chrono::Utc>) -> String {
    match lang {
        Lang::Ru => at.format("%d.%m.%Y %H:%M").to_string(),
        Lang::En => at.format("%Y-%m-%d %H:%M").to_string(),
    }
}

/// A duration for progress messages: "45 s", "3 min 5 s" / "45 с", "3 мин 5 с".
pub fn fmt_duration(lang: Lang, d: std::time::Duration) -> String {
    let secs = d.as_secs();
    let (m, s) = (secs / 60, secs % 60);
    match (lang, m) {
        (Lang::Ru, 0) => format!("{s} с"),
        (Lang::Ru, _) => format!("{m} мин {s} с"),
        (Lang::En, 0) => format!("{s} s"),
        (Lang::En, _) => format!("{m} min {s} s"),
    }
}

/// The language for a new user: Russian for the languages of its main audience, else English.
pub fn language_for(code: Option<&str>) -> Lang {
    let primary = code
        .unwrap_or("")
        .split(['-', '_'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    match primary.as_str() {
        "ru" | "uk" | "be" | "kk" => Lang::Ru,
        _ => Lang::En,
    }
}

/// The two-letter code of `lang` (for [`pricing::Text::get`]).
pub fn code(lang: Lang) -> &'static str {
    match lang {
        Lang::Ru => "ru",
        Lang::En => "en",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shared_messages_exist_in_both_languages() {
        assert!(one_language_only(&LOCALE).is_empty());
        let i18n = I18n::new(&[]);
        assert!(i18n.has("error-internal") && i18n.has("stale-button"));
    }

    #[test]
    #[should_panic(expected = "defines ids defined elsewhere")]
    fn an_id_defined_by_two_crates_is_refused() {
        I18n::new(&[Locale {
            owner: "copy",
            ru: &["stale-button = x"],
            en: &["stale-button = x"],
        }]);
    }

    #[test]
    fn arguments_are_escaped_and_plurals_follow_the_language() {
        let i = I18n::new(&[Locale {
            owner: "test",
            ru: &[
                "hi = { $name }\ncount = { $count ->\n [one] один\n [few] несколько\n *[other] много\n}",
            ],
            en: &["hi = { $name }\ncount = { $count ->\n [one] one\n *[other] many\n}"],
        }]);
        let t = i.tf(Lang::En, "hi", &Args::new().text("name", "<b>Bob</b>"));
        assert_eq!(t, "&lt;b&gt;Bob&lt;/b&gt;");
        let few = i.tf(Lang::Ru, "count", &Args::new().num("count", 3));
        let many = i.tf(Lang::Ru, "count", &Args::new().num("count", 5));
        assert_eq!((few.as_str(), many.as_str()), ("несколько", "много"));
    }

    #[test]
    fn money_is_formatted_per_language() {
        let m = Money::parse("1234.5").unwrap();
        assert_eq!(fmt_money(Lang::Ru, m), "1\u{a0}234,50\u{a0}₽");
        assert_eq!(fmt_money(Lang::En, m), "1,234.50\u{a0}₽");
        assert_eq!(
            fmt_money(Lang::En, Money::parse("19").unwrap()),
            "19\u{a0}₽"
        );
        assert_eq!(
            fmt_money(Lang::Ru, Money::parse("0.07").unwrap()),
            "0,07\u{a0}₽"
        );
    }

    #[test]
    fn language_defaults() {
        assert_eq!(language_for(Some("uk")), Lang::Ru);
        assert_eq!(language_for(Some("kk-KZ")), Lang::Ru);
        assert_eq!(language_for(Some("de")), Lang::En);
        assert_eq!(language_for(None), Lang::En);
    }
}
