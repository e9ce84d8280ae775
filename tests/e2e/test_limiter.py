"""The failed-login limiter: counted in PostgreSQL, so shared by every prefd process and kept
across restarts; keyed on the client address, taken from X-Forwarded-For only when the TCP peer
is a trusted proxy."""

import http.client
import json

from prefdtest import PrefdCase, Server, parallel, psql

PROXY = "127.0.0.10"  # the trusted proxy the tests connect from
ENV = {"PREFD_LOGIN_ATTEMPTS": "3", "PREFD_TRUSTED_PROXIES": "%s/32, 10.0.0.0/8" % PROXY}


def login(port, name, password, source="127.0.0.1", forwarded=None):
    """POST /api/v1/session from a chosen source address; returns (status, body, headers)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(source, 0))
    headers = {"Content-Type": "application/json"}
    if forwarded:
        headers["X-Forwarded-For"] = forwarded
    try:
        conn.request("POST", "/api/v1/session", body=json.dumps({"username": name, "password": password}),
                     headers=headers)
        r = conn.getresponse()
        return r.status, json.loads(r.read() or b"null"), dict(r.getheaders())
    finally:
        conn.close()


class LoginLimiterTest(PrefdCase):
    server_env = ENV

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other = Server(cls.db_url, env=ENV, name="limiter-second").wait_ready()

    @classmethod
    def tearDownClass(cls):
        code = cls.other.stop()
        super().tearDownClass()
        if code != 0:
            raise RuntimeError("the second prefd exited with %s" % code)

    def status(self, *args, **kw):
        return login(*args, **kw)[0]

    def test_shared_by_processes_and_kept_across_restarts(self):
        self.user("lim-a", password="right-password")
        a, b = self.server.port, self.other.port
        self.assertEqual(self.status(a, "lim-a", "wrong"), 401)
        self.assertEqual(self.status(b, "lim-a", "wrong"), 401)
        self.assertEqual(self.status(a, "lim-a", "wrong"), 401)
        # three attempts in all, across two processes: the limit is 3, not 2 x 3
        for port in (a, b):
            status, body, headers = login(port, "lim-a", "right-password")
            self.assertEqual(status, 429, body)
            self.assertEqual(body["error"]["code"], "rate_limited")
            self.assertGreater(int(headers["Retry-After"]), 0)
            self.assertLessEqual(int(headers["Retry-After"]), 60)
        # a restart keeps the count
        self.other.stop()
        type(self).other = Server(self.db_url, env=ENV, name="limiter-restarted").wait_ready()
        self.assertEqual(self.status(self.other.port, "lim-a", "right-password"), 429)
        self.assertEqual(psql(self.db, "SELECT attempts, host(client) FROM login_attempts "
                                       "WHERE user_name = 'lim-a'"), [["3", "127.0.0.1"]])
        # another client address is not locked out by these failures
        self.assertEqual(self.status(a, "lim-a", "right-password", source="127.0.0.2"), 200)

    def test_success_clears(self):
        self.user("lim-b", password="right-password")
        p = self.server.port
        self.assertEqual([self.status(p, "lim-b", "wrong") for _ in range(2)], [401, 401])
        self.assertEqual(self.status(p, "lim-b", "right-password"), 200)
        self.assertEqual([self.status(p, "lim-b", "wrong") for _ in range(3)], [401, 401, 401])
        self.assertEqual(self.status(p, "lim-b", "wrong"), 429)

    def test_concurrent_guesses_are_all_counted(self):
        self.user("lim-c", password="right-password")
        port = self.server.port
        statuses = parallel(12, lambda i: self.status(port if i % 2 else self.other.port, "lim-c", "wrong",
                                                       source="127.0.0.5"))
        self.assertEqual(statuses.count(401), 3, statuses)
        self.assertEqual(statuses.count(429), 9, statuses)

    def test_forwarded_for_only_from_trusted_proxies(self):
        self.user("lim-d", password="right-password")
        p = self.server.port
        # through the trusted proxy: the address it names is the client
        for _ in range(3):
            self.assertEqual(self.status(p, "lim-d", "wrong", source=PROXY, forwarded="203.0.113.5"), 401)
        self.assertEqual(self.status(p, "lim-d", "right-password", source=PROXY, forwarded="203.0.113.5"), 429)
        # so other clients behind the same proxy are not locked out (it used to key on the proxy)
        self.assertEqual(self.status(p, "lim-d", "right-password", source=PROXY, forwarded="203.0.113.6"), 200)
        self.assertEqual(self.status(p, "lim-d", "right-password", source=PROXY), 200)
        # what a client prepends is not believed: the proxy's own entry is the rightmost
        self.assertEqual(self.status(p, "lim-d", "right-password", source=PROXY,
                                     forwarded="198.51.100.1, 203.0.113.5"), 429)
        # chains of trusted proxies are walked: 10.0.0.0/8 is trusted too
        self.assertEqual(self.status(p, "lim-d", "right-password", source=PROXY,
                                     forwarded="203.0.113.5, 10.1.2.3"), 429)
        # from an untrusted peer the header is ignored: it cannot borrow or frame an address
        self.assertEqual(self.status(p, "lim-d", "right-password", source="127.0.0.3",
                                     forwarded="203.0.113.5"), 200)
        for _ in range(3):
            self.assertEqual(self.status(p, "lim-d", "wrong", source="127.0.0.4", forwarded="203.0.113.7"), 401)
        self.assertEqual(self.status(p, "lim-d", "right-password", source=PROXY, forwarded="203.0.113.7"), 200)
        self.assertEqual(self.status(p, "lim-d", "right-password", source="127.0.0.4"), 429)
        # IPv6 clients are counted per /64
        for _ in range(3):
            self.assertEqual(self.status(p, "lim-d", "wrong", source=PROXY, forwarded="2001:db8::1"), 401)
        self.assertEqual(self.status(p, "lim-d", "right-password", source=PROXY, forwarded="[2001:db8::ff]:443"),
                         429)
        self.assertEqual(self.status(p, "lim-d", "right-password", source=PROXY, forwarded="2001:db8:0:1::1"), 200)
        # the access log names the forwarded client
        self.assertIn("forwarded_for=203.0.113.6", self.server.read_log())
