"""The facade's own behaviour: the SM4-GCM wrapper (nonce, layout, tamper detection), HMAC and
randomness. The standard vectors run against every backend in test_vectors.py."""

import pytest

from dgov.crypto.primitives import (
    GCM_NONCE_BYTES,
    GCM_TAG_BYTES,
    DecryptionError,
    constant_time_equal,
    hmac_sm3,
    random_bytes,
    sm4_gcm_decrypt,
    sm4_gcm_encrypt,
)


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


def test_hmac_sm3_depends_on_the_key():
    assert hmac_sm3(b"key-a", b"m") != hmac_sm3(b"key-b", b"m")


def test_constant_time_equal():
    assert constant_time_equal(b"abc", b"abc")
    assert not constant_time_equal(b"abc", b"abd")
    assert not constant_time_equal(b"abc", b"ab")


def test_random_bytes_length_and_variation():
    assert len(random_bytes(32)) == 32
    assert random_bytes(16) != random_bytes(16)
