"""The Content Security Policy (no inline script or style, everything from 'self') holds on the
pages people use: the browser reports no violation and no script error."""

import pytest

from .support import is_csp_message, log_in

pytestmark = pytest.mark.e2e

ANONYMOUS = ["/", "/accounts/login/", "/accounts/register/", "/accounts/register/?kind=enterprise",
             "/accounts/password-reset/", "/no-such-page/"]
OFFICIAL = ["/workbench/", "/workbench/data/", "/workbench/system/", "/system/users/", "/system/roles/",
            "/system/departments/", "/system/regions/", "/accounts/profile/", "/accounts/profile/tokens/new/",
            "/system/users/add/"]


def visit(page, paths):
    statuses = {}
    for path in paths:
        response = page.goto(path)
        page.wait_for_load_state("load")
        statuses[path] = response.status
    return statuses


def test_no_csp_violation_or_script_error(browsing, accounts, admin_state):
    page = browsing.page()
    # The policy is really in force on these pages.
    response = page.goto("/")
    policy = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy, policy
    statuses = visit(page, ANONYMOUS)
    assert statuses["/no-such-page/"] == 404
    assert all(s == 200 for p, s in statuses.items() if p != "/no-such-page/"), statuses

    citizen = browsing.page()
    log_in(citizen, accounts["citizen"])
    assert visit(citizen, ["/accounts/profile/", "/accounts/profile/personal-data/", "/"]) == {
        "/accounts/profile/": 200, "/accounts/profile/personal-data/": 200, "/": 200}

    admin = browsing.page(state=admin_state)
    statuses = visit(admin, OFFICIAL)
    assert all(s == 200 for s in statuses.values()), statuses
    # Scripts ran: the bootstrap dropdown opens, HTMX is loaded, app.js marked the document.
    admin.locator("#main-nav .dropdown-toggle").click()
    admin.locator("#main-nav .dropdown-menu.show").wait_for()
    assert admin.evaluate("() => typeof window.htmx === 'object' && document.documentElement.classList.contains('js')")

    csp = [m for m in browsing.console if is_csp_message(m[1])]
    assert not csp, csp
    errors = [m for m in browsing.console if m[0] in ("error", "pageerror")
              and "the server responded with a status of 404" not in m[1]]
    assert not errors, errors
