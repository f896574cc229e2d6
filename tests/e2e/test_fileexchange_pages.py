"""File exchange in a real browser against `dgov serve`:

- a resource shared by file, loaded with rows, and a grant on it for the demo consumer application are
  set up through the services (the demo data shares its dataset by API only, and its consumer holds an
  HMAC-SM3 credential only: no demo package);
- 余江区's administrator gives the application an SM2 credential (the public key of a key pair the
  test holds), prepares a csv package on 数据平台 → 文件交换, sees its manifest, downloads it, and the
  package opens and verifies with OpenSSL alone (the commands of docs/file-exchange.md) and the
  platform's public key from the page;
- the application downloads it with a signed call; a replay is refused; the page's download history
  shows both downloads.

Every page passes axe-core (WCAG 2.2 AA)."""

import io
import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

from dgov.crypto.primitives import SM2PrivateKey
from dgov.exchange.testing import Consumer, signed_headers

from .support import axe_violations, format_violations, screenshot

pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent
DOC = Path(__file__).resolve().parents[2] / "docs" / "file-exchange.md"
LIST = "/data/exchange/packages/"
DEMO_APP = "demo-yj-hrss"
ENTRY_NAME = "低保对象名册（文件交换端到端测试）"

SETUP = """
import datetime as dt, json
from django.utils import timezone
from dgov.accounts.models import Application
from dgov.aggregation import datastore
from dgov.aggregation.testing import make_dataset
from dgov.catalog.testing import make_superuser
from django.db import transaction
from dgov.core.context import RequestContext, use_context
from dgov.sharing.services import grant_create

with use_context(RequestContext(source="cli")):
    root = make_superuser("e2e_fileexchange_root")
    dataset = make_dataset(actor=root, name=%(name)r, sharing_method="file", sharing_type="conditional",
                           sharing_conditions="依法履职使用")
    datastore.upsert(dataset, [
        {"xm": "张三", "sfzh": "360602199001011234", "lxdh": "13812345678", "djrq": "2024-03-01"},
        {"xm": "李四", "sfzh": "360603198505052345", "lxdh": "13900001111", "djrq": "2025-07-15"},
        {"xm": "欧阳娜娜", "sfzh": "360681197712123456", "lxdh": "13722223333", "djrq": "2023-11-30"}])
    app = Application.objects.get(code=%(app)r)
    now = timezone.now()
    with transaction.atomic():  # grant_create runs inside the approving transaction
        grant = grant_create(actor=root, request=None, application=app, entry=dataset.entry,
                             items=["姓名", "公民身份号码", "登记日期"], valid_from=now - dt.timedelta(minutes=1),
                             expires_at=now + dt.timedelta(days=30))
print(json.dumps({"grant": grant.pk, "code": dataset.entry.code}))
"""


@pytest.fixture(scope="module")
def shared(server) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DGOV_", "DJANGO_", "PROMETHEUS_"))}
    env.update(DGOV_DATA_DIR=str(server.data_dir), DGOV_DATABASE_URL=server.database_url, DGOV_LOG_LEVEL="WARNING")
    done = subprocess.run([str(BIN / "dgov"), "manage", "shell", "-c", SETUP % {"name": ENTRY_NAME, "app": DEMO_APP}],
                          env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, f"setting up the shared resource failed:\n{done.stdout}\n{done.stderr}"
    return json.loads(done.stdout.strip().splitlines()[-1])


def assert_accessible(browsing, state, url):
    checked = browsing.page(state=state, bypass_csp=True)
    assert checked.goto(url).status == 200
    violations = axe_violations(checked)
    assert not violations, format_violations(checked.url, violations)


def signed_download(server, consumer: Consumer, path: str, headers: dict | None = None):
    sent = headers or signed_headers(consumer, path)
    request = urllib.request.Request(server.url + path, headers=sent)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read(), sent
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read(), sent


def openssl_steps() -> str:
    section = DOC.read_text(encoding="utf-8").split("## Opening a package with OpenSSL", 1)[1]
    return re.search(r"```sh\n(.*?)```", section, re.S).group(1)


def test_a_package_is_prepared_downloaded_and_opened_with_openssl(browsing, server, shared, yujiang_state,
                                                                  tmp_path):
    private = SM2PrivateKey.generate()
    page = browsing.page(state=yujiang_state)

    # the application's SM2 credential (数据平台 → 网关凭据)
    assert page.goto("/data/exchange/credentials/add/").status == 200
    option = page.locator("#id_application option", has_text=DEMO_APP)
    page.select_option("#id_application", option.get_attribute("value"))
    page.select_option("#id_algorithm", "SM2")
    page.fill("#id_public_key", private.public_key().to_pem())
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    expect(page.locator("main .alert-success")).to_be_visible()

    # 数据平台 → 文件交换 → prepare
    assert page.goto("/workbench/data/").status == 200
    with page.expect_navigation():
        page.locator(f"main a[href='{LIST}']").click()
    with page.expect_navigation():
        page.locator(f"main a[href='{LIST}add/']").click()
    page.select_option("#id_grant", str(shared["grant"]))
    expect(page.locator("#id_grant option:checked")).to_contain_text(ENTRY_NAME)
    page.select_option("#id_format", "csv")
    screenshot(page, "fileexchange-prepare")
    with page.expect_navigation():
        page.locator("form.package-form button[type=submit]").click()
    expect(page.locator("main .alert-success")).to_be_visible()
    expect(page.locator("pre.package-manifest")).to_contain_text('"format": "dgov-file-package/1"')
    expect(page.locator("table.package-columns tbody tr")).to_have_count(3)
    detail = page.url.removeprefix(server.url)
    key_id = page.locator("dl.package-fields dd.font-monospace").nth(1).inner_text().strip()
    assert key_id.startswith(DEMO_APP + ".")
    screenshot(page, "fileexchange-package")

    # download on the page, then open it with OpenSSL alone
    with page.expect_download() as download:
        page.locator("a.package-download").click()
    package = download.value.path().read_bytes()
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        archive.extractall(tmp_path)
    (tmp_path / "app.key.pem").write_text(private.to_pem())
    pem = page.request.get(f"{LIST}signing-key.pem")
    assert pem.ok
    (tmp_path / "platform.pem").write_bytes(pem.body())
    done = subprocess.run(["bash", "-c", openssl_steps()], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    data = (tmp_path / "data.csv").read_text(encoding="utf-8-sig")
    assert "张*" in data and "3606**********1234" in data and "13812345678" not in data

    # the application's signed download; the same request again is refused
    consumer = Consumer(DEMO_APP, key_id, private_key=private)
    package_pk = detail.strip("/").split("/")[-1]
    path = f"/api/v1/exchange/packages/{package_pk}/download"
    status, body, sent = signed_download(server, consumer, path)
    assert status == 200 and body == package
    status, body, _sent = signed_download(server, consumer, path, headers=sent)
    assert status == 401 and json.loads(body)["code"] == "replayed"

    # the download history
    assert page.goto(detail).status == 200
    history = page.locator("table.package-downloads tbody tr")
    expect(history).to_have_count(2)
    expect(history.first).to_contain_text(DEMO_APP)
    screenshot(page, "fileexchange-downloads")
    for url in (LIST, f"{LIST}add/", detail):
        assert_accessible(browsing, yujiang_state, url)
