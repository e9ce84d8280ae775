-- Creates a user with its first API token (hex SHA-256 of it): the id, or a unique violation
-- when the name is taken. Used by POST /users and `prefd user add`.
CREATE FUNCTION prefd_user_add(p_name text, p_role text, p_hash text, p_token_hash text)
RETURNS TABLE (id bigint, name text, role text)
LANGUAGE sql AS $$
  WITH u AS (INSERT INTO users (name, role, password_hash) VALUES (p_name, p_role, p_hash)
             RETURNING users.id, users.name, users.role),
       t AS (INSERT INTO api_tokens (hash, user_id) SELECT decode(p_token_hash, 'hex'), u.id FROM u)
  SELECT u.id, u.name, u.role FROM u
$$;
