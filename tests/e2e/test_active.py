"""Active sampling (project option "schedule"): validation, the weights the servers store, and
`next` under schedule "active": it steers votes toward the model pair the ranking knows least,
and keeps every promise of `next` (no comparison twice, the overlap, control pairs, skips)."""

import json
import time

from prefdtest import PrefdCase, parallel, psql
from test_prefctl import run_ctl


def pairs(prefix, a, b, n):
    return [{"id": "%s-%d" % (prefix, i), "prompt": "%s prompt %d" % (prefix, i), "model_a": a,
             "response_a": "%s says %d" % (a, i), "model_b": b, "response_b": "%s says %d" % (b, i)}
            for i in range(n)]


def controls(n):
    return [{"id": "g-%d" % i, "prompt": "control %d" % i, "model_a": "A", "response_a": "right %d" % i,
             "model_b": "B", "response_b": "wrong %d" % i, "gold": "model_a"} for i in range(n)]


class ActiveTest(PrefdCase):
    server_env = {"PREFD_ACTIVE_REFRESH": "200ms"}

    def setup_project(self, slug, schedule, **fields):
        self.project(slug, schedule=schedule, **fields)
        r = self.upload(slug, pairs("ab", "A", "B", 40) + pairs("cd", "C", "D", 40) + controls(10))
        self.assertEqual((r.status, r.json["accepted"]), (200, 90), r)
        # the pair A-B is known well: 300 imported votes; C-D has none
        lines = "\n".join(json.dumps({"model_a": "A", "model_b": "B", "winner": "model_a" if i % 2 else "model_b"})
                          for i in range(300))
        r = self.admin.post("/api/v1/projects/%s/votes/import" % slug, raw=lines.encode(),
                            content_type="application/x-ndjson")
        self.assertEqual(r.status, 200, r)
        return psql(self.db, "SELECT id FROM projects WHERE slug = '%s'" % slug)[0][0]

    def wait_weights(self, pid, votes):
        deadline = time.time() + 20
        while time.time() < deadline:
            rows = psql(self.db, "SELECT votes FROM pair_weights_state WHERE project_id = %s" % pid)
            if rows and float(rows[0][0]) >= votes:
                return
            time.sleep(0.1)
        self.fail("no active-sampling weights from %d votes within 20 s:\n%s"
                  % (votes, self.server.read_log()[-2000:]))

    def rate(self, client, slug, n, skip_every=0):
        """n picks, each voted on (or skipped); returns the prompts shown, in order."""
        shown = []
        for k in range(n):
            a = client.get("/api/v1/projects/%s/next" % slug)
            self.assertEqual(a.status, 200, a)
            shown.append((a.json["prompt"]["text"], frozenset((a.json["left"]["text"], a.json["right"]["text"]))))
            if skip_every and k % skip_every == skip_every - 1:
                r = client.post("/api/v1/assignments/%s/skip" % a.json["id"], {})
                self.assertEqual(r.status, 204, r)
            else:
                r = client.post("/api/v1/assignments/%s/vote" % a.json["id"], {"choice": "a"})
                self.assertIn(r.status, (200, 201), r)
        return shown

    def test_validation(self):
        r = self.admin.post("/api/v1/projects", {"slug": "v1", "title": "V", "schedule": "random"})
        self.assertError(r, 422, "validation_failed")
        self.assertIn("schedule", json.dumps(r.json))
        r = self.admin.post("/api/v1/projects", {"slug": "v2", "title": "V", "schedule": 1})
        self.assertError(r, 422, "validation_failed")
        self.assertIn("schedule", json.dumps(r.json))
        self.assertEqual(self.admin.get("/api/v1/projects/v1").status, 404)
        p = self.project("v3")
        self.assertEqual(p["schedule"], "coverage")
        r = self.admin.patch("/api/v1/projects/v3", {"schedule": "active"})
        self.assertEqual((r.status, r.json["schedule"]), (200, "active"), r)
        r = self.admin.patch("/api/v1/projects/v3", {"schedule": None})
        self.assertError(r, 422, "validation_failed")
        self.assertEqual(self.admin.get("/api/v1/projects/v3").json["schedule"], "active")
        # raters do not see it
        rater = self.user("v-rater")
        self.assertNotIn("schedule", rater.get("/api/v1/projects/v3").json)

    def test_prefctl(self):
        self.project("ctl-s")
        r = run_ctl(self.server.url, self.admin_token, "projects", "update", "ctl-s", "--schedule", "active")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.admin.get("/api/v1/projects/ctl-s").json["schedule"], "active")
        r = run_ctl(self.server.url, self.admin_token, "projects", "update", "ctl-s", "--schedule", "sometimes")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("schedule", r.stderr)
        self.assertEqual(self.admin.get("/api/v1/projects/ctl-s").json["schedule"], "active")

    def test_new_pair_joins(self):
        """A pair uploaded after the weights were computed, with no votes, gets weights at the
        next refresh (the votes did not change, the pairs did)."""
        pid = self.setup_project("join", "active")
        self.wait_weights(pid, 300)
        r = self.upload("join", pairs("ef", "E", "F", 5))
        self.assertEqual(r.status, 200, r)
        deadline = time.time() + 20
        rows = []
        while time.time() < deadline and not rows:
            rows = psql(self.db, "SELECT w.weight FROM pair_weights w JOIN models m ON m.id = w.model_lo "
                                 "WHERE w.project_id = %s AND m.name IN ('E', 'F')" % pid)
            time.sleep(0.1)
        self.assertTrue(rows, "the new pair got no weight")
        self.assertGreater(float(rows[0][0]), 0.3)

    def test_coverage_takes_turns(self):
        """The default schedule: the two pairs take turns, whatever the votes say."""
        self.setup_project("cov", "coverage")
        shown = self.rate(self.user("cov-rater"), "cov", 20)
        cd = sum(1 for prompt, _ in shown if prompt.startswith("cd "))
        self.assertEqual(cd, 10, shown)

    def test_active_steers_to_the_unknown_pair(self):
        pid = self.setup_project("act", "active")
        self.wait_weights(pid, 300)
        w = dict(((lo, hi), float(x)) for lo, hi, x in psql(
            self.db, "SELECT a.name, b.name, w.weight FROM pair_weights w JOIN models a ON a.id = w.model_lo "
                     "JOIN models b ON b.id = w.model_hi WHERE w.project_id = %s" % pid))
        cd = w.get(("C", "D"), w.get(("D", "C")))
        ab = w.get(("A", "B"), w.get(("B", "A")))
        self.assertIsNotNone(cd, w)
        self.assertGreater(cd, 0.9, w)       # the unknown pair, 0.9 + the floor's share
        self.assertGreaterEqual(ab, 0.05, w)  # the floor: 0.1 over two pairs
        shown = self.rate(self.user("act-rater"), "act", 20, skip_every=5)
        got = sum(1 for prompt, _ in shown if prompt.startswith("cd "))
        self.assertGreaterEqual(got, 16, shown)  # coverage gives 10 (test above)
        self.assertEqual(len(set(shown)), len(shown), "a comparison given twice")

    def test_active_keeps_the_promises(self):
        """Overlap 2, control pairs at 0.3, six raters at once, skips: nobody gets a comparison
        twice, none goes above the overlap, control pairs are still shown."""
        pid = self.setup_project("prom", "active", overlap=2, gold_rate=0.3)
        self.wait_weights(pid, 300)
        raters = [self.user("p-%d" % i) for i in range(6)]
        shown = parallel(6, lambda i: self.rate(raters[i], "prom", 15, skip_every=4))
        for s in shown:
            self.assertEqual(len(set(s)), len(s), "a comparison given twice")
        # 90 comparisons at gold_rate 0.3: 27 control pairs expected (sd 4.3); per rater, 15 draws
        # would show none 0.5% of the time, so the count is over all six
        controls = sum(1 for s in shown for prompt, _ in s if prompt.startswith("control"))
        self.assertGreaterEqual(controls, 10, shown)
        q = lambda sql: psql(self.db, sql.replace("$P", pid))  # noqa: E731
        self.assertEqual(q("SELECT count(*) FROM comparisons WHERE project_id = $P AND gold IS NULL "
                           "AND (votes > 2 OR taken > 2)"), [["0"]])
        self.assertEqual(q("SELECT count(*) FROM comparisons c WHERE project_id = $P AND c.taken <> "
                           "(SELECT count(*) FROM assignments a WHERE a.comparison_id = c.id "
                           "AND a.state IN ('open', 'voted'))"), [["0"]])
        self.assertEqual(q("SELECT count(*) FROM (SELECT 1 FROM assignments WHERE project_id = $P "
                           "GROUP BY comparison_id, rater_id HAVING count(*) > 1) x"), [["0"]])
        self.assertEqual(q("SELECT (SELECT sum(open) FROM project_counts WHERE project_id = $P) = "
                           "(SELECT sum(2 - taken) FROM comparisons WHERE project_id = $P AND gold IS NULL)"),
                         [["t"]])
        # the steering held under load too: C-D got most of the ordinary picks
        cd = int(q("SELECT count(*) FROM assignments a JOIN comparisons c ON c.id = a.comparison_id "
                   "JOIN models m ON m.id = c.model_lo WHERE a.project_id = $P AND NOT a.is_gold "
                   "AND m.name IN ('C', 'D')")[0][0])
        total = int(q("SELECT count(*) FROM assignments WHERE project_id = $P AND NOT is_gold")[0][0])
        self.assertGreater(cd, 0.7 * total, (cd, total))
