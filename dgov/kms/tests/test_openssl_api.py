"""The key service's outputs checked by the OpenSSL 3 command line, and OpenSSL's by the service: a
city's other systems must be able to verify and decrypt without dgov."""

import shutil
import subprocess

import pytest

from dgov.accounts.testing import api_client
from dgov.core.testing import assert_error
from dgov.kms.tests.support import b64, make_key, post, unb64

pytestmark = pytest.mark.django_db

DISTID = "1234567812345678"


def openssl(*args, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    binary = shutil.which("openssl")
    assert binary, "the openssl command is required for these tests (Debian package openssl)"
    return subprocess.run([binary, *args], input=stdin, capture_output=True, timeout=30)


@pytest.fixture
def admin(world):
    return api_client(world.admin)


def test_api_signature_verifies_with_openssl_and_fails_when_changed(world, admin, tmp_path):
    make_key(world.admin, "seal", "sm2")
    (tmp_path / "pub.pem").write_text(admin.get("/api/v1/crypto/keys/seal").json()["public_key_pem"])
    message = "鹰潭市 营业执照 91360600MA00000000".encode()
    (tmp_path / "msg").write_bytes(message)
    signature = unb64(post(admin, "/api/v1/crypto/keys/seal/sign", {"input": b64(message)}).json()["signature"])
    (tmp_path / "sig.der").write_bytes(signature)

    def verify(msg="msg", distid=DISTID):
        return openssl("pkeyutl", "-verify", "-pubin", "-inkey", str(tmp_path / "pub.pem"), "-rawin",
                       "-digest", "sm3", "-pkeyopt", f"distid:{distid}", "-in", str(tmp_path / msg),
                       "-sigfile", str(tmp_path / "sig.der"))

    ok = verify()
    assert ok.returncode == 0 and b"Signature Verified Successfully" in ok.stdout, ok
    changed = bytearray(message)
    changed[0] ^= 1
    (tmp_path / "changed").write_bytes(bytes(changed))
    assert verify("changed").returncode != 0
    assert verify(distid="ALICE123@YAHOO.COM").returncode != 0


def test_openssl_signature_verifies_through_the_api(world, admin, tmp_path):
    assert openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:SM2",
                   "-out", str(tmp_path / "key.pem")).returncode == 0
    created = post(admin, "/api/v1/crypto/keys", {"name": "imported-seal", "type": "sm2", "department": "360603902",
                                                  "private_key_pem": (tmp_path / "key.pem").read_text()})
    assert created.status_code == 201, created.content
    (tmp_path / "msg").write_bytes(b"official document 2024-001")
    signed = openssl("pkeyutl", "-sign", "-inkey", str(tmp_path / "key.pem"), "-rawin", "-digest", "sm3",
                     "-pkeyopt", f"distid:{DISTID}", "-in", str(tmp_path / "msg"), "-out", str(tmp_path / "sig.der"))
    assert signed.returncode == 0, signed
    signature = b64((tmp_path / "sig.der").read_bytes())

    def valid(message: bytes, **extra) -> bool:
        response = post(admin, "/api/v1/crypto/keys/imported-seal/verify",
                        {"input": b64(message), "signature": signature, **extra})
        assert response.status_code == 200, response.content
        return response.json()["valid"]

    assert valid(b"official document 2024-001") is True
    assert valid(b"official document 2024-002") is False
    assert valid(b"official document 2024-001", signer_id="another-id") is False
    garbage = post(admin, "/api/v1/crypto/keys/imported-seal/verify", {"input": b64("x"), "signature": "%%"})
    assert_error(garbage, 422)


def test_sm4_cbc_ciphertext_of_the_api_decrypts_with_openssl_enc(world, admin):
    make_key(world.admin, "legacy", "sm4-cbc", exportable=True)
    plaintext = "与旧系统交换的数据 (SM4-CBC, PKCS#7)".encode()
    ciphertext = post(admin, "/api/v1/crypto/keys/legacy/encrypt", {"plaintext": b64(plaintext)}).json()["ciphertext"]
    blob = unb64(ciphertext.split(":")[2])
    iv, body = blob[:16], blob[16:]
    key = unb64(admin.get("/api/v1/crypto/keys/legacy/export").json()["keys"]["1"])
    result = openssl("enc", "-d", "-sm4-cbc", "-K", key.hex(), "-iv", iv.hex(), stdin=body)
    assert result.returncode == 0, result
    assert result.stdout == plaintext
