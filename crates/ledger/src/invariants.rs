//! [`check_invariants`]: re-derives the ledger's promises from the raw tables and reports every
//! violation found. The database's constraints already refuse most of these; this is the
//! independent audit (`cargo xtask verify --db`, and after every step of the interleaving tests).

use diesel::QueryableByName;
use diesel::sql_types::Text;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::LedgerError;

/// One broken promise.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// Which check found it.
    pub check: &'static str,
    /// The rows involved, in words.
    pub detail: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.check, self.detail)
    }
}

#[derive(QueryableByName)]
struct Detail {
    #[diesel(sql_type = Text)]
    detail: String,
}

/// The checks: a name and a query returning one `detail` row per violation.
const CHECKS: &[(&str, &str)] = &[
    (
        "balance equals the sum of its entries",
        "SELECT format('user %s: available %s held %s, entries sum to %s and %s', a.user_id, a.available, a.held, \
                coalesce(sum(e.available_delta), 0), coalesce(sum(e.held_delta), 0)) AS detail \
         FROM accounts a LEFT JOIN ledger_entries e ON e.user_id = a.user_id \
         GROUP BY a.user_id \
         HAVING a.available <> coalesce(sum(e.available_delta), 0) OR a.held <> coalesce(sum(e.held_delta), 0)",
    ),
    (
        "the newest entry shows the balance",
        "SELECT format('user %s: balance %s/%s, newest entry %s says %s/%s', a.user_id, a.available, a.held, \
                last.id, last.available_after, last.held_after) AS detail \
         FROM accounts a JOIN (SELECT DISTINCT ON (user_id) * FROM ledger_entries ORDER BY user_id, id DESC) last \
           ON last.user_id = a.user_id \
         WHERE last.available_after <> a.available OR last.held_after <> a.held",
    ),
    (
        "held equals the sum of open holds",
        "SELECT format('user %s: held %s, open holds sum to %s', a.user_id, a.held, \
                coalesce(sum(h.amount) FILTER (WHERE h.state = 'open'), 0)) AS detail \
         FROM accounts a LEFT JOIN holds h ON h.user_id = a.user_id \
         GROUP BY a.user_id \
         HAVING a.held <> coalesce(sum(h.amount) FILTER (WHERE h.state = 'open'), 0)",
    ),
    (
        "no negative balance",
        "SELECT format('user %s: available %s, held %s', user_id, available, held) AS detail \
         FROM accounts WHERE available < 0 OR held < 0",
    ),
    (
        "each hold opened once and ended at most once, as its state says",
        "SELECT format('hold %s (%s): %s opening entries, endings [%s]', h.id, h.state, \
                count(e.id) FILTER (WHERE e.kind = 'hold'), \
                coalesce(string_agg(e.kind, ',') FILTER (WHERE e.kind <> 'hold'), '')) AS detail \
         FROM holds h LEFT JOIN ledger_entries e ON e.hold_id = h.id \
         GROUP BY h.id \
         HAVING count(e.id) FILTER (WHERE e.kind = 'hold') <> 1 \
             OR coalesce(string_agg(e.kind, ',') FILTER (WHERE e.kind <> 'hold'), '') <> \
                CASE h.state WHEN 'open' THEN '' WHEN 'committed' THEN 'commit' \
                             WHEN 'released' THEN 'release' ELSE 'expire' END",
    ),
    (
        "entries of a hold carry its amount",
        "SELECT format('entry %s (%s) of hold %s: %s, hold is %s', e.id, e.kind, h.id, e.amount, h.amount) AS detail \
         FROM ledger_entries e JOIN holds h ON h.id = e.hold_id \
         WHERE e.amount <> h.amount OR e.user_id <> h.user_id OR e.job_id <> h.job_id",
    ),
    (
        "a hold's state matches its job's",
        "SELECT format('hold %s is %s but job %s is %s', h.id, h.state, j.id, j.state) AS detail \
         FROM holds h JOIN jobs j ON j.id = h.job_id \
         WHERE NOT CASE h.state \
           WHEN 'open' THEN j.state IN ('held', 'submitting', 'submitted', 'running') \
           WHEN 'committed' THEN j.state IN ('succeeded', 'delivered') \
           WHEN 'released' THEN j.state IN ('failed', 'cancelled') \
           ELSE j.state = 'expired' END \
           OR h.amount <> j.price OR h.user_id <> j.user_id",
    ),
    (
        "every paid job past created has a hold",
        "SELECT format('job %s (paid, %s) has no hold', j.id, j.state) AS detail \
         FROM jobs j LEFT JOIN holds h ON h.job_id = j.id \
         WHERE NOT j.is_free AND h.id IS NULL AND j.state IN ('held', 'submitting', 'submitted', 'running', 'succeeded', 'delivered')",
    ),
    (
        "free jobs hold no money",
        "SELECT format('free job %s has hold %s', j.id, h.id) AS detail \
         FROM jobs j JOIN holds h ON h.job_id = j.id WHERE j.is_free",
    ),
    (
        "a day's free budget is what its free runs not given back cost",
        "SELECT format('day %s: free budget spent %s, its free runs not given back cost %s', \
                coalesce(b.day, r.day), coalesce(b.spent_usd, 0), coalesce(r.cost, 0)) AS detail \
         FROM free_budget_days b \
         FULL JOIN (SELECT free_budget_day AS day, sum(free_budget_usd) AS cost FROM jobs \
                    WHERE free_budget_day IS NOT NULL AND state NOT IN ('failed', 'cancelled', 'expired') \
                    GROUP BY free_budget_day) r ON r.day = b.day \
         WHERE coalesce(b.spent_usd, 0) <> coalesce(r.cost, 0)",
    ),
    (
        "each payment credited once, refunded at most once",
        "SELECT format('payment %s (%s, %s RUB): top-ups [%s], refunds [%s]', p.id, p.state, p.rub_credited, \
                coalesce(string_agg(e.amount::TEXT, ',') FILTER (WHERE e.kind = 'topup_stars'), ''), \
                coalesce(string_agg(e.amount::TEXT, ',') FILTER (WHERE e.kind = 'refund_stars'), '')) AS detail \
         FROM payments p LEFT JOIN ledger_entries e ON e.payment_id = p.id \
         GROUP BY p.id \
         HAVING count(*) FILTER (WHERE e.kind = 'topup_stars' AND e.amount = p.rub_credited AND e.user_id = p.user_id) <> 1 \
             OR count(*) FILTER (WHERE e.kind = 'topup_stars') <> 1 \
             OR count(*) FILTER (WHERE e.kind = 'refund_stars' AND e.amount = p.rub_credited) <> \
                CASE p.state WHEN 'refunded' THEN 1 ELSE 0 END \
             OR count(*) FILTER (WHERE e.kind = 'refund_stars') <> CASE p.state WHEN 'refunded' THEN 1 ELSE 0 END",
    ),
];

/// Runs every check and returns every violation found (empty: the ledger is sound).
///
/// Checked: each balance equals the sum of its entries, and its newest entry shows it; held
/// equals the sum of open holds; no negative balances; each hold opened once and ended at most
/// once, as its state says, with entries of its amount; committed holds belong to succeeded (or
/// delivered) jobs, released ones to failed or cancelled jobs, expired ones to expired jobs, open
/// ones to running jobs; paid jobs past `created` have a hold, free jobs none; each day's free
/// budget equals the cost of its free runs that were not given back; each Stars payment is
/// credited exactly once and refunded at most once.
///
/// Reads a consistent snapshot: the checks run in one REPEATABLE READ, read-only transaction, so
/// concurrent money calls cannot make a sound ledger look broken.
pub async fn check_invariants(conn: &mut AsyncPgConnection) -> Result<Vec<Violation>, LedgerError> {
    conn.build_transaction()
        .repeatable_read()
        .read_only()
        .run::<_, LedgerError, _>(async |conn| {
            let mut found = Vec::new();
            for (check, query) in CHECKS {
                let rows: Vec<Detail> = diesel::sql_query(*query).load(conn).await?;
                found.extend(rows.into_iter().map(|r| Violation {
                    check,
                    detail: r.detail,
                }));
            }
            Ok(found)
        })
        .await
}
