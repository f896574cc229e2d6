"""The demo cases: the demo citizen's applications in every state an inbox shows, the demo official's
case roles on their department, warnings on two of them, and nothing twice."""

import pytest
from django.utils import timezone

from dgov.cases import clock, demo, selectors
from dgov.cases.models import Case, CaseEvent
from dgov.cases.testing import make_implementation

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_accounts(settings, tmp_path):
    from dgov.accounts.demo import load_demo

    settings.DATA_DIR = tmp_path
    load_demo()


def _check(result):
    from dgov.accounts.models import User

    assert result["created"] == len(demo.SCRIPTS) == result["total"] and result["skipped"] == []
    official = User.objects.get(username=demo.OFFICIAL)
    cases = Case.objects.filter(is_demo=True)
    assert {c.applicant.username for c in cases} == {demo.CITIZEN}
    states = sorted(cases.values_list("state", flat=True))
    assert set(states) == {"draft", "submitted", "correction", "accepted", "in_review", "suspended", "closed"}
    inbox = selectors.inbox(official)
    assert {"submitted", "accepted", "in_review", "suspended"} <= set(inbox.values_list("state", flat=True))
    assert not inbox.filter(state__in=["draft", "correction", "closed"]).exists()
    today = timezone.localdate()
    warnings = {clock.status(c, today) for c in inbox}
    assert {"yellow", "overdue"} <= warnings
    assert CaseEvent.objects.filter(case__is_demo=True, action="start").count() == len(demo.SCRIPTS)
    again = demo.load_demo()
    assert again["created"] == 0 and again["total"] == len(demo.SCRIPTS)
    assert Case.objects.filter(is_demo=True).count() == len(demo.SCRIPTS)


def test_demo_cases_on_given_implementations(demo_accounts):
    for _ in range(3):
        make_implementation(materials=[{"name": "申请书"}, {"name": "身份证原件", "form": "original"}])
    _check(demo.load_demo())


def test_demo_cases_on_the_demo_service_items(demo_accounts):
    from dgov.services.demo import load_demo as load_services

    load_services()
    result = demo.load_demo()
    _check(result)
    instant = Case.objects.get(is_demo=True, events__action="start", events__data__demo="instant")
    assert (instant.case_kind, instant.state) == ("instant", "closed")
    assert {c.region.name for c in Case.objects.filter(is_demo=True)} == {result["region"]}


def test_without_the_demo_accounts_nothing_is_made():
    assert demo.load_demo()["created"] == 0
