"""Fixtures of the payments tests: an implementation charging fees, the case officials and a
收费管理人员 in 余江区, an approved case with its fee order, and the live sandbox provider (a real HTTP
server: pytest-django's `live_server`)."""

import pytest

from dgov.accounts.testing import make_user
from dgov.cases import services as case_services
from dgov.cases.testing import GUIXI_APPROVAL, YUJIANG_APPROVAL, make_implementation, make_officials, submitted_case

FEES = [{"name": "居民身份证工本费（换领）", "amount": "20", "basis": "发改价格〔2003〕2322号"},
        {"name": "居民身份证工本费（补领）", "amount": "40.5", "basis": "发改价格〔2003〕2322号"}]


def fee_implementation(department_code=YUJIANG_APPROVAL, fees=None):
    impl = make_implementation(department_code=department_code, materials=[])
    impl.fees = FEES if fees is None else fees
    impl.save(update_fields=["fees"])
    return impl


def approve(case, official):
    case = case_services.transition(actor=official, case=case, action="accept")
    return case_services.transition(actor=official, case=case, action="approve")


@pytest.fixture
def officials(db):
    return make_officials("p")


@pytest.fixture
def fee_manager(db):
    return make_user("p_fee", department_code=YUJIANG_APPROVAL,
                     roles=[("fee_manager", "region", "360603"), ("staff", "all", None)])


@pytest.fixture
def guixi_fee_manager(db):
    return make_user("p_fee_gx", department_code=GUIXI_APPROVAL,
                     roles=[("fee_manager", "region", "360681"), ("staff", "all", None)])


@pytest.fixture
def approved(world, officials):
    """A 余江区 case of the demo citizen, approved: its order is unpaid."""
    return approve(submitted_case(world.citizen, fee_implementation()), officials.all_roles)


@pytest.fixture
def order(approved):
    approved.refresh_from_db()
    return approved.fee_order


@pytest.fixture
def guixi_order(world, officials):
    case = approve(submitted_case(world.citizen, fee_implementation(GUIXI_APPROVAL)), officials.guixi)
    return case.fee_order


@pytest.fixture
def provider(transactional_db, live_server, settings):
    """The sandbox provider served over a real socket; the platform's calls go there."""
    settings.DGOV_PAYMENT_PROVIDER_URL = f"{live_server.url}/sandbox/payments/"
    settings.DGOV_PUBLIC_URL = live_server.url
    return live_server.url


def start(provider, citizen, order, *, platform_url=None):
    """The payer starts paying (the service, as the pages and the API call it)."""
    from dgov.payments import services

    return services.start_payment(actor=citizen, order=order, platform_url=platform_url or provider,
                                  return_url=f"{provider}/payments/orders/{order.number}/return/")


def cashier(payment, choice):
    """The payer in the sandbox: the browser follows the signed address to the cashier (a test client,
    with its CSRF checks), chooses, and is sent back; then the sandbox's callback has been sent."""
    from urllib.parse import urlsplit

    from django.conf import settings
    from django.test import Client

    from dgov.payments import sandbox

    browser = Client(enforce_csrf_checks=True)
    parts = urlsplit(payment.pay_url)
    page = browser.get(f"{parts.path}?{parts.query}", follow=True)
    assert page.status_code == 200 and b"sandbox-cashier" in page.content
    path = page.redirect_chain[-1][0]
    token = browser.cookies[settings.CSRF_COOKIE_NAME].value
    response = browser.post(path, {"choice": choice, "csrfmiddlewaretoken": token})
    sandbox.join_callbacks()
    return response


def paid_in_sandbox(provider, citizen, order):
    payment = start(provider, citizen, order)
    cashier(payment, "success")
    order.refresh_from_db()
    assert order.state == "paid"
    return order
