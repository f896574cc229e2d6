"""The platform's own data goes through the key service: personal-data encryption, blind indexes and
the audit chain use system keys that rotate without breaking what was written before, and a
database without its master key decrypts nothing."""

import base64

import pytest
from django.db import connection

from dgov.accounts.models import NaturalPerson, User
from dgov.accounts.testing import make_citizen
from dgov.core import audit
from dgov.core.cache import ProcessCache
from dgov.core.models import AuditEntry
from dgov.crypto import keys
from dgov.crypto.fields import FIELD_KEY, blind_index, stored_version
from dgov.crypto.keys import SYSTEM_KEYS
from dgov.kms import services
from dgov.kms.models import Key, KeyVersion
from dgov.kms.services import KmsError

pytestmark = pytest.mark.django_db


def _raw(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def test_init_stores_every_system_key_with_version_1_derived_from_the_master_key():
    for name, (key_type, _purpose, _length) in SYSTEM_KEYS.items():
        key = Key.objects.get(name=name)
        assert key.is_system and key.type == key_type and key.latest_version == 1
        state = services.key_state(name)
        assert state.versions[1] == keys.system_key_v1(name)
    assert services.ensure_system_keys() == 0  # idempotent


def test_field_key_rotation_keeps_old_rows_readable_and_rewrap_retires_the_old_version(world):
    old = make_citizen("old_citizen", phone="13911112222")
    person_pk = old.person.pk
    assert stored_version(_raw("accounts_naturalperson", "id_number", person_pk)) == 1
    services.key_rotate(actor=world.admin, key=Key.objects.get(name=FIELD_KEY))
    new = make_citizen("new_citizen", phone="13933334444")
    assert stored_version(_raw("accounts_naturalperson", "id_number", new.person.pk)) == 2
    # Both read back.
    assert NaturalPerson.objects.get(pk=person_pk).id_number == old.person.id_number
    assert User.objects.get(pk=old.pk).phone == "13911112222"

    counts = services.rewrap_fields(actor=world.admin)
    assert counts["accounts.NaturalPerson"] >= 2
    assert stored_version(_raw("accounts_naturalperson", "id_number", person_pk)) == 2
    assert Key.objects.get(name=FIELD_KEY).min_decryption_version == 2
    assert NaturalPerson.objects.get(pk=person_pk).id_number == old.person.id_number


def test_blind_index_rotation_reindexes_so_lookups_keep_working(world):
    citizen = make_citizen("bi_citizen", phone="13955556666")
    number = citizen.person.id_number
    before = blind_index(number, "id_number")
    services.key_rotate(actor=world.admin, key=Key.objects.get(name="dgov.blind-index.id_number"))
    after = blind_index(number, "id_number")
    assert after != before
    assert NaturalPerson.objects.get(id_number_index=after).pk == citizen.person.pk
    assert not NaturalPerson.objects.filter(id_number_index=before).exists()
    assert AuditEntry.objects.filter(action="kms.key.reindex").exists()


def test_audit_chain_key_rotation_keeps_the_chain_verifiable(world):
    audit.record("test.before", actor=world.admin)
    services.key_rotate(actor=world.admin, key=Key.objects.get(name="dgov.audit-chain"))
    entry = audit.record("test.after", actor=world.admin)
    assert entry.key_version == 2
    assert AuditEntry.objects.get(action="test.before").key_version == 1
    assert audit.verify().ok
    # Editing an entry made under either version is still detected.
    AuditEntry.objects.filter(action="test.before").update(object_repr="edited")
    assert not audit.verify().ok


def test_platform_key_settings_are_guarded(world):
    key = Key.objects.get(name=FIELD_KEY)
    for fields in ({"enabled": False}, {"min_decryption_version": 1, "min_encryption_version": 1}):
        with pytest.raises(services.ValidationError):
            services.key_update(actor=world.admin, key=key, **fields)


def test_without_the_master_key_the_database_decrypts_nothing(world, monkeypatch):
    """The database copied to another data directory (here: the same rows read with another master
    key) yields neither key material nor personal data nor valid audit MACs."""
    citizen = make_citizen("copy_citizen", phone="13977778888")
    number = citizen.person.id_number
    user_key = services.key_create(actor=world.admin, name="dept-secret", type="sm4-gcm",
                                   department=world.admin.department, exportable=True)
    material = services.key_state(user_key.name).versions[1]
    # Nothing secret is in the database in plaintext.
    with connection.cursor() as cursor:
        cursor.execute("SELECT wrapped_material FROM kms_keyversion")
        wrapped = [base64.b64decode(row[0]) for row in cursor.fetchall()]
    assert all(material not in blob and keys.system_key_v1(FIELD_KEY) not in blob for blob in wrapped)
    assert number not in _raw("accounts_naturalperson", "id_number", citizen.person.pk)

    keys.master_key.cache_clear()
    keys.purpose_key.cache_clear()
    monkeypatch.setenv("DGOV_MASTER_KEY", "cd" * 32)
    ProcessCache.clear_all()
    try:
        with pytest.raises(KmsError) as exc:
            NaturalPerson.objects.get(pk=citizen.person.pk)
        assert exc.value.code == "key_unwrap_failed"
        with pytest.raises(KmsError):
            services.key_state("dept-secret")
        version = KeyVersion.objects.get(key=user_key, version=1)
        with pytest.raises(KmsError):
            services.unwrap(user_key.name, user_key.type, 1, version.wrapped_material)
    finally:
        monkeypatch.delenv("DGOV_MASTER_KEY")
        keys.master_key.cache_clear()
        keys.purpose_key.cache_clear()
        ProcessCache.clear_all()
    assert NaturalPerson.objects.get(pk=citizen.person.pk).id_number == number


def test_platform_keys_cannot_be_used_exported_or_granted_through_the_service(world):
    """Even the city administrator cannot decrypt personal data with the field key through the API,
    export it, make it exportable or grant it to an application: only the platform uses it."""
    from dgov.accounts.testing import api_client
    from dgov.core.testing import assert_error
    from dgov.kms.tests.support import b64, make_app, patch, post

    admin = api_client(world.admin)
    citizen = make_citizen("guarded_citizen")
    stored = _raw("accounts_naturalperson", "id_number", citizen.person.pk)
    body = assert_error(post(admin, f"/api/v1/crypto/keys/{FIELD_KEY}/decrypt",
                             {"ciphertext": stored, "associated_data": b64("accounts.naturalperson.id_number")}),
                        403, "platform_key")
    assert citizen.person.id_number not in str(body)
    assert_error(post(admin, "/api/v1/crypto/keys/dgov.blind-index.phone/hmac", {"input": b64("13900000000")}),
                 403, "platform_key")
    assert_error(patch(admin, f"/api/v1/crypto/keys/{FIELD_KEY}", {"exportable": True}), 422)
    assert_error(admin.get(f"/api/v1/crypto/keys/{FIELD_KEY}/export"), 403, "platform_key")
    make_app(world.admin, "yt-snoop")
    assert_error(post(admin, "/api/v1/crypto/policies", {"key": FIELD_KEY, "application": "yt-snoop",
                                                         "operations": ["decrypt"]}), 422)
    # Reading the key's information and rotating it remain possible.
    assert admin.get(f"/api/v1/crypto/keys/{FIELD_KEY}").json()["is_system"] is True
    assert post(admin, f"/api/v1/crypto/keys/{FIELD_KEY}/rotate").json()["latest_version"] == 2
