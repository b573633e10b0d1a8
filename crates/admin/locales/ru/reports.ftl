## Отчёты панели, по-русски: статистика моделей, сломанные модели, аналитика, ошибки, фильтры
## и выгрузка журнала. Каждое сообщение есть и в en/reports.ftl (это проверяет тест).

admin-stats = 📊 Статистика
admin-broken = 🩺 Сбои
admin-analytics = 📈 Аналитика
admin-errors = ⚠️ Ошибки

admin-stats-head = <b>📊 Статистика моделей</b> · { $days ->
        [one] последний { $days } день
        [few] последние { $days } дня
       *[other] последние { $days } дней
    } · { $order }
    Моделей { $models } · запусков { $runs } · ✅ { $successes } · ❌ { $failures }
    Выручка { $revenue } · Kie { $cost_usd } ≈ { $cost_rub } · маржа { $margin } · возвращено { $released }
    Курс: { $rate } ₽ за $. Запуск — дошедший до резерва денег или бесплатного запуска; длительности — у Kie, успешных запусков.
admin-stats-line = { $n }. <b>{ $title }</b> <code>{ $model }</code>
    запусков { $runs } · ✅ { $successes } · ❌ { $failures }{ $codes } · ⏱ p50 { $p50 } / p90 { $p90 }
    выручка { $revenue } · Kie { $cost_usd } ≈ { $cost_rub } · маржа { $margin } · возвращено { $released }
admin-stats-period = { $days ->
        [one] { $days } день
        [few] { $days } дня
       *[other] { $days } дней
    }
admin-stats-by-revenue = 💰 по выручке
admin-stats-by-runs = 🔢 по запускам

admin-broken-head = <b>🩺 Сбоящие модели</b>
    Сбоит: не меньше { $min_failures } ошибок, и это не меньше { $share } % из последних { $window } запусков за { $hours } ч. Сломана: вдобавок последние { $streak } все с ошибкой или Kie отверг входные данные (422).
admin-broken-none = ✅ Сейчас ни одна модель не сбоит.
admin-broken-line = { $mark } <b>{ $title }</b> <code>{ $model }</code> — { $state }
    { $failures } из { $runs } последних запусков с ошибкой ({ $share } %){ $notes }
admin-health-failing = часто сбоит
admin-health-broken = сломана
admin-broken-schema = · Kie отвергает входные данные
admin-broken-off-sale = · уже снята с продажи
admin-broken-more = … и ещё { $count }.
admin-broken-disable = ⛔ Отключить { $model }

admin-analytics-text = <b>📈 Аналитика</b> · { $from } – { $to } ({ $days } дней, UTC)
    Поступило звёзд: { $stars_in } ⭐ → { $credited }
    Выручка: { $revenue }
    Себестоимость Kie: { $cost_usd } ≈ { $cost_rub } (по { $rate } ₽ за $)
    Валовая маржа: { $margin }
    Возвраты: { $stars_refunded } ⭐ → { $refunds }
    Новых пользователей: { $new_users } · новых плательщиков: { $new_payers } · конверсия { $conversion }
    Активных пользователей: { $active } · ARPU { $arpu }
admin-analytics-chart = 📉 График
admin-analytics-csv = 📄 CSV
admin-analytics-csv-caption = <b>Аналитика по дням</b>, { $from } – { $to } (UTC). Столбцы:
admin-chart-title = Выручка, себестоимость Kie и маржа за { $days } дней
admin-chart-revenue = Выручка
admin-chart-cost = Себестоимость Kie
admin-chart-margin = Маржа

admin-errors-head = <b>⚠️ Ошибки</b> · { $period } · с ошибкой или просрочено: { $failures }
admin-errors-period = { $days ->
        [1] 24 ч
       *[other] { $days } дней
    }
admin-errors-by-stage = По этапам
admin-stage-queue = очередь
admin-stage-upload = загрузка
admin-stage-create = createTask
admin-stage-status = у Kie
admin-stage-delivery = доставка
admin-errors-ambiguous = <b>Неясный createTask</b>: { $ambiguous } (ждут { $waiting }, деньги возвращены { $released }, задача нашлась { $adopted })
    <b>Поздние успехи</b> (Kie оплачен, с пользователя не списано): { $late }, доставлено { $delivered }, себестоимость Kie { $cost }
admin-errors-by-cause = По коду и сообщению
admin-errors-group = • { $count }× { $code } { $message } · { $model } · последняя задача #{ $job }, { $when }
admin-errors-several-models = разные модели
admin-errors-by-model = По моделям
admin-errors-model = • <code>{ $model }</code>: { $failures } (кодов: { $codes }) · последняя { $when }
admin-errors-deliveries = Сбои доставки
admin-errors-delivery = • задача #{ $job } · пользователь <code>{ $user }</code> · <code>{ $model }</code> · неудачных попыток: { $attempts } · { $outcome }
admin-errors-delivered = ✅ доставлено позже
admin-errors-gave-up = ❌ больше не пытаемся
admin-errors-retrying = ⏳ пробуем снова
admin-errors-blocked = · 🚫 пользователь заблокировал бота
admin-errors-none = нет

admin-log-hint = Фильтры: <code>/log user id</code> · <code>/log admin id</code> · <code>/log kind действие</code>
admin-log-filter-user = Фильтр: о пользователе <code>{ $id }</code>
admin-log-filter-admin = Фильтр: действия администратора <code>{ $id }</code>
admin-log-filter-kind = Фильтр: действие <code>{ $action }</code>
admin-log-csv = 📄 CSV
admin-log-csv-caption = <b>Журнал действий</b>: записей { $rows }, новые сверху. Столбцы:
admin-log-csv-newest-only = Только самые новые записи: сузьте фильтр, чтобы увидеть старые.
admin-usage-log = Как использовать: <code>/log</code>, <code>/log user id_пользователя</code>, <code>/log admin id_админа</code> или <code>/log kind действие</code> (например, <code>/log kind ban</code>)
