//! Forged and foreign buttons: callback data the bot never produced (unknown jobs and wizards,
//! garbage, over 64 bytes, a wizard that is gone) and another user's job ids are answered
//! "this button is out of date" in the user's language, and nothing changes: no message is
//! sent or edited, no job is created, no money moves.

use journeys::{Journey, Rig};

/// The answer to anything forged, as the issue words it.
fn out_of_date(code: &str) -> &'static str {
    if code == "en" {
        "This button is out of date."
    } else {
        "Эта кнопка устарела."
    }
}

/// Presses `data` on message `at` and checks the answer is "out of date".
async fn press_forged(j: &Journey<'_>, code: &str, at: i32, data: &str) {
    let pressed = j.user().press_data(at, data).await;
    let answer = j
        .tg()
        .wait_callback_answer(&pressed.callback_id, journeys::PATIENCE)
        .await
        .unwrap_or_else(|e| j.fail(&format!("{data:?} was not answered: {e:#}")));
    j.check(
        answer.text.as_deref() == Some(out_of_date(code)),
        &format!("{data:?} is answered “out of date”, got {answer:?}"),
    );
}

async fn forged_callback_data(code: &str) {
    let rig = Rig::start().await;
    let id = 500_000_601;
    let mut j = rig.journey(id, "Forger", code);
    j.start().await;
    rig.credit(id, "50").await;
    // A wizard that is then left: its buttons are stale.
    j.open_wizard("google/imagen4-fast").await;
    let wizard = j.last();
    let stale_cancel = wizard
        .all_buttons()
        .find_map(|b| b.callback_data.clone())
        .expect("a wizard button");
    let menu = j.start().await;
    let balance = rig.balance(id).await;
    let before = j.snapshot();
    let long = format!("o:{}", "a".repeat(70));
    // Not here: a well-formed card or Generate button of a model the registry no longer has
    // ("g:gone/model") is a real stale button and answers with the "model is gone" screen.
    for data in [
        "j:999999:r",
        "j:999999:o",
        "j:999999:x",
        "w:1:r",
        "w:1:k",
        "garbage",
        "",
        "m:",
        "c:image:01",
        "o:../../etc/passwd",
        "t:999999",
        "l:de",
        &long,
        &"x".repeat(64),
        &stale_cancel,
    ] {
        press_forged(&j, code, menu.id, data).await;
    }
    // A forged press on the wizard's own (now stale) message too.
    press_forged(&j, code, wizard.id, "w:1:r").await;
    j.barrier().await;
    j.check(j.snapshot() == before, "no message was sent or edited");
    j.check(rig.jobs(id).await.is_empty(), "no job was created");
    j.check(rig.balance(id).await == balance, "the balance is unchanged");
    rig.finish().await;
}

both_languages!(forged_callback_data);

/// User B presses buttons naming user A's job: refused, and nothing of A's is shown or changed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_users_job() {
    let rig = Rig::start().await;
    let (a, b) = (500_000_701, 500_000_702);
    let mut alice = rig.journey(a, "Alice", "ru");
    alice.start().await;
    rig.credit(a, "100").await;
    alice
        .order("google/imagen4-fast", "alice's secret garden")
        .await;
    alice.run().await;
    alice.result().await;
    let job = rig.jobs(a).await.remove(0);
    let alice_balance = rig.balance(a).await;
    let alice_chat = alice.snapshot();

    let mut bob = rig.journey(b, "Bob", "en");
    let menu = bob.start().await;
    rig.credit(b, "100").await;
    let bob_balance = rig.balance(b).await;
    let bob_chat = bob.snapshot();
    for op in ["o", "r", "x", "n", "d"] {
        press_forged(&bob, "en", menu.id, &format!("j:{}:{op}", job.id.0)).await;
    }
    // Even on Alice's result message id (Bob's chat has no such message).
    let alice_result = alice.last().id;
    press_forged(&bob, "en", alice_result, &format!("j:{}:r", job.id.0)).await;
    bob.barrier().await;
    alice.barrier().await;
    bob.check(bob.snapshot() == bob_chat, "Bob sees nothing new");
    bob.check(rig.jobs(b).await.is_empty(), "Bob has no job");
    bob.check(
        rig.balance(b).await == bob_balance,
        "Bob's money is untouched",
    );
    alice.check(alice.snapshot() == alice_chat, "Alice's chat is untouched");
    alice.check(rig.jobs(a).await.len() == 1, "Alice still has one job");
    alice.check(
        rig.balance(a).await == alice_balance,
        "Alice's money is untouched",
    );
    let secret = "alice's secret garden";
    let leaked = rig
        .tg()
        .chat(b)
        .iter()
        .any(|m| m.text_or_empty().contains("secret garden"));
    bob.check(
        !leaked,
        &format!("nothing of Alice's ({secret}) reaches Bob"),
    );
    rig.finish().await;
}
