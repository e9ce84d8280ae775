"""prefdtest - helpers for black-box tests of the built prefd over HTTP.

Each test class gets its own database in the private cluster that tests/run.sh started
(PREFD_TEST_PGDIR) and its own prefd process(es) on free ports. Only the standard library is
used, so that the checks are independent of the server's own code.
"""

import http.client
import json
import os
import signal
import socket
import ssl
import subprocess
import threading
import time
import unittest
import uuid

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PGDIR = os.environ.get("PREFD_TEST_PGDIR", "")
BIN = os.environ.get("PREFD_BIN", os.path.join(TOP, "build", "prefd"))
PREFCTL = os.environ.get("PREFCTL_BIN", os.path.join(TOP, "build", "prefctl"))
TMP = os.environ.get("PREFD_TEST_TMP", "/tmp")
DATA = os.path.join(TOP, "tests", "data", "vicuna80")


def pg(*args, check=True):
    """Runs tools/pg.sh against the test cluster; returns its stdout."""
    out = subprocess.run(["sh", os.path.join(TOP, "tools", "pg.sh"), args[0], PGDIR] + list(args[1:]),
                         check=check, capture_output=True, text=True, cwd=TOP)
    return out.stdout.strip()


def new_database(prefix="e2e"):
    """Creates a fresh database and returns (name, url)."""
    name = "%s_%s" % (prefix, uuid.uuid4().hex[:10])
    pg("createdb", name)
    return name, pg("url", name)


def psql(db, sql):
    """Runs SQL in database db; returns rows as lists of strings."""
    out = subprocess.run(["sh", os.path.join(TOP, "tools", "pg.sh"), "psql", PGDIR, db, "-X", "-q", "-t",
                          "-A", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-c", sql],
                         check=True, capture_output=True, text=True, cwd=TOP).stdout
    if out.endswith("\n"):
        out = out[:-1]
    return [line.split("\t") for line in out.split("\n")] if out else []


class Cluster:
    """A private PostgreSQL cluster of its own, for tests that stop or crash it (the shared one
    under PREFD_TEST_PGDIR must stay up for the others). Made with tools/pg.sh in a fresh
    directory under the run's temporary directory; stop() removes nothing (the logs stay)."""

    def __init__(self, name):
        self.dir = os.path.join(TMP, "%s-%s" % (name, uuid.uuid4().hex[:6]))
        os.makedirs(self.dir)
        os.chmod(self.dir, 0o755)
        self.sh("start")

    def sh(self, *args, check=True):
        out = subprocess.run(["sh", os.path.join(TOP, "tools", "pg.sh"), args[0], self.dir] + list(args[1:]),
                             check=check, capture_output=True, text=True, cwd=TOP, timeout=120)
        return out.stdout.strip()

    def database(self, name):
        self.sh("createdb", name)
        return self.sh("url", name)

    def psql(self, db, sql):
        out = subprocess.run(["sh", os.path.join(TOP, "tools", "pg.sh"), "psql", self.dir, db, "-X", "-q",
                              "-t", "-A", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-c", sql],
                             check=True, capture_output=True, text=True, cwd=TOP).stdout
        return [line.split("\t") for line in out.rstrip("\n").split("\n")] if out.strip() else []

    def start(self):
        self.sh("start")

    def crash(self):
        """pg_ctl stop -m immediate: every backend dies at once, recovery from the WAL later."""
        self.sh("crash")

    def stop(self):
        self.sh("stop", check=False)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def cli(db_url, *args, stdin=None, env=None):
    """Runs `prefd ARGS` against a database; returns the CompletedProcess."""
    e = dict(os.environ, PREFD_DATABASE_URL=db_url, PREFD_SCRYPT_N="1024")
    e.update(env or {})
    return subprocess.run([BIN] + list(args), input=stdin, capture_output=True, text=True, env=e, timeout=60)


class Server:
    """One prefd process."""

    def __init__(self, db_url, env=None, tls=None, name="prefd", open_files=None):
        self.port = free_port()
        self.db_url = db_url
        self.scheme = "https" if tls else "http"
        self.logpath = os.path.join(TMP, "%s-%d.log" % (name, self.port))
        e = dict(os.environ, PREFD_DATABASE_URL=db_url, PREFD_LISTEN="127.0.0.1:%d" % self.port,
                 PREFD_SCRYPT_N="1024", PREFD_DB_POOL="4", PREFD_LOG_LEVEL="info")
        if tls:
            e.update(PREFD_TLS_CERT=tls[0], PREFD_TLS_KEY=tls[1])
        e.update(env or {})
        self.log = open(self.logpath, "wb")
        limit = None
        if open_files:  # RLIMIT_NOFILE, soft and hard, for the process
            import resource
            limit = lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (open_files, open_files))  # noqa: E731
        self.proc = subprocess.Popen([BIN], env=e, stdout=self.log, stderr=subprocess.STDOUT, preexec_fn=limit)

    @property
    def url(self):
        return "%s://127.0.0.1:%d" % (self.scheme, self.port)

    def wait_ready(self, timeout=20, context=None):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("prefd exited with %s:\n%s" % (self.proc.returncode, self.read_log()))
            try:
                r = Client(self.url, context=context).get("/readyz")
                if r.status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("prefd did not become ready:\n" + self.read_log())

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode

    def read_log(self):
        if not self.log.closed:
            self.log.flush()
        with open(self.logpath, "rb") as f:
            return f.read().decode("utf-8", "replace")


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def json(self):
        return json.loads(self.body) if self.body else None

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def __repr__(self):
        return "<%d %r>" % (self.status, self.body[:300])


class Client:
    """A small HTTP client: a token or a cookie session, JSON in and out."""

    def __init__(self, base, token=None, context=None):
        self.base = base
        self.token = token
        self.cookie = None
        self.csrf = None
        self.context = context
        https = base.startswith("https://")
        hostport = base.split("://", 1)[1]
        self.host, port = hostport.rsplit(":", 1)
        self.port = int(port)
        self.https = https

    def connection(self, timeout=60):
        if self.https:
            return http.client.HTTPSConnection(self.host, self.port, timeout=timeout, context=self.context)
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def request(self, method, path, body=None, headers=None, content_type=None, raw=None):
        h = {}
        if self.token:
            h["Authorization"] = "Bearer " + self.token
        if self.cookie:
            h["Cookie"] = self.cookie
            if self.csrf and method in ("POST", "PUT", "PATCH", "DELETE"):
                h["X-CSRF-Token"] = self.csrf
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        if content_type:
            h["Content-Type"] = content_type
        h.update(headers or {})
        conn = self.connection()
        try:
            conn.request(method, path, body=data, headers=h)
            r = conn.getresponse()
            return Response(r.status, r.getheaders(), r.read())
        finally:
            conn.close()

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body=body, **kw)

    def patch(self, path, body=None, **kw):
        return self.request("PATCH", path, body=body, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    def login(self, username, password):
        r = self.post("/api/v1/session", {"username": username, "password": password})
        if r.status == 200:
            for k, v in r.headers:
                if k.lower() == "set-cookie" and v.startswith("prefd_session="):
                    self.cookie = v.split(";", 1)[0]
            self.csrf = r.json["csrf_token"]
        return r


def read_until_close(sock):
    """Everything a socket receives until the peer closes (a reset ends it too)."""
    chunks = []
    while True:
        try:
            b = sock.recv(65536)
        except ConnectionResetError:
            break
        if not b:
            break
        chunks.append(b)
    return b"".join(chunks)


def raw_http(port, data, timeout=10, read_all=True):
    """Sends raw bytes over TCP and returns everything the server wrote before closing."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(data)
        chunks = []
        while True:
            try:
                b = s.recv(65536)
            except socket.timeout:
                break
            if not b:
                break
            chunks.append(b)
            if not read_all:
                break
        return b"".join(chunks)
    finally:
        s.close()


def parse_responses(data, strict=False):
    """Splits raw HTTP/1.1 responses (1xx, Content-Length or chunked) into (status, headers, body).
    strict: every response must be complete and well-formed (AssertionError otherwise)."""
    out = []
    while data:
        head, sep, rest = data.partition(b"\r\n\r\n")
        if not sep:
            if strict:
                raise AssertionError("unterminated response head: %r" % data[:200])
            break
        lines = head.decode("latin-1").split("\r\n")
        if strict and not lines[0].startswith("HTTP/1.1 "):
            raise AssertionError("bad status line %r" % lines[0])
        status = int(lines[0].split(" ")[1])
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        if status < 200:
            body, data = b"", rest
        elif "content-length" in headers:
            n = int(headers["content-length"])
            if strict and len(rest) < n:
                raise AssertionError("short body: %r" % data[:300])
            body, data = rest[:n], rest[n:]
        elif headers.get("transfer-encoding") == "chunked":
            body = b""
            while True:
                size_line, _, rest = rest.partition(b"\r\n")
                size = int(size_line, 16)
                if size == 0:
                    _, _, rest = rest.partition(b"\r\n")
                    break
                body += rest[:size]
                rest = rest[size + 2:]
            data = rest
        else:
            body, data = rest, b""
        out.append((status, headers, body))
    return out


class PrefdCase(unittest.TestCase):
    """A test class with its own database, a running prefd and an admin token."""

    server_env = None

    @classmethod
    def setUpClass(cls):
        cls.db, cls.db_url = new_database(cls.__name__.lower())
        r = cli(cls.db_url, "user", "add", "admin", "--role", "admin", "--password-stdin",
                stdin="admin-password\n")
        if r.returncode != 0:
            raise RuntimeError("prefd user add failed: " + r.stderr)
        cls.admin_token = r.stdout.strip()
        cls.server = Server(cls.db_url, env=cls.server_env, name=cls.__name__).wait_ready()
        cls.admin = Client(cls.server.url, cls.admin_token)

    @classmethod
    def tearDownClass(cls):
        code = cls.server.stop()
        if code != 0:
            raise RuntimeError("prefd exited with %s:\n%s" % (code, cls.server.read_log()[-3000:]))

    def user(self, name, role="rater", password=None):
        """Creates a user through the API; returns a Client with its token."""
        body = {"name": name, "role": role}
        if password:
            body["password"] = password
        r = self.admin.post("/api/v1/users", body)
        self.assertEqual(r.status, 201, r)
        return Client(self.server.url, r.json["token"])

    def project(self, slug, **fields):
        body = {"slug": slug, "title": slug.title()}
        body.update(fields)
        r = self.admin.post("/api/v1/projects", body)
        self.assertEqual(r.status, 201, r)
        return r.json

    def upload(self, slug, lines, partial=None, client=None):
        data = "\n".join(json.dumps(x) if not isinstance(x, str) else x for x in lines).encode()
        path = "/api/v1/projects/%s/items" % slug
        if partial is not None:
            path += "?partial=" + ("true" if partial else "false")
        return (client or self.admin).post(path, raw=data, content_type="application/x-ndjson")

    def upload_vicuna(self, slug):
        with open(os.path.join(DATA, "items.jsonl"), "rb") as f:
            r = self.admin.post("/api/v1/projects/%s/items" % slug, raw=f.read(),
                                content_type="application/x-ndjson")
        self.assertEqual(r.status, 200, r)
        return r.json

    def assertError(self, r, status, code):
        self.assertEqual(r.status, status, r)
        body = r.json
        self.assertIsInstance(body, dict, r)
        self.assertEqual(body["error"]["code"], code, r)
        self.assertTrue(body["error"]["message"], r)
        return body


def parallel(n, fn):
    """Runs fn(i) in n threads; re-raises the first exception."""
    errors = []
    results = [None] * n

    def run(i):
        try:
            results[i] = fn(i)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return results
