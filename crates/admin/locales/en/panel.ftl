## The admin panel, English. Every message is also in ru.ftl (a test checks). Telegram HTML:
## arguments from users and model files arrive escaped.

admin-home = <b>Admin panel</b> · { $role }
    { $kie } · new runs: { $runs }
    Jobs in flight: { $in_flight } · inbox queue: { $inbox }
    Errors in the last hour: { $errors }
    Today: revenue { $revenue }, Kie cost { $cost }
    Users: { $users } · active today: { $active } · paying: { $paying }

    Users: /find · money: /credit, /debit, /refund, /refundjob · access: /ban, /unban
    Models: /models, /disable, /enable, /free · prices: /settings, /set · /log · /broadcast, /broadcasts · admins: /grant, /revoke
admin-home-kie = Kie balance: { $credits } credits
admin-home-kie-unknown = Kie balance: unknown (Kie did not answer)
admin-home-paused = ⏸ paused (Kie refuses tasks)
admin-home-running = ▶️ running
admin-role-owner = owner
admin-role-support = support
admin-back-home = ⬅️ Panel
admin-users-newest = 🆕 Newest users
admin-users-active = 🟢 Recently active
admin-users-spend = 💸 Top by spend
admin-users-balance = 💰 Top by balance
admin-models = 🧩 Models
admin-log = 📜 Audit log
admin-admins = 👮 Admins
admin-list-empty = Nothing here yet.
admin-user-counts = Total { $total } · active 1/7/30 days: { $d1 }/{ $d7 }/{ $d30 } · paying { $paying }
admin-user-line = { $n }. { $name } (<code>{ $user }</code>){ $banned } · { $available } · spent { $spent } · { $stars } ⭐
admin-found = Users matching “{ $query }”: { $count }
admin-found-none = No user matches “{ $query }”.
admin-card = <b>{ $name }</b> { $username } · id <code>{ $user }</code>
    Language: { $language } · joined { $joined } · last seen { $seen }
    { $status }
    Balance: { $available } available, { $held } held
    Paid: { $paid_stars } ⭐ → { $paid_rub } · refunded { $refunded_stars } ⭐
    Spent: { $spent } · free runs used: { $free_runs }
admin-card-ok = ✅ Active
admin-card-banned = ⛔ Banned: { $reason }
admin-card-blocked = 🚫 Has blocked the bot
admin-card-jobs = Last jobs
admin-card-payments = Payments
admin-card-commands = Actions: <code>/credit { $user } 100 reason</code> · <code>/debit { $user } 100 reason</code> · <code>/ban { $user } reason</code> · <code>/refund payment_id reason</code> · <code>/refundjob job_id reason</code> · <code>/log user { $user }</code>
admin-free = free
admin-unban = ✅ Lift the ban
admin-models-head = Models: { $total } in the registry, { $on_sale } on sale. ✅ on sale · ⚠️ often failing · 🔥 broken · ⛔ disabled by an admin · ⏸ off in the registry
admin-model-card = <b>{ $title }</b> · <code>{ $model }</code>
    { $category } · { $state }
    Price: { $min } – { $max } (Kie cost { $cost_min } – { $cost_max })
    Last 30 days: { $runs } runs, { $success } % succeeded, revenue { $revenue }, Kie cost { $kie_cost }
admin-model-on-sale = ✅ on sale
admin-model-disabled = ⛔ disabled: { $reason }
admin-model-failing = ⚠️ on sale, often failing lately
admin-model-broken = 🔥 on sale, but broken: its last runs failed
admin-model-unlisted = ⏸ off in the registry: { $reason }
admin-model-disable-hint = To take it off sale: <code>/disable { $model } reason</code>
admin-enable = ✅ Put back on sale
admin-category-image = Images
admin-category-image_edit = Image editing
admin-category-video = Video
admin-category-avatar = Avatars
admin-category-audio = Voice & sound
admin-category-music = Music
admin-category-enhance = Enhance
admin-log-system = system
admin-admins-list = <b>Admins</b>
    { $list }

    Add: <code>/grant user_id support</code> (or owner) · remove: <code>/revoke user_id</code>
admin-seeded = · from ADMIN_IDS
admin-preview-credit = Credit <b>{ $rub }</b> to { $name } (<code>{ $user }</code>)?
    Reason: { $reason }
    Their balance goes from { $before } to { $after }.
admin-preview-debit = Debit <b>{ $rub }</b> from { $name } (<code>{ $user }</code>)?
    Reason: { $reason }
    Their balance goes from { $before } to { $after }.
admin-preview-ban = Ban { $name } (<code>{ $user }</code>)?
    Reason: { $reason }
    They will be told once; their running generations finish as usual.
admin-preview-unban = Lift the ban of { $name } (<code>{ $user }</code>)? They will be told.
admin-preview-disable = Take <b>{ $model }</b> off sale?
    Reason: { $reason }
    Users will no longer see it or be able to run it, even from an old button or their history.
admin-preview-enable = Put <b>{ $model }</b> back on sale?
admin-preview-grant = Make { $name } (<code>{ $user }</code>) an admin with the role <b>{ $role }</b>?
admin-preview-revoke = Take the admin role away from { $name } (<code>{ $user }</code>)?
admin-preview-expires = This confirmation expires in { $minutes } min.
admin-confirm = ✅ Confirm
admin-cancel = ✖️ Cancel
admin-cancelled = Cancelled. Nothing changed.
admin-action-gone = This confirmation has expired or was already used. Nothing more was done.
admin-owner-only = Only an owner can do this.
admin-no-such-user = There is no such user.
admin-no-such-model = There is no such model.
admin-seeded-owner = This owner comes from ADMIN_IDS; change the bot's settings instead.
admin-not-yourself = You cannot change your own role.
admin-not-an-admin = They are not an admin.
admin-insufficient = ⚠️ Their available balance is smaller than that; a debit never takes a balance below zero.
admin-done-money = ✅ Done. Their available balance is now { $available }.
admin-done-ban = ✅ Banned. They have been told.
admin-done-unban = ✅ The ban is lifted. They have been told.
admin-done-disable = ✅ The model is off sale.
admin-done-enable = ✅ The model is on sale again.
admin-done-grant = ✅ Done: they are an admin now.
admin-done-revoke = ✅ Done: they are no longer an admin.
admin-notice-credited = 💰 Your balance was credited with { $rub }. Reason: { $reason }
admin-notice-debited = Your balance was debited { $rub }. Reason: { $reason }
admin-notice-banned = Your access to this bot has been blocked. If you think this is a mistake, contact support.
admin-notice-unbanned = ✅ Your access to the bot has been restored. Welcome back!
admin-usage-admin = /admin opens the panel.
admin-usage-find = Usage: <code>/find 123456789</code>, <code>/find @username</code> or <code>/find part of a name</code>
admin-usage-credit = Usage: <code>/credit user_id rubles reason</code>, e.g. <code>/credit 123456789 150 goodwill</code> (at most two decimals)
admin-usage-debit = Usage: <code>/debit user_id rubles reason</code>, e.g. <code>/debit 123456789 50 duplicate top-up</code>
admin-usage-ban = Usage: <code>/ban user_id reason</code>
admin-usage-unban = Usage: <code>/unban user_id</code>
admin-usage-disable = Usage: <code>/disable model_id reason</code>
admin-usage-enable = Usage: <code>/enable model_id</code>
admin-usage-grant = Usage: <code>/grant user_id support</code> or <code>/grant user_id owner</code>
admin-usage-revoke = Usage: <code>/revoke user_id</code>
admin-models-none = No model matches “{ $query }”.
admin-usage-models = Usage: <code>/models words</code> — an id, a title or a tag, e.g. <code>/models veo</code>
