"""Packages: the manifest, the platform's signature, decryption by the recipient, only the grant's
items and rows, masking as the gateway masks, the size limits, and tampering detected."""

import csv
import io
import json
import zipfile

import pytest

from dgov.core.errors import DgovError
from dgov.core.testing import audited
from dgov.crypto.primitives import SM2PrivateKey
from dgov.fileexchange import build, services, signing
from dgov.fileexchange.models import FilePackage

from .conftest import ROWS, make_recipient, platform_pem

pytestmark = pytest.mark.django_db


def _open(package, private_key):
    data = services.package_path(package).read_bytes()
    return build.open_package(data, private_key, platform_pem())


def _csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM, for Excel
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_csv_package_holds_only_the_granted_items_masked(recipient, consumer_official):
    package = services.package_create(actor=consumer_official, grant=recipient.grant, fmt="csv")
    manifest, data = _open(package, recipient.private_key)
    rows = _csv_rows(data)
    assert rows[0] == ["xm", "sfzh", "djrq"]  # no lxdh: 联系电话 is not granted
    by_id = {r[1]: r for r in rows[1:]}
    assert len(by_id) == len(ROWS) == package.rows == manifest["data"]["rows"]
    assert ["张*", "3606**********1234", "2024-03-01"] in rows
    assert all("138" not in cell for row in rows for cell in row)
    # a formula-like text cell is quoted, as in every dgov export
    assert any(r[0].startswith("'=") for r in rows[1:])
    assert [c["item"] for c in manifest["data"]["columns"]] == ["姓名", "公民身份号码", "登记日期"]
    assert [c["masked"] for c in manifest["data"]["columns"]] == [True, True, False]
    assert manifest["recipient"]["application"] == recipient.application.code
    assert manifest["recipient"]["key_id"] == recipient.credential.key_id
    assert manifest["grant"]["id"] == recipient.grant.pk
    assert manifest["dataset"]["service_code"] == recipient.grant.entry.code
    assert manifest["encryption"]["cipher"] == "SM4-CBC"
    assert manifest["package_id"] == package.package_id
    entry = audited("fileexchange.filepackage.create", object_id=str(package.pk))
    assert entry.changes["items"] == ["姓名", "公民身份号码", "登记日期"] and entry.changes["unmasked"] == ["登记日期"]


def test_unmasked_items_and_row_filter(dataset, consumer_official):
    r = make_recipient(dataset, unmasked_items=["公民身份号码"],
                       row_filter=[{"item": "登记日期", "op": "gte", "value": "2024-01-01"}])
    package = services.package_create(actor=consumer_official, grant=r.grant, fmt="csv")
    _manifest, data = _open(package, r.private_key)
    rows = _csv_rows(data)[1:]
    assert sorted(row[1] for row in rows) == ["360602199001011234", "360603198505052345"]
    assert {row[0] for row in rows} == {"张*", "李*"}


def test_xlsx_and_parquet(recipient, consumer_official):
    from openpyxl import load_workbook

    package = services.package_create(actor=consumer_official, grant=recipient.grant, fmt="xlsx")
    _m, data = _open(package, recipient.private_key)
    sheet = load_workbook(io.BytesIO(data), read_only=True).active
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[0] == ["xm", "sfzh", "djrq"] and len(values) == len(ROWS) + 1
    assert ["张*", "3606**********1234", "2024-03-01"] in values
    assert any(str(v[0]).startswith("'=") for v in values[1:])  # stored as text, never a formula

    import pyarrow.parquet as pq  # in the test extra, so this path always runs
    package = services.package_create(actor=consumer_official, grant=recipient.grant, fmt="parquet")
    manifest, data = _open(package, recipient.private_key)
    table = pq.read_table(io.BytesIO(data))
    assert table.column_names == ["xm", "sfzh", "djrq"] and table.num_rows == len(ROWS)
    assert "3606**********1234" in table.column("sfzh").to_pylist()
    assert manifest["data"]["format"] == "parquet"


def test_parquet_without_pyarrow_is_a_clear_422(recipient, consumer_official, monkeypatch):
    monkeypatch.setattr(build, "parquet_available", lambda: False)
    with pytest.raises(DgovError) as refused:
        services.package_create(actor=consumer_official, grant=recipient.grant, fmt="parquet")
    assert refused.value.status == 422 and refused.value.code == "format_unavailable"
    assert "pyarrow" in str(refused.value.message)
    assert not FilePackage.objects.exists()


def test_signature_verifies_and_tampering_is_detected(recipient, consumer_official):
    package = services.package_create(actor=consumer_official, grant=recipient.grant, fmt="csv")
    original = services.package_path(package).read_bytes()
    with zipfile.ZipFile(io.BytesIO(original)) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    assert set(files) == {"manifest.json", "manifest.sig", "key.enc", "data.csv.enc"}
    assert signing.verify(files["manifest.json"], files["manifest.sig"], package.signing_key_version)
    assert files["manifest.json"].decode() == package.manifest
    assert build.lib.sm3(original).hex() == package.package_sm3

    def rezip(**changes) -> bytes:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as archive:
            for name, content in {**files, **changes}.items():
                archive.writestr(name, content)
        return out.getvalue()

    def flip(data: bytes, at: int = -1) -> bytes:
        changed = bytearray(data)
        changed[at] ^= 1
        return bytes(changed)

    manifest = json.loads(files["manifest.json"])
    manifest["data"]["rows"] += 1
    cases = {
        "the manifest's signature does not verify": rezip(**{"manifest.json": json.dumps(manifest).encode()}),
        "the encrypted data file does not match": rezip(**{"data.csv.enc": flip(files["data.csv.enc"])}),
        "key.enc does not match": rezip(**{"key.enc": flip(files["key.enc"])}),
    }
    for reason, tampered in cases.items():
        with pytest.raises(build.PackageError, match=reason):
            build.open_package(tampered, recipient.private_key, platform_pem())
    # someone else's key cannot open it
    with pytest.raises(build.PackageError, match="cannot be decrypted"):
        build.open_package(original, SM2PrivateKey.generate(), platform_pem())
    assert build.open_package(original, recipient.private_key, platform_pem())[0]["package_id"] == package.package_id


def test_refusals(dataset, consumer_official, settings):
    from dgov.sharing.services import revoke

    hmac_only = make_recipient(dataset, algorithm="HMAC-SM3")
    with pytest.raises(DgovError) as refused:
        services.package_create(actor=consumer_official, grant=hmac_only.grant, fmt="csv")
    assert refused.value.code == "no_sm2_credential" and "SM2" in str(refused.value.message)

    r = make_recipient(dataset)
    settings.DGOV_FILEEXCHANGE_MAX_ROWS = 3
    with pytest.raises(DgovError) as refused:
        services.package_create(actor=consumer_official, grant=r.grant, fmt="csv")
    assert (refused.value.status, refused.value.code) == (422, "too_large")
    settings.DGOV_FILEEXCHANGE_MAX_ROWS = 10
    settings.DGOV_FILEEXCHANGE_MAX_BYTES = 100
    with pytest.raises(DgovError) as refused:
        services.package_create(actor=consumer_official, grant=r.grant, fmt="csv")
    assert refused.value.code == "too_large"
    settings.DGOV_FILEEXCHANGE_MAX_BYTES = 10**6

    from dgov.catalog.testing import make_superuser

    revoke(actor=make_superuser(), grant=r.grant, reason="测试：撤销")
    r.grant.refresh_from_db()
    with pytest.raises(DgovError) as refused:
        services.package_create(actor=consumer_official, grant=r.grant, fmt="csv")
    assert refused.value.code == "grant_not_usable"
    assert not FilePackage.objects.exists()
    assert not any(p.is_file() for p in build.package_dir().rglob("*"))


def test_api_shared_entries_get_no_packages(datastore, consumer_official):  # noqa: F811 (fixture)
    from dgov.aggregation.testing import make_dataset

    ds = make_dataset(sharing_method="api")
    datastore.upsert(ds, ROWS)
    r = make_recipient(ds)
    with pytest.raises(DgovError) as refused:
        services.package_create(actor=consumer_official, grant=r.grant, fmt="csv")
    assert refused.value.code == "sharing_method"


def test_scope_of_preparing(recipient, provider_official, outsider, centre):
    assert services.package_create(actor=provider_official, grant=recipient.grant, fmt="csv").rows == len(ROWS)
    assert services.package_create(actor=centre, grant=recipient.grant, fmt="csv").rows == len(ROWS)
    assert services.package_create(actor=recipient.application.account, grant=recipient.grant, fmt="csv")
    with pytest.raises(DgovError) as refused:
        services.package_create(actor=outsider, grant=recipient.grant, fmt="csv")
    assert refused.value.status == 404


def test_download_is_recorded_expires_and_follows_the_grant(recipient, consumer_official, provider_official,
                                                             centre):
    from django.utils import timezone

    from dgov.catalog.testing import make_superuser
    from dgov.sharing.services import revoke

    package = services.package_create(actor=provider_official, grant=recipient.grant, fmt="csv")
    data = services.download(actor=consumer_official, package=package, channel="page")
    assert build.lib.sm3(data).hex() == package.package_sm3
    assert package.downloads.get().username == consumer_official.username
    assert audited("fileexchange.filepackage.download", object_id=str(package.pk))
    for not_the_recipient in (provider_official, centre):
        with pytest.raises(DgovError) as refused:
            services.download(actor=not_the_recipient, package=package, channel="page")
        assert refused.value.status in (403, 404)
    services.download(actor=recipient.application.account, package=package, channel="api")
    assert package.downloads.count() == 2

    FilePackage.objects.filter(pk=package.pk).update(expires_at=timezone.now())
    package.refresh_from_db()
    with pytest.raises(DgovError) as refused:
        services.download(actor=consumer_official, package=package, channel="page")
    assert (refused.value.status, refused.value.code) == (410, "expired")
    assert services.purge_expired() == 1
    assert not services.package_path(package).exists()

    fresh = services.package_create(actor=consumer_official, grant=recipient.grant, fmt="csv")
    revoke(actor=make_superuser(), grant=recipient.grant, reason="测试：撤销")
    with pytest.raises(DgovError) as refused:
        services.download(actor=consumer_official, package=fresh, channel="page")
    assert (refused.value.status, refused.value.code) == (403, "grant_ended")
