"""Scale-out on one PostgreSQL: a server that turns read-only under prefd's connections (what a
demoted primary is), and the read pool of PREFD_DATABASE_READ_URL. The real failover, with a
standby promoted by pg_auto_failover behind HAProxy, is tests/cluster/test_failover.py."""

import time

from prefdtest import Client, PrefdCase, Server, free_port, psql


def comparisons(n):
    return [{"id": "q%d" % i, "prompt": "question %d" % i,
             "responses": [{"model": "m1", "text": "one %d" % i}, {"model": "m2", "text": "two %d" % i}]}
            for i in range(n)]


def wait_status(client, path, status, timeout=20):
    deadline = time.time() + timeout
    r = client.get(path)
    while time.time() < deadline and r.status != status:
        time.sleep(0.1)
        r = client.get(path)
    return r


class ReadOnlyServerTest(PrefdCase):
    """A server that becomes read-only is the wrong server: 503, never a 500, and nothing stored."""

    def test_writes_on_a_read_only_server(self):
        # As in the cluster: the URL asks for the read-write server.
        srv = Server(self.db_url + "?target_session_attrs=read-write", name="readonly").wait_ready()
        try:
            self.project("ro", overlap=1)
            self.upload("ro", comparisons(4))
            rater = Client(srv.url, self.user("ro-rater").token)
            a = rater.get("/api/v1/projects/ro/next").json
            self.assertEqual(rater.post("/api/v1/assignments/%s/vote" % a["id"], {"choice": "a"}).status, 201)
            b = rater.get("/api/v1/projects/ro/next").json
            # The server turns read-only under the open connections, as a demoted primary would.
            psql(self.db, "ALTER SYSTEM SET default_transaction_read_only = on")
            psql(self.db, "SELECT pg_reload_conf()")
            try:
                time.sleep(0.3)
                vote = {"choice": "b", "elapsed_ms": 1234}
                # Each connection that meets it is dropped at its first write, and its replacement
                # is refused by target_session_attrs: once the pool's four are gone the node says
                # it is not ready, and a load balancer takes it out.
                ready = Client(srv.url)
                for _ in range(12):
                    r = rater.post("/api/v1/assignments/%s/vote" % b["id"], vote)
                    self.assertError(r, 503, "unavailable")
                    if ready.get("/readyz").status == 503:
                        break
                r = ready.get("/readyz")
                self.assertEqual(r.status, 503, r)
                self.assertFalse(r.json["database"])
                self.assertError(rater.post("/api/v1/assignments/%s/vote" % b["id"], vote), 503, "unavailable")
                self.assertEqual(psql(self.db, "SELECT count(*) FROM votes")[0][0], "1")
            finally:
                psql(self.db, "ALTER SYSTEM RESET default_transaction_read_only")
                psql(self.db, "SELECT pg_reload_conf()")
            # Writable again: prefd finds it by itself, and the same vote goes in once.
            self.assertEqual(wait_status(Client(srv.url), "/readyz", 200).status, 200)
            r = rater.post("/api/v1/assignments/%s/vote" % b["id"], vote)
            self.assertEqual(r.status, 201, r)
            self.assertEqual(psql(self.db, "SELECT count(*) FROM votes")[0][0], "2")
            log = srv.read_log()
            self.assertIn("msg=db_read_only_server", log)
            self.assertNotIn("msg=db_error", log)  # no 500 on the way
        finally:
            self.assertEqual(srv.stop(), 0)


class ReadPoolTest(PrefdCase):
    """Rankings, exports and quality statistics read from PREFD_DATABASE_READ_URL; votes never."""

    def test_reads_go_to_the_read_url(self):
        self.project("rp", overlap=1)
        self.upload("rp", comparisons(6))
        token = self.user("rp-rater").token
        reads = ["/api/v1/projects/rp/leaderboard", "/api/v1/projects/rp/leaderboard?since=2000-01-01",
                 "/api/v1/projects/rp/matrix", "/api/v1/projects/rp/votes?format=jsonl",
                 "/api/v1/projects/rp/raters", "/api/v1/projects/rp/agreement", "/api/v1/projects/rp/flags",
                 "/api/v1/projects/rp/leaderboard?weights=reliability"]
        # A read URL where nothing listens: those reads fail 503, rating goes on untouched.
        dead = "postgresql://prefd@127.0.0.1:%d/prefd" % free_port()
        srv = Server(self.db_url, env={"PREFD_DATABASE_READ_URL": dead}, name="readpool-dead").wait_ready()
        try:
            admin = Client(srv.url, self.admin_token)
            r = admin.get("/readyz")
            self.assertEqual(r.status, 200, r)
            self.assertFalse(r.json["read_database"])
            rater = Client(srv.url, token)
            for _ in range(2):
                a = rater.get("/api/v1/projects/rp/next").json
                r = rater.post("/api/v1/assignments/%s/vote" % a["id"], {"choice": "a"})
                self.assertEqual(r.status, 201, r)
            self.assertEqual(admin.get("/api/v1/projects/rp/progress").json["votes"], 2)  # the primary's
            for path in reads:
                self.assertError(admin.get(path), 503, "unavailable")
        finally:
            self.assertEqual(srv.stop(), 0)
        # A read URL on a read-only session (as a standby is): every one of those reads works there.
        ro = self.db_url + "?options=-c%20default_transaction_read_only%3Don"
        srv = Server(self.db_url, env={"PREFD_DATABASE_READ_URL": ro}, name="readpool-ro").wait_ready()
        try:
            admin = Client(srv.url, self.admin_token)
            self.assertTrue(admin.get("/readyz").json["read_database"])
            for path in reads:
                r = admin.get(path)
                self.assertEqual(r.status, 200, (path, r))
            lb = admin.get("/api/v1/projects/rp/leaderboard?since=2000-01-01").json
            self.assertEqual(lb["votes"], 2)
            # ... and a vote in between shows in the next ranking (here the "standby" has no lag).
            rater = Client(srv.url, token)
            a = rater.get("/api/v1/projects/rp/next").json
            self.assertEqual(rater.post("/api/v1/assignments/%s/vote" % a["id"], {"choice": "b"}).status, 201)
            self.assertEqual(admin.get("/api/v1/projects/rp/leaderboard?since=2000-01-01").json["votes"], 3)
            self.assertEqual(len(admin.get("/api/v1/projects/rp/votes?format=jsonl").body.splitlines()), 3)
            self.assertNotIn("msg=db_error", srv.read_log())
        finally:
            self.assertEqual(srv.stop(), 0)
