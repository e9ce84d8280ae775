"""Projects and item uploads: both shapes, per-line errors, all-or-nothing, partial, idempotence."""

import json
import socket

from prefdtest import Client, PrefdCase, parse_responses, psql


def item(i, models=("m1", "m2"), **extra):
    d = {"id": "p-%d" % i, "prompt": "Prompt %d" % i,
         "responses": [{"model": m, "text": "answer %d from %s" % (i, m)} for m in models]}
    d.update(extra)
    return d


class ProjectsTest(PrefdCase):
    def test_create_get_update(self):
        p = self.project("proj-a", guidelines="v1 text", overlap=3, flags=["unsafe", "wrong"],
                         outcomes=["a", "b", "tie"], rationale="required", lease_seconds=120, gold_rate=0.1)
        self.assertEqual(p["slug"], "proj-a")
        self.assertEqual(p["guidelines_version"], 1)
        self.assertEqual(p["overlap"], 3)
        self.assertEqual(p["outcomes"], ["a", "b", "tie"])
        self.assertEqual(p["raters"], "all")
        self.assertError(self.admin.post("/api/v1/projects", {"slug": "proj-a", "title": "again"}), 409, "conflict")
        r = self.admin.patch("/api/v1/projects/proj-a", {"guidelines": "v2 text", "status": "paused"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["guidelines_version"], 2)
        self.assertEqual(r.json["status"], "paused")
        # the same text again is not a new version
        r = self.admin.patch("/api/v1/projects/proj-a", {"guidelines": "v2 text"})
        self.assertEqual(r.json["guidelines_version"], 2)
        self.assertEqual(psql(self.db, "SELECT version, text FROM guidelines g JOIN projects p ON p.id = g.project_id "
                                       "WHERE p.slug = 'proj-a' ORDER BY version"),
                         [["1", "v1 text"], ["2", "v2 text"]])
        self.assertEqual(self.admin.get("/api/v1/projects/proj-a").json["guidelines"], "v2 text")
        self.assertError(self.admin.get("/api/v1/projects/nope"), 404, "not_found")
        self.assertError(self.admin.patch("/api/v1/projects/nope", {"title": "x"}), 404, "not_found")
        self.assertError(self.admin.patch("/api/v1/projects/proj-a", {"outcomes": ["a", "tie"]}),
                         422, "validation_failed")
        self.assertError(self.admin.patch("/api/v1/projects/proj-a", {"status": "done"}), 422, "validation_failed")
        self.assertError(self.admin.patch("/api/v1/projects/proj-a", {"overlap": 0}), 422, "validation_failed")
        self.assertError(self.admin.patch("/api/v1/projects/proj-a", {"gold_rate": 2}), 422, "validation_failed")
        self.assertError(self.admin.patch("/api/v1/projects/proj-a", {"slug": "x"}), 422, "validation_failed")

    def test_guidelines_html(self):
        """guidelines_html is the guidelines rendered by markdown.c, the renderer of answers: raw
        HTML shown as text, emphasis rendered; the source stays in guidelines for the editor."""
        text = ("## Rules\n\n- Judge **correctness** first, *then* style.\n"
                "- <script>alert(1)</script> and <b>bold</b> stay text.\n"
                "- [a bad link](javascript:alert(2)) and O(n1*n2) as written.\n")
        p = self.project("guide-html", guidelines=text)
        self.assertEqual(p["guidelines"], text)
        html = p["guidelines_html"]
        for part in ("<h2>Rules</h2>", "<strong>correctness</strong>", "<em>then</em>",
                     "&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;b&gt;bold&lt;/b&gt;", "O(n1*n2)"):
            self.assertIn(part, html)
        for part in ("<script", "<b>", "javascript:"):
            self.assertNotIn(part, html)
        rater = self.user("guide-reader")
        got = rater.get("/api/v1/projects/guide-html").json
        self.assertEqual((got["guidelines"], got["guidelines_html"]), (text, html))
        # an answer of the same text is rendered the same: one renderer
        r = self.upload("guide-html", [{"id": "g-1", "prompt": "p", "responses": [
            {"model": "m1", "text": text}, {"model": "m2", "text": text}]}])
        self.assertEqual(r.status, 200, r)
        a = rater.get("/api/v1/projects/guide-html/next").json
        self.assertEqual((a["left"]["html"], a["right"]["html"]), (html, html))
        # the admin page's preview asks the same renderer
        r = self.admin.post("/api/v1/markdown", {"text": text})
        self.assertEqual((r.status, r.json), (200, {"html": html}))
        self.assertEqual(self.admin.post("/api/v1/markdown", {"text": ""}).json, {"html": ""})
        self.assertError(rater.post("/api/v1/markdown", {"text": text}), 403, "forbidden")
        self.assertError(self.admin.post("/api/v1/markdown", {"text": 5}), 422, "validation_failed")
        self.assertError(self.admin.post("/api/v1/markdown", {}), 422, "validation_failed")
        self.assertError(self.admin.post("/api/v1/markdown", {"text": "x", "more": 1}), 422, "validation_failed")
        self.assertError(self.admin.post("/api/v1/markdown", {"text": "x" * 200001}), 422, "validation_failed")
        # a change is rendered anew; no guidelines, no HTML
        r = self.admin.patch("/api/v1/projects/guide-html", {"guidelines": "*plain* & simple"})
        self.assertEqual(r.json["guidelines_html"], "<p><em>plain</em> &amp; simple</p>\n")
        self.assertEqual(rater.get("/api/v1/projects/guide-html").json["guidelines_html"],
                         "<p><em>plain</em> &amp; simple</p>\n")
        self.assertEqual(self.project("guide-none")["guidelines_html"], "")

    def test_rater_visibility(self):
        r1 = self.user("vis-1")
        r2 = self.user("vis-2")
        r3 = self.user("vis-3")
        self.project("open-all")
        self.project("only-r1", raters=["vis-1"], reviewers=["vis-2"])
        self.project("closed-one", status="closed")
        self.assertError(self.admin.post("/api/v1/projects", {"slug": "x1", "title": "x", "raters": ["ghost"]}),
                         422, "validation_failed")
        self.assertError(self.admin.get("/api/v1/projects/x1"), 404, "not_found")  # nothing half-made
        seen1 = {p["slug"] for p in r1.get("/api/v1/projects?limit=1000").json["items"]}
        seen2 = {p["slug"]: p for p in r2.get("/api/v1/projects?limit=1000").json["items"]}
        seen3 = {p["slug"] for p in r3.get("/api/v1/projects?limit=1000").json["items"]}
        self.assertIn("only-r1", seen1)
        self.assertNotIn("only-r1", seen3)
        self.assertNotIn("closed-one", seen1)
        self.assertIn("open-all", seen3)
        self.assertEqual(r3.get("/api/v1/projects/only-r1").status, 404)
        # a reviewer sees the project to review it, and may not rate there
        self.assertEqual((seen2["only-r1"]["may_rate"], seen2["only-r1"]["may_review"]), (False, True))
        self.assertEqual((seen2["open-all"]["may_rate"], seen2["open-all"]["may_review"]), (True, False))
        self.assertError(r2.get("/api/v1/projects/only-r1/next"), 403, "forbidden")
        p = r1.get("/api/v1/projects/only-r1").json
        self.assertEqual((p["may_rate"], p["may_review"]), (True, False))
        self.assertNotIn("raters", p)  # raters do not see who else rates or reviews
        p = self.admin.get("/api/v1/projects/only-r1").json
        self.assertEqual(p["raters"], ["vis-1"])
        self.assertEqual(p["reviewers"], ["vis-2"])
        r = self.admin.patch("/api/v1/projects/only-r1", {"raters": "all"})
        self.assertEqual(r.json["raters"], "all")
        self.assertEqual(r3.get("/api/v1/projects/only-r1").status, 200)
        self.assertTrue(self.admin.get("/api/v1/projects/only-r1").json["may_review"])


class ItemsTest(PrefdCase):
    def test_upload_shapes(self):
        self.project("shapes")
        r = self.upload("shapes", [
            item(1, ("a", "b", "c"), category="math", language="en", metadata={"source": "x"}),
            {"id": "pair-1", "prompt": "Q", "model_a": "a", "response_a": "", "model_b": "b",
             "response_b": "B says", "gold": "model_b", "gold_reason": "B is right"},
        ])
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json, {"accepted": 2, "unchanged": 0, "rejected": 0, "errors": []})
        rows = psql(self.db, "SELECT count(*) FROM comparisons c JOIN projects p ON p.id = c.project_id "
                             "WHERE p.slug = 'shapes'")
        self.assertEqual(rows[0][0], "4")  # 3 pairs from the three answers + 1 explicit pair
        rows = psql(self.db, "SELECT r.text FROM responses r JOIN items i ON i.id = r.item_id "
                             "WHERE i.ext_id = 'pair-1' ORDER BY r.position")
        self.assertEqual(rows, [[""], ["B says"]])  # an empty answer is kept as written
        prog = self.admin.get("/api/v1/projects/shapes/progress").json
        self.assertEqual(prog["prompts"], 1)
        self.assertEqual(prog["control_prompts"], 1)
        self.assertEqual(prog["models"], 3)
        self.assertEqual(prog["comparisons"], 3)
        self.assertEqual(prog["target_votes"], 3)

    def test_all_or_nothing(self):
        self.project("aon")
        lines = [item(1), item(2, ("x", "x")), "{not json", item(4), [1, 2], item(6, ("solo",)),
                 {"id": "p-7", "prompt": "", "responses": item(7)["responses"]},
                 {"id": "p-8", "prompt": "q", "responses": [{"model": "a"}, {"model": "b", "text": "t"}]},
                 {"id": "p-9", "prompt": "q", "responses": [{"model": "a", "text": "t"}, {"model": "b", "text": 5}]},
                 dict(item(10), gold="model_a"), dict(item(11), colour="red")]
        r = self.upload("aon", lines)
        self.assertEqual(r.status, 422, r)
        body = r.json
        self.assertEqual(body["error"]["code"], "validation_failed")
        # nothing was stored: no line counts as accepted; two were valid
        self.assertEqual(body["accepted"], 0)
        self.assertEqual(body["valid"], 2)
        self.assertEqual(body["rejected"], 9)
        self.assertEqual([e["line"] for e in body["errors"]], [2, 3, 5, 6, 7, 8, 9, 10, 11])
        by_line = {e["line"]: e for e in body["errors"]}
        self.assertEqual(by_line[3]["code"], "invalid_json")
        self.assertEqual(by_line[2]["id"], "p-2")
        self.assertIn("different models", by_line[2]["message"])
        self.assertIn("colour", by_line[11]["message"])
        self.assertEqual(psql(self.db, "SELECT count(*) FROM items i JOIN projects p ON p.id = i.project_id "
                                       "WHERE p.slug = 'aon'"), [["0"]])
        r = self.upload("aon", lines, partial=True)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["accepted"], 2)
        self.assertEqual(r.json["rejected"], 9)
        self.assertEqual(psql(self.db, "SELECT string_agg(ext_id, ',' ORDER BY ext_id) FROM items i "
                                       "JOIN projects p ON p.id = i.project_id WHERE p.slug = 'aon'"), [["p-1,p-4"]])

    def test_idempotent_and_conflict(self):
        self.project("idem")
        self.assertEqual(self.upload("idem", [item(1), item(2)]).json["accepted"], 2)
        # same content with other key order and spacing is unchanged
        same = '{"prompt": "Prompt 1", "id": "p-1", "responses": [{"text": "answer 1 from m1", "model": "m1"},' \
               ' {"model": "m2", "text": "answer 1 from m2"}]}'
        r = self.upload("idem", [same, item(3)])
        self.assertEqual(r.json, {"accepted": 1, "unchanged": 1, "rejected": 0, "errors": []})
        changed = dict(item(2), prompt="Different prompt")
        r = self.upload("idem", [changed, item(4)])
        self.assertEqual(r.status, 422)
        self.assertEqual(r.json["errors"][0]["code"], "conflict")
        self.assertEqual(r.json["errors"][0]["id"], "p-2")
        self.assertEqual(psql(self.db, "SELECT prompt FROM items i JOIN projects p ON p.id = i.project_id "
                                       "WHERE p.slug = 'idem' AND i.ext_id = 'p-2'"), [["Prompt 2"]])
        self.assertEqual(psql(self.db, "SELECT count(*) FROM items i JOIN projects p ON p.id = i.project_id "
                                       "WHERE p.slug = 'idem' AND i.ext_id = 'p-4'"), [["0"]])

    def test_json_array_body_and_chunked(self):
        self.project("arr")
        body = json.dumps([item(1), item(2), item(3)]).encode()
        r = self.admin.post("/api/v1/projects/arr/items", raw=body, content_type="application/json")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["accepted"], 3)
        # chunked upload, split in awkward places
        data = "\n".join(json.dumps(item(i)) for i in range(10, 60)).encode()
        chunks = b"".join(b"%x\r\n" % len(data[i:i + 97]) + data[i:i + 97] + b"\r\n" for i in range(0, len(data), 97))
        req = (b"POST /api/v1/projects/arr/items?partial=false HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
               + self.admin_token.encode() + b"\r\nContent-Type: application/x-ndjson\r\n"
               b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + chunks + b"0\r\n\r\n")
        s = socket.create_connection(("127.0.0.1", self.server.port), timeout=30)
        s.sendall(req)
        out = b""
        while True:
            b = s.recv(65536)
            if not b:
                break
            out += b
        s.close()
        (status, _, resp), = parse_responses(out)
        self.assertEqual(status, 200, resp)
        self.assertEqual(json.loads(resp)["accepted"], 50)

    def test_upload_errors(self):
        self.project("errs")
        self.assertError(self.upload("nope", [item(1)]), 404, "not_found")
        self.assertError(self.upload("errs", []), 400, "bad_request")
        self.assertError(self.admin.post("/api/v1/projects/errs/items?partial=maybe", raw=b"{}",
                                         content_type="application/x-ndjson"), 400, "bad_request")
        rater = self.user("upload-rater")
        self.assertError(self.upload("errs", [item(1)], client=rater), 403, "forbidden")
        r = self.admin.post("/api/v1/projects/errs/items", raw=b"[" + json.dumps(item(1)).encode(),
                            content_type="application/json")
        self.assertError(r, 400, "invalid_json")
        self.assertEqual(psql(self.db, "SELECT count(*) FROM items WHERE ext_id = 'p-1' AND project_id = "
                                       "(SELECT id FROM projects WHERE slug = 'errs')"), [["0"]])

    def test_vicuna(self):
        self.project("vicuna")
        r = self.upload_vicuna("vicuna")
        self.assertEqual(r["accepted"], 80)
        prog = self.admin.get("/api/v1/projects/vicuna/progress").json
        self.assertEqual((prog["prompts"], prog["models"], prog["comparisons"]), (80, 5, 800))
        self.assertEqual(self.upload_vicuna("vicuna")["unchanged"], 80)


class UploadLimitsTest(PrefdCase):
    server_env = {"PREFD_MAX_UPLOAD": "200k", "PREFD_MAX_LINE": "4k", "PREFD_MAX_TEXT": "2k"}

    def test_limits(self):
        self.project("lim")
        r = self.upload("lim", [item(1, ("a", "b")), dict(item(2), prompt="x" * 3000)])
        self.assertEqual(r.status, 422, r)
        self.assertIn("longer than 2048", r.json["errors"][0]["message"])
        r = self.upload("lim", [item(1), json.dumps(item(3)) + " " * 5000])
        self.assertError(r, 413, "payload_too_large")
        lines = [item(i, ("a", "b")) for i in range(3000)]
        r = self.upload("lim", lines)
        self.assertError(r, 413, "payload_too_large")
        self.assertEqual(psql(self.db, "SELECT count(*) FROM items"), [["0"]])
