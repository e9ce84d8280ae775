"""Faults under load: prefd killed with SIGKILL and restarted, PostgreSQL stopped with
`pg_ctl -m immediate` (a crash) and started again, PostgreSQL crashed in the middle of an
all-or-nothing upload. Whatever happens, a vote acknowledged (201, or 200 for the same vote
again) is in the database, the rating invariants hold, and nothing of a failed upload is kept.
Each test prints its counts. Bounded in time; loopback only."""

import http.client
import json
import os
import random
import signal
import socket
import threading
import time
import unittest

from prefdtest import DATA, Client, Cluster, Server, cli, new_database, pg, psql


class Raters:
    """n raters voting in a project through whichever server is current, until stopped. A vote
    that got no answer is sent again (the same vote: 201 if it was lost, 200 if it was kept)."""

    def __init__(self, tokens, slug, url):
        self.tokens, self.slug, self.url = tokens, slug, url
        self.acked = {}  # vote_id -> assignment id
        self.failed = 0  # requests that got no HTTP answer (refused, reset, cut)
        self.statuses = {}  # status -> count
        self.lost_assignments = 0  # 404 on a vote: the assignment did not survive a crash
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.done = 0
        self.threads = [threading.Thread(target=self.run, args=(i,), daemon=True) for i in range(len(tokens))]

    def start(self):
        for t in self.threads:
            t.start()
        return self

    def stop(self):
        self.stopping.set()
        for t in self.threads:
            t.join(60)

    def count(self, status):
        with self.lock:
            self.statuses[status] = self.statuses.get(status, 0) + 1

    def run(self, i):
        rng = random.Random(i)
        pending = None  # (assignment id, vote body) not acknowledged yet
        while not self.stopping.is_set():
            c = Client(self.url(), self.tokens[i])
            try:
                if pending is None:
                    r = c.get("/api/v1/projects/%s/next" % self.slug)
                    self.count(r.status)
                    if r.status == 204:
                        with self.lock:
                            self.done += 1
                        return
                    if r.status != 200:
                        time.sleep(0.05)
                        continue
                    pending = (r.json["id"], {"choice": rng.choice(["a", "b", "tie", "both_bad"]),
                                              "elapsed_ms": rng.randint(1000, 9000)})
                r = c.post("/api/v1/assignments/%s/vote" % pending[0], pending[1])
                self.count(r.status)
                if r.status in (200, 201):
                    with self.lock:
                        self.acked[r.json["vote_id"]] = pending[0]
                    pending = None
                elif r.status in (404, 410):
                    with self.lock:
                        self.lost_assignments += 1
                    pending = None
                else:
                    time.sleep(0.05)  # 503 while the database is away: try the same vote again
            except (OSError, http.client.HTTPException):
                with self.lock:
                    self.failed += 1
                time.sleep(0.05)

    def acknowledged(self):
        with self.lock:
            return len(self.acked)


def check_votes(test, query, raters, slug, overlap):
    """Every acknowledged vote is stored, for its assignment; the invariants hold. Returns the
    number of acknowledged votes missing (asserted zero)."""
    ids = sorted(raters.acked)
    stored = {}
    for k in range(0, len(ids), 500):
        part = ",".join(str(v) for v in ids[k:k + 500])
        for vid, token in query("SELECT v.id, a.token FROM votes v JOIN assignments a ON a.id = v.assignment_id "
                                "WHERE v.id IN (%s)" % part):
            stored[int(vid)] = token
    missing = [v for v in ids if v not in stored]
    wrong = [v for v in ids if v in stored and stored[v] != raters.acked[v]]
    pid = query("SELECT id FROM projects WHERE slug = '%s'" % slug)[0][0]
    q = lambda sql: query(sql.replace("$P", pid))  # noqa: E731
    # no comparison above its overlap; nobody given a comparison twice or voting it twice; at most
    # one open assignment per rater and project; the counts agree with the votes
    test.assertEqual(q("SELECT count(*) FROM comparisons WHERE project_id = $P AND votes > %d" % overlap), [["0"]])
    test.assertEqual(q("SELECT count(*) FROM (SELECT comparison_id, rater_id FROM assignments WHERE project_id = $P "
                       "GROUP BY 1, 2 HAVING count(*) > 1) x"), [["0"]])
    test.assertEqual(q("SELECT count(*) FROM (SELECT comparison_id, rater_id FROM votes WHERE project_id = $P "
                       "GROUP BY 1, 2 HAVING count(*) > 1) x"), [["0"]])
    test.assertEqual(q("SELECT count(*) FROM (SELECT rater_id FROM assignments WHERE project_id = $P "
                       "AND state = 'open' GROUP BY 1 HAVING count(*) > 1) x"), [["0"]])
    test.assertEqual(q("SELECT count(*) FROM comparisons c WHERE project_id = $P AND c.votes <> "
                       "(SELECT count(*) FROM votes v WHERE v.comparison_id = c.id)"), [["0"]])
    total = q("SELECT count(*) FROM votes WHERE project_id = $P AND NOT is_gold")[0][0]
    test.assertEqual(q("SELECT coalesce(sum(lo_wins + hi_wins + ties + both_bad), 0) FROM pair_totals "
                       "WHERE project_id = $P"), [[total]])
    test.assertEqual(missing, [], "acknowledged votes missing from the database")
    test.assertEqual(wrong, [], "acknowledged votes stored for another assignment")
    return len(missing)


def setup_project(url, slug, raters, overlap=2, server_env=None):
    """A database at url with an admin, a project with the Vicuna80 items and rater tokens."""
    admin_token = cli(url, "user", "add", "admin", "--role", "admin").stdout.strip()
    server = Server(url, env=server_env, name="faults-setup").wait_ready()
    try:
        admin = Client(server.url, admin_token)
        assert admin.post("/api/v1/projects", {"slug": slug, "title": slug, "overlap": overlap}).status == 201
        with open(os.path.join(DATA, "items.jsonl"), "rb") as f:
            r = admin.post("/api/v1/projects/%s/items" % slug, raw=f.read(), content_type="application/x-ndjson")
        assert r.status == 200, r
        tokens = [admin.post("/api/v1/users", {"name": "%s-%d" % (slug, i), "role": "rater"}).json["token"]
                  for i in range(raters)]
    finally:
        assert server.stop() == 0
    return admin_token, tokens


def wait_for(pred, timeout, step=0.05):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return True
        time.sleep(step)
    return pred()


class KillRestartTest(unittest.TestCase):
    """kill -9 of prefd under 8 concurrent raters, twice, each time restarted on the database."""

    def test_kill_and_restart(self):
        db, url = new_database("faults_kill")
        _, tokens = setup_project(url, "crash", 8)
        servers = [Server(url, name="kill-0").wait_ready()]
        raters = Raters(tokens, "crash", lambda: servers[-1].url).start()
        kills, acked_at_kill = 0, []
        try:
            for k in (1, 2):
                wait_for(lambda: raters.acknowledged() >= 150 * k, 20)
                servers[-1].proc.send_signal(signal.SIGKILL)  # mid-flight: requests are cut
                servers[-1].proc.wait(10)
                servers[-1].log.close()
                kills += 1
                acked_at_kill.append(raters.acknowledged())
                time.sleep(0.2)  # raters find no server meanwhile
                servers.append(Server(url, name="kill-%d" % k).wait_ready())
            wait_for(lambda: raters.acknowledged() >= acked_at_kill[-1] + 150, 20)
        finally:
            raters.stop()
            code = servers[-1].stop()
        self.assertEqual(code, 0)
        missing = check_votes(self, lambda sql: psql(db, sql), raters, "crash", 2)
        print("\n  kill -9 and restart: %d kills under %d raters; %d votes acknowledged (%s at the kills), "
              "%d missing; %d requests failed (no answer), %d assignments lost with a process; answers %s"
              % (kills, len(tokens), raters.acknowledged(), "/".join(map(str, acked_at_kill)), missing,
                 raters.failed, raters.lost_assignments, dict(sorted(raters.statuses.items()))), flush=True)
        self.assertGreater(raters.failed, 0)  # the kills did hit requests in flight
        self.assertGreater(raters.acknowledged(), acked_at_kill[-1])  # and rating went on
        self.assertNotIn(500, raters.statuses)


class DatabaseCrashTest(unittest.TestCase):
    """PostgreSQL crashed (pg_ctl -m immediate) under load, in a cluster of the test's own."""

    @classmethod
    def setUpClass(cls):
        cls.cluster = Cluster("faults-pg")

    @classmethod
    def tearDownClass(cls):
        cls.cluster.stop()

    def test_a_immediate_stop_under_load(self):
        url = self.cluster.database("crash_votes")
        _, tokens = setup_project(url, "pgdown", 8)
        env = {"PREFD_DB_WAIT": "2s"}
        server = Server(url, env=env, name="pgdown").wait_ready()
        raters = Raters(tokens, "pgdown", lambda: server.url).start()
        try:
            wait_for(lambda: raters.acknowledged() >= 200, 20)
            acked_before = raters.acknowledged()
            self.cluster.crash()
            t_down = time.time()
            # while it is down (answers in flight at the crash aside): 503 and nothing else, none
            # hanging past PREFD_DB_WAIT, nothing acknowledged
            time.sleep(0.3)
            with raters.lock:
                before = dict(raters.statuses)
            acked_down = raters.acknowledged()
            time.sleep(2.5)
            readyz = Client(server.url).get("/readyz")
            with raters.lock:
                during = {s: n - before.get(s, 0) for s, n in raters.statuses.items() if n != before.get(s, 0)}
            acked_during = raters.acknowledged() - acked_down
            self.cluster.start()
            t_up = time.time()
            recovered = wait_for(lambda: Client(server.url).get("/readyz").status == 200, 30, 0.1)
            t_ready = time.time()
            wait_for(lambda: raters.acknowledged() >= acked_down + 150, 30)
        finally:
            raters.stop()
            code = server.stop()
        self.assertEqual(code, 0)
        self.assertEqual(readyz.status, 503)
        self.assertGreater(during.get(503, 0), 8, during)
        self.assertEqual(set(during), {503}, during)
        self.assertEqual(acked_during, 0)
        self.assertTrue(recovered, "prefd did not reconnect by itself")
        missing = check_votes(self, lambda sql: self.cluster.psql("crash_votes", sql), raters, "pgdown", 2)
        print("\n  PostgreSQL stopped -m immediate under %d raters: %d votes acknowledged (%d before the crash), "
              "%d missing; while down (%.1f s, from 0.3 s after the crash) answers %s; ready again %.1f s after the restart; "
              "%d requests failed (no answer), %d assignments lost in the crash"
              % (len(tokens), raters.acknowledged(), acked_before, missing, t_up - t_down,
                 dict(sorted(during.items())), t_ready - t_up, raters.failed, raters.lost_assignments),
              flush=True)
        self.assertNotIn(500, raters.statuses)

    def test_b_crash_during_upload(self):
        url = self.cluster.database("crash_upload")
        admin_token = cli(url, "user", "add", "admin", "--role", "admin").stdout.strip()
        server = Server(url, name="pgupload").wait_ready()
        try:
            admin = Client(server.url, admin_token)
            self.assertEqual(admin.post("/api/v1/projects", {"slug": "up", "title": "up"}).status, 201)
            lines = [json.dumps({"id": "p%d" % i, "prompt": "prompt %d" % i,
                                 "responses": [{"model": "a", "text": "x %d" % i}, {"model": "b", "text": "y"}]})
                     for i in range(3000)]
            body = ("\n".join(lines) + "\n").encode()
            s = socket.create_connection(("127.0.0.1", server.port), timeout=30)
            s.sendall(b"POST /api/v1/projects/up/items HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                      + admin_token.encode() + b"\r\nContent-Type: application/x-ndjson\r\nContent-Length: %d\r\n\r\n"
                      % len(body))
            half = len(body) // 2
            s.sendall(body[:half])  # 1500 lines: three batches of 500 sent inside the transaction
            stored_in_tx = wait_for(lambda: self.cluster.psql("crash_upload", "SELECT count(*) FROM "
                                                          "pg_stat_activity WHERE datname = 'crash_upload' "
                                                          "AND state LIKE 'idle in transaction%'")[0][0] != "0", 10)
            time.sleep(0.3)
            self.cluster.crash()  # the upload's transaction dies with PostgreSQL
            try:
                s.sendall(body[half:])
            except OSError:
                pass
            data = b""
            s.settimeout(30)
            try:
                while True:
                    b = s.recv(65536)
                    if not b:
                        break
                    data += b
            except OSError:
                pass
            s.close()
            self.cluster.start()
            self.assertTrue(wait_for(lambda: admin.get("/readyz").status == 200, 30, 0.1))
            head, _, reply = data.partition(b"\r\n\r\n")
            status = int(head.split(b" ")[1]) if head else None
            stored = self.cluster.psql("crash_upload", "SELECT (SELECT count(*) FROM items), (SELECT count(*) FROM "
                                                       "responses), (SELECT count(*) FROM comparisons)")[0]
            # the same upload afterwards is stored whole
            r = admin.post("/api/v1/projects/up/items", raw=body, content_type="application/x-ndjson")
        finally:
            code = server.stop()
        print("\n  PostgreSQL crashed during an all-or-nothing upload of %d lines: answer %s; stored after "
              "recovery: %s items, %s responses, %s comparisons; the same upload again: %d %s"
              % (len(lines), status, stored[0], stored[1], stored[2], r.status,
                 r.json.get("accepted") if r.status == 200 else r.json), flush=True)
        self.assertEqual(code, 0)
        self.assertTrue(stored_in_tx, "the upload's transaction was never seen open")
        self.assertEqual(status, 503, data[:300])
        self.assertEqual(json.loads(reply)["error"]["code"], "unavailable")
        self.assertEqual(stored, ["0", "0", "0"])  # nothing of it
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["accepted"], 3000)
