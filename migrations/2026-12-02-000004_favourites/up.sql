-- Favourites and presets (issue 13): a user's starred models (the ⭐ list in the main menu) and
-- named presets of a model's settings, offered first when the user opens that model again.
--
-- Rules kept here (ARCHITECTURE.md, "ledger" and "bot-ui"):
-- * Both tables are the ledger's (ledger::favourites writes them); the UI only calls its
--   functions. Neither moves money nor holds authority: a preset is parameters the wizard
--   re-validates and re-prices like any other input.
-- * A favourite is kept when its model goes off sale: the UI hides it, nobody deletes it.
-- * A preset holds only non-file parameters (uploads expire on Kie's host); its name is 1–32
--   characters, unique per user and model (saving under the same name replaces it).
-- * The per-user caps are enforced by the adding functions below, under the user's row lock, so
--   two concurrent adds cannot both pass the count.

CREATE TABLE favourites (
  user_id     BIGINT NOT NULL REFERENCES users (id),
  model_id    TEXT NOT NULL CHECK (btrim(model_id) <> ''),
  created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, model_id)
);

CREATE TABLE presets (
  id          BIGSERIAL PRIMARY KEY,
  user_id     BIGINT NOT NULL REFERENCES users (id),
  model_id    TEXT NOT NULL CHECK (btrim(model_id) <> ''),
  name        TEXT NOT NULL CHECK (char_length(name) BETWEEN 1 AND 32 AND btrim(name) <> ''),
  input       JSONB NOT NULL CHECK (jsonb_typeof(input) = 'object'),
  created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
  CONSTRAINT presets_unique_name UNIQUE (user_id, model_id, name)
);

-- Stars a model for a user, at most p_cap favourites per user.
-- Outcomes: 'added', 'already' (nothing changes), 'full' (the cap is reached; nothing changes).
CREATE FUNCTION ui_add_favourite(p_user BIGINT, p_model TEXT, p_cap INTEGER)
RETURNS TEXT
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM users u WHERE u.id = p_user FOR NO KEY UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'ui_add_favourite: no user %', p_user;
  END IF;
  IF EXISTS (SELECT 1 FROM favourites f WHERE f.user_id = p_user AND f.model_id = p_model) THEN
    RETURN 'already';
  END IF;
  IF (SELECT count(*) FROM favourites f WHERE f.user_id = p_user) >= p_cap THEN
    RETURN 'full';
  END IF;
  INSERT INTO favourites (user_id, model_id) VALUES (p_user, p_model);
  RETURN 'added';
END $$;

-- Saves a preset: a new name adds one (at most p_cap per user and model), an existing name
-- replaces its input (and keeps its id).
-- Outcomes: 'added' or 'replaced' with the preset's id, 'full' (nothing changes) with NULL.
CREATE FUNCTION ui_save_preset(p_user BIGINT, p_model TEXT, p_name TEXT, p_input JSONB, p_cap INTEGER)
RETURNS TABLE (outcome TEXT, preset_id BIGINT)
LANGUAGE plpgsql AS $$
DECLARE
  v_id BIGINT;
BEGIN
  PERFORM 1 FROM users u WHERE u.id = p_user FOR NO KEY UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'ui_save_preset: no user %', p_user;
  END IF;
  UPDATE presets p SET input = p_input, created_at = now()
    WHERE p.user_id = p_user AND p.model_id = p_model AND p.name = p_name
    RETURNING p.id INTO v_id;
  IF FOUND THEN
    RETURN QUERY SELECT 'replaced'::TEXT, v_id;
    RETURN;
  END IF;
  IF (SELECT count(*) FROM presets p WHERE p.user_id = p_user AND p.model_id = p_model) >= p_cap THEN
    RETURN QUERY SELECT 'full'::TEXT, NULL::BIGINT;
    RETURN;
  END IF;
  INSERT INTO presets (user_id, model_id, name, input) VALUES (p_user, p_model, p_name, p_input)
    RETURNING presets.id INTO v_id;
  RETURN QUERY SELECT 'added'::TEXT, v_id;
END $$;
