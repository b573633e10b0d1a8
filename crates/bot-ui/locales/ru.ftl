## Русский. Каждое сообщение есть и в en.ftl (это проверяет тест). Сообщения — HTML Telegram:
## аргументы от пользователей и из файлов моделей приходят экранированными.

welcome = 👋 Здравствуйте, { $name }! Я создаю картинки, видео, музыку и озвучку с помощью { $models } нейросетей. Оплата — с баланса в рублях и только за успешный результат: если генерация не удалась, деньги вернутся.
menu-title = <b>Главное меню</b> — выберите раздел:
menu-free = 🆓 Бесплатные ({ $count })
menu-popular = 🔥 Популярные
menu-search = 🔎 Поиск
menu-balance = 💳 Баланс
menu-history = 🕘 История
menu-help = ❓ Помощь
menu-language = 🌐 English
models-count = { $count ->
    [one] { $count } модель
    [few] { $count } модели
   *[many] { $count } моделей
}

category-image = 🖼 Изображения
category-image_edit = 🪄 Редактирование фото
category-video = 🎬 Видео
category-avatar = 🗣 Аватары
category-audio = 🎙 Голос и звук
category-music = 🎵 Музыка
category-enhance = ✨ Улучшение
category-title = <b>{ $category }</b> — { $count ->
    [one] { $count } модель
    [few] { $count } модели
   *[many] { $count } моделей
}, сначала дешёвые:
free-title = <b>🆓 Бесплатные модели</b>
    { $per_day } бесплатных запусков в день на модель, не больше { $per_hour } в час.
popular-title = <b>🔥 Популярные модели</b>
list-empty = Здесь пока пусто.
price-free-short = 🆓 бесплатно
price-from = от { $price }
back = ⬅️ Назад
back-menu = 🏠 Меню

search-ask = 🔎 Напишите название модели или слово вроде «видео», «апскейл», «песня»:
search-results = Найдено по запросу «{ $query }»:
search-nothing = По запросу «{ $query }» ничего не нашлось. Попробуйте другое слово или откройте раздел.

card-good-for = <b>Подходит для:</b> { $text }
card-price = 💰 <b>Цена: { $price }</b>
card-price-range = 💰 <b>Цена: от { $min } до { $max }</b> — зависит от: { $drivers }
card-preliminary = ⚠️ Цена предварительная: Kie её ещё не подтвердил; спишется ровно та сумма, что на экране подтверждения.
card-free-left = 🆓 Для вас бесплатно: { $left ->
    [one] остался { $left } запуск
    [few] осталось { $left } запуска
   *[many] осталось { $left } запусков
}
card-free-used = 🆓 Бесплатные запуски этой модели пока закончились: действует обычная цена.
card-generate = 🚀 Сгенерировать
card-disabled = 🚫 Модель временно недоступна.
card-failing = ⚠️ Сейчас эта модель часто сбоит. Вы платите только за результат; при сбое деньги вернутся полностью.
card-broken = 🚫 Модель временно недоступна: её последние запуски не удались. Пока выберите другую.
model-gone = Эта модель больше недоступна. Выберите другую.

wizard-step = <b>{ $model }</b> — шаг { $n } из { $total }
wizard-choose = Выберите кнопкой:
wizard-toggle = Включить или выключить?
wizard-number = Выберите значение или введите число от { $min } до { $max }.
wizard-text = Отправьте текст сообщением ({ $min }–{ $max } символов).
wizard-text-current = Сейчас: «{ $text }» ({ $len } символов). Отправьте новый текст, чтобы заменить.
wizard-upload = Отправьте { $kind } ({ $formats }; до { $mb } МБ).
wizard-upload-seconds = Длительность — не больше { $seconds } с.
wizard-upload-count = Получено { $have } (нужно { $min }–{ $max }). Отправьте ещё или нажмите «Готово».
wizard-upload-done = ✅ Готово
wizard-dialogue = Отправьте реплики, по одной в строке, в виде «номер голоса: текст» (до { $lines } строк, до { $len } символов в каждой). Строка без номера — тем же голосом. Голоса:
    { $voices }
wizard-price = 💰 Цена: <b>{ $price }</b>
wizard-price-from = 💰 Цена: от <b>{ $price }</b>
wizard-back-settings = ⬅️ Настройки
wizard-reset = ↩️ По умолчанию
wizard-cancel = ✖️ Отмена
wizard-continue = ➡️ Далее
wizard-use-buttons = Пожалуйста, воспользуйтесь кнопками ниже.
wizard-expect-text = Здесь нужен текст.
wizard-expect-file = Здесь нужен файл, а не текст.
default-mark = { " " }(по умолч.)
toggle-on = Вкл
toggle-off = Выкл
value-default = { $value } (по умолчанию)
files-count = { $count ->
    [one] { $count } файл
    [few] { $count } файла
   *[many] { $count } файлов
}
dialogue-lines = { $count ->
    [one] { $count } реплика
    [few] { $count } реплики
   *[many] { $count } реплик
}
media-image = фото или картинку
media-video = видео
media-audio = аудиофайл или голосовое сообщение
settings-title = <b>{ $model }</b> — настройки. Нажмите, чтобы изменить:
upload-need-more = Сначала отправьте ещё хотя бы один файл.

error-required = «{ $param }» — обязательный параметр.
error-too-long = «{ $param }» слишком длинный: не больше { $max } символов.
error-too-short = «{ $param }» слишком короткий: не меньше { $min } символов.
error-below-min = «{ $param }» должен быть не меньше { $min }.
error-above-max = «{ $param }» должен быть не больше { $max }.
error-invalid = Значение «{ $param }» эта модель не принимает.
error-text-too-long = Слишком длинно: { $len } символов, можно не больше { $max }. Сократите и отправьте снова.
error-text-too-short = Слишком коротко: нужно хотя бы { $min } символов.
error-not-a-number = Это не число. Введите цифры, например 5.
error-out-of-range = Число должно быть от { $min } до { $max }.
error-voice = Номера голосов — от 1 до { $max }.
error-line-too-long = Строка слишком длинная: не больше { $max } символов.
error-no-lines = Отправьте хотя бы одну строку текста.
error-too-many-lines = Слишком много строк: не больше { $max }.
error-expect-file = Пожалуйста, отправьте { $kind }.
error-wrong-kind = Этому шагу нужно другое: отправьте { $kind }.
error-wrong-format = Файлы { $ext } здесь не принимаются. Подходят: { $formats }.
error-too-big = Файл слишком большой: { $size } МБ, можно до { $max } МБ.
error-too-long-media = Слишком длинно: { $seconds } с, можно до { $max } с.
error-too-many-files = Больше файлов эта модель не принимает ({ $max }).
error-download = Не удалось получить ваш файл из Telegram. Отправьте его ещё раз.

confirm-title = <b>Проверьте заказ: { $model }</b>
confirm-price = 💰 Цена: <b>{ $price }</b> ({ $breakdown })
confirm-price-fixed = 💰 Цена: <b>{ $price }</b>
confirm-free = 🆓 <b>Бесплатный запуск</b> (осталось { $left }); иначе { $price }
confirm-free-used = 🆓 Бесплатные запуски пока закончились, этот запуск платный.
confirm-balance = 💳 Баланс: { $before } → после: { $after }
confirm-short = ⚠️ На балансе { $available }: <b>не хватает { $missing }</b>. Пополните баланс и вернитесь к этому заказу.
confirm-run = ▶️ Запустить · { $price }
confirm-run-free = ▶️ Запустить бесплатно
confirm-edit = ✏️ Изменить
confirm-incomplete = Некоторые настройки не заданы или больше не подходят. Проверьте их.
run-started = ⏳ Запускаю…
run-short = ⚠️ Не хватает денег: на балансе { $available }, не хватает { $missing }. Ничего не списано.
run-free-used = 🆓 Бесплатные запуски закончились до { $when } UTC. Вот платный заказ:
free-budget-spent = 🆓 Бесплатные запуски на сегодня закончились. Попробуйте завтра или запустите платно.
run-price-changed = ⚠️ Цена только что изменилась: теперь { $price }. Подтвердите ещё раз.
run-paused = ⏸ Генерация ненадолго приостановлена с нашей стороны. Ничего не списано; попробуйте через несколько минут.
already-running = Этот заказ уже выполняется.
topup-stars-button = ⭐ { $stars } → { $rub }
topup-other = ⭐ Другая сумма

progress-queued = ⏳ <b>{ $model }</b>: в очереди, место { $position }. { $eta }
progress-generating = 🎨 <b>{ $model }</b>: генерирую… прошло { $elapsed }. { $eta }
progress-eta = Осталось примерно { $eta }.
progress-cancel = ✖️ Отменить
progress-done = ✅ <b>{ $model }</b>: готово!
progress-failed = ❌ <b>{ $model }</b>: не получилось.
cancel-accepted = Отменяю: деньги вернутся на баланс.
cancel-too-late = Отменить уже нельзя: генерация началась.

result-again = 🔁 Ещё раз
result-new-prompt = ✏️ Новый промпт
result-buttons = Что дальше?
result-goodwill = 🎁 Результат пришёл с опозданием, уже после возврата денег: он ваш бесплатно.
result-link = Файл слишком большой для Telegram: <a href="{ $url }">скачайте его здесь</a> (ссылка действует ограниченное время).

failure-rejected = Запрос отклонён: обычно промпт или картинка нарушают правила модели, либо какая-то настройка не подходит.
failure-generation = Модели не удалось получить результат в этот раз.
failure-deadline = Модель работала слишком долго, и мы перестали ждать.
failure-unavailable = Сервис временно недоступен с нашей стороны.
failure-uncertain = Мы не смогли подтвердить запуск, поэтому ничего не списали.
failure-cancelled = Отменено.
failure-expired = Очередь не успела дойти.
failure-kie-says = Ответ модели: <i>{ $message }</i>
refund-money = 💸 { $price } вернулись на баланс.
refund-free = 🆓 Бесплатный запуск возвращён.

history-title = <b>🕘 Ваши генерации</b> (сначала новые):
history-empty = Генераций пока нет. Откройте меню, чтобы начать.
history-older = Раньше ▶️
history-newest = ⏮ Сначала
history-back = ⬅️ История
job-title = <b>{ $model }</b> · #{ $id }
    { $when } UTC
    Статус: { $state }
    { $money }
job-charged = Списано { $price }
job-refunded = Не списано (возвращено { $price })
job-held = { $price } удерживается до окончания
job-not-charged = Не списано: генерация не запускалась
job-free = Бесплатный запуск
job-failure = Причина: { $reason }
job-redeliver = 📥 Прислать результат снова
job-result-gone = Результат больше нельзя прислать повторно. Запустите генерацию ещё раз.
job-state-created = не запущена
job-state-held = в очереди
job-state-submitting = запускается
job-state-submitted = запущена
job-state-running = генерируется
job-state-succeeded = готово
job-state-delivered = готово
job-state-failed = ошибка
job-state-cancelled = отменена
job-state-expired = истекла

balance-title = <b>💳 Баланс</b>
    Доступно: <b>{ $available }</b>
    Удерживается на идущие генерации: { $held }
balance-entries = <b>Последние операции</b> (UTC):
balance-no-entries = Операций пока нет.
balance-topup = ⭐ Пополнить звёздами
entry-topup-stars = Пополнение
entry-refund-stars = Возврат звёзд
entry-hold = Удержание за
entry-commit = Списание за
entry-release = Возврат за
entry-expire = Возврат (истекло) за
entry-adjust-credit = Начисление поддержкой
entry-adjust-debit = Списание поддержкой
entry-bonus = Бонус
topup-title = <b>⭐ Пополнение через Telegram Stars</b>
    1 ⭐ = { $rate }. Выберите сумму:
topup-ask = Введите количество звёзд, от { $min } до { $max }:
topup-bad-amount = Введите целое число звёзд от { $min } до { $max }.
invoice-title = Пополнение баланса: { $rub }
invoice-description = { $stars } Telegram Stars добавят { $rub } на ваш баланс в боте.
invoice-label = Пополнение { $rub }
precheckout-invalid = Этот счёт больше не действует. Откройте новый на экране «Баланс».
precheckout-rate-changed = Курс звёзд изменился. Откройте новый счёт на экране «Баланс».
payment-receipt = ✅ Оплата получена: { $stars } ⭐ → <b>{ $rub }</b>. Баланс: <b>{ $balance }</b>.
    Чек: <code>{ $charge }</code>
payment-unreadable = Оплата получена, но мы не смогли сопоставить её со счётом. Ничего не потеряно: напишите в { $support } и укажите <code>{ $charge }</code>.
paysupport = <b>Помощь с оплатой</b>
    Если оплата не дошла до баланса или нужен возврат, напишите в { $support } и укажите код чека ниже.
paysupport-none = Оплат пока не было.
paysupport-line = { $when } · { $stars } ⭐ → { $rub } · { $state } · <code>{ $charge }</code>
payment-state-credited = зачислено
payment-state-refunded = возвращено

help = <b>Как это работает</b>
    1. Откройте раздел, выберите модель и нажмите «Сгенерировать».
    2. Настройте кнопками, отправьте промпт или файл.
    3. Проверьте цену и нажмите «Запустить». Деньги удерживаются и списываются, только если пришёл результат; иначе автоматически возвращаются на баланс.

    <b>Цены</b>: стоимость модели для нас в долларах × { $rate } ₽ × { $markup }. В карточке — цена, на экране подтверждения — точная сумма.
    <b>Бесплатные модели</b>: { $per_day } запусков в день на модель, не больше { $per_hour } в час.
    <b>Пополнение</b>: Telegram Stars, 1 ⭐ = { $star }.
    <b>Помощь</b>: { $support } · /paysupport — по оплатам · /terms
terms = <b>Условия</b>
    • Генерации оплачиваются с баланса; неудавшаяся или отменённая генерация не списывается.
    • Баланс пополняется через Telegram Stars; потраченное не возвращается, неизрасходованное пополнение можно вернуть через { $support }.
    • Не запрашивайте незаконный контент: действуют правила моделей, такие запросы отклоняются.
    • Результаты хранятся у поставщика моделей ограниченное время; сохраняйте нужное.
language-choose = Выберите язык:
language-set = Язык: русский
cancelled = ✖️ Отменено. Ничего не списано.
nothing-to-cancel = Отменять нечего.
unexpected-input = Здесь я этого не ждал. Выберите в меню:
banned = Доступ к боту для вас закрыт. Если это ошибка, напишите в поддержку.

cmd-start = Старт и главное меню
cmd-menu = Главное меню
cmd-balance = Баланс и операции
cmd-topup = Пополнить звёздами
cmd-history = Мои генерации
cmd-search = Поиск моделей
cmd-language = Язык
cmd-help = Как это работает
cmd-paysupport = Помощь с оплатой
cmd-terms = Условия
cmd-cancel = Отменить текущее действие

alert-kie-paused = ⚠️ Kie отказывает в новых задачах (код { $code }): { $message }. Новые запуски приостановлены.
alert-kie-resumed = ✅ Kie снова принимает задачи; запуски возобновлены.
alert-late-success = ℹ️ Задача #{ $job } завершилась после возврата денег: Kie оплачен, с пользователя не списано.
alert-ambiguous = ⚠️ Задача #{ $job }: исход createTask неизвестен; Kie мог списать оплату.
unknown-command = Такой команды нет. Вот мои:

## Избранное и пресеты.
menu-favourites = ⭐ Избранное ({ $count })
favourites-title = <b>⭐ Ваши избранные модели</b>
card-star = ☆ В избранное
card-unstar = ⭐ В избранном · убрать
favourite-added = ⭐ Добавлено в избранное.
favourite-removed = Убрано из избранного.
favourites-full = У вас уже { $max } избранных моделей. Сначала уберите одну.
preset-save = 💾 Сохранить как пресет
preset-use = ▶️ Пресет:
preset-delete = 🗑
wizard-presets = 💾 Начните с одного из ваших пресетов ниже или продолжайте как обычно.
preset-ask = 💾 Пришлите название пресета (1–{ $max } символов). Пресет с тем же названием будет заменён.
preset-no-files = Файлы в пресетах не сохраняются, только настройки: файлы нужно будет прислать снова.
preset-name-bad = ⚠️ Название пресета — от 1 до { $max } символов. Пришлите другое название.
preset-saved = 💾 Пресет «{ $name }» сохранён. Он будет предложен первым, когда вы снова откроете { $model }.
preset-replaced = 💾 Пресет «{ $name }» обновлён этими настройками.
preset-full = ⚠️ У вас уже { $max } пресетов для этой модели. Удалите один (🗑 при открытии модели) и сохраните снова.
preset-incomplete = Некоторые настройки не заданы или больше не подходят: проверьте их, прежде чем сохранять пресет.
preset-applied = 💾 Пресет «{ $name }» применён.
preset-deleted = 🗑 Пресет удалён.
preset-source-gone = Этот заказ больше недоступен, поэтому ничего не сохранено.
