-- 005_functions_schema.sql - functions move out of the migrations into sql/functions/.
--
-- Until now each migration redeclared whole functions (001's prefd_vote lived again in 004).
-- From here on every function is one file in sql/functions/, created in the schema "prefd_functions",
-- which `prefd migrate` rebuilds in one transaction whenever those files change. This migration
-- drops the copies earlier migrations made in the public schema (on a database made by this
-- version there are none): every prefd_ function but prefd_valid_labels, which CHECK constraints
-- use, their triggers (the functions step makes them again) and their result types.

DO $$
DECLARE f regprocedure;
BEGIN
  FOR f IN SELECT p.oid::regprocedure FROM pg_proc p
            WHERE p.pronamespace = 'public'::regnamespace AND p.proname LIKE 'prefd\_%'
              AND p.proname <> 'prefd_valid_labels' LOOP
    EXECUTE format('DROP FUNCTION %s CASCADE', f);
  END LOOP;
END
$$;
DROP TYPE IF EXISTS public.prefd_assignment;
DROP TYPE IF EXISTS public.prefd_vote_result;
