//! The panel's reports through Telegram: a user's runs (one success, three failures) show up in
//! the owner's model stats, the broken models (whose Disable proposes the two-step action with
//! its reason), the analytics (a PNG chart and a CSV document with the documented header), the
//! errors, and the audit log filtered by that user with its CSV export. A non-admin pressing
//! the report buttons gets the stale-button answer; support sees the broken models but cannot
//! take one off sale.

use bot_ui::i18n::fmt_money;
use journeys::{Rig, data_button, escape, t};
use ledger::{JobState, UserId};
use tg_fake::{ChatMessage, MessageKind};

/// The owner of `StackOptions::fast` (ADMIN_IDS).
const OWNER: i64 = 9_000_001;

/// A cheap paid image model with just a prompt required.
const PAID: &str = "google/imagen4-fast";

/// The UTF-8 byte order mark the CSV exports start with.
const BOM: &[u8] = b"\xEF\xBB\xBF";

fn csv_lines(m: &ChatMessage) -> Vec<String> {
    let file = m.file.as_ref().expect("a file");
    let bytes = file.bytes.strip_prefix(BOM).expect("a CSV with a BOM");
    String::from_utf8(bytes.to_vec())
        .expect("UTF-8")
        .split("\r\n")
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

async fn failed_jobs(rig: &Rig, user: i64) -> usize {
    rig.jobs(user)
        .await
        .iter()
        .filter(|j| j.state == JobState::Failed)
        .count()
}

async fn owner_reads_every_report(code: &str) {
    let rig = Rig::start().await;
    let customer = 700_000_601;
    let mut c = rig.journey(customer, "Rita", code);
    c.start().await;
    rig.credit(customer, "500").await;
    // One success, then three failures in a row: the model is broken.
    c.order(PAID, "a lighthouse at dusk").await;
    c.run().await;
    c.result().await;
    for n in 1..=3 {
        c.order(PAID, "a red fox in the snow [sim:fail=501]").await;
        c.run().await;
        rig.wait_db("the failure", || async {
            (failed_jobs(&rig, customer).await >= n).then_some(())
        })
        .await;
    }
    let jobs = rig.jobs(customer).await;
    let price = jobs
        .iter()
        .find(|j| j.state != JobState::Failed)
        .expect("the success")
        .price;
    let newest_failure = jobs
        .iter()
        .find(|j| j.state == JobState::Failed)
        .expect("a failure")
        .id;

    let mut owner = rig.journey(OWNER, "Olga", code);
    let lang = owner.lang;
    let stats = t(lang, "admin-stats");
    owner
        .say("/admin", move |m| m.button(&stats).is_some())
        .await;

    // Model stats: the model with its runs and revenue; its line opens the card.
    let revenue = fmt_money(lang, price);
    let model = PAID.to_string();
    let page = owner
        .press(&t(lang, "admin-stats"), move |m| {
            m.text_or_empty().contains(&model) && m.text_or_empty().contains(&revenue)
        })
        .await;
    owner.check(
        page.text_or_empty().contains("<code>501</code>×3"),
        "the failures by code",
    );
    let card = data_button(&page, |d| d == format!("a:o:{PAID}"))
        .unwrap_or_else(|| owner.fail("no button opens the model's card"))
        .to_string();
    let models = t(lang, "admin-models");
    owner
        .press_data(page.id, &card, move |m| m.button(&models).is_some())
        .await;
    let thirty = data_button(&page, |d| d == "a:s:30:r:0").map(str::to_string);
    owner.check(thirty.is_some(), "a button switches to 30 days");

    // Broken models: the model with its last error, and Disable proposes the two-step action.
    let broken = t(lang, "admin-broken");
    owner
        .press(&t(lang, "admin-back-home"), move |m| {
            m.button(&broken).is_some()
        })
        .await;
    let model = PAID.to_string();
    let list = owner
        .press(&t(lang, "admin-broken"), move |m| {
            m.text_or_empty().contains(&model) && m.text_or_empty().contains("3 ")
        })
        .await;
    let disable = format!("a:kd:{PAID}");
    owner.check(
        data_button(&list, |d| d == disable).is_some(),
        "a Disable button for the broken model",
    );
    let confirm = t(lang, "admin-confirm");
    let preview = owner
        .press_data(list.id, &disable, move |m| {
            m.button(&confirm).is_some()
                && m.text_or_empty()
                    .contains("auto: 3 of 4 recent runs failed")
        })
        .await;
    let done = t(lang, "admin-done-disable");
    owner
        .press_data(
            preview.id,
            data_button(&preview, |d| d.starts_with("a:y:")).expect("Confirm"),
            move |m| m.text_or_empty() == done,
        )
        .await;
    let overrides = ledger::model_overrides(&mut *rig.conn().await)
        .await
        .expect("the overrides");
    owner.check(
        overrides.iter().any(|o| {
            o.model_id == PAID
                && o.disabled
                && o.reason.as_deref() == Some("auto: 3 of 4 recent runs failed")
        }),
        &format!("the model is off sale with the reason: {overrides:?}"),
    );

    // Analytics: the summary, the chart as a PNG photo, the days as a CSV document.
    let analytics = t(lang, "admin-analytics");
    owner
        .say("/admin", move |m| m.button(&analytics).is_some())
        .await;
    let revenue = fmt_money(lang, price);
    let chart = t(lang, "admin-analytics-chart");
    owner
        .press(&t(lang, "admin-analytics"), move |m| {
            m.button(&chart).is_some() && m.text_or_empty().contains(&revenue)
        })
        .await;
    let photo = owner
        .press(&t(lang, "admin-analytics-chart"), |m| {
            m.kind == MessageKind::Photo && m.file.is_some()
        })
        .await;
    let png = photo.file.as_ref().expect("a file").bytes.clone();
    let decoder = png::Decoder::new(std::io::Cursor::new(png.to_vec()));
    let mut reader = decoder
        .read_info()
        .unwrap_or_else(|e| owner.fail(&format!("the chart is not a PNG: {e}")));
    let mut pixels = vec![0; reader.output_buffer_size().expect("a sane size")];
    let frame = reader
        .next_frame(&mut pixels)
        .unwrap_or_else(|e| owner.fail(&format!("the chart's pixels do not decode: {e}")));
    owner.check(
        (frame.width, frame.height) == (1200, 600),
        &format!("a 1200×600 chart, not {}×{}", frame.width, frame.height),
    );
    let document = owner
        .press(&t(lang, "admin-analytics-csv"), |m| {
            m.kind == MessageKind::Document && m.file.is_some()
        })
        .await;
    let lines = csv_lines(&document);
    owner.check(
        lines.first().map(String::as_str)
            == Some(
                "day,stars_in,rub_credited,stars_refunded,refunds_rub,revenue_rub,kie_cost_usd,\
                 kie_cost_rub,gross_margin_rub,new_users,new_payers,paying_users,active_users",
            ),
        &format!("the documented header: {:?}", lines.first()),
    );
    owner.check(lines.len() == 31, "a row per day of the 30");
    let revenue_cell = format!(",{},", price.amount());
    owner.check(
        lines.last().is_some_and(|l| l.contains(&revenue_cell)),
        &format!(
            "today's revenue {revenue_cell} in the last row: {:?}",
            lines.last()
        ),
    );
    owner.check(
        document.text_or_empty().contains("gross_margin_rub — "),
        "the caption explains the columns",
    );

    // Errors: the user's failures by code, model and stage; viewing them is audited.
    let errors = t(lang, "admin-errors");
    owner
        .say("/admin", move |m| m.button(&errors).is_some())
        .await;
    let job = format!("#{}", newest_failure.0);
    let shown = owner
        .press(&t(lang, "admin-errors"), move |m| {
            m.text_or_empty().contains("<code>501</code>") && m.text_or_empty().contains(&job)
        })
        .await;
    owner.check(
        shown
            .text_or_empty()
            .contains(&format!("<code>{}</code>: 3", escape(PAID))),
        "three failures of the model",
    );
    owner.check(
        data_button(&shown, |d| d == "a:x:7").is_some(),
        "a button switches to 7 days",
    );

    // The audit log about the user, and its CSV.
    owner
        .say(&format!("/find {customer}"), |m| m.button("1").is_some())
        .await;
    let id = customer.to_string();
    owner
        .press("1", move |m| m.text_or_empty().contains(&id))
        .await;
    let csv = t(lang, "admin-log-csv");
    let log = owner
        .say(&format!("/log user {customer}"), move |m| {
            m.button(&csv).is_some() && m.text_or_empty().contains("admin_view_user")
        })
        .await;
    owner.check(
        !log.text_or_empty().contains("admin_view_errors")
            && !log.text_or_empty().contains("admin_find"),
        "only records about the user",
    );
    let export = owner
        .press(&t(lang, "admin-log-csv"), |m| {
            m.kind == MessageKind::Document && m.file.is_some()
        })
        .await;
    let lines = csv_lines(&export);
    owner.check(
        lines.first().map(String::as_str) == Some("id,at,actor,action,target,details"),
        &format!("the documented header: {:?}", lines.first()),
    );
    let target = format!(",{customer},");
    owner.check(
        lines.len() >= 3 && lines[1..].iter().all(|l| l.contains(&target)),
        &format!("every row is about the user: {lines:?}"),
    );
    owner.check(
        lines.iter().any(|l| l.contains(",admin_view_user,")),
        "the card's view is in the export",
    );
    let audited = ledger::audit_page(
        &mut *rig.conn().await,
        &ledger::AuditFilter {
            actor: Some(UserId(OWNER)),
            ..Default::default()
        },
        None,
        100,
    )
    .await
    .expect("the audit log");
    for action in ["admin_view_errors", "admin_view_log", "admin_export_log"] {
        owner.check(
            audited.iter().any(|r| r.action == action),
            &format!("{action} is audited"),
        );
    }
    rig.finish().await;
}
both_languages!(owner_reads_every_report);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_admins_get_stale_buttons_and_support_cannot_disable() {
    let rig = Rig::start().await;
    let mallory = 700_000_701;
    let mut j = rig.journey(mallory, "Mallory", "en");
    j.start().await;
    let unknown = t(j.lang, "unknown-command");
    for command in ["/log", "/log user 9000001"] {
        let expected = unknown.clone();
        j.say(command, move |m| m.text_or_empty().starts_with(&expected))
            .await;
    }
    let menu = j.last().id;
    let stale = t(j.lang, "stale-button");
    for data in [
        "a:s:7:r:0",
        "a:k",
        &format!("a:kd:{PAID}"),
        "a:z",
        "a:zc",
        "a:zv",
        "a:x:1",
        "a:lf:u9000001",
        "a:lv",
    ] {
        let answer = j.tap(menu, data).await;
        j.check(
            answer.text.as_deref() == Some(stale.as_str()),
            &format!("{data}: {answer:?}"),
        );
    }
    j.barrier().await;
    j.check(
        rig.tg()
            .bot_messages(mallory)
            .iter()
            .all(|m| m.file.is_none()),
        "no file was sent to a non-admin",
    );

    // Support sees the list of broken models, but taking one off sale is the owners'.
    let helper = 700_000_702;
    let mut support = rig.journey(helper, "Sam", "en");
    support.start().await;
    admin::roles::grant(
        &mut *rig.conn().await,
        UserId(OWNER),
        UserId(helper),
        admin::Role::Support,
    )
    .await
    .expect("granting support");
    let broken = t(support.lang, "admin-broken");
    support
        .say("/admin", move |m| m.button(&broken).is_some())
        .await;
    let none = t(support.lang, "admin-broken-none");
    let list = support
        .press(&t(support.lang, "admin-broken"), move |m| {
            m.text_or_empty().contains(&none)
        })
        .await;
    let refused = t(support.lang, "admin-owner-only");
    support
        .press_data(list.id, &format!("a:kd:{PAID}"), move |m| {
            m.text_or_empty() == refused
        })
        .await;
    support.barrier().await;
    support.check(
        ledger::model_overrides(&mut *rig.conn().await)
            .await
            .expect("the overrides")
            .is_empty(),
        "nothing was taken off sale",
    );
    rig.finish().await;
}
