"""The licence pages: officials' (types, seals, licences, issue, revoke, re-issue, statistics, pulls),
the public verification page and the holders' wallet."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from dgov.core.testing import audited, signed_in, zh
from dgov.licenses.models import License, LicenseGrant, LicenseType, LicenseUse, Seal, Verification

from .conftest import FIELDS, GUIXI, VALUES, YUJIANG

pytestmark = pytest.mark.django_db
BASE = "/data/licenses"


def test_the_lists_answer_officials_in_scope(world, yujiang_license, guixi_license):
    client = signed_in(world.yujiang_admin)
    page = client.get(f"{BASE}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert str(yujiang_license.serial).zfill(8) in text or yujiang_license.identifier in text
    assert guixi_license.identifier not in text
    for url in (f"{BASE}/types/", f"{BASE}/seals/", f"{BASE}/statistics/", f"{BASE}/granted/",
                f"{BASE}/types/{yujiang_license.license_type.code}/"):
        assert client.get(url).status_code == 200, url
    assert signed_in(world.official).get(f"{BASE}/").status_code == 403
    assert signed_in(world.citizen).get(f"{BASE}/").status_code == 403
    assert Client().get(f"{BASE}/").status_code == 302


def test_a_type_is_defined_on_its_page(world, departments):
    from .conftest import DEFINING

    client = signed_in(world.admin)
    assert client.get(f"{BASE}/types/add/").status_code == 200
    data = {"name": "残疾人证", "defining_department": departments[DEFINING].pk,
            "issuing_departments": [departments[YUJIANG].pk], "holder_kind": "person", "physical_licence": "",
            "validity_months": "", "status": "active", "face_layout": "a4", "face_title": "", "face_subtitle": "",
            "face_field_order": "", "field_spec": '[{"key": "grade", "label": "等级", "kind": "bad"}]'}
    refused = client.post(f"{BASE}/types/add/", data)
    assert refused.status_code == 422
    assert "text, date, number, choice" in refused.content.decode() or zh("Field %(n)d: %(problem)s")[:2] in \
        refused.content.decode()
    data["field_spec"] = ('[{"key": "grade", "label": "等级", "kind": "choice", "required": true, '
                          '"choices": ["一级", "二级"]}]')
    data["face_field_order"] = "grade"
    made = client.post(f"{BASE}/types/add/", data)
    assert made.status_code == 302, made.content.decode()[-3000:]
    t = LicenseType.objects.get(name="残疾人证")
    assert t.code == departments[DEFINING].credit_code + "001" and t.face["field_order"] == ["grade"]
    assert client.get(f"{BASE}/types/{t.code}/edit/").status_code == 200


def test_a_seal_is_made_renewed_and_revoked_on_its_pages(world, departments):
    client = signed_in(world.yujiang_admin)
    now = timezone.localtime()
    data = {"name": "余江区行政审批局电子证照专用章", "category": "99", "department": departments[YUJIANG].pk,
            "valid_from": now.strftime("%Y-%m-%dT%H:%M"), "valid_until": (now + dt.timedelta(days=400)).strftime(
                "%Y-%m-%dT%H:%M"), "width_mm": "40", "height_mm": "40"}
    assert client.get(f"{BASE}/seals/add/").status_code == 200
    out = client.post(f"{BASE}/seals/add/", {**data, "department": departments[GUIXI].pk})
    assert out.status_code == 422  # 贵溪 is not offered to 余江区's administrator
    made = client.post(f"{BASE}/seals/add/", data)
    assert made.status_code == 302, made.content.decode()[-2000:]
    seal = Seal.objects.get(department=departments[YUJIANG])
    detail = client.get(made["Location"])
    assert detail.status_code == 200 and seal.es_id in detail.content.decode()
    image = Client().get(f"/licenses/seals/{seal.es_id}/image.png")
    assert image.status_code == 200 and image.content[:8] == b"\x89PNG\r\n\x1a\n"
    renewed = client.post(f"{BASE}/seals/{seal.es_id}/renew/",
                          {"valid_until": (now + dt.timedelta(days=800)).strftime("%Y-%m-%dT%H:%M")})
    assert renewed.status_code == 302
    seal.refresh_from_db()
    assert seal.version == 2 and seal.key_version == 2
    assert client.post(f"{BASE}/seals/{seal.es_id}/revoke/", {"reason": ""}).status_code == 422
    assert client.post(f"{BASE}/seals/{seal.es_id}/revoke/", {"reason": "印章更换"}).status_code == 302
    seal.refresh_from_db()
    assert seal.status == "revoked" and audited("licenses.seal.revoke")


def test_an_official_issues_from_the_types_form(world, license_type, seals, departments):
    client = signed_in(world.yujiang_admin)
    choose = client.get(f"{BASE}/issue/")
    assert choose.status_code == 200 and license_type.name in choose.content.decode()
    form = client.get(f"{BASE}/issue/?type={license_type.code}")
    assert form.status_code == 200
    for spec in FIELDS:
        assert spec["label"] in form.content.decode()
    number = world.citizen.person.id_number
    data = {"type": license_type.code, "issuer": departments[YUJIANG].pk, "holder_name": "李娜",
            "holder_code": number[:-1] + ("0" if number[-1] != "0" else "1"), "physical_number": "",
            "case_reference": "", "f_address": VALUES["address"], "f_since": VALUES["since"],
            "f_category": "务工", "f_area": ""}
    refused = client.post(f"{BASE}/issue/", data)
    assert refused.status_code == 422
    assert zh("The check digit of the ID card number is wrong; please check the number.") in refused.content.decode()
    data["holder_code"] = number
    data["f_address"] = ""
    refused = client.post(f"{BASE}/issue/", data)
    assert refused.status_code == 422
    data["f_address"] = VALUES["address"]
    done = client.post(f"{BASE}/issue/", data)
    assert done.status_code == 302, done.content.decode()[-2000:]
    lic = License.objects.get()
    page = client.get(done["Location"])
    assert page.status_code == 200 and lic.identifier in page.content.decode()
    assert audited("personal_data.read", object_id=str(lic.pk))
    pdf = client.get(f"{BASE}/{lic.pk}/file/")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF") and pdf["X-File-SM3"] == lic.file_sm3
    guixi = client.post(f"{BASE}/issue/", {**data, "issuer": departments[GUIXI].pk})
    assert guixi.status_code == 422  # not a choice for him


def test_revoke_and_reissue_on_the_licences_page(world, yujiang_license):
    client = signed_in(world.yujiang_admin)
    url = f"{BASE}/{yujiang_license.pk}"
    form = client.get(f"{url}/reissue/")
    assert form.status_code == 200 and VALUES["address"] in form.content.decode()
    new = client.post(f"{url}/reissue/", {"holder_name": "李娜", "physical_number": "", "reason": "地址变更",
                                          "f_address": "余江区锦江镇新地址2号", "f_category": "就学", "f_since": "",
                                          "f_area": ""})
    assert new.status_code == 302, new.content.decode()[-2000:]
    latest = License.objects.get(previous=yujiang_license)
    assert latest.version == 2 and latest.metadata["address"] == "余江区锦江镇新地址2号"
    assert client.post(f"{url}/revoke/", {"reason": "x"}).status_code == 422  # the old version is "changed"
    assert client.post(f"{BASE}/{latest.pk}/revoke/", {"reason": "违规取得"}).status_code == 302
    latest.refresh_from_db()
    assert latest.status == "revoked"
    assert signed_in(world.guixi_admin).post(f"{BASE}/{latest.pk}/revoke/", {"reason": "x"}).status_code == 404


def test_the_verification_page_shows_each_check_and_masks_the_holder(world, yujiang_license):
    page = Client().get(f"/licenses/verify/?id={yujiang_license.identifier}")
    text = page.content.decode()
    assert page.status_code == 200
    assert zh("The licence is valid") in text and yujiang_license.holder_name not in text
    assert yujiang_license.holder_name_masked in text
    for label in ("SM3 digest of the file", "SM2 signature", "Licence status", "Seal status"):
        assert zh(label) in text
    assert Verification.objects.filter(method="qr", valid=True).count() == 1
    wrong = yujiang_license.identifier[:-1] + ("A" if yujiang_license.identifier[-1] != "A" else "B")
    refused = Client().get(f"/licenses/verify/?identifier={wrong}").content.decode()
    assert zh("The check character of the licence identifier is wrong.") in refused
    upload = Client().post("/licenses/verify/", {"file": _upload(bytes(yujiang_license.pdf))})
    assert upload.status_code == 200 and zh("The licence is valid") in upload.content.decode()
    assert Client().get("/licenses/trust/seal-maker.pem").content.startswith(b"-----BEGIN CERTIFICATE-----")


def _upload(data: bytes, name: str = "licence.pdf"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="application/pdf")


def test_the_wallet_grants_a_department_and_shows_every_use(world, yujiang_license, guixi_license, departments):
    citizen = signed_in(world.citizen)
    page = citizen.get("/licenses/wallet/")
    assert page.status_code == 200 and yujiang_license.identifier in page.content.decode()
    assert citizen.get(f"/licenses/wallet/{yujiang_license.pk}/file/").content.startswith(b"%PDF")
    done = citizen.post("/licenses/wallet/grants/", {"license": guixi_license.identifier,
                                                     "department": departments[YUJIANG].pk, "days": "7"})
    assert done.status_code == 302
    grant = LicenseGrant.objects.get()
    # 余江区's administrator could not read 贵溪's licence; through the grant he can, and it is recorded
    official = signed_in(world.yujiang_admin)
    assert official.get(f"{BASE}/{guixi_license.pk}/").status_code == 404
    listed = official.get(f"{BASE}/granted/")
    assert grant.license.license_type.name in listed.content.decode()
    pulled = official.get(f"{BASE}/granted/{grant.pk}/")
    assert pulled.status_code == 200 and guixi_license.holder_code in pulled.content.decode()
    assert official.get(f"{BASE}/granted/{grant.pk}/file/").content.startswith(b"%PDF")
    assert LicenseUse.objects.filter(grant=grant).count() == 2
    uses = citizen.get("/licenses/wallet/").content.decode()
    assert departments[YUJIANG].name in uses and zh("downloaded the licence file") in uses
    assert signed_in(world.guixi_admin).get(f"{BASE}/granted/{grant.pk}/").status_code == 404
    assert citizen.post(f"/licenses/wallet/grants/{grant.pk}/revoke/").status_code == 302
    assert official.get(f"{BASE}/granted/{grant.pk}/").status_code == 404
    assert signed_in(world.official).get("/licenses/wallet/").status_code == 403
    assert signed_in(world.official).get(f"{BASE}/granted/").status_code == 403


def test_statistics_count_in_the_database(world, yujiang_license, guixi_license, django_assert_max_num_queries):
    from dgov.licenses import verification

    verification.verify_identifier(yujiang_license.identifier)
    client = signed_in(world.yujiang_admin)
    with django_assert_max_num_queries(40):
        page = client.get(f"{BASE}/statistics/")
    text = page.content.decode()
    assert page.status_code == 200 and 'data-figure="licenses">1<' in text and 'data-figure="verifications">1<' in text
    assert signed_in(world.admin).get(f"{BASE}/statistics/").content.decode().count('data-figure="licenses">2<') == 1
    assert client.get(f"{BASE}/statistics/?since=2026-01-01&until=2025-01-01").status_code == 200
