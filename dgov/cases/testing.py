"""Test helpers for cases (used by dgov/cases/tests and by any app that needs a case): a published
implementation with materials and a small form, officials of each case role, and a submitted case.

    impl = make_implementation()                      # 余江区行政审批局, 10 working days, one material
    officials = make_officials()                       # intake, reviewer, decider, deliverer … in 余江区
    case = submitted_case(world.citizen, impl)         # answers given, a PDF uploaded, submitted
"""

import datetime as dt
import itertools
from dataclasses import dataclass

from django.core.files.uploadedfile import SimpleUploadedFile

from dgov.accounts.testing import make_user
from dgov.orgs.models import Department

YUJIANG_APPROVAL, GUIXI_APPROVAL = "360603907", "360681907"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
FORM = {"version": 1, "pages": [
    {"key": "name", "title": "姓名", "fields": [{"key": "name", "label": "姓名", "type": "text", "required": True}]},
    {"key": "reason", "title": "申请事由", "fields": [
        {"key": "reason", "label": "申请事由", "type": "textarea", "required": True}]},
]}
ANSWERS = {"name": "李娜", "reason": "办理证明"}
_seq = itertools.count(1)


def make_implementation(*, department_code: str = YUJIANG_APPROVAL, case_kind: str = "promised",
                        statutory_limit: int = 20, statutory_unit: str = "working", promised_limit: int = 10,
                        promised_unit: str = "working", materials=None, form=None, result_license_type=None,
                        service_object: str = "person", process_steps=None, online_apply: bool = True,
                        status: str = "published"):
    """A published implementation (and its base item) of `department_code`. `materials`: a list of dicts
    of Material fields (default: one required electronic material)."""
    from dgov.services.models import Implementation, Material, ServiceItem

    n = next(_seq)
    department = Department.objects.select_related("region").get(code=department_code)
    item = ServiceItem.objects.create(base_code=f"T{n:011d}", name=f"测试事项{n}", item_type="01",
                                      legal_basis="《中华人民共和国行政许可法》", status="published")
    impl = Implementation.objects.create(
        item=item, code=f"TEST{n:08d}", name=f"测试事项{n}", department=department,
        region=department.region, service_object=service_object, case_kind=case_kind,
        statutory_limit=statutory_limit, statutory_unit=statutory_unit, promised_limit=promised_limit,
        promised_unit=promised_unit, online_apply=online_apply, form=FORM if form is None else form,
        process_steps=process_steps if process_steps is not None else [{"name": "审查"}, {"name": "复核"}],
        result_license_type=result_license_type, status=status, result_type="licence" if result_license_type
        else "approval")
    for order, spec in enumerate(materials if materials is not None else [{"name": "申请书"}]):
        Material.objects.create(implementation=impl, order=order, **{"required": True, **spec})
    return impl


@dataclass
class Officials:
    intake: object
    reviewer: object
    decider: object
    supervisor: object
    all_roles: object  # one official holding every case role in 余江区
    guixi: object  # holding every case role, but in 贵溪市


ROLE_CODES = ("case_intake", "case_reviewer", "case_decider")


def make_officials(prefix: str = "c") -> Officials:
    yujiang = ("region", "360603")

    def official(name, roles, department=YUJIANG_APPROVAL):
        return make_user(f"{prefix}_{name}", department_code=department,
                         roles=[(r, *scope) for r, scope in roles] + [("staff", "all", None)])

    return Officials(
        intake=official("intake", [("case_intake", yujiang)]),
        reviewer=official("reviewer", [("case_reviewer", yujiang)]),
        decider=official("decider", [("case_decider", yujiang)]),
        supervisor=official("supervisor", [("case_supervisor", yujiang)]),
        all_roles=official("all", [(r, yujiang) for r in ROLE_CODES]),
        guixi=official("guixi", [(r, ("region", "360681")) for r in ROLE_CODES], department=GUIXI_APPROVAL),
    )


def pdf_upload(name: str = "申请书.pdf", data: bytes = PDF):
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def draft_case(applicant, implementation, *, answers=None, upload: bool = True):
    from dgov.cases import services

    case = services.start(actor=applicant, implementation=implementation)
    services.save_answers(actor=applicant, case=case, answers=ANSWERS if answers is None else answers)
    if upload:
        for material in implementation.materials.filter(required=True, license_type=None):
            services.add_upload(actor=applicant, case=case, material=material, file=pdf_upload())
    case.refresh_from_db()
    return case


def submitted_case(applicant, implementation, **kwargs):
    from dgov.cases import services

    return services.submit(actor=applicant, case=draft_case(applicant, implementation, **kwargs))


def at(day: str, time: str = "10:00") -> dt.datetime:
    """An aware datetime in Asia/Shanghai ("2026-09-30", "10:00")."""
    from django.utils import timezone

    return timezone.make_aware(dt.datetime.fromisoformat(f"{day}T{time}"))
