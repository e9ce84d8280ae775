"""Lists page one way (API.md, "Lists"): keyset, limit + cursor, {"items", "next_cursor"}.

Every paged list is walked one and two items a page: the pages together are the whole list, in
its order, without repeats; a cursor that is not an earlier next_cursor is 400."""

import urllib.parse

from prefdtest import PrefdCase
from test_quality import pair_item, quality, rate


class ListsTest(PrefdCase):
    prepared = False

    def setUp(self):
        if not ListsTest.prepared:
            self.prepare()
            ListsTest.prepared = True

    def prepare(self):
        cls = self
        cls.project("lst", overlap=3, flags=["unsafe", "wrong"])
        cls.upload("lst", [pair_item("it%d" % i, "alpha", 1, "beta", 2) for i in range(6)]
                   + [pair_item("zz%d" % i, "alpha", 1, "gamma", 2) for i in range(3)])
        for i in range(4):
            cls.project("lst-more-%d" % i)
        raters = [cls.user("lister-%d" % i) for i in (3, 1, 4, 0, 2)]

        def decide(k):
            def d(a):
                # rater k flags the worse answer unsafe on k + 1 of the comparisons
                worse_left = quality(a["left"]) == 2
                flags = ["unsafe"] if sum(map(ord, str(a["id"]))) % 5 <= k else []
                return {"choice": "b" if worse_left else "a",
                        "flags": {"a": flags if worse_left else [], "b": [] if worse_left else flags}}
            return d

        for k, c in enumerate(raters):
            rate(c, "lst", decide(k), limit=4 + k)
        for name in ("lister-0", "lister-4", "lister-2"):
            r = cls.admin.post("/api/v1/projects/lst/exclusions", {"rater": name, "reason": "test " + name})
            self.assertEqual(r.status, 201, r)

    def walk(self, path, limit):
        """The items of every page of path at limit a page."""
        sep = "&" if "?" in path else "?"
        items, cursor, pages = [], None, 0
        while True:
            q = "limit=%d" % limit + ("&cursor=" + urllib.parse.quote(cursor) if cursor else "")
            r = self.admin.get(path + sep + q)
            self.assertEqual(r.status, 200, r)
            self.assertEqual(set(r.json) - {"thresholds"}, {"items", "next_cursor"})
            self.assertLessEqual(len(r.json["items"]), limit)
            items += r.json["items"]
            pages += 1
            cursor = r.json["next_cursor"]
            if cursor is None:
                break
            self.assertIsInstance(cursor, str)
            self.assertEqual(len(r.json["items"]), limit)
            self.assertLess(pages, 100)
        return items

    def check(self, path, key, expect_at_least):
        whole = self.admin.get(path + ("&" if "?" in path else "?") + "limit=1000").json
        self.assertIsNone(whole["next_cursor"])
        self.assertGreaterEqual(len(whole["items"]), expect_at_least, path)
        for limit in (1, 2):
            got = self.walk(path, limit)
            self.assertEqual([key(x) for x in got], [key(x) for x in whole["items"]], (path, limit))
            self.assertEqual(len({key(x) for x in got}), len(got), path)
        sep = "&" if "?" in path else "?"
        for bad in ("abc", "-1", "1.5"):
            self.assertError(self.admin.get(path + sep + "cursor=" + bad), 400, "bad_request")
        return whole["items"]

    def test_projects(self):
        items = self.check("/api/v1/projects", lambda x: x["slug"], 5)
        # in the order they were made
        mine = [x["slug"] for x in items if x["slug"].startswith("lst")]
        self.assertEqual(mine, ["lst"] + ["lst-more-%d" % i for i in range(4)])

    def test_items(self):
        items = self.check("/api/v1/projects/lst/items", lambda x: x["id"], 9)
        self.assertEqual([x["id"] for x in items], ["it%d" % i for i in range(6)] + ["zz%d" % i for i in range(3)])
        found = self.check("/api/v1/projects/lst/items?q=ZZ", lambda x: x["id"], 3)
        self.assertEqual([x["id"] for x in found], ["zz0", "zz1", "zz2"])
        self.assertError(self.admin.get("/api/v1/projects/nope/items?limit=1"), 404, "not_found")

    def test_users(self):
        self.check("/api/v1/users", lambda x: x["id"], 6)

    def test_raters(self):
        items = self.check("/api/v1/projects/lst/raters", lambda x: x["rater"], 5)
        names = [x["rater"] for x in items]
        self.assertEqual(names, sorted(names))
        self.assertEqual({x["rater"] for x in items if x["excluded"]}, {"lister-0", "lister-4", "lister-2"})

    def test_flags(self):
        items = self.check("/api/v1/projects/lst/flags", lambda x: (x["prompt_id"], x["model"]), 2)
        votes = [x["votes"] for x in items]
        self.assertEqual(votes, sorted(votes, reverse=True))
        for x in items:
            self.assertIn("response_html", x)

    def test_exclusions(self):
        items = self.check("/api/v1/projects/lst/exclusions", lambda x: x["id"], 3)
        self.assertEqual([x["rater"] for x in items], ["lister-0", "lister-4", "lister-2"])
        self.assertEqual([x["id"] for x in items], sorted(x["id"] for x in items))
        self.assertError(self.admin.get("/api/v1/projects/nope/exclusions"), 404, "not_found")
