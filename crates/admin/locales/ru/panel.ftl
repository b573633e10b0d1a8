## Панель администратора, по-русски. Каждое сообщение есть и в en.ftl (это проверяет тест).
## HTML Telegram: аргументы от пользователей и из файлов моделей приходят экранированными.

admin-home = <b>Панель администратора</b> · { $role }
    { $kie } · новые запуски: { $runs }
    Задач в работе: { $in_flight } · очередь входящих: { $inbox }
    Ошибок за последний час: { $errors }
    Сегодня: выручка { $revenue }, себестоимость Kie { $cost }
    Пользователи: { $users } · активны сегодня: { $active } · платящие: { $paying }

    Пользователи: /find · деньги: /credit, /debit, /refund, /refundjob · доступ: /ban, /unban
    Модели: /models, /disable, /enable, /free · цены: /settings, /set · /log · /broadcast, /broadcasts · админы: /grant, /revoke
admin-home-kie = Баланс Kie: { $credits } кредитов
admin-home-kie-unknown = Баланс Kie: неизвестен (Kie не ответил)
admin-home-paused = ⏸ на паузе (Kie не принимает задачи)
admin-home-running = ▶️ идут
admin-role-owner = владелец
admin-role-support = поддержка
admin-back-home = ⬅️ Панель
admin-users-newest = 🆕 Новые пользователи
admin-users-active = 🟢 Недавно активные
admin-users-spend = 💸 Больше всех потратили
admin-users-balance = 💰 Самый большой баланс
admin-models = 🧩 Модели
admin-log = 📜 Журнал действий
admin-admins = 👮 Администраторы
admin-list-empty = Пока пусто.
admin-user-counts = Всего { $total } · активны за 1/7/30 дней: { $d1 }/{ $d7 }/{ $d30 } · платящих { $paying }
admin-user-line = { $n }. { $name } (<code>{ $user }</code>){ $banned } · { $available } · потратил { $spent } · { $stars } ⭐
admin-found = Пользователи по запросу «{ $query }»: { $count }
admin-found-none = По запросу «{ $query }» никого нет.
admin-card = <b>{ $name }</b> { $username } · id <code>{ $user }</code>
    Язык: { $language } · с нами с { $joined } · был { $seen }
    { $status }
    Баланс: { $available } доступно, { $held } в резерве
    Оплачено: { $paid_stars } ⭐ → { $paid_rub } · возвращено { $refunded_stars } ⭐
    Потрачено: { $spent } · бесплатных запусков: { $free_runs }
admin-card-ok = ✅ Активен
admin-card-banned = ⛔ Заблокирован: { $reason }
admin-card-blocked = 🚫 Заблокировал бота
admin-card-jobs = Последние генерации
admin-card-payments = Платежи
admin-card-commands = Действия: <code>/credit { $user } 100 причина</code> · <code>/debit { $user } 100 причина</code> · <code>/ban { $user } причина</code> · <code>/refund id_платежа причина</code> · <code>/refundjob id_генерации причина</code> · <code>/log user { $user }</code>
admin-free = бесплатно
admin-unban = ✅ Снять блокировку
admin-models-head = Моделей в реестре: { $total }, в продаже: { $on_sale }. ✅ в продаже · ⚠️ часто сбоит · 🔥 сломана · ⛔ отключена админом · ⏸ выключена в реестре
admin-model-card = <b>{ $title }</b> · <code>{ $model }</code>
    { $category } · { $state }
    Цена: { $min } – { $max } (себестоимость Kie { $cost_min } – { $cost_max })
    За 30 дней: запусков { $runs }, успешных { $success } %, выручка { $revenue }, себестоимость Kie { $kie_cost }
admin-model-on-sale = ✅ в продаже
admin-model-disabled = ⛔ отключена: { $reason }
admin-model-failing = ⚠️ в продаже, но часто сбоит
admin-model-broken = 🔥 в продаже, но сломана: последние запуски не удались
admin-model-unlisted = ⏸ выключена в реестре: { $reason }
admin-model-disable-hint = Снять с продажи: <code>/disable { $model } причина</code>
admin-enable = ✅ Вернуть в продажу
admin-category-image = Изображения
admin-category-image_edit = Редактирование фото
admin-category-video = Видео
admin-category-avatar = Аватары
admin-category-audio = Голос и звук
admin-category-music = Музыка
admin-category-enhance = Улучшение
admin-log-system = система
admin-admins-list = <b>Администраторы</b>
    { $list }

    Добавить: <code>/grant user_id support</code> (или owner) · убрать: <code>/revoke user_id</code>
admin-seeded = · из ADMIN_IDS
admin-preview-credit = Начислить <b>{ $rub }</b> пользователю { $name } (<code>{ $user }</code>)?
    Причина: { $reason }
    Баланс станет { $after } (сейчас { $before }).
admin-preview-debit = Списать <b>{ $rub }</b> у пользователя { $name } (<code>{ $user }</code>)?
    Причина: { $reason }
    Баланс станет { $after } (сейчас { $before }).
admin-preview-ban = Заблокировать { $name } (<code>{ $user }</code>)?
    Причина: { $reason }
    Пользователь получит одно сообщение; его текущие генерации завершатся как обычно.
admin-preview-unban = Снять блокировку с { $name } (<code>{ $user }</code>)? Пользователь получит сообщение.
admin-preview-disable = Снять с продажи <b>{ $model }</b>?
    Причина: { $reason }
    Пользователи больше не увидят и не запустят её — ни со старой кнопки, ни из истории.
admin-preview-enable = Вернуть в продажу <b>{ $model }</b>?
admin-preview-grant = Сделать { $name } (<code>{ $user }</code>) администратором с ролью <b>{ $role }</b>?
admin-preview-revoke = Забрать права администратора у { $name } (<code>{ $user }</code>)?
admin-preview-expires = Подтверждение действует { $minutes } мин.
admin-confirm = ✅ Подтвердить
admin-cancel = ✖️ Отмена
admin-cancelled = Отменено. Ничего не изменилось.
admin-action-gone = Это подтверждение истекло или уже использовано. Больше ничего не сделано.
admin-owner-only = Это может только владелец.
admin-no-such-user = Такого пользователя нет.
admin-no-such-model = Такой модели нет.
admin-seeded-owner = Этот владелец задан в ADMIN_IDS; измените настройки бота.
admin-not-yourself = Свою роль изменить нельзя.
admin-not-an-admin = Этот пользователь не администратор.
admin-insufficient = ⚠️ Доступный баланс меньше этой суммы; списание никогда не уводит баланс ниже нуля.
admin-done-money = ✅ Готово. Доступный баланс теперь { $available }.
admin-done-ban = ✅ Заблокирован. Пользователю сообщили.
admin-done-unban = ✅ Блокировка снята. Пользователю сообщили.
admin-done-disable = ✅ Модель снята с продажи.
admin-done-enable = ✅ Модель снова в продаже.
admin-done-grant = ✅ Готово: теперь это администратор.
admin-done-revoke = ✅ Готово: это больше не администратор.
admin-notice-credited = 💰 На ваш баланс начислено { $rub }. Причина: { $reason }
admin-notice-debited = С вашего баланса списано { $rub }. Причина: { $reason }
admin-notice-banned = Доступ к боту для вас закрыт. Если это ошибка, напишите в поддержку.
admin-notice-unbanned = ✅ Доступ к боту восстановлен. С возвращением!
admin-usage-admin = /admin открывает панель.
admin-usage-find = Так: <code>/find 123456789</code>, <code>/find @username</code> или <code>/find часть имени</code>
admin-usage-credit = Так: <code>/credit user_id рубли причина</code>, например <code>/credit 123456789 150 компенсация</code> (не больше двух знаков после запятой)
admin-usage-debit = Так: <code>/debit user_id рубли причина</code>, например <code>/debit 123456789 50 двойное пополнение</code>
admin-usage-ban = Так: <code>/ban user_id причина</code>
admin-usage-unban = Так: <code>/unban user_id</code>
admin-usage-disable = Так: <code>/disable model_id причина</code>
admin-usage-enable = Так: <code>/enable model_id</code>
admin-usage-grant = Так: <code>/grant user_id support</code> или <code>/grant user_id owner</code>
admin-usage-revoke = Так: <code>/revoke user_id</code>
admin-models-none = По запросу «{ $query }» моделей нет.
admin-usage-models = Так: <code>/models слова</code> — id, название или тег, например <code>/models veo</code>
