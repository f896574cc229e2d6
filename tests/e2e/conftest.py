"""Browser end-to-end tests against the REAL production server.

The `server` fixture makes a fresh data directory, chooses the database (PostgreSQL when
DGOV_DATABASE_URL points at one: a separate `<name>_e2e` database, `<name>_e2e_gw0`… per xdist
worker, on the same server, dropped and created for every run; SQLite in the data directory
otherwise), runs `dgov init --demo` and starts `dgov serve` (gunicorn, two workers) on a free port.
Chromium is Debian's (DGOV_CHROMIUM), driven by
Playwright; every test gets fresh browser contexts.

The fixtures are package-scoped: the browser and the server stop as soon as the last browser test
has run, so that Playwright's event loop never overlaps the database tests of the same process.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from .support import ARTIFACTS, CSP_REPORTER, is_csp_message, log_in

BIN = Path(sys.executable).parent
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
PG_SCHEMES = {"postgres", "postgresql", "pgsql", "postgis"}
DESKTOP = {"width": 1280, "height": 900}
MOBILE = {"width": 375, "height": 812}
READY_SECONDS = 90


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            assert item.get_closest_marker("e2e"), f"{item.nodeid}: every browser test is marked @pytest.mark.e2e"


# --- the server ---------------------------------------------------------------------------------

@dataclass
class Server:
    url: str
    data_dir: Path
    database_url: str
    accounts: dict[str, dict]
    log: Path


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _postgres(url: str) -> tuple[str, str, str] | None:
    """(e2e database url, maintenance url, e2e database name) when `url` is PostgreSQL: one database per
    xdist worker (each worker's server has its own data directory, so its own master key)."""
    parts = urlsplit(url)
    if parts.scheme not in PG_SCHEMES:
        return None
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    name = ((parts.path.lstrip("/") or "dgov") + "_e2e" + (f"_{worker}" if worker else ""))[:63]
    e2e = urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, ""))
    maintenance = urlunsplit(("postgresql", parts.netloc, "/postgres", parts.query, ""))
    return e2e, maintenance, name


def _pg_recreate(maintenance: str, name: str, *, create: bool) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        if create:
            conn.execute(sql.SQL("CREATE DATABASE {} ENCODING 'UTF8' TEMPLATE template0").format(
                sql.Identifier(name)))


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"


def _wait_ready(proc: subprocess.Popen, url: str, log: Path) -> None:
    """Poll /readyz until it answers 200; between attempts wait (briefly) for the server process to
    exit, which would mean it failed to start."""
    deadline = time.monotonic() + READY_SECONDS
    last_error: OSError | None = None
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/readyz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError as exc:  # not listening yet, or 503 while it starts
            last_error = exc
        try:
            proc.wait(timeout=0.25)
        except subprocess.TimeoutExpired:
            continue
        raise RuntimeError(f"`dgov serve` exited with status {proc.returncode}:\n{_tail(log)}")
    raise RuntimeError(f"`dgov serve` was not ready within {READY_SECONDS} s ({last_error}):\n{_tail(log)}")


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()  # gunicorn: graceful shutdown of the workers
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


@pytest.fixture(scope="package")
def server():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    data_dir = Path(tempfile.mkdtemp(prefix="dgov-e2e-"))
    pg = _postgres(os.environ.get("DGOV_DATABASE_URL", ""))
    proc = None
    try:
        if pg:
            database_url = pg[0]
            _pg_recreate(pg[1], pg[2], create=True)
        else:
            database_url = f"sqlite:///{data_dir / 'dgov.sqlite3'}"
        # A clean environment: the production settings, not the test settings pytest runs under.
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DGOV_", "DJANGO_", "PROMETHEUS_"))}
        env.update(DGOV_DATA_DIR=str(data_dir), DGOV_DATABASE_URL=database_url, DGOV_LOG_LEVEL="WARNING")
        init = subprocess.run([str(BIN / "dgov"), "init", "--demo"], env=env, capture_output=True, text=True,
                              timeout=300, check=False)
        if init.returncode != 0:
            raise RuntimeError(f"`dgov init --demo` failed ({init.returncode}):\n{init.stdout}\n{init.stderr}")
        accounts = {a["username"]: a
                    for a in json.loads((data_dir / "demo-accounts.json").read_text(encoding="utf-8"))}
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        log = ARTIFACTS / "server.log"
        with open(log, "w", encoding="utf-8") as out:
            proc = subprocess.Popen([str(BIN / "dgov"), "serve", "--host", "127.0.0.1", "--port", str(port),
                                     "--workers", "2"], env=env, stdout=out, stderr=subprocess.STDOUT)
        _wait_ready(proc, url, log)
        yield Server(url=url, data_dir=data_dir, database_url=database_url, accounts=accounts, log=log)
    finally:
        if proc is not None:
            _stop(proc)
        if pg:
            _pg_recreate(pg[1], pg[2], create=False)
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="package")
def accounts(server) -> dict[str, dict]:
    """The demo accounts from $DGOV_DATA_DIR/demo-accounts.json, by username."""
    return server.accounts


# --- the browser --------------------------------------------------------------------------------

@pytest.fixture(scope="package")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=os.environ.get("DGOV_CHROMIUM", "/usr/bin/chromium"), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass
class Browsing:
    """Opens pages in fresh browser contexts and records what their consoles said."""

    browser: object
    server: Server
    contexts: list = field(default_factory=list)
    console: list[tuple[str, str, str]] = field(default_factory=list)  # (type, text, page url)

    def page(self, *, state: dict | None = None, mobile: bool = False, bypass_csp: bool = False):
        context = self.browser.new_context(
            base_url=self.server.url, viewport=MOBILE if mobile else DESKTOP, locale="zh-CN",
            storage_state=state, bypass_csp=bypass_csp, is_mobile=mobile, has_touch=mobile,
            device_scale_factor=2 if mobile else 1)
        context.set_default_timeout(15_000)
        context.add_init_script(CSP_REPORTER)
        self.contexts.append(context)
        page = context.new_page()
        page.on("console", lambda msg: self.console.append((msg.type, msg.text, page.url)))
        page.on("pageerror", lambda exc: self.console.append(("pageerror", str(exc), page.url)))
        return page

    def csp_messages(self) -> list[tuple[str, str, str]]:
        return [m for m in self.console if is_csp_message(m[1])]

    def close(self) -> None:
        for context in self.contexts:
            context.close()
        self.contexts.clear()


@pytest.fixture
def browsing(browser, server):
    """Fresh contexts for one test. A page that broke the Content Security Policy fails the test."""
    b = Browsing(browser, server)
    try:
        yield b
    finally:
        b.close()
    violations = b.csp_messages()
    if violations:
        pytest.fail("Content Security Policy violations:\n" + "\n".join(f"{u}: {t}" for _, t, u in violations))


def _logged_in_state(browser, server, username: str) -> dict:
    """A logged-in browser state (password + TOTP), reused by the tests that only need that
    user's session: the server accepts each one-time code once (see support.totp_code)."""
    b = Browsing(browser, server)
    try:
        page = b.page()
        log_in(page, server.accounts[username])
        return page.context.storage_state()
    finally:
        b.close()


@pytest.fixture(scope="package")
def admin_state(browser, server) -> dict:
    return _logged_in_state(browser, server, "admin")


@pytest.fixture(scope="package")
def yujiang_state(browser, server) -> dict:
    return _logged_in_state(browser, server, "yujiang_admin")


@pytest.fixture(scope="package")
def data_centre_state(browser, server) -> dict:
    """The big-data centre's catalog reviewer (demo account `data_centre`, with TOTP)."""
    return _logged_in_state(browser, server, "data_centre")
