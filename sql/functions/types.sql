-- types.sql - the composite types functions return; applied before the functions.

-- What prefd_skip did: ok | not_found | conflict | gone | unauthorized | role (message: the
-- caller's role).
CREATE TYPE prefd_skip_result AS (
  status  text,
  message text
);

