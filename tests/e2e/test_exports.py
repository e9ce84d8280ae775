"""Exports read back by independent readers (Python's json and csv) and checked against the rankings."""

import collections
import csv
import io
import json
import math
import os

from prefdtest import DATA, Client, PrefdCase, Server, psql

FIELDS = ["vote_id", "created_at", "prompt_id", "category", "language", "model_a", "model_b", "winner",
          "flags_a", "flags_b", "rationale", "elapsed_ms", "rater", "guidelines_version", "source"]
NASTY = ['comma, "quotes" and\nnew lines', "中文的理由，带标点。", "emoji 🤖 and tab\there", "\r\nCRLF ends\r\n",
         "", "plain"]


def bradley_terry(votes):
    """An independent fit: Hunter's MM iterations, a tie half a win each way; arena ratings."""
    wins = collections.defaultdict(float)
    games = collections.defaultdict(float)
    models = set()
    for a, b, w in votes:
        models.update((a, b))
        games[frozenset((a, b))] += 1
        if w == "model_a":
            wins[a] += 1
        elif w == "model_b":
            wins[b] += 1
        else:
            wins[a] += 0.5
            wins[b] += 0.5
    p = {m: 1.0 for m in models}
    for _ in range(10000):
        new = {}
        for i in models:
            denom = sum(n / (p[i] + p[j]) for pair, n in games.items() if i in pair
                        for j in pair if j != i)
            new[i] = wins[i] / denom
        mean_log = sum(math.log(v) for v in new.values()) / len(new)
        new = {m: v / math.exp(mean_log) for m, v in new.items()}
        delta = max(abs(math.log(new[m]) - math.log(p[m])) for m in models)
        p = new
        if delta < 1e-12:
            break
    return {m: 1000 + 400 * math.log10(v) for m, v in p.items()}


class ExportsTest(PrefdCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        admin = Client(cls.server.url, cls.admin_token)
        admin.post("/api/v1/projects", {"slug": "exp", "title": "Exports", "flags": ["unsafe", "wrong"]})
        with open(os.path.join(DATA, "items.jsonl"), "rb") as f:
            admin.post("/api/v1/projects/exp/items", raw=f.read(), content_type="application/x-ndjson")
        with open(os.path.join(DATA, "votes.jsonl"), "rb") as f:
            r = admin.post("/api/v1/projects/exp/votes/import", raw=f.read(), content_type="application/x-ndjson")
        assert r.status == 200, r
        # rated votes with every awkward rationale, flags and both sides
        rater = Client(cls.server.url, admin.post("/api/v1/users", {"name": "exp-rater", "role": "rater"})
                       .json["token"])
        cls.rated = []
        for k, text in enumerate(NASTY * 2):
            a = rater.get("/api/v1/projects/exp/next").json
            vote = {"choice": ["a", "b", "tie", "both_bad"][k % 4], "rationale": text, "elapsed_ms": 1000 + k,
                    "flags": {"a": ["unsafe", "wrong"] if k % 3 == 0 else [], "b": ["wrong"] if k % 2 else []}}
            r = rater.post("/api/v1/assignments/%s/vote" % a["id"], vote)
            assert r.status == 201, r
            cls.rated.append((r.json["vote_id"], vote))

    def export(self, fmt, query=""):
        r = self.admin.get("/api/v1/projects/exp/votes?format=%s%s" % (fmt, query))
        self.assertEqual(r.status, 200, r)
        return r

    def jsonl(self, query=""):
        r = self.export("jsonl", query)
        self.assertEqual(r.header("Content-Type"), "application/x-ndjson")
        return [json.loads(line) for line in r.body.decode("utf-8").splitlines()]

    def test_jsonl(self):
        rows = self.jsonl()
        self.assertEqual(len(rows), 7040 + len(self.rated))
        for row in rows:
            self.assertEqual(list(row), FIELDS)
        self.assertEqual([r["vote_id"] for r in rows], sorted(r["vote_id"] for r in rows))
        by_id = {r["vote_id"]: r for r in rows}
        raters = set()
        for vid, vote in self.rated:
            row = by_id[vid]
            self.assertEqual(row["source"], "rated")
            self.assertEqual(row["rationale"], vote["rationale"])
            self.assertEqual(row["elapsed_ms"], vote["elapsed_ms"])
            self.assertEqual(row["flags_a"], vote["flags"]["a"])
            self.assertEqual(row["flags_b"], vote["flags"]["b"])
            self.assertEqual(row["winner"], {"a": "model_a", "b": "model_b", "tie": "tie",
                                             "both_bad": "both_bad"}[vote["choice"]])
            self.assertEqual(row["guidelines_version"], 1)
            raters.add(row["rater"])
        self.assertEqual(len(raters), 1)
        self.assertNotIn("exp-rater", raters)  # pseudonymous
        imported = [r for r in rows if r["source"] == "imported"]
        self.assertTrue(all(r["rater"] is None and r["elapsed_ms"] is None for r in imported))
        # model_a is the left answer: the stored left model
        vid, vote = self.rated[0]
        left = psql(self.db, "SELECT m.name FROM votes v JOIN models m ON m.id = v.model_left WHERE v.id = %d" % vid)
        self.assertEqual(by_id[vid]["model_a"], left[0][0])

    def test_csv_round_trip(self):
        r = self.export("csv")
        self.assertTrue(r.header("Content-Type").startswith("text/csv"))
        self.assertIn("attachment", r.header("Content-Disposition"))
        rows = list(csv.DictReader(io.StringIO(r.body.decode("utf-8"), newline="")))
        self.assertEqual(list(rows[0]), FIELDS)
        want = {r["vote_id"]: r for r in self.jsonl()}
        self.assertEqual(len(rows), len(want))
        for row in rows:
            j = want[int(row["vote_id"])]
            for k in FIELDS:
                v = j[k]
                expect = (";".join(v) if isinstance(v, list) else "" if v is None else str(v))
                self.assertEqual(row[k], expect, (k, row["vote_id"]))
        rationales = {row["rationale"] for row in rows}
        for text in NASTY:
            self.assertIn(text, rationales)

    def test_counts_match_leaderboard(self):
        rows = self.jsonl()
        lb = self.admin.get("/api/v1/projects/exp/leaderboard").json
        self.assertEqual(lb["votes"], len(rows))
        wins = collections.Counter()
        ties = collections.Counter()
        for r in rows:
            if r["winner"] in ("model_a", "model_b"):
                wins[r[r["winner"]]] += 1
            elif r["winner"] == "tie":
                ties[r["model_a"]] += 1
                ties[r["model_b"]] += 1
        for m in lb["models"]:
            self.assertEqual(m["wins"], wins[m["model"]], m["model"])
            self.assertEqual(m["ties"], ties[m["model"]], m["model"])
        pb = lb["position_bias"]
        self.assertEqual(pb["left"], sum(1 for r in rows if r["winner"] == "model_a"))
        self.assertEqual(pb["right"], sum(1 for r in rows if r["winner"] == "model_b"))

    def test_arena_refit(self):
        r = self.export("arena")
        rows = [json.loads(line) for line in r.body.decode().splitlines()]
        for row in rows:
            self.assertEqual(set(row), {"model_a", "model_b", "winner", "tstamp", "judge", "question_id", "language"})
            self.assertIn(row["winner"], ("model_a", "model_b", "tie", "tie (bothbad)"))
            self.assertIsInstance(row["tstamp"], float)
        ratings = bradley_terry([(x["model_a"], x["model_b"], x["winner"]) for x in rows])
        lb = self.admin.get("/api/v1/projects/exp/leaderboard").json
        for m in lb["models"]:
            self.assertAlmostEqual(m["rating"], ratings[m["model"]], delta=0.01, msg=m["model"])
        # and the arena layout imports again, to the same ranking
        self.project("reimport")
        r = self.admin.post("/api/v1/projects/reimport/votes/import", raw=self.export("arena").body,
                            content_type="application/x-ndjson")
        self.assertEqual(r.json["accepted"], len(rows))
        again = {m["model"]: m["rating"] for m in self.admin.get("/api/v1/projects/reimport/leaderboard").json["models"]}
        for m in lb["models"]:
            self.assertAlmostEqual(again[m["model"]], m["rating"], delta=1e-6)

    def test_tstamp_round_trip(self):
        """Arena tstamps (Unix seconds, fractions included) come back as the same instants."""
        self.project("stamps")
        stamps = [0.0, 1714867200.5, 1791171583.123456, 951782400.000001, 32503679999.999998]
        lines = "\n".join(json.dumps({"model_a": "x", "model_b": "y", "winner": "model_a", "tstamp": t,
                                      "question_id": "q%d" % i}) for i, t in enumerate(stamps))
        r = self.admin.post("/api/v1/projects/stamps/votes/import", raw=lines.encode(),
                            content_type="application/x-ndjson")
        self.assertEqual(r.status, 200, r)
        rows = [json.loads(x) for x in self.admin.get("/api/v1/projects/stamps/votes?format=jsonl").body.splitlines()]
        arena = [json.loads(x) for x in self.admin.get("/api/v1/projects/stamps/votes?format=arena").body.splitlines()]
        got = {r["prompt_id"]: r["created_at"] for r in rows}  # exports show milliseconds
        self.assertEqual(got, {"q0": "1970-01-01T00:00:00.000Z", "q1": "2024-05-05T00:00:00.500Z",
                               "q2": "2026-10-05T03:39:43.123Z", "q3": "2000-02-29T00:00:00.000Z",
                               "q4": "2999-12-31T23:59:59.999Z"})
        self.assertEqual(len(arena), len(stamps))
        for row in arena:
            t = stamps[int(row["question_id"][1:])]
            self.assertAlmostEqual(row["tstamp"], t, delta=1e-3, msg=row)

    def test_dpo(self):
        r = self.export("dpo")
        rows = [json.loads(line) for line in r.body.decode("utf-8").splitlines()]
        with open(os.path.join(DATA, "items.jsonl")) as f:
            items = {x["id"]: x for x in map(json.loads, f)}
        texts = {(i, resp["model"]): resp["text"] for i, x in items.items() for resp in x["responses"]}
        expected = 0
        with open(os.path.join(DATA, "votes.jsonl")) as f:
            for v in map(json.loads, f):
                if v["winner"] in ("model_a", "model_b") and (v["prompt_id"], v["model_a"]) in texts \
                        and (v["prompt_id"], v["model_b"]) in texts:
                    expected += 1
        expected += sum(1 for _, vote in self.rated if vote["choice"] in ("a", "b"))
        self.assertEqual(len(rows), expected)
        prompts = {x["prompt"] for x in items.values()}
        for row in rows:
            self.assertEqual(set(row), {"prompt", "chosen", "rejected", "chosen_model", "rejected_model"})
            self.assertIn(row["prompt"], prompts)
            self.assertNotEqual(row["chosen_model"], row["rejected_model"])
            pid = next(i for i, x in items.items() if x["prompt"] == row["prompt"])
            self.assertEqual(row["chosen"], texts[(pid, row["chosen_model"])])
            self.assertEqual(row["rejected"], texts[(pid, row["rejected_model"])])

    def test_filters_and_errors(self):
        coding = self.jsonl("&category=coding")
        self.assertTrue(coding and all(r["category"] == "coding" for r in coding))
        lb = self.admin.get("/api/v1/projects/exp/leaderboard?category=coding").json
        self.assertEqual(lb["votes"], len(coding))
        self.assertEqual(self.jsonl("&language=zh"), [])
        self.assertEqual(len(self.jsonl("&since=2000-01-01&until=2100-01-01")), 7040 + len(self.rated))
        self.assertEqual(self.jsonl("&until=2000-01-01"), [])
        self.assertError(self.admin.get("/api/v1/projects/exp/votes?format=xml"), 400, "bad_request")
        self.assertError(self.admin.get("/api/v1/projects/exp/votes?format=csv&since=soon"), 400, "bad_request")
        self.assertError(self.admin.get("/api/v1/projects/exp/votes?since=2024-02-30"), 400, "bad_request")
        self.assertError(self.admin.get("/api/v1/projects/none/votes?format=csv"), 404, "not_found")
        # Every endpoint validates its query string the same way: the parameter is named.
        for path, param, words in (
                ("/api/v1/projects/exp/votes?formats=csv", "formats", "unknown query parameter"),
                ("/api/v1/projects/exp/leaderboard?categry=coding", "categry", "unknown query parameter"),
                ("/api/v1/projects/exp/votes?since=2024-05-02&until=2024-05-01", "since", "before until"),
                ("/api/v1/projects/exp/leaderboard?since=2024-05-02&until=2024-05-01", "since",
                 "before until"),
                ("/api/v1/projects/exp/leaderboard?rounds=1e3", "rounds", "whole number"),
                ("/api/v1/projects/exp/flags?limit=5&sort=new", "sort", "unknown query parameter"),
                ("/api/v1/projects/exp/items?partial=maybe", "partial", "partial must be one of")):
            r = self.admin.post(path, raw=b"{}", content_type="application/x-ndjson") \
                if path.endswith("maybe") else self.admin.get(path)
            body = self.assertError(r, 400, "bad_request")
            self.assertEqual(body["error"]["details"], {"parameter": param}, r)
            self.assertIn(words, body["error"]["message"], r)
        rater = self.user("exp-rater-2")
        self.assertError(rater.get("/api/v1/projects/exp/votes?format=csv"), 403, "forbidden")
        analyst = self.user("exp-analyst", "analyst")
        self.assertEqual(analyst.get("/api/v1/projects/exp/votes?format=jsonl").status, 200)

    def test_memory_stays_flat(self):
        """A large export streams: the server's resident memory does not follow its size."""
        self.project("big")
        lines = "\n".join(json.dumps({"model_a": "m%d" % (i % 7), "model_b": "m%d" % (i % 7 + 1),
                                      "winner": "model_a", "rater": "judge %d" % (i % 50)})
                          for i in range(200000))
        self.assertEqual(self.admin.post("/api/v1/projects/big/votes/import", raw=lines.encode(),
                                         content_type="application/x-ndjson").status, 200)
        # A process of its own, so that earlier tests' allocations do not count. Under
        # AddressSanitizer freed memory waits in a quarantine (256 MB by default) before reuse,
        # which would look like growth: this process does without it.
        asan = os.environ.get("ASAN_OPTIONS", "")
        server = Server(self.db_url, env={"ASAN_OPTIONS": asan + (":" if asan else "") + "quarantine_size_mb=0"},
                        name="ExportsMemory").wait_ready()
        self.addCleanup(lambda: self.assertEqual(server.stop(), 0, server.read_log()[-3000:]))
        pid = server.proc.pid

        def rss():
            with open("/proc/%d/status" % pid) as f:
                return next(int(x.split()[1]) for x in f if x.startswith("VmRSS:"))
        client = Client(server.url, self.admin_token)
        self.assertEqual(client.get("/api/v1/projects/exp/votes?format=jsonl").status, 200)  # warm-up
        before = rss()
        r = client.get("/api/v1/projects/big/votes?format=jsonl")
        self.assertEqual(r.body.count(b"\n"), 200000)
        self.assertGreater(len(r.body), 40 * 1024 * 1024)
        grown = rss() - before
        self.assertLess(grown, 16 * 1024, "RSS grew by %d kB for a %d MB export" % (grown, len(r.body) >> 20))
