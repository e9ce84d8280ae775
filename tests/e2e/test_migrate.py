"""prefd migrate: numbered migrations once each, the functions schema rebuilt when its files change."""

import unittest

from prefdtest import cli, new_database, psql


class MigrateTest(unittest.TestCase):
    def setUp(self):
        self.db, self.url = new_database("migrate")

    def migrate(self):
        r = cli(self.url, "migrate")
        return r.returncode, r.stderr

    def functions(self):
        return {row[0] for row in psql(self.db, "SELECT p.proname FROM pg_proc p JOIN pg_namespace n "
                                                "ON n.oid = p.pronamespace WHERE n.nspname = 'prefd_functions'")}

    def test_functions_follow_the_files(self):
        code, err = self.migrate()
        self.assertEqual(code, 0, err)
        fns = self.functions()
        self.assertIn("prefd_nexts", fns)
        self.assertIn("prefd_votes", fns)
        # only prefd_valid_labels (used by CHECK constraints) stays with the tables
        self.assertEqual(psql(self.db, "SELECT proname FROM pg_proc WHERE pronamespace = 'public'::regnamespace "
                                       "AND proname LIKE 'prefd%'"), [["prefd_valid_labels"]])
        digest = psql(self.db, "SELECT digest FROM schema_functions")
        self.assertEqual(len(digest[0][0]), 64)
        # nothing changed: nothing is applied, the schema is not rebuilt
        oid = psql(self.db, "SELECT oid FROM pg_namespace WHERE nspname = 'prefd_functions'")
        code, err = self.migrate()
        self.assertEqual(code, 0, err)
        self.assertIn("0 applied", err)
        self.assertEqual(psql(self.db, "SELECT oid FROM pg_namespace WHERE nspname = 'prefd_functions'"), oid)
        # a function that is no longer in the tree goes when the files change
        psql(self.db, "CREATE FUNCTION prefd_functions.prefd_stale() RETURNS int LANGUAGE sql AS 'SELECT 1'; "
                      "UPDATE schema_functions SET digest = 'older'")
        code, err = self.migrate()
        self.assertEqual(code, 0, err)
        self.assertNotIn("prefd_stale", self.functions())
        self.assertEqual(self.functions(), fns)
        self.assertEqual(psql(self.db, "SELECT digest FROM schema_functions"), digest)
        # the triggers the function files make are there again
        self.assertEqual(psql(self.db, "SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal"), [["6"]])

    def test_refuses_to_drop_what_others_depend_on(self):
        code, err = self.migrate()
        self.assertEqual(code, 0, err)
        psql(self.db, "CREATE VIEW uses_prefd AS SELECT prefd_functions.prefd_ts(now()) AS t; "
                      "UPDATE schema_functions SET digest = 'older'")
        code, err = self.migrate()
        self.assertEqual(code, 1)
        self.assertIn("view uses_prefd", err)
        self.assertIn("prefd_ts", err)
        # rolled back: the functions and the view are untouched
        self.assertIn("prefd_ts", self.functions())
        self.assertEqual(psql(self.db, "SELECT digest FROM schema_functions"), [["older"]])
        psql(self.db, "DROP VIEW uses_prefd")
        code, err = self.migrate()
        self.assertEqual(code, 0, err)


if __name__ == "__main__":
    unittest.main()
