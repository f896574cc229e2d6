"""Appends from several threads at once (each with its own database connection, committing for
real) still form one gap-free chain: PostgreSQL serialises them with an advisory lock, SQLite
with its single write lock.

On PostgreSQL the threads run in this process against the test database (`transactional_db`:
the threads' commits are real, and the tables are emptied and the reference data reloaded after).
SQLite's in-memory test database cannot be shared by concurrent writers (its shared-cache table
locks fail at once instead of waiting), so on SQLite the same threads run in a child process
against a SQLite file made by `dgov init`, the embedded default of a real installation. That
child-process run also happens once whatever the suite's database."""

import json
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.db import connection

from dgov.core import audit
from dgov.core.tests.audit_workload import append_from_threads, chain_after, last_seq
from dgov.core.tests.conftest import dgov_env

THREADS = 4
PER_THREAD = 15


@pytest.fixture
def restore_reference_data(django_db_blocker):
    """A transactional test empties every table when it ends; put the session's reference data
    back for the tests that follow. Set up before `transactional_db`, so this teardown runs after
    the flush."""
    yield
    with django_db_blocker.unblock():
        call_command("init", no_static=True, verbosity=0)


def _assert_one_chain(before: int, rows: list, expected: int) -> None:
    assert [r[0] for r in rows] == list(range(before + 1, before + 1 + expected))
    for prev, row in zip(rows, rows[1:], strict=False):
        assert row[1] == prev[2]
    assert len({r[2] for r in rows}) == expected


def _in_this_process(nested: bool) -> None:
    before = last_seq()
    connection.close()
    assert append_from_threads(THREADS, PER_THREAD, nested) == []
    _assert_one_chain(before, chain_after(before), THREADS * PER_THREAD * (2 if nested else 1))
    result = audit.verify()
    assert result.ok, result


def _in_a_child_process_on_a_sqlite_file(demo_install, tmp_path, nested: bool) -> None:
    data_dir = demo_install.copy(tmp_path / "var")
    child = subprocess.run(
        [sys.executable, "-m", "dgov.core.tests.audit_workload", str(THREADS), str(PER_THREAD),
         "1" if nested else "0"],
        cwd=tmp_path, env=dgov_env(data_dir), capture_output=True, text=True, timeout=600)
    assert child.returncode == 0, child.stderr[-3000:]
    report = json.loads(child.stdout)
    assert report["failures"] == []
    _assert_one_chain(report["before"], report["rows"], THREADS * PER_THREAD * (2 if nested else 1))
    assert report["ok"], report["reason"]


@pytest.mark.parametrize("nested", [False, True], ids=["single", "in-transactions"])
def test_concurrent_appends_on_the_test_database(restore_reference_data, transactional_db, request, nested,
                                                 tmp_path):
    if connection.vendor == "postgresql":
        _in_this_process(nested)
    else:
        _in_a_child_process_on_a_sqlite_file(request.getfixturevalue("demo_install"), tmp_path, nested)


def test_concurrent_appends_on_a_sqlite_file(demo_install, tmp_path):
    _in_a_child_process_on_a_sqlite_file(demo_install, tmp_path, nested=False)
