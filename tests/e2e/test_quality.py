"""Quality control: control pairs, rater statistics, agreement, review, exclusions, flags and
reliability-weighted rankings, checked over HTTP against independent computations."""

import collections
import json
import math
import random
import re
import sys

from prefdtest import Client, PrefdCase, Server, parallel, psql

QUALITY = re.compile(r"\[q=(-?\d+)\]")


def quality(side):
    """The true quality a simulated answer carries in its text."""
    return int(QUALITY.search(side["text"]).group(1))


def pair_item(ident, model_a, qa, model_b, qb, **extra):
    item = {"id": ident, "prompt": "Question %s?" % ident, "model_a": model_a,
            "response_a": "Answer of quality [q=%d]." % qa, "model_b": model_b,
            "response_b": "Answer of quality [q=%d]." % qb}
    item.update(extra)
    return item


def rate(client, slug, decide, limit=None):
    """Asks for work and votes decide(assignment) -> vote body until none is left; returns
    [(assignment, vote body, reply json)]."""
    done = []
    while limit is None or len(done) < limit:
        r = client.get("/api/v1/projects/%s/next" % slug)
        if r.status == 204:
            break
        assert r.status == 200, r
        a = r.json
        body = decide(a)
        v = client.post("/api/v1/assignments/%s/vote" % a["id"], body)
        assert v.status == 201, v
        done.append((a, body, v.json))
    return done


def fair_side(stats):
    """Whether a rater's left-choice rate lies in a fair coin's 99% range (the side_bias rule).

    Which answer is left is random, so even a rater who judges the answers alone leaves that range
    in about one run in a hundred; tests derive the expected warning from the rate itself.
    """
    n = stats["votes"] * (1 - stats["tie_rate"])
    return abs(stats["left_rate"] - 0.5) <= 2.576 * math.sqrt(0.25 / n)


def kendall(order, truth):
    """Kendall's tau between two orderings of the same names (best first)."""
    pos = {m: i for i, m in enumerate(order)}
    t = {m: i for i, m in enumerate(truth)}
    names = list(truth)
    s = 0
    n = 0
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            a, b = names[i], names[j]
            s += 1 if (pos[a] - pos[b]) * (t[a] - t[b]) > 0 else -1
            n += 1
    return s / n


def spearman(order, truth):
    pos = {m: i for i, m in enumerate(order)}
    n = len(truth)
    d2 = sum((pos[m] - i) ** 2 for i, m in enumerate(truth))
    return 1 - 6 * d2 / (n * (n * n - 1))


def alpha_nominal(units):
    """Krippendorff's alpha (nominal) from {unit: [values]}, units with two or more values."""
    n_c = collections.Counter()
    disagree = 0.0
    total = 0
    for values in units.values():
        m = len(values)
        if m < 2:
            continue
        counts = collections.Counter(values)
        n_c.update(counts)
        total += m
        disagree += (m * m - sum(c * c for c in counts.values())) / (m - 1)
    expected = total * total - sum(c * c for c in n_c.values())
    return 1 - (total - 1) * disagree / expected if expected else None


class QualityCase(PrefdCase):
    def project_id(self, slug):
        return psql(self.db, "SELECT id FROM projects WHERE slug = '%s'" % slug)[0][0]

    def raters(self, slug):
        r = self.admin.get("/api/v1/projects/%s/raters" % slug)
        self.assertEqual(r.status, 200, r)
        return {x["rater"]: x for x in r.json["items"]}

    def leaderboard(self, slug, query="", client=None):
        r = (client or self.admin).get("/api/v1/projects/%s/leaderboard?ci=none%s" % (slug, query))
        self.assertEqual(r.status, 200, r)
        return r.json

    def export(self, slug):
        r = self.admin.get("/api/v1/projects/%s/votes?format=jsonl" % slug)
        self.assertEqual(r.status, 200, r)
        return [json.loads(line) for line in r.body.decode().splitlines()]


class ControlPairsTest(QualityCase):
    def test_control_pairs(self):
        self.project("ctrl", gold_rate=0.5)
        items = [pair_item("p%02d" % i, "good", 10, "poor", 0) for i in range(30)]
        items += [pair_item("g%02d" % i, "good", 10, "poor", 0, gold="model_a" if i % 3 else "tie",
                            gold_reason="Reason %d: the first answer is correct." % i)
                  for i in range(8)]
        r = self.upload("ctrl", items)
        self.assertEqual(r.json["accepted"], 38, r)
        rater = self.user("gold-rater")
        state = {"n": 0}

        def decide(a):
            # answer the control pairs right and wrong in turn; ordinary ones for the better
            state["n"] += 1
            better = "a" if quality(a["left"]) > quality(a["right"]) else "b"
            if a["prompt"]["text"].startswith("Question g") and state["n"] % 2:
                return {"choice": "b" if better == "a" else "a", "elapsed_ms": 5000}
            return {"choice": better, "elapsed_ms": 5000}

        done = rate(rater, "ctrl", decide)
        gold = [(a, b, v) for a, b, v in done if a["prompt"]["text"].startswith("Question g")]
        ordinary = [(a, b, v) for a, b, v in done if not a["prompt"]["text"].startswith("Question g")]
        self.assertEqual(len(ordinary), 30)
        self.assertGreater(len(gold), 0)  # at a rate of one half, 30 draws cannot all miss
        self.assertLessEqual(len(gold), 8)  # each control pair at most once
        # control pairs look exactly like other comparisons
        for a, _, _ in gold:
            self.assertEqual(set(a), set(ordinary[0][0]))
            self.assertNotIn("gold", json.dumps(a))
        # a missed control pair answers with the expected choice as shown, and why
        missed = 0
        for a, body, reply in gold:
            ident = int(a["prompt"]["text"][len("Question g"):-1])
            if ident % 3 == 0:
                expected = "tie"
            else:
                expected = "a" if quality(a["left"]) > quality(a["right"]) else "b"
            if body["choice"] == expected:
                self.assertNotIn("gold", reply)
            else:
                missed += 1
                self.assertEqual(reply["gold"], {"expected": expected,
                                                 "reason": "Reason %d: the first answer is correct." % ident})
                # the same vote again answers the same, feedback included
                again = rater.post("/api/v1/assignments/%s/vote" % a["id"], body)
                self.assertEqual(again.status, 200, again)
                self.assertEqual(again.json, reply)
        # control pairs never count: not in rankings, pair totals or exports
        lb = self.leaderboard("ctrl")
        self.assertEqual(lb["votes"], 30)
        self.assertEqual({m["model"]: m["wins"] for m in lb["models"]}, {"good": 30, "poor": 0})
        self.assertEqual(len(self.export("ctrl")), 30)
        pid = self.project_id("ctrl")
        self.assertEqual(psql(self.db, "SELECT sum(lo_wins + hi_wins + ties + both_bad) FROM pair_totals "
                                       "WHERE project_id = %s" % pid), [["30"]])
        # they score the rater
        s = self.raters("ctrl")["gold-rater"]
        self.assertEqual(s["votes"], 30)
        self.assertEqual(s["gold_seen"], len(gold))
        self.assertAlmostEqual(s["gold_accuracy"], (len(gold) - missed) / len(gold), places=4)
        self.assertTrue(missed > 0 or len(gold) == 1)


class SimulationTest(QualityCase):
    """An always-right, a random and an always-left rater on the same comparisons."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        admin = cls.admin
        r = admin.post("/api/v1/projects", {"slug": "trio", "title": "Trio", "overlap": 3, "gold_rate": 0.2,
                                            "qc_min_seconds": 3, "qc_min_gold_accuracy": 0.8})
        assert r.status == 201, r
        rng = random.Random(1)
        models = ["m%d" % i for i in range(6)]
        items = []
        for i in range(90):
            a, b = rng.sample(models, 2)
            items.append(pair_item("t%03d" % i, a, rng.randint(0, 100), b, rng.randint(101, 200),
                                   category=["math", "writing"][i % 2]))
        for i in range(12):
            items.append(pair_item("g%03d" % i, "m0", 0, "m1", 500, gold="model_b", gold_reason="B is right"))
        r = admin.post("/api/v1/projects/trio/items", raw="\n".join(json.dumps(x) for x in items).encode(),
                       content_type="application/x-ndjson")
        assert r.status == 200 and r.json["accepted"] == 102, r
        clients = {}
        for name in ("right", "coin", "lefty"):
            r = admin.post("/api/v1/users", {"name": name, "role": "rater"})
            clients[name] = Client(cls.server.url, r.json["token"])
        coin = random.Random(2)

        def decide(name):
            def d(a):
                if name == "right":
                    return {"choice": "a" if quality(a["left"]) > quality(a["right"]) else "b",
                            "elapsed_ms": 20000 + coin.randint(0, 20000)}
                if name == "coin":
                    return {"choice": coin.choice("ab"), "elapsed_ms": 1000 + coin.randint(0, 500)}
                return {"choice": "a", "elapsed_ms": 8000}
            return d

        names = list(clients)
        parallel(3, lambda i: rate(clients[names[i]], "trio", decide(names[i])))

    def test_statistics(self):
        s = self.raters("trio")
        self.assertEqual(set(s), {"right", "coin", "lefty"})
        for x in s.values():
            self.assertEqual(x["votes"], 90)  # every ordinary comparison, by everyone (overlap 3)
            self.assertEqual(x["tie_rate"], 0)
            self.assertEqual(x["skips"], 0)
            self.assertGreater(x["gold_seen"], 0)
        right, coin, lefty = s["right"], s["coin"], s["lefty"]
        # always right: every control pair, no warning; the better answer is left half the time
        self.assertEqual(right["gold_accuracy"], 1.0)
        self.assertEqual([w["code"] for w in right["warnings"]], [] if fair_side(right) else ["side_bias"],
                         right)
        self.assertTrue(0.25 < right["left_rate"] < 0.75, right)
        self.assertGreaterEqual(right["median_seconds"], 20)
        # always left: a left rate of exactly one, flagged with the numbers behind it
        self.assertEqual(lefty["left_rate"], 1.0)
        side = [w for w in lefty["warnings"] if w["code"] == "side_bias"]
        self.assertEqual(len(side), 1, lefty)
        self.assertEqual(side[0]["value"], 1.0)
        self.assertIn("left", side[0]["message"])
        self.assertIn("90", side[0]["message"])
        self.assertEqual(lefty["median_seconds"], 8)
        # the coin: fast, about half left
        fast = [w for w in coin["warnings"] if w["code"] == "fast"]
        self.assertEqual(len(fast), 1, coin)
        self.assertLess(fast[0]["value"], 1.6)
        self.assertEqual(fast[0]["threshold"], 3)
        self.assertTrue(0.25 < coin["left_rate"] < 0.75, coin)
        self.assertEqual("side_bias" in [w["code"] for w in coin["warnings"]], not fair_side(coin), coin)
        # gold warnings for whoever answered the control pairs below 80%, with the counts
        for x in (coin, lefty):
            codes = [w["code"] for w in x["warnings"]]
            if x["gold_seen"] >= 5 and x["gold_accuracy"] < 0.8:
                self.assertIn("gold", codes)
            else:
                self.assertNotIn("gold", codes)
        # reliability: the careful rater weighs most, the other two little
        self.assertGreater(right["accuracy"], 0.85)
        self.assertGreater(right["weight"], 0.7)
        self.assertLess(coin["weight"], 0.45)
        self.assertLess(lefty["weight"], 0.45)
        sys.stderr.write("\n  trio: weights right=%.3f coin=%.3f lefty=%.3f; accuracy %.3f %.3f %.3f; "
                         "agreement %.3f %.3f %.3f\n" % (
                             right["weight"], coin["weight"], lefty["weight"], right["accuracy"],
                             coin["accuracy"], lefty["accuracy"], right["agreement"], coin["agreement"],
                             lefty["agreement"]))

    def test_agreement_matches_an_independent_computation(self):
        votes = self.export("trio")
        self.assertEqual(len(votes), 270)
        units = collections.defaultdict(list)
        by_cat = collections.defaultdict(lambda: collections.defaultdict(list))
        for v in votes:
            value = {"model_a": v["model_a"], "model_b": v["model_b"]}.get(v["winner"], "tie")
            units[v["prompt_id"]].append(value)
            by_cat[v["category"]][v["prompt_id"]].append(value)
        r = self.admin.get("/api/v1/projects/trio/agreement")
        self.assertEqual(r.status, 200, r)
        got = r.json
        self.assertEqual(got["units"], 90)
        self.assertAlmostEqual(got["alpha"], alpha_nominal(units), places=3)
        pairs = agreeing = 0
        for values in units.values():
            c = collections.Counter(values)
            pairs += len(values) * (len(values) - 1) / 2
            agreeing += sum(n * (n - 1) / 2 for n in c.values())
        self.assertAlmostEqual(got["percent"], agreeing / pairs, places=3)
        self.assertEqual(set(got["by_category"]), {"math", "writing"})
        for cat, u in by_cat.items():
            self.assertEqual(got["by_category"][cat]["units"], 45)
            self.assertAlmostEqual(got["by_category"][cat]["alpha"], alpha_nominal(u), places=3)
        # per rater: the share of votes matching the others' majority, where there is one
        per = collections.defaultdict(lambda: [0, 0])
        for v in votes:
            value = {"model_a": v["model_a"], "model_b": v["model_b"]}.get(v["winner"], "tie")
            others = list(units[v["prompt_id"]])
            others.remove(value)
            c = collections.Counter(others).most_common()
            if c and (len(c) == 1 or c[0][1] > c[1][1]):
                per[v["rater"]][0] += 1
                per[v["rater"]][1] += c[0][0] == value
        expected = sorted(round(m / n, 4) for n, m in per.values())
        got_rates = sorted(x["agreement"] for x in self.raters("trio").values())
        for e, g in zip(expected, got_rates):
            self.assertAlmostEqual(e, g, places=3)

    def test_pages(self):
        first = self.admin.get("/api/v1/projects/trio/raters?limit=2").json
        self.assertEqual([x["rater"] for x in first["items"]], ["coin", "lefty"])
        self.assertIsNotNone(first["next_cursor"])
        rest = self.admin.get("/api/v1/projects/trio/raters?limit=2&cursor=%s" % first["next_cursor"]).json
        self.assertEqual([x["rater"] for x in rest["items"]], ["right"])
        self.assertIsNone(rest["next_cursor"])
        self.assertEqual(first["items"] + rest["items"], self.admin.get("/api/v1/projects/trio/raters").json["items"])
        self.assertError(self.admin.get("/api/v1/projects/trio/raters?limit=0"), 400, "bad_request")
        self.assertError(self.admin.get("/api/v1/projects/trio/raters?cursor=x"), 400, "bad_request")

    def test_access(self):
        rater = Client(self.server.url, self.admin.post("/api/v1/users", {"name": "nosy", "role": "rater"})
                       .json["token"])
        for path in ("raters", "agreement", "flags", "exclusions"):
            self.assertError(rater.get("/api/v1/projects/trio/" + path), 403, "forbidden")
            self.assertError(self.admin.get("/api/v1/projects/nope/" + path), 404, "not_found")
        analyst = Client(self.server.url, self.admin.post("/api/v1/users", {"name": "ana", "role": "analyst"})
                         .json["token"])
        self.assertEqual(analyst.get("/api/v1/projects/trio/raters").status, 200)
        self.assertError(analyst.post("/api/v1/projects/trio/exclusions", {"rater": "coin", "reason": "x"}),
                         403, "forbidden")


class ReviewTest(QualityCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        admin = cls.admin
        tokens = {}
        for name in ("writer", "checker", "other"):
            tokens[name] = admin.post("/api/v1/users", {"name": name, "role": "rater"}).json["token"]
        cls.c = {n: Client(cls.server.url, t) for n, t in tokens.items()}
        admin.post("/api/v1/projects", {"slug": "rev", "title": "Review", "overlap": 2, "gold_rate": 1.0,
                                        "reviewers": ["checker"]})
        items = [pair_item("r%d" % i, "alpha", 1, "beta", 2) for i in range(5)]
        items.append(pair_item("r5", "alpha", 1, "beta", 2, gold="model_b"))
        admin.post("/api/v1/projects/rev/items", raw="\n".join(json.dumps(x) for x in items).encode(),
                   content_type="application/x-ndjson")

        def ordinary(done):
            return [v["vote_id"] for a, _, v in done if a["prompt"]["text"] != "Question r5?"]

        wrote = rate(cls.c["writer"], "rev", lambda a: {
            "choice": "a", "rationale": "left looked better", "flags": {"a": [], "b": ["unsafe"]}})
        cls.writer_votes = ordinary(wrote)
        cls.writer_gold = [v["vote_id"] for a, _, v in wrote if a["prompt"]["text"] == "Question r5?"]
        cls.writer_gold_missed = ["gold" in v for a, _, v in wrote if a["prompt"]["text"] == "Question r5?"]
        cls.checker_votes = ordinary(rate(cls.c["checker"], "rev", lambda a: {"choice": "b"}, limit=3))

    def test_review_flow(self):
        checker = self.c["checker"]
        seen = set()
        while True:
            r = checker.get("/api/v1/projects/rev/review/next")
            if r.status == 204:
                break
            self.assertEqual(r.status, 200, r)
            x = r.json
            # another rater's vote as they saw it, without model names or the rater
            self.assertIn(x["vote_id"], self.writer_votes)
            self.assertNotIn(x["vote_id"], seen)
            seen.add(x["vote_id"])
            text = json.dumps(x)
            for secret in ("alpha", "beta", "writer", "model"):
                self.assertNotIn(secret, text)
            self.assertEqual(x["choice"], "a")
            self.assertEqual(x["rationale"], "left looked better")
            self.assertEqual(x["flags"], {"a": [], "b": ["unsafe"]})
            self.assertTrue(x["prompt"]["text"].startswith("Question r"))
            self.assertIn("<p>", x["left"]["html"])
            self.assertEqual(x["reviews"], 0)
            verdict = "agree" if len(seen) % 2 else "disagree"
            r = checker.post("/api/v1/votes/%d/review" % x["vote_id"], {"verdict": verdict, "comment": "ok"})
            self.assertEqual(r.status, 201, r)
            rid = r.json["review_id"]
            # the same again: the same review; a different one: conflict
            again = checker.post("/api/v1/votes/%d/review" % x["vote_id"], {"verdict": verdict, "comment": "ok"})
            self.assertEqual((again.status, again.json), (200, {"review_id": rid}))
            self.assertError(checker.post("/api/v1/votes/%d/review" % x["vote_id"],
                                          {"verdict": "agree" if verdict == "disagree" else "disagree"}),
                             409, "conflict")
        # every ordinary vote of the writer was offered once, never the control pair
        self.assertEqual(len(self.writer_votes), 5)
        self.assertEqual(len(self.writer_gold), 1)
        self.assertEqual(seen, set(self.writer_votes))
        # outcomes show in the writer's statistics
        s = self.raters("rev")["writer"]
        agree = (len(seen) + 1) // 2
        self.assertEqual(s["reviews"], {"agree": agree, "disagree": len(seen) - agree})
        # an admin reviews too, and gets the least reviewed first
        r = self.admin.get("/api/v1/projects/rev/review/next")
        self.assertEqual(r.status, 200, r)
        self.assertIn(r.json["vote_id"], self.checker_votes)
        self.assertEqual(r.json["reviews"], 0)

    def test_rules(self):
        checker, other, writer = self.c["checker"], self.c["other"], self.c["writer"]
        # not a reviewer of this project
        self.assertError(other.get("/api/v1/projects/rev/review/next"), 403, "forbidden")
        self.assertError(other.post("/api/v1/votes/%d/review" % self.writer_votes[0], {"verdict": "agree"}),
                         403, "forbidden")
        # one's own vote
        self.assertError(checker.post("/api/v1/votes/%d/review" % self.checker_votes[0], {"verdict": "agree"}),
                         403, "forbidden")
        # bad input
        self.assertError(checker.post("/api/v1/votes/%d/review" % self.writer_votes[0], {"verdict": "maybe"}),
                         422, "validation_failed")
        self.assertError(checker.post("/api/v1/votes/%d/review" % self.writer_votes[0], {}),
                         422, "validation_failed")
        self.assertError(checker.post("/api/v1/votes/%d/review" % self.writer_votes[0],
                                      {"verdict": "agree", "comment": "x" * 5001}), 422, "validation_failed")
        self.assertError(checker.post("/api/v1/votes/999999/review", {"verdict": "agree"}), 404, "not_found")
        self.assertError(checker.post("/api/v1/votes/abc/review", {"verdict": "agree"}), 404, "not_found")
        if not self.writer_gold_missed[0]:  # a control pair answered right (one missed may be reviewed)
            self.assertError(checker.post("/api/v1/votes/%d/review" % self.writer_gold[0], {"verdict": "agree"}),
                             404, "not_found")
        self.assertError(checker.get("/api/v1/projects/nope/review/next"), 404, "not_found")
        # nothing was stored by the refusals
        self.assertEqual(psql(self.db, "SELECT count(*) FROM reviews r JOIN users u ON u.id = r.reviewer_id "
                                       "WHERE u.name IN ('other', 'writer')"), [["0"]])
        self.assertEqual(writer.get("/api/v1/projects/rev/raters").status, 403)


class ExclusionTest(QualityCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        admin = cls.admin
        admin.post("/api/v1/projects", {"slug": "exc", "title": "Exclusions", "overlap": 2})
        items = [pair_item("e%02d" % i, "alpha", 1, "beta", 2) for i in range(20)]
        admin.post("/api/v1/projects/exc/items", raw="\n".join(json.dumps(x) for x in items).encode(),
                   content_type="application/x-ndjson")
        cls.c = {}
        for name in ("fair", "spammer"):
            cls.c[name] = Client(cls.server.url, admin.post("/api/v1/users", {"name": name, "role": "rater"})
                                 .json["token"])
        # the fair rater prefers beta, the spammer alpha; 10 votes each for now
        cls.fair = rate(cls.c["fair"], "exc", lambda a: {"choice": "a" if quality(a["left"]) == 2 else "b"},
                        limit=10)
        cls.spam = rate(cls.c["spammer"], "exc", lambda a: {"choice": "a" if quality(a["left"]) == 1 else "b"},
                        limit=10)

    def wins(self, client=None):
        lb = self.leaderboard("exc", client=client)
        return lb["votes"], {m["model"]: m["wins"] for m in lb["models"]}

    def test_exclude_rater_and_undo(self):
        second = Server(self.db_url, name="exc-second").wait_ready()
        try:
            other = Client(second.url, self.admin_token)
            self.assertEqual(self.wins(), (20, {"alpha": 10, "beta": 10}))
            self.assertEqual(self.wins(other), (20, {"alpha": 10, "beta": 10}))  # its index is loaded
            r = self.admin.post("/api/v1/projects/exc/exclusions", {"rater": "spammer", "reason": "always alpha"})
            self.assertEqual(r.status, 201, r)
            ex = r.json
            self.assertEqual((ex["rater"], ex["reason"], ex["by"], ex["vote_id"], ex["undone_at"]),
                             ("spammer", "always alpha", "admin", None, None))
            self.assertError(self.admin.post("/api/v1/projects/exc/exclusions",
                                             {"rater": "spammer", "reason": "again"}), 409, "conflict")
            # out of rankings (in both processes), pair totals and exports; still in statistics
            self.assertEqual(self.wins(), (10, {"alpha": 0, "beta": 10}))
            self.assertEqual(self.wins(other), (10, {"alpha": 0, "beta": 10}))
            pid = self.project_id("exc")
            self.assertEqual(psql(self.db, "SELECT sum(lo_wins + hi_wins + ties + both_bad) FROM pair_totals "
                                           "WHERE project_id = %s" % pid), [["10"]])
            self.assertEqual(len(self.export("exc")), 10)
            s = self.raters("exc")
            self.assertTrue(s["spammer"]["excluded"])
            self.assertFalse(s["fair"]["excluded"])
            self.assertEqual(s["spammer"]["votes"], 10)
            # votes cast while excluded are excluded from the start
            rate(self.c["spammer"], "exc", lambda a: {"choice": "a" if quality(a["left"]) == 1 else "b"}, limit=5)
            self.assertEqual(self.wins(), (10, {"alpha": 0, "beta": 10}))
            # undo: everything counts again, in both processes
            r = self.admin.delete("/api/v1/projects/exc/exclusions/%d" % ex["id"])
            self.assertEqual(r.status, 204, r)
            self.assertEqual(self.wins(), (25, {"alpha": 15, "beta": 10}))
            self.assertEqual(self.wins(other), (25, {"alpha": 15, "beta": 10}))
            self.assertEqual(len(self.export("exc")), 25)
            self.assertError(self.admin.delete("/api/v1/projects/exc/exclusions/%d" % ex["id"]), 404, "not_found")
            listed = self.admin.get("/api/v1/projects/exc/exclusions").json["items"]
            mine = [x for x in listed if x["id"] == ex["id"]][0]
            self.assertEqual(mine["undone_by"], "admin")
            self.assertIsNotNone(mine["undone_at"])
        finally:
            self.assertEqual(second.stop(), 0)

    def test_exclude_one_vote(self):
        votes, wins = self.wins()
        vid = self.fair[0][2]["vote_id"]
        r = self.admin.post("/api/v1/projects/exc/exclusions", {"vote_id": vid, "reason": "misclick, said so"})
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json["vote_id"], vid)
        self.assertIsNone(r.json["rater"])
        v2, w2 = self.wins()
        self.assertEqual(v2, votes - 1)
        self.assertEqual(w2["beta"], wins["beta"] - 1)
        self.assertNotIn(vid, [v["vote_id"] for v in self.export("exc")])
        self.assertEqual(self.admin.delete("/api/v1/projects/exc/exclusions/%d" % r.json["id"]).status, 204)
        self.assertEqual(self.wins(), (votes, wins))

    def test_bad_requests(self):
        post = lambda body: self.admin.post("/api/v1/projects/exc/exclusions", body)  # noqa: E731
        self.assertError(post({"reason": "x"}), 422, "validation_failed")
        self.assertError(post({"rater": "fair", "vote_id": 1, "reason": "x"}), 422, "validation_failed")
        self.assertError(post({"rater": "fair"}), 422, "validation_failed")
        self.assertError(post({"rater": "fair", "reason": ""}), 422, "validation_failed")
        self.assertError(post({"rater": "fair", "reason": "x" * 2001}), 422, "validation_failed")
        self.assertError(post({"rater": "nobody", "reason": "x"}), 422, "validation_failed")
        self.assertError(post({"vote_id": 987654, "reason": "x"}), 404, "not_found")
        self.assertError(post({"vote_id": "1", "reason": "x"}), 422, "validation_failed")
        self.assertError(post({"rater": "fair", "reason": "x", "extra": 1}), 422, "validation_failed")
        self.assertError(self.admin.post("/api/v1/projects/nope/exclusions", {"rater": "fair", "reason": "x"}),
                         404, "not_found")
        self.assertError(self.admin.delete("/api/v1/projects/exc/exclusions/x1"), 404, "not_found")
        self.assertError(self.admin.delete("/api/v1/projects/exc/exclusions/424242"), 404, "not_found")
        self.assertError(self.c["fair"].post("/api/v1/projects/exc/exclusions", {"rater": "spammer", "reason": "x"}),
                         403, "forbidden")
        # a vote of another project
        self.admin.post("/api/v1/projects", {"slug": "exc-other", "title": "Other"})
        self.upload("exc-other", [pair_item("o1", "x", 1, "y", 2)])
        v = rate(self.c["fair"], "exc-other", lambda a: {"choice": "a"})[0][2]["vote_id"]
        self.assertError(post({"vote_id": v, "reason": "x"}), 404, "not_found")
        self.assertEqual(psql(self.db, "SELECT count(*) FROM exclusions WHERE reason = 'x'"), [["0"]])


class FlagsTest(QualityCase):
    def test_flags(self):
        self.project("flg", overlap=3, flags=["unsafe", "wrong", "biased"])
        self.upload("flg", [pair_item("f%d" % i, "alpha", 1, "beta", 2, category="c%d" % (i % 2)) for i in range(4)])
        raters = [self.user("flagger-%d" % i) for i in range(3)]

        def flag_beta(k):
            def d(a):
                beta_left = quality(a["left"]) == 2
                flags = ["unsafe"] + (["wrong"] if k == 0 else [])
                return {"choice": "b" if beta_left else "a", "rationale": "beta is unsafe (%d)" % k,
                        "flags": {"a": flags if beta_left else [], "b": [] if beta_left else flags}}
            return d

        for k, c in enumerate(raters):
            rate(c, "flg", flag_beta(k))
        r = self.admin.get("/api/v1/projects/flg/flags")
        self.assertEqual(r.status, 200, r)
        items = r.json["items"]
        self.assertEqual(len(items), 4)  # beta's answer to each prompt
        for x in items:
            self.assertEqual(x["model"], "beta")
            self.assertEqual(x["votes"], 3)
            self.assertEqual(x["flags"], {"unsafe": 3, "wrong": 1})
            self.assertEqual(sorted(x["rationales"]), ["beta is unsafe (0)", "beta is unsafe (1)",
                                                       "beta is unsafe (2)"])
            self.assertIn("[q=2]", x["response"])
            self.assertTrue(x["prompt_id"].startswith("f"))
        self.assertEqual(sorted(x["prompt_id"] for x in items), ["f0", "f1", "f2", "f3"])
        # pages
        page = self.admin.get("/api/v1/projects/flg/flags?limit=3").json
        self.assertEqual(len(page["items"]), 3)
        rest = self.admin.get("/api/v1/projects/flg/flags?limit=3&cursor=%s" % page["next_cursor"]).json
        self.assertEqual(len(rest["items"]), 1)
        self.assertIsNone(rest["next_cursor"])
        self.assertEqual({x["prompt_id"] for x in page["items"] + rest["items"]}, {"f0", "f1", "f2", "f3"})
        # exports carry the flags on the side they were raised
        for v in self.export("flg"):
            beta_side = "flags_a" if v["model_a"] == "beta" else "flags_b"
            alpha_side = "flags_b" if beta_side == "flags_a" else "flags_a"
            self.assertIn("unsafe", v[beta_side])
            self.assertEqual(v[alpha_side], [])
        csv_text = self.admin.get("/api/v1/projects/flg/votes?format=csv").body.decode()
        self.assertIn("unsafe;wrong", csv_text)


class WeightedRankingTest(QualityCase):
    """Raters of known accuracy, some adversarial: the weighted ranking recovers the true order
    better than the plain one."""

    def test_weighted_recovers_true_order(self):
        rng = random.Random(42)
        truth = {"m%d" % i: 1000 + 70 * i for i in range(8)}  # m7 best
        true_order = sorted(truth, key=truth.get, reverse=True)
        self.project("sim", overlap=6, gold_rate=0.1)
        names = list(truth)
        items = []
        k = 0
        for i in range(len(names)):
            for j in range(i + 1, len(names)):
                for _ in range(12):
                    a, b = (names[i], names[j]) if rng.random() < 0.5 else (names[j], names[i])
                    items.append(pair_item("s%04d" % k, a, truth[a], b, truth[b]))
                    k += 1
        for g in range(24):
            items.append(pair_item("g%02d" % g, "m0", 0, "m7", 3000, gold="model_b"))
        r = self.upload("sim", items)
        self.assertEqual(r.json["accepted"], len(items), r)
        kinds = ["honest", "honest", "adversary", "adversary", "coin", "lefty"]
        clients = [self.user("sim-%d-%s" % (i, kind)) for i, kind in enumerate(kinds)]

        def decide(kind, seed):
            g = random.Random(seed)

            def d(a):
                ql, qr = quality(a["left"]), quality(a["right"])
                if kind == "honest":  # Bradley-Terry with the true ratings
                    p_left = 1 / (1 + 10 ** ((qr - ql) / 400))
                    choice = "a" if g.random() < p_left else "b"
                elif kind == "adversary":
                    choice = "a" if ql < qr else "b"
                elif kind == "coin":
                    choice = g.choice("ab")
                else:
                    choice = "a"
                return {"choice": choice, "elapsed_ms": 10000}
            return d

        parallel(len(clients), lambda i: rate(clients[i], "sim", decide(kinds[i], i)))
        plain = self.leaderboard("sim")
        weighted = self.leaderboard("sim", "&weights=reliability")
        self.assertEqual(plain["method"]["weights"], "none")
        self.assertEqual(weighted["method"]["weights"], "reliability")
        order = lambda lb: [m["model"] for m in sorted(lb["models"], key=lambda m: -m["rating"])]  # noqa: E731
        tau_plain, tau_weighted = kendall(order(plain), true_order), kendall(order(weighted), true_order)
        rho_plain, rho_weighted = spearman(order(plain), true_order), spearman(order(weighted), true_order)
        s = self.raters("sim")
        sys.stderr.write("\n  simulation: Kendall tau plain %.3f weighted %.3f; Spearman rho plain %.3f "
                         "weighted %.3f; weights %s\n" % (
                             tau_plain, tau_weighted, rho_plain, rho_weighted,
                             ", ".join("%s=%.3f" % (n, x["weight"]) for n, x in sorted(s.items()))))
        # Two adversaries outvote two honest raters: in the plain votes the worse model of every
        # pair wins more often than not, so the plain ranking comes out upside down. The
        # weighted one recovers the truth.
        self.assertLess(tau_plain, 0)
        self.assertGreater(tau_weighted, 0.7)
        self.assertGreater(rho_weighted, 0.8)
        # weights: honest raters keep theirs; the adversary, the coin and the left-chooser lose theirs
        for n, x in s.items():
            if "honest" in n:
                self.assertGreater(x["weight"], 0.3, x)
            else:
                self.assertLess(x["weight"], 0.25, x)
        # the weighted fit reports the same plain counts
        self.assertEqual(weighted["votes"], plain["votes"])
        self.assertEqual(weighted["position_bias"], plain["position_bias"])
        self.assertEqual(sorted((m["model"], m["votes"], m["wins"]) for m in weighted["models"]),
                         sorted((m["model"], m["votes"], m["wins"]) for m in plain["models"]))
        # invariance: with raters of no evidence, weights are 1 and nothing changes
        self.project("sim-new", overlap=1)
        self.upload("sim-new", [pair_item("n%d" % i, "m0", 0, "m1", 1) for i in range(6)])
        newcomer = self.user("sim-newcomer")
        rate(newcomer, "sim-new", lambda a: {"choice": "a"})
        a, b = self.leaderboard("sim-new"), self.leaderboard("sim-new", "&weights=reliability")
        self.assertEqual([(m["model"], m["rating"]) for m in a["models"]],
                         [(m["model"], m["rating"]) for m in b["models"]])
        self.assertError(self.admin.get("/api/v1/projects/sim/leaderboard?weights=gold"), 400, "bad_request")
