"""Model fields for personal data: SM4-GCM encryption at rest and an HMAC-SM3 blind index.

The plaintext never reaches the database. Ciphertexts are bound to their column (the associated
data is "<app_label>.<model>.<field>"), so a value copied into another column fails to decrypt.
"""

import base64

from django.db import models

from dgov.crypto.keys import purpose_key
from dgov.crypto.primitives import hmac_sm3, sm4_gcm_decrypt, sm4_gcm_encrypt

PREFIX = "sm4gcm:v1:"


def blind_index(value: str, purpose: str) -> str:
    """A keyed SM3 digest of a normalised value, for equality lookups without the plaintext."""
    return hmac_sm3(purpose_key(f"blind-index:{purpose}", length=32), value.encode()).hex()


class EncryptedTextField(models.TextField):
    description = "Text encrypted at rest with SM4-GCM"

    def _aad(self) -> bytes:
        return f"{self.model._meta.label_lower}.{self.name}".encode()

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        blob = sm4_gcm_encrypt(purpose_key("field-encryption"), value.encode(), self._aad())
        return PREFIX + base64.b64encode(blob).decode()

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        if not value.startswith(PREFIX):
            raise ValueError(f"{self.model._meta.label}.{self.name}: unrecognised ciphertext format")
        blob = base64.b64decode(value[len(PREFIX):])
        return sm4_gcm_decrypt(purpose_key("field-encryption"), blob, self._aad()).decode()

    def get_lookup(self, lookup_name):
        # Only isnull makes sense on ciphertext; anything else would silently match nothing.
        if lookup_name != "isnull":
            raise TypeError(f"encrypted field {self.name!r} cannot be filtered with {lookup_name!r}; "
                            "use its blind index")
        return super().get_lookup(lookup_name)
