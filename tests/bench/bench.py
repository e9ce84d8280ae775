"""make bench: import, ranking, export and rating-loop figures on this machine (printed, not asserted).

One million synthetic votes over 129 models drawn from known strengths (gen_votes.c) are imported
through the API; then the leaderboard (sandwich, 100 and 1000 bootstrap rounds), filtered
leaderboards, the matrix and the exports are timed, the server's memory is read from /proc, and
the fitted ratings are compared with the true ones. The rating loop and uploads: bench_loop.py.
"""

import csv
import http.client
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from prefdtest import Client, Server, cli, new_database, psql  # noqa: E402

BUILD = os.environ.get("PREFD_BUILD", "build")
VOTES = int(os.environ.get("BENCH_VOTES", "1000000"))
MODELS = int(os.environ.get("BENCH_MODELS", "129"))
IMPORT_ONLY = os.environ.get("BENCH_IMPORT_ONLY") == "1"  # stop after the import figures


def machine():
    model = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return "%s, %d cores, %.0f GiB" % (model, os.cpu_count(), os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 2**30)


def memory_kb(pid, field):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


class Timer:
    def __init__(self, base, token):
        host, port = base.split("://")[1].rsplit(":", 1)
        self.conn = http.client.HTTPConnection(host, int(port), timeout=600)
        self.headers = {"Authorization": "Bearer " + token}

    def get(self, path):
        t0 = time.perf_counter()
        self.conn.request("GET", path, headers=self.headers)
        r = self.conn.getresponse()
        body = r.read()
        ms = (time.perf_counter() - t0) * 1000
        if r.status != 200:
            raise RuntimeError("%s: %d %s" % (path, r.status, body[:300]))
        return ms, body

    def series(self, paths):
        times = [self.get(p)[0] for p in paths]
        return statistics.median(times), max(times)


def upload(base, token, path, data_path):
    host, port = base.split("://")[1].rsplit(":", 1)
    # 1 MiB writes: with http.client's default of 8 kB the client, not prefd, sets the pace.
    conn = http.client.HTTPConnection(host, int(port), timeout=3600, blocksize=1 << 20)
    size = os.path.getsize(data_path)
    with open(data_path, "rb") as f:
        t0 = time.perf_counter()
        conn.request("POST", path, body=f, headers={"Authorization": "Bearer " + token,
                                                    "Content-Type": "application/x-ndjson",
                                                    "Content-Length": str(size)})
        r = conn.getresponse()
        body = r.read()
        elapsed = time.perf_counter() - t0
    if r.status != 200:
        raise RuntimeError("upload: %d %s" % (r.status, body[:500]))
    return elapsed, json.loads(body)


def export(base, token, path):
    host, port = base.split("://")[1].rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=3600)
    t0 = time.perf_counter()
    conn.request("GET", path, headers={"Authorization": "Bearer " + token})
    r = conn.getresponse()
    n = lines = 0
    while True:
        chunk = r.read(1 << 20)
        if not chunk:
            break
        n += len(chunk)
        lines += chunk.count(b"\n")
    return time.perf_counter() - t0, r.status, n, lines


def spearman(xs, ys):
    def ranks(v):
        order = sorted(range(len(v)), key=lambda i: v[i])
        r = [0.0] * len(v)
        for k, i in enumerate(order):
            r[i] = k
        return r
    return statistics.correlation(ranks(xs), ranks(ys))


def copy_rate(db, tmp):
    """PostgreSQL's own bulk load of the rows the import stored: the same imported_votes rows,
    written out once, then loaded with COPY (through psql's \\copy, over the same loopback socket
    as prefd's COPY) into a bare table of the same columns (no index, no constraint, no trigger),
    in one transaction; and for scale into a table like imported_votes itself (its primary key and
    checks, not its trigger). Returns (rows, bare seconds, like-table seconds), best of two loads."""
    path = os.path.join(tmp, "imported.copy")
    cols = ("id, project_id, import_id, model_left, model_right, choice, prompt_ext, item_id, rater_label, "
            "category, language, created_at")
    psql(db, "\\copy (SELECT %s FROM imported_votes ORDER BY id) TO '%s'" % (cols, path))
    best = None
    for k in range(2):
        psql(db, "DROP TABLE IF EXISTS bench_bare; CREATE TABLE bench_bare AS SELECT %s FROM imported_votes "
                 "WITH NO DATA" % cols)
        t0 = time.perf_counter()
        psql(db, "\\copy bench_bare FROM '%s'" % path)
        el = time.perf_counter() - t0
        best = el if best is None else min(best, el)
    n = int(psql(db, "SELECT count(*) FROM bench_bare")[0][0])
    psql(db, "DROP TABLE bench_bare")
    like = None
    for k in range(2):
        psql(db, "DROP TABLE IF EXISTS bench_like; CREATE TABLE bench_like (LIKE imported_votes INCLUDING ALL)")
        t0 = time.perf_counter()
        psql(db, "\\copy bench_like (%s) FROM '%s'" % (cols, path))
        el = time.perf_counter() - t0
        like = el if like is None else min(like, el)
    psql(db, "DROP TABLE bench_like")
    os.unlink(path)
    return n, best, like


def row(label, value):
    print("  %-58s %s" % (label, value))


def main():
    tmp = os.environ["PREFD_TEST_TMP"]
    print("prefd benchmark on %s" % machine())
    data, truth_path = os.path.join(tmp, "votes.jsonl"), os.path.join(tmp, "truth.csv")
    t0 = time.perf_counter()
    subprocess.run([os.path.join(BUILD, "bench", "gen_votes"), str(VOTES), str(MODELS), "2026", data, truth_path],
                   check=True)
    print("  (generated %d votes over %d models, %.0f MB, in %.1f s)"
          % (VOTES, MODELS, os.path.getsize(data) / 1e6, time.perf_counter() - t0))
    db, url = new_database("bench")
    token = cli(url, "user", "add", "bench", "--role", "admin").stdout.strip()
    server = Server(url, env={"PREFD_LOG_LEVEL": "warn", "PREFD_DB_POOL": "8"}, name="bench").wait_ready()
    try:
        base = server.url
        admin = Client(base, token)
        admin.post("/api/v1/projects", {"slug": "bench", "title": "Benchmark"})
        rss0 = memory_kb(server.proc.pid, "VmRSS")

        print("\nImport (POST /votes/import, streamed, one transaction)")
        elapsed, rep = upload(base, token, "/api/v1/projects/bench/votes/import", data)
        row("votes imported", "%d in %.2f s = %.0f votes/s" % (rep["accepted"], elapsed, rep["accepted"] / elapsed))
        n, copy_s, like_s = copy_rate(db, tmp)
        row("PostgreSQL COPY of the same rows into a bare table", "%d in %.2f s = %.0f rows/s" % (n, copy_s, n / copy_s))
        row("import rate / COPY rate (target >= 0.5)", "%.2f" % ((rep["accepted"] / elapsed) / (n / copy_s)))
        row("(COPY into a table like imported_votes: key and checks)", "%.2f s = %.0f rows/s, import / that %.2f"
            % (like_s, n / like_s, (rep["accepted"] / elapsed) / (n / like_s)))
        row("server memory after import (RSS / peak)", "%.1f MB / %.1f MB (%.1f MB before)"
            % (memory_kb(server.proc.pid, "VmRSS") / 1024, memory_kb(server.proc.pid, "VmHWM") / 1024, rss0 / 1024))
        if IMPORT_ONLY:
            return

        timer = Timer(base, token)
        lb = "/api/v1/projects/bench/leaderboard"
        # A process that has not ranked this project yet answers from the pair totals and starts
        # loading its vote index in the background; a filtered ranking waits for that load. The
        # timed series below run once the index is loaded (while it loads, the loop also parses
        # its rows, and rankings take about twice as long).
        print("\nLeaderboard on %d stored votes, %d models (median / worst of the runs)" % (VOTES, MODELS))
        ms, _ = timer.get(lb)
        row("first request (pair totals; starts loading the vote index)", "%.1f ms" % ms)
        ms, _ = timer.get(lb + "?category=coding")
        row("first filtered request (waits for the index to load)", "%.1f ms" % ms)
        med, worst = timer.series([lb] * 20)
        row("sandwich intervals (20 runs)", "%.1f ms / %.1f ms" % (med, worst))
        med, worst = timer.series([lb + "?ci=none"] * 10)
        row("no intervals (10 runs)", "%.1f ms / %.1f ms" % (med, worst))
        med, worst = timer.series([lb + "?ci=bootstrap&rounds=100&seed=%d" % s for s in range(10)])
        row("bootstrap, 100 rounds (10 runs, new seed each)", "%.1f ms / %.1f ms" % (med, worst))
        med, worst = timer.series([lb + "?ci=bootstrap&rounds=1000&seed=%d" % s for s in range(5)])
        row("bootstrap, 1000 rounds (5 runs, new seed each)", "%.1f ms / %.1f ms" % (med, worst))
        for label, q in (("category=coding", "?category=coding"), ("language=zh", "?language=zh"),
                         ("category and language", "?category=math&language=en"),
                         ("since/until, 10 days with partial ends",
                          "?since=2026-10-01T06:00:00Z&until=2026-10-11T18:00:00Z"),
                         ("all four filters", "?category=writing&language=zh&since=2026-10-01T06:00:00Z"
                                              "&until=2026-11-01T06:00:00Z")):
            med, worst = timer.series([lb + q] * 10)
            row("filtered: %s" % label, "%.1f ms / %.1f ms" % (med, worst))
        med, worst = timer.series(["/api/v1/projects/bench/matrix"] * 10)
        row("matrix (10 runs)", "%.1f ms / %.1f ms" % (med, worst))

        print("\nAccuracy against the true strengths")
        with open(truth_path) as f:
            truth = {r["model"]: float(r["rating"]) for r in csv.DictReader(f)}
        _, body = timer.get(lb)
        fit = {m["model"]: m for m in json.loads(body)["models"]}
        names = sorted(truth)
        xs, ys = [truth[n] for n in names], [fit[n]["rating"] for n in names]
        errs = [abs(a - b) for a, b in zip(xs, ys)]
        covered = sum(1 for n in names if fit[n]["ci_low"] <= truth[n] <= fit[n]["ci_high"])
        row("Pearson / Spearman correlation", "%.5f / %.5f" % (statistics.correlation(xs, ys), spearman(xs, ys)))
        row("rating error: mean / max (arena points)", "%.2f / %.2f" % (statistics.mean(errs), max(errs)))
        row("true rating inside the 95% sandwich interval", "%d of %d models" % (covered, len(names)))

        print("\nExports (GET /votes, streamed)")
        for fmt in ("jsonl", "csv", "arena"):
            before = memory_kb(server.proc.pid, "VmHWM")
            rss = memory_kb(server.proc.pid, "VmRSS")
            el, status, size, lines = export(base, token, "/api/v1/projects/bench/votes?format=" + fmt)
            if status != 200:
                row("format=%s" % fmt, "HTTP %d" % status)
                continue
            after = memory_kb(server.proc.pid, "VmRSS")
            row("format=%s" % fmt, "%.0f MB, %d lines in %.2f s = %.0f votes/s, %.0f MB/s; RSS %+.1f MB, peak %.1f MB"
                % (size / 1e6, lines, el, lines / el, size / 1e6 / el, (after - rss) / 1024,
                   max(before, memory_kb(server.proc.pid, "VmHWM")) / 1024))

        row("server peak memory over the whole run", "%.1f MB" % (memory_kb(server.proc.pid, "VmHWM") / 1024))
    finally:
        server.stop()


if __name__ == "__main__":
    main()
