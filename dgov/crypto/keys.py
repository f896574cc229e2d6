"""The master key and the purpose keys derived from it.

The master key (32 random bytes, hex) lives in a file outside the database (DGOV_MASTER_KEY_FILE,
default `$DGOV_DATA_DIR/master.key`, mode 0600) or in DGOV_MASTER_KEY (hex). Purpose keys are
derived with HMAC-SM3(master, "dgov:<purpose>:v<version>") so that each use (field encryption,
blind index, audit chain, token hashing) has its own independent key.

The key file is created only by `dgov init`, and only for a database that has never had one: the
database keeps the key's check value (MasterKeyCheck), so a lost key file is reported ("restore it
from the backup") instead of silently replaced by a new key under which nothing decrypts.
"""

import functools
import os

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from dgov.crypto.primitives import hmac_sm3, random_bytes

MASTER_KEY_BYTES = 32


def _create_master_key_file(path) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    value = random_bytes(MASTER_KEY_BYTES).hex()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return bytes.fromhex(path.read_text().strip())
    with os.fdopen(fd, "w") as fh:
        fh.write(value + "\n")
    return bytes.fromhex(value)


@functools.cache
def master_key() -> bytes:
    raw = os.environ.get("DGOV_MASTER_KEY", "").strip()
    if raw:
        key = bytes.fromhex(raw)
    else:
        path = settings.MASTER_KEY_FILE
        try:
            key = bytes.fromhex(path.read_text().strip())
        except FileNotFoundError:
            if not settings.DGOV_MASTER_KEY_AUTOCREATE:
                raise ImproperlyConfigured(
                    f"the master key file {path} is missing. For a new installation run `dgov init`; "
                    "otherwise restore the file from its backup (without it nothing encrypted decrypts)."
                ) from None
            key = _create_master_key_file(path)
    if len(key) != MASTER_KEY_BYTES:
        raise ImproperlyConfigured(f"the master key must be {MASTER_KEY_BYTES} bytes (64 hex digits)")
    return key


@functools.cache
def purpose_key(purpose: str, version: int = 1, length: int = 16) -> bytes:
    """A key for one purpose. SM4 keys are 16 bytes; HMAC keys may use the full 32."""
    return hmac_sm3(master_key(), f"dgov:{purpose}:v{version}".encode())[:length]


def key_check_value(key: bytes) -> str:
    return hmac_sm3(key, b"dgov:master-key-check").hex()


class MasterKeyMismatch(ImproperlyConfigured):
    pass


def ensure_master_key() -> None:
    """For `dgov init`: create the key file on a database that has never had a key, record its
    check value, and refuse a missing or different key on one that has."""
    from dgov.crypto.models import MasterKeyCheck

    stored = MasterKeyCheck.objects.filter(pk=1).first()
    using_file = not os.environ.get("DGOV_MASTER_KEY", "").strip()
    if using_file and not settings.MASTER_KEY_FILE.exists():
        if stored is not None:
            raise MasterKeyMismatch(
                f"this database was encrypted under a master key, but {settings.MASTER_KEY_FILE} is missing: "
                "restore the key file from its backup")
        _create_master_key_file(settings.MASTER_KEY_FILE)
        master_key.cache_clear()
        purpose_key.cache_clear()
    if stored is None:
        MasterKeyCheck.objects.create(pk=1, kcv=key_check_value(master_key()))
    else:
        verify_master_key()


def verify_master_key() -> None:
    """Raise MasterKeyMismatch unless the key in use is the one this database was encrypted under."""
    from dgov.crypto.models import MasterKeyCheck

    stored = MasterKeyCheck.objects.filter(pk=1).values_list("kcv", flat=True).first()
    if stored is not None and stored != key_check_value(master_key()):
        raise MasterKeyMismatch("the master key does not match the one this database was encrypted under: "
                                "restore the right key file (or DGOV_MASTER_KEY)")
