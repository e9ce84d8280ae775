"""cluster - prefd's scaled-out topology on loopback: HAProxy, three prefd nodes, and a PostgreSQL
primary with a synchronous standby under a pg_auto_failover monitor.

    python3 tools/cluster.py run     `make cluster`: start it all under ./var/cluster, load the
                                         demo, print the URL, serve until Ctrl-C (data kept)

The failover test (tests/cluster/test_failover.py) and the throughput measurement
(tests/bench/cluster_bench.py) drive the same class. Every process runs from the files that
docker/compose.yaml uses too: docker/pgaf-node.sh for each PostgreSQL node and the monitor,
docker/haproxy.cfg, docker/pg_hba.conf, docker/pg-node.conf, docker/pg-monitor.conf.

Addresses: everything listens on 127.0.0.1, on ports from one base: HAProxy at base, prefd node i
at base + i, the monitor at base + 10, PostgreSQL node i at base + 10 + i. Each PostgreSQL node and
the monitor is a process group of its own (pg_autoctl and its postgres), so that `kill -9` of the
group is the machine dying. As root, the PostgreSQL side runs as the postgres user (initdb refuses
root, like `runuser -u postgres`); otherwise as the caller.
"""

import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.parse

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOCKER = os.path.join(TOP, "docker")
PG_BIN = "/usr/lib/postgresql/15/bin"
PG_NODES = ("pg1", "pg2")
PRIMARY_STATES = ("single", "wait_primary", "primary")


class ClusterError(RuntimeError):
    pass


def as_root():
    return os.geteuid() == 0


class Cluster:
    def __init__(self, root, base_port, build=None, nodes=3, prefd_env=None, log=None):
        self.root = os.path.abspath(root)
        self.base = base_port
        self.build = build or os.path.join(TOP, "build")
        self.nnodes = nodes
        self.prefd_env = dict(prefd_env or {})
        self.log = log or (lambda msg: print("cluster: " + msg, file=sys.stderr, flush=True))
        self.sockets = os.path.join(self.root, "sockets")
        self.pg_procs = {}  # name -> Popen of docker/pgaf-node.sh (a process group)
        self.prefd = {}  # node number -> Popen
        self.haproxy = None
        os.makedirs(self.root, exist_ok=True)
        self.secrets = self._secrets()

    # --- addresses ---

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.base

    def prefd_url(self, i):
        return "http://127.0.0.1:%d" % (self.base + i)

    def pg_port(self, name):
        return self.base + 10 + (0 if name == "monitor" else int(name[2:]))

    def database_url(self, attrs="read-write"):
        """The multi-host URL prefd uses: libpq tries the nodes in turn for the wanted server."""
        hosts = ",".join("127.0.0.1:%d" % self.pg_port(n) for n in PG_NODES)
        # tcp_user_timeout and keepalives: a node that vanishes without closing its connections
        # (a machine that dies) is noticed in seconds rather than after TCP's minutes.
        return ("postgresql://prefd:%s@%s/prefd?target_session_attrs=%s&sslmode=require"
                "&tcp_user_timeout=5000&keepalives_idle=5&keepalives_interval=2&keepalives_count=3"
                % (urllib.parse.quote(self.secrets["prefd"], safe=""), hosts, attrs))

    def read_url(self):
        return self.database_url("prefer-standby")

    # --- secrets: random passwords made once per cluster directory ---

    def _secrets(self):
        path = os.path.join(self.root, "secrets.json")
        if os.path.exists(path):
            with open(path) as f:
                return json.load(f)
        s = {k: secrets.token_urlsafe(18) for k in ("monitor", "replication", "health", "prefd")}
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(s, f)
        return s

    # --- PostgreSQL and the monitor ---

    def _pg_env(self, name):
        e = {
            "PATH": PG_BIN + ":/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "PGAF_ROLE": "monitor" if name == "monitor" else "postgres",
            "PGAF_DIR": os.path.join(self.root, name),
            "PGAF_NAME": name,
            "PGAF_HOSTNAME": "127.0.0.1",
            "PGAF_PORT": str(self.pg_port(name)),
            "PGAF_SOCKETS": self.sockets,
            "PGAF_MONITOR": "127.0.0.1:%d" % self.pg_port("monitor"),
            "PGAF_CONF": DOCKER,
            "PGAF_MONITOR_PASSWORD": self.secrets["monitor"],
            "PGAF_REPLICATION_PASSWORD": self.secrets["replication"],
            "PGAF_HEALTH_PASSWORD": self.secrets["health"],
            "PREFD_DB_PASSWORD": self.secrets["prefd"],
        }
        return e

    @staticmethod
    def _owner():
        """subprocess arguments that run a command as the PostgreSQL user (as root)."""
        return dict(user="postgres", group="postgres", extra_groups=[]) if as_root() else {}

    def _prepare_dirs(self):
        for d in [self.sockets] + [os.path.join(self.root, n) for n in ("monitor",) + PG_NODES]:
            os.makedirs(d, exist_ok=True)
            os.chmod(d, 0o700)
            if as_root():
                subprocess.run(["chown", "postgres:postgres", d], check=True)
        if as_root():
            # The postgres user must reach the node directories through the tree above them.
            os.chmod(self.root, 0o755)

    def start_pg_node(self, name):
        """Starts the monitor or a PostgreSQL node (made on first start) in a process group."""
        logpath = os.path.join(self.root, name + ".log")
        log = open(logpath, "ab")
        self.pg_procs[name] = subprocess.Popen(["sh", os.path.join(DOCKER, "pgaf-node.sh")], env=self._pg_env(name),
                                               stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                               start_new_session=True, cwd="/", **self._owner())
        log.close()

    def kill_pg_node(self, name, sig=signal.SIGKILL):
        """Signals the node's whole process group: SIGKILL is the machine dying."""
        p = self.pg_procs.get(name)
        if p is None:
            return
        try:
            os.killpg(p.pid, sig)
        except ProcessLookupError:
            pass
        if sig == signal.SIGKILL:
            p.wait()
            self._reap_group(p.pid)
            del self.pg_procs[name]

    def _reap_group(self, pgid, timeout=10):
        """Waits until no process of the group is left (postgres children die with it)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                os.killpg(pgid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)

    def monitor_sql(self, sql):
        """Runs SQL on the monitor over its unix socket; rows as lists of strings."""
        env = {"PATH": PG_BIN + ":/usr/bin:/bin", "PGHOST": self.sockets, "PGPORT": str(self.pg_port("monitor"))}
        out = subprocess.run(["psql", "-X", "-q", "-tA", "-F", "\t", "-d", "pg_auto_failover", "-c", sql], env=env,
                             capture_output=True, text=True, timeout=20, cwd="/", **self._owner())
        if out.returncode != 0:
            raise ClusterError("monitor: " + out.stderr.strip())
        return [line.split("\t") for line in out.stdout.splitlines() if line]

    def node_sql(self, name, sql, db="prefd"):
        """Runs SQL on one PostgreSQL node over its unix socket (as the PostgreSQL superuser)."""
        env = {"PATH": PG_BIN + ":/usr/bin:/bin", "PGHOST": self.sockets, "PGPORT": str(self.pg_port(name))}
        out = subprocess.run(["psql", "-X", "-q", "-tA", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-d", db, "-c", sql],
                             env=env, capture_output=True, text=True, timeout=60, cwd="/", **self._owner())
        if out.returncode != 0:
            raise ClusterError("%s: %s" % (name, out.stderr.strip()))
        return [line.split("\t") for line in out.stdout.splitlines() if line]

    def states(self):
        """{node name: (reported state, goal state)} as the monitor sees them."""
        try:
            rows = self.monitor_sql("SELECT nodename, reportedstate, goalstate FROM pgautofailover.node ORDER BY nodeid")
        except (ClusterError, subprocess.TimeoutExpired):
            return {}
        return {r[0]: (r[1], r[2]) for r in rows}

    def primary(self):
        """The node that is the writable primary now (reported and assigned), or None."""
        for name, (reported, goal) in self.states().items():
            if reported == goal and reported in PRIMARY_STATES:
                return name
        return None

    def wait(self, what, cond, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            v = cond()
            if v:
                return v
            for name, p in self.pg_procs.items():
                if p.poll() is not None:
                    raise ClusterError("%s exited with %s while waiting for %s:\n%s"
                                       % (name, p.returncode, what, self.tail(name + ".log")))
            time.sleep(0.25)
        raise ClusterError("timed out waiting for %s; states %s" % (what, self.states()))

    def healthy(self):
        """True when there is a primary and a synchronous standby (both reported as assigned)."""
        s = self.states()
        return (len(s) == 2 and any(v == ("primary", "primary") for v in s.values())
                and any(v == ("secondary", "secondary") for v in s.values()))

    def start_database(self, timeout=120):
        self._prepare_dirs()
        t0 = time.time()
        self.start_pg_node("monitor")
        # Up once pgaf-node.sh has made it (made and set up, it runs pg_autoctl) and it answers.
        self.wait("the monitor", lambda: "]: running on" in self.tail("monitor.log", 200)
                  and self._monitor_up(), timeout)
        # The first node must be registered before the second asks whether it is the first.
        self.start_pg_node("pg1")
        self.wait("the first node", lambda: any(v[0] in PRIMARY_STATES or v[0] == "secondary"
                                                for v in self.states().values()), timeout)
        self.start_pg_node("pg2")
        # The monitor remembers the last states of a cluster made before: ask the primary itself.
        self.wait("a primary and a synchronous standby", lambda: self.healthy() and self._writable(), timeout)
        self.log("database up in %.1f s: %s" % (time.time() - t0, self.states()))

    def _writable(self):
        try:
            return self.node_sql(self.primary(), "SELECT NOT pg_is_in_recovery()") == [["t"]]
        except (ClusterError, subprocess.TimeoutExpired, TypeError):
            return False

    def _monitor_up(self):
        try:
            self.monitor_sql("SELECT 1")
            return True
        except (ClusterError, subprocess.TimeoutExpired):
            return False

    # --- prefd and HAProxy ---

    def prefd_environment(self, i):
        e = dict(os.environ)
        # HAProxy connects from 127.0.0.1: its X-Forwarded-For names the client (login limits),
        # and its many connections are not one client's (PREFD_MAX_CONNS_PER_ADDR).
        e.update(PREFD_DATABASE_URL=self.database_url(), PREFD_DATABASE_READ_URL=self.read_url(),
                 PREFD_LISTEN="127.0.0.1:%d" % (self.base + i), PREFD_TRUSTED_PROXIES="127.0.0.1/32")
        e.update(self.prefd_env)
        return e

    def prefd_cli(self, *args, stdin=None):
        """`prefd ARGS` against the cluster's primary (migrate, user add ...)."""
        return subprocess.run([os.path.join(self.build, "prefd")] + list(args), input=stdin, capture_output=True,
                              text=True, env=self.prefd_environment(1), timeout=120)

    def start_prefd(self, i):
        log = open(os.path.join(self.root, "prefd%d.log" % i), "ab")
        self.prefd[i] = subprocess.Popen([os.path.join(self.build, "prefd")], env=self.prefd_environment(i),
                                         stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         start_new_session=True)
        log.close()

    def kill_prefd(self, i, sig=signal.SIGKILL):
        p = self.prefd.get(i)
        if p and p.poll() is None:
            p.send_signal(sig)
        if p:
            try:
                code = p.wait(40)
            except subprocess.TimeoutExpired:
                p.kill()
                code = p.wait()
            del self.prefd[i]
            return code
        return None

    def start_haproxy(self):
        e = dict(os.environ, PREFD_HAPROXY_BIND="127.0.0.1:%d" % self.base)
        for i in range(1, 4):
            e["PREFD_NODE%d" % i] = "127.0.0.1:%d" % (self.base + i)
        log = open(os.path.join(self.root, "haproxy.log"), "ab")
        self.haproxy = subprocess.Popen(["haproxy", "-db", "-f", os.path.join(DOCKER, "haproxy.cfg")], env=e,
                                        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                        start_new_session=True)
        log.close()

    def get(self, url, path, timeout=5):
        import http.client
        host, port = url.split("://", 1)[1].rsplit(":", 1)
        c = http.client.HTTPConnection(host, int(port), timeout=timeout)
        try:
            c.request("GET", path)
            r = c.getresponse()
            return r.status, r.read()
        except OSError:
            return None, b""
        finally:
            c.close()

    def wait_prefd(self, i, timeout=60):
        def ready():
            p = self.prefd.get(i)
            if p is None or p.poll() is not None:
                raise ClusterError("prefd node %d exited:\n%s" % (i, self.tail("prefd%d.log" % i)))
            return self.get(self.prefd_url(i), "/readyz")[0] == 200
        self.wait("prefd node %d" % i, ready, timeout)

    def wait_haproxy(self, timeout=30):
        def ready():
            if self.haproxy.poll() is not None:
                raise ClusterError("haproxy exited:\n" + self.tail("haproxy.log"))
            return self.get(self.url, "/readyz")[0] == 200
        self.wait("HAProxy", ready, timeout)

    def start(self, timeout=120):
        """The whole topology: database, migrations, prefd nodes, HAProxy."""
        self.start_database(timeout)
        r = self.prefd_cli("migrate")
        if r.returncode != 0:
            raise ClusterError("prefd migrate failed: " + r.stderr)
        for i in range(1, self.nnodes + 1):
            self.start_prefd(i)
        for i in range(1, self.nnodes + 1):
            self.wait_prefd(i, timeout)
        self.start_haproxy()
        self.wait_haproxy(timeout)

    def stop(self):
        """prefd first (SIGTERM drains), then HAProxy, the PostgreSQL nodes, the monitor last."""
        codes = {}
        for i in list(self.prefd):
            codes["prefd%d" % i] = self.kill_prefd(i, signal.SIGTERM)
        if self.haproxy and self.haproxy.poll() is None:
            self.haproxy.terminate()
            try:
                self.haproxy.wait(10)
            except subprocess.TimeoutExpired:
                self.haproxy.kill()
                self.haproxy.wait()
        for name in [n for n in self.pg_procs if n != "monitor"] + ["monitor"]:
            p = self.pg_procs.get(name)
            if p is None:
                continue
            try:
                p.send_signal(signal.SIGTERM)  # pg_autoctl stops its postgres (fast shutdown)
                p.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
            self._reap_group(p.pid, 30)
        self.pg_procs.clear()
        return codes

    def tail(self, name, n=40):
        try:
            with open(os.path.join(self.root, name), "rb") as f:
                return b"\n".join(f.read().splitlines()[-n:]).decode("utf-8", "replace")
        except OSError:
            return ""


# --- make cluster ---

DEMO_ADMIN = os.environ.get("PREFD_DEMO_ADMIN_PASSWORD", "prefd-admin")
DEMO_RATER = os.environ.get("PREFD_DEMO_RATER_PASSWORD", "prefd-rater")
REBOOT = 20  # seconds before make cluster starts a dead PostgreSQL node again


def load_demo(cluster, token):
    """The Vicuna80 demo through HAProxy, once (as `make run` does)."""
    import http.client
    host, port = cluster.url.split("://", 1)[1].rsplit(":", 1)

    def call(method, path, body=None, ctype="application/json"):
        c = http.client.HTTPConnection(host, int(port), timeout=120)
        try:
            c.request(method, path, body=body, headers={"Authorization": "Bearer " + token, "Content-Type": ctype})
            r = c.getresponse()
            return r.status, r.read()
        finally:
            c.close()

    if call("GET", "/api/v1/projects/vicuna80")[0] != 404:
        return
    cluster.log("loading the Vicuna80 demo project")
    data = os.path.join(TOP, "tests", "data", "vicuna80")
    for path, file, ctype in (("/api/v1/projects", "project.json", "application/json"),
                              ("/api/v1/projects/vicuna80/items", "items.jsonl", "application/x-ndjson"),
                              ("/api/v1/projects/vicuna80/votes/import", "votes.jsonl", "application/x-ndjson")):
        with open(os.path.join(data, file), "rb") as f:
            status, body = call("POST", path, f.read(), ctype)
        if status not in (200, 201):
            raise ClusterError("loading the demo: %s %s: %d %s" % (path, file, status, body[:300]))


def run():
    base = int(os.environ.get("PREFD_CLUSTER_PORT", "8088"))
    cluster = Cluster(os.path.join(TOP, "var", "cluster"), base)
    stopping = []

    def on_signal(sig, frame):
        if not stopping:
            stopping.append(sig)
            raise KeyboardInterrupt

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)
    status = 0
    try:
        cluster.start()
        r = cluster.prefd_cli("user", "add", "admin", "--role", "admin", "--password-stdin", stdin=DEMO_ADMIN + "\n")
        token = r.stdout.strip() if r.returncode == 0 else cluster.prefd_cli("user", "token", "admin").stdout.strip()
        if not token:
            raise ClusterError("cannot make the admin token: " + r.stderr)
        cluster.prefd_cli("user", "add", "rater", "--role", "rater", "--password-stdin", stdin=DEMO_RATER + "\n")
        load_demo(cluster, token)
        print("""
  prefd is serving at   %s/   (HAProxy, in front of prefd nodes at %s)
  admin login           admin / %s
  rater login           rater / %s
  admin API token       %s

  PostgreSQL            primary %s, synchronous standby %s, pg_auto_failover monitor at 127.0.0.1:%d
  Database URL          %s
  Everything lives in   %s (logs: *.log); data is kept between runs.

  Try:  curl -H 'Authorization: Bearer %s' %s/api/v1/projects/vicuna80/progress
        kill -9 a prefd node or a PostgreSQL node and watch the service carry on.
  Stop with Ctrl-C.
""" % (cluster.url, ", ".join(cluster.prefd_url(i) for i in range(1, cluster.nnodes + 1)), DEMO_ADMIN, DEMO_RATER,
            token, cluster.primary(), [n for n in PG_NODES if n != cluster.primary()][0], cluster.pg_port("monitor"),
            cluster.database_url().replace(cluster.secrets["prefd"], "***"), cluster.root, token, cluster.url),
            flush=True)
        dead = {}
        while True:
            for i, p in list(cluster.prefd.items()):
                if p.poll() is not None:
                    cluster.log("prefd node %d exited with %s; restarting it" % (i, p.returncode))
                    cluster.start_prefd(i)
            for name, p in list(cluster.pg_procs.items()):
                if p.poll() is not None and name not in dead:
                    cluster.log("%s exited with %s; starting it again in %d s (as a machine that reboots)"
                                % (name, p.returncode, REBOOT))
                    dead[name] = time.time()
                if name in dead and time.time() - dead[name] > REBOOT:
                    del dead[name]
                    cluster.start_pg_node(name)
            time.sleep(1)
    except KeyboardInterrupt:
        cluster.log("stopping")
    except ClusterError as e:
        print("cluster: %s" % e, file=sys.stderr)
        status = 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        cluster.stop()
    return status


if __name__ == "__main__":
    if sys.argv[1:] != ["run"]:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(run())
