"""A package opened with OpenSSL alone, and with the Python snippet: both exactly as
docs/file-exchange.md prints them. A changed byte makes them fail."""

import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from dgov.fileexchange import services

from .conftest import ROWS, platform_pem

pytestmark = pytest.mark.django_db

DOC = Path(__file__).resolve().parents[3] / "docs" / "file-exchange.md"


def _block(heading: str, language: str) -> str:
    text = DOC.read_text(encoding="utf-8")
    section = text.split(heading, 1)[1]
    return re.search(rf"```{language}\n(.*?)```", section, re.S).group(1)


def _unpack(recipient, package, folder: Path) -> None:
    with zipfile.ZipFile(services.package_path(package)) as archive:
        archive.extractall(folder)
    (folder / "app.key.pem").write_text(recipient.private_key.to_pem())
    (folder / "platform.pem").write_text(platform_pem())


def _sh(folder: Path) -> subprocess.CompletedProcess:
    assert shutil.which("openssl"), "the openssl command is required (Debian package openssl)"
    return subprocess.run(["bash", "-c", _block("## Opening a package with OpenSSL", "sh")], cwd=folder,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_openssl_alone_verifies_and_decrypts(recipient, consumer_official, tmp_path, fmt):
    package = services.package_create(actor=consumer_official, grant=recipient.grant, fmt=fmt)
    _unpack(recipient, package, tmp_path)
    done = _sh(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Signature Verified Successfully" in done.stdout and "package verified and decrypted" in done.stdout
    data = (tmp_path / f"data.{fmt}").read_bytes()
    assert services.build.lib.sm3(data).hex() == package.data_sm3
    if fmt == "csv":
        assert data.decode("utf-8-sig").count("\n") == len(ROWS) + 1 and "张*" in data.decode("utf-8-sig")


def test_openssl_refuses_a_changed_package(recipient, consumer_official, tmp_path):
    package = services.package_create(actor=consumer_official, grant=recipient.grant, fmt="csv")
    for name in ("manifest.json", "data.csv.enc", "key.enc"):
        folder = tmp_path / name
        folder.mkdir()
        _unpack(recipient, package, folder)
        changed = bytearray((folder / name).read_bytes())
        changed[len(changed) // 2] ^= 1
        (folder / name).write_bytes(bytes(changed))
        done = _sh(folder)
        assert done.returncode != 0, name
        assert "package verified" not in done.stdout
        assert not (folder / "data.csv").exists() or name != "key.enc"


def test_the_python_snippet(recipient, consumer_official, tmp_path):
    package = services.package_create(actor=consumer_official, grant=recipient.grant, fmt="csv")
    shutil.copy(services.package_path(package), tmp_path / "package.zip")
    (tmp_path / "app.key.pem").write_text(recipient.private_key.to_pem())
    (tmp_path / "platform.pem").write_text(platform_pem())
    done = subprocess.run([sys.executable, "-c", _block("## Opening a package in Python", "python")], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert services.build.lib.sm3((tmp_path / "data.csv").read_bytes()).hex() == package.data_sm3
