## Refunds, runtime settings and the free models (English). Every message is also in
## ru/money.ftl (a test checks). Telegram HTML: arguments from users arrive escaped.

admin-usage-refund = Usage: <code>/refund payment_id reason</code>. The payment's number is on the user card (#…): the rubles it credited are debited, and Telegram returns the Stars.
admin-usage-refundjob = Usage: <code>/refundjob job_id reason</code>. The generation's number is on the user card (#…); only a succeeded (charged) generation can be refunded.
admin-usage-settings = Usage: <code>/settings</code>
admin-usage-set = Usage: <code>/set key value reason</code>, e.g. <code>/set pricing.markup 2.5 summer prices</code>.
    Keys: pricing.rub_per_usd, pricing.markup, stars.rub_per_star, free.auto_count, free.per_day, free.per_hour, free.models (model ids separated by commas), free.daily_budget_usd (dollars, or none).
admin-usage-free = Usage: <code>/free</code>, <code>/free add model_id</code> or <code>/free remove model_id</code> (a reason may follow).

admin-preview-refund = Refund payment #{ $payment } of { $name } (<code>{ $user }</code>)?
    Paid { $when }: { $stars } ⭐ → { $rub } credited.
    Telegram returns the { $stars } ⭐ to them, and { $rub } is debited from their balance.
    Their balance: { $available } available, { $held } held → { $after } available after the refund.
    Reason: { $reason }
admin-preview-refund-retry = Payment #{ $payment } of { $name } (<code>{ $user }</code>) was already debited ({ $rub }, { $refunded }), but Telegram has not confirmed returning the { $stars } ⭐.
    Ask Telegram again? Nothing is debited again.
    Reason: { $reason }
admin-refund-spent-warning = ⚠️ Only { $available } is available: the rest of the { $rub } was spent or is held for running generations, so this refund will be refused (a balance never goes below zero).
admin-refund-spent = ⚠️ Not refunded: the payment credited { $needed }, but only { $available } is available (the rest was spent or is held for running generations). A balance never goes below zero, so nothing was debited and no Stars were returned.
admin-refund-already = This payment is already refunded, and Telegram confirmed it. Nothing more was done.
admin-refund-raced = Another confirmation refunded this payment a moment ago; it asks Telegram to return the Stars. Nothing more was done here.
admin-no-such-payment = There is no such payment.
admin-done-refund = ✅ Refunded: Telegram returned { $stars } ⭐ and { $rub } was debited. Their available balance is now { $available }. They have been told.
admin-refund-telegram-failed = ⚠️ The ledger debited { $rub } (payment #{ $payment } is marked refunded), but Telegram did not return the { $stars } ⭐: { $error }
    The user has not been told. Retry with <code>/refund { $payment } reason</code>: only Telegram is asked again, nothing is debited twice. If Telegram keeps refusing, give the rubles back with <code>/credit { $user } { $amount } reason</code>.
admin-notice-stars-refunded = ↩️ Your payment of { $stars } ⭐ was refunded: Telegram returns the Stars to you, and { $rub } was debited from your balance. Reason: { $reason }

admin-preview-refundjob = Refund generation #{ $job } ({ $model }, { $when }) of { $name } (<code>{ $user }</code>)?
    The { $rub } it was charged goes back to their balance: { $before } → { $after } available.
    Reason: { $reason }
admin-done-refundjob = ✅ { $rub } is back on their balance (now { $available } available). They have been told.
admin-no-such-job = There is no such generation.
admin-refundjob-free = This generation was a free run: nothing was charged, so there is nothing to refund.
admin-refundjob-not-charged = This generation did not succeed, so it was never charged: its money went back to the user's balance automatically when it ended. Nothing to refund.
admin-refundjob-running = This generation has not finished yet: its money is only held. It is charged only if it succeeds; otherwise it goes back automatically.
admin-refundjob-already = This generation was already refunded. Nothing more was done.
admin-notice-job-refunded = 💰 { $rub } for generation #{ $job } is back on your balance. Reason: { $reason }

admin-settings = <b>Settings</b>
    { $list }

    <b>Latest changes</b>
    { $history }

    Change one: <code>/set key value reason</code> (owners). Free models: /free
admin-settings-from-file = from the settings file
admin-settings-overridden = changed by an admin (file: { $file })
admin-settings-change = { $when } · { $key } → { $value } · by <code>{ $admin }</code> · { $reason }

admin-free-screen = <b>Free models</b> · { $mode }
    { $list }

    Per user and model: { $per_day } free runs a day, at most { $per_hour } an hour.
    { $budget }

    Change: <code>/free add model_id</code>, <code>/free remove model_id</code>, <code>/set free.auto_count 5 reason</code>, <code>/set free.daily_budget_usd 5 reason</code>
admin-free-auto = automatic: the { $count } cheapest models on sale
admin-free-explicit = an explicit list
admin-free-off-sale = Listed but not on sale (so not free): { $models }
admin-free-budget = Free budget today: { $spent } of { $budget } (Kie's cost, UTC day).
admin-free-no-budget = No daily free budget; free runs cost { $spent } today (Kie's cost, UTC day).
admin-free-already = This model is free already.
admin-free-off-sale-refused = This model is not on sale, so it cannot be free. Put it on sale first.
admin-free-not-listed = This model is not among the free models.

admin-preview-setting = Change { $key } from <b>{ $before }</b> to <b>{ $after }</b>?
    Reason: { $reason }
admin-setting-prices = Prices: { $changed } of { $on_sale } models on sale change price; the cheapest goes from { $before } to { $after }.
admin-setting-free = Free models: { $before } → { $after }
admin-setting-stars = 100 ⭐ credit { $before } → { $after }.
admin-setting-no-effect = No price or free model changes.
admin-setting-refused = ⚠️ Refused: { $problem }. Nothing changed.
admin-setting-unchanged = This value ({ $value }) is already in force. Nothing to change.
admin-setting-stale = The settings changed since this was proposed. Cancel and propose it again.
admin-done-setting = ✅ Done: { $key } is now { $value }. Users see it at once.
