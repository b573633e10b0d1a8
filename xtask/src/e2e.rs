//! `cargo xtask e2e`: the main journey (`stack::main_journey`: /start → category → model →
//! wizard → confirm → Stars top-up → run → the result; the price shown equals the charge) of the
//! real product against the Kie simulator and the fake Telegram, on a scratch database created
//! for the run and dropped after it; in Russian (the main audience), then in English.
//!
//! Writes `artifacts/e2e_flow_check.json` and `artifacts/e2e_flow_check.md`, and fails if a step
//! failed. The artifacts must never carry anything that changes between runs: the users have
//! fixed ids, the database is fresh (so job numbers are too), and what still depends on timing
//! (a progress message caught at "queued" or at "generating") is normalised by [`normalise`].
//! `verify` does not run this (it needs PostgreSQL and takes seconds of real time).

use std::fmt::Write as _;

use anyhow::{Result, bail};
use serde::Serialize;
use stack::{Stack, StackOptions, Step, Transcript, admin_journey, main_journey};

use crate::postgres::Postgres;
use crate::project;

/// The journeys, in order: language and the fixed user id.
const JOURNEYS: [(&str, i64); 2] = [("ru", 700_000_001), ("en", 700_000_002)];
/// The admin journeys, after them: language, the admin's id, and the customer (a user of the
/// main journey in the same language).
const ADMIN_JOURNEYS: [(&str, i64, i64); 2] = [
    ("ru", 700_000_011, 700_000_001),
    ("en", 700_000_012, 700_000_002),
];

#[derive(Serialize)]
struct Summary {
    steps: usize,
    passed: usize,
    failed: usize,
}

impl Summary {
    fn of<'a>(steps: impl Iterator<Item = &'a Step>) -> Summary {
        let (mut passed, mut failed) = (0, 0);
        for s in steps {
            if s.pass {
                passed += 1;
            } else {
                failed += 1;
            }
        }
        Summary {
            steps: passed + failed,
            passed,
            failed,
        }
    }
}

#[derive(Serialize)]
struct Journey<'a> {
    lang: &'a str,
    user_id: i64,
    summary: Summary,
    steps: &'a [Step],
}

#[derive(Serialize)]
struct Report<'a> {
    what: &'static str,
    summary: Summary,
    journeys: Vec<Journey<'a>>,
}

pub fn run() -> Result<()> {
    let pg = Postgres::find(false)?;
    let db = format!("kiebot_e2e_{}", std::process::id());
    let url = test_db::with_database(&pg.url, &db);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let transcripts = rt.block_on(pg.with_scratch_databases(&[&db], async || {
        let stack = Stack::start(StackOptions::fast(&url)).await?;
        let mut users = Vec::new();
        for (lang, user) in JOURNEYS {
            users.push(main_journey(&stack, user, lang).await);
        }
        let mut admins = Vec::new();
        for (lang, owner, customer) in ADMIN_JOURNEYS {
            admins.push(admin_journey(&stack, owner, customer, lang).await);
        }
        crate::bench_ui::stop_stack(stack).await;
        Ok((users, admins))
    }));
    drop(pg);
    let (mut transcripts, mut admin_transcripts) = transcripts?;
    for t in transcripts.iter_mut().chain(admin_transcripts.iter_mut()) {
        for s in &mut t.steps {
            s.bot = normalise(&s.bot);
        }
    }
    let users = JOURNEYS.map(|(lang, user)| (lang, user));
    let report = write_report(
        "e2e_flow_check",
        "The main journey of the real bot (stack::main_journey) against the Kie \
         simulator and the fake Telegram, on a fresh database",
        MAIN_INTRO,
        &users,
        &transcripts,
    )?;
    let admins = ADMIN_JOURNEYS.map(|(lang, owner, _)| (lang, owner));
    let admin_report = write_report(
        "e2e_admin_check",
        "The admin journey of the real bot (stack::admin_journey) after the main journeys, \
         on the same database",
        ADMIN_INTRO,
        &admins,
        &admin_transcripts,
    )?;
    for j in &admin_report.journeys {
        println!(
            "e2e admin ({}): {} steps, {} passed, {} failed",
            j.lang, j.summary.steps, j.summary.passed, j.summary.failed
        );
    }

    for j in &report.journeys {
        println!(
            "e2e ({}): {} steps, {} passed, {} failed",
            j.lang, j.summary.steps, j.summary.passed, j.summary.failed
        );
        for s in j.steps.iter().filter(|s| !s.pass) {
            println!("  FAILED step {}: {} — expected: {}", s.n, s.user, s.check);
            println!(
                "    the bot's last message: {}",
                s.bot.replace('\n', "\n    ")
            );
        }
    }
    println!("wrote artifacts/e2e_{{flow,admin}}_check.{{json,md}}");
    let incomplete: Vec<String> = transcripts
        .iter()
        .zip(JOURNEYS)
        .map(|(t, (lang, _))| (t, lang.to_string()))
        .chain(
            admin_transcripts
                .iter()
                .zip(ADMIN_JOURNEYS)
                .map(|(t, (lang, _, _))| (t, format!("admin {lang}"))),
        )
        .filter(|(t, _)| !t.passed())
        .map(|(_, name)| name)
        .collect();
    if !incomplete.is_empty() {
        bail!(
            "the journey failed or stopped early in: {}",
            incomplete.join(", ")
        );
    }
    Ok(())
}

/// Removes what depends on timing from a bot message as the transcript shows it. The step
/// "taps Run" waits for the first progress message, which the pipeline may already have moved
/// from "queued" to "generating" with a percentage; both pass the check, so the transcript keeps
/// the step's first line shape but not the changing figures.
fn normalise(bot: &str) -> String {
    hide_dates(bot)
        .lines()
        .map(|line| {
            // Percentages and elapsed seconds of progress lines.
            let mut out = String::with_capacity(line.len());
            let chars: Vec<char> = line.chars().collect();
            let mut i = 0;
            while i < chars.len() {
                if chars[i].is_ascii_digit() {
                    let start = i;
                    while i < chars.len() && chars[i].is_ascii_digit() {
                        i += 1;
                    }
                    let next = chars.get(i).copied();
                    let unit = chars.get(i + 1).copied();
                    let timed = next == Some('%')
                        || (next == Some(' ') && matches!(unit, Some('s' | 'с')))
                        || next == Some('s');
                    if timed && is_progress(line) {
                        out.push('…');
                    } else {
                        out.extend(&chars[start..i]);
                    }
                } else {
                    out.push(chars[i]);
                    i += 1;
                }
            }
            out
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Replaces the bot's timestamps ("01.12.2026 23:05", "2026-12-01 23:05": `fmt_when`) with
/// "‹date›": the admin's screens show when users joined and when things happened.
fn hide_dates(text: &str) -> String {
    const SHAPES: [&str; 2] = ["dd.dd.dddd dd:dd", "dddd-dd-dd dd:dd"];
    let chars: Vec<char> = text.chars().collect();
    let fits = |at: usize, shape: &str| {
        shape.chars().enumerate().all(|(k, want)| {
            chars.get(at + k).is_some_and(|&c| match want {
                'd' => c.is_ascii_digit(),
                other => c == other,
            })
        })
    };
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    while at < chars.len() {
        if SHAPES.iter().any(|shape| fits(at, shape)) {
            out.push_str("‹date›");
            at += 16;
        } else {
            out.push(chars[at]);
            at += 1;
        }
    }
    out
}

fn is_progress(line: &str) -> bool {
    line.contains('⏳') || line.contains('🎨') || line.contains('%')
}

const MAIN_INTRO: (&str, &str) = (
    "End-to-end flow check",
    "The main journey of the real bot (`stack::main_journey`) against the Kie simulator \
     and the fake Telegram, on a fresh database: /start → a category → a model → the wizard \
     (two uploads, the prompt, a choice, a toggle, a number with a refused value) → confirm → \
     not enough money → a Stars top-up → back to confirm → run → progress → the result as a \
     photo; then the amount charged is compared with the price shown.",
);

const ADMIN_INTRO: (&str, &str) = (
    "End-to-end admin check",
    "The admin journey of the real bot (`stack::admin_journey`), after the main journeys on \
     the same database: /admin → find the customer by id → their card → /credit with a \
     reason → the preview → Confirm → the new balance; the customer is told once; the audit \
     log shows the credit and the view of the card. Dates are shown as ‹date›.",
);

/// Writes `artifacts/<name>.{json,md}` and returns the report.
fn write_report<'a>(
    name: &str,
    what: &'static str,
    intro: (&str, &str),
    users: &'a [(&'a str, i64)],
    transcripts: &'a [Transcript],
) -> Result<Report<'a>> {
    let journeys: Vec<Journey> = transcripts
        .iter()
        .zip(users)
        .map(|(t, (lang, user_id))| Journey {
            lang,
            user_id: *user_id,
            summary: Summary::of(t.steps.iter()),
            steps: &t.steps,
        })
        .collect();
    let report = Report {
        what,
        summary: Summary::of(transcripts.iter().flat_map(|t| t.steps.iter())),
        journeys,
    };
    let dir = project::artifacts_dir();
    std::fs::create_dir_all(&dir)?;
    let json = serde_json::to_string_pretty(&report)? + "\n";
    std::fs::write(dir.join(format!("{name}.json")), json)?;
    std::fs::write(
        dir.join(format!("{name}.md")),
        markdown(intro, &report, transcripts),
    )?;
    Ok(report)
}

fn markdown((title, intro): (&str, &str), report: &Report, transcripts: &[Transcript]) -> String {
    let mut out = String::new();
    let s = &report.summary;
    let _ = writeln!(out, "# {title}\n");
    let _ = writeln!(out, "{intro}\n");
    let _ = writeln!(
        out,
        "Written by `cargo xtask e2e`. **{} steps: {} passed, {} failed.**\n",
        s.steps, s.passed, s.failed
    );
    let _ = writeln!(out, "| Language | Steps | Passed | Failed |");
    let _ = writeln!(out, "|---|---:|---:|---:|");
    for j in &report.journeys {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            j.lang, j.summary.steps, j.summary.passed, j.summary.failed
        );
    }
    for (t, j) in transcripts.iter().zip(&report.journeys) {
        let title = if j.lang == "ru" { "Russian" } else { "English" };
        let _ = writeln!(out, "\n## {title} ({}, user {})\n", j.lang, j.user_id);
        for step in &t.steps {
            let mark = if step.pass { "✅" } else { "❌ FAIL" };
            let _ = writeln!(out, "### {}. {} {}\n", step.n, step.user, mark);
            let _ = writeln!(out, "**Checked:** {}\n", step.check);
            let _ = writeln!(out, "```text\n{}\n```\n", step.bot.trim());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::normalise;

    #[test]
    fn progress_figures_are_normalised_and_prices_kept() {
        assert_eq!(normalise("🎨 Generating… 40%"), "🎨 Generating… …%");
        assert_eq!(normalise("⏳ 12 s"), "⏳ … s");
        assert_eq!(normalise("Price: 19 ₽, seed 42"), "Price: 19 ₽, seed 42");
        assert_eq!(
            normalise("joined 01.12.2026 23:05 · seen 2026-12-01 23:06."),
            "joined ‹date› · seen ‹date›."
        );
    }
}
