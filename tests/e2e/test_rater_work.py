"""Issue 14: conversations, strength, scores per answer, rewrites, model reveal, sensitive
content and flags on a passage, each a project option, through the API and the database."""

import json
import os
import subprocess

from prefdtest import PREFCTL, PrefdCase, psql

CRITERIA = [{"name": "correctness", "scale": 5, "labels": {"en": "Correctness", "zh": "正确性"},
             "required": True},
            {"name": "tone", "scale": 3}]

CHAT = [{"role": "system", "content": "You are terse."},
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello."},
        {"role": "user", "content": "What is 2+2?"}]


def line(i, **extra):
    d = {"id": "p%d" % i, "responses": [{"model": "m1", "text": "four %d" % i},
                                        {"model": "m2", "text": "4 (%d)" % i}]}
    d.update(extra)
    if "messages" not in d and "prompt" not in d:
        d["prompt"] = "question %d" % i
    return d


class RaterWorkTest(PrefdCase):
    def field_error(self, r, field):
        body = self.assertError(r, 422, "validation_failed")
        self.assertEqual(body["error"].get("details", {}).get("field"), field, r)
        return body

    def votes(self, slug, columns):
        return psql(self.db, "SELECT %s FROM (SELECT * FROM votes WHERE project_id = (SELECT id FROM "
                             "projects WHERE slug = '%s') ORDER BY id) v" % (columns, slug))

    def next(self, client, slug):
        r = client.get("/api/v1/projects/%s/next" % slug)
        self.assertEqual(r.status, 200, r)
        return r.json

    def vote(self, client, a, body):
        return client.post("/api/v1/assignments/%s/vote" % a["id"], body)

    def test_project_options(self):
        p = self.project("opts", strength=True, criteria=CRITERIA, rewrite="optional", reveal=True,
                         explicit=True)
        self.assertEqual((p["strength"], p["criteria"], p["rewrite"], p["reveal"], p["explicit"]),
                         (True, CRITERIA, "optional", True, True))
        plain = self.project("opts-plain")
        self.assertEqual((plain["strength"], plain["criteria"], plain["rewrite"], plain["reveal"],
                          plain["explicit"]), (False, [], "off", False, False))
        r = self.admin.patch("/api/v1/projects/opts", {"rewrite": "required_when_both_bad"})
        self.assertEqual(r.json["rewrite"], "required_when_both_bad", r)
        bad = [({"strength": "yes"}, "strength"), ({"reveal": 1}, "reveal"),
               ({"rewrite": "always"}, "rewrite"), ({"criteria": {}}, "criteria"),
               ({"criteria": [{"name": "x"}]}, "criteria"),
               ({"criteria": [{"name": "x", "scale": 11}]}, "criteria"),
               ({"criteria": [{"name": "X", "scale": 5}]}, "criteria"),
               ({"criteria": [{"name": "x", "scale": 5, "colour": 1}]}, "criteria"),
               ({"criteria": [{"name": "x", "scale": 5}, {"name": "x", "scale": 3}]}, "criteria"),
               ({"criteria": [{"name": "x", "scale": 5, "labels": {"en": 3}}]}, "criteria")]
        for body, field in bad:
            self.field_error(self.admin.patch("/api/v1/projects/opts", body), field)
        self.assertEqual(self.admin.get("/api/v1/projects/opts").json["criteria"], CRITERIA)

    def test_conversation_items(self):
        self.project("chat")
        r = self.upload("chat", [line(1, messages=CHAT), line(2)])
        self.assertEqual(r.json["accepted"], 2, r)
        self.assertEqual(psql(self.db, "SELECT prompt, messages->0->>'role' FROM items WHERE ext_id = 'p1'"),
                         [["What is 2+2?", "system"]])
        bad = [line(3, messages=CHAT, prompt="x"),
               line(4, messages=[]),
               line(5, messages=CHAT[:3]),  # ends with the assistant
               line(6, messages=[{"role": "robot", "content": "x"}]),
               line(7, messages=[{"role": "user", "content": "x", "name": "n"}]),
               line(8, messages=[{"role": "user", "content": "a"}, {"role": "system", "content": "b"},
                                 {"role": "user", "content": "c"}]),
               line(9, sensitive="yes")]
        r = self.upload("chat", bad, partial=True)
        self.assertEqual(r.json["rejected"], len(bad), r)
        messages = [e["message"] for e in r.json["errors"]]
        self.assertTrue(all("messages" in m for m in messages[:6]), messages)
        self.assertIn("sensitive", messages[6])
        rater = self.user("chat-rater")
        seen = {}
        for _ in range(2):
            a = self.next(rater, "chat")
            seen[a["prompt"]["text"]] = a
            self.assertEqual(self.vote(rater, a, {"choice": "a"}).status, 201)
        a = seen["What is 2+2?"]
        self.assertEqual([m["role"] for m in a["messages"]], ["system", "user", "assistant", "user"])
        self.assertEqual(a["messages"][1]["html"], "<p>Hi</p>\n")
        self.assertNotIn("messages", seen["question 2"])
        for k in ("strength", "criteria", "rewrite", "reveal", "sensitive"):
            self.assertNotIn(k, seen["question 2"])

    def test_strength_scores_rewrite(self):
        self.project("work", strength=True, criteria=CRITERIA, rewrite="required_when_both_bad",
                     overlap=1)
        self.upload("work", [line(i) for i in range(6)])
        rater = self.user("work-rater")
        a = self.next(rater, "work")
        self.assertEqual((a["strength"], a["criteria"], a["rewrite"]), (True, CRITERIA, "required_when_both_bad"))
        ok_scores = {"a": {"correctness": 4, "tone": 2}, "b": {"correctness": 1}}
        bad = [({"choice": "tie", "strength": 2, "scores": ok_scores}, "strength"),
               ({"choice": "a", "strength": 4, "scores": ok_scores}, "strength"),
               ({"choice": "a", "strength": "much"}, "strength"),
               ({"choice": "a", "scores": {"a": {"correctness": 6}, "b": {"correctness": 1}}}, "scores"),
               ({"choice": "a", "scores": {"a": {"tone": 4, "correctness": 1}, "b": {"correctness": 1}}}, "scores"),
               ({"choice": "a", "scores": {"a": {"speed": 1, "correctness": 1}, "b": {"correctness": 1}}}, "scores"),
               ({"choice": "a", "scores": {"a": {"correctness": 3}}}, "scores"),
               ({"choice": "a", "scores": {"a": {"correctness": 0}, "b": {"correctness": 1}}}, "scores"),
               ({"choice": "a", "scores": {"c": {}}}, "scores"),
               ({"choice": "a", "scores": [1]}, "scores"),
               ({"choice": "both_bad", "scores": ok_scores}, "rewrite"),
               ({"choice": "both_bad", "scores": ok_scores, "rewrite": "  "}, "rewrite"),
               ({"choice": "a", "rewrite": 5}, "rewrite"),
               ({"choice": "a", "flags": {"a": [{"flag": "unsafe", "quote": "x", "x": 1}]}}, "flags"),
               ({"choice": "a", "flags": {"a": [{"quote": "x"}]}}, "flags"),
               ({"choice": "a", "flags": {"a": [{"flag": "nope", "quote": "four"}]}, "scores": ok_scores}, "flags")]
        for body, field in bad:
            self.field_error(self.vote(rater, a, body), field)
        self.assertEqual(self.votes("work", "count(*)"), [["0"]])
        good = {"choice": "b", "strength": 3, "scores": ok_scores,
                "flags": {"a": [{"flag": "factually_wrong", "quote": "four"}, "biased"]}}
        r = self.vote(rater, a, good)
        self.assertEqual(r.status, 201, r)
        self.assertNotIn("models", r.json)
        self.assertEqual(self.vote(rater, a, good).status, 200)  # the same vote again
        changed = dict(good, strength=1)
        self.assertError(self.vote(rater, a, changed), 409, "conflict")
        row = self.votes("work", "strength, scores, flags_left, flag_quotes, rewrite IS NULL")
        self.assertEqual(row[0][0], "3")
        self.assertEqual(json.loads(row[0][1]), ok_scores)
        self.assertEqual(row[0][2], "{biased,factually_wrong}")
        self.assertEqual(json.loads(row[0][3]), {"a": [{"flag": "factually_wrong", "quote": "four"}], "b": []})
        # the quality page's flags carry the quoted passage
        fl = self.admin.get("/api/v1/projects/work/flags").json["items"]
        quoted = [f for f in fl if f.get("quotes")]
        self.assertEqual(len(quoted), 1, fl)
        self.assertEqual(quoted[0]["quotes"], [{"flag": "factually_wrong", "quote": "four"}])
        self.assertEqual(quoted[0]["flags"], {"biased": 1, "factually_wrong": 1})
        # both bad with a rewrite
        a = self.next(rater, "work")
        r = self.vote(rater, a, {"choice": "both_bad", "scores": ok_scores, "rewrite": "The answer is 4."})
        self.assertEqual(r.status, 201, r)
        self.assertEqual(psql(self.db, "SELECT rewrite FROM votes WHERE id = %d" % r.json["vote_id"]),
                         [["The answer is 4."]])

    def test_plain_project_refuses_new_parts(self):
        self.project("plain")
        self.upload("plain", [line(1)])
        rater = self.user("plain-rater")
        a = self.next(rater, "plain")
        for body, field in [({"choice": "a", "strength": 1}, "strength"),
                            ({"choice": "a", "scores": {"a": {"x": 1}}}, "scores"),
                            ({"choice": "a", "rewrite": "better"}, "rewrite"),
                            ({"choice": "a", "colour": "red"}, "colour")]:
            self.field_error(self.vote(rater, a, body), field)
        r = self.vote(rater, a, {"choice": "a", "flags": {"a": ["unsafe"]}})
        self.assertEqual(r.status, 201, r)
        self.assertEqual(self.votes("plain", "strength, scores, rewrite, flag_quotes"),
                         [["", "", "", ""]])

    def test_reveal(self):
        self.project("reveal", reveal=True)
        self.upload("reveal", [line(1)])
        rater = self.user("reveal-rater")
        a = self.next(rater, "reveal")
        self.assertEqual(a["reveal"], True)
        self.assertNotIn("models", a)
        self.assertNotIn("m1", json.dumps(a))
        r = self.vote(rater, a, {"choice": "a"})
        self.assertEqual(r.status, 201, r)
        left = {"four 1": "m1", "4 (1)": "m2"}[a["left"]["text"]]
        right = {"four 1": "m1", "4 (1)": "m2"}[a["right"]["text"]]
        self.assertEqual(r.json["models"], {"a": left, "b": right})
        self.assertEqual(self.vote(rater, a, {"choice": "a"}).json["models"], {"a": left, "b": right})

    def test_sensitive(self):
        self.project("sens", overlap=2)
        self.upload("sens", [line(1, sensitive=True), line(2)])
        first, second = self.user("sens-1"), self.user("sens-2")
        got = {}
        for _ in range(2):
            a = self.next(first, "sens")
            got[a["prompt"]["text"]] = a
            flags = {"b": ["unsafe"]} if a["prompt"]["text"] == "question 2" else {}
            self.assertEqual(self.vote(first, a, {"choice": "a", "flags": flags}).status, 201)
        self.assertEqual(got["question 1"].get("sensitive"), True)
        self.assertNotIn("sensitive", got["question 2"])
        # the answer flagged unsafe is sensitive for the next rater
        for _ in range(2):
            a = self.next(second, "sens")
            self.assertEqual(a.get("sensitive"), True, a["prompt"])
            self.assertEqual(self.vote(second, a, {"choice": "a"}).status, 201)
        # exposure per rater and day: both comparisons were sensitive for both raters
        ex = self.admin.get("/api/v1/projects/sens/exposure")
        self.assertEqual(ex.status, 200, ex)
        got = {(x["rater"], x["sensitive"], x["comparisons"]) for x in ex.json["items"]}
        self.assertEqual(got, {("sens-1", 2, 2), ("sens-2", 2, 2)})
        self.assertRegex(ex.json["items"][0]["day"], r"^\d{4}-\d\d-\d\d$")
        self.assertError(first.get("/api/v1/projects/sens/exposure"), 403, "forbidden")
        self.assertError(self.admin.get("/api/v1/projects/nope/exposure"), 404, "not_found")


class RaterWorkExportTest(PrefdCase):
    """One project with every part, rated by hand, read back in every format."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()

    def export(self, slug, query):
        r = self.admin.get("/api/v1/projects/%s/votes?%s" % (slug, query))
        self.assertEqual(r.status, 200, r)
        return [json.loads(x) for x in r.body.decode().splitlines() if x]

    def rate(self, slug, rater, bodies):
        """Votes bodies[prompt text] on each comparison; returns {prompt: (assignment, vote id)}."""
        out = {}
        while True:
            r = rater.get("/api/v1/projects/%s/next" % slug)
            if r.status == 204:
                return out
            a = r.json
            v = rater.post("/api/v1/assignments/%s/vote" % a["id"], bodies(a))
            self.assertEqual(v.status, 201, v)
            out[a["prompt"]["text"]] = (a, v.json["vote_id"])

    def test_formats(self):
        self.project("ex", strength=True, criteria=CRITERIA, rewrite="optional")
        self.upload("ex", [line(1, messages=CHAT), line(2), line(3)])
        rater = self.user("ex-rater")

        def body(a):
            p = a["prompt"]["text"]
            if p == "What is 2+2?":
                return {"choice": "a", "strength": 2, "rewrite": "It is 4.",
                        "scores": {"a": {"correctness": 5, "tone": 3}, "b": {"correctness": 2}},
                        "flags": {"b": [{"flag": "factually_wrong", "quote": "4"}]}}
            if p == "question 2":
                return {"choice": "b", "strength": 3, "scores": {"a": {"correctness": 1}, "b": {"correctness": 4}}}
            return {"choice": "tie", "scores": {"a": {"correctness": 3}, "b": {"correctness": 3}},
                    "rewrite": "Three."}
        rated = self.rate("ex", rater, body)
        self.assertEqual(len(rated), 3)
        chat_a, chat_id = rated["What is 2+2?"]
        left, right = chat_a["left"]["text"], chat_a["right"]["text"]
        model = {"four 1": "m1", "4 (1)": "m2"}

        rows = {r["vote_id"]: r for r in self.export("ex", "format=jsonl")}
        self.assertEqual(rows[chat_id]["strength"], 2)
        self.assertEqual(rows[chat_id]["rewrite"], "It is 4.")
        self.assertEqual(rows[chat_id]["messages"], CHAT)
        self.assertEqual(rows[chat_id]["flag_quotes"], {"a": [], "b": [{"flag": "factually_wrong", "quote": "4"}]})
        self.assertEqual(rows[chat_id]["scores"]["a"], {"correctness": 5, "tone": 3})
        self.assertIsNone(rows[rated["question 2"][1]]["messages"])

        dpo = self.export("ex", "format=dpo")
        self.assertEqual(len(dpo), 2)  # the tie has no pair
        chat = [d for d in dpo if isinstance(d["prompt"], list)]
        self.assertEqual(len(chat), 1)
        self.assertEqual(chat[0], {"prompt": CHAT, "chosen": [{"role": "assistant", "content": left}],
                                   "rejected": [{"role": "assistant", "content": right}],
                                   "chosen_model": model[left], "rejected_model": model[right],
                                   "strength": 2})
        plain = [d for d in dpo if not isinstance(d["prompt"], list)][0]
        self.assertEqual((plain["prompt"], plain["strength"]), ("question 2", 3))

        rw = self.export("ex", "format=dpo&rewrites=true")
        # the chat vote: the rewrite over the chosen (left) answer; the tie: over each answer
        self.assertEqual(len(rw), 3, rw)
        first = [d for d in rw if isinstance(d["prompt"], list)][0]
        self.assertEqual((first["chosen"], first["rejected"], first["chosen_model"]),
                         ([{"role": "assistant", "content": "It is 4."}],
                          [{"role": "assistant", "content": left}], "rewrite"))
        ties = [d for d in rw if d["prompt"] == "question 3"]
        self.assertEqual(sorted(d["rejected_model"] for d in ties), ["m1", "m2"])
        self.assertTrue(all(d["chosen"] == "Three." for d in ties))
        self.assertTrue(all("strength" not in d for d in rw), rw)

        sft = self.export("ex", "format=sft")
        self.assertEqual(len(sft), 2)
        conv = [d for d in sft if "messages" in d][0]
        self.assertEqual(conv["messages"], CHAT + [{"role": "assistant", "content": "It is 4."}])
        std = [d for d in sft if "prompt" in d][0]
        self.assertEqual((std["prompt"], std["completion"]), ("question 3", "Three."))

        scores = self.export("ex", "format=scores")
        self.assertEqual(len(scores), 6)
        mine = sorted((s["model"], s["scores"]["correctness"]) for s in scores if s["vote_id"] == chat_id)
        self.assertEqual(mine, sorted([(model[left], 5), (model[right], 2)]))
        self.assertTrue(all(s["rater"].startswith("r-") for s in scores))

        # GET .../scores: per model and criterion, from the same votes
        sc = self.admin.get("/api/v1/projects/ex/scores")
        self.assertEqual(sc.status, 200, sc)
        self.assertEqual(sc.json["criteria"], CRITERIA)
        per = {m["model"]: m["scores"] for m in sc.json["models"]}
        want = {}
        for s in scores:
            for k, v in s["scores"].items():
                want.setdefault(s["model"], {}).setdefault(k, []).append(v)
        for m, crit in want.items():
            for k, xs in crit.items():
                got = per[m][k]
                self.assertEqual(got["n"], len(xs))
                self.assertAlmostEqual(got["mean"], sum(xs) / len(xs), places=3)
                if len(xs) > 1:
                    self.assertLessEqual(got["ci"][0], got["mean"])
                    self.assertGreaterEqual(got["ci"][1], got["mean"])
                else:
                    self.assertIsNone(got["ci"])
        self.assertEqual(self.admin.get("/api/v1/projects/ex/scores?language=fr").json["models"], [])
        self.assertError(self.admin.get("/api/v1/projects/ex/scores?colour=red"), 400, "bad_request")
        self.assertError(self.admin.get("/api/v1/projects/ex/scores?since=soon"), 400, "bad_request")
        self.assertError(self.admin.get("/api/v1/projects/nope/scores"), 404, "not_found")
        self.assertError(rater.get("/api/v1/projects/ex/scores"), 403, "forbidden")

        # prefctl export knows the new formats and passes --rewrites
        env = dict(os.environ, PREFD_URL=self.server.url, PREFD_TOKEN=self.admin_token)
        for fmt, extra, query in (("sft", [], "format=sft"), ("scores", [], "format=scores"),
                                  ("dpo", ["--rewrites"], "format=dpo&rewrites=true")):
            out = subprocess.run([PREFCTL, "export", "ex", "--format", fmt, "-q"] + extra, env=env,
                                 capture_output=True, timeout=60)
            self.assertEqual(out.returncode, 0, out.stderr)
            api = self.admin.get("/api/v1/projects/ex/votes?" + query)
            self.assertEqual(out.stdout, api.body, fmt)

        r = self.admin.get("/api/v1/projects/ex/votes?format=csv")
        header = r.body.decode().split("\r\n")[0]
        self.assertTrue(header.endswith(",source,strength,scores,rewrite,flag_quotes,messages"), header)
        self.assertError(self.admin.get("/api/v1/projects/ex/votes?format=sft&rewrites=true"), 400, "bad_request")
        self.assertError(self.admin.get("/api/v1/projects/ex/votes?format=dpo&rewrites=maybe"), 400, "bad_request")

    def test_plain_export_unchanged(self):
        self.project("ex-plain")
        self.upload("ex-plain", [line(1)])
        rater = self.user("ex-plain-rater")
        self.rate("ex-plain", rater, lambda a: {"choice": "a"})
        row = self.export("ex-plain", "format=jsonl")[0]
        for k in ("strength", "scores", "rewrite", "flag_quotes", "messages"):
            self.assertNotIn(k, row)
        self.assertNotIn("strength", self.export("ex-plain", "format=dpo")[0])
        self.assertEqual(self.export("ex-plain", "format=sft"), [])
        self.assertEqual(self.export("ex-plain", "format=scores"), [])
        header = self.admin.get("/api/v1/projects/ex-plain/votes?format=csv").body.decode().split("\r\n")[0]
        self.assertTrue(header.endswith(",guidelines_version,source"), header)


class StrengthWeightTest(PrefdCase):
    def test_strength_weight(self):
        self.project("sw", strength=True, overlap=1)
        self.upload("sw", [line(i) for i in range(4)])
        rater = self.user("sw-rater")
        plan = [("m1", 3), ("m2", 1), ("m1", 3), ("m2", 1)]
        for winner, k in plan:
            a = rater.get("/api/v1/projects/sw/next").json
            left_model = "m1" if a["left"]["text"].startswith("four") else "m2"
            choice = "a" if left_model == winner else "b"
            r = rater.post("/api/v1/assignments/%s/vote" % a["id"], {"choice": choice, "strength": k})
            self.assertEqual(r.status, 201, r)
        plain = self.admin.get("/api/v1/projects/sw/leaderboard").json
        weighed = self.admin.get("/api/v1/projects/sw/leaderboard?strength=weight").json
        self.assertEqual(weighed["method"]["strength"], "weight")
        self.assertEqual(plain["method"]["strength"], "none")
        p = {m["model"]: m for m in plain["models"]}
        w = {m["model"]: m for m in weighed["models"]}
        self.assertAlmostEqual(p["m1"]["rating"], p["m2"]["rating"], delta=0.01)
        self.assertGreater(w["m1"]["rating"], w["m2"]["rating"] + 50)
        # the counts shown stay the votes themselves
        self.assertEqual(w["m1"].get("votes"), p["m1"].get("votes"))
        self.assertError(self.admin.get("/api/v1/projects/sw/leaderboard?strength=heavy"), 400, "bad_request")
        self.assertError(self.admin.get("/api/v1/projects/sw/leaderboard?strength=weight&style=control"),
                         400, "bad_request")


class ExplicitOptOutTest(PrefdCase):
    def test_opt_out(self):
        self.project("explicit", explicit=True)
        self.project("tame")
        for slug in ("explicit", "tame"):
            self.upload(slug, [line(1)])
        rater = self.user("shy")
        self.assertEqual(rater.patch("/api/v1/me", {}).json, {"explicit_opt_out": False})
        self.assertEqual(rater.get("/api/v1/projects/explicit/next").status, 200)
        r = rater.patch("/api/v1/me", {"explicit_opt_out": True})
        self.assertEqual(r.json, {"explicit_opt_out": True}, r)
        self.assertEqual(rater.get("/api/v1/projects/explicit/next").status, 404)
        self.assertEqual(rater.get("/api/v1/projects/tame/next").status, 200)
        self.field_error = RaterWorkTest.field_error.__get__(self)
        self.field_error(rater.patch("/api/v1/me", {"explicit_opt_out": "yes"}), "explicit_opt_out")
        self.field_error(rater.patch("/api/v1/me", {"name": "x"}), "name")
        self.assertEqual(rater.patch("/api/v1/me", {"explicit_opt_out": False}).status, 200)
        self.assertEqual(rater.get("/api/v1/projects/explicit/next").status, 200)


class StrengthAgreementTest(PrefdCase):
    def test_interval_alpha(self):
        self.project("sa", strength=True, overlap=2)
        self.upload("sa", [line(i) for i in range(4)])
        raters = [self.user("sa-%d" % k) for k in range(2)]
        want = {"question 0": ("m1", 3), "question 1": ("m2", 1), "question 2": ("m1", 1), "question 3": ("m2", 3)}
        for rater in raters:
            for _ in range(4):
                a = rater.get("/api/v1/projects/sa/next").json
                winner, k = want[a["prompt"]["text"]]
                left = "m1" if a["left"]["text"].startswith("four") else "m2"
                r = rater.post("/api/v1/assignments/%s/vote" % a["id"],
                               {"choice": "a" if left == winner else "b", "strength": k})
                self.assertEqual(r.status, 201, r)
        ag = self.admin.get("/api/v1/projects/sa/agreement").json
        self.assertEqual(ag["strength"], {"alpha_interval": 1.0, "units": 4}, ag)
        # one rater's strengths moved by one on every comparison: agreement drops below 1
        psql(self.db, "UPDATE votes SET strength = CASE strength WHEN 3 THEN 2 ELSE 2 END "
                      "WHERE rater_id = (SELECT id FROM users WHERE name = 'sa-1')")
        lower = self.admin.get("/api/v1/projects/sa/agreement").json["strength"]["alpha_interval"]
        self.assertLess(lower, 1.0)
        self.assertGreater(lower, 0.0)
        self.project("sa-plain")
        self.assertNotIn("strength", self.admin.get("/api/v1/projects/sa-plain/agreement").json)
