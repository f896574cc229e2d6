"""The data-service gateway in a real browser against `dgov serve`, with real signed HTTP calls:

- 余江区's administrator creates an HMAC-SM3 credential for the demo consumer application, sees the
  secret once, sees what the application may call, and disables the credential: a call signed with
  it is refused at once (401 `credential_disabled`);
- the demo credential (from the demo file) calls the demo data service over HTTP: masked rows; the
  same signed request again is refused (401 `replayed`);
- the big-data centre's reviewer finds both calls in the exchange log, filters the refused one,
  verifies the chain, downloads the export and verifies it offline, and opens the service's page
  with its OpenAPI description.

Every page passes axe-core (WCAG 2.2 AA)."""

import json
import urllib.error
import urllib.request
from urllib.parse import urlencode

import pytest
from playwright.sync_api import expect

from dgov.exchange import offline
from dgov.exchange.testing import Consumer, signed_headers

from .support import axe_violations, format_violations, screenshot

pytestmark = pytest.mark.e2e

CREDENTIALS = "/data/exchange/credentials/"
LOG = "/data/exchange/log/"
DEMO_APP = "demo-yj-hrss"


def http_get(server, consumer: Consumer, path: str, params: dict | None = None, headers: dict | None = None):
    """A signed GET over HTTP: (status, JSON body, response headers, the headers sent)."""
    query = urlencode(params or {})
    sent = headers or signed_headers(consumer, path, query)
    request = urllib.request.Request(server.url + path + ("?" + query if query else ""), headers=sent)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read()), response.headers, sent
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read()), refused.headers, sent


def assert_accessible(browsing, state, url):
    checked = browsing.page(state=state, bypass_csp=True)
    assert checked.goto(url).status == 200
    violations = axe_violations(checked)
    assert not violations, format_violations(checked.url, violations)


def test_a_credential_is_created_shown_once_and_disabled(browsing, server, yujiang_state):
    page = browsing.page(state=yujiang_state)
    assert page.goto("/workbench/data/").status == 200
    with page.expect_navigation():
        page.locator(f"main a[href='{CREDENTIALS}']").click()
    with page.expect_navigation():
        page.locator(f"main a[href='{CREDENTIALS}add/']").click()
    option = page.locator("#id_application option", has_text=DEMO_APP)
    page.select_option("#id_application", option.get_attribute("value"))
    expect(page.locator("#id_algorithm")).to_have_value("HMAC-SM3")
    with page.expect_navigation() as nav:
        page.locator("main form button[type=submit]").click()
    assert nav.value.status == 200
    secret = page.locator("#new-secret").inner_text().strip()
    key_id = page.locator("#key-id").inner_text().strip()
    assert len(secret) >= 40 and key_id.startswith(DEMO_APP + ".")
    screenshot(page, "exchange-credential-created")
    created_url = page.url.removeprefix(server.url)
    assert_accessible(browsing, yujiang_state, CREDENTIALS)

    # the secret works at once, and is never shown again
    mine = Consumer(DEMO_APP, key_id, secret)
    status, body, _headers, _sent = http_get(server, mine, "/exchange/v1/allowed")
    assert status == 200 and body["services"], body
    with page.expect_navigation():
        page.locator(f"main a[href='{CREDENTIALS}{key_id}/']").click()
    assert secret not in page.content()

    # what the application may call
    with page.expect_navigation():
        page.locator(f"main a[href='/data/exchange/applications/{DEMO_APP}/allowed/']").click()
    service = page.locator("section.allowed-service").first
    expect(service).to_contain_text(body["services"][0]["name"])
    expect(service.locator("table tbody tr")).to_have_count(len(body["services"][0]["columns"]))
    screenshot(page, "exchange-allowed")
    assert_accessible(browsing, yujiang_state, page.url.removeprefix(server.url))

    # disabled: refused by the gateway at once
    page.go_back()
    with page.expect_navigation():
        page.locator("main form button.btn-outline-danger").click()
    expect(page.locator("main .alert-success")).to_be_visible()
    expect(page.locator("main form button.btn-gov")).to_be_visible()  # 启用 now
    screenshot(page, "exchange-credential-disabled")
    assert_accessible(browsing, yujiang_state, f"{CREDENTIALS}{key_id}/")
    status, body, _headers, _sent = http_get(server, mine, "/exchange/v1/allowed")
    assert (status, body["code"]) == (401, "credential_disabled")
    assert created_url.startswith(CREDENTIALS)


def test_the_centre_finds_verifies_and_exports_the_calls(browsing, server, data_centre_state):
    [demo] = json.loads((server.data_dir / "demo-exchange-credentials.json").read_text(encoding="utf-8"))
    consumer = Consumer(demo["application"], demo["key_id"], demo["secret"])
    status, allowed, _h, _s = http_get(server, consumer, "/exchange/v1/allowed")
    assert status == 200, allowed
    service = allowed["services"][0]
    status, rows, headers, sent = http_get(server, consumer, service["url"], {"limit": 5})
    assert status == 200 and rows["items"], rows
    masked = [c["column"] for c in service["columns"] if c["masked"]]
    assert masked and all("*" in row[masked[0]] for row in rows["items"] if row[masked[0]])
    ok_id = headers["X-Request-Id"]
    status, refused, refused_headers, _s = http_get(server, consumer, service["url"], {"limit": 5}, headers=sent)
    assert (status, refused["code"]) == (401, "replayed")
    refused_id = refused_headers["X-Request-Id"]

    page = browsing.page(state=data_centre_state)
    assert page.goto(LOG).status == 200
    table = page.locator("#object-table")
    expect(table).to_contain_text(ok_id)
    expect(table).to_contain_text(refused_id)
    page.select_option("#id_outcome", "refused")
    expect(table).not_to_contain_text(ok_id)
    expect(table).to_contain_text(refused_id)
    screenshot(page, "exchange-log-refused")
    assert page.goto(LOG).status == 200
    with page.expect_navigation():
        page.locator(f"form[action='{LOG}verify/'] button").click()
    expect(page.locator("main .alert-success")).to_be_visible()
    screenshot(page, "exchange-log-verified")
    with page.expect_download() as download:
        page.locator(f"main a[href='{LOG}chain.jsonl']").click()
    lines = download.value.path().read_text(encoding="utf-8").splitlines()
    ok, checked, message = offline.verify_lines(lines)
    assert ok and checked >= 3, message  # at least this test's calls: /allowed, the rows, the refused replay
    assert_accessible(browsing, data_centre_state, LOG)

    url = f"/data/exchange/services/{service['service_code']}/"
    assert page.goto(url).status == 200
    expect(page.locator("pre.service-openapi")).not_to_be_visible()  # folded: the columns come first
    screenshot(page, "exchange-service")
    page.locator("details.service-openapi-details summary").click()
    expect(page.locator("pre.service-openapi")).to_contain_text('"openapi": "3.1.0"')
    assert_accessible(browsing, data_centre_state, url)
