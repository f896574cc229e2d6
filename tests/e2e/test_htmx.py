"""HTMX tables: changing a filter replaces only the table and pushes the new URL."""

from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from .support import screenshot

pytestmark = pytest.mark.e2e


def test_filter_updates_the_table_in_place(browsing, admin_state):
    page = browsing.page(state=admin_state)
    assert page.goto("/system/departments/").status == 200
    count = page.locator("#object-table nav span").first
    before = count.inner_text()
    # Markers that a full page load would wipe out: a JS global and an attribute on the heading.
    page.evaluate("() => { window.__e2eMarker = 'kept'; document.querySelector('h1').dataset.e2e = 'kept'; }")
    kind = page.locator("#id_kind")
    choice = kind.locator("option").nth(1).get_attribute("value")
    assert choice
    with page.expect_request(lambda r: "/system/departments/" in r.url and "kind=" in r.url) as req_info:
        kind.select_option(choice)
    request = req_info.value
    assert request.headers.get("hx-request") == "true", request.headers
    assert request.headers.get("hx-target") == "object-table"
    response = request.response()
    assert response.status == 200
    assert "<html" not in response.text()  # only the table fragment came back
    expect(count).not_to_have_text(before)
    page.wait_for_url(lambda url: parse_qs(urlsplit(url).query).get("kind") == [choice])
    assert page.evaluate("() => window.__e2eMarker") == "kept"
    expect(page.locator("h1")).to_have_attribute("data-e2e", "kept")
    expect(kind).to_have_value(choice)
    screenshot(page, "departments-filtered")

    # Sorting goes the same way, keeping the filter.
    header = page.locator("#object-table thead th a").first
    with page.expect_request(lambda r: "sort=" in r.url) as sort_info:
        header.click()
    assert sort_info.value.headers.get("hx-request") == "true"
    page.wait_for_url(lambda url: "sort=" in url and f"kind={choice}" in url)
    expect(page.locator("#object-table thead th[aria-sort]")).to_have_count(1)
    assert page.evaluate("() => window.__e2eMarker") == "kept"

    # Back restores the previous state from history.
    page.go_back()
    page.wait_for_url(lambda url: "sort=" not in url)
