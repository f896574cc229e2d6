"""The demo: a rating on the sharing demo's granted entry and one published ranking, idempotent."""

import pytest

from dgov.catalog.testing import item
from dgov.core.testing import audited
from dgov.governance.demo import load_demo
from dgov.governance.models import RankingPublication, ResourceFeedback
from dgov.sharing.demo import DATASET_ENTRY
from dgov.sharing.demo import load_demo as load_sharing_demo
from dgov.sharing.testing import population_entry

pytestmark = pytest.mark.django_db


def test_demo_rates_the_granted_entry_and_publishes_once(db):
    population_entry(name=DATASET_ENTRY, items=[
        item(n) for n in ("姓名", "公民身份号码", "联系电话", "居住地址", "保障类别", "月保障金额", "登记日期")])
    population_entry(name="婚姻登记信息", items=[item(n) for n in ("男方姓名", "女方姓名", "登记类型", "登记日期")])
    load_sharing_demo()
    assert load_demo() == {"feedback": 1, "publications": 1}
    feedback = ResourceFeedback.objects.get()
    assert feedback.is_demo and feedback.entry.name == DATASET_ENTRY and feedback.department.code == "360603905"
    assert feedback.reply and RankingPublication.objects.get().is_demo
    assert audited("governance.demo.load")
    assert load_demo() == {"feedback": 0, "publications": 0}


def test_without_a_grant_no_rating(db):
    assert load_demo() == {"feedback": 0, "publications": 1}
    assert not ResourceFeedback.objects.exists()
