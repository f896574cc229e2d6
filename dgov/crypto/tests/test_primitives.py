"""SM3, HMAC-SM3 and SM4 against the published test vectors, and the SM4-GCM wrapper."""

import hashlib
import hmac

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from dgov.crypto.primitives import (
    GCM_NONCE_BYTES,
    GCM_TAG_BYTES,
    DecryptionError,
    constant_time_equal,
    hmac_sm3,
    random_bytes,
    sm3,
    sm4_gcm_decrypt,
    sm4_gcm_encrypt,
)

# GB/T 32905-2016, appendix A: example 1 ("abc") and example 2 ("abcd" x 16, 512 bits).
SM3_VECTORS = [
    (b"abc", "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"),
    (b"abcd" * 16, "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"),
]

# GB/T 32907-2016, appendix A, example 1: key = plaintext.
SM4_KEY = bytes.fromhex("0123456789abcdeffedcba9876543210")
SM4_PLAIN = bytes.fromhex("0123456789abcdeffedcba9876543210")
SM4_CIPHER = bytes.fromhex("681edf34d206965e86b3e94f536e4246")

# RFC 8998, appendix A.1 (SM4-GCM).
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


@pytest.mark.parametrize(("message", "digest"), SM3_VECTORS)
def test_sm3_standard_vectors(message, digest):
    assert sm3(message).hex() == digest


def test_sm3_digest_is_32_bytes_and_input_sensitive():
    assert len(sm3(b"")) == 32
    assert sm3(b"abc") != sm3(b"abd")


def test_sm4_ecb_standard_vector_with_cryptography():
    encryptor = Cipher(algorithms.SM4(SM4_KEY), modes.ECB()).encryptor()
    assert encryptor.update(SM4_PLAIN) + encryptor.finalize() == SM4_CIPHER
    decryptor = Cipher(algorithms.SM4(SM4_KEY), modes.ECB()).decryptor()
    assert decryptor.update(SM4_CIPHER) + decryptor.finalize() == SM4_PLAIN


def test_gcm_wrapper_decrypts_the_rfc8998_vector():
    assert sm4_gcm_decrypt(GCM_KEY, GCM_IV + GCM_CIPHER + GCM_TAG, GCM_AAD) == GCM_PLAIN


def test_gcm_wrapper_round_trip_and_layout():
    key = random_bytes(16)
    plaintext = "身份证号 360602199001011234".encode()
    blob = sm4_gcm_encrypt(key, plaintext, b"accounts.naturalperson.id_number")
    assert len(blob) == GCM_NONCE_BYTES + len(plaintext) + GCM_TAG_BYTES
    assert plaintext not in blob
    assert sm4_gcm_decrypt(key, blob, b"accounts.naturalperson.id_number") == plaintext


def test_gcm_uses_a_fresh_nonce_each_time():
    key = random_bytes(16)
    first, second = sm4_gcm_encrypt(key, b"same"), sm4_gcm_encrypt(key, b"same")
    assert first[:GCM_NONCE_BYTES] != second[:GCM_NONCE_BYTES]
    assert first != second


def test_gcm_empty_plaintext_round_trips():
    key = random_bytes(16)
    assert sm4_gcm_decrypt(key, sm4_gcm_encrypt(key, b"")) == b""


@pytest.mark.parametrize("position", [0, GCM_NONCE_BYTES, GCM_NONCE_BYTES + 3, -1])
def test_gcm_detects_any_flipped_bit(position):
    key = random_bytes(16)
    blob = bytearray(sm4_gcm_encrypt(key, b"13900001111", b"aad"))
    blob[position] ^= 0x01
    with pytest.raises(DecryptionError):
        sm4_gcm_decrypt(key, bytes(blob), b"aad")


def test_gcm_rejects_wrong_key_wrong_aad_and_short_input():
    key = random_bytes(16)
    blob = sm4_gcm_encrypt(key, b"secret", b"accounts.user.phone")
    with pytest.raises(DecryptionError):
        sm4_gcm_decrypt(random_bytes(16), blob, b"accounts.user.phone")
    with pytest.raises(DecryptionError):
        sm4_gcm_decrypt(key, blob, b"notifications.outboxmessage.body")
    with pytest.raises(DecryptionError):
        sm4_gcm_decrypt(key, blob)  # the associated data is part of the authentication
    with pytest.raises(DecryptionError):
        sm4_gcm_decrypt(key, blob[: GCM_NONCE_BYTES + GCM_TAG_BYTES - 1])


def test_hmac_sm3_matches_the_rfc2104_construction():
    # Cross-check against Python's generic HMAC over OpenSSL's SM3 (a separate code path).
    for key in (b"k", b"k" * 64, b"k" * 100):
        expected = hmac.new(key, b"message", lambda data=b"": hashlib.new("sm3", data)).digest()
        assert hmac_sm3(key, b"message") == expected
    assert hmac_sm3(b"key-a", b"m") != hmac_sm3(b"key-b", b"m")


def test_constant_time_equal():
    assert constant_time_equal(b"abc", b"abc")
    assert not constant_time_equal(b"abc", b"abd")
    assert not constant_time_equal(b"abc", b"ab")


def test_random_bytes_length_and_variation():
    assert len(random_bytes(32)) == 32
    assert random_bytes(16) != random_bytes(16)
