## Рассылки, по-русски. Каждое сообщение есть и в en/broadcast.ftl (это проверяет тест).

admin-usage-broadcast = Как писать: <code>/broadcast сегмент текст</code>, сегмент — <code>all</code>, <code>active30</code> (заходили за 30 дней), <code>paying</code>, <code>ru</code> или <code>en</code>. Текст — HTML Telegram (&lt;b&gt;, &lt;i&gt;, &lt;a href="…"&gt;…), до 3800 символов, можно в несколько строк. Сначала вы увидите его ровно таким, каким его получат пользователи, и число получателей.
admin-usage-broadcasts = /broadcasts показывает последние рассылки и их ход.
admin-segment-all = все пользователи
admin-segment-active30 = активные за 30 дней
admin-segment-paying = платившие
admin-segment-ru = говорящие по-русски
admin-segment-en = говорящие по-английски
admin-broadcast-recipients = ———
    📣 Выше — рассылка ровно в том виде, в каком её получат. Получателей: <b>{ $count }</b> ({ $segment }; заблокировавшие бота и забаненные не входят).
admin-broadcast-refused = ⚠️ Telegram не принял этот текст, рассылка не подготовлена: { $error }
    Проверьте HTML: только теги Telegram (b, i, u, s, a, code, pre, blockquote, tg-spoiler), каждый тег закрыт, а «&lt;» в тексте пишется как &amp;lt;.
admin-done-broadcast = ✅ Рассылка #{ $id } отправляется { $total } получателям. Ход, пауза и отмена: /broadcasts
admin-broadcasts = 📣 Рассылки
admin-broadcasts-title = <b>📣 Рассылки</b>
admin-broadcasts-empty = Рассылок пока не было. Начать: <code>/broadcast all текст</code>.
admin-broadcasts-refresh = 🔄 Обновить
admin-broadcast-line = <b>#{ $id }</b> · { $segment } · { $state } · { $created }
    «{ $excerpt }»
admin-broadcast-counts = ✅ отправлено { $sent } · ⚠️ ошибок { $failed } · 🚫 заблокировали { $blocked } · ⏳ в очереди { $pending } из { $total }
admin-broadcast-state-running = ▶️ идёт
admin-broadcast-state-paused = ⏸ на паузе
admin-broadcast-state-cancelled = ✖️ отменена
admin-broadcast-state-done = ✅ завершена
admin-broadcast-pause = ⏸ Пауза #{ $id }
admin-broadcast-resume = ▶️ Продолжить #{ $id }
admin-broadcast-cancel = ✖️ Отменить #{ $id }
admin-broadcast-unchanged = Эта рассылка уже не в том состоянии, изменить её так нельзя; ничего не изменилось.
