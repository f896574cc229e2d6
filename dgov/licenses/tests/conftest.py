"""A licence library to test against: credit codes on three departments, a 居住证-like type for persons
defined by 鹰潭市公安局 and issued by 余江区行政审批局 and 贵溪市行政审批局, one e-seal each, and helpers to
issue licences to the `world`'s citizen."""

import datetime as dt

import pytest
from django.utils import timezone

from dgov.core.validators import credit_code_check_char
from dgov.orgs.models import Department

DEFINING, YUJIANG, GUIXI = "360600006", "360603907", "360681907"
FIELDS = [
    {"key": "address", "label": "居住地址", "kind": "text", "required": True},
    {"key": "since", "label": "居住起始日期", "kind": "date", "required": False},
    {"key": "category", "label": "类别", "kind": "choice", "required": True, "choices": ["务工", "就学", "其他"]},
    {"key": "area", "label": "面积", "kind": "number", "required": False},
]
VALUES = {"address": "余江区锦江镇中山路1号", "since": "2024-03-01", "category": "务工", "area": "35.5"}


def credit_code(department_code: str) -> str:
    """A made-up, check-digit-valid credit code of an organ (11…) in the department's region."""
    department = Department.objects.select_related("region").get(code=department_code)
    first17 = "11" + department.region.code[:6] + department.code
    return first17 + credit_code_check_char(first17)


def give_credit_codes(*codes: str) -> None:
    from dgov.core.cache import REFERENCE

    for code in codes:
        Department.objects.filter(code=code).update(credit_code=credit_code(code))
    REFERENCE.bump()


@pytest.fixture(autouse=True)
def _quick_verification(settings):
    settings.DGOV_LICENSE_VERIFY_RATE = "100000/min"
    settings.DGOV_PUBLIC_URL = "https://zw.example.gov.cn"


@pytest.fixture
def departments(db):
    give_credit_codes(DEFINING, YUJIANG, GUIXI)
    return {code: Department.objects.get(code=code) for code in (DEFINING, YUJIANG, GUIXI)}


@pytest.fixture
def license_type(world, departments):
    from dgov.licenses import services
    from dgov.licenses.models import LicenseType

    t = LicenseType(name="居住证", defining_department=departments[DEFINING], holder_kind="person",
                    physical_licence="居住证（IC卡）", fields=FIELDS, validity_months=12,
                    face={"title": "居住证", "subtitle": "鹰潭市", "field_order": ["category", "address"]})
    return services.type_save(actor=world.admin, license_type=t,
                              issuing_departments=[departments[YUJIANG], departments[GUIXI]])


def make_seal(actor, department, name=None, **extra):
    from dgov.licenses import services
    from dgov.licenses.models import Seal

    now = timezone.now()
    seal = Seal(name=name or f"{department.name}电子证照专用章", department=department,
                valid_from=now - dt.timedelta(days=1), valid_until=now + dt.timedelta(days=365), **extra)
    return services.seal_create(actor=actor, seal=seal)


@pytest.fixture
def seals(world, departments):
    return {code: make_seal(world.admin, departments[code]) for code in (YUJIANG, GUIXI)}


def issue(actor, license_type, issuer, holder, **extra):
    from dgov.licenses import services

    values = {"license_type": license_type, "issuer": issuer, "holder_kind": "person",
              "holder_code": holder.person.id_number, "holder_name": holder.real_name or "李娜", "fields": VALUES,
              **extra}
    return services.issue(actor=actor, **values)


@pytest.fixture
def yujiang_license(world, license_type, seals, departments):
    return issue(world.yujiang_admin, license_type, departments[YUJIANG], world.citizen)


@pytest.fixture
def guixi_license(world, license_type, seals, departments):
    return issue(world.guixi_admin, license_type, departments[GUIXI], world.citizen)
