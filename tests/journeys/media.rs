//! Uploads and results beyond a single photo: several photos for one parameter (with "Done"),
//! a voice note transcribed to text (a text result, sent again from history), and a photo
//! result sent again from history by its Telegram file id.

use bot_ui::i18n::{Args, code};
use bot_ui::state::{State, Step};
use catalog::ParamKind;
use journeys::{Rig, data_button, i18n, t};

/// Several photos, "Done", a prompt, a run: every file reaches the model.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_photos_for_one_parameter() {
    let rig = Rig::start().await;
    let id = 500_002_001;
    let model = "google/nano-banana-edit";
    let mut j = rig.journey(id, "Collage", "en");
    let lang = j.lang;
    j.start().await;
    rig.credit(id, "100").await;
    j.open_wizard(model).await;
    let png = kie_sim::MediaKind::Png.bytes().to_vec();
    let done = t(lang, "wizard-upload-done");
    for n in 1..=2 {
        let received = i18n().tf(
            lang,
            "wizard-upload-count",
            &Args::new().num("have", n).num("min", 1).num("max", 10),
        );
        let bytes = png.clone();
        let done = done.clone();
        j.step(
            "sends a photo",
            "the count of files so far and Done",
            |u| async move {
                u.send_photo(bytes, 640, 480).await;
                Ok(())
            },
            move |m| m.text_or_empty().contains(&received) && m.button(&done).is_some(),
        )
        .await;
    }
    let prompt_label = rig
        .stack
        .app
        .ui
        .catalog
        .get(model)
        .and_then(|m| m.prompt_param())
        .map(|p| p.label.get(code(lang)).to_string())
        .expect("a prompt");
    j.press(&t(lang, "wizard-upload-done"), |m| {
        m.text_or_empty().contains(&prompt_label)
    })
    .await;
    j.say("merge the two into one scene", journeys::is_wizard_screen)
        .await;
    let confirm = j.to_confirm().await;
    j.check(
        confirm.text_or_empty().contains(&i18n().tf(
            lang,
            "files-count",
            &Args::new().num("count", 2),
        )),
        "the confirm screen counts two files",
    );
    j.run().await;
    j.result().await;
    let job = rig.jobs(id).await.remove(0);
    let files = job
        .input
        .get("image_urls")
        .and_then(|v| v.as_array())
        .map(Vec::len);
    j.check(
        files == Some(2),
        &format!("both files reach the model: {:?}", job.input),
    );
    rig.finish().await;
}

/// A voice note to speech-to-text: the transcript comes back as text with the result buttons,
/// and "Send the result again" in history sends the text again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn voice_note_transcribed_and_sent_again() {
    let rig = Rig::start().await;
    let id = 500_002_101;
    let model = "elevenlabs/speech-to-text";
    let mut j = rig.journey(id, "Voice", "ru");
    let lang = j.lang;
    j.start().await;
    rig.credit(id, "100").await;
    j.open_wizard(model).await;
    let ogg = kie_sim::MediaKind::Mp3.bytes().to_vec();
    j.step(
        "sends a voice note of 12 s",
        "the next screen",
        |u| async move {
            u.send_voice(ogg, 12).await;
            Ok(())
        },
        journeys::is_wizard_screen,
    )
    .await;
    j.to_confirm().await;
    j.run().await;
    let again = t(lang, "result-again");
    let transcript = j
        .wait("the transcript as text with Run again", |m| {
            m.text_or_empty().contains("Simulated transcript") && m.button(&again).is_some()
        })
        .await;
    j.check(transcript.file.is_none(), "a text, not a file");
    let job = rig.jobs(id).await.remove(0);
    // History → the job → send the result again.
    let redeliver = t(lang, "job-redeliver");
    let history_title = t(lang, "history-title");
    j.say("/history", |m| m.text_or_empty().contains(&history_title))
        .await;
    j.press_data(j.last().id, &format!("j:{}:o", job.id.0), |m| {
        m.button(&t(lang, "job-redeliver")).is_some()
    })
    .await;
    let before = rig
        .tg()
        .bot_messages(id)
        .iter()
        .filter(|m| m.text_or_empty().contains("Simulated transcript"))
        .count();
    j.press(&redeliver, |m| {
        m.text_or_empty().starts_with("🔁") && m.text_or_empty().contains("Simulated transcript")
    })
    .await;
    let after = rig
        .tg()
        .bot_messages(id)
        .iter()
        .filter(|m| m.text_or_empty().contains("Simulated transcript"))
        .count();
    j.check(after == before + 1, "the transcript is sent once more");
    rig.finish().await;
}

/// A photo result sent again from history: the same file, by Telegram's file id, no new run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn photo_result_sent_again() {
    let rig = Rig::start().await;
    let id = 500_002_201;
    let mut j = rig.journey(id, "Again", "en");
    let lang = j.lang;
    j.start().await;
    rig.credit(id, "100").await;
    j.order("google/imagen4-fast", "a teapot").await;
    j.run().await;
    let result = j.result().await;
    let job = rig.jobs(id).await.remove(0);
    let balance = rig.balance(id).await;
    let history_title = t(lang, "history-title");
    j.say("/history", |m| m.text_or_empty().contains(&history_title))
        .await;
    let redeliver = t(lang, "job-redeliver");
    j.press_data(j.last().id, &format!("j:{}:o", job.id.0), |m| {
        m.button(&redeliver).is_some()
    })
    .await;
    let again = j.press(&redeliver, |m| m.file.is_some()).await;
    let original = result.file.as_ref().map(|f| f.bytes.clone());
    j.check(
        again.file.as_ref().map(|f| f.bytes.clone()) == original,
        "the same file",
    );
    let sent_by_id = rig
        .tg()
        .calls_of("sendPhoto")
        .last()
        .and_then(|c| c.str_param("photo").map(str::to_string));
    j.check(
        sent_by_id.is_some_and(|p| !p.starts_with("attach://")),
        "sent by Telegram's file id, not uploaded again",
    );
    j.check(
        data_button(&again, |d| d == format!("j:{}:r", job.id.0)).is_some(),
        "with Run again",
    );
    j.check(rig.jobs(id).await.len() == 1, "no new job");
    j.check(rig.balance(id).await == balance, "no money moved");
    rig.finish().await;
}

/// An optional file (a video's end frame) is not forced on the user: the wizard asks the
/// required photo and the prompt, the settings screen offers the end frame, and both files
/// reach the model; a text-to-video model with an optional first frame runs on the prompt
/// alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn optional_files_are_offered_not_forced() {
    let rig = Rig::start().await;
    let id = 500_002_301;
    let model_id = "hailuo/02-image-to-video-standard";
    let mut j = rig.journey(id, "Frames", "ru");
    j.start().await;
    rig.credit(id, "1000").await;
    j.open_wizard(model_id).await;
    let png = kie_sim::MediaKind::Png.bytes().to_vec();
    let bytes = png.clone();
    j.step(
        "sends the start frame",
        "the prompt step",
        |u| async move {
            u.send_photo(bytes, 640, 360).await;
            Ok(())
        },
        journeys::is_wizard_screen,
    )
    .await;
    let settings = j
        .say("a paper plane takes off", |m| {
            data_button(m, |d| journeys::is_wizard_op(d, "k")).is_some()
        })
        .await;
    let model = rig.stack.app.ui.catalog.get(model_id).expect("the model");
    let end = model
        .params
        .iter()
        .position(|p| p.name == "end_image_url")
        .expect("an end frame parameter");
    let edit = data_button(&settings, |d| {
        journeys::is_wizard_op(d, &format!("e:{end}"))
    })
    .expect("the settings screen offers the end frame")
    .to_string();
    j.press_data(settings.id, &edit, journeys::is_wizard_screen)
        .await;
    j.step(
        "sends the end frame",
        "back to the settings",
        |u| async move {
            u.send_photo(png, 640, 360).await;
            Ok(())
        },
        |m| data_button(m, |d| journeys::is_wizard_op(d, "k")).is_some(),
    )
    .await;
    j.to_confirm().await;
    j.run().await;
    j.result().await;
    // What Kie received: both files, as URLs of its upload host.
    let task = rig
        .stack
        .sim
        .tasks()
        .into_iter()
        .find(|t| t.model == model_id)
        .expect("the task at Kie");
    for key in ["image_url", "end_image_url"] {
        j.check(
            task.input
                .get(key)
                .and_then(|v| v.as_str())
                .is_some_and(|u| u.starts_with("http")),
            &format!("{key} reaches the model: {:?}", task.input),
        );
    }
    // Text to video with an optional first frame: the prompt is enough.
    j.order("bytedance/seedance-2-fast", "waves at night").await;
    j.run().await;
    j.result().await;
    let job = rig.jobs(id).await.remove(0);
    j.check(
        job.model_id == "bytedance/seedance-2-fast" && job.input.get("first_frame_url").is_none(),
        &format!("ran without a first frame: {:?}", job.input),
    );
    rig.finish().await;
}

/// Every free model end to end, as a new user would first try them: typed text, dialogue
/// lines, a voice choice, an audio upload — each accepted by Kie (the simulator checks Kie's
/// documented inputs) and delivered, free of charge.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_free_model_runs() {
    let rig = Rig::start().await;
    let id = 500_002_401;
    let mut j = rig.journey(id, "Freebie", "en");
    j.start().await;
    let ui = &rig.stack.app.ui;
    let free = ui.free_models().await.expect("the free models");
    j.check(!free.is_empty(), "there are free models");
    for model_id in &free {
        let model = ui.catalog.get(model_id).expect("the model");
        j.start().await;
        j.open_wizard(model_id).await;
        // Fill the first pass: files, then text.
        for _ in 0..4 {
            j.barrier().await; // the state is saved after the screen is shown
            let w = State::load(&mut *rig.conn().await, id)
                .await
                .expect("the state")
                .wizard
                .expect("a wizard");
            let Step::Param { name } = w.step else { break };
            let param = model.param(&name).expect("the parameter");
            match &param.kind {
                ParamKind::Upload { .. } => {
                    let mp3 = kie_sim::MediaKind::Mp3.bytes().to_vec();
                    j.step(
                        "sends an audio file",
                        "the next step",
                        |u| async move {
                            u.send_audio(mp3, "voice.mp3", "audio/mpeg", 5).await;
                            Ok(())
                        },
                        journeys::is_wizard_screen,
                    )
                    .await;
                }
                ParamKind::Dialogue { .. } => {
                    j.say(
                        "1: Hello there!\n2: Hi, how are you?",
                        journeys::is_wizard_screen,
                    )
                    .await;
                }
                ParamKind::Text { .. } => {
                    j.say("A warm hello from the test", journeys::is_wizard_screen)
                        .await;
                }
                _ => break,
            }
        }
        let confirm = j.to_confirm().await;
        j.check(
            confirm.button(&t(j.lang, "confirm-run-free")).is_some(),
            &format!("{model_id}: a free run"),
        );
        j.run().await;
        let again = t(j.lang, "result-again");
        let failure = t(j.lang, "refund-free");
        let outcome = j
            .wait(&format!("{model_id}: the result or a failure"), |m| {
                m.text_or_empty().contains(&failure)
                    || (m.button(&again).is_some()
                        && (m.file.is_some() || m.text_or_empty().starts_with('✅'))
                        && m.id > confirm.id)
            })
            .await;
        j.check(
            !outcome.text_or_empty().contains(&failure),
            &format!("{model_id} succeeded"),
        );
    }
    let balance = rig.balance(id).await;
    j.check(
        balance.available.is_zero() && balance.held.is_zero(),
        "nothing charged",
    );
    j.check(
        rig.jobs(id).await.iter().all(|job| job.is_free),
        "every run was free",
    );
    rig.finish().await;
}
