"""The pages under 数据平台 → 文件交换: list (scoped), prepare (grants offered, refusals as form
errors), a package's page (manifest, downloads) and its download (consumer side only)."""

import pytest

from dgov.core.testing import signed_in, zh
from dgov.fileexchange import services
from dgov.fileexchange.models import FilePackage
from dgov.sharing.testing import GUIXI_HRSS

from .conftest import make_recipient

pytestmark = pytest.mark.django_db
LIST = "/data/exchange/packages/"


def test_prepare_show_and_download(recipient, consumer_official):
    client = signed_in(consumer_official)
    form = client.get(f"{LIST}add/")
    assert form.status_code == 200 and recipient.grant.entry.name in form.content.decode()
    done = client.post(f"{LIST}add/", {"grant": recipient.grant.pk, "format": "csv"})
    package = FilePackage.objects.get()
    assert done.status_code == 302 and done["Location"] == f"{LIST}{package.pk}/"
    page = client.get(done["Location"]).content.decode()
    assert package.package_id in page and "dgov-file-package/1" in page and zh("Not downloaded yet.") in page
    download = client.get(f"{LIST}{package.pk}/download/")
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"
    assert b"".join([download.content]) == services.package_path(package).read_bytes()
    page = client.get(f"{LIST}{package.pk}/").content.decode()
    assert consumer_official.display_name in page and zh("page (official)") in page
    listed = client.get(LIST).content.decode()
    assert package.package_id in listed
    assert client.get(f"{LIST}signing-key.pem").content.decode().startswith("-----BEGIN PUBLIC KEY-----")


def test_refusal_is_a_form_error(dataset, consumer_official):
    hmac_only = make_recipient(dataset, algorithm="HMAC-SM3")
    response = signed_in(consumer_official).post(f"{LIST}add/", {"grant": hmac_only.grant.pk, "format": "csv"})
    assert response.status_code == 422
    assert "SM2" in response.content.decode() and not FilePackage.objects.exists()


def test_scope_of_the_pages(recipient, dataset, consumer_official, provider_official, outsider, world):
    theirs = make_recipient(dataset, department=GUIXI_HRSS)
    mine = services.package_create(actor=consumer_official, grant=recipient.grant, fmt="csv")
    other = services.package_create(actor=provider_official, grant=theirs.grant, fmt="csv")
    client = signed_in(consumer_official)
    assert client.get(f"{LIST}{other.pk}/").status_code == 404
    assert client.get(f"{LIST}{other.pk}/download/").status_code == 404
    # the provider sees both but downloads neither
    provider = signed_in(provider_official)
    page = provider.get(f"{LIST}{mine.pk}/")
    assert page.status_code == 200 and f"{LIST}{mine.pk}/download/" not in page.content.decode()
    assert provider.get(f"{LIST}{mine.pk}/download/").status_code == 404
    assert signed_in(outsider).get(f"{LIST}{mine.pk}/").status_code == 404
    assert signed_in(world.official).get(LIST).status_code == 403
    # the grant of another consumer is not offered to the consumer's official
    form = client.get(f"{LIST}add/").content.decode()
    assert f'value="{theirs.grant.pk}"' not in form and f'value="{recipient.grant.pk}"' in form
