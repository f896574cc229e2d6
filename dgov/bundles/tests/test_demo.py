"""The demo bundles: built from the demo service items, published, their combined forms free of
conflicts, and nothing twice."""

import pytest

from dgov.bundles import demo, services
from dgov.bundles.models import Bundle

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_accounts(settings, tmp_path):
    from dgov.accounts.demo import load_demo

    settings.DATA_DIR = tmp_path
    load_demo()


def test_demo_bundles_on_the_demo_service_items(demo_accounts):
    from dgov.services.demo import load_demo as load_services

    load_services()
    result = demo.load_demo()
    assert result["created"] == len(demo.BUNDLES) == result["total"] and result["skipped"] == []
    for spec in demo.BUNDLES:
        bundle = Bundle.objects.get(code=spec["code"])
        assert bundle.status == "published" and bundle.is_demo
        impls = services.members(bundle)
        assert [(i.item.base_code, i.department.code) for i in impls] == spec["members"]
        assert services.combined_form(impls)[1] == []
        assert len({i.department_id for i in impls}) == len(impls)  # several departments
    again = demo.load_demo()
    assert again["created"] == 0 and Bundle.objects.filter(is_demo=True).count() == len(demo.BUNDLES)


def test_without_the_demo_items_nothing_is_made(demo_accounts):
    result = demo.load_demo()
    assert result["created"] == 0 and set(result["skipped"]) == {s["code"] for s in demo.BUNDLES}
