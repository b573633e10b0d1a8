//! What users send that the bot must refuse or render safely: an upload over the model's size
//! limit, the wrong kind of file (audio or a PDF where a photo is expected, text where a file
//! is), a prompt longer than the model allows — each refused with the limit or the kind named
//! and the same step again, nothing stored — and HTML in names and prompts, shown as typed.

use bot_ui::i18n::{Args, code};
use bot_ui::state::{State, Step};
use journeys::{Journey, Rig, i18n, seen, t};

/// A model that takes one photo (10 MB at most), then a prompt.
const UPLOAD_MODEL: &str = "ideogram/v3-remix";
/// A model whose prompt takes at most 1,000 characters.
const SHORT_PROMPT_MODEL: &str = "z-image";

fn title(rig: &Rig, model: &str, lang: bot_ui::Lang) -> String {
    rig.stack
        .app
        .ui
        .catalog
        .get(model)
        .expect("the model")
        .title
        .get(code(lang))
        .to_string()
}

async fn state(j: &Journey<'_>) -> State {
    State::load(&mut *j.rig.conn().await, j.id())
        .await
        .expect("the dialogue state")
}

/// Sends something and expects the refusal `notice` on the same step (`step` is its header).
async fn refused<F, Fut>(j: &mut Journey<'_>, what: &str, notice: &str, step: &str, send: F)
where
    F: FnOnce(tg_fake::FakeUser) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let (notice, step) = (notice.to_string(), step.to_string());
    let shown = j
        .step(
            what,
            "a clear refusal naming the limit or the kind, and the same step again",
            |u| async move {
                send(u).await;
                Ok(())
            },
            move |m| m.text_or_empty().contains(&notice) && m.text_or_empty().contains(&step),
        )
        .await;
    j.check(
        shown.text_or_empty().starts_with("⚠️"),
        "the refusal comes first",
    );
}

async fn wrong_uploads(code_: &str) {
    let rig = Rig::start().await;
    let id = 500_001_201;
    let mut j = rig.journey(id, "Uploader", code_);
    let lang = j.lang;
    j.start().await;
    j.open_wizard(UPLOAD_MODEL).await;
    let step1 = i18n().tf(
        lang,
        "wizard-step",
        &Args::new()
            .text("model", title(&rig, UPLOAD_MODEL, lang))
            .num("n", 1)
            .num("total", 2),
    );
    let png = kie_sim::MediaKind::Png.bytes().to_vec();
    let too_big = i18n().tf(
        lang,
        "error-too-big",
        &Args::new().raw("size", "30").raw("max", "10"),
    );
    let bytes = png.clone();
    refused(
        &mut j,
        "sends a 30 MB image as a file",
        &too_big,
        &step1,
        |u| async move {
            u.send_document_claiming_size(bytes, "huge.png", "image/png", 30 * 1024 * 1024)
                .await;
        },
    )
    .await;
    let wrong_kind = i18n().tf(
        lang,
        "error-wrong-kind",
        &Args::new().raw("kind", t(lang, "media-image")),
    );
    let mp3 = kie_sim::MediaKind::Mp3.bytes().to_vec();
    refused(
        &mut j,
        "sends an audio file",
        &wrong_kind,
        &step1,
        |u| async move {
            u.send_audio(mp3, "song.mp3", "audio/mpeg", 12).await;
        },
    )
    .await;
    refused(&mut j, "sends a PDF", &wrong_kind, &step1, |u| async move {
        u.send_document(
            b"%PDF-1.4\n%%EOF\n".to_vec(),
            "contract.pdf",
            "application/pdf",
        )
        .await;
    })
    .await;
    let expect_file = i18n().tf(
        lang,
        "error-expect-file",
        &Args::new().raw("kind", t(lang, "media-image")),
    );
    refused(
        &mut j,
        "types text instead",
        &expect_file,
        &step1,
        |u| async move {
            u.send_text("here is my photo").await;
        },
    )
    .await;
    let w = state(&j).await.wizard.expect("the wizard is still open");
    j.check(w.uploads.values().all(Vec::is_empty), "no file was stored");
    j.check(
        w.step
            == Step::Param {
                name: "image_url".into(),
            },
        "still at the upload step",
    );
    j.check(
        rig.tg().calls_of("getFile").is_empty(),
        "no refused file was downloaded",
    );
    // A photo within the limits moves on to the prompt.
    let step2 = i18n().tf(
        lang,
        "wizard-step",
        &Args::new()
            .text("model", title(&rig, UPLOAD_MODEL, lang))
            .num("n", 2)
            .num("total", 2),
    );
    j.step(
        "sends a photo",
        "the next step: the prompt",
        |u| async move {
            u.send_photo(png, 512, 512).await;
            Ok(())
        },
        move |m| m.text_or_empty().contains(&step2),
    )
    .await;
    j.check(rig.jobs(id).await.is_empty(), "no job");
    rig.finish().await;
}

both_languages!(wrong_uploads);

async fn prompt_too_long(code_: &str) {
    let rig = Rig::start().await;
    let id = 500_001_301;
    let mut j = rig.journey(id, "Verbose", code_);
    let lang = j.lang;
    j.start().await;
    j.open_wizard(SHORT_PROMPT_MODEL).await;
    let model = rig
        .stack
        .app
        .ui
        .catalog
        .get(SHORT_PROMPT_MODEL)
        .expect("the model");
    let max = match &model.prompt_param().expect("a prompt").kind {
        catalog::ParamKind::Text { max_len, .. } => *max_len,
        other => panic!("the prompt is not text: {other:?}"),
    };
    assert!(
        max < 5000,
        "the model must allow fewer than 5,000 characters"
    );
    let step = i18n().tf(
        lang,
        "wizard-step",
        &Args::new()
            .text("model", title(&rig, SHORT_PROMPT_MODEL, lang))
            .num("n", 1)
            .num("total", 1),
    );
    let notice = i18n().tf(
        lang,
        "error-text-too-long",
        &Args::new().num("len", 5000).num("max", max as i64),
    );
    let long: String = "a fox in the snow. ".chars().cycle().take(5000).collect();
    refused(
        &mut j,
        "sends a 5,000-character prompt",
        &notice,
        &step,
        |u| async move {
            u.send_text(&long).await;
        },
    )
    .await;
    let w = state(&j).await.wizard.expect("the wizard is still open");
    j.check(
        w.values.get("prompt").is_none(),
        "the long prompt was not stored",
    );
    j.check(
        w.step
            == Step::Param {
                name: "prompt".into(),
            },
        "still at the prompt step",
    );
    j.say("a fox in the snow", journeys::is_wizard_screen).await;
    let confirm = j.to_confirm().await;
    j.check(
        confirm.text_or_empty().contains("a fox in the snow"),
        "a prompt within the limit is taken",
    );
    rig.finish().await;
}

both_languages!(prompt_too_long);

/// HTML in a first name and a prompt is shown as typed, never interpreted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn html_from_users_is_escaped() {
    let rig = Rig::start().await;
    let id = 500_001_401;
    let name = "<b>x</b> & <script>";
    let prompt = "a <i>fox</i> & <b>cat</b> </code>";
    let mut j = rig.journey(id, name, "en");
    let welcome = j.start().await;
    j.check(
        seen(&welcome).contains(&format!("Hello, {name}!")),
        "the name is shown exactly as typed",
    );
    rig.credit(id, "50").await;
    let confirm = j.order("google/imagen4-fast", prompt).await;
    j.check(
        seen(&confirm).contains(prompt),
        "the confirm screen shows the prompt exactly as typed",
    );
    j.run().await;
    j.result().await;
    let job = rig.jobs(id).await.remove(0);
    j.check(
        job.input.get("prompt").and_then(|p| p.as_str()) == Some(prompt),
        "the prompt reaches the model unchanged",
    );
    let history_title = t(j.lang, "history-title");
    j.say("/history", |m| m.text_or_empty().contains(&history_title))
        .await;
    let details = j
        .press_data(j.last().id, &format!("j:{}:o", job.id.0), |m| {
            m.text_or_empty().contains("#")
        })
        .await;
    j.check(
        seen(&details).contains(prompt),
        "the history shows the prompt exactly as typed",
    );
    // A search for markup finds nothing, and says so with the query as typed.
    j.say("/search", |m| !m.text_or_empty().is_empty()).await;
    let query = "<b>zebra</b> & <u>";
    let nothing = j.say(query, |m| m.text_or_empty().contains("zebra")).await;
    j.check(
        seen(&nothing).contains(query),
        "the search answer shows the query exactly as typed",
    );
    // No bot text carries the users' markup as markup.
    for call in rig.tg().calls() {
        for key in ["text", "caption"] {
            if let Some(text) = call.str_param(key) {
                for raw in [
                    "<script>", "<i>fox", "<b>x</b>", "<b>cat", "</code>", "<b>zebra", "<u>",
                ] {
                    j.check(
                        !text.contains(raw),
                        &format!("{} sent {raw:?} unescaped: {text}", call.method),
                    );
                }
            }
        }
    }
    rig.finish().await;
}

/// At a step waiting for typed text, "/frobnicate" is an unknown command (the short help), not
/// the value; the wizard waits on, and a real value is still taken.
async fn typed_command_is_a_command(code_: &str) {
    let rig = Rig::start().await;
    let id = 500_001_401;
    let mut j = rig.journey(id, "Commander", code_);
    let lang = j.lang;
    j.start().await;
    j.open_wizard(SHORT_PROMPT_MODEL).await;
    let unknown = t(lang, "unknown-command");
    let help = j
        .say("/frobnicate", |m| m.text_or_empty().contains(&unknown))
        .await;
    j.check(
        help.text_or_empty().contains("/help") && help.text_or_empty().contains("/balance"),
        "the short help lists the commands",
    );
    let w = state(&j).await.wizard.expect("the wizard is still open");
    j.check(
        w.values.get("prompt").is_none(),
        "the command was not taken as the prompt",
    );
    j.say("a fox in the snow", journeys::is_wizard_screen).await;
    let confirm = j.to_confirm().await;
    j.check(
        confirm.text_or_empty().contains("a fox in the snow"),
        "the wizard goes on with a real value",
    );
    rig.finish().await;
}

both_languages!(typed_command_is_a_command);
