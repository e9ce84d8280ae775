-- The network login attempts from p_client are counted under: the address itself for IPv4, its
-- /64 for IPv6 (one subscriber's network, whose addresses an attacker can change at will).
CREATE FUNCTION prefd_login_key(p_client inet) RETURNS cidr
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT network(set_masklen(coalesce(p_client, '::'::inet),
                             CASE family(coalesce(p_client, '::'::inet)) WHEN 4 THEN 32 ELSE 64 END))
$$;
