"""prefctl, the command-line client, end to end against a running prefd.

Every check runs the built binary (PREFCTL_BIN) as a user would and compares what it prints with
what the API itself answers. Commands whose endpoint the server does not have yet (404 not_found
on an existing project) are skipped, saying so.
"""

import csv
import io
import json
import os
import re
import socket
import ssl
import subprocess
import tempfile
import unicodedata
import unittest

from prefdtest import DATA, PREFCTL, TMP, Client, PrefdCase, Server, cli, free_port, new_database, psql
from test_ops import make_cert

ITEMS = os.path.join(DATA, "items.jsonl")
VOTES = os.path.join(DATA, "votes.jsonl")
PROJECT = os.path.join(DATA, "project.json")


def run_ctl(url, token, *args, stdin=None, env=None, timeout=120, binary=False):
    """Runs prefctl ARGS against url with token; returns the CompletedProcess (text unless binary)."""
    e = {k: v for k, v in os.environ.items() if k not in ("PREFD_URL", "PREFD_TOKEN")}
    if url is not None:
        e["PREFD_URL"] = url
    if token is not None:
        e["PREFD_TOKEN"] = token
    e.update(env or {})
    return subprocess.run([PREFCTL] + list(args), input=stdin, capture_output=True, text=not binary,
                          env=e, timeout=timeout)


def width(s):
    """Display width in a terminal: East Asian wide/fullwidth 2, combining marks 0."""
    w = 0
    for ch in s:
        if unicodedata.category(ch) in ("Mn", "Me") or ch in "\u200b\u200c\u200d\ufeff":
            continue
        w += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return w


def kv(text):
    """Parses "key: value" lines into a dict."""
    out = {}
    for line in text.splitlines():
        if line.startswith(" "):
            continue
        key, sep, value = line.partition(":")
        if sep:
            out[key.strip()] = value.strip()
    return out


def rows(text):
    """Splits an aligned table into rows of cells (columns are 2+ spaces apart)."""
    return [re.split(r"\s{2,}", line.strip()) for line in text.splitlines() if line.strip()]


def item(i, models=("m1", "m2"), **extra):
    d = {"id": "p-%d" % i, "prompt": "Prompt %d" % i,
         "responses": [{"model": m, "text": "answer %d from %s" % (i, m)} for m in models]}
    d.update(extra)
    return d


def jsonl(lines):
    return "".join((json.dumps(x) if not isinstance(x, str) else x) + "\n" for x in lines)


class CtlCase(PrefdCase):
    def ctl(self, *args, token=None, **kw):
        return run_ctl(self.server.url, token or self.admin_token, *args, **kw)

    def ok(self, *args, **kw):
        r = self.ctl(*args, **kw)
        self.assertEqual(r.returncode, 0, "prefctl %s: %s" % (" ".join(args), r.stderr))
        return r

    def assertExit(self, r, code, stderr_has=None):
        self.assertEqual(r.returncode, code, "stdout=%r stderr=%r" % (r.stdout[-2000:], r.stderr[-2000:]))
        if stderr_has:
            self.assertIn(stderr_has, r.stderr)
        if code != 0:  # a line on stderr says why (progress lines may come first, a usage hint after)
            self.assertRegex(r.stderr, r"(?m)^prefctl: \S")

    def endpoint_missing(self, path):
        """True when the server does not have this endpoint yet (the project exists)."""
        r = self.admin.get(path)
        return r.status == 404 and (r.json or {}).get("error", {}).get("code") == "not_found"

    def require(self, path, name):
        if self.endpoint_missing(path):
            self.skipTest("the server has no %s endpoint yet (GET %s: 404 not_found)" % (name, path))


class ProjectsCtlTest(CtlCase):
    def test_create_show_list_update(self):
        r = self.ok("projects", "create", "ctl-a", "--title", "Ctl A", "--overlap", "3",
                    "--outcomes", "a,b,tie", "--flags", "unsafe, wrong", "--rationale", "required",
                    "--lease-seconds", "120", "--gold-rate", "0.25", "--raters", "all",
                    "--status", "paused")
        shown = kv(r.stdout)
        self.assertEqual(shown["slug"], "ctl-a")
        self.assertEqual(shown["title"], "Ctl A")
        api = self.admin.get("/api/v1/projects/ctl-a").json
        self.assertEqual(api["overlap"], 3)
        self.assertEqual(api["outcomes"], ["a", "b", "tie"])
        self.assertEqual(api["flags"], ["unsafe", "wrong"])
        self.assertEqual(api["rationale"], "required")
        self.assertEqual(api["lease_seconds"], 120)
        self.assertEqual(api["gold_rate"], 0.25)
        self.assertEqual(api["status"], "paused")
        self.assertEqual(api["raters"], "all")
        # show: readable, and --json equal to the API's answer
        r = self.ok("projects", "show", "ctl-a")
        shown = kv(r.stdout)
        self.assertEqual(shown["overlap"], "3")
        self.assertEqual(shown["outcomes"], "a, b, tie")
        self.assertEqual(shown["status"], "paused")
        self.assertEqual(shown["reviewers"], "(none)")
        self.assertEqual(json.loads(self.ok("projects", "show", "ctl-a", "--json").stdout), api)
        # update changes only what is given
        self.ok("projects", "update", "ctl-a", "--status", "active", "--title", "Ctl A2")
        api2 = self.admin.get("/api/v1/projects/ctl-a").json
        self.assertEqual((api2["status"], api2["title"], api2["overlap"]), ("active", "Ctl A2", 3))
        # --from a JSON body, with guidelines from a file overriding it
        with tempfile.NamedTemporaryFile("w", suffix=".md", delete=False) as g:
            g.write("# Judge well\n\nBe fair.\n")
        try:
            r = self.ok("projects", "create", "--from", PROJECT, "--guidelines-file", g.name)
        finally:
            os.unlink(g.name)
        with open(PROJECT) as f:
            want = json.load(f)
        api = self.admin.get("/api/v1/projects/vicuna80").json
        self.assertEqual(api["title"], want["title"])
        self.assertEqual(api["overlap"], want["overlap"])
        self.assertEqual(api["guidelines"], "# Judge well\n\nBe fair.\n")
        self.assertIn("guidelines:\n  # Judge well\n\n  Be fair.\n", r.stdout)
        # list: a table with every project, and --json equal to the API's items
        r = self.ok("projects", "list")
        table = rows(r.stdout)
        self.assertEqual(table[0], ["slug", "title", "status", "overlap"])
        listed = {row[0]: row for row in table[1:]}
        self.assertEqual(listed["ctl-a"], ["ctl-a", "Ctl A2", "active", "3"])
        self.assertEqual(listed["vicuna80"][1], want["title"])
        api_items = self.admin.get("/api/v1/projects?limit=1000").json["items"]
        self.assertEqual(json.loads(self.ok("projects", "list", "--json").stdout), api_items)
        # a duplicate is the server's 409, shown with its code
        r = self.ctl("projects", "create", "ctl-a", "--title", "again")
        self.assertExit(r, 4, "409 conflict")
        # a value the server refuses: its validation message
        r = self.ctl("projects", "create", "ctl-b", "--title", "B", "--outcomes", "a,tie")
        self.assertExit(r, 4, "422 validation_failed")

    def test_wide_titles_align(self):
        titles = {"wide-1": "評価プロジェクト", "wide-2": "ｆｕｌｌｗｉｄｔｈ", "wide-3": "Cafe\u0301 plain",
                  "wide-4": "x"}
        for slug, title in titles.items():
            self.ok("projects", "create", slug, "--title", title)
        lines = self.ok("projects", "list").stdout.splitlines()
        starts = {width(lines[0][:lines[0].index("status")])}
        for line in lines[1:]:
            if line.split(" ")[0] in titles:
                starts.add(width(line[:line.index("  active") + 2]))
        self.assertEqual(len(starts), 1, "\n".join(lines))

    def test_progress(self):
        self.ok("projects", "create", "prog", "--title", "Progress", "--overlap", "2")
        self.upload("prog", [item(i, ("x", "y", "z")) for i in range(4)])
        r = self.ok("progress", "prog")
        got = kv(r.stdout)
        api = self.admin.get("/api/v1/projects/prog/progress").json
        for key, value in api.items():
            self.assertEqual(got[key], str(value), key)
        self.assertEqual(api["comparisons"], 12)
        self.assertEqual(got["complete"], "0.0% of the target votes")
        self.assertEqual(json.loads(self.ok("progress", "prog", "--json").stdout), api)


class UploadCtlTest(CtlCase):
    def test_upload_vicuna(self):
        self.project("vic")
        r = self.ok("upload", "vic", ITEMS)
        self.assertEqual(r.stdout, "items: 80 accepted, 0 unchanged, 0 rejected\n")
        # stderr is not a terminal here: a few plain progress lines, not a flood
        progress = [l for l in r.stderr.splitlines() if l.startswith("upload: ")]
        self.assertTrue(progress, r.stderr)
        self.assertLessEqual(len(progress), 12, r.stderr)
        self.assertIn("100%", r.stderr)
        self.assertNotIn("\r", r.stderr)
        self.assertEqual(self.admin.get("/api/v1/projects/vic/progress").json["prompts"], 80)
        # the same file again: unchanged; --json gives the server's report
        r = self.ok("upload", "vic", ITEMS, "--json", "--quiet")
        self.assertEqual(json.loads(r.stdout), {"accepted": 0, "unchanged": 80, "rejected": 0, "errors": []})
        self.assertEqual(r.stderr, "")

    def test_upload_rejected_lines(self):
        self.project("bad")
        lines = [item(1), "{not json", item(3, prompt=""), item(4, ("solo",)), item(5)]
        with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
            f.write(jsonl(lines))
        try:
            r = self.ctl("upload", "bad", f.name, "-q")
            self.assertExit(r, 5, "3 of 5 lines rejected; nothing was stored")
            out = r.stdout.splitlines()
            self.assertEqual(out[0], "items: 2 valid, 0 unchanged, 3 rejected, none stored")
            self.assertRegex(out[1], r"^line 2: invalid_json: .+")
            self.assertRegex(out[2], r"^line 3 \(id p-3\): validation_failed: .*prompt")
            self.assertRegex(out[3], r"^line 4 \(id p-4\): validation_failed: .+")
            self.assertEqual(len(out), 4)
            self.assertEqual(self.admin.get("/api/v1/projects/bad/progress").json["prompts"], 0)
            # --partial stores the valid lines, still exit 5
            r = self.ctl("upload", "bad", f.name, "--partial", "-q")
            self.assertExit(r, 5, "3 of 5 lines rejected; the other 2 were stored")
            self.assertEqual(self.admin.get("/api/v1/projects/bad/progress").json["prompts"], 2)
        finally:
            os.unlink(f.name)
        # the same with --json: the server's report, exit 5
        r = self.ctl("upload", "bad", "-", "--json", stdin=jsonl([item(9, ("q",))]))
        self.assertExit(r, 5)
        self.assertEqual(json.loads(r.stdout)["rejected"], 1)

    def test_upload_stdin(self):
        self.project("pipe")
        data = jsonl([item(i, ("a", "b")) for i in range(50)])
        r = self.ok("upload", "pipe", "-", stdin=data)
        self.assertEqual(r.stdout, "items: 50 accepted, 0 unchanged, 0 rejected\n")
        self.assertEqual(self.admin.get("/api/v1/projects/pipe/progress").json["prompts"], 50)
        # an empty pipe: the server's answer
        r = self.ctl("upload", "pipe", "-", stdin="")
        self.assertExit(r, 4, "400 bad_request")

    def test_upload_errors(self):
        r = self.ctl("upload", "nope", ITEMS, "-q")
        self.assertExit(r, 4, '404 not_found: no project "nope"')
        r = self.ctl("upload", "nope", "/nonexistent/file.jsonl")
        self.assertExit(r, 1, "cannot open /nonexistent/file.jsonl")
        self.project("rater-up")
        rater = self.user("up-rater")
        r = self.ctl("upload", "rater-up", ITEMS, "-q", token=rater.token)
        self.assertExit(r, 4, "403 forbidden")


class UsersCtlTest(CtlCase):
    def test_users(self):
        r = self.ok("users", "add", "ctl-ann", "--role", "analyst")
        token = r.stdout.strip()
        self.assertEqual(r.stdout, token + "\n")
        self.assertTrue(token.startswith("pfd_"))
        self.assertEqual(Client(self.server.url, token).get("/api/v1/me").json["name"], "ctl-ann")
        # with a password for the browser
        self.ok("users", "add", "ctl-bob", "--role", "rater", "--password-stdin", stdin="bob-password-1\n")
        self.assertEqual(Client(self.server.url).login("ctl-bob", "bob-password-1").status, 200)
        # list
        table = rows(self.ok("users", "list").stdout)
        self.assertEqual(table[0], ["name", "role", "status", "created"])
        byname = {row[0]: row for row in table[1:]}
        self.assertEqual(byname["ctl-ann"][1:3], ["analyst", "active"])
        self.assertEqual(byname["ctl-bob"][1:3], ["rater", "active"])
        # disable / enable
        r = self.ok("users", "disable", "ctl-ann")
        self.assertEqual(r.stdout, "user ctl-ann disabled\n")
        self.assertEqual(Client(self.server.url, token).get("/api/v1/me").status, 401)
        byname = {row[0]: row for row in rows(self.ok("users", "list").stdout)[1:]}
        self.assertEqual(byname["ctl-ann"][2], "disabled")
        self.assertEqual(self.ok("users", "enable", "ctl-ann").stdout, "user ctl-ann enabled\n")
        self.assertEqual(Client(self.server.url, token).get("/api/v1/me").status, 200)
        # a new token: printed alone, works, the old one stops
        r = self.ok("users", "token", "ctl-ann")
        new = r.stdout.strip()
        self.assertEqual(r.stdout, new + "\n")
        self.assertNotEqual(new, token)
        self.assertEqual(Client(self.server.url, new).get("/api/v1/me").json["name"], "ctl-ann")
        self.assertEqual(Client(self.server.url, token).get("/api/v1/me").status, 401)
        # a user may renew their own token
        r = self.ok("users", "token", "ctl-ann", token=new)
        self.assertEqual(Client(self.server.url, r.stdout.strip()).get("/api/v1/me").status, 200)
        # errors
        self.assertExit(self.ctl("users", "add", "ctl-ann", "--role", "rater"), 4, "409 conflict")
        self.assertExit(self.ctl("users", "add", "ctl-cy", "--role", "boss"), 2, "--role")
        self.assertExit(self.ctl("users", "add", "ctl-cy"), 2, "--role")
        self.assertExit(self.ctl("users", "disable", "ghost"), 4, "404 not_found")
        self.assertExit(self.ctl("users", "add", "ctl-dd", "--role", "rater", "--password-stdin", stdin="short\n"),
                        4, "422 validation_failed")

    def test_list_follows_pages(self):
        psql(self.db, "INSERT INTO users (name, role) SELECT 'bulk-' || g, 'rater' FROM generate_series(1, 1105) g")
        names = [row[0] for row in rows(self.ok("users", "list").stdout)[1:]]
        want = [row[0] for row in psql(self.db, "SELECT name FROM users ORDER BY id")]
        self.assertGreater(len(want), 1000)  # more than one page of the API's largest
        self.assertEqual(names, want)
        listed = json.loads(self.ok("users", "list", "--json").stdout)
        self.assertEqual([u["name"] for u in listed], want)
        self.assertEqual(set(listed[0]), {"id", "name", "role", "disabled", "created_at"})


class ErrorsCtlTest(CtlCase):
    def test_usage_errors(self):
        for args in (["frobnicate"], ["projects"], ["projects", "frob"], ["projects", "show"],
                     ["projects", "show", "a", "b"], ["projects", "list", "--bogus"],
                     ["projects", "create", "x", "--title", "t", "--overlap", "many"],
                     ["projects", "create", "x"], ["leaderboard", "p", "--ties", "sometimes"],
                     ["leaderboard", "p", "--json", "--csv"], ["export", "p", "--format", "xml"],
                     ["upload", "p"], ["--nope", "projects", "list"], ["projects", "list", "--url"],
                     ["projects", "list", "--url", "ftp://host"], ["projects", "list", "--timeout", "-1"],
                     ["projects", "list", "--cacert", "/nonexistent.pem"], []):
            r = self.ctl(*args)
            self.assertEqual(r.returncode, 2, "%s: %r" % (args, r.stderr))
            self.assertTrue(r.stderr, args)
            self.assertEqual(r.stdout, "", args)
        r = run_ctl(self.server.url, None, "projects", "list")
        self.assertExit(r, 2, "no API token")

    def test_help(self):
        r = self.ok("--help")
        for name in ("projects list", "projects create", "projects show", "upload", "import-votes",
                     "leaderboard", "matrix", "export", "users add", "users list", "users disable",
                     "users enable", "users token", "progress", "raters"):
            self.assertRegex(r.stdout, r"\n  %s\s" % re.escape(name))
        for code in ("0", "2", "3", "4", "5"):
            self.assertRegex(r.stdout, r"\n  %s  " % code)
        r = self.ok("upload", "--help")
        self.assertIn("usage: prefctl upload PROJECT FILE", r.stdout)
        self.assertIn("--partial", r.stdout)
        self.assertIn("--ties", self.ok("leaderboard", "-h").stdout)
        self.assertIn("prefctl users token NAME", self.ok("users", "--help").stdout)
        self.assertIn("prefctl ", self.ok("--version").stdout)
        # global options work before the command too
        r = run_ctl(None, None, "--url", self.server.url, "--token", self.admin_token, "projects", "list")
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_server_errors(self):
        r = self.ctl("projects", "show", "no-such")
        self.assertExit(r, 4)
        self.assertEqual(r.stderr, 'prefctl: 404 not_found: no project "no-such"\n')
        r = self.ctl("projects", "list", token="pfd_not-a-real-token")
        self.assertExit(r, 4, "401 unauthorized")
        self.assertNotIn("pfd_not-a-real-token", r.stdout + r.stderr)  # never echoed
        rater = self.user("err-rater")
        r = self.ctl("users", "list", token=rater.token)
        self.assertExit(r, 4, "403 forbidden")
        self.assertNotIn(rater.token, r.stdout + r.stderr)
        # something that is not prefd: a plain HTTP error without the API's JSON
        r = self.ctl("projects", "list", "--url", self.server.url + "/static/nothing")
        self.assertExit(r, 4)

    def test_network_errors(self):
        r = self.ctl("projects", "list", "--url", "http://127.0.0.1:%d" % free_port())
        self.assertExit(r, 3, "cannot connect")
        # a server that accepts the connection and never answers: --timeout
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        s.listen(4)
        try:
            r = self.ctl("projects", "list", "--url", "http://127.0.0.1:%d" % s.getsockname()[1],
                         "--timeout", "1")
            self.assertExit(r, 3, "timed out")
        finally:
            s.close()
        # plain HTTP to an HTTPS-less port speaking nonsense
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        s.listen(4)
        try:
            r = self.ctl("projects", "list", "--url", "https://127.0.0.1:%d" % s.getsockname()[1],
                         "--timeout", "1")
            self.assertExit(r, 3)
        finally:
            s.close()


class TlsCtlTest(unittest.TestCase):
    def test_https(self):
        cert, key = make_cert(TMP)
        db, url = new_database("ctltls")
        token = cli(url, "user", "add", "admin", "--role", "admin").stdout.strip()
        ctx = ssl.create_default_context(cafile=cert)
        server = Server(url, tls=(cert, key), name="ctltls").wait_ready(context=ctx)
        try:
            Client(server.url, token, context=ctx).post("/api/v1/projects", {"slug": "tls-p", "title": "TLS"})
            r = run_ctl(server.url, token, "projects", "list", "--cacert", cert)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("tls-p", r.stdout)
            self.assertEqual(r.stderr, "")
            r = run_ctl(server.url, token, "projects", "list")
            self.assertEqual(r.returncode, 3, r.stderr)
            self.assertIn("certificate", r.stderr)
            self.assertEqual(r.stdout, "")
            r = run_ctl(server.url, token, "--insecure", "projects", "list")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("tls-p", r.stdout)
            self.assertIn("--insecure", r.stderr)
            self.assertIn("not verified", r.stderr)
            # plain HTTP to the TLS port is a network error
            r = run_ctl(server.url.replace("https:", "http:"), token, "projects", "list", "--timeout", "5")
            self.assertEqual(r.returncode, 3, r.stderr)
        finally:
            self.assertEqual(server.stop(), 0)


class RankingsCtlTest(CtlCase):
    """leaderboard, matrix, export, import-votes and raters on the Vicuna80 data."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        admin = Client(cls.server.url, cls.admin_token)
        admin.post("/api/v1/projects", {"slug": "vic", "title": "Vicuna80"})
        with open(ITEMS, "rb") as f:
            admin.post("/api/v1/projects/vic/items", raw=f.read(), content_type="application/x-ndjson")

    imported = False

    def import_vicuna(self):
        """Imports the Vicuna80 votes with prefctl, once for the class."""
        self.require("/api/v1/projects/vic/votes/import", "votes/import")  # POST-only: 405 when present
        if RankingsCtlTest.imported:
            return
        r = self.ok("import-votes", "vic", VOTES)
        self.assertEqual(r.stdout, "votes: 7040 accepted, 0 unchanged, 0 rejected\n")
        RankingsCtlTest.imported = True

    def test_import_votes(self):
        self.import_vicuna()
        if not self.endpoint_missing("/api/v1/projects/vic/leaderboard"):
            self.assertEqual(self.admin.get("/api/v1/projects/vic/leaderboard").json["votes"], 7040)
        self.project("imp-bad")
        lines = [{"model_a": "x", "model_b": "y", "winner": "model_a"}, "nope",
                 {"model_a": "x", "model_b": "y", "winner": "maybe"}]
        r = self.ctl("import-votes", "imp-bad", "-", stdin=jsonl(lines))
        self.assertExit(r, 5, "2 of 3 lines rejected; nothing was stored")
        out = r.stdout.splitlines()
        self.assertEqual(out[0], "votes: 1 valid, 0 unchanged, 2 rejected, none stored")
        self.assertRegex(out[1], r"^line 2: invalid_json: ")
        self.assertRegex(out[2], r"^line 3: \w+: .+")
        r = self.ctl("import-votes", "imp-bad", "-", "--partial", stdin=jsonl(lines))
        self.assertExit(r, 5, "the other 1 were stored")

    def test_leaderboard(self):
        self.require("/api/v1/projects/vic/leaderboard", "leaderboard")
        self.import_vicuna()
        api = self.admin.get("/api/v1/projects/vic/leaderboard").json
        r = self.ok("leaderboard", "vic")
        lines = r.stdout.splitlines()
        self.assertTrue(lines[0].startswith("vic: %d votes, %s (" % (api["votes"], api["method"]["model"])), lines[0])
        self.assertIn("ties=half", lines[0])
        table = rows("\n".join(l for l in lines if not re.match(r"^(vic:|position bias|the comparison)", l)))
        self.assertEqual(table[0], ["rank", "model", "rating", "95% interval", "votes", "win rate"])
        self.assertEqual(len(table) - 1, len(api["models"]))
        for row, m in zip(table[1:], api["models"]):
            self.assertEqual(row[0], str(m["rank"]))
            self.assertEqual(row[1], m["model"])
            self.assertEqual(row[2], "%.1f" % m["rating"])
            self.assertEqual(row[3], "%.1f\u2013%.1f" % (m["ci_low"], m["ci_high"]))
            self.assertEqual(row[4], str(m["votes"]))
            self.assertEqual(row[5], "%.1f%%" % (100 * m["win_rate"]))
        # --json: the server's answer
        got = json.loads(self.ok("leaderboard", "vic", "--json").stdout)
        self.assertEqual(got["models"], api["models"])
        # --csv: RFC 4180 with every number
        r = self.ctl("leaderboard", "vic", "--csv", binary=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        text = r.stdout.decode()
        self.assertEqual(text.count("\r\n"), len(api["models"]) + 1)
        self.assertEqual(text.count("\n"), len(api["models"]) + 1)
        recs = list(csv.DictReader(io.StringIO(text, newline="")))
        self.assertEqual([x["model"] for x in recs], [m["model"] for m in api["models"]])
        for rec, m in zip(recs, api["models"]):
            for key in ("rating", "ci_low", "ci_high", "win_rate"):
                self.assertEqual(float(rec[key]), m[key], key)
            for key in ("rank", "votes", "wins", "losses", "ties", "both_bad"):
                self.assertEqual(int(rec[key]), m[key], key)
        # the options reach the server as its query parameters
        query = ("?ties=exclude&both_bad=exclude&ci=none&anchor=gpt-4&anchor_rating=1200&min_votes=400"
                 "&weights=reliability")
        api = self.admin.get("/api/v1/projects/vic/leaderboard" + query).json
        got = json.loads(self.ok("leaderboard", "vic", "--ties", "exclude", "--both-bad", "exclude", "--ci", "none",
                                 "--anchor", "gpt-4", "--anchor-rating", "1200", "--min-votes", "400",
                                 "--weights", "reliability", "--json").stdout)
        self.assertEqual(got["method"]["weights"], "reliability")
        self.assertEqual(got["models"], api["models"])
        self.assertEqual(got["method"], api["method"])
        r = self.ok("leaderboard", "vic", "--ci", "none", "--anchor", "gpt-4", "--anchor-rating", "1200")
        row = [x for x in rows(r.stdout) if len(x) > 1 and x[1] == "gpt-4"][0]
        self.assertEqual((row[2], row[3]), ("1200.0", "-"))
        r = self.ok("leaderboard", "vic", "--ci", "bootstrap", "--rounds", "50", "--seed", "7", "--json")
        self.assertEqual(json.loads(r.stdout)["method"]["ci"], "bootstrap")
        self.assertExit(self.ctl("leaderboard", "nope"), 4, "404 not_found")
        self.assertExit(self.ctl("leaderboard", "vic", "--weights", "gold"), 2, "--weights")

    def test_leaderboard_names_and_components(self):
        self.require("/api/v1/projects/vic/leaderboard", "leaderboard")
        self.require("/api/v1/projects/vic/votes/import", "votes/import")
        self.project("names")
        names = ["評価モデル-甲", "ｆｕｌｌ", "cafe\u0301-e\u0301", 'comma,"quoted"',
                 "a-very-long-model-name-2024-06-01-instruct-preview"]
        votes = []
        for i, a in enumerate(names[:3]):
            for b in names[:3]:
                if a != b:
                    votes += [{"model_a": a, "model_b": b, "winner": "model_a"}] * (3 + i)
                    votes += [{"model_a": a, "model_b": b, "winner": "tie"}]
        votes += [{"model_a": names[3], "model_b": names[4], "winner": w} for w in
                  ("model_a", "model_b", "model_a", "tie")]
        self.ok("import-votes", "names", "-", stdin=jsonl(votes))
        api = self.admin.get("/api/v1/projects/names/leaderboard").json
        self.assertEqual(api["components"], 2)
        r = self.ok("leaderboard", "names")
        self.assertIn("2 components", r.stdout)
        lines = [l for l in r.stdout.splitlines() if l.lstrip().startswith(("rank",) + tuple(
            "%d " % m["rank"] for m in api["models"]))]
        self.assertEqual(len(lines), len(names) + 1, r.stdout)
        self.assertTrue(lines[0].endswith("component"), lines[0])
        # right-aligned rating column ends at the same display column on every line
        ends = set()
        for line, m in zip(lines[1:], api["models"]):
            start = line.index(m["model"]) + len(m["model"])
            rating = "%.1f" % m["rating"]
            ends.add(width(line[:line.index(rating, start) + len(rating)]))
            self.assertTrue(line.endswith(" %d" % m["component"]), line)
        ends.add(width(lines[0][:lines[0].index("rating") + len("rating")]))
        self.assertEqual(len(ends), 1, r.stdout)
        # CSV keeps every name exactly
        r = self.ctl("leaderboard", "names", "--csv", binary=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(b'"comma,""quoted"""', r.stdout)
        recs = list(csv.DictReader(io.StringIO(r.stdout.decode(), newline="")))
        self.assertEqual([x["model"] for x in recs], [m["model"] for m in api["models"]])
        self.assertEqual([int(x["component"]) for x in recs], [m["component"] for m in api["models"]])

    def test_matrix(self):
        self.require("/api/v1/projects/vic/matrix", "matrix")
        self.import_vicuna()
        api = self.admin.get("/api/v1/projects/vic/matrix").json
        n = len(api["models"])
        for flag, key in ((None, "observed"), ("--predicted", "predicted"), ("--counts", "counts")):
            r = self.ok("matrix", "vic", *([flag] if flag else []))
            table = rows(r.stdout)[1:]  # after the title line
            self.assertEqual(table[0][1:], api["models"])
            self.assertEqual(len(table), n + 1)
            for i, row in enumerate(table[1:]):
                self.assertEqual(row[0], api["models"][i])
                for j in range(n):
                    v = api[key][i][j]
                    if i == j or v is None:
                        want = "-"
                    elif key == "counts":
                        want = str(v)
                    else:
                        want = "%.2f" % v
                    self.assertEqual(row[j + 1], want, (key, i, j))
        self.assertEqual(json.loads(self.ok("matrix", "vic", "--json").stdout)["models"], api["models"])
        self.assertExit(self.ctl("matrix", "vic", "--counts", "--predicted"), 2)

    def test_export(self):
        self.require("/api/v1/projects/vic/votes?format=jsonl", "votes export")
        self.import_vicuna()
        with tempfile.TemporaryDirectory() as d:
            for fmt in ("jsonl", "csv", "arena", "dpo"):
                api = self.admin.get("/api/v1/projects/vic/votes?format=" + fmt)
                self.assertEqual(api.status, 200, api)
                out = os.path.join(d, "votes." + fmt)
                r = self.ok("export", "vic", "--format", fmt, "-o", out)
                self.assertEqual(r.stdout, "")
                with open(out, "rb") as f:
                    self.assertEqual(f.read(), api.body, fmt)
            # to stdout, with a filter passed through
            api = self.admin.get("/api/v1/projects/vic/votes?format=jsonl&category=generic")
            r = self.ok("export", "vic", "--category", "generic")
            self.assertEqual(r.stdout.encode(), api.body)
            # a failed export leaves an existing file alone and no temporary file behind
            out = os.path.join(d, "keep.jsonl")
            with open(out, "w") as f:
                f.write("old\n")
            self.assertExit(self.ctl("export", "nope", "-o", out), 4, "404 not_found")
            with open(out) as f:
                self.assertEqual(f.read(), "old\n")
            self.assertEqual(sorted(os.listdir(d)), ["keep.jsonl", "votes.arena", "votes.csv", "votes.dpo",
                                                     "votes.jsonl"])
            with open(os.path.join(d, "votes.dpo")) as f:
                rows_dpo = [json.loads(l) for l in f]
            if rows_dpo:
                self.assertEqual(set(rows_dpo[0]), {"prompt", "chosen", "rejected", "chosen_model", "rejected_model"})

    def test_raters(self):
        self.require("/api/v1/projects/vic/raters", "raters")
        api = self.admin.get("/api/v1/projects/vic/raters?limit=1000").json["items"]
        got = json.loads(self.ok("raters", "vic", "--json").stdout)
        self.assertEqual(got, api)
        table = rows(self.ok("raters", "vic").stdout)
        self.assertEqual(table[0][:3], ["rater", "votes", "median s"])
        self.assertEqual([row[0] for row in table[1:]], [x["rater"] for x in api])


if __name__ == "__main__":
    unittest.main()
