"""make bench: the rating loop and uploads against the physical limits of this machine, in one run.

On the same private PostgreSQL (fsync on) and the same machine: pgbench committing one single-row
INSERT per transaction at 1, 4, 16 and 64 clients; the load client's ceiling on /healthz, against
prefd and against a bare libevent evhttp server; an upload of 100,000 prompts with 5 answers each
(1,000,000 comparisons) and one of 2,000 prompts (20,000); `next` latency with one rater at
20,000 and at 1,000,000 comparisons; next+vote cycles per second at 1, 4, 16 and 64 raters, and
their ratio to pgbench at as many clients. Prints figures; asserts nothing about time.
"""

import json
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from prefdtest import Client, Server, cli, free_port, new_database, pg, psql  # noqa: E402
from bench import machine, memory_kb, row, upload  # noqa: E402

BUILD = os.environ.get("PREFD_BUILD", "build")
PGDIR = os.environ["PREFD_TEST_PGDIR"]
TMP = os.environ["PREFD_TEST_TMP"]
SECONDS = float(os.environ.get("BENCH_LOOP_SECONDS", "10"))
CLIENTS = (1, 4, 16, 64)


def pgbench(db, clients, seconds):
    """Single-row INSERT transactions per second with `clients` connections."""
    script = os.path.join(TMP, "insert.sql")
    with open(script, "w") as f:
        f.write("INSERT INTO bench_insert (rater, choice) VALUES (:client_id, 'a');\n")
    port = open(os.path.join(PGDIR, "port")).read().strip()
    env = dict(os.environ, PGPASSWORD=open(os.path.join(PGDIR, "password")).read().strip())
    out = subprocess.run(["pgbench", "-h", "127.0.0.1", "-p", port, "-U", "prefd", "-n", "-f", script,
                          "-c", str(clients), "-j", str(min(clients, 2)), "-T", str(int(seconds)), db],
                         capture_output=True, text=True, env=env, check=True).stdout
    return float(re.search(r"tps = ([0-9.]+)", out).group(1))


def loadgen(port, *args):
    out = subprocess.run([os.path.join(BUILD, "bench", "loadgen"), "127.0.0.1", str(port)] + [str(a) for a in args],
                         capture_output=True, text=True, check=True).stdout
    return {k: float(v) for k, v in re.findall(r"(\w+)=([0-9.]+)", out)}


def write_items(path, prompts, answers, prefix):
    with open(path, "w") as f:
        for i in range(prompts):
            f.write(json.dumps({"id": "%s-%d" % (prefix, i), "prompt": "Question %d: explain topic %d." % (i, i % 997),
                                "category": ("coding", "writing", "math")[i % 3], "language": "en",
                                "responses": [{"model": "model-%d" % m,
                                               "text": "Answer %d of model %d, with **some** markdown." % (i, m)}
                                              for m in range(answers)]}) + "\n")


def main():
    print("prefd rating-loop benchmark on %s" % machine())
    print("  (PostgreSQL 15 with fsync and synchronous_commit on, in %s)" % PGDIR)

    print("\nPostgreSQL alone: pgbench, one single-row INSERT per transaction")
    pg("createdb", "pgbench")
    psql("pgbench", "CREATE TABLE IF NOT EXISTS bench_insert (id bigserial PRIMARY KEY, rater int, "
                    "choice text, at timestamptz DEFAULT now())")
    tps = {}
    for c in CLIENTS:
        tps[c] = pgbench("pgbench", c, SECONDS)
        row("%d client%s" % (c, "" if c == 1 else "s"), "%.0f transactions/s" % tps[c])

    db, url = new_database("loop")
    token = cli(url, "user", "add", "bench", "--role", "admin").stdout.strip()
    server = Server(url, env={"PREFD_LOG_LEVEL": "warn", "PREFD_DB_POOL": "8"}, name="loop").wait_ready()
    bare = subprocess.Popen([os.path.join(BUILD, "bench", "bare_http"), str(free_port())])
    try:
        bare_port = int(bare.args[1])
        time.sleep(0.3)
        print("\nHTTP alone: the load client on /healthz, 16 keep-alive connections")
        b = loadgen(bare_port, 5, "--healthz", "--conns", 16)
        p = loadgen(server.port, 5, "--healthz", "--conns", 16)
        row("bare libevent evhttp server (the load client's ceiling)", "%.0f requests/s" % b["per_s"])
        row("prefd", "%.0f requests/s = %.2f x the bare server" % (p["per_s"], p["per_s"] / b["per_s"]))

        base = server.url
        admin = Client(base, token)
        print("\nUploads (POST .../items, JSON Lines, streamed, all or nothing)")
        for slug, prompts in (("small", 2000), ("large", 100000)):
            admin.post("/api/v1/projects", {"slug": slug, "title": slug.title(), "overlap": 1})
            path = os.path.join(TMP, slug + ".jsonl")
            write_items(path, prompts, 5, slug)
            rss = memory_kb(server.proc.pid, "VmRSS")
            elapsed, rep = upload(base, token, "/api/v1/projects/%s/items" % slug, path)
            row("%d prompts x 5 answers = %d comparisons, %.0f MB" % (prompts, prompts * 10, os.path.getsize(path) / 1e6),
                "%.2f s = %.0f prompts/s (%d accepted); RSS %+.1f MB, peak %.1f MB"
                % (elapsed, prompts / elapsed, rep["accepted"], (memory_kb(server.proc.pid, "VmRSS") - rss) / 1024,
                   memory_kb(server.proc.pid, "VmHWM") / 1024))
        # what autovacuum would do next: done now, so that it does not run during the timings
        psql(db, "VACUUM ANALYZE")
        sizes = psql(db, "SELECT pg_relation_size('comparisons'), pg_relation_size('comparisons_queue'), "
                         "pg_total_relation_size('comparisons'), (SELECT count(*) FROM comparisons)")[0]
        heap, queue, total, n = (int(x) for x in sizes)
        row("database space per comparison (heap / queue index / all)",
            "%.0f / %.0f / %.0f bytes" % (heap / n, queue / n, total / n))

        tokens = []
        for i in range(max(CLIENTS)):
            tokens.append(admin.post("/api/v1/users", {"name": "rater-%d" % i, "role": "rater"}).json["token"])
        files = {}
        for c in CLIENTS:
            files[c] = os.path.join(TMP, "tokens-%d" % c)
            with open(files[c], "w") as f:
                f.write("\n".join(tokens[:c]) + "\n")

        print("\n`next` latency, one rater looping next + vote (%.0f s each)" % SECONDS)
        for slug, n in (("small", 20000), ("large", 1000000)):
            r = loadgen(server.port, SECONDS, "--tokens", files[1], "--project", slug)
            row("%d comparisons" % n, "p50 %.2f ms, p99 %.2f ms (%.0f cycles/s)"
                % (r["next_p50_ms"], r["next_p99_ms"], r["per_s"]))

        print("\nThe rating loop: raters looping GET next + POST vote, 1,000,000 comparisons (%.0f s each)" % SECONDS)
        print("  every vote committed (fsync) before its 201; ratio: cycles/s over pgbench at as many clients")
        for c in CLIENTS:
            r = loadgen(server.port, SECONDS, "--tokens", files[c], "--project", "large")
            row("%d rater%s" % (c, "" if c == 1 else "s"),
                "%.0f cycles/s = %.3f x pgbench; next p50 %.1f ms, p99 %.1f ms; errors %d"
                % (r["per_s"], r["per_s"] / tps[c], r["next_p50_ms"], r["next_p99_ms"], r["errors"]))
        row("prefd peak memory over the whole run", "%.1f MB" % (memory_kb(server.proc.pid, "VmHWM") / 1024))
    finally:
        bare.terminate()
        bare.wait()
        server.stop()


if __name__ == "__main__":
    main()
