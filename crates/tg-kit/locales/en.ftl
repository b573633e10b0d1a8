# Messages every branch of the bot shares (tg-kit).
error-internal = ⚠️ Something went wrong on our side. Nothing was charged; please try again in a moment.
stale-button = This button is out of date.
