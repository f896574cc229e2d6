"""`dgov manage cases_tick`: the daily clock run from the command line."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from dgov.cases.testing import at, make_implementation, submitted_case


@pytest.fixture
def frozen(monkeypatch):
    def set_to(day: str, time: str = "10:00"):
        moment = at(day, time)
        monkeypatch.setattr(timezone, "now", lambda: moment)
        return moment
    return set_to


@pytest.mark.django_db
def test_cases_tick_command(world, frozen):
    frozen("2026-09-30", "10:00")
    case = submitted_case(world.citizen, make_implementation())
    out = StringIO()
    call_command("cases_tick", today="2026-10-13", stdout=out)
    assert "0 accepted by law, 1 warned" in out.getvalue()
    call_command("cases_tick", today="2026-10-14", stdout=out)
    assert "1 accepted by law" in out.getvalue()
    case.refresh_from_db()
    assert case.deemed_accepted and case.accepted_on == dt.date(2026, 9, 30)
    with pytest.raises(CommandError):
        call_command("cases_tick", today="14.10.2026")
