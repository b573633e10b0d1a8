//! Users, jobs, free runs, processed updates and settings.

use chrono::{TimeZone, Utc};
use ledger::{
    FreeHoldOutcome, FreeLimits, FreeOutcome, JobOutcome, JobState, JobStep, Language, Role,
    TelegramProfile, UserId,
};
use pricing::FreeQuota;

use crate::support::*;

#[tokio::test]
async fn upsert_creates_a_user_with_an_empty_account_and_keeps_their_language() {
    let (_db, pool) = setup(2).await;
    let c = &mut pool.get().await.unwrap();
    let mut profile = TelegramProfile {
        id: UserId(42),
        username: None,
        first_name: "Аня".into(),
        last_name: None,
    };
    let u = ledger::upsert_user(c, &profile, Language::En)
        .await
        .unwrap();
    assert_eq!(
        (u.language, u.role, u.banned, u.reachable),
        (Language::En, Role::User, false, true)
    );
    let b = ledger::balance(c, u.id).await.unwrap();
    assert!(b.available.is_zero() && b.held.is_zero());

    profile.username = Some("anya".into());
    let again = ledger::upsert_user(c, &profile, Language::Ru)
        .await
        .unwrap();
    assert_eq!(
        (again.username.as_deref(), again.language),
        (Some("anya"), Language::En)
    );
    // Nothing changed and seen just now: the row comes back unwritten.
    let same = ledger::upsert_user(c, &profile, Language::Ru)
        .await
        .unwrap();
    assert_eq!(same, again);

    ledger::set_language(c, u.id, Language::Ru).await.unwrap();
    assert_eq!(
        ledger::user(c, u.id).await.unwrap().unwrap().language,
        Language::Ru
    );
    assert!(matches!(
        ledger::balance(c, UserId(7)).await,
        Err(ledger::LedgerError::NoSuchUser(7))
    ));
}

#[tokio::test]
async fn bans_roles_and_reachability_are_recorded() {
    let (_db, pool) = setup(2).await;
    let c = &mut pool.get().await.unwrap();
    let u = user(c, 100).await;
    ledger::ban(c, ADMIN, u, "spam").await.unwrap();
    let banned = ledger::user(c, u).await.unwrap().unwrap();
    assert_eq!(
        (
            banned.banned,
            banned.ban_reason.as_deref(),
            banned.banned_by
        ),
        (true, Some("spam"), Some(ADMIN.0))
    );
    ledger::unban(c, ADMIN, u).await.unwrap();
    assert!(!ledger::user(c, u).await.unwrap().unwrap().banned);
    ledger::set_role(c, ADMIN, u, Role::Admin).await.unwrap();
    assert_eq!(ledger::user(c, u).await.unwrap().unwrap().role, Role::Admin);
    assert!(ledger::ban(c, ADMIN, UserId(999), "nobody").await.is_err());
    assert!(ledger::ban(c, ADMIN, u, " ").await.is_err());

    let actions: Vec<String> = ledger::recent_audit(c, None, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.action)
        .collect();
    assert_eq!(actions, ["role_admin", "unban", "ban"]);

    ledger::mark_unreachable(c, u).await.unwrap();
    assert!(!ledger::user(c, u).await.unwrap().unwrap().reachable);
    ledger::mark_reachable(c, u).await.unwrap();
    assert!(ledger::user(c, u).await.unwrap().unwrap().reachable);
}

#[tokio::test]
async fn a_job_is_created_once_per_key_and_steps_only_forward() {
    let (_db, pool) = setup(2).await;
    let c = &mut pool.get().await.unwrap();
    let u = user(c, 100).await;
    let other = user(c, 200).await;
    let (first, created) = ledger::create_job(c, &new_job(u, "confirm-1", "10"))
        .await
        .unwrap();
    let (second, created_again) = ledger::create_job(c, &new_job(u, "confirm-1", "10"))
        .await
        .unwrap();
    assert!(created && !created_again);
    assert_eq!(first.id, second.id);
    assert!(
        ledger::create_job(c, &new_job(other, "confirm-1", "10"))
            .await
            .is_err()
    );
    let mut bad = new_job(u, "confirm-2", "10");
    bad.is_free = true;
    assert!(ledger::create_job(c, &bad).await.is_err());

    fund(c, u, "10").await;
    ledger::hold(c, u, rub("10"), first.id, HOUR).await.unwrap();
    assert!(
        !ledger::advance_job(c, first.id, JobStep::Running)
            .await
            .unwrap()
    );
    assert!(
        ledger::advance_job(c, first.id, JobStep::Submitting)
            .await
            .unwrap()
    );
    let submitted = JobStep::Submitted {
        task_id: "task-1".into(),
    };
    assert!(
        ledger::advance_job(c, first.id, submitted.clone())
            .await
            .unwrap()
    );
    assert!(!ledger::advance_job(c, first.id, submitted).await.unwrap());
    assert!(
        ledger::advance_job(c, first.id, JobStep::Running)
            .await
            .unwrap()
    );
    assert_eq!(ledger::unfinished_jobs(c, 10).await.unwrap().len(), 1);
    ledger::finish_job(c, first.id, JobOutcome::Succeeded)
        .await
        .unwrap();
    let delivered = JobStep::Delivered {
        result: serde_json::json!({"urls": ["https://x/1.png"]}),
    };
    assert!(ledger::advance_job(c, first.id, delivered).await.unwrap());
    let j = ledger::job(c, first.id).await.unwrap().unwrap();
    assert_eq!(
        (j.state, j.kie_task_id.as_deref()),
        (JobState::Delivered, Some("task-1"))
    );
    assert!(ledger::unfinished_jobs(c, 10).await.unwrap().is_empty());

    let page = ledger::jobs_page(c, u, None, 5).await.unwrap();
    assert_eq!(page.len(), 1);
    assert!(
        ledger::jobs_page(c, u, Some(first.id), 5)
            .await
            .unwrap()
            .is_empty()
    );
    assert_sound(c).await;
}

#[tokio::test]
async fn free_runs_are_counted_per_day_and_hour_and_given_back_on_failure() {
    let (_db, pool) = setup(2).await;
    let c = &mut pool.get().await.unwrap();
    let u = user(c, 100).await;
    let limits = FreeLimits {
        per_day: 3,
        per_hour: 2,
        daily_budget_usd: None,
    };
    let t = Utc.with_ymd_and_hms(2026, 11, 24, 10, 15, 0).unwrap();
    for n in 1..=2 {
        let out = ledger::consume_free(c, u, "m", t, limits).await.unwrap();
        assert_eq!(
            out,
            FreeOutcome::Consumed {
                used: FreeQuota {
                    used_today: n,
                    used_this_hour: n
                }
            }
        );
    }
    let blocked = ledger::consume_free(c, u, "m", t, limits).await.unwrap();
    let next_hour = Utc.with_ymd_and_hms(2026, 11, 24, 11, 0, 0).unwrap();
    assert!(
        matches!(blocked, FreeOutcome::QuotaExceeded { resets_at, .. } if resets_at == next_hour)
    );
    // Another model has its own quota.
    assert!(matches!(
        ledger::consume_free(c, u, "other", t, limits)
            .await
            .unwrap(),
        FreeOutcome::Consumed { .. }
    ));
    // The next hour allows one more, then the day is used up until midnight UTC.
    assert!(matches!(
        ledger::consume_free(c, u, "m", next_hour, limits)
            .await
            .unwrap(),
        FreeOutcome::Consumed { .. }
    ));
    let day_blocked = ledger::consume_free(c, u, "m", next_hour, limits)
        .await
        .unwrap();
    let midnight = Utc.with_ymd_and_hms(2026, 11, 25, 0, 0, 0).unwrap();
    assert!(
        matches!(day_blocked, FreeOutcome::QuotaExceeded { resets_at, .. } if resets_at == midnight)
    );
    ledger::restore_free(c, u, "m", t).await.unwrap();
    assert_eq!(
        ledger::free_quota(c, u, "m", t).await.unwrap(),
        FreeQuota {
            used_today: 2,
            used_this_hour: 1
        }
    );

    // A free job takes its run with the job, and a failure gives it back in the same step.
    let now = Utc::now();
    let (job, _) = ledger::create_job(c, &new_job(u, "free-1", "0"))
        .await
        .unwrap();
    let one = FreeLimits {
        per_day: 1,
        per_hour: 1,
        daily_budget_usd: None,
    };
    assert_eq!(
        ledger::hold_free(c, job.id, now, one).await.unwrap(),
        FreeHoldOutcome::Held { first_time: true }
    );
    assert_eq!(
        ledger::hold_free(c, job.id, now, one).await.unwrap(),
        FreeHoldOutcome::Held { first_time: false }
    );
    let (job2, _) = ledger::create_job(c, &new_job(u, "free-2", "0"))
        .await
        .unwrap();
    assert!(matches!(
        ledger::hold_free(c, job2.id, now, one).await.unwrap(),
        FreeHoldOutcome::QuotaExceeded { .. }
    ));
    let failed = JobOutcome::Failed {
        code: "422".into(),
        message: "bad input".into(),
    };
    ledger::finish_job(c, job.id, failed).await.unwrap();
    assert_eq!(
        ledger::hold_free(c, job2.id, now, one).await.unwrap(),
        FreeHoldOutcome::Held { first_time: true }
    );
    assert_sound(c).await;
}

#[tokio::test]
async fn an_update_is_handled_once_and_old_ones_are_pruned() {
    let (_db, pool) = setup(2).await;
    let c = &mut pool.get().await.unwrap();
    assert!(ledger::first_time_seen(c, 1001).await.unwrap());
    assert!(!ledger::first_time_seen(c, 1001).await.unwrap());
    let later = Utc::now() + chrono::Duration::days(2);
    assert_eq!(ledger::prune(c, later, later).await.unwrap(), 1);
    assert!(ledger::first_time_seen(c, 1001).await.unwrap());
}

#[tokio::test]
async fn settings_overrides_are_checked_kept_as_history_and_audited() {
    let (_db, pool) = setup(2).await;
    let c = &mut pool.get().await.unwrap();
    let file = pricing::Settings::load(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../registry/settings.toml"),
    )
    .unwrap();
    let s = ledger::set_setting(c, &file, ADMIN, "pricing.markup", Some("2.5"), "promo over")
        .await
        .unwrap();
    assert_eq!(s.pricing.markup.to_string(), "2.5");
    // Selling below cost is refused, and so is an unknown key.
    assert!(
        ledger::set_setting(c, &file, ADMIN, "pricing.markup", Some("0.9"), "oops")
            .await
            .is_err()
    );
    assert!(
        ledger::set_setting(c, &file, ADMIN, "pricing.bogus", Some("1"), "x")
            .await
            .is_err()
    );
    ledger::set_setting(c, &file, ADMIN, "free.per_day", Some("9"), "holiday")
        .await
        .unwrap();
    let effective = ledger::effective_settings(c, &file).await.unwrap();
    assert_eq!(
        (effective.pricing.markup.to_string(), effective.free.per_day),
        ("2.5".to_string(), 9)
    );
    let back = ledger::set_setting(c, &file, ADMIN, "pricing.markup", None, "back to file")
        .await
        .unwrap();
    assert_eq!(
        (back.pricing.markup, back.free.per_day),
        (file.pricing.markup, 9)
    );
    assert_eq!(ledger::settings_history(c, 10).await.unwrap().len(), 3);
    let audit = ledger::recent_audit(c, None, 10).await.unwrap();
    assert_eq!(audit.iter().filter(|a| a.action == "setting").count(), 3);
}

#[tokio::test]
async fn the_free_budget_is_a_runtime_setting_that_can_be_cleared_and_is_never_negative() {
    let (_db, pool) = setup(2).await;
    let c = &mut pool.get().await.unwrap();
    let file = pricing::Settings::load(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../registry/settings.toml"),
    )
    .unwrap();
    assert_eq!(file.free.daily_budget_usd, None, "the file sets no budget");
    let key = "free.daily_budget_usd";
    assert!(ledger::SETTING_KEYS.contains(&key));
    let s = ledger::set_setting(c, &file, ADMIN, key, Some(" 12.50 "), "launch")
        .await
        .unwrap();
    assert_eq!(
        s.free.daily_budget_usd,
        Some(rust_decimal_macros::dec!(12.5))
    );
    let effective = ledger::effective_settings(c, &file).await.unwrap();
    assert_eq!(
        effective.free.daily_budget_usd,
        Some(rust_decimal_macros::dec!(12.5))
    );
    assert_eq!(
        FreeLimits::from(&effective.free).daily_budget_usd,
        effective.free.daily_budget_usd
    );
    for bad in ["-1", "a lot"] {
        assert!(
            ledger::set_setting(c, &file, ADMIN, key, Some(bad), "oops")
                .await
                .is_err(),
            "{bad}"
        );
    }
    for none in ["", "none", "NONE"] {
        let s = ledger::set_setting(c, &file, ADMIN, key, Some(none), "no budget")
            .await
            .unwrap();
        assert_eq!(s.free.daily_budget_usd, None, "{none:?}");
    }
    assert_eq!(
        ledger::effective_settings(c, &file)
            .await
            .unwrap()
            .free
            .daily_budget_usd,
        None
    );
}

#[tokio::test]
async fn enter_upserts_the_user_and_reads_the_dialogue_in_one_round_trip() {
    let (_db, pool) = setup(2).await;
    let c = &mut pool.get().await.unwrap();
    let mut profile = TelegramProfile {
        id: UserId(77),
        username: Some("anya".into()),
        first_name: "Аня".into(),
        last_name: None,
    };
    let (user, dialogue) = ledger::enter(c, &profile, Language::En, 77).await.unwrap();
    assert_eq!(
        (user.id, user.language, dialogue),
        (UserId(77), Language::En, None)
    );
    assert!(
        ledger::balance(c, user.id).await.is_ok(),
        "an account was opened"
    );
    let state = serde_json::json!({"mode": "search"});
    ledger::set_dialogue(c, 77, &state).await.unwrap();
    // Nothing changed: the row is read, not written, and the language stays theirs.
    let (same, dialogue) = ledger::enter(c, &profile, Language::Ru, 77).await.unwrap();
    assert_eq!(same, user);
    assert_eq!(dialogue, Some(state));
    profile.first_name = "Анна".into();
    let (renamed, _) = ledger::enter(c, &profile, Language::Ru, 77).await.unwrap();
    assert_eq!(
        (renamed.first_name.as_str(), renamed.language),
        ("Анна", Language::En)
    );
    let (_, other_chat) = ledger::enter(c, &profile, Language::Ru, 78).await.unwrap();
    assert_eq!(other_chat, None, "the dialogue of the chat asked for");
}
