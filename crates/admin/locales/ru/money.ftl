## Возвраты, настройки и бесплатные модели (по-русски). Каждое сообщение есть и в
## en/money.ftl (это проверяет тест). HTML Telegram: аргументы от пользователей экранированы.

admin-usage-refund = Формат: <code>/refund номер_платежа причина</code>. Номер платежа есть в карточке пользователя (#…): зачисленные им рубли списываются, а Telegram возвращает звёзды.
admin-usage-refundjob = Формат: <code>/refundjob номер_генерации причина</code>. Номер генерации есть в карточке пользователя (#…); вернуть можно только успешную (оплаченную) генерацию.
admin-usage-settings = Формат: <code>/settings</code>
admin-usage-set = Формат: <code>/set ключ значение причина</code>, например <code>/set pricing.markup 2.5 летние цены</code>.
    Ключи: pricing.rub_per_usd, pricing.markup, stars.rub_per_star, free.auto_count, free.per_day, free.per_hour, free.models (id моделей через запятую), free.daily_budget_usd (доллары или none).
admin-usage-free = Формат: <code>/free</code>, <code>/free add id_модели</code> или <code>/free remove id_модели</code> (можно добавить причину).

admin-preview-refund = Вернуть платёж #{ $payment } пользователя { $name } (<code>{ $user }</code>)?
    Оплачен { $when }: { $stars } ⭐ → зачислено { $rub }.
    Telegram вернёт ему { $stars } ⭐, а с баланса спишется { $rub }.
    Баланс: { $available } доступно, { $held } в резерве → { $after } доступно после возврата.
    Причина: { $reason }
admin-preview-refund-retry = Платёж #{ $payment } пользователя { $name } (<code>{ $user }</code>) уже списан ({ $rub }, { $refunded }), но Telegram не подтвердил возврат { $stars } ⭐.
    Попросить Telegram ещё раз? Повторно ничего не спишется.
    Причина: { $reason }
admin-refund-spent-warning = ⚠️ Доступно только { $available }: остальное из { $rub } потрачено или зарезервировано под идущие генерации, поэтому возврат будет отклонён (баланс никогда не уходит в минус).
admin-refund-spent = ⚠️ Возврат не выполнен: платёж зачислил { $needed }, а доступно только { $available } (остальное потрачено или зарезервировано под идущие генерации). Баланс не уходит в минус, поэтому ничего не списано и звёзды не возвращены.
admin-refund-already = Этот платёж уже возвращён, и Telegram это подтвердил. Больше ничего не сделано.
admin-refund-raced = Этот платёж только что вернуло другое подтверждение; оно и просит Telegram вернуть звёзды. Здесь больше ничего не сделано.
admin-no-such-payment = Такого платежа нет.
admin-done-refund = ✅ Возвращено: Telegram вернул { $stars } ⭐, списано { $rub }. Доступный баланс теперь { $available }. Пользователь уведомлён.
admin-refund-telegram-failed = ⚠️ В учёте списано { $rub } (платёж #{ $payment } отмечен возвращённым), но Telegram не вернул { $stars } ⭐: { $error }
    Пользователю ничего не сообщено. Повторите <code>/refund { $payment } причина</code>: Telegram спросят ещё раз, дважды ничего не спишется. Если Telegram так и не вернёт звёзды, верните рубли командой <code>/credit { $user } { $amount } причина</code>.
admin-notice-stars-refunded = ↩️ Ваш платёж на { $stars } ⭐ возвращён: Telegram вернёт вам звёзды, а с баланса списано { $rub }. Причина: { $reason }

admin-preview-refundjob = Вернуть деньги за генерацию #{ $job } ({ $model }, { $when }) пользователю { $name } (<code>{ $user }</code>)?
    Списанные за неё { $rub } вернутся на баланс: { $before } → { $after } доступно.
    Причина: { $reason }
admin-done-refundjob = ✅ { $rub } вернулись на баланс (теперь доступно { $available }). Пользователь уведомлён.
admin-no-such-job = Такой генерации нет.
admin-refundjob-free = Это был бесплатный запуск: ничего не списано, возвращать нечего.
admin-refundjob-not-charged = Эта генерация не удалась, поэтому деньги за неё не списывались: они вернулись на баланс сами, когда она завершилась. Возвращать нечего.
admin-refundjob-running = Эта генерация ещё не завершилась: деньги за неё только зарезервированы. Они спишутся, только если она удастся, иначе вернутся сами.
admin-refundjob-already = Деньги за эту генерацию уже возвращены. Больше ничего не сделано.
admin-notice-job-refunded = 💰 { $rub } за генерацию #{ $job } вернулись на ваш баланс. Причина: { $reason }

admin-settings = <b>Настройки</b>
    { $list }

    <b>Последние изменения</b>
    { $history }

    Изменить: <code>/set ключ значение причина</code> (владельцы). Бесплатные модели: /free
admin-settings-from-file = из файла настроек
admin-settings-overridden = изменено администратором (в файле: { $file })
admin-settings-change = { $when } · { $key } → { $value } · <code>{ $admin }</code> · { $reason }

admin-free-screen = <b>Бесплатные модели</b> · { $mode }
    { $list }

    На пользователя и модель: { $per_day } бесплатных запусков в день, не больше { $per_hour } в час.
    { $budget }

    Изменить: <code>/free add id_модели</code>, <code>/free remove id_модели</code>, <code>/set free.auto_count 5 причина</code>, <code>/set free.daily_budget_usd 5 причина</code>
admin-free-auto = автоматически: { $count } самых дешёвых моделей в продаже
admin-free-explicit = явный список
admin-free-off-sale = В списке, но не в продаже (поэтому не бесплатны): { $models }
admin-free-budget = Бесплатный бюджет сегодня: { $spent } из { $budget } (стоимость Kie, сутки UTC).
admin-free-no-budget = Дневного бесплатного бюджета нет; бесплатные запуски сегодня стоили { $spent } (стоимость Kie, сутки UTC).
admin-free-already = Эта модель уже бесплатна.
admin-free-off-sale-refused = Эта модель не в продаже, поэтому не может быть бесплатной. Сначала верните её в продажу.
admin-free-not-listed = Этой модели нет среди бесплатных.

admin-preview-setting = Изменить { $key } с <b>{ $before }</b> на <b>{ $after }</b>?
    Причина: { $reason }
admin-setting-prices = Цены: у { $changed } из { $on_sale } моделей в продаже изменится цена; самая дешёвая: было { $before }, станет { $after }.
admin-setting-free = Бесплатные модели: { $before } → { $after }
admin-setting-stars = За 100 ⭐ зачисляется { $before } → { $after }.
admin-setting-no-effect = Цены и бесплатные модели не изменятся.
admin-setting-refused = ⚠️ Отклонено: { $problem }. Ничего не изменено.
admin-setting-unchanged = Это значение ({ $value }) уже действует. Менять нечего.
admin-setting-stale = Настройки изменились с момента предложения. Отмените и предложите снова.
admin-done-setting = ✅ Готово: { $key } теперь { $value }. Пользователи видят это сразу.
