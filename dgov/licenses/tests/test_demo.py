"""The demo licences: credit codes only where missing, three types, two seals, three licences for the demo
enterprise and citizen (watermarked), nothing twice; without a font, no licences and the reason said."""

import pytest

from dgov.licenses import demo
from dgov.licenses.models import License, LicenseType, Seal
from dgov.orgs.models import Department

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_accounts(settings, tmp_path):
    from dgov.accounts.demo import load_demo

    settings.DATA_DIR = tmp_path
    load_demo()


def test_the_demo_issues_once_for_the_demo_holders(demo_accounts):
    from dgov.core.validators import credit_code_check_char

    own = "11360600MA0000000" + credit_code_check_char("11360600MA0000000")
    Department.objects.filter(code=demo.MARKET).update(credit_code=own)  # a city's own code stays
    first = demo.load_demo()
    assert (first["licenses"], first["seals"]) == (4, 3)
    assert Department.objects.get(code=demo.MARKET).credit_code == own
    police = Department.objects.get(code=demo.POLICE)
    assert police.credit_code == demo.demo_credit_code(police)
    assert LicenseType.objects.filter(is_demo=True).count() == 4 and Seal.objects.filter(is_demo=True).count() == 3
    assert all(lic.is_demo for lic in License.objects.all())
    from dgov.licenses import identifier
    from dgov.licenses.verification import verify_identifier

    for lic in License.objects.all():  # every issued identifier: its check character validates …
        assert identifier.is_valid_check(lic.identifier) and str(identifier.parse(lic.identifier)) == lic.identifier
        assert verify_identifier(lic.identifier).valid
        wrong = lic.identifier[:-1] + ("0" if lic.identifier[-1] != "0" else "1")
        assert not identifier.is_valid_check(wrong)  # … and a wrong one is refused
        with pytest.raises(identifier.IdentifierError):
            identifier.parse(wrong)
        assert verify_identifier(wrong).failed == ["identifier"]
    again = demo.load_demo()
    assert (again["licenses"], again["seals"]) == (0, 0) and License.objects.count() == 4
    from dgov.accounts.models import User
    from dgov.licenses.selectors import wallet

    assert sorted(lic.license_type.name for lic in wallet(User.objects.get(username="citizen"))) == [
        "不动产权证书", "居住证"]
    assert sorted(lic.license_type.name for lic in wallet(User.objects.get(username="enterprise"))) == [
        "营业执照", "食品经营许可证"]


def test_without_a_font_the_demo_says_so(demo_accounts, settings, monkeypatch):
    from dgov.licenses import render

    def missing():
        raise render.FontMissing("no CJK font: apt-get install fonts-wqy-microhei")

    monkeypatch.setattr(render, "find_font", missing)
    result = demo.load_demo()
    assert result["licenses"] == 0 and "fonts-wqy-microhei" in result["note"]
