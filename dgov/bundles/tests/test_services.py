"""Bundle definitions (members, conflicting question keys), the combined form and materials, the fan-out
into cases (answers and materials per member, one transaction), the combined result and the scope of
the sibling cases."""

import pytest

from dgov.bundles import selectors, services
from dgov.bundles.models import ApplicationState, Bundle, BundleCase, BundleStatus
from dgov.bundles.tests.conftest import ANSWERS, FORM_A, ready_application
from dgov.cases import services as case_services
from dgov.cases.models import Case
from dgov.cases.signals import case_transitioned
from dgov.cases.testing import GUIXI_APPROVAL, make_implementation, make_officials
from dgov.core.errors import ValidationError
from dgov.notifications.models import OutboxMessage


def test_conflicting_definitions_of_a_key_are_refused_when_saving(world, members):
    clash = make_implementation(form={"version": 1, "pages": [{"key": "n", "fields": [
        {"key": "name", "label": "姓名", "type": "number", "required": True}]}]})
    with pytest.raises(ValidationError) as caught:
        services.bundle_save(actor=world.admin, data={"code": "clash", "name": "冲突", "audience": "person"},
                             implementations=[members[0], clash])
    problems = caught.value.details["implementations"]
    assert len(problems) == 1 and "name" in problems[0]
    assert not Bundle.objects.filter(code="clash").exists()


def test_members_must_be_published_online_and_for_the_audience(world, members):
    offline = make_implementation(online_apply=False)
    draft = make_implementation(status="draft")
    enterprise_only = make_implementation(service_object="enterprise")
    errors = services.validate_members("person", [members[0], offline, draft, enterprise_only, members[0]])
    assert len(errors) == 4  # twice, offline, not published, not for persons
    assert services.validate_members("person", [members[0]])  # a bundle combines at least two


def test_the_combined_form_asks_a_shared_key_once(members):
    form, errors = services.combined_form(members)
    assert errors == []
    keys = [f["key"] for pg in form["pages"] for f in pg["fields"]]
    assert keys == ["name", "reason", "extra", "years"]
    assert [pg["key"] for pg in form["pages"]] == ["name", "reason", "extra", "applicant"]
    # required by A, optional in B: asked as required
    assert form["pages"][0]["fields"][0]["required"] is True
    assert FORM_A["pages"][0]["fields"][0]["required"] is True  # the member's own form is untouched


def test_the_combined_materials_ask_the_same_name_once(members):
    groups = services.combined_materials(members)
    by_name = {g.name: g for g in groups}
    assert list(by_name) == ["申请书", "居民身份证", "照片", "证明"]
    assert [i.pk for i in by_name["申请书"].implementations] == [members[0].pk, members[1].pk]
    assert by_name["申请书"].required and not by_name["照片"].required
    assert not by_name["居民身份证"].asked_online  # a paper original: shown at the counter


def test_the_same_licence_type_is_asked_once(world, members):
    from dgov.services.models import Material

    lt = _licence_type(world)
    Material.objects.create(implementation=members[0], name="电子居住证", license_type=lt, order=9)
    Material.objects.create(implementation=members[1], name="居住证", license_type=lt, order=9)
    groups = [g for g in services.combined_materials(members) if g.license_type is not None]
    assert len(groups) == 1 and groups[0].name == "电子居住证" and len(groups[0].members) == 2


def _licence_type(world):
    from dgov.licenses import services as license_services
    from dgov.licenses.models import LicenseType
    from dgov.licenses.tests.conftest import DEFINING, FIELDS, YUJIANG, give_credit_codes
    from dgov.orgs.models import Department

    give_credit_codes(DEFINING, YUJIANG)
    return license_services.type_save(actor=world.admin, license_type=LicenseType(
        name="居住证", defining_department=Department.objects.get(code=DEFINING), holder_kind="person",
        fields=FIELDS, validity_months=12, face={"title": "居住证"}),
        issuing_departments=[Department.objects.get(code=YUJIANG)])


def test_submission_fans_out_one_case_per_member_with_its_answers_and_materials(world, bundle, members):
    application = ready_application(world.citizen, bundle)
    application = services.submit(actor=world.citizen, application=application)
    assert application.state == ApplicationState.IN_PROGRESS
    cases = services.cases_of(application)
    assert [c.implementation_id for c in cases] == [m.pk for m in members]
    assert all(c.state == "submitted" and c.reference for c in cases)
    assert application.reference == "YB" + cases[0].reference[2:]
    answers = [case_services.answers_of(c) for c in cases]
    assert answers[0]["reason"] == ANSWERS["reason"] and "extra" not in answers[0] and "years" not in answers[0]
    assert answers[1]["extra"] == "无" and "reason" not in answers[1]
    assert answers[2]["years"] == 3 and all(a["name"] == "李娜" for a in answers)
    names = [sorted(c.materials.values_list("name", flat=True)) for c in cases]
    assert names == [["申请书"], ["照片", "申请书"], ["证明"]]
    assert all(m.sm3 for c in cases for m in c.materials.all())
    assert OutboxMessage.objects.filter(user=world.citizen, subject__contains=application.reference).exists()
    # told once for the bundle, not once per case
    assert not OutboxMessage.objects.filter(user=world.citizen, subject__contains=cases[0].reference).exists()


def test_an_incomplete_application_names_what_is_missing(world, bundle):
    application = services.start(actor=world.citizen, bundle=bundle)
    services.save_answers(actor=world.citizen, application=application, answers={"name": "李娜"})
    with pytest.raises(ValidationError) as caught:
        services.submit(actor=world.citizen, application=application)
    assert {"reason", "extra", "years", "materials"} <= set(caught.value.details)
    assert Case.objects.count() == 0


def test_one_member_refusing_rolls_back_every_case(world, bundle, members):
    application = ready_application(world.citizen, bundle)

    def refuse_third(sender, case, action, **kwargs):
        if action == "submit" and case.implementation_id == members[2].pk:
            raise ValidationError(details={"implementation": ["停止受理"]})

    case_transitioned.connect(refuse_third, dispatch_uid="test.refuse_third")
    try:
        with pytest.raises(ValidationError):
            services.submit(actor=world.citizen, application=application)
    finally:
        case_transitioned.disconnect(dispatch_uid="test.refuse_third")
    application.refresh_from_db()
    assert application.state == ApplicationState.DRAFT and application.reference is None
    assert Case.objects.count() == 0 and BundleCase.objects.count() == 0


def _decide(official, case, action):
    case_services.transition(actor=official, case=case, action="accept")
    case_services.transition(actor=official, case=Case.objects.get(pk=case.pk), action=action,
                             reason="不符合条件" if action == "refuse" else "")


def test_the_combined_result_comes_once_when_every_case_is_decided(world, bundle):
    officials = make_officials()
    application = services.submit(actor=world.citizen, application=ready_application(world.citizen, bundle))
    a, b, c = services.cases_of(application)
    _decide(officials.all_roles, a, "approve")
    _decide(officials.guixi, b, "approve")
    application.refresh_from_db()
    assert application.state == ApplicationState.IN_PROGRESS and application.completed_at is None
    assert not OutboxMessage.objects.filter(subject__contains="已全部办结").exists()
    _decide(officials.all_roles, c, "refuse")
    application.refresh_from_db()
    assert application.state == ApplicationState.PARTLY_REFUSED and application.completed_at is not None
    results = OutboxMessage.objects.filter(user=world.citizen, subject__contains="已全部办结")
    assert results.filter(channel="in_app").count() == 1
    # a later step (delivery) does not send it again
    case_services.transition(actor=officials.all_roles, case=Case.objects.get(pk=c.pk), action="deliver")
    assert results.filter(channel="in_app").count() == 1


def test_all_approved_and_all_refused(world, members):
    assert services.derived_state([]) == ApplicationState.DRAFT

    class C:
        def __init__(self, outcome):
            self.outcome = outcome

    assert services.derived_state([C("approved"), C("")]) == ApplicationState.IN_PROGRESS
    assert services.derived_state([C("approved"), C("approved")]) == ApplicationState.APPROVED
    assert services.derived_state([C("refused"), C("withdrawn")]) == ApplicationState.REFUSED


def test_officials_see_only_the_sibling_cases_in_their_scope(world, bundle):
    officials = make_officials()
    application = services.submit(actor=world.citizen, application=ready_application(world.citizen, bundle))
    a, b, c = services.cases_of(application)
    assert b.department.code == GUIXI_APPROVAL
    assert selectors.siblings(officials.all_roles, a) == [c]
    assert selectors.siblings(officials.guixi, b) == []
    assert selectors.siblings(world.admin, a) == [b, c]


def test_a_draft_is_the_applicants_own(world, bundle):
    from dgov.accounts.testing import make_citizen
    from dgov.core.errors import NotFound

    application = services.start(actor=world.citizen, bundle=bundle)
    with pytest.raises(NotFound):
        services.save_answers(actor=make_citizen("other"), application=application, answers={"name": "x"})
    bundle = services.set_status(actor=world.admin, bundle=bundle, status=BundleStatus.DRAFT)
    with pytest.raises(NotFound):
        services.start(actor=world.citizen, bundle=bundle)


def test_an_enterprise_bundle_is_applied_for_by_the_enterprise(world):
    from dgov.accounts.testing import make_enterprise
    from dgov.core.errors import PermissionDenied

    a = make_implementation(service_object="enterprise", form={}, materials=[])
    b = make_implementation(service_object="enterprise", form={}, materials=[], department_code=GUIXI_APPROVAL)
    bundle = services.bundle_save(actor=world.admin, data={"code": "opening", "name": "企业开办",
                                                           "audience": "enterprise"}, implementations=[a, b])
    bundle = services.set_status(actor=world.admin, bundle=bundle, status=BundleStatus.PUBLISHED)
    with pytest.raises(PermissionDenied):
        services.start(actor=world.citizen, bundle=bundle)
    enterprise = make_enterprise()
    application = services.start(actor=enterprise.account, bundle=bundle)
    answers = services.answers_of(application)
    assert answers["enterprise_name"] == enterprise.name and answers["credit_code"] == enterprise.credit_code
    services.save_answers(actor=enterprise.account, application=application,
                          answers={"contact_name": "王五", "phone": "13907010001"})
    application = services.submit(actor=enterprise.account, application=application)
    cases = services.cases_of(application)
    assert len(cases) == 2 and all(c.enterprise_id == enterprise.pk for c in cases)


def test_an_e_licence_named_once_replaces_the_material_in_every_case(world, members):
    from dgov.licenses.tests.conftest import GUIXI, YUJIANG, give_credit_codes, issue, make_seal
    from dgov.orgs.models import Department
    from dgov.services.models import Material

    lt = _licence_type(world)
    give_credit_codes(GUIXI)
    make_seal(world.admin, Department.objects.get(code=YUJIANG))
    licence = issue(world.yujiang_admin, lt, Department.objects.get(code=YUJIANG), world.citizen)
    for impl in members[:2]:
        Material.objects.create(implementation=impl, name="居住证", license_type=lt, order=9)
    bundle = services.bundle_save(actor=world.admin, data={"code": "permit", "name": "居住一件事",
                                                           "audience": "person"}, implementations=members[:2])
    bundle = services.set_status(actor=world.admin, bundle=bundle, status=BundleStatus.PUBLISHED)
    application = ready_application(world.citizen, bundle)
    with pytest.raises(ValidationError):
        services.use_licence(actor=world.citizen, application=application, name="申请书",
                             identifier=licence.identifier)  # not replaceable
    services.use_licence(actor=world.citizen, application=application, name="居住证", identifier=licence.identifier)
    application = services.submit(actor=world.citizen, application=application)
    for case in services.cases_of(application):
        item = case.materials.get(name="居住证")
        assert item.kind == "licence" and item.license_identifier == licence.identifier
        assert item.license_grant is not None and item.license_grant.department_id == case.department_id
