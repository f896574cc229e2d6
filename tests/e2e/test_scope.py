"""Data scope in the UI: a county administrator sees only their county's users, and another
county's user answers 404."""

import re

import pytest
from playwright.sync_api import expect

from .support import screenshot

pytestmark = pytest.mark.e2e

GUIXI_USERS = ("guixi_admin", "gx_staff1", "gx_staff2")


def usernames(page) -> set[str]:
    return set(page.locator("#object-table tbody tr td:first-child a").all_inner_texts())


def test_county_admin_sees_only_their_county(browsing, admin_state, yujiang_state):
    admin = browsing.page(state=admin_state)
    admin.goto("/system/users/?q=guixi_admin")
    link = admin.locator("#object-table tbody a", has_text="guixi_admin")
    expect(link).to_have_count(1)
    detail = link.get_attribute("href")
    assert re.fullmatch(r"/system/users/\d+/", detail), detail
    assert admin.goto(detail).status == 200

    page = browsing.page(state=yujiang_state)
    response = page.goto("/system/users/")
    assert response.status == 200
    names = usernames(page)
    assert {"yujiang_admin", "yj_staff1", "yj_staff2"} <= names, names
    assert not names & {*GUIXI_USERS, "yuehu_admin", "yh_staff1", "admin"}, names
    table = page.locator("#object-table")
    expect(table).not_to_contain_text("贵溪")
    expect(table).not_to_contain_text("月湖")
    screenshot(page, "users-yujiang")
    # Filtering by 贵溪市 finds nothing either: the filter narrows the scope, never widens it.
    page.goto("/system/users/?region=" + admin.locator("#id_region option", has_text="贵溪市").first
              .get_attribute("value"))
    expect(page.locator("#object-table tbody tr")).to_have_count(1)
    assert usernames(page) == set()

    response = page.goto(detail)
    assert response.status == 404
    expect(page.locator("main h1")).to_have_text("页面不存在")
    expect(page.locator("main")).not_to_contain_text("guixi_admin")
    expect(page.locator("main a[href='/']")).to_be_visible()
    screenshot(page, "user-out-of-scope-404")
