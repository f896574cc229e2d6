"""Developer keys of the open-data APIs: issued to any signed-in account, shown once, kept as their SM3 digest.

A key reads `odk_<prefix>_<secret>`: the 8-hexadecimal `prefix` is stored and shown (the lookup), the whole key
only as the SM3 digest of its text (compared in constant time). Each key has a daily quota
(`DGOV_OPENDATA_KEY_DAILY_QUOTA`); every authenticated call is counted per key and day (`KeyUsage`), a call over
the quota is refused and counted as refused. An account holds at most `DGOV_OPENDATA_MAX_KEYS` active keys;
disabling one is final.
"""

import hmac
import re
import secrets

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from dgov.core import audit
from dgov.core.errors import Conflict, PermissionDenied, ValidationError
from dgov.crypto.primitives import sm3
from dgov.opendata.models import DeveloperKey, KeyUsage

KEY_RE = re.compile(r"^odk_([0-9a-f]{8})_([A-Za-z0-9_-]{43})$")


def _digest(text: str) -> str:
    return sm3(text.encode()).hex()


def key_create(*, actor, name: str) -> tuple[DeveloperKey, str]:
    """A new key for `actor`: (the key, its text — shown this once)."""
    if not getattr(actor, "is_authenticated", False):
        raise PermissionDenied()
    if not name.strip():
        raise ValidationError(details={"name": [_("Name the key after the application that uses it.")]})
    with transaction.atomic():
        if DeveloperKey.objects.filter(user=actor, is_active=True).count() >= settings.DGOV_OPENDATA_MAX_KEYS:
            raise Conflict(_("An account holds at most %(n)s active keys: disable one first.") % {
                "n": settings.DGOV_OPENDATA_MAX_KEYS})
        for _attempt in range(5):
            prefix = secrets.token_hex(4)
            text = f"odk_{prefix}_{secrets.token_urlsafe(32)}"
            try:
                with transaction.atomic():
                    key = DeveloperKey.objects.create(user=actor, name=name.strip()[:100], prefix=prefix,
                                                      digest=_digest(text),
                                                      daily_quota=settings.DGOV_OPENDATA_KEY_DAILY_QUOTA)
                break
            except IntegrityError:  # the prefix is taken: draw again
                continue
        else:
            raise Conflict(_("No key could be issued; try again."))
        audit.record("opendata.developerkey.create", key, actor=actor, changes={"prefix": [None, prefix]})
    return key, text


def key_disable(*, actor, key: DeveloperKey) -> DeveloperKey:
    with transaction.atomic():
        key = DeveloperKey.objects.select_for_update().get(pk=key.pk)
        if key.user_id != actor.pk:
            raise PermissionDenied()
        if key.is_active:
            key.is_active = False
            key.save(update_fields=["is_active", "updated_at"])
            audit.record("opendata.developerkey.disable", key, actor=actor)
    return key


def authenticate(text: str) -> DeveloperKey | None:
    """The active key of an active account that `text` is, or None."""
    match = KEY_RE.match((text or "").strip())
    if not match:
        return None
    key = DeveloperKey.objects.select_related("user").filter(prefix=match.group(1), is_active=True).first()
    if key is None or not key.user.is_active or not hmac.compare_digest(key.digest, _digest(match.group(0))):
        return None
    return key


def count_call(key: DeveloperKey) -> bool:
    """Count one call of `key` today; False (and counted as refused) when it is over its daily quota."""
    today = timezone.localdate()
    with transaction.atomic():
        usage, _created = KeyUsage.objects.select_for_update().get_or_create(key=key, day=today)
        if usage.calls >= key.daily_quota:
            KeyUsage.objects.filter(pk=usage.pk).update(refused=F("refused") + 1)
            return False
        KeyUsage.objects.filter(pk=usage.pk).update(calls=F("calls") + 1)
        DeveloperKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now())
    return True
