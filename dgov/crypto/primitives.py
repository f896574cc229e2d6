"""SM3, HMAC-SM3 and SM4-GCM (GB/T 32905, GB/T 32907) on a native OpenSSL implementation.

The `cryptography` wheel ships its own OpenSSL (3.x or newer; `dgov check` reports the version),
which implements SM3 and SM4 natively. Randomness comes only from the operating system's CSPRNG
(`os.urandom`). The full cryptography service (SM2, named and versioned keys) is issue 3.
"""

import hmac as _hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.backends.openssl import backend as _openssl
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as _chmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

BACKEND_NAME = "openssl"
GCM_NONCE_BYTES = 12
GCM_TAG_BYTES = 16


class DecryptionError(Exception):
    """Ciphertext was altered, or the wrong key or associated data was used."""


def backend_description() -> str:
    return f"{BACKEND_NAME} ({_openssl.openssl_version_text()})"


def random_bytes(n: int) -> bytes:
    return os.urandom(n)


def sm3(data: bytes) -> bytes:
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize()


def hmac_sm3(key: bytes, data: bytes) -> bytes:
    mac = _chmac.HMAC(key, hashes.SM3())
    mac.update(data)
    return mac.finalize()


def constant_time_equal(a: bytes, b: bytes) -> bool:
    return _hmac.compare_digest(a, b)


def sm4_gcm_encrypt(key: bytes, plaintext: bytes, aad: bytes = b"") -> bytes:
    """Return nonce || ciphertext || tag."""
    nonce = random_bytes(GCM_NONCE_BYTES)
    encryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    if aad:
        encryptor.authenticate_additional_data(aad)
    body = encryptor.update(plaintext) + encryptor.finalize()
    return nonce + body + encryptor.tag


def sm4_gcm_decrypt(key: bytes, blob: bytes, aad: bytes = b"") -> bytes:
    if len(blob) < GCM_NONCE_BYTES + GCM_TAG_BYTES:
        raise DecryptionError("ciphertext too short")
    nonce, body, tag = blob[:GCM_NONCE_BYTES], blob[GCM_NONCE_BYTES:-GCM_TAG_BYTES], blob[-GCM_TAG_BYTES:]
    decryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce, tag)).decryptor()
    if aad:
        decryptor.authenticate_additional_data(aad)
    try:
        return decryptor.update(body) + decryptor.finalize()
    except InvalidTag as exc:
        raise DecryptionError("authentication failed") from exc
