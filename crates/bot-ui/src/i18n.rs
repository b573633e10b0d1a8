//! The user interface's translations: `locales/{ru,en}.ftl`, joined with the shared ones by
//! [`tg_kit::I18n`]. Every user-facing string of this crate lives there.

pub use tg_kit::i18n::{Args, I18n, Lang, code, fmt_duration, fmt_money, fmt_when, language_for};

/// This crate's messages.
pub const LOCALE: tg_kit::Locale = tg_kit::Locale {
    owner: "bot-ui",
    ru: &[include_str!("../locales/ru.ftl")],
    en: &[include_str!("../locales/en.ftl")],
};

/// The translations this crate needs: the shared ones and its own (tests and tools; the bot
/// joins every branch's).
pub fn i18n() -> I18n {
    I18n::new(&[LOCALE])
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn all_ids() -> BTreeSet<String> {
        tg_kit::i18n::ids_visible_to(&LOCALE)
    }

    #[test]
    fn both_languages_define_the_same_messages() {
        assert_eq!(
            tg_kit::i18n::one_language_only(&LOCALE),
            Vec::<String>::new()
        );
    }

    /// Every id the code asks for exists in both files.
    #[test]
    fn every_id_used_in_the_code_exists() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let (used, missing) = tg_kit::i18n::ids_missing_from(&LOCALE, &src);
        assert!(used > 50, "the scan found only {used} ids");
        assert!(
            missing.is_empty(),
            "ids missing from the .ftl files: {missing:#?}"
        );
    }

    /// Ids the code builds with `format!`: one per category, command, job state, ledger
    /// entry kind and payment state.
    #[test]
    fn every_composed_id_exists() {
        let ids: BTreeSet<_> = all_ids();
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

    #[test]
    fn arguments_are_escaped_and_plurals_follow_the_language() {
        let i = i18n();
        let t = i.tf(Lang::En, "welcome", &Args::new().text("name", "<b>Bob</b>"));
        assert!(t.contains("&lt;b&gt;Bob&lt;/b&gt;"), "{t}");
        assert!(!t.contains('\u{2068}'), "no isolation marks: {t:?}");
        let few = i.tf(Lang::Ru, "models-count", &Args::new().num("count", 3));
        let many = i.tf(Lang::Ru, "models-count", &Args::new().num("count", 5));
        assert_ne!(few, many);
    }
}
