"""HTTP conformance and the API's error replies: every failure gets the JSON error shape."""

import json
import socket
import time

from prefdtest import Client, PrefdCase, parse_responses, raw_http


class HttpTest(PrefdCase):
    server_env = {"PREFD_MAX_BODY": "4k", "PREFD_MAX_HEADER": "2k", "PREFD_READ_TIMEOUT": "1s",
                  "PREFD_MAX_UPLOAD": "64k", "PREFD_MAX_LINE": "8k"}

    def test_health(self):
        r = Client(self.server.url).get("/healthz")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json, {"status": "ok"})
        self.assertIsNone(r.header("Strict-Transport-Security"))  # plain HTTP: not promised
        r = Client(self.server.url).get("/readyz")
        self.assertEqual(r.status, 200)
        self.assertTrue(r.json["database"])
        self.assertTrue(r.json["schema_current"])
        self.assertTrue(r.header("X-Request-Id"))

    def test_not_found_and_method(self):
        self.assertError(self.admin.get("/api/v1/nope"), 404, "not_found")
        self.assertError(self.admin.get("/api/v1/projects/"), 404, "not_found")
        r = self.admin.request("PUT", "/api/v1/projects", body={})
        self.assertError(r, 405, "method_not_allowed")
        self.assertEqual(r.header("Allow"), "POST, GET, HEAD")
        r = self.admin.delete("/healthz")
        self.assertError(r, 405, "method_not_allowed")

    def test_authentication(self):
        anon = Client(self.server.url)
        r = anon.get("/api/v1/projects")
        self.assertError(r, 401, "unauthorized")
        self.assertIn("Bearer", r.header("WWW-Authenticate"))
        self.assertError(Client(self.server.url, "pfd_wrong").get("/api/v1/me"), 401, "unauthorized")
        r = anon.get("/api/v1/me", headers={"Authorization": "Basic YTpi"})
        self.assertError(r, 401, "unauthorized")
        r = anon.get("/api/v1/me", headers={"Cookie": "prefd_session=pfs_expired"})
        self.assertError(r, 401, "unauthorized")

    def test_roles(self):
        rater = self.user("http-rater")
        self.assertError(rater.post("/api/v1/projects", {"slug": "x", "title": "x"}), 403, "forbidden")
        self.assertError(rater.get("/api/v1/users"), 403, "forbidden")
        analyst = self.user("http-analyst", "analyst")
        self.assertError(analyst.post("/api/v1/users", {"name": "z", "role": "rater"}), 403, "forbidden")
        self.assertEqual(analyst.get("/api/v1/projects").status, 200)

    def test_json_errors(self):
        a = self.admin
        r = a.post("/api/v1/projects", raw=b'{"slug": "x",', content_type="application/json")
        body = self.assertError(r, 400, "invalid_json")
        self.assertIn("line 1", body["error"]["message"])
        r = a.post("/api/v1/projects", raw=b'{"slug":"a","slug":"b","title":"t"}', content_type="application/json")
        self.assertError(r, 400, "invalid_json")  # duplicate keys are rejected
        self.assertError(a.post("/api/v1/projects", raw=b"", content_type="application/json"), 400, "invalid_json")
        self.assertError(a.post("/api/v1/projects", raw=b"[1]", content_type="application/json"),
                         422, "validation_failed")
        r = a.post("/api/v1/projects", {"slug": "ok-slug"})
        body = self.assertError(r, 422, "validation_failed")
        self.assertEqual(body["error"]["details"]["field"], "title")
        r = a.post("/api/v1/projects", {"slug": "ok-slug", "title": "T", "overlap": "2"})
        body = self.assertError(r, 422, "validation_failed")
        self.assertEqual(body["error"]["details"]["field"], "overlap")
        r = a.post("/api/v1/projects", {"slug": "Bad Slug", "title": "T"})
        self.assertError(r, 422, "validation_failed")
        r = a.post("/api/v1/projects", {"slug": "s", "title": "T", "overlpa": 1})
        body = self.assertError(r, 422, "validation_failed")
        self.assertIn("overlpa", body["error"]["message"])
        r = a.post("/api/v1/projects", raw=b"\xff\xfe{}", content_type="application/json")
        self.assertError(r, 400, "invalid_json")

    def test_content_type(self):
        r = self.admin.post("/api/v1/projects", raw=b'{"slug":"x","title":"x"}', content_type="text/plain")
        self.assertError(r, 415, "unsupported_media_type")
        r = self.admin.post("/api/v1/projects/x/items", raw=b"{}", content_type="text/csv")
        self.assertError(r, 415, "unsupported_media_type")

    def test_body_too_large(self):
        big = {"slug": "big", "title": "x" * 5000}
        self.assertError(self.admin.post("/api/v1/projects", big), 413, "payload_too_large")
        # chunked bodies are counted as they arrive
        data = json.dumps(big).encode()
        req = (b"POST /api/v1/projects HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + self.admin_token.encode()
               + b"\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
               + b"%x\r\n" % len(data) + data + b"\r\n0\r\n\r\n")
        (status, headers, body), = parse_responses(raw_http(self.server.port, req))
        self.assertEqual(status, 413)
        self.assertEqual(json.loads(body)["error"]["code"], "payload_too_large")

    def test_headers_too_large(self):
        req = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 3000 + b"\r\n\r\n"
        (status, headers, body), = parse_responses(raw_http(self.server.port, req))
        self.assertEqual(status, 431)
        self.assertEqual(json.loads(body)["error"]["code"], "payload_too_large")

    def test_malformed_request(self):
        for req in (b"GARBAGE\r\n\r\n", b"GET /x HTTP/3.0\r\n\r\n",
                    b"POST /api/v1/projects HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
                    b"POST /api/v1/projects HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
                    b"GET /a%zz HTTP/1.1\r\n\r\n"):
            (status, headers, body), = parse_responses(raw_http(self.server.port, req))
            self.assertEqual(status, 400, req)
            self.assertEqual(json.loads(body)["error"]["code"], "bad_request")
        # a transfer coding prefd does not decode is the client's mistake here, not a 501
        (status, headers, body), = parse_responses(raw_http(
            self.server.port, b"POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n"))
        self.assertEqual(status, 400)

    def test_keep_alive_and_pipelining(self):
        reqs = b"".join(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n" for _ in range(3))
        reqs += b"GET /api/v1/nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        out = parse_responses(raw_http(self.server.port, reqs))
        self.assertEqual([s for s, _, _ in out], [200, 200, 200, 404])
        ids = {h["x-request-id"] for _, h, _ in out}
        self.assertEqual(len(ids), 4)
        # HTTP/1.0 closes by default, and a given request id is echoed
        out = parse_responses(raw_http(self.server.port, b"GET /healthz HTTP/1.0\r\nX-Request-Id: trace-42\r\n\r\n"))
        self.assertEqual(out[0][0], 200)
        self.assertEqual(out[0][1]["connection"], "close")
        self.assertEqual(out[0][1]["x-request-id"], "trace-42")

    def test_head(self):
        data = raw_http(self.server.port, b"HEAD /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        head, _, body = data.partition(b"\r\n\r\n")
        self.assertIn(b"200 OK", head)
        self.assertIn(b"Content-Length: 16", head)
        self.assertEqual(body, b"")

    def test_expect_continue(self):
        body = json.dumps({"slug": "expect", "title": "Expect"}).encode()
        s = socket.create_connection(("127.0.0.1", self.server.port), timeout=10)
        s.sendall(b"POST /api/v1/projects HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + self.admin_token.encode()
                  + b"\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: "
                  + str(len(body)).encode() + b"\r\n\r\n")
        first = s.recv(100)
        self.assertTrue(first.startswith(b"HTTP/1.1 100 Continue\r\n\r\n"), first)
        s.sendall(body)
        rest = first[len(b"HTTP/1.1 100 Continue\r\n\r\n"):]
        while b"\r\n\r\n" not in rest:
            rest += s.recv(4096)
        s.close()
        self.assertIn(b"201 Created", rest)
        # a request refused before its body is read gets no 100 Continue
        s = socket.create_connection(("127.0.0.1", self.server.port), timeout=10)
        s.sendall(b"POST /api/v1/projects HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Expect: 100-continue\r\nContent-Length: 20\r\n\r\n")
        reply = s.recv(4096)
        s.close()
        self.assertTrue(reply.startswith(b"HTTP/1.1 401"), reply)

    def test_slow_request_times_out(self):
        s = socket.create_connection(("127.0.0.1", self.server.port), timeout=10)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # never finished
        t0 = time.time()
        data = b""
        while True:
            b = s.recv(4096)
            if not b:
                break
            data += b
        s.close()
        self.assertLess(time.time() - t0, 8)
        (status, headers, body), = parse_responses(data)
        self.assertEqual(status, 408)
        self.assertEqual(json.loads(body)["error"]["code"], "bad_request")

    def test_metrics(self):
        self.admin.get("/api/v1/me")
        r = Client(self.server.url).get("/metrics")
        self.assertEqual(r.status, 200)
        text = r.body.decode()
        self.assertIn('prefd_http_requests_total{method="GET",route="/api/v1/me",status="200"}', text)
        self.assertIn("prefd_http_request_duration_seconds_bucket", text)
        self.assertIn('prefd_db_connections{state="up"} 4', text)
