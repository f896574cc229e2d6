"""The `dgov` command: help, `init` (idempotent, demo accounts), `audit verify`, `token create`,
`check`. Installation-level tests run the installed command in a child process against a SQLite
file (see conftest.demo_install); the rest call the management commands in-process."""

import datetime as dt
import io
import json
import sqlite3
import subprocess

import pytest
from django.core.management import call_command, get_commands
from django.core.management.base import CommandError

from dgov import cli
from dgov.core.tests.conftest import DGOV, dgov_env, run_dgov

SUBCOMMANDS = ["init", "serve", "demo", "createadmin", "token", "totp", "audit", "exchange-log", "node", "sync", "kms",
               "aggregate", "check", "manage"]
DEMO_KEYS = {"username", "password", "kind", "role", "region_code", "department"}
TWO_FACTOR_ACCOUNTS = {"admin", "auditor", "yuehu_admin", "yujiang_admin", "guixi_admin", "data_centre"}


# --- help ------------------------------------------------------------------------------------

def test_help_lists_every_subcommand(capsys):
    cli.main(["--help"])
    out = capsys.readouterr().out
    listed = {line.split()[0] for line in out.splitlines() if line.startswith("  ")}
    assert listed == set(SUBCOMMANDS) == set(cli.COMMANDS)


def test_every_subcommand_maps_to_a_management_command():
    available = get_commands()
    for name, (command, _) in cli.COMMANDS.items():
        assert command is None or command in available, name


def test_unknown_subcommand_exits_2(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["frobnicate"])
    assert exc.value.code == 2
    assert "unknown command" in capsys.readouterr().err


def test_installed_command_prints_help(tmp_path):
    result = run_dgov(tmp_path / "var", "--help", timeout=60)
    assert result.returncode == 0
    for name in SUBCOMMANDS:
        assert f"  {name} " in result.stdout
    assert DGOV.exists()


# --- init and the demo data, against a SQLite file ---------------------------------------------

def test_init_demo_twice_succeeds_and_reports(demo_install):
    assert "regions: 602 created or changed" in demo_install.first.stdout
    assert "regions: 0 created or changed" in demo_install.second.stdout
    assert "departments: 0 created or changed" in demo_install.second.stdout
    assert "working-day calendar: 0 days created or changed" in demo_install.second.stdout


def test_init_demo_twice_creates_no_duplicates(demo_install):
    assert demo_install.counts_after_second == demo_install.counts_after_first
    counts = demo_install.counts_after_second
    assert counts["orgs_region"] == 602 and counts["orgs_department"] == 137
    assert counts["orgs_managementarea"] == 3 and counts["accounts_role"] >= 6
    assert counts["calendars_calendarday"] >= 108
    # every demo login, the service account of each demo application (which has no password), and the
    # account of the policy demo's second enterprise (no password: it only shows who does not match)
    assert counts["accounts_application"] >= 1
    assert counts["accounts_user"] == len(json.loads(demo_install.accounts_after_second)) + \
        counts["accounts_application"] + 1


def test_demo_accounts_file(demo_install):
    accounts = json.loads(demo_install.accounts_after_second)
    by_name = {a["username"]: a for a in accounts}
    assert {"admin", "yuehu_admin", "yujiang_admin", "guixi_admin", "citizen", "enterprise", "auditor",
            "official"} <= set(by_name)
    for account in accounts:
        assert DEMO_KEYS <= set(account), account
        assert len(account["password"]) >= 10
        assert ("totp_secret" in account) == (account["username"] in TWO_FACTOR_ACCOUNTS), account
    assert by_name["admin"]["role"] == "city_admin,security_admin"
    assert by_name["yujiang_admin"]["region_code"] == "360603000000"
    assert by_name["yujiang_admin"]["department"] == "余江区人民政府"
    assert (by_name["citizen"]["kind"], by_name["enterprise"]["kind"]) == ("citizen", "enterprise")
    assert "id_number" in by_name["citizen"]
    assert all("id_number" not in a for a in accounts if a["username"] != "citizen")


def test_demo_accounts_are_the_same_after_the_second_run(demo_install):
    first = {a["username"]: a for a in json.loads(demo_install.accounts_after_first)}
    second = {a["username"]: a for a in json.loads(demo_install.accounts_after_second)}
    assert first == second


def test_demo_citizen_id_number_is_valid(demo_install):
    from dgov.core.validators import id_number_check_char

    citizen = next(a for a in json.loads(demo_install.accounts_after_second) if a["username"] == "citizen")
    number = citizen["id_number"]
    assert len(number) == 18 and number[:6] == "360602"
    assert number[17] == id_number_check_char(number[:17])


def test_demo_citizen_id_number_is_nowhere_in_the_database_files(demo_install):
    citizen = next(a for a in json.loads(demo_install.accounts_after_second) if a["username"] == "citizen")
    number = citizen["id_number"].encode()
    files = [p for p in demo_install.data_dir.iterdir() if p.name.startswith("dgov.sqlite3")]
    assert demo_install.db_file in files
    for path in files:  # the database, and its -wal / -shm files if SQLite kept them
        data = path.read_bytes()
        assert number not in data, path
        assert number[:17] not in data, path  # not even without the check digit
    # It is there, encrypted: exactly one natural person, whose column holds ciphertext.
    with sqlite3.connect(demo_install.db_file) as db:
        rows = db.execute("SELECT id_number, id_number_index FROM accounts_naturalperson").fetchall()
    assert len(rows) == 1 and rows[0][0].startswith("dgov:v1:") and len(rows[0][1]) == 64


def test_demo_records_are_marked_as_demo(demo_install):
    with sqlite3.connect(demo_install.db_file) as db:
        users = db.execute("SELECT username, real_name, is_demo FROM accounts_user").fetchall()
    assert users and all(is_demo == 1 and "演示" in real_name for _, real_name, is_demo in users)


def _keep_the_calendar_current(db_file):
    """A healthy installation keeps the holiday schedule of this year and the next loaded; the
    shipped file covers 2024-2026, so add a day to later years (the check is date-dependent)."""
    year, now = dt.date.today().year, dt.datetime.now(dt.UTC).isoformat(sep=" ")
    with sqlite3.connect(db_file) as db:
        for y in (year, year + 1):
            db.execute("INSERT OR IGNORE INTO calendars_calendarday (date, kind, festival, note, created_at, "
                       "updated_at) VALUES (?, 'holiday', '元旦', '', ?, ?)", [f"{y}-01-01", now, now])


def test_check_passes_on_a_healthy_install(demo_install, tmp_path):
    data_dir = demo_install.copy(tmp_path / "var")
    _keep_the_calendar_current(data_dir / "dgov.sqlite3")
    result = run_dgov(data_dir, "check", timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "FAIL" not in result.stdout
    for label in ("secret key", "master key", "database", "migrations", "cryptography", "audit chain"):
        assert any(line.startswith("OK") and label in line for line in result.stdout.splitlines()), label


def test_check_fails_when_debug_is_on(demo_install, tmp_path):
    data_dir = demo_install.copy(tmp_path / "var")
    result = subprocess.run([str(DGOV), "check"], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                            env={**dgov_env(data_dir), "DGOV_DEBUG": "1"})
    assert result.returncode != 0
    assert any(line.startswith("FAIL") and "debug" in line for line in result.stdout.splitlines())


# --- audit verify through the installed command ----------------------------------------------

def test_audit_verify_passes_on_the_untouched_install(demo_install):
    result = run_dgov(demo_install.data_dir, "audit", "verify", timeout=120)
    assert result.returncode == 0, result.stderr
    assert "intact" in result.stdout


@pytest.mark.parametrize(("column", "value"), [("action", "auth.logout"), ("changes", '{"accounts": 1}'),
                                               ("occurred_at", "2020-01-01 00:00:00"), ("actor_username", "x")])
def test_audit_verify_names_the_entry_edited_with_raw_sql(demo_install, tmp_path, column, value):
    data_dir = demo_install.copy(tmp_path / "var")
    with sqlite3.connect(data_dir / "dgov.sqlite3") as db:
        seq, entry_id = db.execute("SELECT seq, id FROM core_auditentry ORDER BY seq LIMIT 1 OFFSET 3").fetchone()
        db.execute(f"UPDATE core_auditentry SET {column} = ? WHERE seq = ?", [value, seq])
    result = run_dgov(data_dir, "audit", "verify", timeout=120)
    assert result.returncode == 1
    assert f"#{seq} " in result.stderr and f"id {entry_id}" in result.stderr


def test_audit_verify_finds_a_deleted_row(demo_install, tmp_path):
    data_dir = demo_install.copy(tmp_path / "var")
    with sqlite3.connect(data_dir / "dgov.sqlite3") as db:
        seq = db.execute("SELECT seq FROM core_auditentry ORDER BY seq LIMIT 1 OFFSET 2").fetchone()[0]
        db.execute("DELETE FROM core_auditentry WHERE seq = ?", [seq])
    result = run_dgov(data_dir, "audit", "verify", timeout=120)
    assert result.returncode == 1
    assert f"#{seq + 1} " in result.stderr and f"expected entry #{seq}" in result.stderr
    check = run_dgov(data_dir, "check", timeout=120)
    assert check.returncode != 0
    assert any(line.startswith("FAIL") and "audit chain" in line for line in check.stdout.splitlines())


# --- in-process commands on the test database ----------------------------------------------------

def _counts():
    from django.contrib.auth.models import Permission

    from dgov.accounts.models import Role
    from dgov.calendars.models import CalendarDay
    from dgov.core.models import AuditEntry
    from dgov.orgs.models import Department, ManagementArea, Region

    return {
        "regions": Region.objects.count(), "departments": Department.objects.count(),
        "areas": ManagementArea.objects.count(), "roles": Role.objects.count(),
        "role_permissions": Role.permissions.through.objects.count(), "days": CalendarDay.objects.count(),
        "permissions": Permission.objects.count(), "audit": AuditEntry.objects.count(),
        "paths": sorted(Region.objects.values_list("path", flat=True))[:5],
    }


@pytest.mark.django_db
def test_init_again_creates_no_duplicates_and_writes_no_audit_entries():
    before = _counts()
    assert before["regions"] == 602 and before["departments"] == 137 and before["roles"] >= 6
    out = io.StringIO()
    call_command("init", no_static=True, stdout=out)
    assert _counts() == before
    assert "regions: 0 created or changed" in out.getvalue()


@pytest.mark.django_db
def test_init_keeps_local_edits_unless_asked_to_update_reference():
    from dgov.orgs.models import Region

    Region.objects.filter(code="360603000000").update(name="改过的名字")
    call_command("init", no_static=True, verbosity=0)
    assert Region.objects.get(code="360603000000").name == "改过的名字"
    call_command("init", no_static=True, update_reference=True, verbosity=0)
    assert Region.objects.get(code="360603000000").name == "余江区"


@pytest.mark.django_db
def test_token_create_prints_the_token_last_and_it_works(world):
    from django.test import Client

    out, err = io.StringIO(), io.StringIO()
    call_command("token", "create", "t_yujiang_admin", stdout=out, stderr=err)
    token = out.getvalue().strip().splitlines()[-1]
    assert token and " " not in token
    assert "t_yujiang_admin" in err.getvalue()
    response = Client(headers={"Authorization": f"Bearer {token}"}).get("/api/v1/me")
    assert response.status_code == 200 and response.json()["username"] == "t_yujiang_admin"
    assert Client(headers={"Authorization": f"Bearer {token}x"}).get("/api/v1/me").status_code == 401


@pytest.mark.django_db
def test_token_create_for_an_unknown_user_fails():
    with pytest.raises(CommandError, match="no active user"):
        call_command("token", "create", "nobody-here", stdout=io.StringIO(), stderr=io.StringIO())


@pytest.mark.django_db
def test_audit_export_command_writes_the_log_and_audits_itself(tmp_path):
    from dgov.core.models import AuditEntry

    target = tmp_path / "audit.csv"
    call_command("audit", "export", "--output", str(target), stdout=io.StringIO())
    text = target.read_text(encoding="utf-8-sig")
    assert text.splitlines()[0].count(",") >= 9
    assert len(text.splitlines()) >= AuditEntry.objects.count()  # every entry before the export's own
    assert AuditEntry.objects.order_by("-seq").first().action == "core.auditentry.export"
