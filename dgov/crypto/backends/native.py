"""The `native` backend: OpenSSL does the arithmetic.

- SM3, HMAC-SM3 and SM4 (ECB, CBC, GCM) go through the `cryptography` package and the OpenSSL it
  bundles.
- SM2 is not exposed by `cryptography`, so it is bound with `ctypes` to the system's OpenSSL 3
  libcrypto (`libcrypto.so.3`), whose default provider implements SM2 signatures (on a given digest
  e) and SM2 encryption with SM3 in the GM/T 0009 DER format.

SM2 keys are parsed into `EVP_PKEY` objects once and kept in a small LRU cache keyed by the key
bytes; the cache holds one reference to each key and frees it on eviction and at interpreter exit.
Every operation makes its own `EVP_PKEY_CTX` (which takes its own reference to the key, so an
eviction in another thread cannot free a key in use) and frees it before returning. OpenSSL's
per-thread error queue is cleared after every failure, so no stale error reaches a later call.

If libcrypto cannot be loaded, is older than 3.0, or its SM2 fails a known-answer probe, the
constructor raises `BackendUnavailable` and `dgov.crypto.backends.default()` falls back to the
pure-Python backend.
"""

import atexit
import ctypes
import ctypes.util
import os
import threading
from collections import OrderedDict
from ctypes import POINTER, byref, c_char_p, c_int, c_long, c_size_t, c_ulong, c_void_p

from dgov.crypto import asn1
from dgov.crypto.backends.base import Backend
from dgov.crypto.errors import BackendUnavailable, CryptoError, DecryptionError, InvalidKeyError

try:
    import cryptography
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.backends.openssl import backend as _cryptography_openssl
    from cryptography.hazmat.primitives import hashes as _hashes
    from cryptography.hazmat.primitives import hmac as _hmac
    from cryptography.hazmat.primitives.ciphers import Cipher as _Cipher
    from cryptography.hazmat.primitives.ciphers import algorithms as _algorithms
    from cryptography.hazmat.primitives.ciphers import modes as _modes
except ImportError as exc:  # pragma: no cover - cryptography is a hard dependency
    raise BackendUnavailable(f"the cryptography package cannot be imported: {exc}") from None

_SM3 = _hashes.SM3()
_SM4 = _algorithms.SM4
_ECB = _modes.ECB()
_CBC = _modes.CBC
_GCM = _modes.GCM
_Hash = _hashes.Hash
_HMAC = _hmac.HMAC

GCM_TAG_BYTES = 16
SM2_N = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123  # the order of sm2p256v1
SM2_SIGNATURE_MAX = 72  # ECDSA_size() for a 256-bit group: what OpenSSL demands of the buffer
KEY_CACHE_SIZE = 256  # EVP_PKEY objects kept per kind (private, public)
LIBCRYPTO_SONAME = "libcrypto.so.3"

# GB/T 32918.2-2016 appendix A.2 key pair (on sm2p256v1): the known answer for the probe.
_PROBE_PRIVATE = bytes.fromhex("3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8")
_PROBE_PUBLIC = bytes.fromhex(
    "04"
    "09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020"
    "CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13"
)


def _pkcs8_without_public(private: bytes) -> bytes:
    """PKCS #8 PrivateKeyInfo of a 32-byte sm2p256v1 scalar *without* the optional public key.

    OpenSSL derives the public point while parsing it; that is how this backend computes the public
    key of a scalar (one parse, and the parsed key is then cached for the signatures that follow).
    Everything before the scalar is constant: `_PKCS8_HEAD`."""
    t = asn1.tlv
    algorithm = t(asn1.SEQUENCE, asn1.encode_oid(asn1.OID_EC_PUBLIC_KEY) + asn1.encode_oid(asn1.OID_SM2))
    ec_key = t(asn1.SEQUENCE, asn1.encode_int(1) + t(asn1.OCTET_STRING, private))
    return t(asn1.SEQUENCE, asn1.encode_int(0) + algorithm + t(asn1.OCTET_STRING, ec_key))


_PKCS8_HEAD = _pkcs8_without_public(b"\x00" * 32)[:-32]


# --- libcrypto ------------------------------------------------------------------------------------
# (name, restype, argtypes) of every function called; all pointers to OpenSSL objects are c_void_p.
_SIGNATURES = [
    ("OpenSSL_version_num", c_ulong, []),
    ("OpenSSL_version", c_char_p, [c_int]),
    ("ERR_get_error", c_ulong, []),
    ("ERR_error_string_n", None, [c_ulong, c_char_p, c_size_t]),
    ("ERR_clear_error", None, []),
    ("d2i_AutoPrivateKey", c_void_p, [c_void_p, POINTER(c_char_p), c_long]),
    ("d2i_PUBKEY", c_void_p, [c_void_p, POINTER(c_char_p), c_long]),
    ("EVP_PKEY_is_a", c_int, [c_void_p, c_char_p]),
    ("EVP_PKEY_get_octet_string_param", c_int, [c_void_p, c_char_p, c_char_p, c_size_t, POINTER(c_size_t)]),
    ("EVP_PKEY_free", None, [c_void_p]),
    ("EVP_PKEY_CTX_new_from_pkey", c_void_p, [c_void_p, c_void_p, c_char_p]),
    ("EVP_PKEY_CTX_free", None, [c_void_p]),
    ("EVP_PKEY_sign_init", c_int, [c_void_p]),
    ("EVP_PKEY_sign", c_int, [c_void_p, c_char_p, POINTER(c_size_t), c_char_p, c_size_t]),
    ("EVP_PKEY_verify_init", c_int, [c_void_p]),
    ("EVP_PKEY_verify", c_int, [c_void_p, c_char_p, c_size_t, c_char_p, c_size_t]),
    ("EVP_PKEY_encrypt_init", c_int, [c_void_p]),
    ("EVP_PKEY_encrypt", c_int, [c_void_p, c_char_p, POINTER(c_size_t), c_char_p, c_size_t]),
    ("EVP_PKEY_decrypt_init", c_int, [c_void_p]),
    ("EVP_PKEY_decrypt", c_int, [c_void_p, c_char_p, POINTER(c_size_t), c_char_p, c_size_t]),
]


def _load_libcrypto() -> tuple[ctypes.CDLL, str]:
    candidates = []
    found = ctypes.util.find_library("crypto")
    if found:
        candidates.append(found)
    if LIBCRYPTO_SONAME not in candidates:
        candidates.append(LIBCRYPTO_SONAME)
    errors = []
    for name in candidates:
        try:
            lib = ctypes.CDLL(name)
        except OSError as exc:
            errors.append(f"{name}: {exc}")
            continue
        try:
            lib.OpenSSL_version_num.restype = c_ulong
            lib.OpenSSL_version_num.argtypes = []
            number = lib.OpenSSL_version_num()
        except AttributeError:
            errors.append(f"{name} is not OpenSSL's libcrypto (no OpenSSL_version_num)")
            continue
        if number < 0x30000000:
            errors.append(f"{name} is OpenSSL {number >> 28}.{(number >> 20) & 0xFF}: SM2 needs OpenSSL 3.0 or later")
            continue
        for fname, restype, argtypes in _SIGNATURES:
            try:
                func = getattr(lib, fname)
            except AttributeError:
                errors.append(f"{name} lacks {fname}")
                break
            func.restype = restype
            func.argtypes = argtypes
        else:
            return lib, name
    raise BackendUnavailable(
        "the system's OpenSSL 3 libcrypto cannot be used: " + ("; ".join(errors) or "not found")
    )


class _KeyCache:
    """A bounded LRU of EVP_PKEY pointers; it owns one reference to each and frees it on eviction."""

    __slots__ = ("_items", "_size", "_free")

    def __init__(self, size: int, free):
        self._items: OrderedDict[bytes, int] = OrderedDict()
        self._size = size
        self._free = free

    def get(self, key: bytes) -> int | None:
        pkey = self._items.get(key)
        if pkey is not None:
            self._items.move_to_end(key)
        return pkey

    def put(self, key: bytes, pkey: int) -> None:
        self._items[key] = pkey
        while len(self._items) > self._size:
            _, old = self._items.popitem(last=False)
            self._free(old)

    def clear(self) -> None:
        while self._items:
            _, old = self._items.popitem()
            self._free(old)

    def __len__(self):
        return len(self._items)


class _SM2:
    """SM2 through the system's libcrypto. One instance per process (see `_sm2()`)."""

    def __init__(self):
        lib, self.soname = _load_libcrypto()
        self.lib = lib
        self.version = lib.OpenSSL_version(0).decode("ascii", "replace")
        self._lock = threading.Lock()
        self._private = _KeyCache(KEY_CACHE_SIZE, lib.EVP_PKEY_free)
        self._public = _KeyCache(KEY_CACHE_SIZE, lib.EVP_PKEY_free)
        self._closed = False
        # Bound methods looked up once: the hot paths make as few attribute lookups as calls.
        self._ctx_free = lib.EVP_PKEY_CTX_free
        self._sign_init, self._sign = lib.EVP_PKEY_sign_init, lib.EVP_PKEY_sign
        self._verify_init, self._verify = lib.EVP_PKEY_verify_init, lib.EVP_PKEY_verify
        self._clear = lib.ERR_clear_error
        atexit.register(self.close)
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=self._after_fork)

    def _after_fork(self) -> None:
        # A lock held by another thread at fork time would stay held forever in the child.
        self._lock = threading.Lock()

    def close(self) -> None:
        """Free the cached keys (at interpreter exit). Later operations load keys without caching."""
        with self._lock:
            self._closed = True
            self._private.clear()
            self._public.clear()

    # --- errors -----------------------------------------------------------------------------------
    def error(self, what: str) -> str:
        """`what` and OpenSSL's first queued reason; empties this thread's error queue."""
        code = self.lib.ERR_get_error()
        self.lib.ERR_clear_error()
        if not code:
            return what
        buf = ctypes.create_string_buffer(256)
        self.lib.ERR_error_string_n(code, buf, len(buf))
        return f"{what} ({buf.value.decode('ascii', 'replace')})"

    # --- keys -------------------------------------------------------------------------------------
    def _parse(self, der: bytes, public: bool) -> int:
        lib = self.lib
        pointer = c_char_p(der)
        if public:
            pkey = lib.d2i_PUBKEY(None, byref(pointer), len(der))
        else:
            pkey = lib.d2i_AutoPrivateKey(None, byref(pointer), len(der))
        if not pkey:
            raise InvalidKeyError(self.error(f"OpenSSL cannot load the SM2 {'public' if public else 'private'} key"))
        try:
            if lib.EVP_PKEY_is_a(pkey, b"SM2") != 1:
                raise InvalidKeyError("OpenSSL did not load the key as an SM2 key")
        except BaseException:
            lib.EVP_PKEY_free(pkey)
            raise
        finally:
            lib.ERR_clear_error()  # the decoders may queue errors for the formats they tried
        return pkey

    def _pkey_locked(self, key: bytes, public: bool) -> tuple[int, bool]:
        """(EVP_PKEY for `key`, owned). The caller holds the lock and uses the key only under it;
        `owned` is True when the key was not cached (after close()) and the caller must free it."""
        cache = self._public if public else self._private
        pkey = cache.get(key)
        if pkey is not None:
            return pkey, False
        if public:
            if len(key) != asn1.SM2_POINT_BYTES or key[0] != 4:
                raise InvalidKeyError("an SM2 public key is the 65-byte uncompressed point 04 || x || y")
            pkey = self._parse(asn1.encode_public_key(key), public=True)
        else:
            if len(key) != asn1.SM2_SCALAR_BYTES:
                raise InvalidKeyError("an SM2 private key is a 32-byte scalar")
            if not 0 < int.from_bytes(key, "big") < SM2_N - 1:
                # OpenSSL 3.0 loads d = n - 1 but then never finishes signing with it (1 + d = 0).
                raise InvalidKeyError("the SM2 private key is out of range [1, n-2]")
            pkey = self._parse(_PKCS8_HEAD + key, public=False)
        if self._closed:
            return pkey, True
        cache.put(key, pkey)
        return pkey, False

    def _context(self, key: bytes, public: bool) -> int:
        """A new EVP_PKEY_CTX on the cached key; it holds its own reference to the key, so the key
        stays alive even if another thread evicts it from the cache meanwhile."""
        with self._lock:
            pkey, owned = self._pkey_locked(key, public)
            ctx = self.lib.EVP_PKEY_CTX_new_from_pkey(None, pkey, None)
            if owned:
                self.lib.EVP_PKEY_free(pkey)
        if not ctx:
            raise CryptoError(self.error("OpenSSL cannot create an SM2 context"))
        return ctx

    def public_key(self, private: bytes) -> bytes:
        buf = ctypes.create_string_buffer(asn1.SM2_POINT_BYTES)
        size = c_size_t(0)
        with self._lock:
            pkey, owned = self._pkey_locked(private, public=False)
            ok = self.lib.EVP_PKEY_get_octet_string_param(pkey, b"encoded-pub-key", buf, len(buf), byref(size))
            if owned:
                self.lib.EVP_PKEY_free(pkey)
        if ok != 1 or size.value != asn1.SM2_POINT_BYTES or buf.raw[0] != 4:
            raise InvalidKeyError(self.error("OpenSSL cannot derive the SM2 public key"))
        return buf.raw

    # --- signatures -------------------------------------------------------------------------------
    def sign(self, private: bytes, digest: bytes) -> bytes:
        if len(digest) != 32:
            raise ValueError("an SM2 signature signs a 32-byte SM3 digest")
        ctx = self._context(private, public=False)
        try:
            sig = ctypes.create_string_buffer(SM2_SIGNATURE_MAX)
            size = c_size_t(SM2_SIGNATURE_MAX)
            if self._sign_init(ctx) != 1 or self._sign(ctx, sig, byref(size), digest, 32) != 1:
                raise CryptoError(self.error("SM2 signing failed"))
            return sig.raw[: size.value]
        finally:
            self._ctx_free(ctx)

    def verify(self, public: bytes, digest: bytes, signature: bytes) -> bool:
        if len(digest) != 32:
            raise ValueError("an SM2 signature signs a 32-byte SM3 digest")
        try:
            ctx = self._context(public, public=True)
        except InvalidKeyError:
            return False
        try:
            if self._verify_init(ctx) == 1 and self._verify(ctx, signature, len(signature), digest, 32) == 1:
                return True
            self._clear()  # a bad signature queues errors; drop them
            return False
        finally:
            self._ctx_free(ctx)

    # --- encryption -------------------------------------------------------------------------------
    def encrypt(self, public: bytes, plaintext: bytes) -> bytes:
        if not plaintext:
            # GB/T 32918.4 step A5: t = KDF(x2 || y2, 0) is empty, hence "all zero", for every k.
            raise ValueError("SM2 cannot encrypt an empty message")
        lib = self.lib
        ctx = self._context(public, public=True)
        try:
            size = c_size_t(0)
            if lib.EVP_PKEY_encrypt_init(ctx) != 1 or lib.EVP_PKEY_encrypt(
                ctx, None, byref(size), plaintext, len(plaintext)
            ) != 1:
                raise CryptoError(self.error("SM2 encryption failed"))
            # OpenSSL 3.0 does not check the output buffer's size against the ciphertext it writes:
            # the buffer is the size it asked for, with a margin.
            out = ctypes.create_string_buffer(max(size.value, len(plaintext) + 128))
            size.value = len(out)
            if lib.EVP_PKEY_encrypt(ctx, out, byref(size), plaintext, len(plaintext)) != 1:
                raise CryptoError(self.error("SM2 encryption failed"))
            return out.raw[: size.value]
        finally:
            lib.EVP_PKEY_CTX_free(ctx)

    def decrypt(self, private: bytes, ciphertext: bytes) -> bytes:
        lib = self.lib
        ctx = self._context(private, public=False)
        try:
            # The plaintext is shorter than its ciphertext; OpenSSL checks C2 fits in the buffer.
            out = ctypes.create_string_buffer(max(len(ciphertext), 1))
            size = c_size_t(len(out))
            if lib.EVP_PKEY_decrypt_init(ctx) != 1 or lib.EVP_PKEY_decrypt(
                ctx, out, byref(size), ciphertext, len(ciphertext)
            ) != 1:
                raise DecryptionError(self.error("SM2 decryption failed: altered ciphertext or wrong key"))
            return out.raw[: size.value]
        finally:
            lib.EVP_PKEY_CTX_free(ctx)

    def probe(self) -> None:
        """Known-answer check that this libcrypto really does SM2 (raises BackendUnavailable)."""
        try:
            if self.public_key(_PROBE_PRIVATE) != _PROBE_PUBLIC:
                raise BackendUnavailable("its SM2 derives the wrong public key")
            digest = bytes(range(32))
            signature = self.sign(_PROBE_PRIVATE, digest)
            if not self.verify(_PROBE_PUBLIC, digest, signature):
                raise BackendUnavailable("its SM2 rejects its own signature")
            if self.verify(_PROBE_PUBLIC, bytes(reversed(digest)), signature):
                raise BackendUnavailable("its SM2 accepts a signature of another digest")
            if self.decrypt(_PROBE_PRIVATE, self.encrypt(_PROBE_PUBLIC, b"probe")) != b"probe":
                raise BackendUnavailable("its SM2 encryption does not round-trip")
        except CryptoError as exc:
            self.lib.ERR_clear_error()
            raise BackendUnavailable(f"{self.version} ({self.soname}) has no usable SM2: {exc}") from None


_instance: _SM2 | None = None
_instance_error: BackendUnavailable | None = None
_instance_lock = threading.Lock()


def _sm2() -> _SM2:
    """The process-wide SM2 binding, loaded and probed once."""
    global _instance, _instance_error
    if _instance is not None:
        return _instance
    with _instance_lock:
        if _instance is None and _instance_error is None:
            try:
                candidate = _SM2()
                candidate.probe()
            except BackendUnavailable as exc:
                _instance_error = exc
            else:
                _instance = candidate
        if _instance_error is not None:
            raise BackendUnavailable(str(_instance_error))
        return _instance


def _probe_cryptography() -> None:
    try:
        ok = _hashes.Hash(_SM3)
        ok.update(b"abc")
        sm3_ok = ok.finalize().hex() == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
        block = bytes.fromhex("0123456789abcdeffedcba9876543210")
        enc = _Cipher(_SM4(block), _ECB).encryptor()
        sm4_ok = enc.update(block) + enc.finalize() == bytes.fromhex("681edf34d206965e86b3e94f536e4246")
    except Exception as exc:  # UnsupportedAlgorithm and the like: an OpenSSL built without SM3/SM4
        raise BackendUnavailable(f"the cryptography package cannot do SM3/SM4: {exc}") from None
    if not (sm3_ok and sm4_ok):
        raise BackendUnavailable("the cryptography package's SM3/SM4 fail their known-answer tests")


_cryptography_checked = False


class NativeBackend(Backend):
    name = "native"

    def __init__(self):
        global _cryptography_checked
        if not _cryptography_checked:
            _probe_cryptography()
            _cryptography_checked = True
        self._sm2 = _sm2()

    def description(self) -> str:
        bundled = _cryptography_openssl.openssl_version_text()
        return (
            f"native ({bundled} via cryptography {cryptography.__version__} for SM3/SM4; "
            f"system {self._sm2.version} ({self._sm2.soname}) for SM2)"
        )

    # --- SM3 --------------------------------------------------------------------------------------
    def sm3(self, data: bytes) -> bytes:
        h = _Hash(_SM3)
        h.update(data)
        return h.finalize()

    def hmac_sm3(self, key: bytes, data: bytes) -> bytes:
        h = _HMAC(key, _SM3)
        h.update(data)
        return h.finalize()

    # --- SM4 --------------------------------------------------------------------------------------
    @staticmethod
    def _blocks(data: bytes) -> None:
        if len(data) % 16:
            raise ValueError("SM4 data must be whole 16-byte blocks")

    def sm4_ecb_encrypt(self, key: bytes, data: bytes) -> bytes:
        self._blocks(data)
        return _Cipher(_SM4(key), _ECB).encryptor().update(data)

    def sm4_ecb_decrypt(self, key: bytes, data: bytes) -> bytes:
        self._blocks(data)
        return _Cipher(_SM4(key), _ECB).decryptor().update(data)

    def sm4_cbc_encrypt(self, key: bytes, iv: bytes, data: bytes) -> bytes:
        self._blocks(data)
        return _Cipher(_SM4(key), _CBC(iv)).encryptor().update(data)

    def sm4_cbc_decrypt(self, key: bytes, iv: bytes, data: bytes) -> bytes:
        self._blocks(data)
        return _Cipher(_SM4(key), _CBC(iv)).decryptor().update(data)

    def sm4_gcm_encrypt(self, key: bytes, nonce: bytes, plaintext: bytes, aad: bytes) -> bytes:
        enc = _Cipher(_SM4(key), _GCM(nonce)).encryptor()
        if aad:
            enc.authenticate_additional_data(aad)
        out = enc.update(plaintext) + enc.finalize()
        return out + enc.tag

    def sm4_gcm_decrypt(self, key: bytes, nonce: bytes, ciphertext_and_tag: bytes, aad: bytes) -> bytes:
        if len(ciphertext_and_tag) < GCM_TAG_BYTES:
            raise DecryptionError("ciphertext too short")
        dec = _Cipher(_SM4(key), _GCM(nonce, ciphertext_and_tag[-GCM_TAG_BYTES:])).decryptor()
        if aad:
            dec.authenticate_additional_data(aad)
        out = dec.update(ciphertext_and_tag[:-GCM_TAG_BYTES])
        try:
            return out + dec.finalize()
        except InvalidTag:
            raise DecryptionError("SM4-GCM authentication failed: altered ciphertext, wrong key or AAD") from None

    # --- SM2 --------------------------------------------------------------------------------------
    def sm2_public_key(self, private: bytes) -> bytes:
        return self._sm2.public_key(private)

    def sm2_sign_digest(self, private: bytes, digest: bytes) -> bytes:
        return self._sm2.sign(private, digest)

    def sm2_verify_digest(self, public: bytes, digest: bytes, signature: bytes) -> bool:
        return self._sm2.verify(public, digest, signature)

    def sm2_encrypt(self, public: bytes, plaintext: bytes) -> bytes:
        return self._sm2.encrypt(public, plaintext)

    def sm2_decrypt(self, private: bytes, ciphertext: bytes) -> bytes:
        return self._sm2.decrypt(private, ciphertext)
