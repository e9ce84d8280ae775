"""The failover test (`make test-cluster`): raters loop next + vote through HAProxy in front of
three prefd nodes on a PostgreSQL primary with a synchronous standby (pg_auto_failover), while

  (a) one prefd node is killed with kill -9 and started again, then
  (b) the PostgreSQL primary (its pg_autoctl and postgres: the machine) is killed with kill -9 and
      the monitor promotes the standby; the old primary is started again and rejoins as standby.

Afterwards: every vote acknowledged (201, or 200 for a repeated identical vote) is in the database,
no comparison has more votes than its overlap, nobody was given a comparison twice, every failed
request had the API's JSON error shape with a 5xx status (never a wrong answer), and each node's
vote index (filtered rankings) counts the votes committed through the other nodes. Prints the
requests that failed during each fault and the seconds until votes flowed again.

Everything listens on 127.0.0.1; the whole test takes about a minute and a half.
"""

import http.client
import json
import os
import random
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
import unittest

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(TOP, "tools"))
from cluster import Cluster  # noqa: E402

BUILD = os.environ.get("PREFD_BUILD", os.path.join(TOP, "build"))
RATERS = 4
OVERLAP = 2
PROMPTS = 1500  # x 3 models = 4,500 comparisons, 9,000 votes at overlap 2: more than the test casts
PACE = 0.04  # seconds a rater pauses after each vote: at most 25 votes a second each
SETTLE = 4.0  # seconds of steady voting before and after each fault
DEADLINE = 150  # seconds: the whole load phase stops by then whatever happens


def free_base():
    """A base port with the 13 ports the cluster uses free on 127.0.0.1, below the kernel's
    ephemeral range (a client connection's local port there could take one before its server
    binds it)."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    for _ in range(50):
        base = random.randrange(10000, max(low - 20, 10020), 20)
        socks = []
        try:
            for off in list(range(0, 4)) + list(range(10, 13)):
                socks.append(socket.socket())
                socks[-1].bind(("127.0.0.1", base + off))
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no free ports")


class Http:
    """A keep-alive HTTP/1.1 client to one address, reconnecting after errors."""

    def __init__(self, url, token=None):
        host, port = url.split("://", 1)[1].rsplit(":", 1)
        self.host, self.port, self.token = host, int(port), token
        self.conn = None

    def request(self, method, path, body=None, ctype="application/json", timeout=30):
        h = {"Content-Type": ctype}
        if self.token:
            h["Authorization"] = "Bearer " + self.token
        if body is not None and not isinstance(body, bytes):
            body = json.dumps(body).encode()
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
            self.conn.request(method, path, body=body, headers=h)
            r = self.conn.getresponse()
            data = r.read()
            if r.getheader("Connection", "").lower() == "close":
                self.close()
            return r.status, data
        except (OSError, http.client.HTTPException) as e:
            self.close()
            return None, str(e).encode()

    def close(self):
        if self.conn:
            self.conn.close()
        self.conn = None


class Rater(threading.Thread):
    """Loops next + vote until stopped; records every answer with its time."""

    def __init__(self, url, token, slug, stop, t0):
        super().__init__(daemon=True)
        self.http = Http(url, token)
        self.slug, self.stop, self.t0 = slug, stop, t0
        self.events = []  # (t, op, status, error code or None)
        self.acked = {}  # assignment id -> vote id
        self.given = []  # (time received, assignment id, comparison key) in the order received
        self.lost = []  # (time, assignment id): a vote found its assignment gone (404)
        self.votes_by_key = {}
        self.bad = []  # answers that are wrong, not just unavailable

    def note(self, op, status, body):
        code = None
        if status is None or status >= 400:
            try:
                code = json.loads(body)["error"]["code"]
            except (ValueError, KeyError, TypeError):
                code = "not-json"
            lost = op == "vote" and status == 404 and code == "not_found"
            if status is not None and (status < 500 or code != "unavailable") and not lost:
                self.bad.append((op, status, body[:300]))
        self.events.append((time.time() - self.t0, op, status, code))

    def run(self):
        while not self.stop.is_set():
            status, body = self.http.request("GET", "/api/v1/projects/%s/next" % self.slug)
            self.note("next", status, body)
            if status == 204:
                return
            if status != 200:
                time.sleep(0.2)
                continue
            a = json.loads(body)
            key = frozenset((a["prompt"]["text"], a["left"]["text"], a["right"]["text"]))
            if not self.given or self.given[-1][1] != a["id"]:
                self.given.append((time.time() - self.t0, a["id"], key))
            vote = {"choice": random.choice(["a", "b", "tie"]), "elapsed_ms": 1000}
            # The same vote until it is acknowledged: a repeat after a failure that had in fact
            # committed answers 200 with the same vote id. Retries back off like a client should.
            pause = 0.05
            while not self.stop.is_set():
                status, body = self.http.request("POST", "/api/v1/assignments/%s/vote" % a["id"], vote)
                self.note("vote", status, body)
                if status in (200, 201):
                    vid = json.loads(body)["vote_id"]
                    if a["id"] in self.acked and self.acked[a["id"]] != vid:
                        self.bad.append(("vote", status, b"a second vote id for one assignment"))
                    self.acked[a["id"]] = vid
                    self.votes_by_key[key] = self.votes_by_key.get(key, 0) + 1
                    time.sleep(PACE)
                    break
                if status == 404:
                    self.lost.append((time.time() - self.t0, a["id"]))
                if status is not None and status < 500:
                    break
                time.sleep(pause)
                pause = min(pause * 2, 0.4)


class FailoverTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="prefd-cluster-")
        os.chmod(cls.tmp, 0o755)
        cls.cluster = Cluster(os.path.join(cls.tmp, "cluster"), free_base(), build=BUILD,
                              prefd_env={"PREFD_LOG_LEVEL": "warn", "PREFD_SCRYPT_N": "1024"})
        cls.ok = False

    @classmethod
    def tearDownClass(cls):
        codes = cls.cluster.stop()
        if cls.ok and all(c == 0 for c in codes.values()):
            shutil.rmtree(cls.tmp, ignore_errors=True)
        else:
            print("cluster: exit codes %s; logs kept in %s" % (codes, cls.cluster.root), file=sys.stderr)

    def phase(self, raters, name, t_fault, t_end):
        """Failed requests between the fault and the phase's end, and the seconds until votes flowed."""
        events = sorted(e for r in raters for e in r.events if t_fault <= e[0] < t_end)
        failed = [e for e in events if e[2] not in (200, 201, 204)]
        acks = [e[0] for e in events if e[1] == "vote" and e[2] in (200, 201)]
        last_fail = max((e[0] for e in failed), default=t_fault)
        after = [t for t in acks if t > last_fail]
        flowing = (after[0] - t_fault) if after else None
        gaps = [b - a for a, b in zip([t_fault] + acks, acks)]
        by = {}
        for e in failed:
            k = "%s %s" % (e[1], "%d %s" % (e[2], e[3]) if e[2] is not None else "connection closed")
            by[k] = by.get(k, 0) + 1
        print("  %-28s %4d requests failed %s; longest pause without an acknowledged vote %.2f s; "
              "votes flowing again %.2f s after the fault" % (name, len(failed), by or "", max(gaps, default=0),
                                                              flowing if flowing is not None else -1), flush=True)
        return failed, flowing

    def test_failover(self):
        c = self.cluster
        t_start = time.time()
        c.start()
        self.assertEqual(c.primary(), "pg1")
        admin_token = c.prefd_cli("user", "add", "admin", "--role", "admin").stdout.strip()
        self.assertTrue(admin_token)
        admin = Http(c.url, admin_token)
        slug = "failover"
        status, body = admin.request("POST", "/api/v1/projects", {"slug": slug, "title": "Failover",
                                                                  "overlap": OVERLAP})
        self.assertEqual(status, 201, body)
        items = "\n".join(json.dumps({"id": "p%d" % i, "prompt": "prompt %d" % i, "responses": [
            {"model": m, "text": "%s answers %d" % (m, i)} for m in ("m1", "m2", "m3")]}) for i in range(PROMPTS))
        status, body = admin.request("POST", "/api/v1/projects/%s/items" % slug, items.encode(), "application/x-ndjson",
                                     timeout=120)
        self.assertEqual(status, 200, body)
        tokens = []
        for i in range(RATERS):
            status, body = admin.request("POST", "/api/v1/users", {"name": "rater%d" % i, "role": "rater"})
            self.assertEqual(status, 201, body)
            tokens.append(json.loads(body)["token"])
        # The read pools are on the standby: rankings there, votes on the primary.
        standby_conns = int(c.node_sql("pg2", "SELECT count(*) FROM pg_stat_activity WHERE application_name = "
                                              "'prefd' AND backend_type = 'client backend'")[0][0])
        self.assertGreater(standby_conns, 0, "no prefd connection on the standby (PREFD_DATABASE_READ_URL)")
        admin.close()

        stop = threading.Event()
        t0 = time.time()
        raters = [Rater(c.url, t, slug, stop, t0) for t in tokens]
        for r in raters:
            r.start()
        watchdog = threading.Timer(DEADLINE, stop.set)
        watchdog.start()
        try:
            time.sleep(SETTLE)
            # (a) a prefd node dies and comes back.
            t_a = time.time() - t0
            c.kill_prefd(2)
            time.sleep(1.0)
            c.start_prefd(2)
            c.wait_prefd(2, 30)
            time.sleep(SETTLE)
            # How far the standby's reads (PREFD_DATABASE_READ_URL) trail the primary under this load.
            lag = c.node_sql("pg1", "SELECT coalesce(max(extract(epoch FROM replay_lag)) * 1000, 0) "
                                    "FROM pg_stat_replication")[0][0]
            # (b) the primary's machine dies; the monitor promotes the standby.
            t_b = time.time() - t0
            t_kill = time.time()
            c.kill_pg_node("pg1")
            promoted = c.wait("the standby's promotion", lambda: c.primary() == "pg2", 60)
            t_promoted = time.time() - t_kill
            self.assertTrue(promoted)
            # Votes flow again (through the new primary) for a while, then the old primary comes back.
            deadline = time.time() + 40
            while time.time() < deadline and not any(e[0] > t_b + t_promoted and e[1] == "vote" and e[2] == 201
                                                     for r in raters for e in list(r.events)):
                time.sleep(0.2)
            time.sleep(SETTLE)
            t_end = time.time() - t0
        finally:
            stop.set()
            watchdog.cancel()
            for r in raters:
                r.join(60)
                r.http.close()
        c.start_pg_node("pg1")
        c.wait("the old primary to rejoin as a synchronous standby", c.healthy, 90)

        print("\nfailover test: %d raters, %.0f s of load, %d votes acknowledged" % (
            RATERS, t_end, sum(len(r.acked) for r in raters)))
        failed_a, flowing_a = self.phase(raters, "(a) kill -9 prefd node 2", t_a, t_b)
        failed_b, flowing_b = self.phase(raters, "(b) kill -9 the primary", t_b, t_end + 1)
        print("  the monitor promoted the standby %.1f s after the kill" % t_promoted)
        print("  the standby's replay lag under load before the kill: %.1f ms" % float(lag))

        # Nothing wrong was answered: failures are 5xx with the API's error shape.
        bad = [b for r in raters for b in r.bad]
        self.assertEqual(bad, [], "wrong answers: %r" % bad[:5])
        # Votes flowed again after each fault, within bounds.
        self.assertIsNotNone(flowing_a, "no vote acknowledged after the prefd node came back")
        self.assertIsNotNone(flowing_b, "no vote acknowledged after the failover")
        self.assertLess(flowing_a, 15)
        self.assertLess(flowing_b, 45)

        # Every acknowledged vote is in the database (the new primary).
        acked = {vid for r in raters for vid in r.acked.values()}
        self.assertGreater(len(acked), 100)
        ids = "{" + ",".join(str(v) for v in acked) + "}"
        found = int(c.node_sql("pg2", "SELECT count(*) FROM votes WHERE id = ANY('%s'::bigint[])" % ids)[0][0])
        lost = len(acked) - found
        print("  acknowledged votes lost: %d of %d" % (lost, len(acked)), flush=True)
        self.assertEqual(lost, 0)
        # No comparison above its overlap, nobody given one twice: in the database ...
        project = "(SELECT id FROM projects WHERE slug = '%s')" % slug
        self.assertEqual(c.node_sql("pg2", "SELECT comparison_id, count(*) FROM votes WHERE project_id = %s "
                                           "GROUP BY 1 HAVING count(*) > %d" % (project, OVERLAP)), [])
        self.assertEqual(c.node_sql("pg2", "SELECT rater_id, comparison_id FROM assignments WHERE project_id = %s "
                                           "GROUP BY 1, 2 HAVING count(*) > 1" % project), [])
        # ... and as the raters saw it. prefd_next commits new assignments asynchronously
        # (synchronous_commit = off: "an assignment lost in a crash costs nothing"), so one handed
        # out just before the primary died may be gone on the new primary: its vote answers 404 and
        # the rater may be given that comparison again. Only then; never a vote twice.
        regiven = 0
        for r in raters:
            lost_ids = {aid for t, aid in r.lost}
            for t, aid in r.lost:
                got = [g[0] for g in r.given if g[1] == aid][0]
                # handed out by the old primary (a reply in flight at the kill may arrive later)
                self.assertTrue(got < t_b + 1.0 and t > t_b, "assignment %s (given at %.2f s, lost at %.2f s) "
                                "lost outside the failover at %.2f s" % (aid, got, t, t_b))
            seen = {}
            for t, aid, key in r.given:
                if key in seen:
                    self.assertIn(seen[key], lost_ids, "a rater was given a comparison twice")
                    regiven += 1
                seen[key] = aid
        lost_assignments = sum(len(r.lost) for r in raters)
        print("  assignments handed out before the primary died and lost with it: %d (given again: %d)"
              % (lost_assignments, regiven), flush=True)
        per_key = {}
        for r in raters:
            for k, n in r.votes_by_key.items():
                per_key[k] = per_key.get(k, 0) + n
        self.assertLessEqual(max(per_key.values()), OVERLAP)

        # Each node's vote index has the votes committed through the others (filtered rankings
        # walk the index), once its read pool's standby has replayed them.
        total = int(c.node_sql("pg2", "SELECT count(*) FROM votes WHERE project_id = %s" % project)[0][0])
        self.assertGreaterEqual(total, len(acked))
        for i in (1, 2, 3):
            node = Http(c.prefd_url(i), admin_token)
            seen = None
            deadline = time.time() + 20
            while time.time() < deadline:
                status, body = node.request("GET", "/api/v1/projects/%s/leaderboard?since=2000-01-01&ci=none" % slug)
                if status == 200:
                    seen = json.loads(body)["votes"]
                    if seen == total:
                        break
                time.sleep(0.5)
            node.close()
            self.assertEqual(seen, total, "node %d's ranking counts %s votes of %d" % (i, seen, total))
        for i in (1, 2, 3):
            self.assertIsNone(c.prefd[i].poll(), "prefd node %d died:\n%s" % (i, c.tail("prefd%d.log" % i)))
        # Every node stops cleanly (a sanitizer's report would make its exit status non-zero).
        codes = c.stop()
        self.assertEqual(codes, {"prefd1": 0, "prefd2": 0, "prefd3": 0})
        print("  whole test %.0f s" % (time.time() - t_start), flush=True)
        self.__class__.ok = True


if __name__ == "__main__":
    unittest.main(verbosity=2)
