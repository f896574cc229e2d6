"""The platform's cryptography library: SM3, HMAC-SM3, SM4 (GCM and CBC) and SM2.

Every caller in dgov uses these functions and classes; the arithmetic is done by a backend
(`dgov.crypto.backends`): `native` (OpenSSL) or the pure-Python fallback, chosen by
DGOV_CRYPTO_BACKEND. What is common to both backends lives here: padding, nonces and IVs, the SM2
signer ID and Z value (GB/T 32918.2), key formats and error mapping. Randomness comes only from the
operating system's CSPRNG (`os.urandom`).
"""

import hmac as _hmac
import os

from dgov.crypto import asn1
from dgov.crypto.backends import Backend
from dgov.crypto.backends import default as _default_backend
from dgov.crypto.errors import CryptoError, DecryptionError, InvalidKeyError

__all__ = [
    "CryptoError", "DecryptionError", "InvalidKeyError", "SM2PrivateKey", "SM2PublicKey", "backend",
    "backend_description", "constant_time_equal", "hmac_sm3", "random_bytes", "sm3", "sm4_cbc_decrypt",
    "sm4_cbc_encrypt", "sm4_gcm_decrypt", "sm4_gcm_encrypt",
]

GCM_NONCE_BYTES = 12
GCM_TAG_BYTES = 16
SM4_KEY_BYTES = 16
SM4_BLOCK = 16
DEFAULT_SIGNER_ID = b"1234567812345678"

# sm2p256v1 (GB/T 32918.5): the curve coefficients and base point enter the Z value.
SM2_P = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF
SM2_A = SM2_P - 3
SM2_B = 0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93
SM2_N = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123
SM2_GX = 0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7
SM2_GY = 0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0


def backend() -> Backend:
    return _default_backend()


def backend_description() -> str:
    return backend().description()


def random_bytes(n: int) -> bytes:
    return os.urandom(n)


def constant_time_equal(a: bytes, b: bytes) -> bool:
    return _hmac.compare_digest(a, b)


def sm3(data: bytes) -> bytes:
    return backend().sm3(data)


def hmac_sm3(key: bytes, data: bytes) -> bytes:
    return backend().hmac_sm3(key, data)


def _check_sm4_key(key: bytes) -> None:
    if len(key) != SM4_KEY_BYTES:
        raise InvalidKeyError(f"an SM4 key is {SM4_KEY_BYTES} bytes, not {len(key)}")


def sm4_gcm_encrypt(key: bytes, plaintext: bytes, aad: bytes = b"") -> bytes:
    """SM4-GCM with a fresh random nonce; returns nonce || ciphertext || tag."""
    _check_sm4_key(key)
    nonce = random_bytes(GCM_NONCE_BYTES)
    return nonce + backend().sm4_gcm_encrypt(key, nonce, plaintext, aad)


def sm4_gcm_decrypt(key: bytes, blob: bytes, aad: bytes = b"") -> bytes:
    _check_sm4_key(key)
    if len(blob) < GCM_NONCE_BYTES + GCM_TAG_BYTES:
        raise DecryptionError("ciphertext too short")
    return backend().sm4_gcm_decrypt(key, blob[:GCM_NONCE_BYTES], blob[GCM_NONCE_BYTES:], aad)


def sm4_cbc_encrypt(key: bytes, plaintext: bytes, iv: bytes | None = None) -> bytes:
    """SM4-CBC with PKCS #7 padding (as `openssl enc -sm4-cbc`); returns iv || ciphertext.
    CBC has no integrity: use it only where another system requires it, and GCM otherwise."""
    _check_sm4_key(key)
    iv = random_bytes(SM4_BLOCK) if iv is None else iv
    if len(iv) != SM4_BLOCK:
        raise InvalidKeyError("an SM4-CBC IV is 16 bytes")
    pad = SM4_BLOCK - len(plaintext) % SM4_BLOCK
    return iv + backend().sm4_cbc_encrypt(key, iv, plaintext + bytes([pad]) * pad)


def sm4_cbc_decrypt(key: bytes, blob: bytes) -> bytes:
    _check_sm4_key(key)
    if len(blob) < 2 * SM4_BLOCK or len(blob) % SM4_BLOCK:
        raise DecryptionError("an SM4-CBC ciphertext is the IV and whole 16-byte blocks")
    padded = backend().sm4_cbc_decrypt(key, blob[:SM4_BLOCK], blob[SM4_BLOCK:])
    pad = padded[-1]
    if not 1 <= pad <= SM4_BLOCK or padded[-pad:] != bytes([pad]) * pad:
        raise DecryptionError("bad padding: wrong key or altered ciphertext")
    return padded[:-pad]


# --- SM2 ------------------------------------------------------------------------------------------
def _check_signer_id(signer_id: bytes) -> bytes:
    if isinstance(signer_id, str):
        signer_id = signer_id.encode()
    if len(signer_id) >= 8192:  # ENTL is a 16-bit count of bits
        raise ValueError("the SM2 signer ID must be shorter than 8192 bytes")
    return signer_id


def sm2_z(public: bytes, signer_id: bytes = DEFAULT_SIGNER_ID) -> bytes:
    """Z = SM3(ENTL || ID || a || b || xG || yG || xA || yA), GB/T 32918.2 section 5.5."""
    signer_id = _check_signer_id(signer_id)
    fixed = b"".join(v.to_bytes(32, "big") for v in (SM2_A, SM2_B, SM2_GX, SM2_GY))
    return sm3((len(signer_id) * 8).to_bytes(2, "big") + signer_id + fixed + public[1:])


def sm2_digest(public: bytes, message: bytes, signer_id: bytes = DEFAULT_SIGNER_ID) -> bytes:
    """e = SM3(Z || M), what an SM2 signature signs."""
    return sm3(sm2_z(public, signer_id) + message)


def _check_point(point: bytes) -> bytes:
    if len(point) != asn1.SM2_POINT_BYTES or point[0] != 4:
        raise InvalidKeyError("an SM2 public key is the 65-byte uncompressed point 04 || x || y")
    x, y = int.from_bytes(point[1:33], "big"), int.from_bytes(point[33:], "big")
    if not (x < SM2_P and y < SM2_P and (y * y - x * x * x - SM2_A * x - SM2_B) % SM2_P == 0):
        raise InvalidKeyError("the public key is not a point on sm2p256v1")
    return point


class SM2PublicKey:
    __slots__ = ("_z", "point")

    def __init__(self, point: bytes):
        self.point = _check_point(bytes(point))
        self._z: dict[bytes, bytes] = {}  # Z depends only on the key and the signer ID

    def digest(self, message: bytes, signer_id: bytes = DEFAULT_SIGNER_ID) -> bytes:
        """e = SM3(Z || M) for this key."""
        z = self._z.get(signer_id)
        if z is None:
            z = sm2_z(self.point, signer_id)
            if len(self._z) < 16:
                self._z[signer_id] = z
        return sm3(z + message)

    @classmethod
    def from_der(cls, der: bytes) -> "SM2PublicKey":
        return cls(asn1.decode_public_key(der))

    @classmethod
    def from_pem(cls, pem: str | bytes) -> "SM2PublicKey":
        return cls.from_der(asn1.pem_decode(pem, ("PUBLIC KEY",))[1])

    def to_der(self) -> bytes:
        return asn1.encode_public_key(self.point)

    def to_pem(self) -> str:
        return asn1.pem_encode("PUBLIC KEY", self.to_der())

    def verify(self, message: bytes, signature: bytes, signer_id: bytes = DEFAULT_SIGNER_ID) -> bool:
        """True only for a valid DER signature of `message` under this key and signer ID."""
        digest = self.digest(message, signer_id)
        try:
            r, s = asn1.decode_signature(signature)
        except ValueError:
            return False
        if not (0 < r < SM2_N and 0 < s < SM2_N):
            return False
        return backend().sm2_verify_digest(self.point, digest, signature)

    def encrypt(self, plaintext: bytes) -> bytes:
        return backend().sm2_encrypt(self.point, plaintext)

    def __eq__(self, other):
        return isinstance(other, SM2PublicKey) and other.point == self.point

    def __hash__(self):
        return hash(self.point)


class SM2PrivateKey:
    __slots__ = ("_private", "_public")

    def __init__(self, private: bytes, public: bytes | None = None):
        d = int.from_bytes(private, "big")
        if not 0 < d < SM2_N - 1:
            raise InvalidKeyError("the SM2 private key is out of range [1, n-2]")
        self._private = bytes(private).rjust(32, b"\x00")
        derived = backend().sm2_public_key(self._private)
        if public is not None and public != derived:
            raise InvalidKeyError("the public key in the file does not belong to the private key")
        self._public = SM2PublicKey(derived)

    @classmethod
    def generate(cls) -> "SM2PrivateKey":
        while True:  # rejection sampling: uniform in [1, n-2]
            d = int.from_bytes(random_bytes(32), "big")
            if 0 < d < SM2_N - 1:
                return cls(d.to_bytes(32, "big"))

    @classmethod
    def from_der(cls, der: bytes) -> "SM2PrivateKey":
        return cls(*asn1.decode_private_key(der))

    @classmethod
    def from_pem(cls, pem: str | bytes) -> "SM2PrivateKey":
        return cls.from_der(asn1.pem_decode(pem, ("PRIVATE KEY", "EC PRIVATE KEY", "SM2 PRIVATE KEY"))[1])

    def private_bytes(self) -> bytes:
        return self._private

    def public_key(self) -> SM2PublicKey:
        return self._public

    def to_der(self) -> bytes:
        return asn1.encode_private_key(self._private, self._public.point)

    def to_pem(self) -> str:
        return asn1.pem_encode("PRIVATE KEY", self.to_der())

    def sign(self, message: bytes, signer_id: bytes = DEFAULT_SIGNER_ID) -> bytes:
        """The DER signature of `message` (GB/T 32918.2 with e = SM3(Z || M))."""
        return backend().sm2_sign_digest(self._private, self._public.digest(message, signer_id))

    def decrypt(self, ciphertext: bytes) -> bytes:
        """Decrypt a DER ciphertext. It is parsed strictly first (no trailing bytes, coordinates
        below p) and handed on in canonical form, so no altered encoding decrypts."""
        try:
            x, y, digest, body = asn1.decode_ciphertext(ciphertext)
        except ValueError:
            raise DecryptionError("malformed SM2 ciphertext") from None
        if not (x < SM2_P and y < SM2_P) or len(digest) != 32 or not body:
            raise DecryptionError("malformed SM2 ciphertext")
        return backend().sm2_decrypt(self._private, asn1.encode_ciphertext(x, y, digest, body))

    def __repr__(self):
        return f"<SM2PrivateKey {self._public.point[1:5].hex()}…>"
