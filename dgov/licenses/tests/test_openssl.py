"""OpenSSL 3 reads what the library writes, and docs/licenses-offline.md's script — run exactly as the page
prints it — verifies a sealed licence and refuses one with a changed byte of the face or of the metadata."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from dgov.crypto import asn1
from dgov.licenses import identifier, pdfseal, x509

from .test_filecheck import flip, stream_offset
from .test_ses import IDENTIFIER, ISSUER_CODE, SIGNED_AT, TYPE_CODE, default_chain, make_chain, sealed_licence

DOC = Path(__file__).resolve().parents[3] / "docs" / "licenses-offline.md"
DISTID = "distid:1234567812345678"


def openssl(*args: str, data: bytes | None = None, cwd=None) -> subprocess.CompletedProcess:
    assert shutil.which("openssl"), "the openssl command is required (Debian package openssl)"
    return subprocess.run(["openssl", *args], input=data, capture_output=True, cwd=cwd, timeout=60)


def script() -> str:
    section = DOC.read_text(encoding="utf-8").split("## The script", 1)[1]
    return re.search(r"```sh\n(.*?)```", section, re.S).group(1)


def run_script(folder: Path, licence: bytes, maker_cert: bytes | None = None) -> subprocess.CompletedProcess:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "licence.pdf").write_bytes(licence)
    (folder / "maker.sm3").write_text(x509.fingerprint(maker_cert or default_chain().maker_cert) + "\n")
    return subprocess.run(["bash", "-c", script()], cwd=folder, capture_output=True, text=True, timeout=120)


# --- certificates and structures ------------------------------------------------------------------
def test_openssl_reads_the_certificates(tmp_path):
    chain = default_chain()
    for der, key, ca in ((chain.maker_cert, chain.maker_key, True), (chain.signer_cert, chain.signer_key, False)):
        done = openssl("x509", "-inform", "DER", "-noout", "-text", "-pubkey", "-nameopt", "utf8", data=der)
        assert done.returncode == 0, done.stderr
        out = done.stdout.decode()
        assert "Version: 3 (0x2)" in out and "Signature Algorithm: SM2-with-SM3" in out and "ASN1 OID: SM2" in out
        assert ("CA:TRUE" in out) == ca and "Digital Signature" in out
        assert asn1.pem_decode(out, ("PUBLIC KEY",))[1] == key.public_key().to_der()
        fingerprint = openssl("x509", "-inform", "DER", "-noout", "-fingerprint", "-sm3", data=der)
        assert fingerprint.stdout.decode().strip() == f"sm3 Fingerprint={x509.fingerprint(der)}"
    subject = openssl("x509", "-inform", "DER", "-noout", "-subject", "-nameopt", "utf8,sep_comma_plus",
                      data=chain.maker_cert).stdout.decode()
    assert "O=鹰潭市大数据发展管理局" in subject and "CN=鹰潭市电子印章制章者" in subject
    (tmp_path / "maker.pem").write_text(x509.to_pem(chain.maker_cert))
    (tmp_path / "signer.pem").write_text(x509.to_pem(chain.signer_cert))
    done = openssl("verify", "-vfyopt", DISTID, "-CAfile", "maker.pem", "-attime", str(int(SIGNED_AT.timestamp())),
                   "signer.pem", cwd=tmp_path)
    assert done.returncode == 0 and b"signer.pem: OK" in done.stdout, done.stderr
    (tmp_path / "other.pem").write_text(x509.to_pem(make_chain().maker_cert))
    done = openssl("verify", "-vfyopt", DISTID, "-CAfile", "other.pem", "signer.pem", cwd=tmp_path)
    assert done.returncode != 0


def test_openssl_parses_the_seal_and_verifies_the_makers_signature(tmp_path):
    chain = default_chain()
    listing = openssl("asn1parse", "-inform", "DER", data=chain.seal)
    assert listing.returncode == 0, listing.stderr
    text = listing.stdout.decode()
    assert re.search(r"IA5STRING\s+:ES\n", text) and re.search(r"UTF8STRING\s+:" + chain.info.name, text)
    assert text.count("GENERALIZEDTIME") == 3 and re.search(r"OBJECT\s+:SM2-with-SM3", text)
    (tmp_path / "info.der").write_bytes(x509.der_sequence(chain.seal)[0][2])  # DER(SES_SealInfo)
    (tmp_path / "sig.der").write_bytes(x509.decode_bit_string(x509.der_sequence(chain.seal)[3], "signedValue"))
    (tmp_path / "maker.pub").write_text(chain.maker_key.public_key().to_pem())
    done = openssl("pkeyutl", "-verify", "-pubin", "-inkey", "maker.pub", "-rawin", "-digest", "sm3", "-pkeyopt",
                   DISTID, "-in", "info.der", "-sigfile", "sig.der", cwd=tmp_path)
    assert done.returncode == 0 and b"Signature Verified Successfully" in done.stdout, done.stderr


# --- the documented script ------------------------------------------------------------------------
def test_the_documented_steps_verify_a_sealed_licence(tmp_path):
    sealed = sealed_licence()
    done = run_script(tmp_path, sealed)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("Signature Verified Successfully") == 2 and "signer.pem: OK" in done.stdout
    assert f"licence {IDENTIFIER} verified: sealed at 20261127093000Z" in done.stdout
    found = pdfseal.extract(sealed)
    assert (tmp_path / "signed.bin").read_bytes() == found.signed_bytes
    contents = (tmp_path / "contents.bin").read_bytes()
    assert contents.startswith(found.signature_der) and not contents[len(found.signature_der):].strip(b"\x00")


def test_the_documented_check_character_agrees_with_the_library(tmp_path):
    """The bash MOD 37,36 of step 7 on other identifiers (version 99, serial 99999999, other codes)."""
    for n, (serial, version) in enumerate(((99_999_999, 99), (7, 2), (12_345_678, 10))):
        ident = identifier.build(TYPE_CODE, ISSUER_CODE, serial, version)
        done = run_script(tmp_path / str(n), sealed_licence(property_info=ident, ident=ident))
        assert done.returncode == 0 and f"licence {ident} verified" in done.stdout, done.stdout + done.stderr


def _failure(folder: Path, licence: bytes, message: str, maker_cert: bytes | None = None) -> None:
    done = run_script(folder, licence, maker_cert)
    assert done.returncode != 0 and "verified" not in done.stdout, done.stdout
    assert message in done.stdout + done.stderr, done.stdout + done.stderr


def test_a_changed_byte_of_the_face_fails(tmp_path):
    sealed = sealed_licence()
    doc = pdfseal.PdfFile(sealed)
    changed = flip(sealed, stream_offset(sealed, doc.get(doc.first_page())["Contents"]) + 40)
    _failure(tmp_path, changed, "SM3 differs: the file was changed")


def _embedded_offset(sealed: bytes) -> int:
    """A byte inside the embedded license.json stream."""
    doc = pdfseal.PdfFile(sealed)
    names = doc.get(doc.get(doc.trailer["Root"])["Names"])
    spec = doc.get(doc.get(names["EmbeddedFiles"])["Names"][1])
    return stream_offset(sealed, spec["EF"]["F"]) + 8


def test_a_changed_byte_of_the_metadata_fails(tmp_path):
    sealed = sealed_licence()
    _failure(tmp_path / "embedded", flip(sealed, _embedded_offset(sealed)), "SM3 differs: the file was changed")
    info_at = sealed.index(b"/LicenseIdentifier") + len(b"/LicenseIdentifier <FEFF") + 2
    _failure(tmp_path / "info", sealed[:info_at] + b"F" + sealed[info_at + 1:], "SM3 differs: the file was changed")


def test_other_failures(tmp_path):
    sealed = sealed_licence()
    _failure(tmp_path / "appended", sealed + b"% one more line\n", "the byte range is not the whole file")
    _failure(tmp_path / "maker", sealed, "the seal was not made by the published seal maker",
             maker_cert=make_chain().maker_cert)
    found = pdfseal.extract(sealed)
    hex_at = found.byte_range[1] + 1 + 2 * (len(found.signature_der) - 3)  # inside the signer's s
    digit = sealed[hex_at:hex_at + 1]
    _failure(tmp_path / "signature", sealed[:hex_at] + (b"0" if digit != b"0" else b"1") + sealed[hex_at + 1:],
             "Signature Verification Failure")
    late = make_chain(valid_end=SIGNED_AT.replace(month=6))
    _failure(tmp_path / "late", sealed_licence(late), "outside the seal's validity", maker_cert=late.maker_cert)
    unlisted = make_chain(listed=False)
    _failure(tmp_path / "unlisted", sealed_licence(unlisted), "not one of the seal's", maker_cert=unlisted.maker_cert)
    expired = make_chain(signer_until=SIGNED_AT.replace(month=6))
    _failure(tmp_path / "expired", sealed_licence(expired), "certificate has expired", maker_cert=expired.maker_cert)
    wrong = IDENTIFIER[:-1] + ("0" if IDENTIFIER[-1] != "0" else "1")
    _failure(tmp_path / "check", sealed_licence(property_info=wrong), "wrong check character")


# --- a licence issued by the platform itself ----------------------------------------------------------
@pytest.mark.django_db
def test_a_licence_issued_by_the_platform_verifies_offline_and_a_changed_byte_fails_both(world, yujiang_license,
                                                                                           tmp_path):
    """The acceptance, end to end: the file `services.issue` sealed (the seal's key in the key service, its
    certificate and SES_Seal from the platform's seal maker) passes the documented OpenSSL steps against the
    maker certificate the platform publishes; one changed byte of the face or of the embedded metadata fails
    both OpenSSL and the platform's verification; a revoked licence still has a good seal, and the platform
    reports it revoked."""
    from django.test import Client

    from dgov.licenses import maker, services, statuslist
    from dgov.licenses.verification import verify_file

    sealed = bytes(yujiang_license.pdf)
    published = bytes(maker.certificate().certificate)
    done = run_script(tmp_path / "good", sealed, published)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"licence {yujiang_license.identifier} verified" in done.stdout
    assert done.stdout.count("Signature Verified Successfully") == 2
    assert verify_file(sealed).valid

    doc = pdfseal.PdfFile(sealed)
    face = flip(sealed, stream_offset(sealed, doc.get(doc.first_page())["Contents"]) + 40)
    data = flip(sealed, _embedded_offset(sealed))
    for name, changed in (("face", face), ("metadata", data)):
        _failure(tmp_path / name, changed, "SM3 differs: the file was changed", published)
        result = verify_file(changed)
        assert not result.valid and "digest" in result.failed, (name, result.failed)

    services.revoke(actor=world.yujiang_admin, license=yujiang_license, reason="吊销")
    assert run_script(tmp_path / "revoked", sealed, published).returncode == 0  # the seal is still good …
    result = verify_file(sealed)
    assert (result.valid, result.status, result.failed) == (False, "revoked", ["status"])  # … but not the licence
    # whoever holds only the file finds its bit in the public status list from the embedded entry

    entry = json.loads(pdfseal.embedded_file(sealed, "license.json"))["credential_status"]
    assert entry == statuslist.entry(yujiang_license) and entry["statusListCredential"].endswith(statuslist.PATH)
    credential = Client().get(statuslist.PATH).json()
    bits = statuslist.decode(credential["credentialSubject"]["encodedList"])
    assert statuslist.is_set(bits, int(entry["statusListIndex"]))
