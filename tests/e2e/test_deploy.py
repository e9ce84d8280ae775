"""docker/compose.yaml against what the loopback cluster tests. No Docker engine runs here, so the
compose topology cannot be started; instead this checks that it is the tested one: the same
services, the same scripts and configuration files, every setting those files read, and the same
libpq URLs as tools/cluster.py gives prefd in `make test-cluster`."""

import json
import os
import re
import subprocess
import sys
import unittest
import urllib.parse

from prefdtest import TOP

sys.path.insert(0, os.path.join(TOP, "tools"))
from cluster import PG_NODES, Cluster  # noqa: E402

DOCKER = os.path.join(TOP, "docker")


def load_yaml(path):
    try:
        import yaml
    except ImportError:  # Debian's python3-yaml (tools/deps.sh) when this Python has none
        out = subprocess.run(["/usr/bin/python3", "-c", "import json, sys, yaml; "
                              "json.dump(yaml.safe_load(open(sys.argv[1])), sys.stdout)", path],
                             check=True, capture_output=True, text=True)
        return json.loads(out.stdout)
    with open(path) as f:
        return yaml.safe_load(f)


def read(name):
    with open(os.path.join(DOCKER, name)) as f:
        return f.read()


class ComposeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.compose = load_yaml(os.path.join(DOCKER, "compose.yaml"))
        cls.services = cls.compose["services"]

    def test_topology(self):
        self.assertEqual(sorted(self.services),
                         ["haproxy", "monitor", "pg1", "pg2", "prefd-1", "prefd-2", "prefd-3"])
        self.assertEqual(self.services["monitor"]["environment"]["PGAF_ROLE"], "monitor")
        for name in PG_NODES:
            self.assertEqual(self.services[name]["environment"]["PGAF_ROLE"], "postgres")
            self.assertEqual(self.services[name]["environment"]["PGAF_NAME"], name)

    def test_pg_nodes_get_every_setting_the_script_reads(self):
        script = read("pgaf-node.sh")
        required = set(re.findall(r"\$\{(\w+):\?", script))
        self.assertIn("PGAF_SOCKETS", required)
        tested = Cluster.__new__(Cluster)
        tested.root, tested.sockets, tested.base = "/c", "/c/sockets", 1000
        tested.secrets = {k: "x" for k in ("monitor", "replication", "health", "prefd")}
        # A container listens on all its interfaces (pg_hba.conf admits its own network only).
        loopback = set(tested._pg_env("pg1")) | {"PGAF_LISTEN"}
        for name in ("monitor",) + PG_NODES:
            env = self.services[name]["environment"]
            missing = required - set(env)
            self.assertEqual(missing, set(), "%s lacks %s" % (name, missing))
            # the same settings as the loopback cluster gives the script
            pgaf = {k for k in env if k.startswith("PGAF_") or k == "PREFD_DB_PASSWORD"}
            self.assertEqual(pgaf - loopback, set(), "%s sets what the tested cluster does not" % name)
        # one socket directory on every node (a standby copies the primary's settings)
        self.assertEqual(len({self.services[n]["environment"]["PGAF_SOCKETS"] for n in PG_NODES}), 1)

    def test_images_carry_the_tested_files(self):
        dockerfile = read("Dockerfile.cluster")
        for f in ("pgaf-node.sh", "pg_hba.conf", "pg-node.conf", "pg-monitor.conf", "haproxy.cfg"):
            self.assertIn("docker/" + f, dockerfile)
            self.assertTrue(os.path.exists(os.path.join(DOCKER, f)))
        for name in ("monitor",) + PG_NODES:
            self.assertEqual(self.services[name]["build"]["target"], "pgaf")
            self.assertEqual(self.services[name]["environment"]["PGAF_CONF"], "/etc/prefd")
        self.assertEqual(self.services["haproxy"]["build"]["target"], "haproxy")
        self.assertIn("/etc/prefd/pgaf-node.sh", dockerfile)

    def test_haproxy_config_with_the_compose_settings(self):
        cfg = read("haproxy.cfg")
        env = {k: str(v) for k, v in self.services["haproxy"]["environment"].items()}
        self.assertEqual(set(re.findall(r"\$\{(\w+)\}", cfg)), set(env))
        self.assertEqual([env["PREFD_NODE%d" % i] for i in (1, 2, 3)],
                         ["prefd-%d:8080" % i for i in (1, 2, 3)])
        r = subprocess.run(["haproxy", "-c", "-f", os.path.join(DOCKER, "haproxy.cfg")], env=dict(os.environ, **env),
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_haproxy_is_the_trusted_proxy(self):
        tested = Cluster.__new__(Cluster)
        tested.secrets, tested.base, tested.prefd_env = {"prefd": "x"}, 1000, {}
        self.assertEqual(tested.prefd_environment(1)["PREFD_TRUSTED_PROXIES"], "127.0.0.1/32")
        fixed = self.services["haproxy"]["networks"]["prefd"]["ipv4_address"]
        for i in (1, 2, 3):
            self.assertEqual(self.services["prefd-%d" % i]["environment"]["PREFD_TRUSTED_PROXIES"], fixed + "/32")

    def test_prefd_urls_are_the_tested_ones(self):
        tested = Cluster.__new__(Cluster)
        tested.secrets, tested.base = {"prefd": "x"}, 1000
        for i in (1, 2, 3):
            env = self.services["prefd-%d" % i]["environment"]
            for var, attrs in (("PREFD_DATABASE_URL", "read-write"), ("PREFD_DATABASE_READ_URL", "prefer-standby")):
                deployed = urllib.parse.urlsplit(env[var])
                loop = urllib.parse.urlsplit(tested.database_url(attrs))
                self.assertEqual(urllib.parse.parse_qs(deployed.query), urllib.parse.parse_qs(loop.query), var)
                self.assertEqual(deployed.netloc.split("@")[1], "pg1:5432,pg2:5432")
                self.assertEqual(deployed.path, loop.path)


if __name__ == "__main__":
    unittest.main()
