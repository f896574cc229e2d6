"""Writes of the exchange app: consumer credentials (create, enable/disable, expiry). Each in one
transaction with its audit entry; the audit entry also bumps the KEYS generation, so every worker's
cached copy of the credential (`gateway.caller_for`) is dropped at once."""

import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dgov.core.errors import ValidationError
from dgov.core.permissions import require_in_scope
from dgov.core.services import save_object
from dgov.crypto.primitives import InvalidKeyError, SM2PublicKey
from dgov.exchange.models import Algorithm, ConsumerCredential


def new_key_id(application) -> str:
    return f"{application.code[:20]}.{secrets.token_hex(8)}"


def _public_key_pem(text: str) -> str:
    try:
        return SM2PublicKey.from_pem(text.strip()).to_pem()
    except (InvalidKeyError, ValueError):
        raise ValidationError(details={"public_key": [_("Paste an SM2 public key in PEM form "
                                                        "(-----BEGIN PUBLIC KEY-----).")]}) from None


def credential_create(*, actor, application, algorithm: str, public_key: str = "", expires_at=None,
                      is_demo: bool = False, secret: str | None = None) -> tuple[ConsumerCredential, str]:
    """A new credential of `application`. Returns it with the HMAC secret in clear ("" for SM2):
    shown once, stored only encrypted. `secret` is for the demo data, which keeps its secret."""
    errors = {}
    if algorithm not in Algorithm.values:
        errors["algorithm"] = [_("Choose one of the allowed values.")]
    if expires_at is not None and expires_at <= timezone.now():
        errors["expires_at"] = [_("The expiry must lie in the future.")]
    if algorithm == Algorithm.SM2 and not public_key.strip():
        errors["public_key"] = [_("An SM2 credential needs the application's public key.")]
    if errors:
        raise ValidationError(details=errors)
    with transaction.atomic():
        credential = ConsumerCredential(application=application, algorithm=algorithm, key_id=new_key_id(application),
                                        expires_at=expires_at, is_demo=is_demo,
                                        created_by=actor if getattr(actor, "is_official", False) else None)
        require_in_scope(actor, "add", credential)
        plaintext = ""
        if algorithm == Algorithm.SM2:
            credential.public_key = _public_key_pem(public_key)
        else:
            plaintext = secret or secrets.token_urlsafe(32)
            credential.secret = plaintext
        save_object(actor=actor, instance=credential)
    return credential, plaintext


def credential_update(*, actor, credential: ConsumerCredential, enabled: bool | None = None,
                      expires_at=...) -> ConsumerCredential:
    """Enable or disable a credential, or change its expiry (None: never)."""
    if enabled is not None:
        credential.enabled = enabled
    if expires_at is not ...:
        credential.expires_at = expires_at
    return save_object(actor=actor, instance=credential, fields=["enabled", "expires_at"])
