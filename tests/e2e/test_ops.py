"""Operations: HTTPS, graceful SIGTERM, and riding out a database outage."""

import json
import os
import signal
import socket
import ssl
import subprocess
import time
import unittest

from prefdtest import TMP, Client, PrefdCase, Server, cli, new_database, parse_responses, pg


def make_cert(directory):
    """A self-signed certificate for 127.0.0.1, made with the openssl command."""
    cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    if not os.path.exists(cert):
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                        "-keyout", key, "-out", cert, "-subj", "/CN=127.0.0.1",
                        "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    return cert, key


class TlsTest(unittest.TestCase):
    def test_https(self):
        cert, key = make_cert(TMP)
        db, url = new_database("tls")
        token = cli(url, "user", "add", "admin", "--role", "admin", "--password-stdin",
                    stdin="admin-password\n").stdout.strip()
        ctx = ssl.create_default_context(cafile=cert)
        server = Server(url, tls=(cert, key), name="tls").wait_ready(context=ctx)
        try:
            c = Client(server.url, token, context=ctx)
            me = c.get("/api/v1/me")
            self.assertEqual(me.json["name"], "admin")
            # every answer over TLS tells browsers to come back over TLS only, errors included
            self.assertEqual(me.header("Strict-Transport-Security"), "max-age=31536000")
            self.assertEqual(c.get("/nowhere").header("Strict-Transport-Security"), "max-age=31536000")
            browser = Client(server.url, context=ctx)
            r = browser.login("admin", "admin-password")
            self.assertEqual(r.status, 200)
            self.assertIn("Secure", r.header("Set-Cookie"))
            # an unverified client is refused by its own TLS check; a plain-HTTP client gets nothing
            with self.assertRaises(ssl.SSLError):
                Client(server.url, token, context=ssl.create_default_context()).get("/healthz")
            s = socket.create_connection(("127.0.0.1", server.port), timeout=5)
            s.sendall(b"GET /healthz HTTP/1.1\r\n\r\n")
            try:
                data = s.recv(100)
            except ConnectionResetError:
                data = b""
            s.close()
            self.assertFalse(data.startswith(b"HTTP/1.1 200"))
        finally:
            self.assertEqual(server.stop(), 0)

    def test_bad_certificate_settings(self):
        db, url = new_database("tlsbad")
        env = dict(os.environ, PREFD_DATABASE_URL=url, PREFD_TLS_CERT="/nonexistent.pem",
                   PREFD_TLS_KEY="/nonexistent.key", PREFD_LISTEN="127.0.0.1:0")
        r = subprocess.run([os.environ.get("PREFD_BIN")], env=env, capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 1)
        self.assertIn("PREFD_TLS_CERT", r.stderr)


class ShutdownTest(PrefdCase):
    def test_sigterm_finishes_requests_in_flight(self):
        self.project("drain")
        server = Server(self.db_url, name="drain", env={"PREFD_SHUTDOWN_GRACE": "20s"}).wait_ready()
        lines = [json.dumps({"id": "d-%d" % i, "prompt": "p", "responses": [
            {"model": "a", "text": "x"}, {"model": "b", "text": "y"}]}) for i in range(20)]
        body = ("\n".join(lines)).encode()
        half = len(body) // 2
        s = socket.create_connection(("127.0.0.1", server.port), timeout=30)
        s.sendall(b"POST /api/v1/projects/drain/items HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                  + self.admin_token.encode() + b"\r\nContent-Type: application/x-ndjson\r\nContent-Length: "
                  + str(len(body)).encode() + b"\r\n\r\n" + body[:half])
        time.sleep(0.3)
        idle = socket.create_connection(("127.0.0.1", server.port), timeout=30)  # idle keep-alive
        time.sleep(0.2)
        server.proc.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        # readiness says no, new connections are refused, the idle one is closed
        self.assertIsNone(server.proc.poll())
        self.assertEqual(idle.recv(10), b"")
        with self.assertRaises(OSError):
            Client(server.url).get("/healthz")
        s.sendall(body[half:])
        out = b""
        while True:
            b = s.recv(65536)
            if not b:
                break
            out += b
        (status, headers, resp), = parse_responses(out)
        self.assertEqual(status, 200, resp)
        self.assertEqual(json.loads(resp)["accepted"], 20)
        self.assertEqual(headers.get("connection"), "close")
        self.assertEqual(server.stop(), 0)
        self.assertIn("msg=shutdown_complete", server.read_log())


class OutageTest(PrefdCase):
    # A long wait for a connection, so that an answer well before it shows prefd did not wait.
    server_env = {"PREFD_DB_WAIT": "20s"}

    def test_database_outage(self):
        self.project("outage")
        self.assertEqual(self.admin.get("/readyz").status, 200)
        pg("stop")
        try:
            deadline = time.time() + 15
            while time.time() < deadline and self.admin.get("/readyz").status == 200:
                time.sleep(0.1)
            r = self.admin.get("/readyz")
            self.assertEqual(r.status, 503)
            self.assertFalse(r.json["database"])
            self.assertEqual(Client(self.server.url).get("/healthz").status, 200)
            t0 = time.time()
            r = self.admin.get("/api/v1/projects")
            self.assertError(r, 503, "unavailable")
            self.assertLess(time.time() - t0, 10)
            self.assertError(self.admin.post("/api/v1/projects", {"slug": "later", "title": "x"}), 503,
                             "unavailable")
        finally:
            pg("start")
        deadline = time.time() + 20
        while time.time() < deadline and self.admin.get("/readyz").status != 200:
            time.sleep(0.1)
        self.assertEqual(self.admin.get("/readyz").status, 200)
        self.assertEqual(self.admin.get("/api/v1/projects/outage").status, 200)
        self.assertEqual(self.admin.get("/api/v1/projects/later").status, 404)  # nothing half-made
        self.assertIn("msg=db_connected", self.server.read_log())
