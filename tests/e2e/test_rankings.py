"""Rankings: vote import, the Bradley-Terry leaderboard and its options, the win-rate matrix."""

import csv
import json
import math
import os

from prefdtest import DATA, TOP, Client, PrefdCase, Server, psql

FIXTURE = os.path.join(TOP, "tests", "fixtures", "bt", "vicuna80-bradleyterry2.csv")


def import_lines(case, slug, lines, partial=None):
    data = "\n".join(json.dumps(x) if not isinstance(x, str) else x for x in lines).encode()
    path = "/api/v1/projects/%s/votes/import" % slug
    if partial is not None:
        path += "?partial=" + ("true" if partial else "false")
    return case.admin.post(path, raw=data, content_type="application/x-ndjson")


def import_vicuna(case, slug):
    with open(os.path.join(DATA, "votes.jsonl"), "rb") as f:
        r = case.admin.post("/api/v1/projects/%s/votes/import" % slug, raw=f.read(),
                            content_type="application/x-ndjson")
    case.assertEqual(r.status, 200, r)
    return r.json


class RankingsTest(PrefdCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        admin = Client(cls.server.url, cls.admin_token)
        admin.post("/api/v1/projects", {"slug": "vicuna", "title": "Vicuna80"})
        with open(os.path.join(DATA, "items.jsonl"), "rb") as f:
            admin.post("/api/v1/projects/vicuna/items", raw=f.read(), content_type="application/x-ndjson")

    def leaderboard(self, slug="vicuna", query="", client=None):
        r = (client or self.admin).get("/api/v1/projects/%s/leaderboard%s" % (slug, query))
        self.assertEqual(r.status, 200, r)
        return r.json

    def test_a_vicuna_matches_bradleyterry2(self):
        r = import_vicuna(self, "vicuna")
        self.assertEqual(r, {"accepted": 7040, "unchanged": 0, "rejected": 0, "errors": []})
        self.assertEqual(self.admin.get("/api/v1/projects/vicuna/progress").json["imported_votes"], 7040)
        lb = self.leaderboard()
        self.assertEqual(lb["votes"], 7040)
        self.assertEqual(lb["components"], 1)
        self.assertEqual(lb["method"]["ties"], "half")
        self.assertEqual(lb["method"]["ci"], "sandwich")
        self.assertTrue(lb["converged"])
        with open(FIXTURE) as f:
            want = {row["model"]: float(row["arena_rating"]) for row in csv.DictReader(f)}
        got = {m["model"]: m for m in lb["models"]}
        self.assertEqual(set(got), set(want))
        for name, rating in want.items():
            self.assertAlmostEqual(got[name]["rating"], rating, delta=0.01, msg=name)
            self.assertLess(got[name]["ci_low"], got[name]["rating"])
            self.assertGreater(got[name]["ci_high"], got[name]["rating"])
        # ordered by rank then rating; rank follows the Chatbot Arena rule
        models = lb["models"]
        self.assertEqual([m["rank"] for m in models], sorted(m["rank"] for m in models))
        for m in models:
            above = sum(1 for o in models if o["ci_low"] > m["ci_high"])
            self.assertEqual(m["rank"], 1 + above, m)
        self.assertEqual(models[0]["model"], "gpt-4")
        # counts add up: every vote appears twice over the models, position bias once
        self.assertEqual(sum(m["votes"] for m in models), 2 * 7040)
        pb = lb["position_bias"]
        self.assertEqual(pb["left"] + pb["right"] + pb["tie"], 7040)
        self.assertEqual(pb["tie"], 804)
        gpt4 = got["gpt-4"]
        self.assertAlmostEqual(gpt4["win_rate"], (gpt4["wins"] + gpt4["ties"] / 2) / gpt4["votes"], places=5)
        # imported votes are linked to the uploaded prompts and take their category
        rows = psql(self.db, "SELECT count(*) FILTER (WHERE item_id IS NOT NULL), count(DISTINCT category) "
                             "FROM imported_votes")
        self.assertEqual(rows, [["7040", "9"]])

    def test_b_options(self):
        base = self.leaderboard()
        ex = self.leaderboard(query="?ties=exclude")
        self.assertEqual(ex["method"]["ties"], "exclude")
        self.assertNotEqual(ex["models"][0]["rating"], base["models"][0]["rating"])
        dav = self.leaderboard(query="?ties=davidson")
        self.assertEqual(dav["method"]["model"], "davidson")
        self.assertGreater(dav["method"]["tie_strength"], 0)
        none = self.leaderboard(query="?ci=none")
        for m in none["models"]:
            self.assertEqual(m["ci_low"], m["rating"])
        b1 = self.leaderboard(query="?ci=bootstrap&rounds=200&seed=7")
        b2 = self.leaderboard(query="?ci=bootstrap&rounds=200&seed=7")
        b3 = self.leaderboard(query="?ci=bootstrap&rounds=200&seed=8")
        self.assertEqual(b1["method"]["rounds"], 200)
        self.assertEqual(b1["method"]["seed"], 7)
        self.assertEqual([m["ci_low"] for m in b1["models"]], [m["ci_low"] for m in b2["models"]])
        self.assertNotEqual([m["ci_low"] for m in b1["models"]], [m["ci_low"] for m in b3["models"]])
        # bootstrap and sandwich intervals agree roughly
        sand = {m["model"]: m["ci_high"] - m["ci_low"] for m in base["models"]}
        for m in b1["models"]:
            width = m["ci_high"] - m["ci_low"]
            self.assertLess(abs(width - sand[m["model"]]) / sand[m["model"]], 0.5, m)
        anchored = self.leaderboard(query="?anchor=bard&anchor_rating=800")
        ratings = {m["model"]: m["rating"] for m in anchored["models"]}
        self.assertAlmostEqual(ratings["bard"], 800, places=3)
        self.assertAlmostEqual(ratings["gpt-4"] - ratings["bard"], 1133.526724 - 909.392119, delta=0.02)
        self.assertEqual(anchored["method"]["anchor"], "bard")
        few = self.leaderboard(query="?min_votes=1000")
        self.assertTrue(all(m["votes"] >= 1000 for m in few["models"]))
        self.assertNotIn("claude-v1", [m["model"] for m in few["models"]])

    def test_c_bad_options(self):
        for q in ("?ties=quarter", "?ci=jackknife", "?rounds=5", "?rounds=1e9", "?seed=-1", "?anchor=nobody",
                  "?anchor_rating=abc", "?min_votes=-3", "?since=yesterday", "?until=2024-13-01", "?tie=half",
                  "?since=2024-02-30", "?until=2023-02-29T00:00:00Z", "?since=2024-04-31"):
            r = self.admin.get("/api/v1/projects/vicuna/leaderboard" + q)
            body = self.assertError(r, 400, "bad_request")
            if "since=2" in q or "until=2" in q:
                self.assertIn(q[1:6], body["error"]["message"])
        self.assertEqual(self.admin.get("/api/v1/projects/vicuna/leaderboard?since=2024-02-29").status, 200)
        self.assertError(self.admin.get("/api/v1/projects/nope/leaderboard"), 404, "not_found")
        rater = self.user("rank-rater")
        self.assertError(rater.get("/api/v1/projects/vicuna/leaderboard"), 403, "forbidden")
        analyst = self.user("rank-analyst", "analyst")
        self.assertEqual(analyst.get("/api/v1/projects/vicuna/leaderboard").status, 200)

    def test_d_filters(self):
        lb = self.leaderboard(query="?category=coding")
        self.assertEqual(lb["filters"], {"category": "coding"})
        n_coding = int(psql(self.db, "SELECT count(*) FROM imported_votes WHERE category = 'coding'")[0][0])
        self.assertEqual(lb["votes"], n_coding)
        self.assertEqual(self.leaderboard(query="?language=en")["votes"], 7040)
        self.assertEqual(self.leaderboard(query="?language=zh")["votes"], 0)
        self.assertEqual(self.leaderboard(query="?language=zh")["models"], [])
        # time windows, exact to the second across day boundaries
        slug = "timed"
        self.project(slug)
        lines = [{"model_a": "x", "model_b": "y", "winner": "model_a", "created_at": "2024-05-01T10:00:00Z"},
                 {"model_a": "x", "model_b": "y", "winner": "model_b", "created_at": "2024-05-01T23:59:59Z"},
                 {"model_a": "y", "model_b": "x", "winner": "tie", "created_at": "2024-05-02T00:00:00Z"},
                 {"model_a": "x", "model_b": "y", "winner": "model_a", "created_at": "2024-05-03T12:00:00+02:00"},
                 {"model_a": "x", "model_b": "y", "winner": "model_a", "tstamp": 1714867200.5}]  # 2024-05-05
        self.assertEqual(import_lines(self, slug, lines).status, 200)
        cases = {"": 5, "?since=2024-05-01T12:00:00Z": 4, "?until=2024-05-02": 2, "?since=2024-05-02": 3,
                 "?since=2024-05-01T23:00:00Z&until=2024-05-03T10:00:01Z": 3,
                 "?since=2024-05-01T10:00:00Z&until=2024-05-01T10:00:01Z": 1,
                 "?since=2024-05-04&until=2024-05-06": 1, "?until=2024-05-01T10:00:00Z": 0}
        for q, n in cases.items():
            self.assertEqual(self.leaderboard(slug, q)["votes"], n, q)

    def test_e_import_validation(self):
        self.project("imp")
        good = {"model_a": "m1", "model_b": "m2", "winner": "model_a"}
        lines = [good, dict(good, winner="model_c"), dict(good, model_b="m1"), {"model_a": "m1", "winner": "tie"},
                 dict(good, created_at="May 1st"), dict(good, colour="red"), "not json",
                 dict(good, tstamp=1, created_at="2024-01-01T00:00:00Z"), dict(good, winner="tie (bothbad)")]
        r = import_lines(self, "imp", lines)
        self.assertEqual(r.status, 422, r)
        self.assertEqual(r.json["rejected"], 7)
        self.assertEqual([e["line"] for e in r.json["errors"]], [2, 3, 4, 5, 6, 7, 8])
        self.assertIn("model_c", r.json["errors"][0]["message"])
        self.assertEqual(psql(self.db, "SELECT count(*) FROM imported_votes v JOIN projects p ON p.id = v.project_id "
                                       "WHERE p.slug = 'imp'"), [["0"]])
        self.assertEqual(psql(self.db, "SELECT count(*) FROM imports i JOIN projects p ON p.id = i.project_id "
                                       "WHERE p.slug = 'imp'"), [["0"]])  # rolled back
        r = import_lines(self, "imp", lines, partial=True)
        self.assertEqual((r.status, r.json["accepted"]), (200, 2))
        lb = self.leaderboard("imp")
        self.assertEqual(lb["votes"], 2)
        self.assertEqual({m["model"] for m in lb["models"]}, {"m1", "m2"})  # made on first sight
        self.assertEqual(lb["position_bias"], {"left": 1, "right": 0, "tie": 1})
        rater = self.user("imp-rater")
        r = rater.post("/api/v1/projects/imp/votes/import", raw=b"{}", content_type="application/x-ndjson")
        self.assertError(r, 403, "forbidden")

    def test_f_components_and_extremes(self):
        self.project("split")
        lines = ([{"model_a": "a", "model_b": "b", "winner": "model_a"}] * 3
                 + [{"model_a": "b", "model_b": "a", "winner": "model_a"}] * 2
                 + [{"model_a": "c", "model_b": "d", "winner": "model_a"}] * 4
                 + [{"model_a": "d", "model_b": "c", "winner": "tie"}]
                 + [{"model_a": "c", "model_b": "e", "winner": "model_a"}] * 3)  # e never wins
        self.assertEqual(import_lines(self, "split", lines).status, 200)
        lb = self.leaderboard("split")
        self.assertEqual(lb["components"], 2)
        by = {m["model"]: m for m in lb["models"]}
        self.assertEqual(by["a"]["component"], by["b"]["component"])
        self.assertNotEqual(by["a"]["component"], by["c"]["component"])
        self.assertIn("no_wins", by["e"]["flags"])
        for m in lb["models"]:
            self.assertTrue(math.isfinite(m["rating"]) and math.isfinite(m["ci_low"]))
        mx = self.admin.get("/api/v1/projects/split/matrix").json
        i, j = mx["models"].index("a"), mx["models"].index("c")
        self.assertIsNone(mx["predicted"][i][j])  # not comparable across components
        self.assertEqual(mx["counts"][i][j], 0)

    def test_g_matrix(self):
        mx = self.admin.get("/api/v1/projects/vicuna/matrix").json
        lb = self.leaderboard()
        self.assertEqual(mx["models"], [m["model"] for m in lb["models"]])
        n = len(mx["models"])
        for i in range(n):
            self.assertIsNone(mx["observed"][i][i])
            self.assertIsNone(mx["predicted"][i][i])
            for j in range(n):
                self.assertEqual(mx["counts"][i][j], mx["counts"][j][i])
                if i != j and mx["counts"][i][j]:
                    self.assertAlmostEqual(mx["observed"][i][j] + mx["observed"][j][i], 1, places=5)
                if i != j:
                    self.assertAlmostEqual(mx["predicted"][i][j] + mx["predicted"][j][i], 1, places=5)
        a, b = mx["models"].index("gpt-4"), mx["models"].index("bard")
        pair = psql(self.db, "SELECT count(*) FILTER (WHERE (ma.name = 'gpt-4') = (v.choice = 'a') AND v.choice IN "
                             "('a', 'b')), count(*) FILTER (WHERE v.choice IN ('tie', 'both_bad')), count(*) "
                             "FROM imported_votes v JOIN models ma ON ma.id = v.model_left "
                             "JOIN models mb ON mb.id = v.model_right "
                             "WHERE ma.project_id = (SELECT id FROM projects WHERE slug = 'vicuna') "
                             "AND ((ma.name, mb.name) IN (('gpt-4', 'bard'), ('bard', 'gpt-4')))")[0]
        wins, ties, total = (int(x) for x in pair)
        self.assertEqual(mx["counts"][a][b], total)
        self.assertAlmostEqual(mx["observed"][a][b], (wins + ties / 2) / total, places=5)
        self.assertGreater(mx["predicted"][a][b], 0.5)

    def test_h_live_across_processes(self):
        self.project("live", overlap=1)
        self.upload("live", [{"id": "q%d" % i, "prompt": "q", "responses": [
            {"model": "left", "text": "a"}, {"model": "right", "text": "b"}]} for i in range(4)])
        other = Server(self.db_url, name="live-second").wait_ready()
        try:
            rater = Client(other.url, self.user("live-rater").token)
            self.assertEqual(self.leaderboard("live")["votes"], 0)
            for i in range(3):
                a = rater.get("/api/v1/projects/live/next").json
                self.assertEqual(rater.post("/api/v1/assignments/%s/vote" % a["id"], {"choice": "a"}).status, 201)
                # the vote went through the other process; this one sees it at the next request,
                # from the pair totals (unfiltered) and from its vote index (filtered)
                lb = self.leaderboard("live")
                self.assertEqual(lb["votes"], i + 1)
                self.assertEqual(lb["position_bias"]["left"], i + 1)
                self.assertEqual(self.leaderboard("live", "?since=2000-01-01")["votes"], i + 1)
                self.assertEqual(self.leaderboard("live", "?language=")["votes"], i + 1)
            # an import through the other process, too
            r = Client(other.url, self.admin_token).post(
                "/api/v1/projects/live/votes/import", raw=b'{"model_a":"left","model_b":"right","winner":"tie"}',
                content_type="application/x-ndjson")
            self.assertEqual(r.status, 200, r)
            self.assertEqual(self.leaderboard("live", "?since=2000-01-01")["votes"], 4)
            self.assertEqual(self.leaderboard("live", "?since=2000-01-01")["position_bias"]["tie"], 1)
        finally:
            self.assertEqual(other.stop(), 0)
