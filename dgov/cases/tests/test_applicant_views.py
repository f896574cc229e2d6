"""The applicant's pages (apply online and 我的办件): who may open them (anonymous → login and back, an
official → 403 saying why, another citizen → 404), one question per page with Chinese errors that lose
nothing, uploads refused by type and size, 免证办 with consent, check your answers, submission with a
reference, my cases, a 补正 notice answered and resubmitted, withdrawal."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from dgov.accounts.models import Enterprise, UserKind
from dgov.accounts.testing import make_citizen, make_user
from dgov.cases import selectors, services
from dgov.cases.models import Case, MaterialKind, State
from dgov.cases.testing import PDF, draft_case, make_implementation, make_officials, pdf_upload
from dgov.core.testing import audited, signed_in, zh, zh_html
from dgov.core.validators import credit_code_check_char
from dgov.licenses.tests.conftest import (  # noqa: F401 (fixtures)
    _quick_verification,
    departments,
    license_type,
    seals,
    yujiang_license,
)

FORM = {"version": 1, "pages": [
    {"key": "applicant", "title": "申请人", "fields": [
        {"key": "name", "label": "姓名", "type": "text", "required": True, "prefill": "applicant.name"},
        {"key": "id_number", "label": "身份证号", "type": "id_number", "required": True,
         "prefill": "applicant.id_number"}]},
    {"key": "phone", "title": "手机号码", "fields": [
        {"key": "phone", "label": "手机号码", "type": "phone", "required": True, "prefill": "applicant.phone"}]},
    {"key": "when", "title": "登记日期", "fields": [
        {"key": "date", "label": "登记日期", "type": "date", "required": True},
        {"key": "kind", "label": "类别", "type": "choice", "required": True,
         "choices": [{"value": "first", "label": "初婚"}, {"value": "again", "label": "再婚"}]}]},
]}


@pytest.fixture
def impl(db):
    return make_implementation(form=FORM, materials=[{"name": "申请书"}])


@pytest.fixture
def licence_impl(db, license_type):  # noqa: F811
    return make_implementation(form=FORM, materials=[{"name": "申请书"},
                                                      {"name": "居住证", "license_type": license_type}])


def start_url(impl) -> str:
    return reverse("cases:apply_start", kwargs={"code": impl.code})


def page_url(case, page: str) -> str:
    return reverse("cases:apply_page", kwargs={"pk": case.pk, "page": page})


def answer_all(client, case, citizen):
    """Post every page of FORM with good answers."""
    id_number = citizen.person.id_number
    for page, data in (("applicant", {"name": "李娜", "id_number": id_number}), ("phone", {"phone": "13907010001"}),
                       ("when", {"date": "2026-05-20", "kind": "first"})):
        response = client.post(page_url(case, page), data)
        assert response.status_code == 302, response.content.decode()[:2000]
    return response


# --- who may open the pages -------------------------------------------------------------------------
@pytest.mark.django_db
def test_anonymous_goes_to_login_and_comes_back(impl):
    client = Client()
    for url in (start_url(impl), reverse("cases:my_cases"), reverse("cases:my_case", kwargs={"reference": "YT1"})):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))
        assert response["Location"].endswith(f"?next={url}")
    assert Case.objects.count() == 0


@pytest.mark.django_db
def test_an_official_is_told_to_use_a_personal_account(world, impl):
    client = signed_in(world.official)
    response = client.get(start_url(impl))
    assert response.status_code == 403
    assert zh_html("Apply with a personal or enterprise account") in response.content.decode()
    assert client.post(start_url(impl)).status_code == 403
    assert client.get(reverse("cases:my_cases")).status_code == 403
    assert Case.objects.count() == 0


@pytest.mark.django_db
def test_another_citizen_gets_404(world, impl):
    case = draft_case(world.citizen, impl, answers={"name": "李娜"})
    item = case.materials.first()
    submitted = services.submit(actor=world.citizen, case=draft_case(
        world.citizen, impl, answers={"name": "李娜", "id_number": world.citizen.person.id_number,
                                      "phone": "13907010001", "date": "2026-05-20", "kind": "first"}))
    other = signed_in(make_citizen("t_other_citizen", verified=True))
    for url in (page_url(case, "applicant"), reverse("cases:apply_materials", kwargs={"pk": case.pk}),
                reverse("cases:apply_check", kwargs={"pk": case.pk}),
                reverse("cases:my_material", kwargs={"pk": case.pk, "item": item.pk}),
                reverse("cases:my_case", kwargs={"reference": submitted.reference}),
                reverse("cases:apply_done", kwargs={"reference": submitted.reference}),
                reverse("cases:my_case_withdraw", kwargs={"reference": submitted.reference}),
                reverse("cases:my_case_correction", kwargs={"reference": submitted.reference})):
        assert other.get(url).status_code == 404, url
    assert other.post(page_url(case, "phone"), {"phone": "13907010009"}).status_code == 404
    assert other.post(reverse("cases:my_case_withdraw", kwargs={"reference": submitted.reference})).status_code == 404
    assert "13907010009" not in services.answers_of(Case.objects.get(pk=case.pk)).values()
    assert Case.objects.get(pk=submitted.pk).state == State.SUBMITTED
    # and the owner's own pages open
    owner = signed_in(world.citizen)
    assert owner.get(reverse("cases:my_case", kwargs={"reference": submitted.reference})).status_code == 200
    assert owner.get(page_url(case, "applicant")).status_code == 200


@pytest.mark.django_db
def test_unknown_or_unpublished_items_and_pages_are_404(world, impl):
    client = signed_in(world.citizen)
    assert client.get(reverse("cases:apply_start", kwargs={"code": "NOPE"})).status_code == 404
    draft_impl = make_implementation(status="draft")
    assert client.get(start_url(draft_impl)).status_code == 404
    case = draft_case(world.citizen, impl)
    assert client.get(page_url(case, "nope")).status_code == 404
    offline = make_implementation(online_apply=False)
    response = client.get(start_url(offline))
    message = zh_html("This item cannot be applied for online: see its guide for where to apply.")
    assert response.status_code == 200 and message in response.content.decode()
    assert "apply-start" not in response.content.decode()
    response = client.post(start_url(offline))
    assert response.status_code == 409 and message in response.content.decode()
    assert not Case.objects.filter(implementation=offline).exists()


# --- one question per page --------------------------------------------------------------------------
@pytest.mark.django_db
def test_pages_are_prefilled_from_the_verified_identity(world, impl):
    world.citizen.real_name = "李娜"
    world.citizen.phone = "13907010002"
    world.citizen.save()
    client = signed_in(world.citizen)
    response = client.post(start_url(impl))
    case = Case.objects.get(applicant=world.citizen)
    assert response.status_code == 302 and response["Location"] == page_url(case, "applicant")
    html = client.get(page_url(case, "applicant")).content.decode()
    assert 'value="李娜"' in html and f'value="{world.citizen.person.id_number}"' in html
    assert zh_html("Back") in html and start_url(impl) in html  # the first page's back link: the start page
    html = client.get(page_url(case, "phone")).content.decode()
    assert "13907010002" in html
    # one question on the page: the question is the heading (GOV.UK), not repeated
    assert re.search(r'<h1 class="h3 mb-2"><label class="form-label h3 mb-0" for="id_phone">手机号码</label></h1>',
                     html)
    assert html.count("手机号码</") == 1


@pytest.mark.django_db
def test_bad_answers_give_chinese_errors_and_lose_nothing(world, impl):
    client = signed_in(world.citizen)
    case = services.start(actor=world.citizen, implementation=impl)
    assert client.post(page_url(case, "applicant"), {"name": "李娜", "id_number": world.citizen.person.id_number}
                       ).status_code == 302
    bad_id = world.citizen.person.id_number[:17] + ("1" if world.citizen.person.id_number[17] != "1" else "2")
    response = client.post(page_url(case, "applicant"), {"name": "王芳", "id_number": bad_id})
    assert response.status_code == 422
    html = response.content.decode()
    assert "error-summary" in html
    assert zh_html("The check digit of the ID card number is wrong; please check the number.") in html
    assert 'value="王芳"' in html and f'value="{bad_id}"' in html  # what was typed is shown again
    # the saved answers are untouched
    assert services.answers_of(Case.objects.get(pk=case.pk))["name"] == "李娜"

    response = client.post(page_url(case, "when"), {"date": "2026-02-30", "kind": ""})
    assert response.status_code == 422
    html = response.content.decode()
    assert zh_html("%(label)s must be a real date, like 2026-03-18.") % {"label": "登记日期"} in html
    assert zh_html("Select %(label)s.") % {"label": "类别"} in html
    assert 'value="2026-02-30"' in html
    response = client.post(page_url(case, "phone"), {"phone": "12345"})
    assert response.status_code == 422
    assert zh_html("Enter an 11-digit mainland mobile phone number.") in response.content.decode()
    assert services.answers_of(Case.objects.get(pk=case.pk)).get("phone") != "12345"


@pytest.mark.django_db
def test_change_link_returns_to_check_your_answers(world, impl):
    client = signed_in(world.citizen)
    case = services.start(actor=world.citizen, implementation=impl)
    response = client.post(page_url(case, "phone") + "?return=check", {"phone": "13907010003"})
    assert response.status_code == 302 and response["Location"] == reverse("cases:apply_check", kwargs={"pk": case.pk})
    response = client.post(page_url(case, "phone"), {"phone": "13907010003"})
    assert response["Location"] == page_url(case, "when")
    response = client.post(page_url(case, "when"), {"date": "2026-05-20", "kind": "again"})
    assert response["Location"] == reverse("cases:apply_materials", kwargs={"pk": case.pk})


# --- materials --------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_uploads_refused_by_type_and_size_in_chinese(world, impl, settings):
    client = signed_in(world.citizen)
    case = services.start(actor=world.citizen, implementation=impl)
    material = impl.materials.get()
    url = reverse("cases:apply_materials", kwargs={"pk": case.pk})
    field = f"m{material.pk}-file"

    def post(upload):
        return client.post(url, {"action": "upload", "material": material.pk, field: upload})

    response = post(SimpleUploadedFile("notes.txt", b"hello", content_type="text/plain"))
    assert response.status_code == 422
    assert zh_html("The file must be a PDF, JPG or PNG.") in response.content.decode()
    response = post(SimpleUploadedFile("fake.pdf", b"MZ not a pdf at all", content_type="application/pdf"))
    assert response.status_code == 422
    assert zh_html("Upload a PDF, JPG or PNG file.") in response.content.decode()
    settings.DGOV_CASE_UPLOAD_MAX_BYTES = 100
    response = post(SimpleUploadedFile("big.pdf", PDF + b"0" * 200, content_type="application/pdf"))
    assert response.status_code == 422
    assert zh("The file must be smaller than %(size)s.").split("%(size)s")[0] in response.content.decode()
    response = client.post(url, {"action": "upload", "material": material.pk})
    assert response.status_code == 422 and zh_html("Choose a file to upload.") in response.content.decode()
    assert case.materials.count() == 0
    settings.DGOV_CASE_UPLOAD_MAX_BYTES = 10 * 1024 * 1024
    response = post(pdf_upload())
    assert response.status_code == 302
    item = case.materials.get()
    assert item.kind == MaterialKind.UPLOAD and item.filename == "申请书.pdf"
    file_response = client.get(reverse("cases:my_material", kwargs={"pk": case.pk, "item": item.pk}))
    assert file_response.status_code == 200 and file_response.content == PDF
    response = client.post(url, {"action": "remove", "item": item.pk})
    assert response.status_code == 302 and case.materials.count() == 0


@pytest.mark.django_db
def test_licence_instead_of_upload_needs_consent(world, licence_impl, yujiang_license):  # noqa: F811
    client = signed_in(world.citizen)
    case = services.start(actor=world.citizen, implementation=licence_impl)
    material = licence_impl.materials.get(name="居住证")
    url = reverse("cases:apply_materials", kwargs={"pk": case.pk})
    html = client.get(url).content.decode()
    assert yujiang_license.identifier in html and zh_html("Use your electronic licence (no copy needed)") in html
    response = client.post(url, {"action": "licence", "material": material.pk,
                                 f"l{material.pk}-identifier": yujiang_license.identifier})
    assert response.status_code == 422
    assert zh_html("Tick the box to agree, or upload the material instead.") in response.content.decode()
    assert case.materials.count() == 0
    response = client.post(url, {"action": "licence", "material": material.pk,
                                 f"l{material.pk}-identifier": yujiang_license.identifier,
                                 f"l{material.pk}-consent": "on"})
    assert response.status_code == 302
    item = case.materials.get()
    assert item.kind == MaterialKind.LICENCE and item.license_identifier == yujiang_license.identifier


# --- the whole journey ------------------------------------------------------------------------------
@pytest.mark.django_db
def test_full_path_draft_to_submit(world, licence_impl, yujiang_license):  # noqa: F811
    client = signed_in(world.citizen)
    html = client.get(start_url(licence_impl)).content.decode()
    assert "居住证" in html and zh_html("Start now") in html
    response = client.post(start_url(licence_impl))
    case = Case.objects.get(applicant=world.citizen)
    assert case.state == State.DRAFT
    # the draft is listed in my cases and on the start page
    my_cases = client.get(reverse("cases:my_cases")).content.decode()
    assert reverse("cases:apply_check", kwargs={"pk": case.pk}) in my_cases
    assert zh_html("You have started this application before") in client.get(start_url(licence_impl)).content.decode()
    response = answer_all(client, case, world.citizen)
    assert response["Location"] == reverse("cases:apply_materials", kwargs={"pk": case.pk})
    # check your answers before the materials: the submission is refused, naming what is missing
    check = reverse("cases:apply_check", kwargs={"pk": case.pk})
    response = client.post(check, {"declaration": "on"})
    assert response.status_code == 422
    assert zh_html("Provide “%(name)s”.") % {"name": "申请书"} in response.content.decode()
    materials = reverse("cases:apply_materials", kwargs={"pk": case.pk})
    paper, licence = licence_impl.materials.get(name="申请书"), licence_impl.materials.get(name="居住证")
    assert client.post(materials, {"action": "upload", "material": paper.pk,
                                   f"m{paper.pk}-file": pdf_upload()}).status_code == 302
    assert client.post(materials, {"action": "licence", "material": licence.pk,
                                   f"l{licence.pk}-identifier": yujiang_license.identifier,
                                   f"l{licence.pk}-consent": "on"}).status_code == 302
    html = client.get(check).content.decode()
    assert "初婚" in html and "13907010001" in html and yujiang_license.identifier in html
    assert page_url(case, "phone") + "?return=check" in html  # change links
    # the declaration must be ticked
    response = client.post(check, {})
    assert response.status_code == 422
    assert zh_html("Tick the box to confirm the declaration.") in response.content.decode()
    response = client.post(check, {"declaration": "on"})
    case.refresh_from_db()
    assert case.state == State.SUBMITTED and case.reference
    assert response["Location"] == reverse("cases:apply_done", kwargs={"reference": case.reference})
    html = client.get(response["Location"]).content.decode()
    assert case.reference in html and "confirmation-panel" in html and zh_html("What happens next") in html
    # the licence's use is given to the department for this case
    assert case.materials.get(kind=MaterialKind.LICENCE).license_grant.case_reference == case.reference
    # my cases: in progress, with its page and the history
    html = client.get(reverse("cases:my_cases")).content.decode()
    assert case.reference in html and zh_html("In progress") in html
    html = client.get(reverse("cases:my_case", kwargs={"reference": case.reference})).content.decode()
    assert case.reference in html and zh_html("Withdraw this application") in html
    # the pages of a submitted case no longer take answers
    assert client.get(page_url(case, "phone")).status_code == 404
    assert client.get(check)["Location"] == reverse("cases:my_case", kwargs={"reference": case.reference})
    assert audited("cases.case.answers", actor_id=world.citizen.pk) is not None


@pytest.mark.django_db
def test_correction_notice_answered_and_resubmitted(world, impl):
    officials = make_officials("ap")
    answers = {"name": "李娜", "id_number": world.citizen.person.id_number, "phone": "13907010001",
               "date": "2026-05-20", "kind": "first"}
    case = services.submit(actor=world.citizen, case=draft_case(world.citizen, impl, answers=answers))
    material = impl.materials.get()
    services.transition(actor=officials.intake, case=case, action="request_correction",
                        items=[{"material": material.pk, "name": "申请书", "reason": "未签名"},
                               {"material": None, "name": "手机号码", "reason": "无法接通"}])
    client = signed_in(world.citizen)
    detail = reverse("cases:my_case", kwargs={"reference": case.reference})
    html = client.get(detail).content.decode()
    assert "未签名" in html and "无法接通" in html and zh_html("Correct and resubmit") in html
    correction = reverse("cases:my_case_correction", kwargs={"reference": case.reference})
    html = client.get(correction).content.decode()
    assert "未签名" in html and page_url(case, "phone") + "?return=correction" in html
    # change an answer: back to the correction page
    response = client.post(page_url(case, "phone") + "?return=correction", {"phone": "13907010009"})
    assert response["Location"] == correction
    # replace the material
    old = case.materials.get()
    response = client.post(correction, {"action": "upload", "material": material.pk,
                                        f"m{material.pk}-file": pdf_upload("申请书（已签名）.pdf")})
    assert response.status_code == 302
    response = client.post(correction, {"action": "remove", "item": old.pk})
    assert response.status_code == 302
    assert [m.filename for m in selectors.materials(case)] == ["申请书（已签名）.pdf"]
    response = client.post(correction, {"action": "resubmit"})
    assert response["Location"] == detail
    case.refresh_from_db()
    assert case.state == State.SUBMITTED and services.answers_of(case)["phone"] == "13907010009"
    assert client.get(correction)["Location"] == detail


@pytest.mark.django_db
def test_withdraw_before_decision(world, impl):
    answers = {"name": "李娜", "id_number": world.citizen.person.id_number, "phone": "13907010001",
               "date": "2026-05-20", "kind": "first"}
    case = services.submit(actor=world.citizen, case=draft_case(world.citizen, impl, answers=answers))
    client = signed_in(world.citizen)
    url = reverse("cases:my_case_withdraw", kwargs={"reference": case.reference})
    assert zh_html("Are you sure you want to withdraw this application?") in client.get(url).content.decode()
    response = client.post(url, {"reason": "不再需要"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == State.WITHDRAWN
    html = client.get(reverse("cases:my_cases")).content.decode()
    assert zh_html("Finished") in html and case.reference in html
    # a withdrawn case cannot be withdrawn again
    assert client.get(url).status_code == 302


@pytest.mark.django_db
def test_enterprise_applies_as_the_enterprise_and_citizen_items_refuse_it(world):
    account = make_user("t_ent_account", kind=UserKind.ENTERPRISE)
    first17 = "91360603MA35" + "ABCDE"
    Enterprise.objects.create(name="鹰潭测试有限公司", credit_code=first17 + credit_code_check_char(first17),
                              legal_representative="张三", account=account, verified=True)
    client = signed_in(account)
    person_impl = make_implementation(form=FORM)
    response = client.post(start_url(person_impl))
    assert response.status_code == 403
    assert zh_html("This item is for natural persons: apply with a personal account.") in response.content.decode()
    ent_impl = make_implementation(form={}, service_object="enterprise")
    response = client.post(start_url(ent_impl))
    case = Case.objects.get(applicant=account)
    assert response["Location"] == page_url(case, "enterprise")
    html = client.get(page_url(case, "enterprise")).content.decode()
    assert "鹰潭测试有限公司" in html and re.search(r'value="91360603MA35ABCDE."', html)


@pytest.mark.django_db
def test_case_page_shows_only_public_events_and_the_result_licence(world, impl):
    from dgov.cases.models import CaseEvent

    answers = {"name": "李娜", "id_number": world.citizen.person.id_number, "phone": "13907010001",
               "date": "2026-05-20", "kind": "first"}
    case = services.submit(actor=world.citizen, case=draft_case(world.citizen, impl, answers=answers))
    CaseEvent.objects.create(case=case, action="warn_red", from_state=case.state, to_state=case.state,
                             public=False, reason="内部督办意见")
    Case.objects.filter(pk=case.pk).update(state=State.CLOSED, outcome="approved",
                                           result_license="1.2.156.3005.2.TEST.01.Z")
    client = signed_in(world.citizen)
    html = client.get(reverse("cases:my_case", kwargs={"reference": case.reference})).content.decode()
    assert "内部督办意见" not in html
    assert zh_html("application submitted") in html
    assert reverse("licenses:verify") + "?id=1.2.156.3005.2.TEST.01.Z" in html
    assert zh_html("Withdraw this application") not in html  # decided: no withdrawal
    html = client.get(reverse("cases:my_cases")).content.decode()
    assert zh_html("Finished") in html and zh_html("In progress") not in html


@pytest.mark.django_db
def test_a_draft_can_be_deleted_by_its_applicant_only_and_a_sent_case_cannot(world, impl):
    draft = draft_case(world.citizen, impl)
    services.add_upload(actor=world.citizen, case=draft, material=impl.materials.get(), file=pdf_upload())
    url = reverse("cases:apply_discard", kwargs={"pk": draft.pk})
    client = signed_in(world.citizen)
    assert url in client.get(reverse("cases:my_cases")).content.decode()
    assert client.get(url).status_code == 200
    other = make_citizen("t_other_discard")
    assert signed_in(other).post(url).status_code == 404
    assert Case.objects.filter(pk=draft.pk).exists()
    response = client.post(url)
    assert response.status_code == 302 and response.url == reverse("cases:my_cases")
    assert not Case.objects.filter(pk=draft.pk).exists()
    entry = audited("cases.case.delete", object_id=str(draft.pk))
    assert entry is not None and entry.actor_id == world.citizen.pk
    # a submitted case is not a draft: the page is not there and the service refuses
    answers = {"name": "李娜", "id_number": world.citizen.person.id_number, "phone": "13907010001",
               "date": "2026-05-20", "kind": "first"}
    sent = services.submit(actor=world.citizen, case=draft_case(world.citizen, impl, answers=answers))
    assert client.post(reverse("cases:apply_discard", kwargs={"pk": sent.pk})).status_code == 404
    from dgov.core.errors import Conflict

    with pytest.raises(Conflict):
        services.discard_draft(actor=world.citizen, case=sent)
    assert Case.objects.filter(pk=sent.pk).exists()
