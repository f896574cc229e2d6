"""The evaluation formula against hand-computed numbers; publication freezes it."""

import datetime as dt
import math

import pytest
from django.utils import timezone

from dgov.aggregation.models import Dataset
from dgov.core.errors import PermissionDenied, ValidationError
from dgov.core.testing import audited
from dgov.governance import evaluation, services
from dgov.governance.models import RankingPublication, ResourceFeedback
from dgov.governance.tests.conftest import COLUMNS, log_calls
from dgov.sharing.testing import GUIXI_HRSS, YUJIANG_HRSS, make_app, population_entry

pytestmark = pytest.mark.django_db


@pytest.fixture
def three(scene, consumer):
    from dgov.aggregation.testing import make_dataset

    a = scene.entry
    services.feedback_save(actor=consumer, feedback=ResourceFeedback(entry=a, department=consumer.department,
                                                                     score=4, comment="好用"))
    log_calls(scene.app, a.code, 4, at=timezone.now() - dt.timedelta(days=40))  # before the period
    b = population_entry("360681909", name="贵溪低保")
    make_dataset(entry=b, columns=COLUMNS)
    Dataset.objects.filter(entry=b).update(last_loaded_at=timezone.now())
    c = population_entry(name="余江特困")
    make_dataset(entry=c, columns=COLUMNS)
    Dataset.objects.filter(entry=c).update(last_loaded_at=timezone.now() - dt.timedelta(days=10))
    log_calls(make_app(YUJIANG_HRSS), c.code, 5)
    log_calls(make_app(GUIXI_HRSS), c.code, 3)
    return a, b, c


def test_scores_by_hand(three):
    a, b, c = three
    start, end = evaluation.default_period()
    result = evaluation.evaluate(start, end)
    rows = {r["code"]: r for r in result["resources"]}
    # A: 3 successful calls of 1 application (2 refused, 4 before the period); peaks: 8 calls, 2 consumers
    usage_a = 0.5 * math.log(4) / math.log(9) + 0.5 * math.log(2) / math.log(3)
    assert rows[a.code]["calls"] == 3 and rows[a.code]["consumers"] == 1 and rows[a.code]["active_grants"] == 1
    assert rows[a.code]["usage"] == pytest.approx(usage_a, abs=1e-4)
    assert rows[a.code]["rating"] == 0.75 and rows[a.code]["quality"] == 0.8 and rows[a.code]["timeliness"] == 0
    assert rows[a.code]["score"] == round(100 * (0.3 * usage_a + 0.2 * 0.75 + 0.3 * 0.8 + 0.2 * 0), 1) == 57.9
    # B: unused, no rating, no quality run, loaded now: 100 × (0.3·0 + 0.2·1) / (0.3 + 0.2)
    assert rows[b.code]["rating"] is None and rows[b.code]["quality"] is None
    assert rows[b.code]["score"] == 40.0
    # C: the most used (8 calls, 2 consumers), loaded 10 days ago on a monthly cycle
    assert rows[c.code]["usage"] == 1 and rows[c.code]["timeliness"] == 1 and rows[c.code]["score"] == 100.0
    assert [r["code"] for r in result["resources"]] == [c.code, a.code, b.code]
    assert [r["rank"] for r in result["resources"]] == [1, 2, 3]
    depts = {d["code"]: d for d in result["departments"]}
    assert depts["360603909"]["score"] == pytest.approx((100 + 57.9) / 2, abs=0.051)
    assert depts["360603909"]["calls"] == 11 and depts["360681909"]["score"] == 40.0
    assert result["formula"]["weights"] == {"usage": 0.3, "rating": 0.2, "quality": 0.3, "timeliness": 0.2}


def test_timeliness_decays_linearly_over_the_second_cycle():
    end = dt.date(2026, 3, 10)
    as_of = dt.datetime(2026, 3, 11, tzinfo=evaluation.TZ)
    assert evaluation.timeliness("weekly", as_of - dt.timedelta(days=7), end) == 1
    assert evaluation.timeliness("weekly", as_of - dt.timedelta(days=10.5), end) == pytest.approx(0.5)
    assert evaluation.timeliness("weekly", as_of - dt.timedelta(days=30), end) == 0
    assert evaluation.timeliness("weekly", None, end) == 0
    assert evaluation.timeliness("irregular", None, end) is None


def test_combine_reweights_missing_parts():
    assert evaluation.combine({"usage": 1, "rating": None, "quality": None, "timeliness": None}) == 100.0
    assert evaluation.combine({"usage": 0.5, "rating": 1, "quality": 0.5, "timeliness": 0}) == 50.0


def test_publish_freezes(three, governor):
    start, end = evaluation.default_period()
    publication = services.publish(actor=governor, start=start, end=end)
    frozen = publication.rows["resources"]
    assert audited("governance.rankingpublication.publish", object_id=str(publication.pk))
    # later calls change the live ranking, not the publication
    a, _b, _c = three
    from dgov.governance.tests.conftest import log_calls as more
    from dgov.sharing.models import Grant

    more(Grant.objects.get(entry=a).application, a.code, 50)
    live = {r["code"]: r for r in evaluation.evaluate(start, end)["resources"]}
    assert live[a.code]["calls"] == 53
    stored = RankingPublication.objects.get(pk=publication.pk)
    assert stored.rows["resources"] == frozen and {r["code"]: r for r in frozen}[a.code]["calls"] == 3
    assert stored.formula["weights"]["usage"] == 0.3


def test_publish_needs_the_permission_and_a_valid_period(scene, reviewer, governor):
    with pytest.raises(PermissionDenied):
        services.publish(actor=reviewer, start=dt.date(2026, 1, 1), end=dt.date(2026, 1, 31))
    with pytest.raises(ValidationError):
        services.publish(actor=governor, start=dt.date(2026, 2, 1), end=dt.date(2026, 1, 31))
    with pytest.raises(ValidationError):
        services.publish(actor=governor, start=dt.date(2024, 1, 1), end=dt.date(2026, 1, 31))
    with pytest.raises(ValidationError) as far:  # a date the database cannot turn into a time
        services.publish(actor=governor, start=dt.date(9999, 12, 1), end=dt.date(9999, 12, 31))
    assert list(far.value.details) == ["start"]
