"""The rating queue at size: invariants under concurrency through two processes, the order of
the queue, expiry, the credential cache, and uploads whose lines repeat."""

import json
import random
import time

from prefdtest import Client, PrefdCase, Server, parallel, psql

MODELS = ("m1", "m2", "m3", "m4")  # 6 pairs per prompt


def items(n, prefix="q", models=MODELS):
    return [{"id": "%s-%d" % (prefix, i), "prompt": "prompt %d" % i, "category": "c%d" % (i % 3),
             "responses": [{"model": m, "text": "answer %d of %s" % (i, m)} for m in models]}
            for i in range(n)]


class QueueTest(PrefdCase):
    def invariants(self, slug):
        pid = psql(self.db, "SELECT id FROM projects WHERE slug = '%s'" % slug)[0][0]
        q = lambda sql: psql(self.db, sql.replace("$P", pid))  # noqa: E731
        overlap = int(q("SELECT overlap FROM projects WHERE id = $P")[0][0])
        # never above the overlap, counts match the rows they count
        self.assertEqual(q("SELECT count(*) FROM comparisons WHERE project_id = $P AND gold IS NULL "
                           "AND (votes > %d OR taken > %d)" % (overlap, overlap)), [["0"]])
        self.assertEqual(q("SELECT count(*) FROM comparisons c WHERE project_id = $P AND c.taken <> "
                           "(SELECT count(*) FROM assignments a WHERE a.comparison_id = c.id "
                           "AND a.state IN ('open', 'voted'))"), [["0"]])
        self.assertEqual(q("SELECT count(*) FROM comparisons c WHERE project_id = $P AND c.votes <> "
                           "(SELECT count(*) FROM votes v WHERE v.comparison_id = c.id)"), [["0"]])
        self.assertEqual(q("SELECT count(*) FROM comparisons WHERE project_id = $P AND gold IS NULL "
                           "AND filled <> (taken >= %d)" % overlap), [["0"]])
        # nobody was given a comparison twice; one open assignment per rater
        self.assertEqual(q("SELECT count(*) FROM (SELECT 1 FROM assignments WHERE project_id = $P "
                           "GROUP BY comparison_id, rater_id HAVING count(*) > 1) x"), [["0"]])
        self.assertEqual(q("SELECT count(*) FROM (SELECT 1 FROM assignments WHERE project_id = $P "
                           "AND state = 'open' GROUP BY rater_id HAVING count(*) > 1) x"), [["0"]])
        # the counters progress reads
        self.assertEqual(q("SELECT (SELECT sum(open) FROM project_counts WHERE project_id = $P) = "
                           "(SELECT sum(%d - taken) FROM comparisons WHERE project_id = $P "
                           "AND gold IS NULL)" % overlap), [["t"]])
        self.assertEqual(q("SELECT (SELECT coalesce(sum(votes), 0) FROM project_counts WHERE project_id = $P) = "
                           "(SELECT count(*) FROM votes WHERE project_id = $P AND NOT is_gold)"), [["t"]])
        self.assertEqual(q("SELECT count(*) FROM rater_given g WHERE project_id = $P AND (g.given, g.controls) "
                           "<> (SELECT count(*) FILTER (WHERE NOT is_gold), count(*) FILTER (WHERE is_gold) "
                           "FROM assignments a WHERE a.project_id = $P AND a.rater_id = g.rater_id)"), [["0"]])
        self.assertEqual(q("SELECT count(*) FROM rater_votes r WHERE project_id = $P AND r.votes <> "
                           "(SELECT count(*) FROM votes v WHERE v.project_id = $P AND v.rater_id = r.rater_id)"),
                         [["0"]])
        self.assertEqual(q("SELECT (SELECT comparisons FROM projects WHERE id = $P) = "
                           "(SELECT count(*) FROM comparisons WHERE project_id = $P AND gold IS NULL)"), [["t"]])

    def test_two_processes_many_raters(self):
        """2,500 prompts of 4 models (15,000 comparisons), overlap 3, 16 raters on two
        processes voting and skipping at once."""
        other = Server(self.db_url, name="queue-second").wait_ready()
        try:
            self.project("big", overlap=3, gold_rate=0.05)
            r = self.upload("big", items(2500) + [
                {"id": "g-%d" % i, "prompt": "control %d" % i, "model_a": "m1", "response_a": "right",
                 "model_b": "m2", "response_b": "wrong", "gold": "model_a"} for i in range(20)])
            self.assertEqual((r.status, r.json["accepted"]), (200, 2520), r)
            raters = []
            for i in range(16):
                c = self.user("q-%d" % i)
                raters.append(Client(other.url, c.token) if i % 2 else c)

            def work(i):
                rng = random.Random(i)
                seen, votes = set(), 0
                for _ in range(60):
                    a = raters[i].get("/api/v1/projects/big/next")
                    assert a.status == 200, a
                    body = a.json
                    key = (body["prompt"]["text"], body["left"]["text"], body["right"]["text"])
                    assert key not in seen and key[::-1] not in seen, "given twice: %r" % (key,)
                    pair = (body["prompt"]["text"], frozenset((body["left"]["text"], body["right"]["text"])))
                    assert pair not in seen
                    seen.add(pair)
                    path = "/api/v1/assignments/%s/" % body["id"]
                    if rng.random() < 0.1:
                        assert raters[i].post(path + "skip").status == 204
                    else:
                        v = raters[i].post(path + "vote", {"choice": rng.choice(["a", "b", "tie"])})
                        assert v.status == 201, v
                        votes += 1
                return votes

            total = sum(parallel(16, work))
            self.assertGreater(total, 16 * 45)
            self.invariants("big")
            # the queue's order: nothing got its second place while a comparison had none
            self.assertEqual(psql(self.db, "SELECT count(*) FROM comparisons c JOIN projects p ON "
                                           "p.id = c.project_id WHERE p.slug = 'big' AND c.gold IS NULL AND c.taken > 1"),
                             [["0"]])
            # model pairs take turns: every pair within the number of raters of the others
            pairs = psql(self.db, "SELECT count(*) FROM assignments a JOIN comparisons c ON "
                                  "c.id = a.comparison_id JOIN projects p ON p.id = a.project_id "
                                  "WHERE p.slug = 'big' AND NOT a.is_gold AND a.state IN ('open', 'voted') "
                                  "GROUP BY c.model_lo, c.model_hi")
            counts = sorted(int(x[0]) for x in pairs)
            self.assertEqual(len(counts), 6)
            self.assertLessEqual(counts[-1] - counts[0], 16, counts)
            # control pairs came at about the gold rate
            gold = int(psql(self.db, "SELECT count(*) FROM assignments a JOIN projects p ON p.id = a.project_id "
                                     "WHERE p.slug = 'big' AND a.is_gold")[0][0])
            self.assertTrue(10 <= gold <= 100, gold)
            progress = self.admin.get("/api/v1/projects/big/progress").json
            self.assertEqual(progress["comparisons"], 15000)
            self.assertEqual(progress["target_votes"], 45000)
            self.assertEqual(progress["raters"], 16)
        finally:
            self.assertEqual(other.stop(), 0)

    def test_expired_leases_free_their_places(self):
        self.project("lease", overlap=1)
        self.upload("lease", items(1, "l", ("m1", "m2")))
        a, b = self.user("lease-a"), self.user("lease-b")
        got = a.get("/api/v1/projects/lease/next")
        self.assertEqual(got.status, 200)
        self.assertEqual(got.json["progress"], {"done": 0, "remaining": 1})
        self.assertEqual(b.get("/api/v1/projects/lease/next").status, 204)
        psql(self.db, "UPDATE assignments SET expires_at = now() - interval '1 second', "
                      "issued_at = now() - interval '1 hour' WHERE token = '%s'" % got.json["id"])
        # expiry runs at most once a second per project
        deadline = time.time() + 5
        while True:
            r = b.get("/api/v1/projects/lease/next")
            if r.status == 200 or time.time() > deadline:
                break
            time.sleep(0.2)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(psql(self.db, "SELECT state FROM assignments WHERE token = '%s'" % got.json["id"]),
                         [["expired"]])
        self.assertError(a.post("/api/v1/assignments/%s/vote" % got.json["id"], {"choice": "a"}), 410, "gone")
        self.invariants("lease")

    def test_a_freed_place_comes_back_first(self):
        """A skipped comparison goes back to the head of the queue, before the queue head."""
        self.project("back", overlap=1)
        self.upload("back", items(50, "b", ("m1", "m2")))
        a, b = self.user("back-a"), self.user("back-b")
        first = a.get("/api/v1/projects/back/next").json
        for _ in range(10):
            x = b.get("/api/v1/projects/back/next").json
            self.assertEqual(b.post("/api/v1/assignments/%s/vote" % x["id"], {"choice": "a"}).status, 201)
        time.sleep(1.1)  # let the queue head move past the first comparisons
        self.assertEqual(a.post("/api/v1/assignments/%s/skip" % first["id"]).status, 204)
        again = b.get("/api/v1/projects/back/next").json
        self.assertEqual(again["prompt"]["text"], first["prompt"]["text"])
        self.invariants("back")

    def test_cached_credentials_are_checked_again(self):
        other = Server(self.db_url, name="queue-cache").wait_ready()
        try:
            self.project("cred")
            self.upload("cred", items(20, "c"))
            rater = self.user("cred-r")
            there = Client(other.url, rater.token)
            self.assertEqual(there.get("/api/v1/projects/cred/next").status, 200)  # now cached there
            # a new token through this process: the old one is refused there at once
            r = self.admin.post("/api/v1/users/cred-r/token")
            self.assertEqual(r.status, 201)
            self.assertError(there.get("/api/v1/projects/cred/next"), 401, "unauthorized")
            there.token = r.json["token"]
            self.assertEqual(there.get("/api/v1/projects/cred/next").status, 200)
            # a changed role applies at once
            self.assertEqual(self.admin.patch("/api/v1/users/cred-r", {"role": "analyst"}).status, 200)
            r = there.get("/api/v1/projects/cred/next")
            self.assertError(r, 403, "forbidden")
            self.assertIn("analyst", r.json["error"]["message"])
            self.assertEqual(self.admin.patch("/api/v1/users/cred-r", {"role": "rater"}).status, 200)
            self.assertEqual(there.get("/api/v1/projects/cred/next").status, 200)
            # and so does disabling
            self.assertEqual(self.admin.patch("/api/v1/users/cred-r", {"disabled": True}).status, 200)
            self.assertError(there.post("/api/v1/assignments/x/vote", {"choice": "a"}), 401, "unauthorized")
            self.assertError(there.get("/api/v1/projects/cred/next"), 401, "unauthorized")
        finally:
            self.assertEqual(other.stop(), 0)

    def test_upload_repeats_and_turns(self):
        self.project("rep")
        lines = items(5003, "r", ("m1", "m2", "m3"))
        lines[5001] = dict(lines[1], prompt="changed")  # a repeat in a later batch, other content
        lines[5002] = lines[2]                          # the same line again
        lines[3] = dict(lines[0], prompt="other")       # a repeat in the same batch
        r = self.upload("rep", lines, partial=True)
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json["accepted"], r.json["unchanged"], r.json["rejected"]), (5000, 1, 2))
        errors = r.json["errors"]
        self.assertEqual([(e["line"], e["code"]) for e in errors], [(4, "duplicate"), (5002, "duplicate")])
        self.assertIn("line 1 ", errors[0]["message"])
        self.assertIn("line 2 ", errors[1]["message"])
        # each pair numbers a batch's comparisons 0 .. n-1 from its count before the upload: the
        # first batch (4,999 new prompts) takes turns 0 .. 4998, the second (one) turn 0 again
        turns = psql(self.db, "SELECT count(*), min(turn), max(turn), count(DISTINCT turn) FROM comparisons c "
                              "JOIN projects p ON p.id = c.project_id WHERE p.slug = 'rep' "
                              "GROUP BY c.model_lo, c.model_hi")
        self.assertEqual(turns, [["5000", "0", "4998", "4999"]] * 3)
        # an upload of the same lines again changes nothing; the turns of a new one continue
        r = self.upload("rep", lines[:10] + items(1, "more", ("m1", "m2", "m3")), partial=True)
        self.assertEqual((r.json["accepted"], r.json["unchanged"]), (1, 9), r)
        self.assertEqual(psql(self.db, "SELECT DISTINCT c.turn FROM comparisons c JOIN items i ON i.id = c.item_id "
                                       "WHERE i.ext_id = 'more-0'"), [["5000"]])


class QualityLoadTest(PrefdCase):
    def test_healthz_answers_while_a_million_votes_are_scored(self):
        """Rater statistics of 1,000,000 rated votes (written straight into the database: 20,000
        comparisons times 50 raters) are read in chunks and computed off the event loop."""
        self.project("heavy", overlap=50)
        r = self.upload("heavy", items(2000, "h", ("m1", "m2", "m3", "m4", "m5")))
        self.assertEqual(r.status, 200, r)
        psql(self.db, "INSERT INTO users (name, role) SELECT 'heavy-' || k, 'rater' FROM generate_series(1, 50) k")
        t0 = time.time()
        psql(self.db, "INSERT INTO votes (project_id, source, assignment_id, comparison_id, item_id, prompt_ext, "
                      "model_left, model_right, resp_left, resp_right, choice, elapsed_ms, guidelines_version, "
                      "rater_id, category, language) "
                      "SELECT c.project_id, 'rated', row_number() OVER (), c.id, c.item_id, i.ext_id, c.model_lo, "
                      "c.model_hi, c.resp_lo, c.resp_hi, (ARRAY['a', 'b', 'tie'])[1 + (c.id + u.id) % 3], "
                      "1000 + (c.id * u.id) % 50000, 1, u.id, i.category, i.language "
                      "FROM comparisons c JOIN items i ON i.id = c.item_id JOIN projects p ON p.id = c.project_id "
                      "CROSS JOIN users u WHERE p.slug = 'heavy' AND u.name LIKE 'heavy-%'; "
                      "INSERT INTO rater_votes (project_id, rater_id, votes) "
                      "SELECT project_id, rater_id, count(*) FROM votes GROUP BY 1, 2")
        setup = time.time() - t0
        self.assertEqual(psql(self.db, "SELECT count(*) FROM votes"), [["1000000"]])
        result, waits = {}, []

        def stats():
            t = time.time()
            result["r"] = self.admin.get("/api/v1/projects/heavy/raters?limit=100")
            result["s"] = time.time() - t

        import threading
        th = threading.Thread(target=stats)
        th.start()
        probe = Client(self.server.url)
        conn = probe.connection()
        while th.is_alive():
            t = time.time()
            conn.request("GET", "/healthz")
            resp = conn.getresponse()
            resp.read()
            self.assertEqual(resp.status, 200)
            waits.append((time.time() - t) * 1000)
            time.sleep(0.005)
        th.join()
        conn.close()
        self.assertEqual(result["r"].status, 200, result["r"])
        self.assertEqual(len(result["r"].json["items"]), 50)
        self.assertEqual(sum(x["votes"] for x in result["r"].json["items"]), 1000000)
        waits.sort()
        print("\n  1,000,000 votes written in %.1f s; rater statistics in %.2f s; /healthz meanwhile: "
              "%d requests, median %.2f ms, worst %.2f ms"
              % (setup, result["s"], len(waits), waits[len(waits) // 2], waits[-1]))
        # A whole-project read parsed on the loop would hold /healthz for about a second.
        self.assertGreater(len(waits), 10)
        self.assertLess(waits[-1], 250)
