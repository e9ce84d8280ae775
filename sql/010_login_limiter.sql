-- 010_login_limiter.sql - login attempts, counted in the database: every prefd process sees the
-- same count and a restart keeps it (it lived in each process before, so N processes allowed N
-- times the limit and a restart cleared it). The functions are in sql/functions/prefd_login_*.
--
-- One row per user name and client network (an IPv4 address, or an IPv6 /64) with the minute
-- that began at its first attempt. Rows older than ten minutes are swept by later attempts.

CREATE TABLE login_attempts (
  user_name    text NOT NULL,
  client       cidr NOT NULL,
  window_start timestamptz NOT NULL,
  attempts     integer NOT NULL CHECK (attempts >= 0),
  PRIMARY KEY (user_name, client)
);

CREATE INDEX login_attempts_window ON login_attempts (window_start);
