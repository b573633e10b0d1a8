//! Translations: every user-facing string lives in `locales/{ru,en}.ftl` (Project Fluent),
//! embedded at build time. Handlers ask for a message by id with [`I18n::t`] / [`I18n::tf`].
//!
//! Everything that comes from a user or a model file (names, prompts, titles, Kie's messages)
//! goes in through [`Args::text`], which escapes it for Telegram HTML; only markup this crate
//! builds itself goes through [`Args::raw`]. This module must never format money or dates on
//! its own terms: [`fmt_money`] and friends are the one place for that.

use std::borrow::Cow;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use pricing::Money;
use rust_decimal::Decimal;
use teloxide::utils::html;

pub use ledger::Language as Lang;

const RU: &str = include_str!("../locales/ru.ftl");
const EN: &str = include_str!("../locales/en.ftl");

/// The two bundles.
pub struct I18n {
    ru: FluentBundle<FluentResource>,
    en: FluentBundle<FluentResource>,
}

impl std::fmt::Debug for I18n {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("I18n")
    }
}

fn bundle(lang: &str, source: &'static str) -> FluentBundle<FluentResource> {
    let resource = FluentResource::try_new(source.to_string())
        .unwrap_or_else(|(_, errors)| panic!("locales/{lang}.ftl does not parse: {errors:?}"));
    let id: unic_langid::LanguageIdentifier = lang.parse().expect("a valid language tag");
    let mut bundle = FluentBundle::new_concurrent(vec![id]);
    // Unicode isolation marks around every placeable would end up inside Telegram HTML and
    // callback labels; our texts are all left-to-right.
    bundle.set_use_isolating(false);
    bundle
        .add_resource(resource)
        .unwrap_or_else(|errors| panic!("locales/{lang}.ftl has duplicate ids: {errors:?}"));
    bundle
}

impl Default for I18n {
    fn default() -> Self {
        I18n::new()
    }
}

impl I18n {
    /// Loads the embedded translations (a syntax error is a bug caught by the tests).
    pub fn new() -> I18n {
        I18n {
            ru: bundle("ru", RU),
            en: bundle("en", EN),
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

    /// Every message id of `lang` (for the tests).
    pub fn ids(lang: Lang) -> Vec<String> {
        let source = match lang {
            Lang::Ru => RU,
            Lang::En => EN,
        };
        let resource = FluentResource::try_new(source.to_string()).expect("parses");
        resource
            .entries()
            .filter_map(|e| match e {
                fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.to_string()),
                _ => None,
            })
            .collect()
    }
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
    use std::collections::BTreeSet;

    #[test]
    fn both_languages_define_the_same_messages() {
        let ru: BTreeSet<_> = I18n::ids(Lang::Ru).into_iter().collect();
        let en: BTreeSet<_> = I18n::ids(Lang::En).into_iter().collect();
        let only_ru: Vec<_> = ru.difference(&en).collect();
        let only_en: Vec<_> = en.difference(&ru).collect();
        assert!(
            only_ru.is_empty() && only_en.is_empty(),
            "only in ru.ftl: {only_ru:?}; only in en.ftl: {only_en:?}"
        );
    }

    /// Every id the code asks for (a string literal right after `.t(lang, ` or `.tf(lang, `)
    /// exists in both files.
    #[test]
    fn every_id_used_in_the_code_exists() {
        let ids: BTreeSet<_> = I18n::ids(Lang::En).into_iter().collect();
        let mut missing = Vec::new();
        let mut seen = 0;
        for file in source_files(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src")) {
            // This file's own scanner would match itself.
            if file.ends_with("i18n.rs") {
                continue;
            }
            let text = std::fs::read_to_string(&file).unwrap();
            for marker in [".t(", ".tf("] {
                for (at, _) in text.match_indices(marker) {
                    let rest = &text[at + marker.len()..];
                    let Some(comma) = rest.find(',') else {
                        continue;
                    };
                    let after = rest[comma + 1..].trim_start();
                    if let Some(lit) = after.strip_prefix('"') {
                        let id = &lit[..lit.find('"').unwrap()];
                        seen += 1;
                        if !ids.contains(id) {
                            missing.push(format!("{}: {id}", file.display()));
                        }
                    }
                }
            }
        }
        assert!(seen > 50, "the scan found only {seen} ids");
        assert!(
            missing.is_empty(),
            "ids missing from the .ftl files: {missing:#?}"
        );
    }

    /// Ids the code builds with `format!`: one per category, command, job state, ledger
    /// entry kind and payment state.
    #[test]
    fn every_composed_id_exists() {
        let ids: BTreeSet<_> = I18n::ids(Lang::En).into_iter().collect();
        let mut wanted: Vec<String> = Vec::new();
        wanted.extend(
            catalog::Category::ALL
                .iter()
                .map(|c| format!("category-{}", c.as_str())),
        );
        wanted.extend(
            crate::schema::Command::ALL
                .iter()
                .map(|(_, n)| format!("cmd-{n}")),
        );
        wanted.extend(
            ledger::JobState::ALL
                .iter()
                .map(|s| format!("job-state-{}", s.as_str())),
        );
        wanted.extend(
            ledger::EntryKind::ALL
                .iter()
                .map(|k| format!("entry-{}", k.as_str().replace('_', "-"))),
        );
        wanted.extend([
            "payment-state-credited".into(),
            "payment-state-refunded".into(),
        ]);
        let missing: Vec<_> = wanted.iter().filter(|w| !ids.contains(*w)).collect();
        assert!(missing.is_empty(), "missing: {missing:?}");
    }

    fn source_files(dir: std::path::PathBuf) -> Vec<std::path::PathBuf> {
        let mut out = Vec::new();
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                out.extend(source_files(p));
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
        out
    }

    #[test]
    fn arguments_are_escaped_and_plurals_follow_the_language() {
        let i = I18n::new();
        let t = i.tf(Lang::En, "welcome", &Args::new().text("name", "<b>Bob</b>"));
        assert!(t.contains("&lt;b&gt;Bob&lt;/b&gt;"), "{t}");
        assert!(!t.contains('\u{2068}'), "no isolation marks: {t:?}");
        let few = i.tf(Lang::Ru, "models-count", &Args::new().num("count", 3));
        let many = i.tf(Lang::Ru, "models-count", &Args::new().num("count", 5));
        assert_ne!(few, many);
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
