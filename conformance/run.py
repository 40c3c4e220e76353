"""Run the InterUSS conformance suites against real `deconfliction serve --f3548` processes.

    .venv/bin/python conformance/run.py            # both suites (what .ci/conformance runs)
    .venv/bin/python conformance/run.py --only prober -k test_subscription_simple
    .venv/bin/python conformance/run.py --only uss_qualifier --filter OIRKeyValidation

(a) the DSS prober's `scd` tests against one server on a fresh SQLite store;
(b) uss_qualifier's F3548 DSS-provider probing suite (conformance/uss_qualifier.yaml) against two
    servers over one PostgreSQL store (a throwaway cluster, as tests/store starts), so the pool
    scenarios run.
Each server starts on a new store with nothing but `--f3548`, the InterUSS test key's public half
(the tree's build/test-certs/auth2.pem) and audience `localhost`: the suites' NoAuth tokens.

The InterUSS tree and its locked requirements come from ../shared/vendor (see its README); they need
Python >= 3.13, so they get a virtual environment of their own, cached between runs under
~/.cache/deconfliction/conformance/<digest of the tarball and requirements> (DECONFLICTION_CONFORMANCE_CACHE).
Reports go to test-artifacts/conformance/. Exit status: 0 only if every suite passed.
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import time
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("DECONFLICTION_SHARED", ROOT.parent / "shared"))
ARTIFACTS = ROOT / "test-artifacts" / "conformance"
CONFIG = ROOT / "conformance" / "uss_qualifier.yaml"
AUDIENCE = "localhost"  # the host of the DSS URLs: NoAuth tokens carry it as `aud`
AUTH1, AUTH2 = "NoAuth(sub=uss1)", "NoAuth(sub=uss2)"


def log(message: str) -> None:
    print(f"[conformance] {message}", flush=True)


# The InterUSS tree and its Python 3.13 environment -----------------------------------------------
def vendor_files() -> tuple[Path, Path]:
    tarballs = sorted(glob.glob(str(SHARED / "vendor" / "interuss-monitoring-*.tar.gz")))
    requirements = SHARED / "vendor" / "interuss-monitoring-requirements.txt"
    if not tarballs or not requirements.is_file():
        sys.exit(f"no InterUSS monitoring tree in {SHARED / 'vendor'} (see its README)")
    return Path(tarballs[-1]), requirements


def python313() -> list[str]:
    """A Python 3.13 to make the environment with: $CONFORMANCE_PYTHON, pyenv's, one on PATH, or uv's."""
    if os.environ.get("CONFORMANCE_PYTHON"):
        return [os.environ["CONFORMANCE_PYTHON"], "-m", "venv"]
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    found = sorted(glob.glob(str(pyenv_root / "versions" / "3.13*" / "bin" / "python3.13")))
    if found:
        return [found[-1], "-m", "venv"]
    if shutil.which("python3.13"):
        return ["python3.13", "-m", "venv"]
    if shutil.which("uv"):
        return ["uv", "venv", "--seed", "--python", "3.13"]
    sys.exit("the InterUSS suites need Python 3.13: install it with pyenv (3.13.0) or uv, or set CONFORMANCE_PYTHON")


def prepare() -> Path:
    """The unpacked tree with its venv at TREE/venv, made once per tarball and requirements."""
    tarball, requirements = vendor_files()
    digest = hashlib.sha256(tarball.read_bytes() + requirements.read_bytes()).hexdigest()[:16]
    cache = Path(os.environ.get("DECONFLICTION_CONFORMANCE_CACHE", Path.home() / ".cache" / "deconfliction" / "conformance"))
    tree = cache / digest
    if (tree / ".ready").exists():
        return tree
    log(f"unpacking {tarball.name} and installing its requirements into {tree}/venv (once)")
    shutil.rmtree(tree, ignore_errors=True)
    tree.mkdir(parents=True)
    with tarfile.open(tarball) as archive:
        archive.extractall(tree, filter="data")
    subprocess.run([*python313(), str(tree / "venv")], check=True)
    subprocess.run([str(tree / "venv" / "bin" / "python"), "-m", "pip", "install", "-q", "-r", str(requirements)], check=True)
    (tree / ".ready").write_text(digest)
    return tree


# The servers under test ------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`deconfliction serve --f3548` on loopback, its output in test-artifacts/conformance/NAME.log."""

    def __init__(self, name: str, database: str, tree: Path):
        self.name, self.database, self.port = name, database, free_port()
        self.command = [
            str(Path(sys.executable).with_name("deconfliction")), "serve", "--database", database,
            "--host", "127.0.0.1", "--port", str(self.port), "--f3548",
            "--jwt-public-key", str(tree / "build" / "test-certs" / "auth2.pem"), "--jwt-audience", AUDIENCE,
        ]
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://{AUDIENCE}:{self.port}"

    def start(self) -> "Server":
        output = open(ARTIFACTS / f"{self.name}.log", "wb")
        self.process = subprocess.Popen(self.command, stdout=output, stderr=subprocess.STDOUT, start_new_session=True, cwd=ARTIFACTS)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                sys.exit(f"{self.name} exited with {self.process.returncode}; see {ARTIFACTS / (self.name + '.log')}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/dss/v1/healthy", timeout=2):
                    return self
            except OSError:
                time.sleep(0.2)
        sys.exit(f"{self.name} did not answer on port {self.port} within 60 s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


def postgres_database() -> tuple[object, str]:
    """A fresh PostgreSQL + PostGIS database in a throwaway cluster (tests/store/backends.py starts it)."""
    sys.path.insert(0, str(ROOT / "tests"))
    from store.backends import PostgresServer

    server = PostgresServer().start()
    return server, server.create_database()


# The suites ----------------------------------------------------------------------------------------
def run_prober(tree: Path, server: Server, selection: str | None) -> dict:
    report = ARTIFACTS / "prober.xml"
    command = [
        str(tree / "venv" / "bin" / "python"), "-m", "pytest", "scd", "-p", "no:cacheprovider", "-q", "-rfEs",
        "--dss-endpoint", server.url, "--scd-auth1", AUTH1, "--scd-auth2", AUTH2, f"--junitxml={report}",
    ]
    if selection:
        command += ["-k", selection]
    env = dict(os.environ, PYTHONPATH=str(tree))
    env.pop("CI", None)  # the prober reads nothing from it; keep its behaviour as on a desk
    code = subprocess.run(command, cwd=tree / "monitoring" / "prober", env=env).returncode
    counts = {"passed": 0, "failed": 0, "skipped": 0}
    if report.exists():
        for case in ET.parse(report).getroot().iter("testcase"):
            outcome = "failed" if case.find("failure") is not None or case.find("error") is not None else "skipped" if case.find("skipped") is not None else "passed"
            counts[outcome] += 1
    return {"suite": "prober scd", "exit": code, **counts}


def _scenarios(node, found: list) -> None:
    """Every scenario and skipped action in a uss_qualifier report, depth first."""
    if isinstance(node, dict):
        if "scenario_type" in node and "cases" in node:
            failed = sum(len(s.get("failed_checks", [])) for c in node.get("cases", []) for s in c.get("steps", []))
            found.append((node["scenario_type"].rsplit(".", 1)[-1], "error" if node.get("execution_error") else "pass" if node.get("successful") and not failed else "fail", failed))
            return
        if "skipped_action" in node and node["skipped_action"]:
            skipped = node["skipped_action"]
            declaration = skipped.get("declaration", {})
            kind = (declaration.get("test_scenario") or {}).get("scenario_type", "?")
            found.append((kind.rsplit(".", 1)[-1], "skipped: " + skipped.get("reason", "")[:120], 0))
            return
        for value in node.values():
            _scenarios(value, found)
    elif isinstance(node, list):
        for value in node:
            _scenarios(value, found)


def run_uss_qualifier(tree: Path, servers: list[Server], selection: str | None) -> dict:
    folder = tree / "monitoring" / "uss_qualifier" / "configurations" / "deconfliction"
    folder.mkdir(exist_ok=True)
    shutil.copy(CONFIG, folder / "uss_qualifier.yaml")
    instances = [
        {"participant_id": f"uss{i + 1}", "base_url": f"{s.url}", "supports_ovn_request": True,
         "notification_index_implementation": "ZeroBasedIncrementPerDispatch"}
        for i, s in enumerate(servers)
    ]
    environment = {
        "scd_dss": {"resource_type": "resources.astm.f3548.v21.DSSInstanceResource", "dependencies": {"auth_adapter": "utm_auth"},
                    "specification": instances[0]},
        "scd_dss_instances": {"resource_type": "resources.astm.f3548.v21.DSSInstancesResource", "dependencies": {"auth_adapter": "utm_auth"},
                              "specification": {"dss_instances": instances}},
    }
    (folder / "environment.yaml").write_text(json.dumps(environment, indent=1))  # JSON is YAML
    output = ARTIFACTS / "uss_qualifier"
    shutil.rmtree(output, ignore_errors=True)
    command = [
        str(tree / "venv" / "bin" / "python"), "-m", "monitoring.uss_qualifier.main",
        "--config", "configurations.deconfliction.uss_qualifier", "--output-path", str(output),
    ]
    if selection:
        command += ["--filter", selection]
    env = dict(os.environ, PYTHONPATH=str(tree), AUTH_SPEC=AUTH1, AUTH_SPEC_2=AUTH2)
    code = subprocess.run(command, cwd=tree, env=env).returncode
    found: list = []
    report = output / "report.json"
    if report.exists():
        _scenarios(json.loads(report.read_text()), found)
    for name, outcome, failed in found:
        log(f"  {name:<40} {outcome}" + (f" ({failed} failed checks)" if failed else ""))
    passed = sum(1 for _, o, _ in found if o == "pass")
    failed = sum(1 for _, o, _ in found if o in ("fail", "error"))
    skipped = sum(1 for _, o, _ in found if o.startswith("skipped"))
    return {"suite": "uss_qualifier F3548 DSS probing (scenarios)", "exit": code, "passed": passed, "failed": failed, "skipped": skipped}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=["prober", "uss_qualifier"], help="run one suite")
    parser.add_argument("-k", dest="prober_selection", help="the prober's pytest -k expression")
    parser.add_argument("--filter", dest="qualifier_selection", help="uss_qualifier's scenario filter (regex on class names)")
    args = parser.parse_args()

    tree = prepare()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    results, servers, cluster = [], [], None
    try:
        if args.only in (None, "prober"):
            server = Server("serve-prober", str(ARTIFACTS / "prober.db"), tree)
            Path(server.database).unlink(missing_ok=True)
            servers.append(server.start())
            log(f"prober scd against {server.url} (SQLite store)")
            results.append(run_prober(tree, server, args.prober_selection))
            server.stop()
        if args.only in (None, "uss_qualifier"):
            cluster, database = postgres_database()
            # The first server migrates the new store; the second starts on it once it answers.
            pool = [Server("serve-pool-1", database, tree).start()]
            pool.append(Server("serve-pool-2", database, tree).start())
            servers += pool
            log(f"uss_qualifier against {pool[0].url} and {pool[1].url} (one PostgreSQL store)")
            results.append(run_uss_qualifier(tree, pool, args.qualifier_selection))
    finally:
        for server in servers:
            server.stop()
        if cluster is not None:
            cluster.stop()
    log("suite                                         exit  passed  failed  skipped")
    for r in results:
        log(f"{r['suite']:<45} {r['exit']:>4}  {r['passed']:>6}  {r['failed']:>6}  {r['skipped']:>7}")
    log(f"reports: {ARTIFACTS}")
    return 0 if results and all(r["exit"] == 0 and r["failed"] == 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
