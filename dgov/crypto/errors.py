"""Errors of the cryptography library. Each has a stable `code` that the key service's API returns."""


class CryptoError(Exception):
    code = "crypto_error"


class DecryptionError(CryptoError):
    """Ciphertext was altered, or the wrong key or associated data was used."""

    code = "decryption_failed"


class InvalidKeyError(CryptoError, ValueError):
    """A key (PEM, DER or raw) is malformed, of the wrong type or not on the curve."""

    code = "invalid_key"


class BackendUnavailable(CryptoError):
    code = "backend_unavailable"
