//! An admin's refunds: a charged job's price back exactly once per job (concurrent admins
//! included), never for a job that was not charged; a Stars payment read by its id.

use ledger::{JobId, JobOutcome, JobRefundOutcome, PaymentId, StarsPayment};

use crate::support::{ADMIN, HOUR, all_at_once, assert_sound, fund, held_job, rub, setup, user};

#[tokio::test]
async fn a_charged_job_is_refunded_exactly_once_even_by_concurrent_admins() {
    let (_db, pool) = setup(8).await;
    let c = &mut pool.get().await.unwrap();
    let u = user(c, 100).await;
    fund(c, u, "100").await;
    let (job, _) = held_job(c, u, "charged", "30", HOUR).await;
    ledger::finish_job(c, job, JobOutcome::Succeeded)
        .await
        .unwrap();
    assert_eq!(ledger::balance(c, u).await.unwrap().available, rub("70"));
    assert!(ledger::job_refund(c, job).await.unwrap().is_none());

    let results = all_at_once(8, |i| {
        let pool = pool.clone();
        async move {
            let c = &mut pool.get().await.unwrap();
            ledger::refund_job(c, job, ADMIN, &format!("disputed {i}"))
                .await
                .unwrap()
        }
    })
    .await;
    let applied: Vec<_> = results
        .iter()
        .filter(|r| matches!(r, JobRefundOutcome::Refunded { .. }))
        .collect();
    assert_eq!(applied.len(), 1, "{results:?}");
    let JobRefundOutcome::Refunded {
        entry,
        rub: r,
        balance,
    } = *applied[0]
    else {
        unreachable!()
    };
    assert_eq!(r, rub("30"));
    assert_eq!(balance.available, rub("100"));
    for other in results
        .iter()
        .filter(|r| !matches!(r, JobRefundOutcome::Refunded { .. }))
    {
        assert_eq!(
            *other,
            JobRefundOutcome::AlreadyRefunded {
                entry,
                rub: rub("30")
            }
        );
    }
    assert_eq!(ledger::balance(c, u).await.unwrap().available, rub("100"));
    let refund = ledger::job_refund(c, job)
        .await
        .unwrap()
        .expect("the entry");
    assert_eq!(refund.id, entry);
    assert_eq!(refund.job_id, Some(job.0));
    assert_eq!(refund.admin_id, Some(ADMIN.0));
    assert_eq!(refund.kind, ledger::EntryKind::AdjustCredit);
    let audit = ledger::recent_audit(c, None, 20).await.unwrap();
    assert_eq!(
        audit.iter().filter(|a| a.action == "refund_job").count(),
        1,
        "{audit:?}"
    );
    assert_sound(c).await;
}

#[tokio::test]
async fn jobs_that_were_not_charged_are_refused_and_nothing_changes() {
    let (_db, pool) = setup(2).await;
    let c = &mut pool.get().await.unwrap();
    let u = user(c, 100).await;
    fund(c, u, "100").await;
    let (failed, _) = held_job(c, u, "failed", "10", HOUR).await;
    ledger::finish_job(
        c,
        failed,
        JobOutcome::Failed {
            code: "501".into(),
            message: "Kie failed".into(),
        },
    )
    .await
    .unwrap();
    let (running, _) = held_job(c, u, "running", "10", HOUR).await;
    let before = ledger::balance(c, u).await.unwrap();
    for job in [failed, running] {
        assert_eq!(
            ledger::refund_job(c, job, ADMIN, "x").await.unwrap(),
            JobRefundOutcome::NotCharged
        );
    }
    assert_eq!(
        ledger::refund_job(c, JobId(999_999), ADMIN, "x")
            .await
            .unwrap(),
        JobRefundOutcome::NotFound
    );
    assert!(ledger::refund_job(c, failed, ADMIN, " ").await.is_err());
    assert_eq!(ledger::balance(c, u).await.unwrap(), before);
    assert_sound(c).await;
}

#[tokio::test]
async fn a_payment_is_read_by_its_id_with_its_refund_state() {
    let (_db, pool) = setup(2).await;
    let c = &mut pool.get().await.unwrap();
    let u = user(c, 100).await;
    let paid = ledger::top_up_stars(
        c,
        &StarsPayment {
            user: u,
            charge_id: "ch-1".into(),
            provider_charge_id: None,
            payload: "topup:50".into(),
            xtr: 50,
            rub: rub("60"),
        },
    )
    .await
    .unwrap();
    let p = ledger::payment(c, paid.payment)
        .await
        .unwrap()
        .expect("found");
    assert_eq!(
        (p.user_id, p.xtr_amount, p.rub_credited, p.is_refunded()),
        (u, 50, rub("60"), false)
    );
    assert_eq!(p.telegram_payment_charge_id, "ch-1");
    ledger::refund_stars(c, "ch-1", ADMIN, "asked")
        .await
        .unwrap();
    let p = ledger::payment(c, paid.payment)
        .await
        .unwrap()
        .expect("found");
    assert!(p.is_refunded() && p.refunded_at.is_some());
    assert_eq!(p.refund_reason.as_deref(), Some("asked"));
    assert!(
        ledger::payment(c, PaymentId(424_242))
            .await
            .unwrap()
            .is_none()
    );
}
