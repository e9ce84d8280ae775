"""Accounts: users, roles, tokens, password login with cookie sessions and CSRF, the CLI."""

from prefdtest import Client, PrefdCase, cli, psql


class AccountsTest(PrefdCase):
    server_env = {"PREFD_LOGIN_ATTEMPTS": "3"}

    def test_create_and_list(self):
        r = self.admin.post("/api/v1/users", {"name": "ann", "role": "analyst", "password": "ann-password"})
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json["name"], "ann")
        self.assertEqual(r.json["role"], "analyst")
        token = r.json["token"]
        self.assertTrue(token.startswith("pfd_"))
        # only a hash is stored
        rows = psql(self.db, "SELECT encode(t.hash, 'hex') FROM api_tokens t JOIN users u ON u.id = t.user_id "
                             "WHERE u.name = 'ann'")
        self.assertEqual(len(rows), 1)
        self.assertNotIn(token, rows[0][0])
        me = Client(self.server.url, token).get("/api/v1/me")
        self.assertEqual(me.json, {"id": r.json["id"], "name": "ann", "role": "analyst"})
        self.assertError(self.admin.post("/api/v1/users", {"name": "ann", "role": "rater"}), 409, "conflict")
        self.assertError(self.admin.post("/api/v1/users", {"name": "bob", "role": "boss"}), 422, "validation_failed")
        self.assertError(self.admin.post("/api/v1/users", {"name": "bad name", "role": "rater"}),
                         422, "validation_failed")
        self.assertError(self.admin.post("/api/v1/users", {"name": "bob", "role": "rater", "password": "short"}),
                         422, "validation_failed")
        users = self.admin.get("/api/v1/users").json
        self.assertIn("ann", [u["name"] for u in users["items"]])
        for u in users["items"]:
            self.assertEqual(set(u), {"id", "name", "role", "disabled", "created_at"})

    def test_pagination(self):
        for i in range(5):
            self.user("page-%d" % i)
        seen = []
        cursor = None
        while True:
            path = "/api/v1/users?limit=2" + ("&cursor=" + cursor if cursor else "")
            page = self.admin.get(path).json
            self.assertLessEqual(len(page["items"]), 2)
            seen += [u["name"] for u in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        self.assertEqual(len(seen), len(set(seen)))
        self.assertTrue({"page-%d" % i for i in range(5)} <= set(seen))
        self.assertError(self.admin.get("/api/v1/users?limit=0"), 400, "bad_request")
        self.assertError(self.admin.get("/api/v1/users?limit=1001"), 400, "bad_request")
        self.assertError(self.admin.get("/api/v1/users?cursor=abc"), 400, "bad_request")

    def test_session_login(self):
        self.user("carol", "rater", password="carol-password")
        c = Client(self.server.url)
        self.assertError(c.login("carol", "wrong-password"), 401, "unauthorized")
        self.assertError(c.login("nobody", "whatever-pw"), 401, "unauthorized")
        r = c.login("carol", "carol-password")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["user"]["name"], "carol")
        self.assertEqual(r.json["user"]["role"], "rater")
        cookie = r.header("Set-Cookie")
        self.assertIn("HttpOnly", cookie)
        self.assertIn("SameSite=Strict", cookie)
        self.assertNotIn("Secure", cookie)  # plain HTTP here; see the TLS test
        me = c.get("/api/v1/me")
        self.assertEqual(me.json["name"], "carol")
        self.assertEqual(me.json["csrf_token"], c.csrf)
        # state changes need the CSRF token
        token_path = "/api/v1/users/carol/token"
        saved = c.csrf
        c.csrf = None
        self.assertError(c.post(token_path), 403, "forbidden")
        c.csrf = "wrong"
        self.assertError(c.post(token_path), 403, "forbidden")
        c.csrf = saved
        self.assertEqual(c.post(token_path).status, 201)
        # logout revokes the session on the server
        old = c.cookie
        self.assertEqual(c.delete("/api/v1/session").status, 204)
        c2 = Client(self.server.url)
        c2.cookie = old
        self.assertError(c2.get("/api/v1/me"), 401, "unauthorized")

    def test_login_rate_limit(self):
        self.user("dave", "rater", password="dave-password")
        c = Client(self.server.url)
        for _ in range(3):
            self.assertError(c.login("dave", "bad-password"), 401, "unauthorized")
        r = c.login("dave", "dave-password")
        self.assertError(r, 429, "rate_limited")
        self.assertTrue(int(r.header("Retry-After")) > 0)

    def test_tokens(self):
        erin = self.user("erin")
        old = erin.token
        r = erin.post("/api/v1/users/erin/token")
        self.assertEqual(r.status, 201, r)
        self.assertError(Client(self.server.url, old).get("/api/v1/me"), 401, "unauthorized")
        erin.token = r.json["token"]
        self.assertEqual(erin.get("/api/v1/me").status, 200)
        self.assertError(erin.post("/api/v1/users/admin/token"), 403, "forbidden")
        self.assertError(self.admin.post("/api/v1/users/ghost/token"), 404, "not_found")
        r = self.admin.post("/api/v1/users/erin/token")
        self.assertEqual(r.status, 201)
        self.assertError(erin.get("/api/v1/me"), 401, "unauthorized")

    def test_update_and_disable(self):
        frank = self.user("frank", password="frank-password")
        r = self.admin.patch("/api/v1/users/frank", {"role": "analyst"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["role"], "analyst")
        self.assertEqual(frank.get("/api/v1/me").json["role"], "analyst")
        browser = Client(self.server.url)
        self.assertEqual(browser.login("frank", "frank-password").status, 200)
        r = self.admin.patch("/api/v1/users/frank", {"disabled": True})
        self.assertTrue(r.json["disabled"])
        self.assertError(frank.get("/api/v1/me"), 401, "unauthorized")
        self.assertError(browser.get("/api/v1/me"), 401, "unauthorized")
        self.admin.patch("/api/v1/users/frank", {"disabled": False, "password": "new-frank-password"})
        self.assertEqual(frank.get("/api/v1/me").status, 200)
        self.assertError(Client(self.server.url).login("frank", "frank-password"), 401, "unauthorized")
        self.assertEqual(Client(self.server.url).login("frank", "new-frank-password").status, 200)
        self.assertError(self.admin.patch("/api/v1/users/ghost", {"role": "rater"}), 404, "not_found")
        self.assertError(self.admin.patch("/api/v1/users/frank", {"name": "x"}), 422, "validation_failed")

    def test_last_admin(self):
        self.assertError(self.admin.patch("/api/v1/users/admin", {"role": "rater"}), 409, "conflict")
        self.assertError(self.admin.patch("/api/v1/users/admin", {"disabled": True}), 409, "conflict")
        self.assertEqual(self.admin.get("/api/v1/me").json["role"], "admin")

    def test_cli(self):
        r = cli(self.db_url, "user", "add", "gina", "--role", "rater")
        self.assertEqual(r.returncode, 0, r.stderr)
        token = r.stdout.strip()
        self.assertEqual(Client(self.server.url, token).get("/api/v1/me").json["name"], "gina")
        r = cli(self.db_url, "user", "add", "gina", "--role", "rater")
        self.assertEqual(r.returncode, 1)
        self.assertIn("already exists", r.stderr)
        r = cli(self.db_url, "user", "add", "hal", "--role", "emperor")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--role", r.stderr)
        r = cli(self.db_url, "user", "add", "hal", "--role", "rater", "--password-stdin", stdin="short\n")
        self.assertEqual(r.returncode, 2)
        r = cli(self.db_url, "user", "token", "gina")
        self.assertEqual(r.returncode, 0)
        self.assertError(Client(self.server.url, token).get("/api/v1/me"), 401, "unauthorized")
        r = cli(self.db_url, "user", "token", "nobody")
        self.assertEqual(r.returncode, 1)
        self.assertIn("no user", r.stderr)
        r = cli(self.db_url, "frobnicate")
        self.assertEqual(r.returncode, 2)
        r = cli(self.db_url, "--db-pool=0")
        self.assertEqual(r.returncode, 2)
        self.assertIn("db_pool", r.stderr)
        r = cli("postgresql://prefd:wrong@127.0.0.1:1/none", "migrate", env={"PREFD_DB_WAIT": "1s"})
        self.assertEqual(r.returncode, 1)
        self.assertIn("cannot reach the database", r.stderr)
