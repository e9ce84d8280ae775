"""Rankings under scrutiny: fragility (?robustness=true) and style control (?style=control),
over HTTP against the real server and database.

Raters are simulated: each answer carries its model's name in a marker ("[m=alpha]") that the
simulated rater reads, and decides from fixed true strengths with a seeded generator.
"""

import json
import math
import random
import re

from prefdtest import Client, PrefdCase

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
