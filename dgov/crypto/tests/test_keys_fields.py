"""Purpose keys, the blind index and the encrypted model field (ciphertext bound to its column)."""

import pytest
from django.db import connection

from dgov.crypto import keys
from dgov.crypto.fields import PREFIX, blind_index
from dgov.crypto.primitives import DecryptionError, hmac_sm3
from dgov.notifications.models import OutboxMessage


def _forget_keys():
    keys.master_key.cache_clear()
    keys.purpose_key.cache_clear()


@pytest.fixture
def use_master_key(monkeypatch):
    """Switch to another master key (hex) within the test; the cached keys are dropped before and
    after, and monkeypatch restores the environment last."""

    def switch(hex_key: str) -> None:
        _forget_keys()
        monkeypatch.setenv("DGOV_MASTER_KEY", hex_key)

    yield switch
    _forget_keys()


def test_purpose_keys_are_independent():
    field, index, chain = (keys.purpose_key("field-encryption"), keys.purpose_key("blind-index:phone", length=32),
                           keys.purpose_key("audit-chain", length=32))
    assert len(field) == 16 and len(index) == 32 and len(chain) == 32
    assert len({field, index[:16], chain[:16], keys.master_key()[:16]}) == 4
    assert keys.purpose_key("field-encryption", version=2) != field


def test_purpose_key_is_hmac_sm3_of_the_master_key():
    expected = hmac_sm3(keys.master_key(), b"dgov:audit-chain:v1")
    assert keys.purpose_key("audit-chain", length=32) == expected


def test_master_key_length_is_checked(use_master_key):
    from django.core.exceptions import ImproperlyConfigured

    use_master_key("ab" * 16)
    with pytest.raises(ImproperlyConfigured):
        keys.master_key()


def test_master_key_file_is_created_private(tmp_path, settings):
    settings.MASTER_KEY_FILE = tmp_path / "sub" / "master.key"
    created = keys._create_master_key_file(settings.MASTER_KEY_FILE)
    assert len(created) == keys.MASTER_KEY_BYTES
    assert settings.MASTER_KEY_FILE.stat().st_mode & 0o777 == 0o600
    # A second creator (another process starting at the same time) reads the first one's key.
    assert keys._create_master_key_file(settings.MASTER_KEY_FILE) == created


@pytest.mark.django_db
def test_blind_index_is_deterministic_per_purpose():
    assert blind_index("13900001111", "phone") == blind_index("13900001111", "phone")
    assert blind_index("13900001111", "phone") != blind_index("13900001112", "phone")
    assert blind_index("13900001111", "phone") != blind_index("13900001111", "id_number")
    assert len(blind_index("x", "phone")) == 64


@pytest.mark.django_db
def test_blind_index_and_field_key_depend_on_the_master_key(use_master_key):
    from dgov.core.cache import ProcessCache
    from dgov.kms.services import KmsError

    default_field_key = keys.purpose_key("field-encryption")
    use_master_key("ab" * 32)
    ProcessCache.clear_all()
    # The stored system keys are wrapped under the real master key: under another one nothing unwraps.
    with pytest.raises(KmsError) as exc:
        blind_index("13900001111", "phone")
    assert exc.value.code == "key_unwrap_failed"
    assert keys.purpose_key("field-encryption") != default_field_key
    assert keys.master_key() == bytes.fromhex("ab" * 32)


@pytest.mark.django_db
def test_blind_index_is_not_a_plain_digest():
    from dgov.crypto.primitives import sm3

    assert blind_index("13900001111", "phone") != sm3(b"13900001111").hex()


def _raw(pk, column):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM notifications_outboxmessage WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def _message(**fields):
    values = {"channel": "sms", "recipient": "13912345678", "recipient_masked": "139****5678",
              "subject": "s", "body": "您的验证码是 246810"}
    values.update(fields)
    return OutboxMessage.objects.create(**values)


@pytest.mark.django_db
def test_encrypted_field_stores_only_ciphertext():
    message = _message()
    raw_recipient, raw_body = _raw(message.pk, "recipient"), _raw(message.pk, "body")
    assert raw_recipient.startswith(PREFIX) and raw_body.startswith(PREFIX)
    assert "13912345678" not in raw_recipient and "246810" not in raw_body
    fresh = OutboxMessage.objects.get(pk=message.pk)
    assert (fresh.recipient, fresh.body) == ("13912345678", "您的验证码是 246810")


@pytest.mark.django_db
def test_same_value_encrypts_differently_each_time():
    a, b = _message(), _message()
    assert _raw(a.pk, "recipient") != _raw(b.pk, "recipient")


@pytest.mark.django_db
def test_ciphertext_copied_to_another_column_fails_to_decrypt():
    message = _message()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE notifications_outboxmessage SET body = recipient WHERE id = %s", [message.pk])
    with pytest.raises(DecryptionError):
        OutboxMessage.objects.get(pk=message.pk)


@pytest.mark.django_db
def test_ciphertext_copied_to_another_row_of_the_same_column_still_decrypts_to_its_own_value():
    # Binding is per column, not per row: documented, so a reviewer knows what the AAD covers.
    a, b = _message(recipient="13900000001"), _message(recipient="13900000002")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE notifications_outboxmessage SET recipient = %s WHERE id = %s",
                       [_raw(a.pk, "recipient"), b.pk])
    assert OutboxMessage.objects.get(pk=b.pk).recipient == "13900000001"


@pytest.mark.django_db
def test_tampered_ciphertext_is_refused():
    message = _message()
    raw = _raw(message.pk, "body")
    tampered = raw[:-6] + ("AAAA==" if not raw.endswith("AAAA==") else "BBBB==")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE notifications_outboxmessage SET body = %s WHERE id = %s", [tampered, message.pk])
    with pytest.raises(DecryptionError):
        OutboxMessage.objects.get(pk=message.pk)


@pytest.mark.django_db
def test_plaintext_in_the_column_is_refused():
    message = _message()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE notifications_outboxmessage SET body = %s WHERE id = %s", ["plain", message.pk])
    with pytest.raises(ValueError, match="unrecognised ciphertext"):
        OutboxMessage.objects.get(pk=message.pk)


@pytest.mark.django_db
def test_encrypted_field_cannot_be_filtered_except_isnull():
    _message()
    with pytest.raises(TypeError, match="blind index"):
        list(OutboxMessage.objects.filter(recipient="13912345678"))
    assert OutboxMessage.objects.filter(recipient__isnull=False).exists()


@pytest.mark.django_db
def test_empty_value_is_stored_as_is():
    message = _message(body="")
    assert _raw(message.pk, "body") == ""
    assert OutboxMessage.objects.get(pk=message.pk).body == ""
