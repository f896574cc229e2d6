"""The contract every cryptographic backend implements.

A backend does the arithmetic; everything around it (key formats, padding, signer IDs and the Z
value, nonces, error mapping) lives once in `dgov.crypto.primitives` and `dgov.crypto.asn1`, so the
backends cannot drift apart. Each backend is tested against the same standard vectors
(`dgov/crypto/tests/test_vectors.py`).

Conventions:
- keys and data are `bytes`; an SM2 private key is a 32-byte big-endian scalar, a public key is
  the 65-byte uncompressed point `04 || x || y` on the curve sm2p256v1 (GB/T 32918.5);
- an SM2 signature is DER `SEQUENCE { r INTEGER, s INTEGER }` (GB/T 35276, what OpenSSL writes);
- an SM2 ciphertext is DER `SEQUENCE { x INTEGER, y INTEGER, hash OCTET STRING, ciphertext OCTET
  STRING }` (GB/T 35276 / GM/T 0009, C1 C3 C2 order, what OpenSSL writes);
- SM4 modes take and return whole 16-byte blocks (padding is the caller's);
- backends never draw randomness except from `os.urandom` or, inside OpenSSL, OpenSSL's DRBG,
  which is seeded and reseeded from the operating system (getrandom).
"""

from abc import ABC, abstractmethod


class Backend(ABC):
    #: short name used in settings (DGOV_CRYPTO_BACKEND) and reports
    name: str = ""

    @abstractmethod
    def description(self) -> str:
        """One line for `dgov check`: the name and the library version underneath."""

    # --- SM3 (GB/T 32905) -----------------------------------------------------------------------
    @abstractmethod
    def sm3(self, data: bytes) -> bytes:
        """The 32-byte SM3 digest."""

    @abstractmethod
    def hmac_sm3(self, key: bytes, data: bytes) -> bytes:
        """HMAC (RFC 2104) over SM3, 32 bytes."""

    # --- SM4 (GB/T 32907) -----------------------------------------------------------------------
    @abstractmethod
    def sm4_ecb_encrypt(self, key: bytes, data: bytes) -> bytes:
        """Encrypt whole blocks independently (for test vectors and building modes only)."""

    @abstractmethod
    def sm4_ecb_decrypt(self, key: bytes, data: bytes) -> bytes: ...

    @abstractmethod
    def sm4_cbc_encrypt(self, key: bytes, iv: bytes, data: bytes) -> bytes:
        """CBC without padding; `len(data)` is a multiple of 16."""

    @abstractmethod
    def sm4_cbc_decrypt(self, key: bytes, iv: bytes, data: bytes) -> bytes: ...

    @abstractmethod
    def sm4_gcm_encrypt(self, key: bytes, nonce: bytes, plaintext: bytes, aad: bytes) -> bytes:
        """GCM (NIST SP 800-38D, RFC 8998) with a 12-byte nonce; returns ciphertext || 16-byte tag."""

    @abstractmethod
    def sm4_gcm_decrypt(self, key: bytes, nonce: bytes, ciphertext_and_tag: bytes, aad: bytes) -> bytes:
        """Raise `dgov.crypto.errors.DecryptionError` when the tag does not authenticate."""

    # --- SM2 (GB/T 32918) -----------------------------------------------------------------------
    @abstractmethod
    def sm2_public_key(self, private: bytes) -> bytes:
        """The uncompressed public point `04 || x || y` of a private scalar."""

    @abstractmethod
    def sm2_sign_digest(self, private: bytes, digest: bytes) -> bytes:
        """Sign e = SM3(Z || M) (computed by the caller); return the DER signature."""

    @abstractmethod
    def sm2_verify_digest(self, public: bytes, digest: bytes, signature: bytes) -> bool:
        """True if the DER signature is valid for e; False for any invalid or malformed signature or
        an invalid public key (never an exception)."""

    @abstractmethod
    def sm2_encrypt(self, public: bytes, plaintext: bytes) -> bytes:
        """SM2 public-key encryption (GB/T 32918.4) with SM3; returns the DER ciphertext. An empty
        plaintext raises ValueError (the standard's key-stream check cannot end for it, and OpenSSL
        refuses it)."""

    @abstractmethod
    def sm2_decrypt(self, private: bytes, ciphertext: bytes) -> bytes:
        """Raise `dgov.crypto.errors.DecryptionError` for a malformed or unauthenticated ciphertext."""
