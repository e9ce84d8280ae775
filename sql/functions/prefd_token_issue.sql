-- Gives a user a new API token (hex SHA-256 of it), replacing the old one, which stops working at
-- once: the user's id, or no row when there is no such user. Used by POST /users/{name}/token and
-- `prefd user token`.
CREATE FUNCTION prefd_token_issue(p_name text, p_token_hash text)
RETURNS TABLE (user_id bigint)
LANGUAGE sql AS $$
  INSERT INTO api_tokens (hash, user_id)
  SELECT decode(p_token_hash, 'hex'), u.id FROM users u WHERE u.name = p_name
  ON CONFLICT (user_id) DO UPDATE SET hash = EXCLUDED.hash, created_at = now()
  RETURNING api_tokens.user_id
$$;
