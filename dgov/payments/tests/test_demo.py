"""The demo fee order: the demo citizen's approved case of an item with a fee, unpaid; the demo official
is 收费管理人员 there; nothing twice."""

import pytest

from dgov.payments import demo
from dgov.payments.models import FeeOrder
from dgov.payments.tests.conftest import fee_implementation

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_accounts(settings, tmp_path):
    from dgov.accounts.demo import load_demo

    settings.DATA_DIR = tmp_path
    load_demo()


def test_the_demo_citizen_has_a_fee_to_pay(demo_accounts):
    from dgov.accounts.models import RoleAssignment

    impl = fee_implementation()
    result = demo.load_demo()
    assert result == {"created": 1, "total": 1}
    order = FeeOrder.objects.get()
    assert order.is_demo and order.state == "unpaid" and order.payer.username == "citizen"
    assert order.case.implementation == impl and order.case.state == "approved" and order.amount == 2000
    assert RoleAssignment.objects.filter(user__username="official", role__code="fee_manager",
                                         region=impl.region).exists()
    assert demo.load_demo() == {"created": 0, "total": 1}
