"""cluster_bench - throughput through HAProxy with one and with three prefd nodes (`make
bench-cluster`). A measurement, not a test: it prints figures and asserts nothing about them.

The topology is the loopback cluster of tools/cluster.py (PostgreSQL primary, synchronous
standby, pg_auto_failover, HAProxy). Two loads, each for a fixed time, first with node 1 alone
behind HAProxy, then with all three:

  rating    raters loop GET next + POST vote (each vote a synchronous commit on the standby too)
  rankings  analysts loop GET leaderboard?since=... (the vote index; read pool on the standby)

The load generator is Python in a few processes on the same machine, so on a small machine it
competes with prefd, HAProxy and PostgreSQL for the cores; the figures say what this machine does.

    python3 tests/bench/cluster_bench.py [--seconds 10] [--clients 16]
"""

import argparse
import http.client
import json
import multiprocessing
import os
import random
import shutil
import sys
import tempfile
import threading
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(TOP, "tools"))
sys.path.insert(0, os.path.join(TOP, "tests", "cluster"))
from cluster import Cluster  # noqa: E402
from test_failover import Http, free_base  # noqa: E402


def worker(url, tokens, kind, slug, seconds, out):
    """One process: a thread per token, each looping its request for `seconds`; puts (ok, failed, ms list)."""
    stop = time.time() + seconds
    results = []

    def loop(token):
        h = Http(url, token)
        ok = failed = 0
        lat = []
        while time.time() < stop:
            t = time.time()
            if kind == "rating":
                status, body = h.request("GET", "/api/v1/projects/%s/next" % slug)
                if status == 200:
                    a = json.loads(body)
                    status, body = h.request("POST", "/api/v1/assignments/%s/vote" % a["id"],
                                             {"choice": random.choice("ab"), "elapsed_ms": 1000})
                good = status == 201
            else:
                status, body = h.request("GET", "/api/v1/projects/%s/leaderboard?since=2000-01-01&ci=none" % slug)
                good = status == 200
            if good:
                ok += 1
                lat.append((time.time() - t) * 1e3)
            else:
                failed += 1
        h.close()
        results.append((ok, failed, lat))

    threads = [threading.Thread(target=loop, args=(t,)) for t in tokens]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.put((sum(r[0] for r in results), sum(r[1] for r in results), [x for r in results for x in r[2]]))


def measure(url, tokens, kind, slug, seconds, procs=2):
    q = multiprocessing.Queue()
    share = [tokens[i::procs] for i in range(procs)]
    ps = [multiprocessing.Process(target=worker, args=(url, s, kind, slug, seconds, q)) for s in share if s]
    t0 = time.time()
    for p in ps:
        p.start()
    got = [q.get() for _ in ps]
    for p in ps:
        p.join()
    elapsed = time.time() - t0
    ok = sum(g[0] for g in got)
    failed = sum(g[1] for g in got)
    lat = sorted(x for g in got for x in g[2])
    p50 = lat[len(lat) // 2] if lat else 0
    p99 = lat[int(len(lat) * 0.99)] if lat else 0
    return ok / elapsed, failed, p50, p99


def setup_project(admin, slug, prompts):
    status, body = admin.request("POST", "/api/v1/projects", {"slug": slug, "title": slug, "overlap": 3})
    assert status == 201, body
    items = "\n".join(json.dumps({"id": "p%d" % i, "prompt": "prompt %d" % i, "category": "c%d" % (i % 4),
                                  "responses": [{"model": m, "text": "%s answers %d" % (m, i)}
                                                for m in ("m1", "m2", "m3", "m4")]}) for i in range(prompts))
    status, body = admin.request("POST", "/api/v1/projects/%s/items" % slug, items.encode(), "application/x-ndjson",
                                 timeout=300)
    assert status == 200, body


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--prompts", type=int, default=500)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="prefd-bench-cluster-")
    os.chmod(tmp, 0o755)
    build = os.path.join(TOP, os.environ.get("BUILD", "build"))
    c = Cluster(os.path.join(tmp, "cluster"), free_base(), build=build, nodes=1,
                prefd_env={"PREFD_LOG_LEVEL": "warn", "PREFD_SCRYPT_N": "1024"})
    try:
        c.start()
        token = c.prefd_cli("user", "add", "admin", "--role", "admin").stdout.strip()
        admin = Http(c.url, token)
        for slug in ("one", "three"):
            setup_project(admin, slug, args.prompts)
        raters = []
        for i in range(args.clients):
            status, body = admin.request("POST", "/api/v1/users", {"name": "r%d" % i, "role": "rater"})
            assert status == 201, body
            raters.append(json.loads(body)["token"])
        analysts = [token] * args.clients
        print("\nthroughput through HAProxy (%d clients, %.0f s each, %d cores; load generator on the same "
              "machine)" % (args.clients, args.seconds, os.cpu_count()))
        print("  %-9s %-6s %12s %8s %9s %9s" % ("load", "nodes", "per second", "failed", "p50 ms", "p99 ms"))
        for nodes, slug in ((1, "one"), (3, "three")):
            if nodes == 3:
                for i in (2, 3):
                    c.start_prefd(i)
                for i in (2, 3):
                    c.wait_prefd(i)
                time.sleep(2.5)  # HAProxy's checks put them in
            rate, failed, p50, p99 = measure(c.url, raters, "rating", slug, args.seconds)
            print("  %-9s %-6d %8.0f votes %8d %9.1f %9.1f" % ("rating", nodes, rate, failed, p50, p99), flush=True)
            rate, failed, p50, p99 = measure(c.url, analysts, "rankings", slug, args.seconds)
            print("  %-9s %-6d %7.0f ranks %8d %9.1f %9.1f" % ("rankings", nodes, rate, failed, p50, p99),
                  flush=True)
        admin.close()
    finally:
        c.stop()
        if not os.environ.get("PREFD_BENCH_KEEP"):
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print("logs in " + tmp)


if __name__ == "__main__":
    main()
