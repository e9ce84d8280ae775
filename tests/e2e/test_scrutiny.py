"""Rankings under scrutiny: fragility (?robustness=true) and style control (?style=control),
over HTTP against the real server and database.

Raters are simulated: each answer carries its model's name in a marker ("[m=alpha]") that the
simulated rater reads, and decides from fixed true strengths with a seeded generator.
"""

import json
import math
import random
import re
import time

from prefdtest import Client, PrefdCase, Server, psql

MARK = re.compile(r"\[m=([a-z0-9-]+)\]")


def model_of(side):
    return MARK.search(side["text"]).group(1)


def rate_all(client, slug, decide):
    """Votes decide(model_left, model_right) -> choice on every comparison the rater is given."""
    n = 0
    while True:
        r = client.get("/api/v1/projects/%s/next" % slug)
        if r.status == 204:
            return n
        assert r.status == 200, r
        a = r.json
        v = client.post("/api/v1/assignments/%s/vote" % a["id"],
                        {"choice": decide(model_of(a["left"]), model_of(a["right"]))})
        assert v.status == 201, v
        n += 1


def bt_decider(strength, seed, tie=0.1):
    rng = random.Random(seed)

    def decide(left, right):
        u = rng.random()
        if u < tie:
            return "tie"
        p = 1 / (1 + math.exp(strength[right] - strength[left]))
        return "a" if rng.random() < p else "b"
    return decide


class FragilityTest(PrefdCase):
    STRENGTH = {"alpha": 0.35, "beta": 0.25, "gamma": -0.6}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.admin.post("/api/v1/projects", {"slug": "frag", "title": "Fragility"})
        items = [{"id": "f%03d" % i, "prompt": "Question %d?" % i,
                  "responses": [{"model": m, "text": "Answer %d [m=%s]." % (i, m)} for m in cls.STRENGTH]}
                 for i in range(120)]
        r = cls.admin.post("/api/v1/projects/frag/items", raw="\n".join(json.dumps(x) for x in items).encode(),
                           content_type="application/x-ndjson")
        assert r.status == 200, r
        for k in range(3):
            rater = Client(cls.server.url, cls.admin.post("/api/v1/users", {"name": "r%d" % k, "role": "rater"})
                           .json["token"])
            rate_all(rater, "frag", bt_decider(cls.STRENGTH, seed=11 + k))

    def board(self, query=""):
        r = self.admin.get("/api/v1/projects/frag/leaderboard" + query)
        self.assertEqual(r.status, 200, r)
        return r.json

    def test_a_flips_reverse_when_excluded(self):
        lb = self.board("?robustness=true")
        self.assertTrue(lb["method"]["robustness"])
        models = lb["models"]
        self.assertEqual(len(models), 3)
        by_name = {m["model"]: m for m in models}
        # every model but the lowest rated has a flip against the one rated just below it
        ranked = sorted(models, key=lambda m: -m["rating"])
        self.assertIsNone(ranked[-1]["flip"])
        for upper, lower in zip(ranked, ranked[1:]):
            self.assertEqual(upper["flip"]["below"], lower["model"])
        flip = ranked[0]["flip"]
        self.assertIsNotNone(flip["votes"], lb)
        self.assertGreaterEqual(flip["votes"], 1)
        self.assertEqual(len(flip["vote_ids"]), flip["votes"])
        self.assertAlmostEqual(flip["share"], flip["votes"] / lb["votes"], places=9)
        # the reported votes are votes between the two models
        export = self.admin.get("/api/v1/projects/frag/votes?format=jsonl")
        rows = {v["vote_id"]: v for v in (json.loads(x) for x in export.body.decode().splitlines())}
        pair = {ranked[0]["model"], ranked[1]["model"]}
        for vid in flip["vote_ids"]:
            self.assertEqual({rows[vid]["model_a"], rows[vid]["model_b"]}, pair)
        # excluding them through the exclusions API reverses the order
        for vid in flip["vote_ids"]:
            r = self.admin.post("/api/v1/projects/frag/exclusions", {"vote_id": vid, "reason": "fragility"})
            self.assertEqual(r.status, 201, r)
        after = {m["model"]: m for m in self.board()["models"]}
        self.assertGreater(after[ranked[1]["model"]]["rating"], after[ranked[0]["model"]]["rating"])
        # and undoing them restores it
        for ex in self.admin.get("/api/v1/projects/frag/exclusions").json["items"]:
            self.assertEqual(self.admin.delete("/api/v1/projects/frag/exclusions/%d" % ex["id"]).status, 204)
        again = {m["model"]: m for m in self.board()["models"]}
        self.assertAlmostEqual(again[ranked[0]["model"]]["rating"], by_name[ranked[0]["model"]]["rating"],
                               places=6)

    def test_b_filters_and_bad_options(self):
        lb = self.board("?robustness=true&since=2000-01-01&ties=exclude")
        self.assertTrue(all("flip" in m for m in lb["models"]))
        plain = self.board()
        self.assertFalse(plain["method"]["robustness"])
        self.assertTrue(all("flip" not in m for m in plain["models"]))
        for q, what in (("?robustness=yes", "robustness"), ("?robustness=true&weights=reliability", "weights"),
                        ("?robustness=true&style=control", "style")):
            body = self.assertError(self.admin.get("/api/v1/projects/frag/leaderboard" + q), 400, "bad_request")
            self.assertIn(what, body["error"]["message"])


def answer(i, model, long, rng):
    """An answer with a marker; long ones run on with headers, a bullet list and bold spans."""
    if not long:
        return "Answer %d [m=%s]: %s." % (i, model, " ".join("word" for _ in range(rng.randint(3, 12))))
    items = "\n".join("- **point %d** %s" % (k, " ".join("detail" for _ in range(rng.randint(4, 10))))
                      for k in range(rng.randint(3, 8)))
    return "## Answer %d [m=%s]\n\n%s\n\n### In short\n\n%s\n" % (
        i, model, items, " ".join("more" for _ in range(rng.randint(20, 80))))


class StyleTest(PrefdCase):
    """A planted length bias: equal true strength, 'verbose' writes long list-laden answers most of
    the time, and the votes favour the longer answer. Features are counted at upload; answers
    whose features are missing (an older version's rows) are filled in the background."""

    MODELS = {"verbose": 0.75, "plain": 0.2, "terse": 0.2}  # how often each writes long

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.admin.post("/api/v1/projects", {"slug": "style", "title": "Style"})
        rng = random.Random(5)
        cls.texts = {}
        items = []
        for i in range(300):
            resp = []
            for m, p_long in cls.MODELS.items():
                t = answer(i, m, rng.random() < p_long, rng)
                cls.texts[("s%03d" % i, m)] = t
                resp.append({"model": m, "text": t})
            items.append({"id": "s%03d" % i, "prompt": "Question %d?" % i, "responses": resp})
        items.append({"id": "exact", "prompt": "Shape?", "responses": [
            {"model": "verbose", "text": "# Title\n\n- **a**\n- b\n  1. c\n\nSub\n---\n\n__d__ \u00e9\u4e2d"},
            {"model": "plain", "text": ""}]})
        r = cls.admin.post("/api/v1/projects/style/items", raw="\n".join(json.dumps(x) for x in items).encode(),
                           content_type="application/x-ndjson")
        assert r.status == 200 and r.json["accepted"] == 301, r
        # votes with equal strength: the longer answer wins by its length alone
        votes = []
        names = list(cls.MODELS)
        for i in range(300):
            for _ in range(4):
                a, b = rng.sample(names, 2)
                la, lb = len(cls.texts[("s%03d" % i, a)]), len(cls.texts[("s%03d" % i, b)])
                d = (la - lb) / (la + lb + 1)
                u = rng.random()
                winner = "tie" if u < 0.08 else ("model_a" if rng.random() < 1 / (1 + math.exp(-3 * d))
                                                 else "model_b")
                votes.append({"model_a": a, "model_b": b, "winner": winner, "prompt_id": "s%03d" % i})
        r = cls.admin.post("/api/v1/projects/style/votes/import",
                           raw="\n".join(json.dumps(v) for v in votes).encode(),
                           content_type="application/x-ndjson")
        assert r.status == 200 and r.json["accepted"] == len(votes), r
        cls.nvotes = len(votes)

    def board(self, query):
        r = self.admin.get("/api/v1/projects/style/leaderboard" + query)
        self.assertEqual(r.status, 200, r)
        return r.json

    def test_a_features_at_upload(self):
        r = self.admin.get("/api/v1/projects/style/items/exact")
        self.assertEqual(r.status, 200, r)
        resp = {x["model"]: x for x in r.json["responses"]}
        text = resp["verbose"]["text"]
        # code points (é and 中 are one each), 2 headings (ATX and setext), 3 items (one nested), 2 bold
        self.assertEqual(resp["verbose"]["style"],
                         {"length": len(text), "headers": 2, "lists": 3, "bold": 2})
        self.assertEqual(len(text), len(text.encode()) - 3)
        self.assertEqual(resp["plain"]["style"], {"length": 0, "headers": 0, "lists": 0, "bold": 0})
        self.assertEqual([x["position"] for x in r.json["responses"]], [0, 1])
        r = self.admin.get("/api/v1/projects/style/items/s007")
        self.assertEqual(r.status, 200, r)
        for x in r.json["responses"]:
            self.assertEqual(x["style"]["length"], len(self.texts[("s007", x["model"])]))
        self.assertError(self.admin.get("/api/v1/projects/style/items/nope"), 404, "not_found")
        self.assertError(self.admin.get("/api/v1/projects/nope/items/s007"), 404, "not_found")
        rater = self.user("style-rater")
        self.assertEqual(rater.get("/api/v1/projects/style/items/s007").status, 403)

    def test_b_length_bias_is_controlled(self):
        lb = self.board("?style=control")
        self.assertEqual(lb["style"]["votes_without_features"], 0)
        self.assertEqual(lb["style"]["votes"], self.nvotes)
        f = {x["name"]: x for x in lb["style"]["features"]}
        self.assertGreater(f["length"]["coef"], 0)
        self.assertGreater(f["length"]["ci_low"], 0, f["length"])  # significant at 95%
        m = {x["model"]: x for x in lb["models"]}
        others = ("plain", "terse")
        gap = m["verbose"]["rating"] - sum(m[o]["rating"] for o in others) / 2
        gap_plain = m["verbose"]["rating_plain"] - sum(m[o]["rating_plain"] for o in others) / 2
        # plainly, verbose is ahead by its length; controlled for style, most of the lead goes
        self.assertGreater(gap_plain, 0)
        print("\n  style control: length coef %.3f [%.3f, %.3f]; verbose ahead by %.1f plain, %.1f controlled"
              % (f["length"]["coef"], f["length"]["ci_low"], f["length"]["ci_high"], gap_plain, gap))
        self.assertLess(gap, gap_plain / 2, (gap, gap_plain))
        plain = self.board("")
        pm = {x["model"]: x for x in plain["models"]}
        self.assertAlmostEqual(pm["verbose"]["rating"], m["verbose"]["rating_plain"], places=6)

    def test_c_missing_features_filled_in_background(self):
        self.assertEqual(self.board("?style=control")["style"]["votes_without_features"], 0)
        psql(self.db, "UPDATE responses SET style = NULL WHERE item_id IN "
                      "(SELECT id FROM items WHERE ext_id IN ('s001', 's002', 's003'))")
        self.assertEqual(psql(self.db, "SELECT count(*) FROM responses WHERE style IS NULL"), [["9"]])
        cls = type(self)
        cls.server.stop()
        cls.server = Server(cls.db_url, name=cls.__name__ + "-2").wait_ready()
        cls.admin = Client(cls.server.url, cls.admin_token)
        deadline = time.time() + 30
        while time.time() < deadline:
            left = psql(self.db, "SELECT count(*) FROM responses WHERE style IS NULL")
            lb = self.board("?style=control")
            if left == [["0"]] and lb["style"]["votes_without_features"] == 0:
                break
            time.sleep(0.2)
        self.assertEqual(left, [["0"]])
        self.assertEqual(lb["style"]["votes_without_features"], 0)
        self.assertEqual(lb["style"]["votes"], self.nvotes)
        r = self.admin.get("/api/v1/projects/style/items/s002")
        for x in r.json["responses"]:
            self.assertEqual(x["style"]["length"], len(self.texts[("s002", x["model"])]))
        self.assertIn("msg=style_filled answers=9", self.server.read_log())
