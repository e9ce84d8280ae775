"""Issue 12: the rater's work is safe (lease renewal, lapsed leases, undo), faithful rendering,
progress, facets, items, upload reports and ranking filters."""

import json
import time

from prefdtest import PrefdCase, psql

MODELS = ["m1", "m2"]


def items(n, prefix="s", models=MODELS, category=None, language=None):
    out = []
    for i in range(n):
        x = {"id": "%s-%d" % (prefix, i), "prompt": "prompt %d" % i,
             "responses": [{"model": m, "text": "answer %d of %s" % (i, m)} for m in models]}
        if category:
            x["category"] = category if isinstance(category, str) else category[i % len(category)]
        if language:
            x["language"] = language
        out.append(x)
    return out


class RaterSafetyTest(PrefdCase):
    server_env = {"PREFD_UNDO_SECONDS": "60"}

    def q(self, sql):
        return psql(self.db, sql)

    def lapse(self, token):
        self.q("UPDATE assignments SET expires_at = now() - interval '1 second', "
               "issued_at = now() - interval '1 hour' WHERE token = '%s'" % token)

    def invariants(self, slug):
        """The counters agree with the rows they count; undone votes count nowhere."""
        pid = self.q("SELECT id FROM projects WHERE slug = '%s'" % slug)[0][0]
        q = lambda sql: self.q(sql.replace("$P", pid))  # noqa: E731
        overlap = int(q("SELECT overlap FROM projects WHERE id = $P")[0][0])
        self.assertEqual(q("SELECT count(*) FROM comparisons c WHERE project_id = $P AND c.taken <> "
                           "(SELECT count(*) FROM assignments a WHERE a.comparison_id = c.id "
                           "AND a.state IN ('open', 'voted'))"), [["0"]])
        self.assertEqual(q("SELECT count(*) FROM comparisons c WHERE project_id = $P AND c.votes <> "
                           "(SELECT count(*) FROM votes v WHERE v.comparison_id = c.id AND v.undone_at IS NULL)"),
                         [["0"]])
        self.assertEqual(q("SELECT (SELECT sum(open) FROM project_counts WHERE project_id = $P) = "
                           "(SELECT sum(%d - taken) FROM comparisons WHERE project_id = $P "
                           "AND gold IS NULL)" % overlap), [["t"]])
        self.assertEqual(q("SELECT (SELECT coalesce(sum(votes), 0) FROM project_counts WHERE project_id = $P) = "
                           "(SELECT count(*) FROM votes WHERE project_id = $P AND NOT is_gold "
                           "AND undone_at IS NULL)"), [["t"]])
        self.assertEqual(q("SELECT count(*) FROM rater_given g WHERE project_id = $P AND (g.given, g.controls) "
                           "<> (SELECT count(*) FILTER (WHERE NOT is_gold), count(*) FILTER (WHERE is_gold) "
                           "FROM assignments a WHERE a.project_id = $P AND a.rater_id = g.rater_id)"), [["0"]])
        self.assertEqual(q("SELECT count(*) FROM rater_votes r WHERE project_id = $P AND r.votes <> "
                           "(SELECT count(*) FROM votes v WHERE v.project_id = $P AND v.rater_id = r.rater_id "
                           "AND v.undone_at IS NULL)"), [["0"]])
        counted = q("SELECT count(*) FROM votes WHERE project_id = $P AND NOT is_gold AND NOT excluded")[0][0]
        self.assertEqual(q("SELECT coalesce(sum(lo_wins + hi_wins + ties + both_bad), 0) FROM pair_totals "
                           "WHERE project_id = $P"), [[counted]])
        self.assertEqual(q("SELECT count(*) FROM votes WHERE project_id = $P AND undone_at IS NOT NULL "
                           "AND NOT excluded"), [["0"]])

    # --- point 2: leases ---

    def test_renew_extends_the_lease(self):
        self.project("renew", overlap=1, lease_seconds=60)
        self.upload("renew", items(3, "rn"))
        r, other = self.user("renew-a"), self.user("renew-b")
        a = r.get("/api/v1/projects/renew/next").json
        self.q("UPDATE assignments SET expires_at = now() + interval '5 seconds' WHERE token = '%s'" % a["id"])
        got = r.post("/api/v1/assignments/%s/renew" % a["id"])
        self.assertEqual(got.status, 200, got)
        self.assertEqual(set(got.json), {"id", "expires_at", "lease_seconds"})
        self.assertEqual(got.json["id"], a["id"])
        self.assertEqual(got.json["lease_seconds"], 60)
        left = float(self.q("SELECT extract(epoch FROM expires_at - now()) FROM assignments "
                            "WHERE token = '%s'" % a["id"])[0][0])
        self.assertGreater(left, 55)
        # someone else's, unknown: 404; voted: 409
        self.assertError(other.post("/api/v1/assignments/%s/renew" % a["id"]), 404, "not_found")
        self.assertError(r.post("/api/v1/assignments/nope-nope-nope-nope-nope/renew"), 404, "not_found")
        self.assertEqual(r.post("/api/v1/assignments/%s/vote" % a["id"], {"choice": "a"}).status, 201)
        self.assertError(r.post("/api/v1/assignments/%s/renew" % a["id"]), 409, "conflict")
        self.invariants("renew")

    def test_lapsed_lease_renewed_or_gone(self):
        self.project("lapse", overlap=1)
        self.upload("lapse", items(1, "lp"))
        a, b = self.user("lapse-a"), self.user("lapse-b")
        got = a.get("/api/v1/projects/lapse/next").json
        # lapsed, and closed by the expiry, but nobody took the place: renewed
        self.lapse(got["id"])
        self.q("UPDATE queue_heads SET checked_at = now() - interval '1 hour'")
        self.q("SET search_path = prefd_functions, public; SELECT prefd_expire(id) FROM projects WHERE slug = 'lapse'")
        self.assertEqual(self.q("SELECT state FROM assignments WHERE token = '%s'" % got["id"]), [["expired"]])
        r = a.post("/api/v1/assignments/%s/renew" % got["id"])
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.q("SELECT state FROM assignments WHERE token = '%s'" % got["id"]), [["open"]])
        self.invariants("lapse")
        # lapsed again; now b takes the place: gone for a, for renew and for the vote
        self.lapse(got["id"])
        self.q("UPDATE queue_heads SET checked_at = now() - interval '1 hour'")
        taken = b.get("/api/v1/projects/lapse/next")
        self.assertEqual(taken.status, 200, taken)
        self.assertError(a.post("/api/v1/assignments/%s/renew" % got["id"]), 410, "gone")
        self.assertError(a.post("/api/v1/assignments/%s/vote" % got["id"], {"choice": "a"}), 410, "gone")
        self.invariants("lapse")

    def test_vote_on_lapsed_lease_counts(self):
        self.project("late", overlap=1)
        self.upload("late", items(2, "lt"))
        a = self.user("late-a")
        got = a.get("/api/v1/projects/late/next").json
        self.lapse(got["id"])
        v = a.post("/api/v1/assignments/%s/vote" % got["id"], {"choice": "b"})
        self.assertEqual(v.status, 201, v)
        # and one closed by the expiry before the vote arrived, its place still free
        got = a.get("/api/v1/projects/late/next").json
        self.lapse(got["id"])
        self.q("UPDATE queue_heads SET checked_at = now() - interval '1 hour'")
        self.q("SET search_path = prefd_functions, public; SELECT prefd_expire(id) FROM projects WHERE slug = 'late'")
        self.assertEqual(self.q("SELECT state FROM assignments WHERE token = '%s'" % got["id"]), [["expired"]])
        v = a.post("/api/v1/assignments/%s/vote" % got["id"], {"choice": "a"})
        self.assertEqual(v.status, 201, v)
        self.assertEqual(self.q("SELECT count(*) FROM votes v JOIN projects p ON p.id = v.project_id "
                                "WHERE p.slug = 'late'"), [["2"]])
        self.invariants("late")

    # --- point 3: undo ---

    def test_undo_gives_the_comparison_back(self):
        self.project("undo", overlap=1)
        self.upload("undo", items(3, "ud"))
        a, b = self.user("undo-a"), self.user("undo-b")
        first = a.get("/api/v1/projects/undo/next").json
        self.assertEqual(first["progress"], {"done": 0, "remaining": 3})
        vid = a.post("/api/v1/assignments/%s/vote" % first["id"], {"choice": "a"}).json["vote_id"]
        shown = a.get("/api/v1/projects/undo/next").json  # the page moves on
        self.assertEqual(shown["progress"], {"done": 1, "remaining": 2})
        board = self.admin.get("/api/v1/projects/undo/leaderboard").json
        self.assertEqual(board["votes"], 1)
        # another's vote: 404
        self.assertError(b.post("/api/v1/votes/%d/undo" % vid), 404, "not_found")
        self.assertError(a.post("/api/v1/votes/abc/undo"), 404, "not_found")
        r = a.post("/api/v1/votes/%d/undo" % vid)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["vote_id"], vid)
        self.assertTrue(r.json["undone_at"])
        back = r.json["assignment"]
        self.assertEqual(back["id"], first["id"])
        self.assertEqual(back["prompt"], first["prompt"])
        self.assertEqual((back["left"], back["right"]), (first["left"], first["right"]))
        self.assertEqual(back["progress"], {"done": 0, "remaining": 3})
        self.assertEqual(set(back), set(first))
        # the comparison shown after the vote was dropped: no longer an open assignment
        self.assertEqual(self.q("SELECT count(*) FROM assignments WHERE token = '%s'" % shown["id"]), [["0"]])
        self.assertEqual(a.get("/api/v1/projects/undo/next").json["id"], first["id"])
        self.assertError(a.post("/api/v1/votes/%d/undo" % vid), 409, "already_undone")
        # recorded as undone, counts nowhere
        row = self.q("SELECT undone_at IS NOT NULL, undone_by = rater_id, excluded, assignment_id IS NULL "
                     "FROM votes WHERE id = %d" % vid)
        self.assertEqual(row, [["t", "t", "t", "t"]])
        board = self.admin.get("/api/v1/projects/undo/leaderboard").json
        self.assertEqual(board["votes"], 0)
        export = self.admin.get("/api/v1/projects/undo/votes?format=jsonl")
        self.assertEqual(export.status, 200)
        self.assertEqual(export.body.strip(), b"")
        self.invariants("undo")
        # a new vote on the same assignment counts
        v2 = a.post("/api/v1/assignments/%s/vote" % first["id"], {"choice": "b"})
        self.assertEqual(v2.status, 201, v2)
        self.assertNotEqual(v2.json["vote_id"], vid)
        board = self.admin.get("/api/v1/projects/undo/leaderboard").json
        self.assertEqual(board["votes"], 1)
        self.assertEqual(board["position_bias"]["right"], 1)
        raters = self.admin.get("/api/v1/projects/undo/raters").json["items"]
        self.assertEqual([x["votes"] for x in raters if x["rater"] == "undo-a"], [1])
        self.invariants("undo")

    def test_undo_window(self):
        self.project("late-undo", overlap=1)
        self.upload("late-undo", items(2, "lu"))
        a = self.user("lu-a")
        got = a.get("/api/v1/projects/late-undo/next").json
        vid = a.post("/api/v1/assignments/%s/vote" % got["id"], {"choice": "tie"}).json["vote_id"]
        self.q("UPDATE votes SET created_at = now() - interval '61 seconds' WHERE id = %d" % vid)
        self.assertError(a.post("/api/v1/votes/%d/undo" % vid), 409, "undo_expired")
        self.assertEqual(self.q("SELECT undone_at IS NULL FROM votes WHERE id = %d" % vid), [["t"]])
        self.invariants("late-undo")

    # --- point 4: progress ---

    def test_progress_fresh_project_and_home_cards(self):
        self.project("fresh", overlap=2)
        r = self.upload("fresh", items(800, "fr"))
        self.assertEqual(r.status, 200, r)
        a, b = self.user("fresh-a"), self.user("fresh-b")
        mine = {p["slug"]: p for p in a.get("/api/v1/projects").json["items"]}
        self.assertEqual(mine["fresh"]["progress"], {"done": 0, "remaining": 800})
        got = a.get("/api/v1/projects/fresh/next").json
        self.assertEqual(got["progress"], {"done": 0, "remaining": 800})  # "0 done · 800 left"
        again = a.get("/api/v1/projects/fresh/next").json  # the same one, reloaded
        self.assertEqual(again["progress"], {"done": 0, "remaining": 800})
        mine = {p["slug"]: p for p in a.get("/api/v1/projects").json["items"]}
        self.assertEqual(mine["fresh"]["progress"], {"done": 0, "remaining": 800})
        self.assertEqual(a.post("/api/v1/assignments/%s/vote" % got["id"], {"choice": "a"}).status, 201)
        mine = {p["slug"]: p for p in a.get("/api/v1/projects").json["items"]}
        self.assertEqual(mine["fresh"]["progress"], {"done": 1, "remaining": 799})
        nxt = a.get("/api/v1/projects/fresh/next").json
        self.assertEqual(nxt["progress"], {"done": 1, "remaining": 799})
        theirs = {p["slug"]: p for p in b.get("/api/v1/projects").json["items"]}
        self.assertEqual(theirs["fresh"]["progress"], {"done": 0, "remaining": 800})
        staff = {p["slug"]: p for p in self.admin.get("/api/v1/projects").json["items"]}
        self.assertEqual(staff["fresh"]["progress"], {"done": 0, "remaining": 800})

    # --- point 5: facets ---

    def test_facets(self):
        self.project("facets")
        self.upload("facets", items(7, "fa", category=["writing", "coding", "math"], language="en")
                    + items(2, "fz", language="zh"))
        r = self.user("facets-r")
        got = r.get("/api/v1/projects/facets/facets")
        self.assertEqual(got.status, 200, got)
        self.assertEqual(got.json, {"categories": ["coding", "math", "writing"], "languages": ["en", "zh"]})
        self.assertEqual(self.admin.get("/api/v1/projects/facets/facets").json["languages"], ["en", "zh"])
        self.project("facets-empty")
        self.assertEqual(self.admin.get("/api/v1/projects/facets-empty/facets").json,
                         {"categories": [], "languages": []})
        self.assertError(r.get("/api/v1/projects/nope/facets"), 404, "not_found")
        self.project("facets-hidden", raters=[])
        self.assertError(r.get("/api/v1/projects/facets-hidden/facets"), 404, "not_found")

    # --- point 1: fidelity, through the API ---

    def test_hostile_texts_render_faithfully(self):
        self.project("fid", overlap=1, flags=["unsafe"])
        answer = ('Wrap them in a `<div>` element, e.g. <div class="box">...</div>\n\n'
                  '<script>alert("x")</script>\n\n'
                  'Use &amp; for &, O(n1*n2) steps, snake_case_names, $a_1 * b_2$ and $$x*y$$.')
        self.upload("fid", [{"id": "f1", "prompt": "What is <b>bold</b> & why?", "responses": [
            {"model": "m1", "text": answer}, {"model": "m2", "text": "plain"}]}])
        r = self.user("fid-r")
        a = r.get("/api/v1/projects/fid/next").json
        side = "left" if a["left"]["text"] == answer else "right"
        html = a[side]["html"]
        for frag in ("&lt;div&gt;", "&lt;div class=&quot;box&quot;&gt;...&lt;/div&gt;",
                     "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;", "&amp;amp; for &amp;",
                     "O(n1*n2)", "snake_case_names", "$a_1 * b_2$", "$$x*y$$"):
            self.assertIn(frag, html)
        self.assertNotIn("<script", html)
        self.assertNotIn("<div", html)
        self.assertNotIn("<em>", html)
        self.assertIn("&lt;b&gt;bold&lt;/b&gt; &amp;", a["prompt"]["html"])
        flags = {"a": ["unsafe"]} if side == "left" else {"b": ["unsafe"]}
        self.assertEqual(r.post("/api/v1/assignments/%s/vote" % a["id"], {"choice": "a", "flags": flags}).status,
                         201)
        got = self.admin.get("/api/v1/projects/fid/flags").json["items"]
        self.assertEqual(len(got), 1)
        self.assertIn("&lt;div class=&quot;box&quot;&gt;", got[0]["response_html"])
        self.assertNotIn("<div", got[0]["response_html"])

    # --- point 8: rankings ---

    def test_rankings_filters_csv_and_prefctl(self):
        self.project("rk", overlap=1)
        self.upload("rk", items(6, "rk", category=["coding", "writing"]))
        r = self.user("rk-r")
        while True:
            a = r.get("/api/v1/projects/rk/next")
            if a.status == 204:
                break
            self.assertEqual(r.post("/api/v1/assignments/%s/vote" % a.json["id"], {"choice": "a"}).status, 201)
        base = "/api/v1/projects/rk/leaderboard"
        bad = self.assertError(self.admin.get(base + "?since=2024-05-02&until=2024-05-01"), 400, "bad_request")
        self.assertIn("since", bad["error"]["message"])
        self.assertIn("until", bad["error"]["message"])
        self.assertEqual(bad["error"]["details"]["parameters"], ["since", "until"])
        self.assertEqual(self.admin.get(base + "?since=2024-05-01&until=2024-05-01").status, 200)
        self.assertError(self.admin.get("/api/v1/projects/rk/votes?format=csv&since=2024-05-02&until=2024-05-01"),
                         400, "bad_request")
        self.assertError(self.admin.get("/api/v1/projects/rk/matrix?since=2024-05-02&until=2024-05-01"),
                         400, "bad_request")
        board = self.admin.get(base + "?category=coding").json
        csv = self.admin.get(base + "?category=coding&format=csv")
        self.assertEqual(csv.status, 200, csv)
        self.assertTrue(csv.header("Content-Type").startswith("text/csv"))
        lines = csv.body.decode().strip().split("\r\n")
        self.assertEqual(lines[0], "rank,model,rating,ci_low,ci_high,votes,wins,losses,ties,both_bad,win_rate")
        self.assertEqual([ln.split(",")[1] for ln in lines[1:]], [m["model"] for m in board["models"]])
        self.assertEqual([int(ln.split(",")[5]) for ln in lines[1:]], [m["votes"] for m in board["models"]])
        self.assertEqual(sum(m["votes"] for m in board["models"]), 2 * board["votes"])
        self.assertEqual(board["votes"], 3)
        self.assertError(self.admin.get(base + "?format=xml"), 400, "bad_request")
        self.assertError(self.admin.get("/api/v1/projects/rk/matrix?format=csv"), 400, "bad_request")
        # prefctl: matrix and export honour the filters
        from test_prefctl import run_ctl
        out = run_ctl(self.server.url, self.admin_token, "matrix", "rk", "--counts", "--json",
                      "--category", "coding")
        self.assertEqual(out.returncode, 0, out.stderr)
        import json
        mx = json.loads(out.stdout)
        self.assertEqual(sum(sum(row) for row in mx["counts"]), 2 * 3)
        out = run_ctl(self.server.url, self.admin_token, "export", "rk", "--format", "jsonl",
                      "--category", "writing", "--output", "-")
        self.assertEqual(out.returncode, 0, out.stderr)
        rows = [json.loads(x) for x in out.stdout.splitlines() if x.strip()]
        self.assertEqual(len(rows), 3)
        self.assertEqual({x["category"] for x in rows}, {"writing"})

    # --- point 7: upload report ---

    def test_upload_report(self):
        self.project("upr")
        ok = {"id": "a", "prompt": "p", "responses": [{"model": "x", "text": "1"}, {"model": "y", "text": ""}]}
        lines = [ok,
                 dict(ok, id="b", prompt=" \t\u3000 "),
                 {"id": "c", "prompt": "p", "responses": [{"model": "x"}, {"model": "y", "text": "2"}]},
                 dict(ok, prompt="other"),
                 dict(ok, id="d", responses=[{"model": "x", "text": " \n\u00a0"}, {"model": "y", "text": "2"}]),
                 dict(ok, id="e", prompt="\u00e9" * 300000)]
        r = self.upload("upr", lines)
        self.assertError(r, 422, "validation_failed")
        body = r.json
        self.assertEqual(body["accepted"], 0)
        self.assertEqual(body["valid"], 1)
        self.assertIn("nothing was stored", body["error"]["message"])
        self.assertNotIn("accepted", body["error"]["message"].lower())
        errs = body["errors"]
        self.assertEqual([e["line"] for e in errs], [2, 3, 4, 5, 6])
        for e in errs:
            self.assertTrue(e["message"].startswith("line %d: " % e["line"]), e)
        self.assertIn("whitespace", errs[0]["message"])
        self.assertIn('"text" is missing', errs[1]["message"])
        self.assertEqual(errs[2]["code"], "duplicate")
        self.assertIn("line 1 of this upload", errs[2]["message"])
        self.assertNotIn("uploaded before", errs[2]["message"])
        self.assertIn("whitespace", errs[3]["message"])
        self.assertIn("characters", errs[4]["message"])
        self.assertNotIn("bytes", errs[4]["message"])
        self.assertEqual(self.q("SELECT count(*) FROM items i JOIN projects p ON p.id = i.project_id "
                                "WHERE p.slug = 'upr'"), [["0"]])
        # partial: only stored lines are accepted
        r = self.upload("upr", lines, partial=True)
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json["accepted"], r.json["rejected"]), (1, 5))
        # a line over the record limit names its own line
        big = self.upload("upr", [dict(ok, id="z%d" % i) for i in range(3)] + ["x" * (9 << 20)])
        self.assertError(big, 413, "payload_too_large")
        self.assertIn("line 4 ", big.json["error"]["message"])
        first = self.upload("upr", ["x" * (9 << 20)])
        self.assertIn("line 1 ", first.json["error"]["message"])

    # --- point 6: items ---

    def test_items_list_and_search(self):
        self.project("itl")
        self.upload("itl", items(25, "itl") + [{"id": "Special-1", "prompt": "How do I sort a LIST?",
                                                "category": "coding", "responses": [
                                                    {"model": "m1", "text": "a"}, {"model": "m2", "text": "b"}]}])
        seen, cursor = [], None
        while True:
            path = "/api/v1/projects/itl/items?limit=10" + ("&cursor=" + cursor if cursor else "")
            page = self.admin.get(path)
            self.assertEqual(page.status, 200, page)
            seen += page.json["items"]
            cursor = page.json["next_cursor"]
            if cursor is None:
                break
        self.assertEqual(len(seen), 26)
        self.assertEqual(seen[0]["id"], "itl-0")
        self.assertEqual(seen[0]["models"], ["m1", "m2"])
        self.assertEqual(seen[0]["votes"], 0)
        self.assertEqual(len({x["id"] for x in seen}), 26)
        found = self.admin.get("/api/v1/projects/itl/items?q=list").json["items"]
        self.assertEqual([x["id"] for x in found], ["Special-1"])
        found = self.admin.get("/api/v1/projects/itl/items?q=SPECIAL").json["items"]
        self.assertEqual([x["id"] for x in found], ["Special-1"])
        found = self.admin.get("/api/v1/projects/itl/items?q=itl-2").json["items"]
        self.assertEqual({x["id"] for x in found}, {"itl-2"} | {"itl-%d" % i for i in range(20, 25)})
        self.assertError(self.admin.get("/api/v1/projects/itl/items?limit=0"), 400, "bad_request")
        self.assertError(self.admin.get("/api/v1/projects/nope/items"), 404, "not_found")
        rater = self.user("itl-r")
        self.assertError(rater.get("/api/v1/projects/itl/items"), 403, "forbidden")

    def test_delete_project_keeps_votes(self):
        self.project("gone-p", overlap=1)
        self.upload("gone-p", items(3, "gp"))
        r = self.user("gone-r")
        a = r.get("/api/v1/projects/gone-p/next").json
        self.assertEqual(r.post("/api/v1/assignments/%s/vote" % a["id"], {"choice": "a"}).status, 201)
        held = r.get("/api/v1/projects/gone-p/next").json
        self.assertError(r.delete("/api/v1/projects/gone-p"), 403, "forbidden")
        d = self.admin.delete("/api/v1/projects/gone-p")
        self.assertEqual(d.status, 200, d)
        self.assertEqual((d.json["slug"], d.json["votes_kept"], d.json["deleted_by"]), ("gone-p", 1, "admin"))
        self.assertTrue(d.json["deleted_at"])
        self.assertError(self.admin.delete("/api/v1/projects/gone-p"), 404, "not_found")
        for c in (self.admin, r):
            self.assertError(c.get("/api/v1/projects/gone-p"), 404, "not_found")
            self.assertNotIn("gone-p", [p["slug"] for p in c.get("/api/v1/projects").json["items"]])
        self.assertError(self.admin.get("/api/v1/projects/gone-p/leaderboard"), 404, "not_found")
        self.assertError(r.get("/api/v1/projects/gone-p/next"), 404, "not_found")
        self.assertError(r.post("/api/v1/assignments/%s/vote" % held["id"], {"choice": "a"}), 410, "gone")
        # recorded, votes kept, name free again
        row = self.q("SELECT deleted_slug, deleted_by IS NOT NULL, status, (SELECT count(*) FROM votes v "
                     "WHERE v.project_id = p.id) FROM projects p WHERE deleted_slug = 'gone-p'")
        self.assertEqual(row, [["gone-p", "t", "closed", "1"]])
        self.project("gone-p")
        self.assertEqual(self.admin.get("/api/v1/projects/gone-p").status, 200)

    def test_delete_item_keeps_votes_out_of_rankings(self):
        self.project("gone-i", overlap=2)
        self.upload("gone-i", items(3, "gi"))
        a, b = self.user("gi-a"), self.user("gi-b")
        for _ in range(3):
            got = a.get("/api/v1/projects/gone-i/next").json
            self.assertEqual(a.post("/api/v1/assignments/%s/vote" % got["id"], {"choice": "a"}).status, 201)
        held = b.get("/api/v1/projects/gone-i/next").json  # b holds one
        item = self.q("SELECT i.ext_id FROM assignments x JOIN comparisons c ON c.id = x.comparison_id "
                      "JOIN items i ON i.id = c.item_id WHERE x.token = '%s'" % held["id"])[0][0]
        self.assertEqual(self.admin.get("/api/v1/projects/gone-i/leaderboard").json["votes"], 3)
        self.assertError(a.delete("/api/v1/projects/gone-i/items/%s" % item), 403, "forbidden")
        d = self.admin.delete("/api/v1/projects/gone-i/items/%s" % item)
        self.assertEqual(d.status, 200, d)
        self.assertEqual((d.json["id"], d.json["votes_kept"], d.json["votes_excluded"]), (item, 1, 1))
        self.assertError(self.admin.delete("/api/v1/projects/gone-i/items/%s" % item), 404, "not_found")
        self.assertError(self.admin.delete("/api/v1/projects/gone-i/items/nope"), 404, "not_found")
        self.assertError(self.admin.delete("/api/v1/projects/nope/items/x"), 404, "not_found")
        # out of rankings and exports, kept for the rater's statistics, out of the list
        self.assertEqual(self.admin.get("/api/v1/projects/gone-i/leaderboard").json["votes"], 2)
        export = self.admin.get("/api/v1/projects/gone-i/votes?format=jsonl").body.decode().strip().splitlines()
        self.assertEqual(len(export), 2)
        self.assertNotIn(item, [json.loads(x)["prompt_id"] for x in export])
        raters = self.admin.get("/api/v1/projects/gone-i/raters").json["items"]
        self.assertEqual([x["votes"] for x in raters if x["rater"] == "gi-a"], [3])
        listed = [x["id"] for x in self.admin.get("/api/v1/projects/gone-i/items").json["items"]]
        self.assertNotIn(item, listed)
        self.assertEqual(len(listed), 2)
        row = self.q("SELECT deleted_at IS NOT NULL, deleted_by IS NOT NULL FROM items WHERE ext_id = '%s'" % item)
        self.assertEqual(row, [["t", "t"]])
        # b's open assignment on it is closed; nobody is given it again
        self.assertError(b.post("/api/v1/assignments/%s/vote" % held["id"], {"choice": "a"}), 410, "gone")
        seen = set()
        while True:
            got = b.get("/api/v1/projects/gone-i/next")
            if got.status == 204:
                break
            seen.add(got.json["prompt"]["text"])
            self.assertEqual(b.post("/api/v1/assignments/%s/vote" % got.json["id"], {"choice": "b"}).status, 201)
        self.assertEqual(len(seen), 2)
        self.assertNotIn("prompt %s" % item.split("-")[1], seen)
        pid = self.q("SELECT id FROM projects WHERE slug = 'gone-i'")[0][0]
        self.assertEqual(self.q("SELECT (SELECT sum(open) FROM project_counts WHERE project_id = %s) = "
                                "(SELECT sum(2 - taken) FROM comparisons WHERE project_id = %s AND gold IS NULL "
                                "AND NOT withdrawn)" % (pid, pid)), [["t"]])
