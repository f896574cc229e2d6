"""The standard test vectors and the properties of the cryptography library, under every backend.

Each test taking the `backend` fixture runs once per backend that loads on this machine
(`dgov.crypto.backends.available()`), calling the backend directly and the facade
(`dgov.crypto.primitives`) inside `backends.using(backend)`. The cross-backend tests run every
ordered pair. The worked examples of GB/T 32918 on its 256-bit test curve, and every example that
fixes k, run on the pure-Python backend only, through its with-k helpers: OpenSSL (the native
backend) takes neither a custom curve nor a caller's k. The native backend is checked against the
same examples where a fixed k is not needed (public key, verification of the published signature,
decryption of the published ciphertext).
"""

import hashlib
import hmac
import itertools
import os

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from dgov.crypto import asn1, backends, primitives
from dgov.crypto.backends.python import (
    SM2P256V1,
    Curve,
    PythonBackend,
    sm2_decrypt_raw,
    sm2_encrypt_with_k,
    sm2_public_point,
    sm2_sign_with_k,
    sm2_verify_rs,
    sm2_z,
)
from dgov.crypto.errors import DecryptionError, InvalidKeyError
from dgov.crypto.primitives import SM2PrivateKey, SM2PublicKey

BACKENDS = backends.available()
PURE = PythonBackend()


def _name(backend) -> str:
    return backend.name


@pytest.fixture(params=BACKENDS, ids=_name)
def backend(request):
    with backends.using(request.param) as chosen:
        yield chosen


def flip(data: bytes, index: int, bit: int = 0) -> bytes:
    return data[:index] + bytes([data[index] ^ (1 << bit)]) + data[index + 1:]


def test_the_pure_backend_is_always_available():
    assert "python" in [b.name for b in BACKENDS]
    assert all(b.description().startswith(b.name) for b in BACKENDS)


# === SM3 =========================================================================================
# GB/T 32905-2016 appendix A: example 1 ("abc") and example 2 ("abcd" x 16, 512 bits).
SM3_VECTORS = [
    (b"abc", "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"),
    (b"abcd" * 16, "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"),
]


def _hashlib_sm3(data: bytes = b""):
    return hashlib.new("sm3", data)


@pytest.mark.parametrize(("message", "digest"), SM3_VECTORS, ids=["abc", "abcd*16"])
def test_sm3_standard_vectors(backend, message, digest):
    assert backend.sm3(message).hex() == digest
    assert primitives.sm3(message).hex() == digest


def test_sm3_padding_boundaries_match_hashlib(backend):
    for length in (0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 128, 1000):
        data = os.urandom(length)
        assert backend.sm3(data) == _hashlib_sm3(data).digest(), length


@pytest.mark.parametrize("key_length", [1, 64, 100])
def test_hmac_sm3_matches_pythons_hmac(backend, key_length):
    key = os.urandom(key_length)
    for length in (0, 1, 64, 200):
        message = os.urandom(length)
        expected = hmac.new(key, message, _hashlib_sm3).digest()
        assert backend.hmac_sm3(key, message) == expected
        assert primitives.hmac_sm3(key, message) == expected


# === SM4 =========================================================================================
# GB/T 32907-2016 appendix A, example 1: key = plaintext; example 2: one million encryptions.
SM4_KEY = bytes.fromhex("0123456789abcdeffedcba9876543210")
SM4_PLAIN = SM4_KEY
SM4_CIPHER = bytes.fromhex("681edf34d206965e86b3e94f536e4246")
SM4_CIPHER_1M = bytes.fromhex("595298c7c6fd271f0402f804c33d3f66")


def test_sm4_standard_vector(backend):
    assert backend.sm4_ecb_encrypt(SM4_KEY, SM4_PLAIN) == SM4_CIPHER
    assert backend.sm4_ecb_decrypt(SM4_KEY, SM4_CIPHER) == SM4_PLAIN


def test_sm4_one_million_encryptions(backend):
    """CBC with a zero IV over P || 0^(16 * 999999): block i of the output is E^i(P), so the last
    block is P encrypted one million times (about 15 s on the pure-Python backend)."""
    data = SM4_PLAIN + bytes(16 * 999_999)
    assert backend.sm4_cbc_encrypt(SM4_KEY, bytes(16), data)[-16:] == SM4_CIPHER_1M


def test_sm4_ecb_round_trip(backend):
    key, data = os.urandom(16), os.urandom(16 * 33)
    assert backend.sm4_ecb_decrypt(key, backend.sm4_ecb_encrypt(key, data)) == data


def _cryptography_cbc(key: bytes, iv: bytes, data: bytes) -> bytes:
    encryptor = Cipher(algorithms.SM4(key), modes.CBC(iv)).encryptor()
    return encryptor.update(data) + encryptor.finalize()


@pytest.mark.parametrize("blocks", [0, 1, 2, 17, 256])
def test_sm4_cbc_matches_cryptography(backend, blocks):
    # RFC 8998 has GCM and CCM vectors only: CBC is checked against the `cryptography` package.
    key, iv, data = os.urandom(16), os.urandom(16), os.urandom(16 * blocks)
    expected = _cryptography_cbc(key, iv, data)
    assert backend.sm4_cbc_encrypt(key, iv, data) == expected
    assert backend.sm4_cbc_decrypt(key, iv, expected) == data


@pytest.mark.parametrize(("encryptor", "decryptor"), list(itertools.product(BACKENDS, repeat=2)),
                         ids=lambda b: b.name)
def test_sm4_cbc_across_backends(encryptor, decryptor):
    key, iv, data = os.urandom(16), os.urandom(16), os.urandom(16 * 40)
    assert decryptor.sm4_cbc_decrypt(key, iv, encryptor.sm4_cbc_encrypt(key, iv, data)) == data
    with backends.using(encryptor):
        blob = primitives.sm4_cbc_encrypt(key, b"padded by the facade")
    with backends.using(decryptor):
        assert primitives.sm4_cbc_decrypt(key, blob) == b"padded by the facade"


def test_sm4_rejects_partial_blocks_and_bad_sizes(backend):
    key = os.urandom(16)
    with pytest.raises(ValueError):
        backend.sm4_ecb_encrypt(key, bytes(15))
    with pytest.raises(ValueError):
        backend.sm4_cbc_encrypt(key, bytes(16), bytes(17))
    with pytest.raises(ValueError):
        backend.sm4_cbc_encrypt(key, bytes(8), bytes(16))
    with pytest.raises(ValueError):  # InvalidKeyError is a ValueError
        backend.sm4_ecb_encrypt(bytes(15), bytes(16))


# --- SM4-GCM ------------------------------------------------------------------------------------
# RFC 8998 appendix A.1 (SM4-GCM).
GCM_KEY = bytes.fromhex("0123456789ABCDEFFEDCBA9876543210")
GCM_IV = bytes.fromhex("00001234567800000000ABCD")
GCM_AAD = bytes.fromhex("FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2")
GCM_PLAIN = bytes.fromhex(
    "AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDD"
    "EEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA")
GCM_CIPHER = bytes.fromhex(
    "17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735"
    "D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D")
GCM_TAG = bytes.fromhex("83DE3541E4C2B58177E065A9BF7B62EC")


def test_sm4_gcm_rfc8998_vector(backend):
    assert backend.sm4_gcm_encrypt(GCM_KEY, GCM_IV, GCM_PLAIN, GCM_AAD) == GCM_CIPHER + GCM_TAG
    assert backend.sm4_gcm_decrypt(GCM_KEY, GCM_IV, GCM_CIPHER + GCM_TAG, GCM_AAD) == GCM_PLAIN
    assert primitives.sm4_gcm_decrypt(GCM_KEY, GCM_IV + GCM_CIPHER + GCM_TAG, GCM_AAD) == GCM_PLAIN


def test_sm4_gcm_any_flipped_bit_fails(backend):
    sealed = GCM_CIPHER + GCM_TAG
    for i in range(len(sealed)):
        with pytest.raises(DecryptionError):
            backend.sm4_gcm_decrypt(GCM_KEY, GCM_IV, flip(sealed, i, i % 8), GCM_AAD)
    for i in range(len(GCM_AAD)):
        with pytest.raises(DecryptionError):
            backend.sm4_gcm_decrypt(GCM_KEY, GCM_IV, sealed, flip(GCM_AAD, i, i % 8))
    for i in range(len(GCM_IV)):
        with pytest.raises(DecryptionError):
            backend.sm4_gcm_decrypt(GCM_KEY, flip(GCM_IV, i, i % 8), sealed, GCM_AAD)
    with pytest.raises(DecryptionError):
        backend.sm4_gcm_decrypt(flip(GCM_KEY, 0), GCM_IV, sealed, GCM_AAD)
    with pytest.raises(DecryptionError):
        backend.sm4_gcm_decrypt(GCM_KEY, GCM_IV, sealed[:-1], GCM_AAD)
    with pytest.raises(DecryptionError):
        backend.sm4_gcm_decrypt(GCM_KEY, GCM_IV, GCM_TAG[:15], GCM_AAD)


def _cryptography_gcm(key: bytes, nonce: bytes, plaintext: bytes, aad: bytes) -> bytes:
    encryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(aad)
    return encryptor.update(plaintext) + encryptor.finalize() + encryptor.tag


@pytest.mark.parametrize(("plain_length", "aad_length"),
                         [(0, 0), (0, 20), (0, 16), (1, 0), (15, 3), (16, 16), (17, 0), (100, 33), (1000, 0)])
def test_sm4_gcm_matches_cryptography(backend, plain_length, aad_length):
    """Empty plaintext (the tag alone), associated data only, partial and whole blocks."""
    key, nonce = os.urandom(16), os.urandom(12)
    plaintext, aad = os.urandom(plain_length), os.urandom(aad_length)
    sealed = backend.sm4_gcm_encrypt(key, nonce, plaintext, aad)
    assert sealed == _cryptography_gcm(key, nonce, plaintext, aad)
    assert backend.sm4_gcm_decrypt(key, nonce, sealed, aad) == plaintext
    with pytest.raises(DecryptionError):
        backend.sm4_gcm_decrypt(key, nonce, flip(sealed, len(sealed) - 1), aad)
    with pytest.raises(DecryptionError):
        backend.sm4_gcm_decrypt(key, nonce, sealed, aad + b"x")


@pytest.mark.parametrize(("encryptor", "decryptor"), list(itertools.product(BACKENDS, repeat=2)),
                         ids=lambda b: b.name)
def test_sm4_gcm_across_backends(encryptor, decryptor):
    key = os.urandom(16)
    with backends.using(encryptor):
        blob = primitives.sm4_gcm_encrypt(key, b"x" * 100, b"context")
    with backends.using(decryptor):
        assert primitives.sm4_gcm_decrypt(key, blob, b"context") == b"x" * 100


# === SM2 =========================================================================================
def _hex(text: str) -> int:
    return int(text.replace(" ", ""), 16)


# The 256-bit prime-field test curve of the worked examples in GB/T 32918.2-2016 and
# GB/T 32918.4-2016 appendix A (GM/T 0003.2/.4-2012 appendix A; draft-shen-sm2-ecdsa-02).
TEST_CURVE = Curve(
    name="GB/T 32918 appendix A test curve Fp-256",
    p=_hex("8542D69E 4C044F18 E8B92435 BF6FF7DE 45728391 5C45517D 722EDB8B 08F1DFC3"),
    a=_hex("787968B4 FA32C3FD 2417842E 73BBFEFF 2F3C848B 6831D7E0 EC65228B 3937E498"),
    b=_hex("63E4C6D3 B23B0C84 9CF84241 484BFE48 F61D59A5 B16BA06E 6E12D1DA 27C5249A"),
    n=_hex("8542D69E 4C044F18 E8B92435 BF6FF7DD 29772063 0485628D 5AE74EE7 C32E79B7"),
    gx=_hex("421DEBD6 1B62EAB6 746434EB C3CC315E 32220B3B ADD50BDC 4C4E6C14 7FEDD43D"),
    gy=_hex("0680512B CBB42C07 D47349D2 153B70C4 E5D7FDFC BFA36EA1 A85841B9 E46E09A2"),
)

# GB/T 32918.2-2016 appendix A (signature on the test curve). The same numbers are in
# Bouncy Castle's SM2SignerTest (bcgit/bc-java) and OpenSSL's test/sm2_internal_test.c.
SIGN_EXAMPLE = {
    "id": b"ALICE123@YAHOO.COM",
    "message": b"message digest",
    "d": _hex("128B2FA8 BD433C6C 068C8D80 3DFF7979 2A519A55 171B1B65 0C23661D 15897263"),
    "x": _hex("0AE4C779 8AA0F119 471BEE11 825BE462 02BB79E2 A5844495 E97C04FF 4DF2548A"),
    "y": _hex("7C0240F8 8F1CD4E1 6352A73C 17B7F16F 07353E53 A176D684 A9FE0C6B B798E857"),
    "z": "F4A38489E32B45B6F876E3AC2168CA392362DC8F23459C1D1146FC3DBFB7BC9A",
    "e": _hex("B524F552 CD82B8B0 28476E00 5C377FB1 9A87E6FC 682D48BB 5D42E3D9 B9EFFE76"),
    "k": _hex("6CB28D99 385C175C 94F94E93 4817663F C176D925 DD72B727 260DBAAE 1FB2F96F"),
    "r": _hex("40F1EC59 F793D9F4 9E09DCEF 49130D41 94F79FB1 EED2CAA5 5BACDB49 C4E755D1"),
    "s": _hex("6FC6DAC3 2C5D5CF1 0C77DFB2 0F7C2EB6 67A45787 2FB09EC5 6327A67E C7DEEBE7"),
}

# GB/T 32918.4-2016 appendix A (encryption on the test curve), C1 || C3 || C2 order. The same
# numbers are in Bouncy Castle's SM2EngineTest (C1C3C2 mode) and OpenSSL's test/sm2_internal_test.c.
ENCRYPT_EXAMPLE = {
    "message": b"encryption standard",
    "d": _hex("1649AB77 A00637BD 5E2EFE28 3FBF3535 34AA7F7C B89463F2 08DDBC29 20BB0DA0"),
    "x": _hex("435B39CC A8F3B508 C1488AFC 67BE491A 0F7BA07E 581A0E48 49A5CF70 628A7E0A"),
    "y": _hex("75DDBA78 F15FEECB 4C7895E2 C1CDF5FE 01DEBB2C DBADF453 99CCF77B BA076A42"),
    "k": _hex("4C62EEFD 6ECFC2B9 5B92FD6C 3D957514 8AFA1742 5546D490 18E5388D 49DD7B4F"),
    "c1": "04"
          "245C26FB68B1DDDDB12C4B6BF9F2B6D5FE60A383B0D18D1C4144ABF17F6252E7"
          "76CB9264C2A7E88E52B19903FDC47378F605E36811F5C07423A24B84400F01B8",
    "c3": "9C3D7360C30156FAB7C80A0276712DA9D8094A634B766D3A285E07480653426D",
    "c2": "650053A89B41C418B0C3AAD00D886C00286467",
}

# sm2p256v1: GM/T 0003.5-2012 (= GB/T 32918.5-2017) appendix A (signature with the default ID of
# GM/T 0009) and appendix C (encryption, same key and k), as used by OpenSSL's
# test/sm2_internal_test.c. Cross-checked with OpenSSL 3.0.19: `openssl pkeyutl -verify -rawin
# -digest sm3 -pkeyopt distid:1234567812345678` accepts this signature (and rejects it with another
# ID or s), and `openssl pkeyutl -decrypt` turns this ciphertext into "encryption standard".
GM_EXAMPLE = {
    "id": b"1234567812345678",
    "d": _hex("3945208F 7B2144B1 3F36E38A C6D39F95 88939369 2860B51A 42FB81EF 4DF7C5B8"),
    "x": _hex("09F9DF31 1E5421A1 50DD7D16 1E4BC5C6 72179FAD 1833FC07 6BB08FF3 56F35020"),
    "y": _hex("CCEA490C E26775A5 2DC6EA71 8CC1AA60 0AED05FB F35E084A 6632F607 2DA9AD13"),
    "z": "B2E14C5C79C6DF5B85F4FE7ED8DB7A262B9DA7E07CCB0EA9F4747B8CCDA8A4F3",
    "e": _hex("F0B43E94 BA45ACCA ACE692ED 534382EB 17E6AB5A 19CE7B31 F4486FDF C0D28640"),
    "k": _hex("59276E27 D506861A 16680F3A D9C02DCC EF3CC1FA 3CDBE4CE 6D54B80D EAC1BC21"),
    "r": _hex("F5A03B06 48D2C463 0EEAC513 E1BB81A1 5944DA38 27D5B741 43AC7EAC EEE720B3"),
    "s": _hex("B1B6AA29 DF212FD8 763182BC 0D421CA1 BB9038FD 1F7F42D4 840B69C4 85BBC1AA"),
    "plaintext": b"encryption standard",
    "c1x": _hex("04EBFC71 8E8D1798 62043226 8E77FEB6 415E2EDE 0E073C0F 4F640ECD 2E149A73"),
    "c1y": _hex("E858F9D8 1E5430A5 7B36DAAB 8F950A3C 64E6EE6A 63094D99 283AFF76 7E124DF0"),
    "c3": "59983C18F809E262923C53AEC295D30383B54E39D609D160AFCB1908D0BD8766",
    "c2": "21886CA989CA9C7D58087307CA93092D651EFA",
}


def _b32(value: int) -> bytes:
    return value.to_bytes(32, "big")


def _point(x: int, y: int) -> bytes:
    return b"\x04" + _b32(x) + _b32(y)


def test_pure_backend_curve_is_sm2p256v1_of_the_facade():
    assert (SM2P256V1.p, SM2P256V1.a, SM2P256V1.b, SM2P256V1.n, SM2P256V1.gx, SM2P256V1.gy) == (
        primitives.SM2_P, primitives.SM2_A, primitives.SM2_B, primitives.SM2_N, primitives.SM2_GX, primitives.SM2_GY)
    assert SM2P256V1.contains(SM2P256V1.gx, SM2P256V1.gy)
    assert TEST_CURVE.contains(TEST_CURVE.gx, TEST_CURVE.gy)


# --- worked examples with a fixed k: the pure backend only ------------------------------------------
def test_gbt32918_2_signature_example_on_the_test_curve():
    """GB/T 32918.2-2016 appendix A with its k (pure backend only: OpenSSL takes no custom curve or k)."""
    ex = SIGN_EXAMPLE
    point = sm2_public_point(TEST_CURVE, ex["d"])
    assert point == (ex["x"], ex["y"])
    z = sm2_z(TEST_CURVE, point, ex["id"])
    assert z.hex().upper() == ex["z"]
    e = int.from_bytes(PURE.sm3(z + ex["message"]), "big")
    assert e == ex["e"]
    assert sm2_sign_with_k(TEST_CURVE, ex["d"], e, ex["k"]) == (ex["r"], ex["s"])
    assert sm2_verify_rs(TEST_CURVE, point, e, ex["r"], ex["s"])
    assert not sm2_verify_rs(TEST_CURVE, point, e + 1, ex["r"], ex["s"])
    assert not sm2_verify_rs(TEST_CURVE, point, e, ex["r"], ex["s"] + 1)
    assert not sm2_verify_rs(TEST_CURVE, point, e, ex["r"], TEST_CURVE.n - ex["r"])  # t = r + s = n


def test_gbt32918_4_encryption_example_on_the_test_curve():
    """GB/T 32918.4-2016 appendix A with its k (pure backend only: OpenSSL takes no custom curve or k)."""
    ex = ENCRYPT_EXAMPLE
    point = sm2_public_point(TEST_CURVE, ex["d"])
    assert point == (ex["x"], ex["y"])
    ciphertext = sm2_encrypt_with_k(TEST_CURVE, point, ex["message"], ex["k"])
    assert ciphertext.hex().upper() == ex["c1"] + ex["c3"] + ex["c2"]
    assert sm2_decrypt_raw(TEST_CURVE, ex["d"], ciphertext) == ex["message"]
    for index in (1, 65, 97, len(ciphertext) - 1):  # C1 (off the curve), C3, C2 (first, last byte)
        with pytest.raises(DecryptionError):
            sm2_decrypt_raw(TEST_CURVE, ex["d"], flip(ciphertext, index))


def test_sm2p256v1_examples_reproduced_with_their_k():
    """GM/T 0003.5 / GB/T 32918.5 appendices A and C with their k (pure backend only)."""
    ex = GM_EXAMPLE
    point = sm2_public_point(SM2P256V1, ex["d"])
    assert point == (ex["x"], ex["y"])
    z = sm2_z(SM2P256V1, point, ex["id"])
    assert z.hex().upper() == ex["z"]
    assert int.from_bytes(PURE.sm3(z + b"message digest"), "big") == ex["e"]
    assert sm2_sign_with_k(SM2P256V1, ex["d"], ex["e"], ex["k"]) == (ex["r"], ex["s"])
    raw = sm2_encrypt_with_k(SM2P256V1, point, ex["plaintext"], ex["k"])
    assert raw.hex().upper() == "04" + f"{ex['c1x']:064X}{ex['c1y']:064X}" + ex["c3"] + ex["c2"]


def test_with_k_helpers_reject_what_the_standard_would_retry():
    ex = GM_EXAMPLE
    point = (ex["x"], ex["y"])
    with pytest.raises(ValueError):
        sm2_sign_with_k(SM2P256V1, ex["d"], ex["e"], 0)
    with pytest.raises(ValueError):
        sm2_sign_with_k(SM2P256V1, ex["d"], ex["e"], SM2P256V1.n)
    with pytest.raises(InvalidKeyError):
        sm2_sign_with_k(SM2P256V1, SM2P256V1.n - 1, ex["e"], ex["k"])
    # r + k = n: choose e so that (e + x1) mod n = n - k, for the x1 of kG
    x1 = ex["r"] - ex["e"]
    with pytest.raises(ValueError):
        sm2_sign_with_k(SM2P256V1, ex["d"], (SM2P256V1.n - ex["k"] - x1) % SM2P256V1.n, ex["k"])
    with pytest.raises(ValueError):
        sm2_encrypt_with_k(SM2P256V1, point, b"", ex["k"])
    with pytest.raises(InvalidKeyError):
        sm2_encrypt_with_k(SM2P256V1, (ex["x"], ex["y"] + 1), b"x", ex["k"])


# --- the same sm2p256v1 examples under every backend -----------------------------------------------
def test_sm2p256v1_example_key_and_digest(backend):
    ex = GM_EXAMPLE
    key = SM2PrivateKey(_b32(ex["d"]))
    assert key.public_key().point == _point(ex["x"], ex["y"])
    assert backend.sm2_public_key(_b32(ex["d"])) == _point(ex["x"], ex["y"])
    assert primitives.sm2_z(key.public_key().point, ex["id"]).hex().upper() == ex["z"]
    assert primitives.sm2_digest(key.public_key().point, b"message digest") == _b32(ex["e"])


def test_sm2p256v1_published_signature_verifies(backend):
    ex = GM_EXAMPLE
    public = SM2PublicKey(_point(ex["x"], ex["y"]))
    signature = asn1.encode_signature(ex["r"], ex["s"])
    assert public.verify(b"message digest", signature)
    assert backend.sm2_verify_digest(public.point, _b32(ex["e"]), signature)
    assert not public.verify(b"message digesT", signature)
    assert not public.verify(b"message digest", signature, signer_id=b"1234567812345679")
    assert not public.verify(b"message digest", asn1.encode_signature(ex["r"], ex["s"] ^ 1))


def test_sm2p256v1_published_ciphertext_decrypts(backend):
    ex = GM_EXAMPLE
    ciphertext = asn1.encode_ciphertext(ex["c1x"], ex["c1y"], bytes.fromhex(ex["c3"]), bytes.fromhex(ex["c2"]))
    assert SM2PrivateKey(_b32(ex["d"])).decrypt(ciphertext) == ex["plaintext"]
    assert backend.sm2_decrypt(_b32(ex["d"]), ciphertext) == ex["plaintext"]


# --- properties under every backend ----------------------------------------------------------------
@pytest.fixture(scope="module")
def keys() -> list[SM2PrivateKey]:
    with backends.using(PURE):
        return [SM2PrivateKey.generate() for _ in range(2)]


@pytest.mark.parametrize("signer_id", [primitives.DEFAULT_SIGNER_ID, b"ALICE123@YAHOO.COM", b"", "办事员 42"],
                         ids=["default", "alice", "empty", "unicode"])
def test_sign_verify_round_trip(backend, keys, signer_id):
    key, message = keys[0], "申请材料 no. 7".encode()
    signature = key.sign(message, signer_id)
    assert key.public_key().verify(message, signature, signer_id)
    assert not keys[1].public_key().verify(message, signature, signer_id)
    assert not key.public_key().verify(message, signature, b"another signer")
    assert not key.public_key().verify(message + b"\x00", signature, signer_id)


def test_any_changed_byte_fails_verification(backend, keys):
    key, message = keys[0], b"a message of some length, signed once"
    signature = key.sign(message)
    public = key.public_key()
    for i in range(len(message)):
        assert not public.verify(flip(message, i, i % 8), signature)
    for i in range(len(signature)):
        assert not public.verify(message, flip(signature, i, i % 8))


def test_backend_verify_returns_false_for_malformed_signatures(backend, keys):
    """Straight to the backend (the facade filters r and s first): never an exception."""
    public = keys[0].public_key().point
    digest = primitives.sm2_digest(public, b"m")
    good = backend.sm2_sign_digest(keys[0].private_bytes(), digest)
    n = primitives.SM2_N
    r, s = asn1.decode_signature(good)
    bad = [
        b"", b"\x30", b"\x30\x00", os.urandom(71), good + b"\x00", good[:-1], b"\x31" + good[1:],
        asn1.encode_signature(0, s), asn1.encode_signature(r, 0), asn1.encode_signature(n, s),
        asn1.encode_signature(r, n), asn1.encode_signature(r + n, s), asn1.encode_signature(r, n - r),
        asn1.tlv(asn1.SEQUENCE, asn1.encode_int(r) + asn1.encode_int(s) + asn1.encode_int(1)),
        asn1.tlv(asn1.SEQUENCE, asn1.tlv(asn1.INTEGER, b"\x00\x00" + _b32(r)) + asn1.encode_int(s)),  # non-minimal
    ]
    assert backend.sm2_verify_digest(public, digest, good)
    for signature in bad:
        assert backend.sm2_verify_digest(public, digest, signature) is False, signature.hex()


@pytest.mark.parametrize("digest", [bytes(32), b"\xff" * 32], ids=["zero", "above-n"])
def test_sign_verify_extreme_digests(backend, keys, digest):
    signature = backend.sm2_sign_digest(keys[0].private_bytes(), digest)
    assert backend.sm2_verify_digest(keys[0].public_key().point, digest, signature)


@pytest.mark.parametrize("scalar", [1, 2, primitives.SM2_N - 2, None], ids=["1", "2", "n-2", "random"])
def test_public_key_of_a_scalar(backend, scalar):
    scalar = scalar or int.from_bytes(os.urandom(31), "big") + 1
    expected = PURE.sm2_public_key(_b32(scalar))
    assert backend.sm2_public_key(_b32(scalar)) == expected
    if scalar == 1:
        assert expected == _point(primitives.SM2_GX, primitives.SM2_GY)


@pytest.mark.parametrize("plaintext", [b"x", os.urandom(1000), "身份证号".encode()], ids=["1B", "1000B", "utf8"])
def test_encrypt_decrypt_round_trip(backend, keys, plaintext):
    ciphertext = keys[0].public_key().encrypt(plaintext)
    assert keys[0].decrypt(ciphertext) == plaintext
    assert keys[0].public_key().encrypt(plaintext) != ciphertext  # a fresh k each time
    with pytest.raises(DecryptionError):
        keys[1].decrypt(ciphertext)


def test_empty_plaintext_is_refused_by_every_backend(backend, keys):
    """GB/T 32918.4 step A5 redraws k while t = KDF(x2 || y2, klen) is all zero, which an empty t
    always is; OpenSSL 3 refuses empty messages, and so does the pure backend, for the backends to
    agree. A ciphertext with an empty C2 is likewise rejected."""
    with pytest.raises(ValueError):
        keys[0].public_key().encrypt(b"")
    x, y, c3, _ = asn1.decode_ciphertext(keys[0].public_key().encrypt(b"x"))
    with pytest.raises(DecryptionError):
        keys[0].decrypt(asn1.encode_ciphertext(x, y, c3, b""))


def _tamper(change):
    """A function of a DER ciphertext that rebuilds it with `change(x, y, c3, c2)` applied."""
    return lambda der: asn1.encode_ciphertext(*change(*asn1.decode_ciphertext(der)))


_P = primitives.SM2_P
TAMPERINGS = {
    "C3-bit": _tamper(lambda x, y, c3, c2: (x, y, flip(c3, 0), c2)),
    "C3-short": _tamper(lambda x, y, c3, c2: (x, y, c3[:31], c2)),
    "C2-bit": _tamper(lambda x, y, c3, c2: (x, y, c3, flip(c2, len(c2) - 1))),
    "C2-longer": _tamper(lambda x, y, c3, c2: (x, y, c3, c2 + b"\x00")),
    "C1-off-curve": _tamper(lambda x, y, c3, c2: (x ^ 1, y, c3, c2)),
    "C1-negated": _tamper(lambda x, y, c3, c2: (x, _P - y, c3, c2)),  # on the curve, wrong shared point
    "C1-zero": _tamper(lambda x, y, c3, c2: (0, 0, c3, c2)),
    "C1-x-unreduced": _tamper(lambda x, y, c3, c2: (x + _P, y, c3, c2)),  # the same point mod p
    "C1-y-unreduced": _tamper(lambda x, y, c3, c2: (x, y + _P, c3, c2)),
    "DER-truncated": lambda der: der[:-1],
    "DER-trailing-data": lambda der: der + b"\x00",
    "DER-empty-sequence": lambda der: b"\x30\x00",
    "empty": lambda der: b"",
    "random": lambda der: os.urandom(len(der)),
}


@pytest.mark.parametrize("tampering", list(TAMPERINGS))
def test_tampered_ciphertext_is_rejected(backend, keys, tampering):
    """Anything but the ciphertext as encrypted is refused: besides altered bytes, a C1 coordinate
    given as x + p (the same point modulo p) and data after the DER SEQUENCE, so that a ciphertext
    has one encoding only."""
    ciphertext = keys[0].public_key().encrypt(b"the plaintext")
    with pytest.raises(DecryptionError):
        keys[0].decrypt(TAMPERINGS[tampering](ciphertext))


def test_pem_round_trip(backend, keys):
    key = keys[0]
    loaded = SM2PrivateKey.from_pem(key.to_pem())
    assert loaded.private_bytes() == key.private_bytes()
    assert loaded.public_key() == key.public_key()
    public = SM2PublicKey.from_pem(key.public_key().to_pem())
    assert public == key.public_key()
    assert public.verify(b"pem", loaded.sign(b"pem"))
    assert loaded.decrypt(public.encrypt(b"pem")) == b"pem"


def test_invalid_keys_are_rejected(backend):
    n = primitives.SM2_N
    for scalar in (0, n - 1, n):
        with pytest.raises(InvalidKeyError):
            SM2PrivateKey(_b32(scalar))
    with pytest.raises(InvalidKeyError):
        backend.sm2_public_key(bytes(31))
    off_curve = _point(primitives.SM2_GX, primitives.SM2_GY ^ 1)
    with pytest.raises(InvalidKeyError):
        SM2PublicKey(off_curve)
    with pytest.raises(InvalidKeyError):
        backend.sm2_encrypt(off_curve, b"x")
    assert backend.sm2_verify_digest(off_curve, bytes(32), asn1.encode_signature(1, 1)) is False


# --- across backends -------------------------------------------------------------------------------
@pytest.mark.parametrize(("signer", "verifier"), list(itertools.product(BACKENDS, repeat=2)), ids=lambda b: b.name)
def test_signature_across_backends(keys, signer, verifier):
    with backends.using(signer):
        signature = keys[0].sign(b"cross", b"ALICE123@YAHOO.COM")
    with backends.using(verifier):
        assert keys[0].public_key().verify(b"cross", signature, b"ALICE123@YAHOO.COM")
        assert not keys[0].public_key().verify(b"cross", signature)


@pytest.mark.parametrize(("encryptor", "decryptor"), list(itertools.product(BACKENDS, repeat=2)), ids=lambda b: b.name)
def test_ciphertext_across_backends(keys, encryptor, decryptor):
    for plaintext in (b"y", os.urandom(300)):
        with backends.using(encryptor):
            ciphertext = keys[0].public_key().encrypt(plaintext)
        with backends.using(decryptor):
            assert keys[0].decrypt(ciphertext) == plaintext
