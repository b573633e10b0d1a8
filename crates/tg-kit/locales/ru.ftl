# Messages every branch of the bot shares (tg-kit).
error-internal = ⚠️ Что-то пошло не так на нашей стороне. Ничего не списано; попробуйте ещё раз чуть позже.
stale-button = Эта кнопка устарела.
