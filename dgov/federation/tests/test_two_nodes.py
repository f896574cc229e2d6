"""Two real nodes: a province (360000) and a city (360600), each `dgov init`-ed with its own data
directory, application database and data store, each served by its own `dgov serve` on its own port.
They pair with `dgov node pair`, and then:

- backflow: the city runs `dgov sync pull`, is killed with SIGKILL after its first checkpoint
  advanced, runs it again, and holds exactly the province's rows; updates and deletions follow;
- upload: the city runs `dgov sync push` to the province, killed and restarted the same way.

"Exactly" is checked by count, distinct keys and every value of every live row, read straight from
both data stores. On PostgreSQL runs (DGOV_DATABASE_URL) every node gets PostgreSQL databases of its
own (application and data store), named after the xdist worker.

Every `dgov` start costs a Django start-up (seconds on a loaded machine): the set-up that is not the
interface under test (entries, datasets, subscriptions of the upload direction) runs in one shell
per node; the two nodes are initialised and started side by side; one pair of servers serves both
directions. Servers and sync processes run in process groups of their own, killed whatever happens.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import sqlalchemy as sa

from dgov.aggregation.datastore import sqlalchemy_url

BIN = Path(sys.executable).parent
# 50 batches: enough that the sync is still running when its first checkpoint is seen
ROWS = 5_000
BATCH = 100
PG_SCHEMES = {"postgres", "postgresql", "pgsql"}
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")



@dataclass
class Node:
    code: str
    name: str
    data_dir: Path
    env: dict
    datastore_url: str
    url: str = ""
    proc: subprocess.Popen | None = None

    def run(self, *args, check: bool = True, timeout: int = 300) -> str:
        done = subprocess.run([str(BIN / "dgov"), *args], env=self.env, capture_output=True, text=True,
                              timeout=timeout, check=False)
        if check and done.returncode != 0:
            raise AssertionError(f"{self.code} dgov {' '.join(args)} → {done.returncode}\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def popen(self, *args, **kwargs) -> subprocess.Popen:
        kwargs.setdefault("stdout", subprocess.PIPE)
        return subprocess.Popen([str(BIN / "dgov"), *args], env=self.env, stderr=subprocess.STDOUT, text=True,
                                start_new_session=True, **kwargs)

    def shell(self, code: str) -> dict:
        out = self.run("manage", "shell", "-c", f"from dgov.federation.tests import twonode; twonode.{code}")
        return json.loads(out.strip().splitlines()[-1])

    def live_rows(self, code: str) -> list[tuple]:
        """Every live row of the dataset of `code`, in key order, read straight from the node's data
        store (both nodes run the same database kind, so values compare as stored)."""
        table = "ds_" + code.replace("/", "_")
        engine = sa.create_engine(sqlalchemy_url(self.datastore_url))
        try:
            with engine.connect() as conn:
                return [tuple(r) for r in conn.execute(sa.text(
                    f"SELECT _key, xm, sfzh, lxdh, djrq, ybzje FROM {table} WHERE NOT _deleted ORDER BY _key"))]
        finally:
            engine.dispose()

    def checkpoint(self, name: str) -> int:
        engine = sa.create_engine(sqlalchemy_url(self.datastore_url))
        try:
            with engine.connect() as conn:
                if not sa.inspect(conn).has_table("_dgov_fed_checkpoints"):
                    return 0
                return conn.execute(sa.text("SELECT last_seq FROM _dgov_fed_checkpoints WHERE name = :n"),
                                    {"n": name}).scalar() or 0
        finally:
            engine.dispose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pg(name: str) -> tuple[str, str] | None:
    parts = urlsplit(os.environ.get("DGOV_DATABASE_URL", ""))
    if parts.scheme not in PG_SCHEMES:
        return None
    return (urlunsplit(("postgresql", parts.netloc, f"/{name}", parts.query, "")),
            urlunsplit(("postgresql", parts.netloc, "/postgres", parts.query, "")))


def _recreate(maintenance: str, name: str, *, create: bool) -> None:
    from dgov.aggregation.testing import pg_recreate

    pg_recreate(maintenance, name, create=create)


def _make_node(code: str, name: str, label: str, base: Path, cleanup: list) -> Node:
    data_dir = base / label
    data_dir.mkdir()
    app_db = _pg(f"dgov_fed_{label}_{WORKER}")
    store_db = _pg(f"dgov_fed_{label}_ds_{WORKER}")
    if app_db:
        for db_name, (_url, maintenance) in ((f"dgov_fed_{label}_{WORKER}", app_db),
                                             (f"dgov_fed_{label}_ds_{WORKER}", store_db)):
            cleanup.append((maintenance, db_name))  # before creating: a half-made node is dropped too
            _recreate(maintenance, db_name, create=True)
        database_url, datastore_url = app_db[0], store_db[0]
    else:
        database_url = f"sqlite:///{data_dir / 'dgov.sqlite3'}"
        datastore_url = f"sqlite:///{data_dir / 'datastore.sqlite3'}"
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DGOV_", "DJANGO_", "PROMETHEUS_"))}
    env.update(DGOV_DATA_DIR=str(data_dir), DGOV_DATABASE_URL=database_url, DGOV_DATASTORE_URL=datastore_url,
               DGOV_NODE_CODE=code, DGOV_NODE_NAME=name, DGOV_NODE_URL=f"http://127.0.0.1:{port}",
               DGOV_LOG_LEVEL="WARNING")
    return Node(code, name, data_dir, env, datastore_url, url=f"http://127.0.0.1:{port}")


def _together(procs: list[tuple[Node, subprocess.Popen]], what: str, timeout: int = 300) -> None:
    """Wait for processes started side by side; fail with the output of one that failed."""
    for node, proc in procs:
        out, _err = proc.communicate(timeout=timeout)
        if proc.returncode != 0:
            raise AssertionError(f"{node.code} {what} → {proc.returncode}\n{out}")


def _serve(node: Node) -> None:
    port = urlsplit(node.url).port
    with open(node.data_dir / "serve.log", "w") as log:
        node.proc = node.popen("serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2", stdout=log)


def _ready(node: Node) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{node.url}/readyz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if node.proc.poll() is not None:
            raise AssertionError((node.data_dir / "serve.log").read_text())
        time.sleep(0.2)
    raise AssertionError(f"{node.code} did not start")


def _stop(proc: subprocess.Popen | None) -> None:
    """Stop a process and everything it started (its process group: gunicorn's workers too)."""
    if proc is None:
        return
    for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
        if _group_gone(proc.pid):
            break
        time.sleep(0.5)
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def _group_gone(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.fixture(scope="module")
def nodes():
    base = Path(tempfile.mkdtemp(prefix="dgov-fed-"))
    cleanup: list = []
    province = city = None
    try:
        province = _make_node("360000", "江西省", "province", base, cleanup)
        city = _make_node("360600", "鹰潭市", "city", base, cleanup)
        _together([(n, n.popen("init", "--no-static")) for n in (province, city)], "init")
        _serve(province)
        _serve(city)
        _ready(province)
        _ready(city)
        # the province's key as `dgov node show` writes it; the city's from its unsigned identity endpoint
        province.run("node", "show", "--public-key-out", str(base / "province.pem"))
        with urllib.request.urlopen(f"{city.url}/federation/v1/node", timeout=10) as response:
            identity = json.loads(response.read())
        assert identity["code"] == "360600"
        (base / "city.pem").write_text(identity["public_key_pem"], encoding="utf-8")
        out = province.run("node", "pair", "--code", "360600", "--name", "鹰潭市", "--url", city.url,
                           "--public-key", str(base / "city.pem"), "--role", "downstream")
        assert identity["fingerprint"] in out  # what the operators compare by telephone
        city.run("node", "pair", "--code", "360000", "--name", "江西省", "--url", province.url,
                 "--public-key", str(base / "province.pem"), "--role", "upstream")
        yield province, city
    finally:
        for node in (province, city):
            if node is not None:
                _stop(node.proc)
        for maintenance, name in cleanup:
            try:
                _recreate(maintenance, name, create=False)
            except Exception as exc:  # noqa: BLE001 (the other databases are dropped all the same)
                print(f"could not drop {name}: {exc}", file=sys.stderr)
        shutil.rmtree(base, ignore_errors=True)


def _kill_mid_run(target: Node, checkpoint: str, runner: Node, *args) -> int:
    """Start `dgov sync …` on `runner`, SIGKILL it as soon as `target`'s checkpoint has advanced,
    and return the checkpoint it had reached (which must be short of the end)."""
    proc = runner.popen(*args)
    try:
        seen = 0
        deadline = time.monotonic() + 120
        while seen == 0 and proc.poll() is None and time.monotonic() < deadline:
            seen = target.checkpoint(checkpoint)
            if seen == 0:
                time.sleep(0.01)
        assert proc.poll() is None, f"the sync finished before it could be killed:\n{proc.stdout.read()}"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        _stop(proc)
    assert proc.returncode == -signal.SIGKILL
    return target.checkpoint(checkpoint)


def _same(source: Node, source_code: str, target: Node, target_code: str, count: int) -> None:
    have, got = source.live_rows(source_code), target.live_rows(target_code)
    assert len(have) == count and len({r[0] for r in have}) == count
    assert len(got) == count and len({r[0] for r in got}) == count  # none lost, none duplicated
    assert got == have  # every value the same


def test_backflow_and_upload_survive_kill_9(nodes):
    province, city = nodes
    # the province's dataset to flow down, and the entry its city upload fills; the city's likewise
    p_code, pu_code = province.shell(
        f"entries(dict(name='省级低保对象（联调）', with_dataset=True, rows={ROWS}), "
        "dict(name='鹰潭市低保对象（市级上报）', with_dataset=False))")["codes"]
    c_code, u_code = city.shell(
        "entries(dict(name='低保对象（省级回流）', with_dataset=False), "
        f"dict(name='市级低保对象（上报）', with_dataset=True, rows={ROWS}, first=100000))")["codes"]

    # --- backflow: province → city, pulled by the city -----------------------------------------------
    province.run("sync", "publish", "--peer", "360600", "--dataset", p_code)
    city.run("sync", "subscribe", "--peer", "360000", "--feed", p_code, "--entry", c_code)
    city.shell(f"wire(subscribe=[('360000', 'catalog', '')], publish=[('360000', {u_code!r})])")

    reached = _kill_mid_run(city, f"360000:{p_code}", city, "sync", "pull", "--peer", "360000", "--feed", p_code,
                            "--batch", str(BATCH))
    assert 0 < reached < ROWS and reached % BATCH == 0  # whole batches only: each commits with its checkpoint
    out = city.run("sync", "pull", "--batch", str(BATCH))
    assert f"pull 360000:{p_code} succeeded" in out and f"→{ROWS}" in out
    _same(province, p_code, city, c_code, ROWS)

    # updates and deletions follow; pulling again when up to date changes nothing
    assert province.shell(f"change({p_code!r}, load=(0, 300, 1), delete=(1000, 1500))") == \
        {"written": 300, "deleted": 500}
    city.run("sync", "pull", "--peer", "360000")
    _same(province, p_code, city, c_code, ROWS - 500)
    out = city.run("sync", "pull", "--peer", "360000", "--feed", p_code)
    assert "0 batches, 0 changes" in out
    _same(province, p_code, city, c_code, ROWS - 500)

    # --- upload: city → province, pushed by the city ------------------------------------------------------
    province.shell(f"wire(subscribe=[('360600', {u_code!r}, {pu_code!r})])")
    reached = _kill_mid_run(province, f"360600:{u_code}", city, "sync", "push", "--peer", "360000", "--feed", u_code,
                            "--batch", str(BATCH))
    assert 0 < reached < ROWS
    out = city.run("sync", "push", "--batch", str(BATCH))
    assert f"push 360000:{u_code} succeeded" in out
    _same(city, u_code, province, pu_code, ROWS)

    assert city.shell(f"change({u_code!r}, load=(100000, 100200, 2), delete=(101000, 101300))") == \
        {"written": 200, "deleted": 300}
    city.run("sync", "push", "--peer", "360000")
    _same(city, u_code, province, pu_code, ROWS - 300)

    # the killed runs are recorded as interrupted; the province's catalog travelled too
    recorded = city.shell("recorded()")
    assert recorded["runs"].count("pull:interrupted") == 1 and recorded["runs"].count("push:interrupted") == 1
    assert "pull:running" not in recorded["runs"] and "push:running" not in recorded["runs"]
    assert "省级低保对象（联调）" in recorded["remote_entries"]
