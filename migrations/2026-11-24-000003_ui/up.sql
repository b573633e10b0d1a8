-- The Telegram UI's state: one dialogue per chat, so a conversation survives restarts and any
-- instance can continue it. The state is the UI's own JSON; the ledger only stores it.
CREATE TABLE dialogues (
    chat_id    BIGINT PRIMARY KEY,
    state      JSONB NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- "Popular models" counts recent jobs per model.
CREATE INDEX jobs_created ON jobs (created_at);
