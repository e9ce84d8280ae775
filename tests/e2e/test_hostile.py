"""Hostile clients: bytes that are not UTF-8, strict HTTP/1.1 framing, slow clients holding
connections (slowloris), and mutated requests thrown at a live server. Every answer must be in
the API's JSON error shape and none a 5xx for the client's own mistake."""

import json
import random
import selectors
import socket
import threading
import time

from prefdtest import Client, PrefdCase, parse_responses, raw_http


def one_response(port, data, timeout=10):
    """Sends raw bytes on a fresh connection; returns the one (status, headers, body) answer."""
    out = parse_responses(raw_http(port, data, timeout=timeout))
    if len(out) != 1:
        raise AssertionError("expected one response to %r, got %r" % (data[:200], out))
    return out[0]


class Utf8Test(PrefdCase):
    """Invalid UTF-8 anywhere gives 400 bad_request naming where it was, never 500."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        r = cls.admin.post("/api/v1/projects", {"slug": "u8", "title": "UTF-8"})
        assert r.status == 201, r

    def assertBad(self, r, name):
        body = self.assertError(r, 400, "bad_request")
        self.assertIn(name, body["error"]["message"])
        return body

    def test_issue_examples(self):
        a = self.admin
        rater = self.user("u8-rater")
        cases = [
            (a.get("/api/v1/%ff"), "path"),
            (a.get("/static/%ff"), "path"),
            (a.get("/api/v1/projects/%ff"), "slug"),
            (a.patch("/api/v1/users/%ff", {"disabled": True}), "name"),
            (rater.post("/api/v1/assignments/%ff/skip", {}), "id"),
            (a.get("/api/v1/projects/u8/leaderboard?anchor=%ff"), "anchor"),
            (a.get("/api/v1/projects/u8/votes?language=%c3"), "language"),
        ]
        for r, name in cases:
            body = self.assertBad(r, name)
            self.assertEqual(body["error"]["details"], {"parameter": name}, r)
        # a Content-Type header holding byte 0xFF
        req = (b"POST /api/v1/projects HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + self.admin_token.encode()
               + b"\r\nContent-Type: application/json\xff\r\nContent-Length: 2\r\n\r\n{}")
        status, headers, body = one_response(self.server.port, req)
        self.assertEqual(status, 400)
        err = json.loads(body)["error"]
        self.assertEqual(err["code"], "bad_request")
        self.assertIn("Content-Type", err["message"])

    def test_more_places(self):
        a = self.admin
        # overlong forms, surrogates, cut sequences; in names and values; in every parameter
        for q in ("anchor=%c0%af", "category=%ed%a0%80", "language=%f4%90%80%80", "%ff=1",
                  "since=%e4%b8", "seed=1&ties=%c3"):
            r = a.get("/api/v1/projects/u8/leaderboard?" + q)
            self.assertError(r, 400, "bad_request")
        self.assertBad(a.get("/api/v1/projects/u8/raters?cursor=%ff"), "cursor")
        self.assertBad(a.get("/api/v1/projects?limit=%80"), "limit")
        self.assertBad(a.get("/api/v1/projects/u8/matrix?x=%zz"), "x")
        # UTF-8 itself passes through to a normal answer
        r = a.get("/api/v1/projects/u8/leaderboard?language=%E4%B8%AD%E6%96%87&category=caf%C3%A9")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["filters"]["language"], "\u4e2d\u6587")
        self.assertError(a.get("/api/v1/projects/caf%C3%A9"), 404, "not_found")
        # unknown paths that are not UTF-8 are refused, not echoed raw
        self.assertBad(Client(self.server.url).get("/nowhere/%fe%ff"), "path")
        self.assertBad(a.request("PUT", "/api/v1/projects/%ff"), "path")

    def test_echoed_values_are_safe(self):
        # A value echoed in a message is made valid UTF-8 (U+FFFD) rather than breaking the JSON.
        r = self.admin.post("/api/v1/projects", raw=b"{}", content_type="text/plain; x=\xc3\xa9")
        body = self.assertError(r, 415, "unsupported_media_type")
        self.assertIn("\u00e9", body["error"]["message"])
        # a name long enough to be cut inside a character by the message's bound
        r = self.admin.get("/api/v1/projects/u8/leaderboard?" + "%C3%A9" * 700 + "=1")
        self.assertError(r, 400, "bad_request")
        r = self.admin.get("/api/v1/" + "%C3%A9" * 700)
        body = self.assertError(r, 404, "not_found")
        r.body.decode("utf-8")  # strict: raises on anything that is not UTF-8
        # nothing answered 500, and the server is fine
        self.assertNotIn("status=500", self.server.read_log())
        self.assertEqual(Client(self.server.url).get("/healthz").status, 200)
