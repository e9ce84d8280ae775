"""The rating loop: blind comparisons, votes, skips, concurrency and two prefd processes."""

import json
import random
import threading
import time

from prefdtest import Client, PrefdCase, Server, parallel, psql

MODELS = ["bard", "claude-v1", "gpt-3.5-turbo", "gpt-4", "vicuna-13b"]
ASSIGNMENT_KEYS = {"id", "project", "expires_at", "prompt", "left", "right", "outcomes", "flags",
                   "rationale", "guidelines_version", "progress"}


def rate_until_done(client, slug, choices=("a", "b", "tie", "both_bad"), seed=0, limit=None):
    """Votes until the project has nothing left for this rater; returns (votes, assignments seen)."""
    rng = random.Random(seed)
    votes, seen = 0, []
    while limit is None or votes < limit:
        r = client.get("/api/v1/projects/%s/next" % slug)
        if r.status == 204:
            break
        assert r.status == 200, r
        a = r.json
        seen.append(a)
        body = {"choice": rng.choice(choices), "elapsed_ms": rng.randint(1000, 60000)}
        v = client.post("/api/v1/assignments/%s/vote" % a["id"], body)
        assert v.status == 201, v
        votes += 1
    return votes, seen


class RatingTest(PrefdCase):
    def check_invariants(self, slug, overlap):
        """Every rule of the schema, checked from the outside."""
        pid = psql(self.db, "SELECT id FROM projects WHERE slug = '%s'" % slug)[0][0]
        q = lambda sql: psql(self.db, sql.replace("$P", pid))  # noqa: E731
        self.assertEqual(q("SELECT count(*) FROM comparisons WHERE project_id = $P AND votes > %d" % overlap),
                         [["0"]])
        self.assertEqual(q("SELECT count(*) FROM (SELECT comparison_id, rater_id FROM votes WHERE project_id = $P "
                           "GROUP BY 1, 2 HAVING count(*) > 1) x"), [["0"]])
        self.assertEqual(q("SELECT count(*) FROM comparisons c WHERE project_id = $P AND c.votes <> "
                           "(SELECT count(*) FROM votes v WHERE v.comparison_id = c.id)"), [["0"]])
        self.assertEqual(q("SELECT count(*) FROM comparisons c WHERE project_id = $P AND c.taken <> "
                           "(SELECT count(*) FROM assignments a WHERE a.comparison_id = c.id "
                           "AND a.state IN ('open', 'voted'))"), [["0"]])
        total = q("SELECT count(*) FROM votes WHERE project_id = $P AND NOT is_gold")[0][0]
        self.assertEqual(q("SELECT coalesce(sum(lo_wins + hi_wins + ties + both_bad), 0) FROM pair_totals "
                           "WHERE project_id = $P"), [[total]])
        # the recorded left side matches the assignment
        self.assertEqual(q("SELECT count(*) FROM votes v JOIN assignments a ON a.id = v.assignment_id "
                           "JOIN comparisons c ON c.id = a.comparison_id WHERE v.project_id = $P AND "
                           "v.resp_left <> CASE WHEN a.left_is_lo THEN c.resp_lo ELSE c.resp_hi END"), [["0"]])
        return int(total)

    def test_loop_concurrent_raters(self):
        self.project("loop", overlap=2)
        self.upload_vicuna("loop")
        raters = [self.user("loop-%d" % i) for i in range(6)]
        t0 = time.time()
        results = parallel(len(raters), lambda i: rate_until_done(raters[i], "loop", seed=i))
        elapsed = time.time() - t0
        total = sum(v for v, _ in results)
        self.assertEqual(total, 800 * 2)
        print("\n  rating loop: %d votes by %d concurrent raters in %.1f s (%.0f votes/s incl. next)"
              % (total, len(raters), elapsed, total / elapsed))
        self.assertEqual(self.check_invariants("loop", 2), 1600)
        for rater in raters:
            self.assertEqual(rater.get("/api/v1/projects/loop/next").status, 204)
        # the payload never names a model, and texts come from the uploaded answers
        for _, seen in results:
            for a in seen[:50]:
                self.assertEqual(set(a), ASSIGNMENT_KEYS)
                self.assertEqual(set(a["left"]), {"text", "html"})
                rest = json.dumps({k: v for k, v in a.items() if k not in ("prompt", "left", "right")})
                for m in MODELS:
                    self.assertNotIn(m, rest)
        prog = self.admin.get("/api/v1/projects/loop/progress").json
        self.assertEqual(prog["votes"], 1600)
        self.assertEqual(prog["target_votes"], 1600)
        self.assertEqual(prog["raters"], 6)
        # left/right is random: both orientations occur about equally
        left_lo = int(psql(self.db, "SELECT count(*) FILTER (WHERE left_is_lo) FROM assignments a "
                                    "JOIN projects p ON p.id = a.project_id WHERE p.slug = 'loop'")[0][0])
        self.assertTrue(650 < left_lo < 950, left_lo)

    def test_even_coverage(self):
        self.project("even", overlap=1)
        self.upload_vicuna("even")
        rater = self.user("even-1")
        votes, seen = rate_until_done(rater, "even", limit=100)
        self.assertEqual(votes, 100)
        given = ("FROM assignments a JOIN comparisons c ON c.id = a.comparison_id JOIN projects p "
                 "ON p.id = a.project_id WHERE p.slug = 'even'")
        pairs = psql(self.db, "SELECT count(*) %s GROUP BY c.model_lo, c.model_hi" % given)
        counts = sorted(int(x[0]) for x in pairs)
        self.assertEqual(len(counts), 10)
        self.assertLessEqual(counts[-1] - counts[0], 1, counts)
        prompts = psql(self.db, "SELECT count(*) %s GROUP BY c.item_id" % given)
        counts = sorted(int(x[0]) for x in prompts)
        self.assertEqual(len(counts), 80)  # 100 comparisons reach every one of the 80 prompts
        self.assertLessEqual(counts[-1] - counts[0], 1, counts)
        # progress counts down, the comparison on screen included
        self.assertEqual(seen[0]["progress"], {"done": 0, "remaining": 800})
        self.assertEqual(seen[-1]["progress"], {"done": 99, "remaining": 800 - 99})

    def test_vote_rules(self):
        self.project("rules", overlap=1, flags=["unsafe", "wrong"], outcomes=["a", "b", "tie"])
        self.upload_vicuna("rules")
        r1, r2 = self.user("rules-1"), self.user("rules-2")
        a = r1.get("/api/v1/projects/rules/next").json
        self.assertEqual(a["outcomes"], ["a", "b", "tie"])
        self.assertEqual(r1.get("/api/v1/projects/rules/next").json["id"], a["id"])  # held until used
        path = "/api/v1/assignments/%s/vote" % a["id"]
        self.assertError(r1.post(path, {"choice": "both_bad"}), 422, "validation_failed")
        self.assertError(r1.post(path, {"choice": "a", "flags": {"a": ["rude"]}}), 422, "validation_failed")
        self.assertError(r1.post(path, {"choice": "c"}), 422, "validation_failed")
        self.assertError(r1.post(path, {"choice": "a", "flags": {"c": []}}), 422, "validation_failed")
        self.assertError(r1.post(path, {"choice": "a", "elapsed_ms": -5}), 422, "validation_failed")
        self.assertError(r1.post(path, {}), 422, "validation_failed")
        self.assertError(r2.post(path, {"choice": "a"}), 404, "not_found")
        vote = {"choice": "b", "flags": {"a": ["unsafe", "wrong"], "b": []}, "rationale": "A is dangerous",
                "elapsed_ms": 12345}
        r = r1.post(path, vote)
        self.assertEqual(r.status, 201, r)
        vid = r.json["vote_id"]
        r = r1.post(path, vote)
        self.assertEqual((r.status, r.json["vote_id"]), (200, vid))
        self.assertError(r1.post(path, dict(vote, choice="a")), 409, "conflict")
        self.assertError(r1.post("/api/v1/assignments/%s/skip" % a["id"]), 409, "conflict")
        row = psql(self.db, "SELECT choice, flags_left, flags_right, rationale, elapsed_ms, guidelines_version, "
                            "source, u.name FROM votes v JOIN users u ON u.id = v.rater_id WHERE v.id = %d" % vid)
        self.assertEqual(row, [["b", "{unsafe,wrong}", "{}", "A is dangerous", "12345", "1", "rated", "rules-1"]])
        # the vote is counted for the model that was on the right
        counted = psql(self.db, "SELECT CASE WHEN v.model_right = pt.model_lo THEN pt.lo_wins ELSE pt.hi_wins END, "
                                "pt.right_wins FROM votes v JOIN pair_totals pt ON pt.project_id = v.project_id AND "
                                "pt.model_lo = least(v.model_left, v.model_right) AND "
                                "pt.model_hi = greatest(v.model_left, v.model_right) WHERE v.id = %d" % vid)
        self.assertEqual(counted, [["1", "1"]])
        self.assertError(r1.post("/api/v1/assignments/nonexistent/vote", {"choice": "a"}), 404, "not_found")

    def test_rationale_modes(self):
        self.project("why", rationale="required")
        self.upload_vicuna("why")
        r = self.user("why-1")
        a = r.get("/api/v1/projects/why/next").json
        self.assertEqual(a["rationale"], "required")
        self.assertError(r.post("/api/v1/assignments/%s/vote" % a["id"], {"choice": "a", "rationale": "  "}),
                         422, "validation_failed")
        self.assertEqual(r.post("/api/v1/assignments/%s/vote" % a["id"],
                                {"choice": "a", "rationale": "clearer"}).status, 201)
        self.admin.patch("/api/v1/projects/why", {"rationale": "off"})
        a = r.get("/api/v1/projects/why/next").json
        self.assertError(r.post("/api/v1/assignments/%s/vote" % a["id"], {"choice": "a", "rationale": "x"}),
                         422, "validation_failed")

    def test_expiry_and_skip(self):
        self.project("exp", overlap=1)
        self.upload_vicuna("exp")
        r1, r2 = self.user("exp-1"), self.user("exp-2")
        a = r1.get("/api/v1/projects/exp/next").json
        psql(self.db, "UPDATE assignments SET expires_at = now() - interval '1 second', "
                      "issued_at = now() - interval '1 hour' WHERE token = '%s'" % a["id"])
        self.assertError(r1.post("/api/v1/assignments/%s/skip" % a["id"]), 410, "gone")
        comp = psql(self.db, "SELECT comparison_id FROM assignments WHERE token = '%s'" % a["id"])[0][0]
        self.assertEqual(psql(self.db, "SELECT taken FROM comparisons WHERE id = %s" % comp), [["0"]])
        # nobody took the place since: a vote on the lapsed lease still counts (issue 12)
        self.assertEqual(r1.post("/api/v1/assignments/%s/vote" % a["id"], {"choice": "a"}).status, 201)
        self.assertEqual(psql(self.db, "SELECT taken, votes FROM comparisons WHERE id = %s" % comp), [["1", "1"]])
        b = r1.get("/api/v1/projects/exp/next").json
        self.assertNotEqual(b["id"], a["id"])
        self.assertEqual(r1.post("/api/v1/assignments/%s/skip" % b["id"], {"reason": "cannot judge code"}).status,
                         204)
        self.assertEqual(r1.post("/api/v1/assignments/%s/skip" % b["id"]).status, 204)  # idempotent
        self.assertError(r1.post("/api/v1/assignments/%s/vote" % b["id"], {"choice": "a"}), 409, "conflict")
        skipped = psql(self.db, "SELECT comparison_id, skip_reason FROM assignments WHERE token = '%s'" % b["id"])
        self.assertEqual(skipped[0][1], "cannot judge code")
        # the skipped comparison goes to someone else, never back to r1
        got = [r1.get("/api/v1/projects/exp/next").json]
        for _ in range(30):
            x = got[-1]
            r1.post("/api/v1/assignments/%s/vote" % x["id"], {"choice": "tie"})
            got.append(r1.get("/api/v1/projects/exp/next").json)
        comps = psql(self.db, "SELECT comparison_id FROM assignments a JOIN users u ON u.id = a.rater_id "
                              "WHERE u.name = 'exp-1' AND a.state <> 'skipped'")
        self.assertNotIn([skipped[0][0]], comps)
        self.assertError(r2.post("/api/v1/assignments/%s/skip" % got[-1]["id"]), 404, "not_found")

    def test_paused_and_access(self):
        self.project("paused", status="paused")
        self.upload("paused", [{"id": "1", "prompt": "p", "responses": [{"model": "a", "text": "x"},
                                                                      {"model": "b", "text": "y"}]}])
        r = self.user("paused-1")
        self.assertError(r.get("/api/v1/projects/paused/next"), 409, "conflict")
        self.assertError(r.get("/api/v1/projects/ghost/next"), 404, "not_found")
        self.project("members", raters=["paused-1"])
        self.upload("members", [{"id": "1", "prompt": "p", "responses": [{"model": "a", "text": "x"},
                                                                       {"model": "b", "text": "y"}]}])
        other = self.user("paused-2")
        # A rater outside a restricted project gets the answer a missing project gets, on the
        # project and on its next alike, so that project names cannot be probed.
        missing = [other.get("/api/v1/projects/ghost" + p) for p in ("", "/next")]
        hidden = [other.get("/api/v1/projects/members" + p) for p in ("", "/next")]
        for m, h in zip(missing, hidden):
            self.assertError(h, 404, "not_found")
            self.assertEqual(h.json["error"]["message"].replace("members", "ghost"), m.json["error"]["message"])
        self.assertEqual(r.get("/api/v1/projects/members/next").status, 200)
        analyst = self.user("paused-3", "analyst")
        self.assertError(analyst.get("/api/v1/projects/members/next"), 403, "forbidden")
        self.assertError(self.admin.get("/api/v1/projects/members/next"), 403, "forbidden")
        # a closed project is hidden from raters in the same way, also from those who may rate it
        self.project("shut", status="closed")
        for p in ("", "/next"):
            self.assertError(r.get("/api/v1/projects/shut" + p), 404, "not_found")
        self.assertError(self.admin.get("/api/v1/projects/shut/next"), 409, "conflict")

    def test_hostile_markdown_and_guidelines_version(self):
        self.project("hostile")
        self.upload("hostile", [{"id": "h", "prompt": "Say **hi** <script>alert(1)</script>", "responses": [
            {"model": "a", "text": "<img src=x onerror=alert(1)> [x](javascript:alert(1))\n\n```js\nlet a = 1;\n```"},
            {"model": "b", "text": ""}]}])
        r = self.user("hostile-1")
        a = r.get("/api/v1/projects/hostile/next").json
        html = a["prompt"]["html"] + a["left"]["html"] + a["right"]["html"]
        self.assertIn("<strong>hi</strong>", html)
        self.assertNotIn("<script", html)
        self.assertNotIn("<img", html)
        self.assertIn("&lt;img src=x onerror=alert(1)&gt;", html)  # shown as text (issue 12)
        self.assertIn("&lt;script&gt;alert(1)&lt;/script&gt;", html)
        self.assertNotIn("javascript:", html)
        self.assertIn("<code", html)
        self.assertIn("<script>", a["prompt"]["text"])  # the text itself is kept as written
        self.assertEqual(a["guidelines_version"], 1)
        self.admin.patch("/api/v1/projects/hostile", {"guidelines": "new rules"})
        self.assertEqual(r.get("/api/v1/projects/hostile/next").json["guidelines_version"], 1)  # held one
        r.post("/api/v1/assignments/%s/vote" % a["id"], {"choice": "a"})
        self.assertEqual(psql(self.db, "SELECT v.guidelines_version FROM votes v JOIN assignments a ON "
                                       "a.id = v.assignment_id WHERE a.token = '%s'" % a["id"]), [["1"]])


class TwoProcessesTest(PrefdCase):
    def test_two_servers_one_database(self):
        other = Server(self.db_url, name="second").wait_ready()
        try:
            self.project("two", overlap=2)
            self.upload_vicuna("two")
            raters = []
            for i in range(6):
                c = self.user("two-%d" % i)
                if i % 2:
                    c = Client(other.url, c.token)
                raters.append(c)
            # the same rater through both servers at once still gets one assignment at a time
            both = [raters[0], Client(other.url, raters[0].token)]
            ids = parallel(8, lambda i: both[i % 2].get("/api/v1/projects/two/next").json["id"])
            self.assertEqual(len(set(ids)), 1)
            t0 = time.time()
            results = parallel(len(raters), lambda i: rate_until_done(raters[i], "two", seed=10 + i))
            elapsed = time.time() - t0
            total = sum(v for v, _ in results)
            print("\n  two processes: %d votes in %.1f s (%.0f votes/s)" % (total, elapsed, total / elapsed))
            self.assertEqual(total, 1600)
            self.assertEqual(RatingTest.check_invariants(self, "two", 2), 1600)
        finally:
            self.assertEqual(other.stop(), 0)
