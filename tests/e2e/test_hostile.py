"""Hostile clients: bytes that are not UTF-8, strict HTTP/1.1 framing, slow clients holding
connections (slowloris), and mutated requests thrown at a live server. Every answer must be in
the API's JSON error shape and none a 5xx for the client's own mistake."""

import json
import random
import selectors
import socket
import threading
import time

from prefdtest import Client, PrefdCase, Server, parse_responses, raw_http, read_until_close


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
        # an unknown field whose name is cut inside a character in the details
        r = self.admin.post("/api/v1/projects", {"slug": "x", "title": "t", "\u00e9" * 40: 1})
        body = self.assertError(r, 422, "validation_failed")
        self.assertTrue(body["error"]["details"]["field"].startswith("\u00e9" * 31))
        # nothing answered 500, and the server is fine
        self.assertNotIn("status=500", self.server.read_log())
        self.assertEqual(Client(self.server.url).get("/healthz").status, 200)


def read_reply(sock, timeout=10):
    """Reads one complete response (Content-Length framed) from an open socket."""
    sock.settimeout(timeout)
    data = b""
    while True:
        head, sep, rest = data.partition(b"\r\n\r\n")
        if sep:
            n = 0
            for line in head.split(b"\r\n")[1:]:
                k, _, v = line.partition(b":")
                if k.strip().lower() == b"content-length":
                    n = int(v)
            if len(rest) >= n:
                return parse_responses(data)[0]
        b = sock.recv(65536)
        if not b:
            return parse_responses(data)[0] if data else None
        data += b


class FramingTest(PrefdCase):
    """RFC 9112 framing, strictly: what used to hang, be misread or wait for the timeout."""

    server_env = {"PREFD_READ_TIMEOUT": "2s", "PREFD_HEAD_TIMEOUT": "5s"}

    def post_head(self, extra):
        return (b"POST /api/v1/projects HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer "
                + self.admin_token.encode() + b"\r\nContent-Type: application/json\r\n" + extra + b"\r\n")

    def assertQuick400(self, data, why=None):
        t0 = time.time()
        status, headers, body = one_response(self.server.port, data, timeout=10)
        self.assertLess(time.time() - t0, 1.5, data)  # answered, not timed out
        self.assertEqual(status, 400, (data, body))
        err = json.loads(body)["error"]
        self.assertEqual(err["code"], "bad_request")
        if why:
            self.assertIn(why, err["message"])

    def test_chunk_sizes(self):
        body = b'{"slug":"c1","title":"t"}'
        good = self.post_head(b"Transfer-Encoding: chunked\r\n") + b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n"
        status, _, _ = one_response(self.server.port, good)
        self.assertEqual(status, 201)
        # hex digits only: strtoull took "-1" (and hung), " +2" and "0x2"
        for size in (b"-1", b" +2", b"0x2", b"+2", b" 2", b"2 x", b"", b"g"):
            data = self.post_head(b"Transfer-Encoding: chunked\r\n") + size + b"\r\n{}\r\n0\r\n\r\n"
            self.assertQuick400(data)
        # bare LF in the framing, data longer than its size, a chunk too large
        for chunks in (b"2\n{}\r\n0\r\n\r\n", b"1\r\n{}\r\n0\r\n\r\n", b"fffffffffffffffff\r\n"):
            self.assertQuick400(self.post_head(b"Transfer-Encoding: chunked\r\n") + chunks)
        # extensions and trailers are read and dropped
        body = b'{"slug":"c2","title":"t"}'
        data = (self.post_head(b"Transfer-Encoding: chunked\r\n") + b"%x;ext=1\r\n" % len(body) + body
                + b"\r\n0\r\nX-Trailer: 1\r\n\r\n")
        self.assertEqual(one_response(self.server.port, data)[0], 201)

    def test_transfer_encoding_rules(self):
        for te in (b"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n",
                   b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n",
                   b"Transfer-Encoding: gzip\r\n",
                   b"Transfer-Encoding: chunked, gzip\r\n",
                   b"Transfer-Encoding: gzip, chunked\r\n",
                   b"Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n",  # the second one counts
                   b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
                   b"Transfer-Encoding: identity\r\n"):
            self.assertQuick400(self.post_head(te) + b"0\r\n\r\n")
        self.assertQuick400(b"POST /api/v1/projects HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
        # Host: exactly one in HTTP/1.1
        self.assertQuick400(b"GET /healthz HTTP/1.1\r\n\r\n", "Host")
        self.assertQuick400(b"GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", "Host")
        self.assertQuick400(b"GET /healthz HTTP/1.1\r\nHost: a b\r\n\r\n", "Host")
        self.assertEqual(one_response(self.server.port, b"GET /healthz HTTP/1.0\r\n\r\n")[0], 200)

    def test_lf_then_crlf_ends_the_head(self):
        # This head used to be accepted by the parser but left waiting for the timeout.
        s = socket.create_connection(("127.0.0.1", self.server.port), timeout=10)
        t0 = time.time()
        s.sendall(b"GET /healthz HTTP/1.1\nHost: x\n\r\n")
        status, headers, body = read_reply(s)
        elapsed = time.time() - t0
        s.close()
        self.assertEqual(status, 200)
        self.assertLess(elapsed, 1.0)
        # and it is read incrementally: the three bytes of the end arriving one by one
        s = socket.create_connection(("127.0.0.1", self.server.port), timeout=10)
        for part in (b"GET /healthz HTTP/1.1\r\nHost: x\r", b"\n", b"\r", b"\n"):
            s.sendall(part)
            time.sleep(0.05)
        self.assertEqual(read_reply(s)[0], 200)
        s.close()

    def test_half_closed_pipeline_is_answered(self):
        # A client that sends its requests and ends its side (shutdown) gets every answer: the
        # end of its input used to drop the replies still queued and the requests still buffered.
        reqs = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n" * 20 + b"GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n"
        for _ in range(5):
            s = socket.create_connection(("127.0.0.1", self.server.port), timeout=10)
            s.sendall(reqs)
            s.shutdown(socket.SHUT_WR)
            data = read_until_close(s)
            s.close()
            self.assertEqual([st for st, _, _ in parse_responses(data)], [200] * 20 + [404])
        # An error answered while the client is still sending is not lost to a reset: the server
        # reads and drops the rest for a moment before it closes (a lingering close).
        s = socket.create_connection(("127.0.0.1", self.server.port), timeout=10)
        s.sendall(b"POST /api/v1/projects HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
                  b"Content-Length: 300000\r\n\r\n")
        try:
            for _ in range(30):
                s.sendall(b"x" * 10000)
        except OSError:
            pass
        status, headers, body = read_reply(s)
        s.close()
        self.assertEqual(status, 415)
        self.assertEqual(json.loads(body)["error"]["code"], "unsupported_media_type")

    def test_short_body_gets_408(self):
        # A body shorter than its Content-Length: 408 in the API's shape, then the close.
        s = socket.create_connection(("127.0.0.1", self.server.port), timeout=15)
        t0 = time.time()
        s.sendall(self.post_head(b"Content-Length: 50\r\n") + b'{"slug":')
        status, headers, body = read_reply(s)
        elapsed = time.time() - t0
        self.assertEqual(s.recv(100), b"")  # then closed
        s.close()
        self.assertEqual(status, 408)
        self.assertEqual(json.loads(body)["error"]["code"], "bad_request")
        self.assertEqual(headers.get("connection"), "close")
        self.assertGreater(elapsed, 1.5)  # after the read timeout (2 s), not before
        self.assertLess(elapsed, 4.0)
        # the client ending its side early gets its answer (400) instead of a silent close
        s = socket.create_connection(("127.0.0.1", self.server.port), timeout=15)
        s.sendall(self.post_head(b"Content-Length: 50\r\n") + b'{"slug":')
        s.shutdown(socket.SHUT_WR)
        status, headers, body = read_reply(s)
        s.close()
        self.assertEqual(status, 400)
        self.assertIn("completely", json.loads(body)["error"]["message"])
        # the same for a streamed upload, and for a chunked body cut short
        for head, part in ((b"POST /api/v1/projects/none/items HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                            + self.admin_token.encode() + b"\r\nContent-Type: application/x-ndjson\r\n"
                            b"Content-Length: 500\r\n\r\n", b'{"id": "1"'),
                           (self.post_head(b"Transfer-Encoding: chunked\r\n"), b"20\r\n{\"slug\"")):
            s = socket.create_connection(("127.0.0.1", self.server.port), timeout=15)
            s.sendall(head + part)
            got = read_reply(s)
            s.close()
            self.assertIsNotNone(got)
            self.assertIn(got[0], (404, 408))  # the upload's project does not exist: 404 may come first
            self.assertTrue(json.loads(got[2])["error"]["code"])


def connect_from(source, port, timeout=2):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.bind((source, 0))
    s.connect(("127.0.0.1", port))
    return s


class Slowloris:
    """Keeps `per_source` connections open from each source address, sending one byte of an
    endless head every `interval` seconds, and opens a new one whenever the server closes one."""

    def __init__(self, port, sources, per_source, interval=0.5, rate=300):
        self.port, self.sources, self.per_source, self.interval = port, sources, per_source, interval
        self.rate = rate  # new connections per second at most: slow, not a flood
        self.sel = selectors.DefaultSelector()
        self.open = {}  # socket -> (source, next send time)
        self.stop_flag = threading.Event()
        self.closed_by_server = 0
        self.opened = 0
        self.max_open = 0
        self.last_refill = time.time() - 0.2
        self.thread = threading.Thread(target=self.run, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.stop_flag.set()
        self.thread.join()
        for s in list(self.open):
            s.close()
        self.sel.close()

    def count(self, source):
        return sum(1 for src, _ in self.open.values() if src == source)

    def refill(self):
        now = time.time()
        budget = int((now - self.last_refill) * self.rate)
        if budget <= 0:
            return
        self.last_refill = now
        for src in self.sources:
            while budget and self.count(src) < self.per_source:
                budget -= 1
                try:
                    s = connect_from(src, self.port)
                    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                    s.setblocking(False)
                except OSError:
                    continue
                self.opened += 1
                self.open[s] = (src, time.time() + self.interval)
                self.sel.register(s, selectors.EVENT_READ)

    def drop(self, s):
        self.sel.unregister(s)
        del self.open[s]
        s.close()
        self.closed_by_server += 1

    def run(self):
        while not self.stop_flag.is_set():
            self.refill()
            self.max_open = max(self.max_open, len(self.open))
            for key, _ in self.sel.select(timeout=0.05):
                s = key.fileobj
                try:
                    if not s.recv(4096):
                        self.drop(s)  # closed (a 408, a 429, or evicted)
                except BlockingIOError:
                    pass
                except OSError:
                    self.drop(s)
            now = time.time()
            for s, (src, due) in list(self.open.items()):
                if now >= due:
                    try:
                        s.send(b"a")
                        self.open[s] = (src, now + self.interval)
                    except BlockingIOError:
                        pass
                    except OSError:
                        self.drop(s)


def metric(text, name):
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    raise AssertionError("no metric %s" % name)


class CapacityTest(PrefdCase):
    """Slow clients cannot take every connection: a head has a deadline, a body a minimum rate,
    one address a cap, and a full server reclaims the connection waiting longest."""

    server_env = {"PREFD_MAX_CONNS": "64", "PREFD_MAX_CONNS_PER_ADDR": "16", "PREFD_HEAD_TIMEOUT": "3s",
                  "PREFD_READ_TIMEOUT": "2s", "PREFD_MIN_BODY_RATE": "1k", "PREFD_LOG_LEVEL": "warn"}

    def normal_client(self, seconds, gap=0.1):
        """A client from 127.0.0.1 asking /healthz meanwhile. Returns the waits (s), the failures
        and the most connections the server had open at any sample (from /metrics)."""
        waits, failures, most_open = [], 0, 0
        end = time.time() + seconds
        while time.time() < end:
            t0 = time.time()
            s = None
            try:
                s = connect_from("127.0.0.1", self.server.port, timeout=5)
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                got = read_reply(s, timeout=5)
                if not got or got[0] != 200:
                    failures += 1
            except OSError:
                failures += 1
            finally:
                if s:
                    s.close()
            waits.append(time.time() - t0)
            if len(waits) % 5 == 0:
                most_open = max(most_open, metric(self.metrics(), 'prefd_http_connections{state="open"}'))
            time.sleep(gap)
        return waits, failures, most_open

    def metrics(self):
        return Client(self.server.url).get("/metrics").body.decode()

    def report(self, what, attack, waits, failures, most_open):
        waits = sorted(waits)
        text = self.metrics()
        print("\n  %s: the server held at most %d connections open (the attacker's and this one), the "
              "attacker opened %d (%d closed by the server); a normal client made %d requests meanwhile, "
              "%d failed, waited median %.1f ms, max %.1f ms; server: %d evicted, %d refused per address, "
              "%d head timeouts"
              % (what, most_open, attack.opened, attack.closed_by_server, len(waits), failures,
                 1000 * waits[len(waits) // 2], 1000 * waits[-1],
                 metric(text, 'prefd_http_connections_total{event="evicted"}'),
                 metric(text, 'prefd_http_connections_total{event="refused_per_address"}'),
                 metric(text, 'prefd_http_timeouts_total{phase="head"}')), flush=True)

    def test_a_one_address(self):
        attack = Slowloris(self.server.port, ["127.0.0.2"], 100).start()
        try:
            time.sleep(1.0)
            waits, failures, most_open = self.normal_client(4)
        finally:
            attack.stop()
        self.report("slowloris from one address", attack, waits, failures, most_open)
        self.assertEqual(failures, 0)
        self.assertLess(max(waits), 0.5)
        self.assertGreater(most_open, 10)  # the attack did hold connections...
        self.assertLessEqual(most_open, 16 + 2)  # ...but only its address's 16 (+ this client's)
        self.assertGreater(attack.closed_by_server, 50)

    def test_b_many_addresses(self):
        # 8 addresses under the per-address cap together want twice the server's 64 slots.
        sources = ["127.0.1.%d" % i for i in range(1, 9)]
        evicted = metric(self.metrics(), 'prefd_http_connections_total{event="evicted"}')
        attack = Slowloris(self.server.port, sources, 16).start()
        try:
            time.sleep(1.0)
            waits, failures, most_open = self.normal_client(4)
        finally:
            attack.stop()
        self.report("slowloris from 8 addresses", attack, waits, failures, most_open)
        text = self.metrics()
        self.assertEqual(failures, 0)
        self.assertLess(max(waits), 0.5)
        self.assertGreaterEqual(most_open, 60)  # the server was full...
        self.assertGreater(metric(text, 'prefd_http_connections_total{event="evicted"}'), evicted + 100)  # ...made room

    def trickle(self, source, start, byte, gap, limit=10):
        """Sends start, then `byte` every `gap` seconds (never silent) until the server answers
        and closes; returns (status, error, seconds)."""
        s = connect_from(source, self.server.port, timeout=10)
        t0 = time.time()
        s.sendall(start)
        s.settimeout(gap)
        data = b""
        while time.time() - t0 < limit:
            try:
                b = s.recv(4096)
            except socket.timeout:
                try:
                    s.sendall(byte)
                except OSError:
                    break
                continue
            except OSError:
                break
            if not b:
                break
            data += b
        elapsed = time.time() - t0
        s.close()
        (status, headers, body), = parse_responses(data, strict=True)
        return status, json.loads(body)["error"], elapsed

    def test_c_head_deadline(self):
        # a header line every half second: never silent, never finished
        status, err, elapsed = self.trickle("127.0.0.3", b"GET /healthz HTTP/1.1\r\nHost: x\r\n", b"X-Slow: a\r\n",
                                            0.5)
        self.assertEqual((status, err["code"]), (408, "bad_request"))
        self.assertGreater(elapsed, 2.5)  # the head deadline is 3 s
        self.assertLess(elapsed, 4.5)

    def test_d_minimum_body_rate(self):
        # 1 KiB/s after the first read timeout (2 s): 10 bytes a second is too slow, even though
        # the connection is never silent long enough for the read timeout.
        status, err, elapsed = self.trickle("127.0.0.4", b"POST /api/v1/session HTTP/1.1\r\nHost: x\r\n"
                                            b"Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n",
                                            b" ", 0.1)
        self.assertEqual(status, 408)
        self.assertIn("in time", err["message"])
        self.assertGreater(elapsed, 1.8)
        self.assertLess(elapsed, 4.0)
        # at the rate, an upload goes through: 2 KiB/s for a 5 KiB body
        s = connect_from("127.0.0.4", self.server.port, timeout=10)
        body = json.dumps({"username": "nobody", "password": "x" * 5000}).encode()
        s.sendall(b"POST /api/v1/session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Connection: close\r\nContent-Length: %d\r\n\r\n" % len(body))
        for i in range(0, len(body), 200):
            s.sendall(body[i:i + 200])
            time.sleep(0.1)
        status, _, _ = read_reply(s)
        s.close()
        self.assertIn(status, (401, 422))

    def assertRefusal(self, held, source, status, code):
        """A new connection from source while `held` sockets are open gets the canned answer:
        the right Content-Length, the API's error shape, then the close."""
        try:
            s = connect_from(source, self.server.port)
            data = read_until_close(s)
            s.close()
        finally:
            for h in held:
                h.close()
        (got, headers, body), = parse_responses(data, strict=True)
        self.assertEqual(got, status)
        self.assertEqual(int(headers["content-length"]), len(body))
        self.assertEqual(json.loads(body)["error"]["code"], code)
        self.assertTrue(data.endswith(body))

    def test_e_refusals_are_well_formed(self):
        # one address over its cap: 429
        self.assertRefusal([connect_from("127.0.0.5", self.server.port) for _ in range(16)], "127.0.0.5",
                           429, "rate_limited")
        # a server full of requests still being read (nothing waiting to reclaim): 503
        busy = []
        for i in range(64):
            s = connect_from("127.0.2.%d" % (1 + i // 15), self.server.port)
            s.sendall(b"POST /api/v1/session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      b"Content-Length: 100\r\n\r\n{")
            busy.append(s)
        time.sleep(0.3)
        self.assertRefusal(busy, "127.0.0.6", 503, "unavailable")


class DescriptorTest(PrefdCase):
    """Few file descriptors: the server takes only the connections it can hold (and reclaims
    waiting ones) instead of failing accept() in a loop."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.small = Server(cls.db_url, env={"PREFD_MAX_CONNS_PER_ADDR": "40", "PREFD_LOG_LEVEL": "warn"},
                           name="descriptors", open_files=160).wait_ready()

    @classmethod
    def tearDownClass(cls):
        code = cls.small.stop()
        super().tearDownClass()
        if code != 0:
            raise RuntimeError("prefd exited with %s" % code)

    def test_low_open_file_limit(self):
        log = self.small.read_log()
        self.assertIn("msg=max_conns_lowered setting=PREFD_MAX_CONNS configured=4096 usable=92", log)
        attack = Slowloris(self.small.port, ["127.0.3.%d" % i for i in range(1, 5)], 40).start()
        try:
            time.sleep(1.5)
            waits = []
            for _ in range(20):
                t0 = time.time()
                s = connect_from("127.0.0.1", self.small.port)
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                self.assertEqual(read_reply(s)[0], 200)
                s.close()
                waits.append(time.time() - t0)
            text = Client(self.small.url).get("/metrics").body.decode()
        finally:
            attack.stop()
        self.assertLessEqual(metric(text, 'prefd_http_connections{state="open"}'), 92)
        self.assertGreater(metric(text, 'prefd_http_connections_total{event="evicted"}'), 0)
        self.assertLess(max(waits), 0.5)
        self.assertNotIn("accept_failed", self.small.read_log())


class MutationTest(PrefdCase):
    """Malformed heads, pipelining, huge headers, NUL bytes and invalid UTF-8, generated from
    valid requests by seeded random mutations and thrown at a live server: every answer is
    well-formed, in the JSON error shape, never a 5xx, nothing hangs, and the server lives on."""

    server_env = {"PREFD_READ_TIMEOUT": "1s", "PREFD_HEAD_TIMEOUT": "2s", "PREFD_MAX_HEADER": "4k",
                  "PREFD_MAX_BODY": "8k", "PREFD_MAX_CONNS_PER_ADDR": "1000"}
    CASES = 600

    def bases(self):
        auth = b"Authorization: Bearer " + self.admin_token.encode() + b"\r\n"
        body = b'{"slug":"mut","title":"Mutations"}'
        return [
            b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
            b"GET /api/v1/projects?limit=5&cursor=0 HTTP/1.1\r\nHost: x\r\n" + auth + b"\r\n",
            b"GET /api/v1/projects/mut/leaderboard?ties=half&language=en HTTP/1.1\r\nHost: x\r\n" + auth + b"\r\n",
            b"POST /api/v1/projects HTTP/1.1\r\nHost: x\r\n" + auth
            + b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body,
            b"POST /api/v1/projects HTTP/1.1\r\nHost: x\r\n" + auth
            + b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
            + b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n",
            b"POST /api/v1/session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 37\r\n\r\n{\"username\":\"a\",\"password\":\"bbbbbb\"}",
            b"GET /static/app.css HTTP/1.1\r\nHost: x\r\nIf-None-Match: \"x\"\r\nCookie: prefd_session=pfs_x\r\n\r\n",
            b"PATCH /api/v1/users/nobody HTTP/1.1\r\nHost: x\r\n" + auth
            + b"Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
        ]

    def mutate(self, rnd, req):
        special = [b"\x00", b"\r", b"\n", b"\xff", b"\x80", b"\xc3", b" ", b":", b"%", b"\t", b"\x7f",
                   b"%ff", b"%00", b"%c3", b"\r\n", b"\n\r\n", b",", b";", b"\"", b"chunked", b"-1", b"0x"]
        kind = rnd.randrange(9)
        b = bytearray(req)
        if kind == 0:  # flip bytes
            for _ in range(rnd.randint(1, 4)):
                i = rnd.randrange(len(b))
                b[i] = rnd.randrange(256)
        elif kind == 1:  # insert special bytes
            for _ in range(rnd.randint(1, 3)):
                i = rnd.randrange(len(b) + 1)
                b[i:i] = rnd.choice(special)
        elif kind == 2:  # delete a run
            i = rnd.randrange(len(b))
            del b[i:i + rnd.randint(1, 8)]
        elif kind == 3:  # truncate
            b = b[:rnd.randrange(len(b))]
        elif kind == 4:  # duplicate or add a header line
            extra = rnd.choice([b"Content-Length: 5", b"Transfer-Encoding: chunked", b"Host: y",
                                b"Transfer-Encoding: gzip", b"Content-Length: -1", b"Expect: 100-continue",
                                b"Content-Type: application/json\xff", b"X-Forwarded-For: \xff, 1.2.3.4",
                                b"Connection: close", b"X-Request-Id: \x00abc"])
            i = b.find(b"\r\n") + 2
            b[i:i] = extra + b"\r\n"
        elif kind == 5:  # a huge header, or too many headers
            i = b.find(b"\r\n") + 2
            if rnd.random() < 0.5:
                b[i:i] = b"X-Big: " + b"a" * rnd.choice([3000, 5000, 20000]) + b"\r\n"
            else:
                b[i:i] = b"".join(b"X-H%d: v\r\n" % k for k in range(rnd.choice([63, 64, 80])))
        elif kind == 6:  # the path: invalid UTF-8 and escapes
            sp = b.find(b" ") + 1
            b[sp + 1:sp + 1] = rnd.choice([b"%ff", b"%c3%28", b"%ed%a0%80", b"%00", b"%", b"\xff", b"%c0%af"])
        elif kind == 7:  # the method or version
            sp = b.find(b" ")
            b[:sp] = rnd.choice([b"G\x00T", b"", b"GET GET", b"\xffET", b"get", b"BREW", b"OPTIONS"])
        else:  # the chunked framing, or the length
            b = bytearray(req.replace(b"Content-Length: ", b"Content-Length: %d" % rnd.choice([0, 1, 99999, 1 << 62])))
        return bytes(b)

    def exchange(self, data):
        """Sends data, ends the sending side, and reads until the server closes (bounded)."""
        s = socket.create_connection(("127.0.0.1", self.server.port), timeout=6)
        t0 = time.time()
        try:
            try:
                s.sendall(data)
                s.shutdown(socket.SHUT_WR)
            except OSError:
                pass  # the server answered and closed before it all went out (a 431, a 400)
            out = read_until_close(s)  # a reset ends it: what arrived before still counts
        except socket.timeout:
            raise AssertionError("no close within 6 s after %r" % data[:300])
        finally:
            s.close()
        return out, time.time() - t0

    def test_mutations(self):
        self.admin.post("/api/v1/projects", {"slug": "mut", "title": "Mutations"})
        rnd = random.Random(11)
        bases = self.bases()
        cases = []
        for _ in range(self.CASES):
            n = 1 if rnd.random() < 0.7 else rnd.randint(2, 5)  # pipelining
            parts = []
            for _ in range(n):
                req = rnd.choice(bases)
                parts.append(self.mutate(rnd, req) if rnd.random() < 0.85 else req)
            cases.append(b"".join(parts))
        # and the plain cases, each on its own
        cases += [b"\x00" * 100, b"\xff" * 100, b"\r\n" * 5000, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" * 50,
                  b"GET /%ff HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
                  b"GET /healthz HTTP/1.1\r\nHost: x\r\nX: " + b"\x00" * 10 + b"\r\n\r\n"]
        results = [None] * len(cases)

        def run(i):
            results[i] = self.exchange(cases[i])

        threads = []
        for k in range(8):
            t = threading.Thread(target=lambda k=k: [run(i) for i in range(k, len(cases), 8)])
            t.start()
            threads.append(t)
        for t in threads:
            t.join()
        statuses = {}
        slowest = 0
        for data, (out, elapsed) in zip(cases, results):
            slowest = max(slowest, elapsed)
            for status, headers, body in parse_responses(out, strict=True):
                statuses[status] = statuses.get(status, 0) + 1
                self.assertLess(status, 500, (data[:300], body))
                if status >= 400:
                    err = json.loads(body)["error"]
                    self.assertTrue(err["code"] and err["message"], body)
                elif status not in (100, 204, 304):
                    self.assertTrue(body or headers.get("content-length") == "0", (data[:300], headers))
                body.decode("utf-8")  # every answer is UTF-8
        print("\n  mutations: %d requests, answers by status %s, slowest connection %.1f s"
              % (len(cases), dict(sorted(statuses.items())), slowest), flush=True)
        self.assertGreater(sum(v for k, v in statuses.items() if k >= 400), len(cases) // 3)
        self.assertGreater(statuses.get(200, 0), 10)
        self.assertLess(slowest, 5)
        # the server lives on and logged nothing alarming
        self.assertEqual(Client(self.server.url).get("/healthz").status, 200)
        log = self.server.read_log()
        for bad in ("status=500", "double_reply", "level=error"):
            self.assertNotIn(bad, log)
