"""TOTP (RFC 6238) as the services use it: SHA-1, 30-second steps, 6 digits, ±1 step of drift,
each step usable once."""

import base64

import pyotp
import pytest
from django.db import connection

from dgov.accounts import services
from dgov.accounts.models import TotpDevice
from dgov.accounts.services import TOTP_STEP, _totp_step_matching
from dgov.accounts.testing import make_user

# RFC 6238, Appendix B: the SHA-1 key and its 8-digit values.
RFC_KEY = base64.b32encode(b"12345678901234567890").decode()
RFC_VECTORS = [
    (59, "94287082"),
    (1111111109, "07081804"),
    (1111111111, "14050471"),
    (1234567890, "89005924"),
    (2000000000, "69279037"),
    (20000000000, "65353130"),
]


@pytest.mark.parametrize(("at", "code"), RFC_VECTORS)
def test_pyotp_reproduces_the_rfc_vectors(at, code):
    assert pyotp.TOTP(RFC_KEY, digits=8, digest="sha1", interval=30).at(at) == code


@pytest.mark.parametrize(("at", "code"), RFC_VECTORS)
def test_our_six_digit_codes_are_the_rfc_values_truncated(at, code):
    """Our codes are 6 digits: the same HOTP value mod 10^6, i.e. the last six digits."""
    six = code[-6:]
    assert pyotp.TOTP(RFC_KEY).at(at) == six
    assert _totp_step_matching(RFC_KEY, six, last_step=0, now=at) == at // TOTP_STEP


@pytest.mark.parametrize(("at", "code"), RFC_VECTORS)
def test_the_eight_digit_values_are_not_accepted(at, code):
    assert _totp_step_matching(RFC_KEY, code, last_step=0, now=at) is None


@pytest.mark.parametrize(("at", "code"), RFC_VECTORS)
def test_one_step_of_drift_either_way(at, code):
    six, step = code[-6:], at // TOTP_STEP
    assert _totp_step_matching(RFC_KEY, six, last_step=0, now=at + TOTP_STEP) == step
    assert _totp_step_matching(RFC_KEY, six, last_step=0, now=at - TOTP_STEP) == step
    assert _totp_step_matching(RFC_KEY, six, last_step=0, now=at + 2 * TOTP_STEP) is None
    assert _totp_step_matching(RFC_KEY, six, last_step=0, now=at - 2 * TOTP_STEP) is None


def test_a_used_step_is_refused():
    at, code = RFC_VECTORS[1]
    step = at // TOTP_STEP
    assert _totp_step_matching(RFC_KEY, code[-6:], last_step=step - 1, now=at) == step
    assert _totp_step_matching(RFC_KEY, code[-6:], last_step=step, now=at) is None
    assert _totp_step_matching(RFC_KEY, code[-6:], last_step=step + 1, now=at) is None


ARABIC_INDIC = "".join(chr(0x660 + int(d)) for d in "081804")


@pytest.mark.parametrize("code", ["", "   ", "07081", "0708180", "o70818", "070 818", None, ARABIC_INDIC])
def test_malformed_codes_are_refused(code):
    assert _totp_step_matching(RFC_KEY, code, last_step=0, now=1111111109) is None


@pytest.mark.parametrize("code", [" 081804\n", "０８１８０４"])
def test_whitespace_and_full_width_digits_are_accepted(code):
    assert _totp_step_matching(RFC_KEY, code, last_step=0, now=1111111109) == 1111111109 // 30


def test_time_zero_is_a_time_like_any_other():
    """`now=0` means the Unix epoch, not "now"."""
    code = pyotp.TOTP(RFC_KEY).at(0)
    assert _totp_step_matching(RFC_KEY, code, last_step=-1, now=0) == 0


def test_totp_verify_consumes_the_step(db):
    user = make_user("otp_user")
    TotpDevice.objects.create(user=user, secret=RFC_KEY, confirmed=True)
    at, code = RFC_VECTORS[2]
    assert services.totp_verify(user=user, code=code[-6:], now=at)
    assert TotpDevice.objects.get(user=user).last_step == at // TOTP_STEP
    assert not services.totp_verify(user=user, code=code[-6:], now=at)
    # The next step's code still works.
    assert services.totp_verify(user=user, code=pyotp.TOTP(RFC_KEY).at(at + TOTP_STEP), now=at + TOTP_STEP)


def test_totp_verify_without_a_device_is_false(db):
    assert services.totp_verify(user=make_user("no_device"), code="123456", now=59) is False


def test_enrolment_restarts_with_a_new_secret_until_confirmed(db):
    user = make_user("enrolling")
    first = services.totp_begin_enrolment(user=user).secret
    second = services.totp_begin_enrolment(user=user).secret
    assert first != second and len(base64.b32decode(second)) >= 20  # at least 160 bits
    uri = services.totp_uri(TotpDevice.objects.get(user=user))
    assert uri.startswith("otpauth://totp/") and "issuer=dgov" in uri and f"secret={second}" in uri


def test_the_secret_is_encrypted_at_rest(db):
    user = make_user("secretive")
    device = services.totp_begin_enrolment(user=user)
    table = connection.ops.quote_name(TotpDevice._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT secret FROM {table} WHERE id = %s", [device.pk])
        stored = cursor.fetchone()[0]
    assert device.secret not in stored
