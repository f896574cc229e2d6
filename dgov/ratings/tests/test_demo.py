"""The demo ratings and supervision tasks on top of the demo cases: a good rating, a bad one verified and
awaiting its fix, the cases demo's closed case left to rate, tasks for every approved demo case, the demo
official's roles, and nothing twice."""

import pytest

from dgov.cases import demo as cases_demo
from dgov.cases.models import Case, Outcome
from dgov.cases.testing import make_implementation
from dgov.ratings import demo, services
from dgov.ratings.models import Rating, Step
from dgov.supervision import demo as supervision_demo
from dgov.supervision.models import SupervisionTask, TaskState

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_cases(settings, tmp_path):
    from dgov.accounts.demo import load_demo

    settings.DATA_DIR = tmp_path
    load_demo()
    for _ in range(3):
        make_implementation()
    cases_demo.load_demo()


def test_demo_ratings_and_supervision_tasks(demo_cases):
    from dgov.accounts.models import User

    result = demo.load_demo()
    assert result == {"created": 2, "total": 2}
    good, bad = (Rating.objects.get(is_demo=True, level=level) for level in (5, 2))
    assert not hasattr(good, "rectification")
    assert bad.rectification.state == Step.FIX and bad.rectification.founded is True
    official = User.objects.get(username=cases_demo.OFFICIAL)
    assert services.handlers(bad.rectification) == [official]
    # the cases demo's closed case is left for the citizen to rate
    closed = Case.objects.get(is_demo=True, events__action="start", events__data__demo="closed")
    assert services.can_rate(closed.applicant, closed)
    supervision = supervision_demo.load_demo()
    approved = Case.objects.filter(is_demo=True, outcome=Outcome.APPROVED)
    assert SupervisionTask.objects.filter(is_demo=True).count() == approved.count() == supervision["total"] >= 3
    assert SupervisionTask.objects.filter(is_demo=True, state=TaskState.ACKNOWLEDGED).count() == 1
    assert SupervisionTask.objects.restrict(official, "acknowledge").count() == approved.count()
    # nothing twice
    assert demo.load_demo() == {"created": 0, "total": 2}
    assert supervision_demo.load_demo()["created"] == 0
    assert SupervisionTask.objects.filter(is_demo=True, state=TaskState.ACKNOWLEDGED).count() == 1


def test_without_the_demo_accounts_nothing_is_made():
    assert demo.load_demo()["created"] == 0
    assert supervision_demo.load_demo()["created"] == 0
