"""A real installation for command-line tests: `dgov init --demo`, run twice by the installed
`dgov` command in a child process, against a fresh SQLite file (the embedded default), whatever
database the rest of the suite uses."""

import os
import shutil
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

DGOV = Path(sys.executable).with_name("dgov")

# Tables whose row counts must not change when `dgov init --demo` runs again.
COUNTED_TABLES = [
    "orgs_region", "orgs_department", "orgs_managementarea", "orgs_managementarea_townships",
    "calendars_calendarday", "accounts_role", "accounts_role_permissions", "accounts_user",
    "accounts_roleassignment", "accounts_naturalperson", "accounts_enterprise", "accounts_enterpriseagent",
    "accounts_totpdevice", "auth_permission", "django_content_type", "accounts_application",
]


def dgov_env(data_dir: Path) -> dict:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DGOV_", "DJANGO_", "PROMETHEUS_"))}
    env.update({"DGOV_DATA_DIR": str(data_dir), "DGOV_DATABASE_URL": f"sqlite:///{data_dir / 'dgov.sqlite3'}",
                "DJANGO_SETTINGS_MODULE": "dgov.settings.base"})
    return env


def run_dgov(data_dir: Path, *args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run([str(DGOV), *args], cwd=data_dir.parent, env=dgov_env(data_dir), capture_output=True,
                          text=True, timeout=timeout)


def table_counts(db_file: Path) -> dict[str, int]:
    with sqlite3.connect(db_file) as db:
        return {t: db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in COUNTED_TABLES}


@dataclass
class Install:
    data_dir: Path
    first: subprocess.CompletedProcess
    second: subprocess.CompletedProcess
    counts_after_first: dict
    counts_after_second: dict
    accounts_after_first: str
    accounts_after_second: str

    @property
    def db_file(self) -> Path:
        return self.data_dir / "dgov.sqlite3"

    def copy(self, target: Path) -> Path:
        """A private copy of the data directory (database and keys) to tamper with."""
        shutil.copytree(self.data_dir, target, ignore=shutil.ignore_patterns("static", "metrics"))
        return target


@pytest.fixture(scope="session")
def demo_install(tmp_path_factory) -> Install:
    data_dir = tmp_path_factory.mktemp("install") / "var"
    first = run_dgov(data_dir, "init", "--demo", "--no-static")
    assert first.returncode == 0, first.stderr[-3000:]
    counts_first = table_counts(data_dir / "dgov.sqlite3")
    accounts_first = (data_dir / "demo-accounts.json").read_text(encoding="utf-8")
    second = run_dgov(data_dir, "init", "--demo", "--no-static")
    assert second.returncode == 0, second.stderr[-3000:]
    return Install(data_dir, first, second, counts_first, table_counts(data_dir / "dgov.sqlite3"),
                   accounts_first, (data_dir / "demo-accounts.json").read_text(encoding="utf-8"))
