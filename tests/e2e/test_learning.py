"""Raters learn (issue 17): qualification on control pairs (pass, fail, retry, by hand), review
feedback that reaches the rater and their one reply, the rater's own statistics beside the
project median, and the guideline-change notice, checked over HTTP against the real server."""

import json
import re

from prefdtest import Client, PrefdCase, psql
from test_prefctl import run_ctl
from test_quality import pair_item, quality


def better(a):
    """The side whose simulated answer is better."""
    return "a" if quality(a["left"]) > quality(a["right"]) else "b"


def worse(a):
    return "b" if better(a) == "a" else "a"


def is_gold(a):
    return a["prompt"]["text"].startswith("Question g")


class QualificationTest(PrefdCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        r = cls.admin.post("/api/v1/projects", {
            "slug": "qual", "title": "Qualified", "overlap": 3,
            "qualification": {"gold": 3, "min_accuracy": 0.6, "retry_after_hours": 1}})
        assert r.status == 201, r
        items = [pair_item("o%02d" % i, "m1", 1, "m2", 2) for i in range(6)]
        items += [pair_item("g%02d" % i, "good", 10, "poor", 0, gold="model_a",
                            gold_reason="The first answer is right (%d)." % i) for i in range(9)]
        r = cls.admin.post("/api/v1/projects/qual/items", raw="\n".join(json.dumps(x) for x in items).encode(),
                           content_type="application/x-ndjson")
        assert r.status == 200, r

    def next(self, c):
        return c.get("/api/v1/projects/qual/next")

    def vote(self, c, a, choice):
        r = c.post("/api/v1/assignments/%s/vote" % a["id"], {"choice": choice})
        self.assertEqual(r.status, 201, r)
        return r.json

    def state(self, name):
        r = self.admin.get("/api/v1/projects/qual/raters")
        self.assertEqual(r.status, 200, r)
        return {x["rater"]: x for x in r.json["items"]}[name]["qualification"]

    def test_option_shown_and_validated(self):
        r = self.admin.get("/api/v1/projects/qual")
        self.assertEqual(r.json["qualification"], {"gold": 3, "min_accuracy": 0.6, "retry_after_hours": 1})
        for bad in ({"gold": 0}, {"gold": 3, "min_accuracy": 2}, {"min_accuracy": 0.5}, {"gold": 3, "extra": 1},
                    "yes", {"gold": 3, "retry_after_hours": -1}):
            r = self.admin.patch("/api/v1/projects/qual", {"qualification": bad})
            self.assertError(r, 422, "validation_failed")
            self.assertEqual(r.json["error"].get("details", {}).get("field"), "qualification", r)
        self.project("plain")
        self.assertIsNone(self.admin.get("/api/v1/projects/plain").json["qualification"])
        # an admin decision where no qualification is asked: 409
        self.user("nobody")
        self.assertError(self.admin.post("/api/v1/projects/plain/raters/nobody/qualification",
                                         {"action": "qualify"}), 409, "conflict")

    def test_pass(self):
        c = self.user("passer")
        for k in range(3):
            r = self.next(c)
            self.assertEqual(r.status, 200, r)
            self.assertTrue(is_gold(r.json), r.json["prompt"])  # control pairs only, until decided
            self.assertNotIn("gold", json.dumps(r.json).replace("guidelines", ""))
            if k < 2:
                self.assertEqual(self.state("passer")["state"], "pending")
            reply = self.vote(c, r.json, better(r.json) if k != 1 else worse(r.json))
            # the feedback control pairs always give: the right answer and its reason
            if k == 1:
                self.assertEqual(reply["gold"]["expected"], better(r.json))
                self.assertTrue(reply["gold"]["reason"].startswith("The first answer is right"))
        q = self.state("passer")
        self.assertEqual((q["state"], q["answered"], q["correct"], q["gold"]), ("qualified", 3, 2, 3))
        r = self.next(c)
        self.assertEqual(r.status, 200, r)
        self.assertFalse(is_gold(r.json))  # ordinary work now
        events = psql(self.db, "SELECT e.event, e.answered, e.correct FROM qualification_events e JOIN users u "
                               "ON u.id = e.rater_id WHERE u.name = 'passer' ORDER BY e.id")
        self.assertEqual(events, [["passed", "3", "2"]])

    def test_fail_retry_and_by_hand(self):
        c = self.user("failer")
        for _ in range(3):
            r = self.next(c)
            self.assertEqual(r.status, 200, r)
            self.assertTrue(is_gold(r.json))
            self.vote(c, r.json, worse(r.json))
        r = self.next(c)
        self.assertError(r, 403, "not_qualified")
        retry = r.json["error"]["details"]["retry_at"]
        self.assertRegex(retry, r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
        self.assertIn(retry, r.json["error"]["message"])
        q = self.state("failer")
        self.assertEqual((q["state"], q["answered"], q["correct"], q["retry_at"]), ("failed", 3, 0, retry))
        self.assertError(self.next(c), 403, "not_qualified")  # still, until the time
        # the time passes: a new attempt from nothing, on control pairs never given before
        psql(self.db, "UPDATE qualifications SET retry_at = now() - interval '1 second' WHERE rater_id = "
                      "(SELECT id FROM users WHERE name = 'failer')")
        seen = set()
        for _ in range(3):
            r = self.next(c)
            self.assertEqual(r.status, 200, r)
            self.assertTrue(is_gold(r.json))
            seen.add(r.json["prompt"]["text"])
            self.vote(c, r.json, better(r.json))
        self.assertEqual(len(seen), 3)
        q = self.state("failer")
        self.assertEqual((q["state"], q["attempt"], q["answered"], q["correct"]), ("qualified", 2, 3, 3))
        self.assertFalse(is_gold(self.next(c).json))
        # an admin resets: control pairs again; and qualifies by hand, recorded with the reason
        r = self.admin.post("/api/v1/projects/qual/raters/failer/qualification",
                            {"action": "reset", "reason": "new guidelines"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json["state"], r.json["attempt"], r.json["answered"], r.json["by"]),
                         ("pending", 3, 0, "admin"))
        r = self.admin.post("/api/v1/projects/qual/raters/failer/qualification",
                            {"action": "qualify", "reason": "trusted"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json["state"], r.json["by"]), ("qualified", "admin"))
        self.assertEqual([(e["event"], e["by"], e["reason"]) for e in r.json["history"]],
                         [("failed", None, ""), ("retried", None, ""), ("passed", None, ""),
                          ("reset", "admin", "new guidelines"), ("qualified", "admin", "trusted")])
        self.assertEqual(self.state("failer")["by"], "admin")

    def test_qualification_requests(self):
        self.user("target")
        path = "/api/v1/projects/qual/raters/target/qualification"
        self.assertError(self.admin.post(path, {"action": "promote"}), 422, "validation_failed")
        self.assertError(self.admin.post(path, {}), 422, "validation_failed")
        self.assertError(self.admin.post(path, {"action": "qualify", "x": 1}), 422, "validation_failed")
        self.assertError(self.admin.post(path, {"action": "qualify", "reason": "x" * 2001}), 422,
                         "validation_failed")
        self.assertError(self.admin.post("/api/v1/projects/qual/raters/ghost/qualification",
                                         {"action": "qualify"}), 404, "not_found")
        self.assertError(self.admin.post("/api/v1/projects/ghost/raters/target/qualification",
                                         {"action": "qualify"}), 404, "not_found")
        rater = self.user("meddler")
        self.assertError(rater.post(path, {"action": "qualify"}), 403, "forbidden")


class FeedbackTest(PrefdCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        admin = cls.admin
        tokens = {}
        for name in ("writer", "checker", "outsider"):
            tokens[name] = admin.post("/api/v1/users", {"name": name, "role": "rater"}).json["token"]
        cls.c = {n: Client(cls.server.url, t) for n, t in tokens.items()}
        cls.tokens = tokens
        admin.post("/api/v1/projects", {"slug": "fb", "title": "Feedback", "overlap": 2,
                                        "raters": ["writer", "checker"], "reviewers": ["checker"]})
        items = [pair_item("f%d" % i, "alpha", 1, "beta", 2) for i in range(4)]
        admin.post("/api/v1/projects/fb/items", raw="\n".join(json.dumps(x) for x in items).encode(),
                   content_type="application/x-ndjson")
        cls.shown = {}
        while True:
            r = cls.c["writer"].get("/api/v1/projects/fb/next")
            if r.status == 204:
                break
            a = r.json
            v = cls.c["writer"].post("/api/v1/assignments/%s/vote" % a["id"],
                                     {"choice": "a", "rationale": "left first", "elapsed_ms": 5000})
            cls.shown[v.json["vote_id"]] = a
        cls.reviews = []
        for k in range(3):
            x = cls.c["checker"].get("/api/v1/projects/fb/review/next").json
            verdict = "disagree" if k == 1 else "agree"
            r = cls.c["checker"].post("/api/v1/votes/%d/review" % x["vote_id"],
                                      {"verdict": verdict, "comment": "comment %d" % k})
            cls.reviews.append((r.json["review_id"], x["vote_id"], verdict))

    def test_feedback_lists_page(self):
        """Both feedback lists page one review at a time, newest first, as one scheme (API.md, Lists)."""
        newest_first = [x[0] for x in reversed(self.reviews)]
        for who, path in (("writer", "/api/v1/me/reviews?project=fb"),
                          ("checker", "/api/v1/me/reviews/given?project=fb")):
            c = self.c[who]
            seen, cursor = [], None
            for _ in range(10):
                r = c.get(path + "&limit=1" + ("&cursor=" + cursor if cursor else ""))
                self.assertEqual(r.status, 200, r)
                self.assertLessEqual(len(r.json["items"]), 1)
                seen += [x["review_id"] for x in r.json["items"]]
                cursor = r.json["next_cursor"]
                if cursor is None:
                    break
            self.assertEqual(seen, newest_first, path)
            self.assertError(c.get(path + "&cursor=x"), 400, "bad_request")

    def test_reviews_reach_the_rater(self):
        w = self.c["writer"]
        psql(self.db, "UPDATE reviews SET read_at = NULL")  # as before the other tests read them
        self.assertEqual(w.get("/api/v1/me/reviews/unread").json, {"unread": 3, "projects": {"fb": 3}})
        r = w.get("/api/v1/me/reviews?project=fb&limit=2")
        self.assertEqual(r.status, 200, r)
        page = r.json
        # newest first, paged
        self.assertEqual([x["review_id"] for x in page["items"]], [self.reviews[2][0], self.reviews[1][0]])
        self.assertIsNotNone(page["next_cursor"])
        self.assertEqual(page["unread"], 1)  # this page is read now
        x = page["items"][1]
        self.assertEqual((x["verdict"], x["comment"], x["choice"], x["read"]),
                         ("disagree", "comment 1", "a", False))
        self.assertIsNone(page["items"][0]["reply"])
        self.assertEqual(x["rationale"], "left first")
        self.assertRegex(x["reviewer"], r"^r-[0-9a-f]{12}$")
        # the comparison as the rater saw it, without model names or the reviewer's name
        a = self.shown[x["vote_id"]]
        self.assertEqual((x["prompt"]["text"], x["left"]["text"], x["right"]["text"]),
                         (a["prompt"]["text"], a["left"]["text"], a["right"]["text"]))
        text = json.dumps(page)
        for secret in ("alpha", "beta", "checker"):
            self.assertNotIn(secret, text)
        rest = w.get("/api/v1/me/reviews?project=fb&limit=2&cursor=" + page["next_cursor"]).json
        self.assertEqual([y["review_id"] for y in rest["items"]], [self.reviews[0][0]])
        self.assertIsNone(rest["next_cursor"])
        self.assertEqual(rest["unread"], 0)
        self.assertEqual(w.get("/api/v1/me/reviews/unread").json, {"unread": 0, "projects": {}})
        again = w.get("/api/v1/me/reviews?project=fb").json
        self.assertTrue(all(y["read"] for y in again["items"]))

    def test_reply_once_and_the_reviewer_sees_it(self):
        w, checker = self.c["writer"], self.c["checker"]
        rid = self.reviews[1][0]
        r = w.post("/api/v1/reviews/%d/reply" % rid, {"text": "The left one cites its source."})
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json["reply"]["text"], "The left one cites its source.")
        same = w.post("/api/v1/reviews/%d/reply" % rid, {"text": "The left one cites its source."})
        self.assertEqual((same.status, same.json), (200, r.json))
        self.assertError(w.post("/api/v1/reviews/%d/reply" % rid, {"text": "Something else"}), 409, "conflict")
        # nobody else answers it, and bad bodies are 4xx naming the field
        self.assertError(checker.post("/api/v1/reviews/%d/reply" % rid, {"text": "me"}), 404, "not_found")
        self.assertError(self.c["outsider"].post("/api/v1/reviews/%d/reply" % rid, {"text": "me"}), 404,
                         "not_found")
        self.assertError(w.post("/api/v1/reviews/999999/reply", {"text": "x"}), 404, "not_found")
        self.assertError(w.post("/api/v1/reviews/abc/reply", {"text": "x"}), 404, "not_found")
        for body in ({}, {"text": ""}, {"text": "x" * 5001}, {"text": 5}, {"text": "x", "more": 1}):
            r = w.post("/api/v1/reviews/%d/reply" % self.reviews[0][0], body)
            self.assertError(r, 422, "validation_failed")
        mine = [x for x in w.get("/api/v1/me/reviews?project=fb").json["items"] if x["review_id"] == rid][0]
        self.assertEqual(mine["reply"]["text"], "The left one cites its source.")
        given = checker.get("/api/v1/me/reviews/given?project=fb")
        self.assertEqual(given.status, 200, given)
        by_id = {x["review_id"]: x for x in given.json["items"]}
        self.assertEqual(set(by_id), {x[0] for x in self.reviews})
        self.assertEqual(by_id[rid]["reply"]["text"], "The left one cites its source.")
        self.assertEqual(by_id[rid]["verdict"], "disagree")
        self.assertIsNone(by_id[self.reviews[2][0]]["reply"])

    def test_requests(self):
        w = self.c["writer"]
        r = w.get("/api/v1/me/reviews")
        self.assertError(r, 400, "bad_request")
        self.assertEqual(r.json["error"]["details"], {"parameter": "project"})
        self.assertError(w.get("/api/v1/me/reviews?project=nope"), 404, "not_found")
        self.assertError(self.c["outsider"].get("/api/v1/me/reviews?project=fb"), 404, "not_found")
        self.assertError(w.get("/api/v1/me/reviews?project=fb&limit=0"), 400, "bad_request")
        self.assertError(w.get("/api/v1/me/reviews?project=fb&cursor=x"), 400, "bad_request")
        r = w.get("/api/v1/me/reviews?project=fb&sort=old")
        self.assertError(r, 400, "bad_request")
        self.assertEqual(r.json["error"]["details"], {"parameter": "sort"})
        self.assertError(w.get("/api/v1/me/reviews?project=%ff"), 400, "bad_request")
        self.assertEqual(self.c["outsider"].get("/api/v1/me/reviews/unread").json, {"unread": 0, "projects": {}})
        self.assertError(Client(self.server.url).get("/api/v1/me/reviews?project=fb"), 401, "unauthorized")

    def test_own_statistics(self):
        w = self.c["writer"]
        r = w.get("/api/v1/me/projects/fb/stats")
        self.assertEqual(r.status, 200, r)
        s = r.json
        admin_view = {x["rater"]: x for x in self.admin.get("/api/v1/projects/fb/raters").json["items"]}
        theirs = admin_view["writer"]
        # the same definitions as the admin's statistics
        for k in ("votes", "median_seconds", "tie_rate", "left_rate", "gold_seen", "gold_accuracy", "agreement",
                  "flags", "accuracy", "weight", "warnings", "skips", "reviews", "qualification"):
            self.assertEqual(s[k], theirs[k], k)
        self.assertEqual((s["rater"], s["project"], s["votes"], s["median_seconds"]), ("writer", "fb", 4, 5.0))
        self.assertEqual(s["reviews"], {"agree": 2, "disagree": 1})
        # the project's median rater: the writer is the only one who voted
        self.assertEqual(s["raters"], 1)
        self.assertEqual(s["project_median"]["votes"], 4)
        self.assertEqual(s["project_median"]["median_seconds"], 5.0)
        self.assertIn("min_seconds", s["thresholds"])
        # a rater sees only their own: nothing of others, and no project they may not see
        self.assertNotIn("checker", json.dumps(s))
        self.assertError(self.c["outsider"].get("/api/v1/me/projects/fb/stats"), 404, "not_found")
        self.assertError(w.get("/api/v1/me/projects/nope/stats"), 404, "not_found")
        c = self.c["checker"].get("/api/v1/me/projects/fb/stats").json
        self.assertEqual((c["votes"], c["median_seconds"], c["raters"]), (0, None, 1))


class MedianTest(PrefdCase):
    def test_median_over_raters(self):
        self.project("med", overlap=3)
        self.upload("med", [pair_item("q%d" % i, "x", 1, "y", 2) for i in range(4)])
        raters = [self.user("r%d" % k) for k in range(3)]
        for k, c in enumerate(raters):
            for i in range(k + 1):
                a = c.get("/api/v1/projects/med/next").json
                c.post("/api/v1/assignments/%s/vote" % a["id"], {"choice": "a", "elapsed_ms": 1000 * (k + 1)})
        s = raters[0].get("/api/v1/me/projects/med/stats").json
        self.assertEqual((s["votes"], s["raters"]), (1, 3))
        self.assertEqual(s["project_median"]["votes"], 2)
        self.assertEqual(s["project_median"]["median_seconds"], 2.0)
        self.assertEqual(s["project_median"]["tie_rate"], 0.0)


class GuidelinesTest(PrefdCase):
    def test_notice_diff_and_acknowledgement(self):
        self.project("gl", guidelines="# Rules\nPrefer correct answers.\nIgnore length.", overlap=2)
        self.upload("gl", [pair_item("h%d" % i, "x", 1, "y", 2) for i in range(6)])
        c = self.user("reader")
        a = c.get("/api/v1/projects/gl/next").json
        self.assertEqual(c.post("/api/v1/assignments/%s/vote" % a["id"], {"choice": "a"}).status, 201)
        g = c.get("/api/v1/me/projects/gl/guidelines").json
        self.assertEqual((g["version"], g["known"], g["changed"]), (1, 1, False))
        r = self.admin.patch("/api/v1/projects/gl",
                             {"guidelines": "# Rules\nPrefer correct and safe answers.\nIgnore length."})
        self.assertEqual(r.status, 200, r)
        r = c.get("/api/v1/projects/gl/next")
        self.assertError(r, 409, "guidelines_changed")
        self.assertEqual(r.json["error"]["details"], {"version": 2, "known": 1})
        g = c.get("/api/v1/me/projects/gl/guidelines").json
        self.assertEqual((g["version"], g["known"], g["changed"]), (2, 1, True))
        self.assertEqual(g["diff"], [{"op": "same", "text": "# Rules"},
                                     {"op": "added", "text": "Prefer correct and safe answers."},
                                     {"op": "removed", "text": "Prefer correct answers."},
                                     {"op": "same", "text": "Ignore length."}])
        self.assertIn("<h1>Rules</h1>", g["guidelines"]["html"])
        # acknowledging: only the current version, once; then work again
        self.assertError(c.post("/api/v1/me/projects/gl/guidelines/ack", {"version": 1}), 409, "conflict")
        for body in ({}, {"version": "2"}, {"version": 0}, {"version": 2, "x": 1}):
            self.assertError(c.post("/api/v1/me/projects/gl/guidelines/ack", body), 422, "validation_failed")
        r = c.post("/api/v1/me/projects/gl/guidelines/ack", {"version": 2})
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json["version"], 2)
        again = c.post("/api/v1/me/projects/gl/guidelines/ack", {"version": 2})
        self.assertEqual((again.status, again.json), (200, r.json))
        r = c.get("/api/v1/projects/gl/next")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["guidelines_version"], 2)
        self.assertEqual(psql(self.db, "SELECT a.version, a.from_version FROM guideline_acks a JOIN users u "
                                       "ON u.id = a.rater_id WHERE u.name = 'reader'"), [["2", "1"]])
        # a newcomer starts with the guidelines of now: no notice
        n = self.user("newcomer")
        self.assertEqual(n.get("/api/v1/projects/gl/next").status, 200)
        self.assertFalse(n.get("/api/v1/me/projects/gl/guidelines").json["changed"])
        self.assertError(n.get("/api/v1/me/projects/nope/guidelines"), 404, "not_found")


class ReviewFiltersTest(PrefdCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        admin = cls.admin
        tokens = {n: admin.post("/api/v1/users", {"name": n, "role": "rater"}).json["token"]
                  for n in ("r1", "r2", "r3", "boss")}
        cls.c = {n: Client(cls.server.url, t) for n, t in tokens.items()}
        admin.post("/api/v1/projects", {"slug": "flt", "title": "Filters", "overlap": 3, "gold_rate": 0.0,
                                        "flags": ["unsafe"], "reviewers": ["boss"]})
        items = [pair_item("p%d" % i, "good", 5, "bad", 1) for i in range(3)]
        items += [pair_item("g%d" % i, "good", 9, "bad", 0, gold="model_a") for i in range(2)]
        admin.post("/api/v1/projects/flt/items", raw="\n".join(json.dumps(x) for x in items).encode(),
                   content_type="application/x-ndjson")
        cls.votes = {}  # (rater, prompt) -> vote id
        cls.missed = set()
        # every rater judges the three ordinary prompts; r3 always picks the worse answer and
        # flags on p0; then r1 answers the control pairs (right on g0, wrong on g1)
        for name in ("r1", "r2", "r3"):
            c = cls.c[name]
            for _ in range(3):
                a = c.get("/api/v1/projects/flt/next").json
                body = {"choice": worse(a) if name == "r3" else better(a)}
                if name == "r3" and a["prompt"]["text"] == "Question p0?":
                    body["flags"] = {"a": ["unsafe"], "b": []}
                v = c.post("/api/v1/assignments/%s/vote" % a["id"], body)
                cls.votes[(name, a["prompt"]["text"])] = v.json["vote_id"]
        admin.patch("/api/v1/projects/flt", {"gold_rate": 1.0})
        for _ in range(2):
            a = cls.c["r1"].get("/api/v1/projects/flt/next").json
            wrong = a["prompt"]["text"] == "Question g1?"
            v = cls.c["r1"].post("/api/v1/assignments/%s/vote" % a["id"], {"choice": worse(a) if wrong else better(a)})
            cls.votes[("r1", a["prompt"]["text"])] = v.json["vote_id"]
            if wrong:
                cls.missed.add(v.json["vote_id"])

    def drain(self, query):
        """Every vote review/next offers under a filter (each reviewed, so the next comes), from no
        reviews at all."""
        psql(self.db, "DELETE FROM reviews; UPDATE votes SET reviews = 0")
        seen = []
        while True:
            r = self.c["boss"].get("/api/v1/projects/flt/review/next" + query)
            if r.status == 204:
                return seen
            self.assertEqual(r.status, 200, r)
            seen.append(r.json["vote_id"])
            rv = self.c["boss"].post("/api/v1/votes/%d/review" % r.json["vote_id"],
                                     {"verdict": "disagree", "comment": "filtered " + query})
            self.assertEqual(rv.status, 201, rv)

    def test_filters(self):
        ids = self.votes
        self.assertEqual(sorted(self.drain("?filter=disagreement")),
                         sorted(ids[("r3", "Question p%d?" % i)] for i in range(3)))
        self.assertEqual(self.drain("?filter=flagged"), [ids[("r3", "Question p0?")]])
        self.assertEqual(self.drain("?filter=gold_wrong"), sorted(self.missed))
        self.assertEqual(len(self.missed), 1)
        # a rater's votes: the ones not reviewed yet
        self.assertEqual(sorted(self.drain("?rater=r2")), sorted(ids[("r2", "Question p%d?" % i)] for i in range(3)))
        self.assertEqual(self.drain("?rater=r2&filter=disagreement"), [])
        self.assertEqual(self.drain("?rater=nobody"), [])
        # the missed control pair's review reaches r1
        self.assertEqual(self.drain("?filter=gold_wrong&rater=r1"), sorted(self.missed))
        mine = self.c["r1"].get("/api/v1/me/reviews?project=flt").json["items"]
        self.assertIn(list(self.missed)[0], [x["vote_id"] for x in mine])
        # a control pair answered right cannot be reviewed
        right = ids[("r1", "Question g0?")]
        self.assertError(self.c["boss"].post("/api/v1/votes/%d/review" % right, {"verdict": "agree"}), 404,
                         "not_found")

    def test_bad_filters(self):
        for q, name in (("?filter=wrong", "filter"), ("?filter=flagged&colour=red", "colour"),
                        ("?rater=" + "x" * 200, "rater")):
            r = self.c["boss"].get("/api/v1/projects/flt/review/next" + q)
            self.assertError(r, 400, "bad_request")
            self.assertEqual(r.json["error"]["details"], {"parameter": name})


class PrefctlLearnTest(FeedbackTest):
    """The same feedback through prefctl: reviews, reply, mystats, qualify."""

    def ctl(self, who, *args):
        return run_ctl(self.server.url, self.tokens[who] if who != "admin" else self.admin_token, *args)

    def test_prefctl(self):
        r = self.ctl("writer", "reviews", "fb", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        items = json.loads(r.stdout)
        self.assertEqual(sorted(x["review_id"] for x in items), sorted(x[0] for x in self.reviews))
        r = self.ctl("writer", "reviews", "fb")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("comment 1", r.stdout)
        self.assertIn("disagree", r.stdout)
        rid = str(self.reviews[0][0])
        r = self.ctl("writer", "reply", rid, "Thanks, noted.")
        self.assertEqual((r.returncode, r.stdout), (0, "replied to review %s\n" % rid), r.stderr)
        r = self.ctl("writer", "reply", rid, "Something else")
        self.assertEqual(r.returncode, 4)
        self.assertIn("409 conflict", r.stderr)
        self.assertEqual(psql(self.db, "SELECT reply FROM reviews WHERE id = %s" % rid), [["Thanks, noted."]])
        r = self.ctl("writer", "mystats", "fb", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["votes"], 4)
        r = self.ctl("writer", "mystats", "fb")
        self.assertRegex(r.stdout, r"votes\s+4\s+4")
        r = self.ctl("outsider", "mystats", "fb")
        self.assertEqual(r.returncode, 4)
        self.assertIn("404 not_found", r.stderr)
        # qualify: 409 where the project asks for none
        r = self.ctl("admin", "qualify", "fb", "writer")
        self.assertEqual(r.returncode, 4)
        self.assertIn("409 conflict", r.stderr)
        self.admin.patch("/api/v1/projects/fb", {"qualification": {"gold": 2}})
        r = self.ctl("admin", "qualify", "fb", "writer", "--reset", "--reason", "check again")
        self.assertEqual((r.returncode, r.stdout), (0, "rater writer: pending (attempt 2, 0 of 0 answered right)\n"), r.stderr)
        r = self.ctl("admin", "qualify", "fb", "writer", "--json")
        self.assertEqual(json.loads(r.stdout)["state"], "qualified")
        self.assertEqual([e["event"] for e in json.loads(r.stdout)["history"]], ["reset", "qualified"])
