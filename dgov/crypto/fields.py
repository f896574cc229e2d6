"""Model fields for personal data: SM4-GCM encryption at rest and an HMAC-SM3 blind index, both
under system keys of the key service (see `dgov.crypto.keys.SYSTEM_KEYS`), so they rotate.

The plaintext never reaches the database. A stored value is `dgov:v<version>:<base64>` naming the
version of `dgov.field-encryption` it was written with (older rows may carry the original
`sm4gcm:v1:` prefix, which is version 1); rotation leaves old rows readable. Ciphertexts are bound
to their column (the associated data is "<app_label>.<model>.<field>"), so a value copied into
another column fails to decrypt.

A blind index is deterministic by design (equality lookups), so rotating a blind-index key
re-indexes every registered column in the same transaction (`rebuild_blind_index`).
"""

import base64
import re

from django.apps import apps
from django.db import models

from dgov.crypto.keys import keyring
from dgov.crypto.primitives import hmac_sm3, sm4_gcm_decrypt, sm4_gcm_encrypt

FIELD_KEY = "dgov.field-encryption"
LEGACY_PREFIX = "sm4gcm:v1:"
_STORED = re.compile(r"^dgov:v([1-9][0-9]{0,8}):(.*)$", re.S)
PREFIX = "dgov:v"


def blind_index_key(purpose: str) -> str:
    return f"dgov.blind-index.{purpose}"


def blind_index(value: str, purpose: str) -> str:
    """A keyed SM3 digest of a normalised value, for equality lookups without the plaintext."""
    _, key = keyring().current(blind_index_key(purpose))
    return hmac_sm3(key, value.encode()).hex()


#: (model label, value field, index field) per blind-index purpose, declared by the apps that own them
BLIND_INDEXES: dict[str, list[tuple[str, str, str]]] = {}


def register_blind_index(purpose: str, model_label: str, value_field: str, index_field: str) -> None:
    entries = BLIND_INDEXES.setdefault(purpose, [])
    if (model_label, value_field, index_field) not in entries:
        entries.append((model_label, value_field, index_field))


def rebuild_blind_index(purpose: str) -> int:
    """Recompute every index of `purpose` under the key's current version (call inside the
    transaction that rotated it). Returns the number of rows rewritten."""
    count = 0
    for label, value_field, index_field in BLIND_INDEXES.get(purpose, []):
        model = apps.get_model(label)
        rows = [row for row in model._base_manager.only("pk", value_field, index_field).iterator(chunk_size=2000)
                if getattr(row, value_field)]
        for row in rows:
            setattr(row, index_field, blind_index(getattr(row, value_field), purpose))
        model._base_manager.bulk_update(rows, [index_field], batch_size=500)
        count += len(rows)
    return count


def encrypt_value(value: str, aad: bytes) -> str:
    version, key = keyring().current(FIELD_KEY)
    return f"{PREFIX}{version}:" + base64.b64encode(sm4_gcm_encrypt(key, value.encode(), aad)).decode()


def decrypt_value(stored: str, aad: bytes, label: str) -> str:
    if stored.startswith(LEGACY_PREFIX):
        version, body = 1, stored[len(LEGACY_PREFIX):]
    else:
        match = _STORED.match(stored)
        if not match:
            raise ValueError(f"{label}: unrecognised ciphertext format")
        version, body = int(match.group(1)), match.group(2)
    try:
        key = keyring().version(FIELD_KEY, version)
    except KeyError:
        raise ValueError(f"{label}: written with {FIELD_KEY} v{version}, which is unknown or retired") from None
    return sm4_gcm_decrypt(key, base64.b64decode(body), aad).decode()


def stored_version(stored: str) -> int | None:
    """The field-key version a stored value was written with (None if it is not a ciphertext)."""
    if stored.startswith(LEGACY_PREFIX):
        return 1
    match = _STORED.match(stored or "")
    return int(match.group(1)) if match else None


class EncryptedTextField(models.TextField):
    description = "Text encrypted at rest with SM4-GCM"

    def _aad(self) -> bytes:
        return f"{self.model._meta.label_lower}.{self.name}".encode()

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt_value(value, self._aad())

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt_value(value, self._aad(), f"{self.model._meta.label}.{self.name}")

    def get_lookup(self, lookup_name):
        # Only isnull makes sense on ciphertext; anything else would silently match nothing.
        if lookup_name != "isnull":
            raise TypeError(f"encrypted field {self.name!r} cannot be filtered with {lookup_name!r}; "
                            "use its blind index")
        return super().get_lookup(lookup_name)
