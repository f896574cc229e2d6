"""The payments' part of `dgov check`: which payment provider collects the fees."""

from django.conf import settings

from dgov.core.checks import OK, WARN, check


@check("payment provider")
def _payment_provider():
    url = settings.DGOV_PAYMENT_PROVIDER_URL
    if not url:
        return WARN, ("fees are paid to the built-in sandbox provider, which moves no money: set "
                      "DGOV_PAYMENT_PROVIDER_URL to the city's payment provider and DGOV_PAYMENT_SANDBOX_ENABLED=off")
    if settings.DGOV_PAYMENT_SANDBOX_ENABLED:
        return WARN, f"provider {url}; the sandbox provider is still served at /sandbox/payments/ (turn it off)"
    return OK, url
