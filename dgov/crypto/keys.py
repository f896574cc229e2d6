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
from typing import Protocol

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


# --- the platform's own keys, held by the key service ---------------------------------------------
# The platform encrypts personal data, computes blind indexes and chains the audit log with named,
# versioned keys of the cryptography service (dgov.kms), so they rotate like any other key. Version
# 1 of each is derived from the master key (HMAC-SM3, as above), which lets the platform start
# before the key service has stored them and keeps data written before then readable; later
# versions are random. The crypto layer reaches the key service only through DGOV_KEYRING.
SYSTEM_KEYS = {
    # name: (key type, purpose of the version-1 derivation, length)
    "dgov.field-encryption": ("sm4-gcm", "field-encryption", 16),
    "dgov.audit-chain": ("hmac-sm3", "audit-chain", 32),
    "dgov.blind-index.phone": ("hmac-sm3", "blind-index:phone", 32),
    "dgov.blind-index.id_number": ("hmac-sm3", "blind-index:id_number", 32),
}


def system_key_v1(name: str) -> bytes:
    _, purpose, length = SYSTEM_KEYS[name]
    return purpose_key(purpose, length=length)


class Keyring(Protocol):
    """What the crypto layer needs of the key service (implemented by dgov.kms.keyring), the way
    core's ScopeResolver is implemented by accounts."""

    def current(self, name: str) -> tuple[int, bytes]:
        """(version, material) to use for new data under the system key `name`."""
        ...

    def version(self, name: str, version: int) -> bytes:
        """The material of one version; raises KeyError for an unknown or retired version."""
        ...


_keyring: Keyring | None = None


def keyring() -> Keyring:
    global _keyring
    if _keyring is None:
        from django.utils.module_loading import import_string

        _keyring = import_string(settings.DGOV_KEYRING)()
    return _keyring
