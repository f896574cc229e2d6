"""Helpers shared by the browser tests: logging in (with TOTP), accessibility checks with the
vendored axe-core, screenshots, and valid identity numbers."""

import json
import random
import time
from pathlib import Path

import pyotp

E2E_DIR = Path(__file__).resolve().parent
ARTIFACTS = E2E_DIR / "artifacts"
AXE_JS = E2E_DIR / "vendor" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

NAV_ZH = {"data": "数据平台", "cityops": "城市运行", "system": "系统管理", "workbench": "工作台",
          "portal": "政务服务"}
NAV_EN = {"data": "Data platform", "cityops": "City operations", "system": "System administration",
          "workbench": "Workbench", "portal": "Government services"}
SECTION_URLS = {"data": "/workbench/data/", "cityops": "/workbench/cityops/", "system": "/workbench/system/",
                "workbench": "/workbench/", "portal": "/"}

# --- one-time codes ----------------------------------------------------------------------------
# The server refuses a code whose 30-second step is not newer than the last one it accepted
# (replay protection) and accepts the next step for clock drift. Every login of the test run takes
# a step newer than the previous login of the same account: the current one, else the next one.
_last_step: dict[str, int] = {}


def totp_code(secret: str) -> str:
    now_step = int(time.time()) // 30
    step = max(now_step, _last_step.get(secret, now_step - 1) + 1)
    if step > now_step + 1:
        raise AssertionError("more than two logins of one account within 30 seconds: the server would refuse "
                             "the code as a replay; reuse the logged-in browser state instead")
    _last_step[secret] = step
    return pyotp.TOTP(secret).at(step * 30)


def log_in(page, account: dict) -> None:
    """Log in through the login form and, when the account has one, the second-factor form."""
    page.goto("/accounts/login/")
    page.fill("#id_username", account["username"])
    page.fill("#id_password", account["password"])
    with page.expect_navigation():
        page.press("#id_password", "Enter")
    if account.get("totp_secret"):
        assert page.url.endswith("/accounts/login/otp/"), f"no second-factor step: {page.url}"
        page.fill("#id_code", totp_code(account["totp_secret"]))
        with page.expect_navigation():
            page.press("#id_code", "Enter")
    assert "/accounts/login" not in page.url, f"login failed: {page.url}\n{page.inner_text('main')}"


# --- identity numbers -------------------------------------------------------------------------
_ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def id_check_char(first17: str) -> str:
    """GB 11643 check character (ISO 7064 MOD 11-2), computed independently of the application."""
    return "10X98765432"[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def valid_id_number(region6: str = "360602") -> str:
    rng = random.SystemRandom()
    first17 = f"{region6}19{rng.randrange(60, 100):02d}{rng.randrange(1, 13):02d}{rng.randrange(1, 29):02d}" \
              f"{rng.randrange(0, 1000):03d}"
    return first17 + id_check_char(first17)


def invalid_id_number() -> str:
    """A well-formed number whose check character is wrong."""
    good = valid_id_number()
    wrong = next(c for c in "0123456789X" if c != good[-1])
    return good[:-1] + wrong


# --- screenshots and accessibility ------------------------------------------------------------

def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    # caret="initial": hiding the caret makes Playwright write style attributes into the page.
    page.screenshot(path=str(path), full_page=True, caret="initial")
    return path


def axe_violations(page, *, min_impact=("serious", "critical")) -> list[dict]:
    """Run axe-core (vendored) on the page with the WCAG 2.2 AA rule tags; return the violations
    of the given impacts, reduced to what a reader needs."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_JS))
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        AXE_TAGS)
    out = []
    for v in result["violations"]:
        if v.get("impact") in min_impact:
            out.append({"id": v["id"], "impact": v["impact"], "help": v["help"],
                        "nodes": [{"target": n["target"], "summary": n.get("failureSummary", "")}
                                  for n in v["nodes"][:5]]})
    return out


def format_violations(url: str, violations: list[dict]) -> str:
    return f"axe-core found serious/critical WCAG 2.2 AA violations on {url}:\n" + json.dumps(
        violations, ensure_ascii=False, indent=2)


# --- Content Security Policy ---------------------------------------------------------------
# Runs before the page's own scripts (injected by the browser, so the CSP does not stop it): says
# which element or file broke the policy, which the browser's own message leaves out.
CSP_REPORTER = """
document.addEventListener('securitypolicyviolation', (e) => {
  const t = e.target && e.target.outerHTML ? e.target.outerHTML.slice(0, 200) : String(e.target);
  console.warn(`Content Security Policy violation: ${e.violatedDirective} by ${e.sourceFile}:${e.lineNumber}:` +
               `${e.columnNumber} sample=${JSON.stringify(e.sample)} target=${t}`);
});
"""


def is_csp_message(text: str) -> bool:
    return "Content Security Policy" in text or "Content-Security-Policy" in text


# --- checks every page test makes -----------------------------------------------------------------
def assert_fits(page, width: int = 375) -> None:
    """The page does not scroll sideways on a screen `width` pixels wide."""
    widths = page.evaluate("() => [document.documentElement.scrollWidth, document.body.scrollWidth]")
    assert max(widths) <= width, f"{page.url} is {widths} px wide on a {width} px screen"


def assert_accessible(browsing, page) -> None:
    """axe-core on `page`'s address as its session sees it, in a second context that lets the checker's script
    in (the test itself runs under the real Content Security Policy)."""
    checked = browsing.page(state=page.context.storage_state(), bypass_csp=True)
    checked.goto(page.url)
    violations = axe_violations(checked)
    assert not violations, format_violations(checked.url, violations)
