## Broadcasts, English. Every message is also in ru/broadcast.ftl (a test checks).

admin-usage-broadcast = Usage: <code>/broadcast segment text</code>, segment one of <code>all</code>, <code>active30</code> (seen in 30 days), <code>paying</code>, <code>ru</code>, <code>en</code>. The text is Telegram HTML (&lt;b&gt;, &lt;i&gt;, &lt;a href="…"&gt;…), at most 3800 characters, and may span lines. You will see it first, exactly as users will, with the number of recipients.
admin-usage-broadcasts = /broadcasts shows the recent broadcasts and their progress.
admin-segment-all = all users
admin-segment-active30 = active in 30 days
admin-segment-paying = paying users
admin-segment-ru = Russian-speaking
admin-segment-en = English-speaking
admin-broadcast-recipients = ———
    📣 Above is the broadcast exactly as they will get it. Recipients: <b>{ $count }</b> ({ $segment }; users who blocked the bot or are banned are left out).
admin-broadcast-refused = ⚠️ Telegram refused this text, so nothing was prepared: { $error }
    Check the HTML: only Telegram's tags (b, i, u, s, a, code, pre, blockquote, tg-spoiler), every tag closed, and &amp;lt; for a “&lt;” in the text.
admin-done-broadcast = ✅ Broadcast #{ $id } is on its way to { $total } recipients. Progress, pause and cancel: /broadcasts
admin-broadcasts = 📣 Broadcasts
admin-broadcasts-title = <b>📣 Broadcasts</b>
admin-broadcasts-empty = No broadcasts yet. Start one with <code>/broadcast all text</code>.
admin-broadcasts-refresh = 🔄 Refresh
admin-broadcast-line = <b>#{ $id }</b> · { $segment } · { $state } · { $created }
    “{ $excerpt }”
admin-broadcast-counts = ✅ sent { $sent } · ⚠️ failed { $failed } · 🚫 blocked { $blocked } · ⏳ pending { $pending } of { $total }
admin-broadcast-state-running = ▶️ sending
admin-broadcast-state-paused = ⏸ paused
admin-broadcast-state-cancelled = ✖️ cancelled
admin-broadcast-state-done = ✅ done
admin-broadcast-pause = ⏸ Pause #{ $id }
admin-broadcast-resume = ▶️ Resume #{ $id }
admin-broadcast-cancel = ✖️ Cancel #{ $id }
admin-broadcast-unchanged = That broadcast is no longer in a state that allows this; nothing changed.
