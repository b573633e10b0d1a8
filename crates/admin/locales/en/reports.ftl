## The panel's reports, English: model stats, broken models, analytics, errors, the audit log's
## filters and exports. Every message is also in ru/reports.ftl (a test checks).

admin-stats = 📊 Stats
admin-broken = 🩺 Broken
admin-analytics = 📈 Analytics
admin-errors = ⚠️ Errors

admin-stats-head = <b>📊 Model stats</b> · last { $days ->
        [one] day
       *[other] { $days } days
    } · { $order }
    { $models } models · runs { $runs } · ✅ { $successes } · ❌ { $failures }
    Revenue { $revenue } · Kie { $cost_usd } ≈ { $cost_rub } · margin { $margin } · released { $released }
    Rate: { $rate } ₽ per $. A run got as far as holding money or a free run; durations are Kie's, of successful runs.
admin-stats-line = { $n }. <b>{ $title }</b> <code>{ $model }</code>
    runs { $runs } · ✅ { $successes } · ❌ { $failures }{ $codes } · ⏱ p50 { $p50 } / p90 { $p90 }
    revenue { $revenue } · Kie { $cost_usd } ≈ { $cost_rub } · margin { $margin } · released { $released }
admin-stats-period = { $days ->
        [one] 1 day
       *[other] { $days } days
    }
admin-stats-by-revenue = 💰 by revenue
admin-stats-by-runs = 🔢 by runs

admin-broken-head = <b>🩺 Broken models</b>
    Failing: at least { $min_failures } failures that are at least { $share } % of the last { $window } runs of the last { $hours } h. Broken: besides, the newest { $streak } all failed or Kie rejected the input (422).
admin-broken-none = ✅ No model is failing right now.
admin-broken-line = { $mark } <b>{ $title }</b> <code>{ $model }</code> — { $state }
    { $failures } of { $runs } recent runs failed ({ $share } %){ $notes }
admin-health-failing = often fails
admin-health-broken = broken
admin-broken-schema = · Kie rejects the input
admin-broken-off-sale = · already off sale
admin-broken-more = … and { $count } more.
admin-broken-disable = ⛔ Disable { $model }

admin-analytics-text = <b>📈 Analytics</b> · { $from } – { $to } ({ $days } days, UTC)
    Stars in: { $stars_in } ⭐ → { $credited }
    Revenue: { $revenue }
    Kie cost: { $cost_usd } ≈ { $cost_rub } (at { $rate } ₽ per $)
    Gross margin: { $margin }
    Refunds: { $stars_refunded } ⭐ → { $refunds }
    New users: { $new_users } · new payers: { $new_payers } · conversion { $conversion }
    Active users: { $active } · ARPU { $arpu }
admin-analytics-chart = 📉 Chart
admin-analytics-csv = 📄 CSV
admin-analytics-csv-caption = <b>Analytics by day</b>, { $from } – { $to } (UTC). Columns:
admin-chart-title = Revenue, Kie cost and margin, { $days } days
admin-chart-revenue = Revenue
admin-chart-cost = Kie cost
admin-chart-margin = Margin

admin-errors-head = <b>⚠️ Errors</b> · { $period } · { $failures } failed or expired
admin-errors-period = { $days ->
        [1] 24 h
       *[other] { $days } days
    }
admin-errors-by-stage = By stage
admin-stage-queue = queue
admin-stage-upload = upload
admin-stage-create = createTask
admin-stage-status = at Kie
admin-stage-delivery = delivery
admin-errors-ambiguous = <b>Ambiguous createTask</b>: { $ambiguous } (waiting { $waiting }, released { $released }, found later { $adopted })
    <b>Late successes</b> (Kie paid, user not charged): { $late }, delivered { $delivered }, Kie cost { $cost }
admin-errors-by-cause = By code and message
admin-errors-group = • { $count }× { $code } { $message } · { $model } · newest job #{ $job }, { $when }
admin-errors-several-models = several models
admin-errors-by-model = By model
admin-errors-model = • <code>{ $model }</code>: { $failures } ({ $codes } codes) · last { $when }
admin-errors-deliveries = Delivery failures
admin-errors-delivery = • job #{ $job } · user <code>{ $user }</code> · <code>{ $model }</code> · { $attempts } failed attempts · { $outcome }
admin-errors-delivered = ✅ delivered later
admin-errors-gave-up = ❌ given up
admin-errors-retrying = ⏳ retrying
admin-errors-blocked = · 🚫 the user blocked the bot
admin-errors-none = none

admin-log-hint = Filters: <code>/log user id</code> · <code>/log admin id</code> · <code>/log kind action</code>
admin-log-filter-user = Filter: about user <code>{ $id }</code>
admin-log-filter-admin = Filter: by admin <code>{ $id }</code>
admin-log-filter-kind = Filter: action <code>{ $action }</code>
admin-log-csv = 📄 CSV
admin-log-csv-caption = <b>Audit log</b>: { $rows } records, newest first. Columns:
admin-log-csv-newest-only = Only the newest records: narrow the filter for older ones.
admin-usage-log = Usage: <code>/log</code>, <code>/log user user_id</code>, <code>/log admin admin_id</code> or <code>/log kind action</code> (e.g. <code>/log kind ban</code>)
