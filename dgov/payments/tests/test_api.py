"""`/api/v1/services/payments`: the contract of every endpoint (anonymous, unauthorised, out of scope,
in scope, bad input) and what the answers hold."""

import datetime as dt

import pytest
from django.utils import timezone

from dgov.accounts.testing import api_client, make_citizen
from dgov.cases.testing import submitted_case
from dgov.core.testing import ApiContract, Case, assert_error, call
from dgov.payments.tests.conftest import approve, fee_implementation, paid_in_sandbox

URL = "/api/v1/services/payments"


@pytest.fixture
def other_order(db, officials):
    """An order of another citizen, in 余江区 too."""
    return approve(submitted_case(make_citizen("p_payer2"), fee_implementation()), officials.all_roles).fee_order


class TestListOrders(ApiContract):
    test_out_of_scope = None  # a list: what is out of scope is not in it (tested below)

    @pytest.fixture
    def case(self, world, officials, order):
        return Case(method="get", url=f"{URL}/orders", authorised=officials.intake, unauthorised=world.official,
                    bad_url=f"{URL}/orders?state=purple")


class TestGetOrder(ApiContract):
    @pytest.fixture
    def case(self, world, officials, order, guixi_order):
        return Case(method="get", url=f"{URL}/orders/{order.number}", authorised=officials.intake,
                    unauthorised=world.official, out_of_scope_url=f"{URL}/orders/{guixi_order.number}",
                    bad_url=f"{URL}/orders/not-a-number")


class TestStartPayment(ApiContract):
    @pytest.fixture
    def case(self, provider, world, order, other_order):
        return Case(method="post", url=f"{URL}/orders/{order.number}/payments", authorised=world.citizen,
                    unauthorised=world.official, out_of_scope_url=f"{URL}/orders/{other_order.number}/payments",
                    bad_url=f"{URL}/orders/JF1/payments", ok_status=201)


class TestRefund(ApiContract):
    @pytest.fixture
    def case(self, provider, world, order, guixi_order, fee_manager):
        paid_in_sandbox(provider, world.citizen, order)
        return Case(method="post", url=f"{URL}/orders/{order.number}/refunds", authorised=fee_manager,
                    unauthorised=world.official, out_of_scope_url=f"{URL}/orders/{guixi_order.number}/refunds",
                    payload={"amount": "5.00", "reason": "多收，退还。"},
                    bad_payload={"amount": "five", "reason": "多收"}, ok_status=201)


class TestListRuns(ApiContract):
    test_out_of_scope = None  # the statement is the city's collecting account's: one for all

    @pytest.fixture
    def case(self, officials, fee_manager):
        return Case(method="get", url=f"{URL}/reconciliations", authorised=fee_manager,
                    unauthorised=officials.intake, bad_url=f"{URL}/reconciliations?limit=0")


class TestReconcile(ApiContract):
    test_out_of_scope = None  # as above

    @pytest.fixture
    def case(self, provider, officials, fee_manager):
        tomorrow = timezone.localdate() + dt.timedelta(days=1)
        return Case(method="post", url=f"{URL}/reconciliations", authorised=fee_manager,
                    unauthorised=officials.intake, payload={"day": timezone.localdate().isoformat()},
                    bad_payload={"day": tomorrow.isoformat()}, ok_status=201)


class TestGetRun(ApiContract):
    test_out_of_scope = None  # as above

    @pytest.fixture
    def case(self, officials, fee_manager, settings):
        from dgov.payments.services import reconcile

        settings.DGOV_PAYMENT_PROVIDER_URL = "http://127.0.0.1:9/"
        run = reconcile(actor=fee_manager, day=dt.date(2026, 11, 1))
        return Case(method="get", url=f"{URL}/reconciliations/{run.pk}", authorised=fee_manager,
                    unauthorised=officials.intake, bad_url=f"{URL}/reconciliations/x")


def test_the_payer_sees_their_orders_and_officials_their_scope(world, order, guixi_order, officials, fee_manager,
                                                               guixi_fee_manager):
    mine = api_client(world.citizen).get(f"{URL}/orders").json()
    assert {o["number"] for o in mine["items"]} == {order.number, guixi_order.number}
    assert mine["items"][0]["amount"] == 2000 and mine["items"][0]["amount_yuan"] == "20.00"
    assert api_client(make_citizen("p_nobody")).get(f"{URL}/orders").json()["count"] == 0
    assert_error(api_client(make_citizen("p_nosy")).get(f"{URL}/orders/{order.number}"), 404)
    theirs = api_client(guixi_fee_manager).get(f"{URL}/orders").json()
    assert [o["number"] for o in theirs["items"]] == [guixi_order.number]
    detail = api_client(fee_manager).get(f"{URL}/orders/{order.number}").json()
    assert detail["items"][0]["basis"] and detail["payments"] == [] and detail["receipt_url"] is None
    filtered = api_client(officials.intake).get(f"{URL}/orders?state=paid").json()
    assert filtered["count"] == 0


def test_an_official_cannot_pay_and_a_citizen_cannot_refund(world, order, officials):
    assert_error(call(api_client(officials.intake), "post", f"{URL}/orders/{order.number}/payments"), 403)
    response = call(api_client(world.citizen), "post", f"{URL}/orders/{order.number}/refunds",
                    {"amount": "1", "reason": "x"})
    assert_error(response, 403)
