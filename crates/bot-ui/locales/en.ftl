## English. Every message here exists in ru.ftl too (a test checks). Messages are Telegram HTML:
## arguments from users or model files arrive escaped; write markup only where shown.

welcome = 👋 Hello, { $name }! I make images, videos, music and voice with { $models } AI models. You pay from your balance in rubles and only for what succeeds: if a generation fails, the money comes back.
menu-title = <b>Main menu</b> — choose a category:
menu-free = 🆓 Free ({ $count })
menu-popular = 🔥 Popular
menu-search = 🔎 Search
menu-balance = 💳 Balance
menu-history = 🕘 History
menu-help = ❓ Help
menu-language = 🌐 Русский
models-count = { $count ->
    [one] { $count } model
   *[other] { $count } models
}

category-image = 🖼 Images
category-image_edit = 🪄 Image editing
category-video = 🎬 Video
category-avatar = 🗣 Avatars
category-audio = 🎙 Voice & sound
category-music = 🎵 Music
category-enhance = ✨ Enhance
category-title = <b>{ $category }</b> — { $count ->
    [one] { $count } model
   *[other] { $count } models
}, cheapest first:
free-title = <b>🆓 Free models</b>
    { $per_day } free runs a day per model, at most { $per_hour } an hour.
popular-title = <b>🔥 Popular models</b>
list-empty = Nothing here yet.
price-free-short = 🆓 free
price-from = from { $price }
back = ⬅️ Back
back-menu = 🏠 Menu

search-ask = 🔎 Type a model name or a word like “video”, “upscale”, “song”:
search-results = Found for “{ $query }”:
search-nothing = Nothing found for “{ $query }”. Try another word or open a category.

card-good-for = <b>Good for:</b> { $text }
card-price = 💰 <b>Price: { $price }</b>
card-price-range = 💰 <b>Price: from { $min } to { $max }</b> — depends on { $drivers }
card-preliminary = ⚠️ The price is preliminary: Kie has not confirmed it yet; you are charged exactly what the confirm screen shows.
card-free-left = 🆓 Free for you: { $left ->
    [one] { $left } run left now
   *[other] { $left } runs left now
}
card-free-used = 🆓 Your free runs of this model are used up for now: the normal price applies.
card-generate = 🚀 Generate
card-disabled = 🚫 This model is temporarily unavailable.
card-failing = ⚠️ This model often fails right now. You pay only for a result; a failure is refunded in full.
card-broken = 🚫 This model is temporarily unavailable: its recent runs failed. Please choose another one for now.
model-gone = This model is no longer available. Please choose another one.

wizard-step = <b>{ $model }</b> — step { $n } of { $total }
wizard-choose = Choose with a button:
wizard-toggle = On or off?
wizard-number = Choose a value or type a number from { $min } to { $max }.
wizard-text = Send the text as a message ({ $min }–{ $max } characters).
wizard-text-current = Now: “{ $text }” ({ $len } characters). Send a new text to replace it.
wizard-upload = Send a { $kind } ({ $formats }; up to { $mb } MB).
wizard-upload-seconds = At most { $seconds } seconds long.
wizard-upload-count = Received { $have } (need { $min }–{ $max }). Send more or press “Done”.
wizard-upload-done = ✅ Done
wizard-dialogue = Send the lines, one per line, as “voice number: text” (up to { $lines } lines, { $len } characters each). A line without a number keeps the previous voice. Voices:
    { $voices }
wizard-price = 💰 Price: <b>{ $price }</b>
wizard-price-from = 💰 Price: from <b>{ $price }</b>
wizard-back-settings = ⬅️ Settings
wizard-reset = ↩️ Default
wizard-cancel = ✖️ Cancel
wizard-continue = ➡️ Continue
wizard-use-buttons = Please use the buttons below.
wizard-expect-text = Please send text here.
wizard-expect-file = Please send a file here, not text.
default-mark = { " " }(default)
toggle-on = On
toggle-off = Off
value-default = { $value } (default)
files-count = { $count ->
    [one] { $count } file
   *[other] { $count } files
}
dialogue-lines = { $count ->
    [one] { $count } line
   *[other] { $count } lines
}
media-image = photo or image
media-video = video
media-audio = audio file or voice message
settings-title = <b>{ $model }</b> — settings. Tap one to change it:
upload-need-more = Send at least one more file first.

error-required = “{ $param }” is required.
error-too-long = “{ $param }” is too long: at most { $max } characters.
error-too-short = “{ $param }” is too short: at least { $min } characters.
error-below-min = “{ $param }” must be at least { $min }.
error-above-max = “{ $param }” must be at most { $max }.
error-invalid = “{ $param }” has a value this model does not accept.
error-text-too-long = Too long: { $len } characters, at most { $max } are allowed. Please shorten it and send again.
error-text-too-short = Too short: at least { $min } characters, please.
error-not-a-number = That is not a number. Type digits, e.g. 5.
error-out-of-range = The number must be from { $min } to { $max }.
error-voice = Voice numbers go from 1 to { $max }.
error-line-too-long = A line is too long: at most { $max } characters.
error-no-lines = Send at least one line of text.
error-too-many-lines = Too many lines: at most { $max }.
error-expect-file = Please send a { $kind }.
error-wrong-kind = That is not what this step needs: please send a { $kind }.
error-wrong-format = { $ext } files are not accepted here. Accepted: { $formats }.
error-too-big = The file is too big: { $size } MB, at most { $max } MB.
error-too-long-media = Too long: { $seconds } s, at most { $max } s.
error-too-many-files = That is the most files this model takes ({ $max }).
error-download = Could not fetch your file from Telegram. Please send it again.

confirm-title = <b>Check your order: { $model }</b>
confirm-price = 💰 Price: <b>{ $price }</b> ({ $breakdown })
confirm-price-fixed = 💰 Price: <b>{ $price }</b>
confirm-free = 🆓 <b>Free run</b> ({ $left ->
    [one] { $left } left
   *[other] { $left } left
}); otherwise { $price }
confirm-free-used = 🆓 Your free runs are used up for now, so this run is paid.
confirm-balance = 💳 Balance: { $before } → after: { $after }
confirm-short = ⚠️ Your balance is { $available }: <b>{ $missing } missing</b>. Top up and come back to this order.
confirm-run = ▶️ Run · { $price }
confirm-run-free = ▶️ Run for free
confirm-edit = ✏️ Edit
confirm-incomplete = Some settings are missing or no longer valid. Please check them.
run-started = ⏳ Starting…
run-short = ⚠️ Not enough money: you have { $available }, { $missing } is missing. Nothing was charged.
run-free-used = 🆓 Your free runs are used up until { $when } UTC. Here is the paid order:
free-budget-spent = 🆓 Free runs are used up for today. Try again tomorrow or run it paid.
run-price-changed = ⚠️ The price has just changed: it is now { $price }. Please confirm again.
run-paused = ⏸ Generation is paused for a short while on our side. Nothing was charged; please try again in a few minutes.
already-running = This order is already running.
topup-stars-button = ⭐ { $stars } → { $rub }
topup-other = ⭐ Other amount

progress-queued = ⏳ <b>{ $model }</b>: in the queue, place { $position }. { $eta }
progress-generating = 🎨 <b>{ $model }</b>: generating… { $elapsed } so far. { $eta }
progress-eta = About { $eta } left.
progress-cancel = ✖️ Cancel
progress-done = ✅ <b>{ $model }</b>: done!
progress-failed = ❌ <b>{ $model }</b>: did not work out.
cancel-accepted = Cancelling: the money goes back to your balance.
cancel-too-late = Too late to cancel: the generation has already started.

result-again = 🔁 Run again
result-new-prompt = ✏️ New prompt
result-buttons = What next?
result-goodwill = 🎁 This came late, after we had refunded you: it is yours for free.
result-link = The file is too large for Telegram: <a href="{ $url }">download it here</a> (the link works for a limited time).

failure-rejected = The request was refused: usually the prompt or picture breaks the model's content rules, or a setting is not accepted.
failure-generation = The model could not produce a result this time.
failure-deadline = The model took too long, so we stopped waiting.
failure-unavailable = The service is temporarily unavailable on our side.
failure-uncertain = We could not confirm the run started, so we did not charge you.
failure-cancelled = Cancelled.
failure-expired = The queue did not move in time.
failure-kie-says = The model said: <i>{ $message }</i>
refund-money = 💸 { $price } is back on your balance.
refund-free = 🆓 Your free run is restored.

history-title = <b>🕘 Your generations</b> (newest first):
history-empty = You have no generations yet. Open the menu to start one.
history-older = Older ▶️
history-newest = ⏮ Newest
history-back = ⬅️ History
job-title = <b>{ $model }</b> · #{ $id }
    { $when } UTC
    Status: { $state }
    { $money }
job-charged = Charged { $price }
job-refunded = Not charged (refunded { $price })
job-held = { $price } held until it finishes
job-not-charged = Not charged: it has not started
job-free = Free run
job-failure = Reason: { $reason }
job-redeliver = 📥 Send the result again
job-result-gone = The result can no longer be sent again. Run it again instead.
job-state-created = not started
job-state-held = in the queue
job-state-submitting = starting
job-state-submitted = started
job-state-running = generating
job-state-succeeded = done
job-state-delivered = done
job-state-failed = failed
job-state-cancelled = cancelled
job-state-expired = expired

balance-title = <b>💳 Balance</b>
    Available: <b>{ $available }</b>
    Held for running generations: { $held }
balance-entries = <b>Recent operations</b> (UTC):
balance-no-entries = No operations yet.
balance-topup = ⭐ Top up with Stars
entry-topup-stars = Top-up
entry-refund-stars = Stars refund
entry-hold = Held for
entry-commit = Charged for
entry-release = Returned for
entry-expire = Returned (expired) for
entry-adjust-credit = Credit by support
entry-adjust-debit = Debit by support
entry-bonus = Bonus
topup-title = <b>⭐ Top up with Telegram Stars</b>
    1 ⭐ = { $rate }. Choose an amount:
topup-ask = Type the number of Stars, from { $min } to { $max }:
topup-bad-amount = Please type a whole number of Stars from { $min } to { $max }.
invoice-title = Balance top-up: { $rub }
invoice-description = { $stars } Telegram Stars add { $rub } to your balance in the bot.
invoice-label = Top-up { $rub }
precheckout-invalid = This invoice is not valid any more. Please open a new one from the Balance screen.
precheckout-rate-changed = The Stars rate has changed. Please open a new invoice from the Balance screen.
payment-receipt = ✅ Payment received: { $stars } ⭐ → <b>{ $rub }</b>. Balance: <b>{ $balance }</b>.
    Receipt: <code>{ $charge }</code>
payment-unreadable = We received your payment but could not match it to an invoice. Nothing is lost: write to { $support } and quote <code>{ $charge }</code>.
paysupport = <b>Payment help</b>
    If a payment did not reach your balance, or you want a refund, write to { $support } and quote the receipt code below.
paysupport-none = You have no payments yet.
paysupport-line = { $when } · { $stars } ⭐ → { $rub } · { $state } · <code>{ $charge }</code>
payment-state-credited = credited
payment-state-refunded = refunded

help = <b>How it works</b>
    1. Open a category, pick a model and press “Generate”.
    2. Set it up with buttons, send the prompt or a file.
    3. Check the price and press “Run”. The money is held, and charged only if the result comes; otherwise it returns to your balance automatically.

    <b>Prices</b>: what the model costs us in dollars × { $rate } ₽ × { $markup }. The card shows the price; the confirm screen shows the exact amount.
    <b>Free models</b>: { $per_day } runs a day per model, at most { $per_hour } an hour.
    <b>Top-up</b>: Telegram Stars, 1 ⭐ = { $star }.
    <b>Help</b>: { $support } · /paysupport for payments · /terms
terms = <b>Terms</b>
    • You pay for generations from your balance; a failed or cancelled generation is not charged.
    • Balance top-ups are made in Telegram Stars and are non-refundable once spent; unspent top-ups can be refunded through { $support }.
    • Do not request illegal content; the models' content rules apply and such requests are refused.
    • Results are stored by the model provider for a limited time; save what you need.
language-choose = Choose the language:
language-set = Language: English
cancelled = ✖️ Cancelled. Nothing was charged.
nothing-to-cancel = Nothing to cancel.
unexpected-input = I did not expect that here. Choose something from the menu:
banned = Your access to this bot is blocked. If you think this is a mistake, contact support.

cmd-start = Start and main menu
cmd-menu = Main menu
cmd-balance = Balance and receipts
cmd-topup = Top up with Stars
cmd-history = My generations
cmd-search = Search models
cmd-language = Language
cmd-help = How it works
cmd-paysupport = Payment help
cmd-terms = Terms
cmd-cancel = Cancel the current action

alert-kie-paused = ⚠️ Kie refused new tasks (code { $code }): { $message }. New runs are paused.
alert-kie-resumed = ✅ Kie accepts tasks again; runs resumed.
alert-late-success = ℹ️ Job #{ $job } succeeded after its money was released: Kie was paid, the user was not charged.
alert-ambiguous = ⚠️ Job #{ $job }: createTask outcome unknown; Kie may have been paid.
unknown-command = I don't know that command. These are mine:

## Favourites and presets.
menu-favourites = ⭐ Favourites ({ $count })
favourites-title = <b>⭐ Your favourite models</b>
card-star = ☆ Add to favourites
card-unstar = ⭐ In favourites · remove
favourite-added = ⭐ Added to your favourites.
favourite-removed = Removed from your favourites.
favourites-full = You already have { $max } favourites. Remove one first.
preset-save = 💾 Save as preset
preset-use = ▶️ Use preset:
preset-delete = 🗑
wizard-presets = 💾 Start from one of your presets below, or go on as usual.
preset-ask = 💾 Send a name for the preset (1–{ $max } characters). The same name replaces an existing preset.
preset-no-files = Files are not saved in presets, only settings: you will be asked for the files again.
preset-name-bad = ⚠️ A preset name is 1 to { $max } characters. Please send another name.
preset-saved = 💾 Preset “{ $name }” saved. It is offered first the next time you open { $model }.
preset-replaced = 💾 Preset “{ $name }” updated with these settings.
preset-full = ⚠️ You already have { $max } presets for this model. Delete one (🗑 when you open the model) and save again.
preset-incomplete = Some settings are missing or no longer valid: check them before saving a preset.
preset-applied = 💾 Preset “{ $name }” applied.
preset-deleted = 🗑 Preset deleted.
preset-source-gone = That order is no longer available, so nothing was saved.
