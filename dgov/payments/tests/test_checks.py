"""The payments' part of `dgov check`: the sandbox provider is a warning until a real provider is set
and the sandbox is turned off."""

import pytest

from dgov.core import checks

pytestmark = pytest.mark.django_db


def _payment_check():
    return {name: (status, message) for name, status, message in checks.run_all()}["payment provider"]


def test_the_sandbox_provider_is_a_warning_until_a_real_provider_is_configured(settings):
    settings.DGOV_PAYMENT_PROVIDER_URL = ""
    status, message = _payment_check()
    assert status == checks.WARN and "DGOV_PAYMENT_PROVIDER_URL" in message
    settings.DGOV_PAYMENT_PROVIDER_URL = "https://pay.example.gov.cn/api/"
    settings.DGOV_PAYMENT_SANDBOX_ENABLED = True
    status, message = _payment_check()
    assert status == checks.WARN and "/sandbox/payments/" in message
    settings.DGOV_PAYMENT_SANDBOX_ENABLED = False
    assert _payment_check() == (checks.OK, "https://pay.example.gov.cn/api/")
