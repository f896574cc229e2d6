"""The master key and the purpose keys derived from it.

The master key (32 random bytes, hex) lives in a file outside the database (DGOV_MASTER_KEY_FILE,
default `$DGOV_DATA_DIR/master.key`, created mode 0600 on first run) or in DGOV_MASTER_KEY (hex).
Purpose keys are derived with HMAC-SM3(master, "dgov:<purpose>:v<version>") so that each use
(field encryption, blind index, audit chain, token hashing) has its own independent key.
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
            key = _create_master_key_file(path)
    if len(key) != MASTER_KEY_BYTES:
        raise ImproperlyConfigured(f"the master key must be {MASTER_KEY_BYTES} bytes (64 hex digits)")
    return key


@functools.cache
def purpose_key(purpose: str, version: int = 1, length: int = 16) -> bytes:
    """A key for one purpose. SM4 keys are 16 bytes; HMAC keys may use the full 32."""
    return hmac_sm3(master_key(), f"dgov:{purpose}:v{version}".encode())[:length]
