//! Broadcasts: the preview's recipients line (under the owner's own text, which is the message
//! itself) and the progress screen — recent broadcasts with sent / failed / blocked / pending
//! and Pause, Resume, Cancel.

use teloxide::types::InlineKeyboardButton;
use tg_kit::i18n::fmt_when;
use tg_kit::screen::notice_prefix;
use tg_kit::{Args, I18n, Lang, Screen, button};

use super::home_button;
use crate::broadcast::{Broadcast, Segment, State};
use crate::button::AdminButton;

/// How many broadcasts the progress screen lists.
pub const LISTED: i64 = 5;

/// A segment's name in `lang`.
pub fn segment_name(i18n: &I18n, lang: Lang, segment: Segment) -> String {
    i18n.t(lang, &format!("admin-segment-{}", segment.as_str()))
}

fn state_name(i18n: &I18n, lang: Lang, state: State) -> String {
    i18n.t(lang, &format!("admin-broadcast-state-{}", state.as_str()))
}

/// The preview's text: the message exactly as the recipients will get it, then the number of
/// recipients. (Telegram accepting the preview is the check that it accepts the message.)
pub fn preview_body(
    i18n: &I18n,
    lang: Lang,
    segment: Segment,
    text: &str,
    recipients: i64,
) -> String {
    let line = i18n.tf(
        lang,
        "admin-broadcast-recipients",
        &Args::new()
            .num("count", recipients)
            .raw("segment", segment_name(i18n, lang, segment)),
    );
    format!("{text}\n\n{line}")
}

/// A broadcast's counts, as the progress screen shows them.
pub fn counts_line(i18n: &I18n, lang: Lang, b: &Broadcast) -> String {
    i18n.tf(
        lang,
        "admin-broadcast-counts",
        &Args::new()
            .num("sent", b.sent)
            .num("failed", b.failed)
            .num("blocked", b.blocked)
            .num("pending", b.pending())
            .num("total", b.total),
    )
}

/// The first words of an HTML text as plain text (escaped again for the list).
pub fn excerpt(html: &str, max: usize) -> String {
    let mut plain = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            '\n' if !in_tag => plain.push(' '),
            _ if !in_tag => plain.push(c),
            _ => {}
        }
    }
    let plain = plain
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&");
    teloxide::utils::html::escape(&tg_kit::send::clip_to(plain.trim(), max))
}

fn buttons(i18n: &I18n, lang: Lang, b: &Broadcast) -> Vec<InlineKeyboardButton> {
    let label = |id: &str| i18n.tf(lang, id, &Args::new().num("id", b.id));
    let pause = || {
        button(
            label("admin-broadcast-pause"),
            AdminButton::BroadcastPause { id: b.id }.encode(),
        )
    };
    let resume = || {
        button(
            label("admin-broadcast-resume"),
            AdminButton::BroadcastResume { id: b.id }.encode(),
        )
    };
    let cancel = || {
        button(
            label("admin-broadcast-cancel"),
            AdminButton::BroadcastCancel { id: b.id }.encode(),
        )
    };
    match b.state {
        State::Running => vec![pause(), cancel()],
        State::Paused => vec![resume(), cancel()],
        State::Cancelled | State::Done => Vec::new(),
    }
}

/// The progress screen: the newest broadcasts with their counts and the buttons their state
/// allows; `notice` above (a change that no longer applied).
pub fn list(i18n: &I18n, lang: Lang, rows: &[Broadcast], notice: Option<String>) -> Screen {
    let mut text = format!(
        "{}{}",
        notice_prefix(notice),
        i18n.t(lang, "admin-broadcasts-title")
    );
    if rows.is_empty() {
        text.push_str("\n\n");
        text.push_str(&i18n.t(lang, "admin-broadcasts-empty"));
    }
    let mut screen = Screen::default();
    for b in rows {
        let head = i18n.tf(
            lang,
            "admin-broadcast-line",
            &Args::new()
                .num("id", b.id)
                .raw("segment", segment_name(i18n, lang, b.segment))
                .raw("state", state_name(i18n, lang, b.state))
                .raw("created", fmt_when(lang, b.created_at))
                .raw("excerpt", excerpt(&b.text, 60)),
        );
        text.push_str(&format!("\n\n{head}\n{}", counts_line(i18n, lang, b)));
        screen = screen.row(buttons(i18n, lang, b));
    }
    screen.text = text;
    screen.row(vec![
        button(
            i18n.t(lang, "admin-broadcasts-refresh"),
            AdminButton::Broadcasts.encode(),
        ),
        home_button(i18n, lang),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use ledger::UserId;

    fn i18n() -> I18n {
        I18n::new(&[crate::LOCALE])
    }

    fn sample(id: i64, state: State) -> Broadcast {
        Broadcast {
            id,
            created_by: UserId(1),
            segment: Segment::Paying,
            text: "<b>Sale</b> &amp; <i>news</i>\nsecond line".into(),
            state,
            total: 100,
            sent: 60,
            failed: 2,
            blocked: 8,
            created_at: Utc::now(),
            finished_at: None,
        }
    }

    fn data(screen: &Screen) -> Vec<String> {
        screen
            .rows
            .iter()
            .flatten()
            .filter_map(|b| match &b.kind {
                teloxide::types::InlineKeyboardButtonKind::CallbackData(d) => Some(d.clone()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn the_preview_is_the_message_itself_then_the_recipients() {
        let i18n = i18n();
        for lang in [Lang::Ru, Lang::En] {
            let text = "<b>Hello</b> &lt;friends&gt;";
            let body = preview_body(&i18n, lang, Segment::Ru, text, 1234);
            assert!(body.starts_with(&format!("{text}\n\n")), "{body}");
            assert!(body.contains("1234"), "{body}");
            assert!(
                body.contains(&segment_name(&i18n, lang, Segment::Ru)),
                "{body}"
            );
        }
    }

    #[test]
    fn the_list_shows_counts_and_the_buttons_each_state_allows() {
        let i18n = i18n();
        let rows = [
            sample(3, State::Running),
            sample(2, State::Paused),
            sample(1, State::Done),
        ];
        let screen = list(&i18n, Lang::En, &rows, None);
        assert!(screen.text.contains("#3"), "{}", screen.text);
        assert!(
            screen
                .text
                .contains(&counts_line(&i18n, Lang::En, &rows[0]))
        );
        assert!(
            screen.text.contains("sent 60")
                && screen.text.contains("failed 2")
                && screen.text.contains("blocked 8")
                && screen.text.contains("pending 30"),
            "{}",
            screen.text
        );
        assert!(
            screen.text.contains("Sale &amp; news second line"),
            "{}",
            screen.text
        );
        assert_eq!(
            data(&screen),
            ["a:bp:3", "a:bx:3", "a:br:2", "a:bx:2", "a:bl", "a:h"],
            "running: pause and cancel; paused: resume and cancel; done: none"
        );
        let empty = list(&i18n, Lang::Ru, &[], Some("note".into()));
        assert!(empty.text.starts_with("note\n\n"), "{}", empty.text);
        assert!(
            empty
                .text
                .contains(&i18n.t(Lang::Ru, "admin-broadcasts-empty"))
        );
        assert_eq!(data(&empty), ["a:bl", "a:h"]);
    }

    #[test]
    fn excerpts_are_plain_escaped_and_short() {
        assert_eq!(excerpt("<b>a &lt; b</b>", 60), "a &lt; b");
        assert_eq!(excerpt("<a href=\"x\">link</a>\nnext", 60), "link next");
        let long = excerpt(&"x".repeat(100), 10);
        assert_eq!(long.chars().count(), 10);
        assert!(long.ends_with('…'));
        // A cut never leaves half an entity.
        assert_eq!(excerpt("&amp;&amp;&amp;", 2), "&amp;…");
    }

    #[test]
    fn every_segment_and_state_has_a_name_in_both_languages() {
        let i18n = i18n();
        let mut ids: Vec<String> = Segment::ALL
            .iter()
            .map(|s| format!("admin-segment-{}", s.as_str()))
            .collect();
        ids.extend(
            [State::Running, State::Paused, State::Cancelled, State::Done]
                .iter()
                .map(|s| format!("admin-broadcast-state-{}", s.as_str())),
        );
        for id in ids {
            assert!(i18n.has(&id), "{id}");
        }
    }
}
