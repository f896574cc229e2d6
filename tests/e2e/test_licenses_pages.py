"""Electronic licences in a real browser against `dgov serve` with the demo data:

- the city administrator issues a 居住证 on 数据平台 → 电子证照 (the form built from the type's fields),
  downloads the sealed PDF, rasterises its face with `pdftoppm -png` (headless Chromium has no PDF viewer;
  the PNG is kept under tests/e2e/artifacts for a look at the Chinese face), decodes the QR code on that
  picture (zxing-cpp), checks it is the licence's verification URL (the same as printed beside it), opens
  the verification page at the decoded URL and sees 有效 with every check passed and the holder's name
  masked;
- the seal registry shows the seal's picture;
- the demo citizen grants 余江区行政审批局 access to her 居住证 in her wallet; 余江区's administrator pulls
  it from 授权调用的证照; the citizen sees the use; on a phone the wallet and the verification page fit.

Every page passes axe-core (WCAG 2.2 AA)."""

import re
import shutil
import subprocess
from urllib.parse import parse_qs, urlsplit, urlunsplit

import pytest
from playwright.sync_api import expect

from dgov.core.testing import zh

from .support import ARTIFACTS, axe_violations, format_violations, log_in, screenshot, valid_id_number

pytestmark = pytest.mark.e2e

LIST = "/data/licenses/"
YUEHU_POLICE = "360602904"
YUJIANG_APPROVAL = "360603907"


def assert_accessible(browsing, state, url):
    checked = browsing.page(state=state, bypass_csp=True)
    assert checked.goto(url).status == 200
    violations = axe_violations(checked)
    assert not violations, format_violations(checked.url, violations)


def assert_fits(page, width=375):
    widths = page.evaluate("() => [document.documentElement.scrollWidth, document.body.scrollWidth]")
    assert max(widths) <= width, f"{page.url} is {widths} px wide on a {width} px screen"


def face_text(pdf_path) -> str:
    """The text of the face (pdftotext): the Chinese is real text in an embedded font, not pictures."""
    return subprocess.run(["pdftotext", "-layout", str(pdf_path), "-"], capture_output=True, text=True,
                          timeout=60, check=True).stdout


def printed_url(text: str) -> str:
    """The verification URL printed on the face beside the QR code."""
    found = re.search(r"https?://\S+/licenses/verify/\?id=[0-9A-Z.]+", text)
    assert found, text
    return found.group(0)


def qr_url(png_path) -> str:
    """What the one QR code on the rasterised face holds."""
    import zxingcpp
    from PIL import Image

    with Image.open(png_path) as image:
        codes = [c for c in zxingcpp.read_barcodes(image) if c.format == zxingcpp.BarcodeFormat.QRCode]
    assert len(codes) == 1, f"{len(codes)} QR codes found on {png_path}"
    return codes[0].text


def on_server(url: str, server) -> str:
    """`url` on the live server: the QR code holds DGOV_PUBLIC_URL (the server's default, since the
    e2e server runs without DGOV_* variables), the page is the same on the test server's host and port."""
    parts, live = urlsplit(url), urlsplit(server.url)
    return urlunsplit((live.scheme, live.netloc, parts.path, parts.query, ""))


def test_an_official_issues_a_licence_and_anyone_verifies_it(browsing, server, admin_state, tmp_path):
    page = browsing.page(state=admin_state)
    assert page.goto("/workbench/data/").status == 200
    with page.expect_navigation():
        page.locator(f"main a[href='{LIST}']").click()
    with page.expect_navigation():
        page.locator("main a[href='/data/licenses/issue/']").click()
    with page.expect_navigation():
        page.locator(".license-types a", has_text="居住证").click()
    department = page.locator("#id_issuer option", has_text=YUEHU_POLICE)
    page.select_option("#id_issuer", department.get_attribute("value"))
    page.fill("#id_holder_name", "王小明")
    page.fill("#id_holder_code", valid_id_number("360602"))
    page.select_option("#id_f_sex", "男")
    page.fill("#id_f_born", "1990-05-06")
    page.fill("#id_f_address", "江西省鹰潭市月湖区站江路8号")
    screenshot(page, "licenses-issue")
    with page.expect_navigation():
        page.locator("form.issue-form button[type=submit]").click()
    expect(page.locator("main .alert-success")).to_be_visible()
    expect(page.locator(".license-status")).to_have_text(zh("valid"))
    identifier = page.locator("dd.license-identifier").inner_text().strip()
    assert identifier.startswith("1.2.156.3005.2.")
    detail = page.url.removeprefix(server.url)
    screenshot(page, "licenses-detail")

    # the sealed file: download it, look at its face, and decode the QR code on it
    with page.expect_download() as download:
        page.locator("a.license-download").click()
    pdf = tmp_path / "licence.pdf"
    shutil.copy(download.value.path(), pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    subprocess.run(["pdftoppm", "-png", "-r", "110", "-singlefile", str(pdf), str(ARTIFACTS / "licenses-face")],
                   check=True, timeout=60)
    face = browsing.page()
    face.goto((ARTIFACTS / "licenses-face.png").as_uri())
    screenshot(face, "licenses-face-in-browser")
    url = qr_url(ARTIFACTS / "licenses-face.png")
    parts = urlsplit(url)
    assert parts.scheme in ("http", "https") and parts.path == "/licenses/verify/", url
    assert parse_qs(parts.query) == {"id": [identifier]}, url
    text = face_text(pdf)
    assert printed_url(text) == url  # the URL printed beside the QR code is the same
    assert "王小明" in text and "居住证" in text and "江西省鹰潭市月湖区站江路8号" in re.sub(r"\s", "", text), text

    # the verification page at the QR code's URL, for anyone
    public = browsing.page()
    assert public.goto(on_server(url, server)).status == 200
    assert public.url == on_server(url, server)
    expect(public.locator(".verdict-text")).to_have_text(zh("The licence is valid"))
    expect(public.locator(".check-list li")).to_have_count(10)
    expect(public.locator(".check-list li.check-failed")).to_have_count(0)
    expect(public.locator(".identifier")).to_have_text(identifier)
    expect(public.locator(".holder-masked")).to_have_text("王**")
    expect(public.locator(".maker-fingerprint")).not_to_be_empty()
    screenshot(public, "licenses-verify")

    # the seal registry shows the seal that sealed it
    assert page.goto(f"{LIST}seals/").status == 200
    with page.expect_navigation():
        page.locator("main table a", has_text="鹰潭市公安局月湖分局").first.click()
    seal = page.locator("img.seal-image")
    expect(seal).to_be_visible()
    assert page.evaluate("(img) => img.naturalWidth", seal.element_handle()) > 0
    screenshot(page, "licenses-seal")
    for address in (LIST, f"{LIST}issue/", detail, f"{LIST}types/", f"{LIST}seals/", f"{LIST}statistics/",
                    page.url.removeprefix(server.url)):
        assert_accessible(browsing, admin_state, address)
    assert_accessible(browsing, None, on_server(url, server))


def test_a_citizen_lets_a_department_use_her_licence_and_sees_the_use(browsing, server, accounts, yujiang_state):
    citizen = browsing.page()
    log_in(citizen, accounts["citizen"])
    assert citizen.goto("/licenses/wallet/").status == 200
    card = citizen.locator(".wallet-license", has_text="居住证")
    expect(card).to_have_count(1)
    # Other browser tests on this server (免证办 in an application) may have left grants and uses already.
    grants_before = citizen.locator("table.license-grants tbody tr").count()
    uses_before = citizen.locator("table.license-uses tbody tr").count()
    license_option = citizen.locator("#id_license option", has_text="居住证")
    citizen.select_option("#id_license", license_option.get_attribute("value"))
    department = citizen.locator("#id_department option", has_text=YUJIANG_APPROVAL)
    citizen.select_option("#id_department", department.get_attribute("value"))
    citizen.fill("#id_days", "7")
    with citizen.expect_navigation():
        citizen.locator("form.wallet-grant button[type=submit]").click()
    expect(citizen.locator("main .alert-success")).to_be_visible()
    expect(citizen.locator("table.license-grants tbody tr")).to_have_count(grants_before + 1)
    screenshot(citizen, "licenses-wallet-granted")
    state = citizen.context.storage_state()

    official = browsing.page(state=yujiang_state)
    assert official.goto(f"{LIST}granted/").status == 200
    with official.expect_navigation():
        official.locator("a.granted-open").first.click()
    expect(official.locator("dl.pulled-license")).to_contain_text(accounts["citizen"]["id_number"])
    screenshot(official, "licenses-pulled")

    citizen.reload()
    uses = citizen.locator("table.license-uses tbody tr")
    expect(uses).to_have_count(uses_before + 1)
    expect(uses.filter(has_text="余江区行政审批局")).to_have_count(1)
    screenshot(citizen, "licenses-wallet-used")
    assert_accessible(browsing, state, "/licenses/wallet/")
    assert_accessible(browsing, yujiang_state, f"{LIST}granted/")

    phone = browsing.page(state=state, mobile=True)
    for address in ("/licenses/wallet/", "/licenses/verify/"):
        assert phone.goto(address).status == 200
        assert_fits(phone)
    screenshot(phone, "licenses-wallet-phone")
