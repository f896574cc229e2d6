"""Interoperability with the OpenSSL 3 command line, through the library facade, under every backend.

Signatures, keys, SM2 ciphertexts and SM4-CBC made by the library must be read by `openssl`, and
what `openssl` makes must be read by the library. These tests need `/usr/bin/openssl` (OpenSSL 3):
when it is missing they fail with an explanation instead of being skipped.
"""

import base64
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from dgov.crypto import backends
from dgov.crypto.primitives import (
    DEFAULT_SIGNER_ID,
    InvalidKeyError,
    SM2PrivateKey,
    SM2PublicKey,
    sm4_cbc_decrypt,
    sm4_cbc_encrypt,
)

OPENSSL_TIMEOUT = 60  # seconds; RSA key generation is the slowest call
MESSAGE = "dgov interop: 数字政府\n".encode() * 3


def _openssl_path() -> str:
    path = shutil.which("openssl") or ("/usr/bin/openssl" if os.access("/usr/bin/openssl", os.X_OK) else None)
    if path is None:
        pytest.fail("the OpenSSL 3 command line (`openssl`, Debian package openssl) is required by these tests "
                    "and is not installed", pytrace=False)
    return path


def openssl(*args: str | Path, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    """Run `openssl args…` and return the completed process (the caller checks the exit code)."""
    try:
        return subprocess.run(
            [_openssl_path(), *map(str, args)], input=stdin, capture_output=True, timeout=OPENSSL_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"openssl {' '.join(map(str, args))} did not finish within {OPENSSL_TIMEOUT} s")


def openssl_ok(*args: str | Path, stdin: bytes | None = None) -> bytes:
    """Run `openssl args…`, fail the test unless it succeeds, and return its standard output."""
    done = openssl(*args, stdin=stdin)
    if done.returncode != 0:
        pytest.fail(f"openssl {' '.join(map(str, args))} exited with {done.returncode}: "
                    f"{done.stderr.decode(errors='replace').strip()}")
    return done.stdout


@pytest.fixture(scope="module", autouse=True)
def openssl_3():
    version = openssl_ok("version").decode()
    if not re.match(r"OpenSSL [3-9]\.", version):
        pytest.fail(f"these tests need the OpenSSL 3 command line, found {version.strip()!r}", pytrace=False)


@pytest.fixture(params=backends.available(), ids=lambda b: b.name)
def backend(request):
    with backends.using(request.param) as chosen:
        yield chosen


def write(path: Path, data: bytes | str) -> Path:
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def openssl_verify(tmp_path: Path, public_pem: str, message: bytes, signature: bytes, distid: str):
    return openssl(
        "pkeyutl", "-verify", "-pubin", "-inkey", write(tmp_path / "pub.pem", public_pem),
        "-rawin", "-digest", "sm3", "-pkeyopt", f"distid:{distid}",
        "-in", write(tmp_path / "msg.bin", message), "-sigfile", write(tmp_path / "sig.der", signature),
    )


def openssl_sign(tmp_path: Path, key_pem: Path, message: bytes, distid: str) -> bytes:
    sig = tmp_path / "openssl-sig.der"
    openssl_ok(
        "pkeyutl", "-sign", "-inkey", key_pem, "-rawin", "-digest", "sm3", "-pkeyopt", f"distid:{distid}",
        "-in", write(tmp_path / "msg-to-sign.bin", message), "-out", sig,
    )
    return sig.read_bytes()


def openssl_key(tmp_path: Path, *genpkey_args: str, name: str = "key.pem") -> Path:
    path = tmp_path / name
    openssl_ok("genpkey", *genpkey_args, "-out", path)
    return path


def flip(data: bytes, index: int) -> bytes:
    return data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1:]


def test_every_backend_is_exercised():
    names = [b.name for b in backends.available()]
    assert "native" in names or "python" in names


# --- SM2 signatures -------------------------------------------------------------------------------
def test_library_signature_verifies_with_openssl(backend, tmp_path):
    key = SM2PrivateKey.generate()
    public_pem = key.public_key().to_pem()
    signature = key.sign(MESSAGE)

    done = openssl_verify(tmp_path, public_pem, MESSAGE, signature, DEFAULT_SIGNER_ID.decode())
    assert done.returncode == 0, done.stderr
    assert b"Signature Verified Successfully" in done.stdout

    for message, distid in [
        (flip(MESSAGE, 0), DEFAULT_SIGNER_ID.decode()),
        (flip(MESSAGE, len(MESSAGE) - 1), DEFAULT_SIGNER_ID.decode()),
        (MESSAGE, "1234567812345679"),
        (MESSAGE, "alice@example.gov.cn"),
    ]:
        done = openssl_verify(tmp_path, public_pem, message, signature, distid)
        assert done.returncode != 0
        assert b"Signature Verification Failure" in done.stdout + done.stderr


def test_library_signature_with_own_signer_id_verifies_with_openssl(backend, tmp_path):
    key = SM2PrivateKey.generate()
    signature = key.sign(MESSAGE, signer_id=b"alice@example.gov.cn")
    done = openssl_verify(tmp_path, key.public_key().to_pem(), MESSAGE, signature, "alice@example.gov.cn")
    assert done.returncode == 0, done.stderr
    done = openssl_verify(tmp_path, key.public_key().to_pem(), MESSAGE, signature, DEFAULT_SIGNER_ID.decode())
    assert done.returncode != 0
    assert b"Signature Verification Failure" in done.stdout + done.stderr


@pytest.mark.parametrize("distid", [DEFAULT_SIGNER_ID.decode(), "bob@example.gov.cn"])
def test_openssl_signature_verifies_with_library(backend, tmp_path, distid):
    key_pem = openssl_key(tmp_path, "-algorithm", "SM2")
    public = SM2PrivateKey.from_pem(key_pem.read_bytes()).public_key()
    signature = openssl_sign(tmp_path, key_pem, MESSAGE, distid)

    assert public.verify(MESSAGE, signature, signer_id=distid.encode())
    assert not public.verify(MESSAGE, signature, signer_id=b"someone-else")
    assert not public.verify(flip(MESSAGE, 5), signature, signer_id=distid.encode())
    assert not public.verify(MESSAGE, flip(signature, len(signature) - 1), signer_id=distid.encode())
    assert not SM2PrivateKey.generate().public_key().verify(MESSAGE, signature, signer_id=distid.encode())


# --- keys -----------------------------------------------------------------------------------------
def openssl_public_der(tmp_path: Path, pem: Path, *extra: str) -> bytes:
    return openssl_ok("pkey", *extra, "-in", pem, "-pubout", "-outform", "DER")


@pytest.mark.parametrize(
    "genpkey_args",
    [("-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:SM2"), ("-algorithm", "SM2")],
    ids=["ec-curve-sm2", "algorithm-sm2"],
)
def test_openssl_generated_key_loads(backend, tmp_path, genpkey_args):
    key_pem = openssl_key(tmp_path, *genpkey_args)
    key = SM2PrivateKey.from_pem(key_pem.read_text())
    assert key.public_key().to_der() == openssl_public_der(tmp_path, key_pem)
    # the public PEM OpenSSL writes loads too
    assert SM2PublicKey.from_pem(openssl_ok("pkey", "-in", key_pem, "-pubout")) == key.public_key()


def test_library_pems_are_read_by_openssl(backend, tmp_path):
    key = SM2PrivateKey.generate()
    key_pem = write(tmp_path / "lib-key.pem", key.to_pem())
    pub_pem = write(tmp_path / "lib-pub.pem", key.public_key().to_pem())

    # OpenSSL derives the same public key from our private key file…
    assert openssl_public_der(tmp_path, key_pem) == key.public_key().to_der()
    # …reads our public key file back unchanged…
    assert openssl_public_der(tmp_path, pub_pem, "-pubin") == key.public_key().to_der()
    # …and sees our private scalar and an SM2 key.
    text = openssl_ok("pkey", "-in", key_pem, "-noout", "-text").decode()
    assert "SM2" in text
    priv_hex = "".join(re.search(r"priv:\s*((?:[0-9a-f]{2}:?\s*)+)", text).group(1).split()).replace(":", "")
    assert int(priv_hex, 16) == int.from_bytes(key.private_bytes(), "big")
    # OpenSSL's own PKCS #8 encoding of the key is what the library writes.
    assert openssl_ok("pkcs8", "-topk8", "-nocrypt", "-in", key_pem, "-outform", "DER") == key.to_der()


def test_sec1_ec_private_key_loads(backend, tmp_path):
    key_pem = openssl_key(tmp_path, "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:SM2")
    pkcs8 = SM2PrivateKey.from_pem(key_pem.read_text())
    sec1 = openssl_ok("ec", "-in", key_pem, "-param_enc", "named_curve").decode()
    # OpenSSL 3 labels SEC 1 keys on sm2p256v1 "SM2 PRIVATE KEY"; OpenSSL 1.1.1, GmSSL and most
    # other tools write the same DER as "EC PRIVATE KEY".
    label = re.search(r"-----BEGIN ([A-Z0-9 ]+)-----", sec1).group(1)
    assert label in ("EC PRIVATE KEY", "SM2 PRIVATE KEY")
    ec_pem = re.sub(r"(BEGIN|END) [A-Z0-9 ]+-----", r"\1 EC PRIVATE KEY-----", sec1)
    key = SM2PrivateKey.from_pem(ec_pem)
    assert key.private_bytes() == pkcs8.private_bytes()
    assert key.public_key() == pkcs8.public_key()


def test_sec1_key_as_written_by_openssl_3_loads(backend, tmp_path):
    """`openssl ec` (OpenSSL 3) labels the SEC 1 key "SM2 PRIVATE KEY"; it loads as it is."""
    key_pem = openssl_key(tmp_path, "-algorithm", "SM2")
    sec1 = openssl_ok("ec", "-in", key_pem, "-param_enc", "named_curve").decode()
    assert SM2PrivateKey.from_pem(sec1).public_key() == SM2PrivateKey.from_pem(key_pem.read_text()).public_key()


# --- SM2 encryption -------------------------------------------------------------------------------
SM2_PLAINTEXTS = [b"x", "secret 密码".encode(), os.urandom(1000)]


@pytest.mark.parametrize("plaintext", SM2_PLAINTEXTS, ids=lambda p: f"{len(p)}B")
def test_library_ciphertext_decrypts_with_openssl(backend, tmp_path, plaintext):
    key = SM2PrivateKey.generate()
    key_pem = write(tmp_path / "key.pem", key.to_pem())
    ciphertext = write(tmp_path / "ct.der", key.public_key().encrypt(plaintext))
    assert openssl_ok("pkeyutl", "-decrypt", "-inkey", key_pem, "-in", ciphertext) == plaintext


@pytest.mark.parametrize("plaintext", SM2_PLAINTEXTS, ids=lambda p: f"{len(p)}B")
def test_openssl_ciphertext_decrypts_with_library(backend, tmp_path, plaintext):
    key_pem = openssl_key(tmp_path, "-algorithm", "SM2")
    key = SM2PrivateKey.from_pem(key_pem.read_bytes())
    pub_pem = write(tmp_path / "pub.pem", key.public_key().to_pem())
    ciphertext = openssl_ok("pkeyutl", "-encrypt", "-pubin", "-inkey", pub_pem,
                            "-in", write(tmp_path / "pt.bin", plaintext))
    assert key.decrypt(ciphertext) == plaintext


# --- SM4-CBC --------------------------------------------------------------------------------------
SM4_LENGTHS = [0, 1, 15, 16, 17, 33, 4096]


@pytest.mark.parametrize("length", SM4_LENGTHS)
def test_library_sm4_cbc_decrypts_with_openssl(backend, tmp_path, length):
    key, iv, plaintext = os.urandom(16), os.urandom(16), os.urandom(length)
    blob = sm4_cbc_encrypt(key, plaintext, iv)
    assert blob[:16] == iv
    got = openssl_ok("enc", "-d", "-sm4-cbc", "-K", key.hex(), "-iv", iv.hex(),
                     "-in", write(tmp_path / "ct.bin", blob[16:]))
    assert got == plaintext


@pytest.mark.parametrize("length", SM4_LENGTHS)
def test_openssl_sm4_cbc_decrypts_with_library(backend, tmp_path, length):
    key, iv, plaintext = os.urandom(16), os.urandom(16), os.urandom(length)
    ciphertext = openssl_ok("enc", "-sm4-cbc", "-K", key.hex(), "-iv", iv.hex(),
                            "-in", write(tmp_path / "pt.bin", plaintext))
    assert len(ciphertext) == (length // 16 + 1) * 16
    assert sm4_cbc_decrypt(key, iv + ciphertext) == plaintext


# --- malformed and foreign keys -------------------------------------------------------------------
def _truncated_body(pem: str) -> str:
    """The PEM with its base64 body cut in the middle of a character quadruple."""
    lines = pem.strip().splitlines()
    body = "".join(lines[1:-1])
    cut = len(body) // 2 | 1  # odd, so never a whole number of quadruples
    return f"{lines[0]}\n{body[:cut]}\n{lines[-1]}\n"


def _truncated_der(pem: str) -> str:
    """Valid base64 of the first half of the DER."""
    lines = pem.strip().splitlines()
    der = base64.b64decode("".join(lines[1:-1]))
    return f"{lines[0]}\n{base64.b64encode(der[: len(der) // 2]).decode()}\n{lines[-1]}\n"


def test_garbage_pem_is_rejected(backend):
    for text in ["", "not a key at all", "-----BEGIN PRIVATE KEY-----\n-----END PUBLIC KEY-----\n", b"\xff\xfe"]:
        with pytest.raises(InvalidKeyError, match="PEM"):
            SM2PrivateKey.from_pem(text)
    with pytest.raises(InvalidKeyError, match="PUBLIC KEY"):
        SM2PublicKey.from_pem("garbage")
    with pytest.raises(InvalidKeyError, match="malformed SM2 private key"):
        SM2PrivateKey.from_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")


def test_truncated_pem_is_rejected(backend):
    key = SM2PrivateKey.generate()
    for pem, cls in [(key.to_pem(), SM2PrivateKey), (key.public_key().to_pem(), SM2PublicKey)]:
        with pytest.raises(InvalidKeyError, match="base64"):
            cls.from_pem(_truncated_body(pem))
        with pytest.raises(InvalidKeyError, match=r"malformed SM2 (private|public) key"):
            cls.from_pem(_truncated_der(pem))


def test_rsa_key_is_rejected(backend, tmp_path):
    rsa_pem = openssl_key(tmp_path, "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048")
    with pytest.raises(InvalidKeyError, match="SM2"):
        SM2PrivateKey.from_pem(rsa_pem.read_text())
    with pytest.raises(InvalidKeyError, match="SM2"):
        SM2PublicKey.from_pem(openssl_ok("pkey", "-in", rsa_pem, "-pubout"))
    # The traditional "RSA PRIVATE KEY" armour is not one an SM2 key is read from.
    with pytest.raises(InvalidKeyError, match="no PEM block"):
        SM2PrivateKey.from_pem(openssl_ok("pkey", "-in", rsa_pem, "-traditional"))


def test_p256_key_is_rejected(backend, tmp_path):
    p256_pem = openssl_key(tmp_path, "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256")
    with pytest.raises(InvalidKeyError, match="not an SM2 key"):
        SM2PrivateKey.from_pem(p256_pem.read_text())
    with pytest.raises(InvalidKeyError, match="not an SM2 key"):
        SM2PrivateKey.from_pem(openssl_ok("ec", "-in", p256_pem, "-param_enc", "named_curve"))
    with pytest.raises(InvalidKeyError, match="not an SM2 key"):
        SM2PublicKey.from_pem(openssl_ok("pkey", "-in", p256_pem, "-pubout"))


# --- the native backend and the system's OpenSSL --------------------------------------------------
def test_native_backend_uses_the_system_openssl():
    native = next((b for b in backends.available() if b.name == "native"), None)
    assert native is not None, "the native backend must load where OpenSSL 3 is installed"
    cli_version = openssl_ok("version").decode().split()[1]  # "OpenSSL 3.0.19 27 Jan 2026 (Library: …)"
    assert f"system OpenSSL {cli_version}" in native.description()


def test_native_backend_unavailable_without_libcrypto(monkeypatch):
    from dgov.crypto.backends import native
    from dgov.crypto.errors import BackendUnavailable

    monkeypatch.setattr(native, "_instance", None)
    monkeypatch.setattr(native, "_instance_error", None)
    monkeypatch.setattr(native.ctypes.util, "find_library", lambda name: None)
    monkeypatch.setattr(native, "LIBCRYPTO_SONAME", "libcrypto-missing-for-test.so.3")
    with pytest.raises(BackendUnavailable, match="OpenSSL 3 libcrypto cannot be used"):
        native.NativeBackend()
    monkeypatch.setenv("DGOV_CRYPTO_BACKEND", "auto")
    assert [b.name for b in backends.available()] == ["python"]
    assert backends._choose().name == "python"
