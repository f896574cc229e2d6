"""Test helpers for every app: users of each kind with roles and scopes, and API clients."""

import itertools
from dataclasses import dataclass

from django.test import Client
from django.utils import timezone

from dgov.accounts.models import (
    Enterprise,
    NaturalPerson,
    Role,
    RoleAssignment,
    TotpDevice,
    User,
    UserKind,
    VerificationMethod,
)
from dgov.accounts.permissions import forget_grants
from dgov.accounts.services import token_create
from dgov.core.cache import IDENTITY
from dgov.core.validators import credit_code_check_char, id_number_check_char
from dgov.crypto.fields import blind_index
from dgov.orgs.models import Department, Region

PASSWORD = "Test-password-2024"
# 160 bits, like pyotp.random_base32(); pyotp refuses secrets shorter than 112 bits.
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
_seq = itertools.count(1)


def region(code: str) -> Region:
    return Region.objects.get(code=code.ljust(12, "0"))


def department(code: str) -> Department:
    return Department.objects.get(code=code)


def make_user(username: str | None = None, *, kind: str = UserKind.OFFICIAL, region_code: str | None = None,
              department_code: str | None = None, roles=(), password: str = PASSWORD, totp: bool = False,
              **fields) -> User:
    """A user; `roles` is a list of (role code, scope kind, scope target code or None)."""
    n = next(_seq)
    username = username or f"user{n}"
    dept = department(department_code) if department_code else None
    reg = region(region_code) if region_code else (dept.region if dept else None)
    user = User(username=username, kind=kind, region=reg, department=dept, real_name=fields.pop("real_name", username),
                **fields)
    user.set_password(password)
    user.save()
    for code, scope_kind, target in roles:
        grant(user, code, scope_kind, target)
    if totp:
        TotpDevice.objects.create(user=user, secret=TOTP_SECRET, confirmed=True)
    return user


def grant(user: User, role_code: str, scope_kind: str = "all", target: str | None = None) -> RoleAssignment:
    assignment = RoleAssignment.objects.create(
        user=user, role=Role.objects.get(code=role_code), scope_kind=scope_kind,
        region=region(target) if scope_kind == "region" else None,
        department=department(target) if scope_kind == "department" else None)
    forget_grants(user)
    IDENTITY.bump()  # a direct write (no service, no audit): tell the per-process caches ourselves
    return assignment


def valid_id_number(region6: str = "360602", birth: str = "19900101", seq: int | None = None) -> str:
    first17 = f"{region6}{birth}{(seq if seq is not None else next(_seq)) % 1000:03d}"
    return first17 + id_number_check_char(first17)


def make_citizen(username: str | None = None, *, region_code: str = "360602001000", id_number: str | None = None,
                 phone: str = "13900000000", verified: bool = False) -> User:
    """A citizen; `verified`: as if an identity officer had checked the ID card (实名核验)."""
    user = make_user(username, kind=UserKind.CITIZEN, region_code=region_code, phone=phone,
                     phone_index=blind_index(phone, "phone"))
    number = id_number or valid_id_number()
    NaturalPerson.objects.create(user=user, id_number=number, id_number_index=blind_index(number, "id_number"),
                                 verified=verified, verified_at=timezone.now() if verified else None,
                                 verification_method=VerificationMethod.COUNTER if verified else "")
    return user


def valid_credit_code(region6: str = "360603", seq: int | None = None) -> str:
    """A GB 32100-valid unified social credit code of a company (91…) registered in `region6`."""
    first17 = f"91{region6}MA{(seq if seq is not None else next(_seq)) % 10**7:07d}"
    return first17 + credit_code_check_char(first17)


def make_enterprise(name: str | None = None, *, username: str | None = None, region_code: str = "360603",
                    credit_code: str | None = None, verified: bool = True) -> Enterprise:
    """An enterprise with its own account (kind enterprise), registered in `region_code`."""
    n = next(_seq)
    account = make_user(username or f"t_enterprise{n}", kind=UserKind.ENTERPRISE, phone=f"1380000{n % 10000:04d}")
    return Enterprise.objects.create(
        name=name or f"鹰潭测试企业{n}有限公司", credit_code=credit_code or valid_credit_code(region_code[:6], n),
        legal_representative="王五", account=account, region=region(region_code), verified=verified,
        verified_at=timezone.now() if verified else None)


def api_client(user: User | None = None) -> Client:
    """A test client sending `Authorization: Bearer` for `user` (anonymous when None)."""
    if user is None:
        return Client()
    _, token = token_create(user=user, name="test")
    return Client(headers={"Authorization": f"Bearer {token}"})


@dataclass
class World:
    """The standard cast for scope tests: a city administrator, county administrators of 余江区
    and 贵溪市, a plain official, a citizen (identity verified), and an auditor."""

    admin: User
    yujiang_admin: User
    guixi_admin: User
    official: User
    citizen: User
    auditor: User


def make_world() -> World:
    return World(
        admin=make_user("t_admin", department_code="360600036", roles=[("city_admin", "all", None),
                                                                       ("security_admin", "all", None)]),
        yujiang_admin=make_user("t_yujiang_admin", department_code="360603000",
                                roles=[("county_admin", "region", "360603")]),
        guixi_admin=make_user("t_guixi_admin", department_code="360681000",
                              roles=[("county_admin", "region", "360681")]),
        official=make_user("t_official", department_code="360600001", roles=[("staff", "all", None)]),
        citizen=make_citizen("t_citizen", verified=True),
        auditor=make_user("t_auditor", department_code="360600036", roles=[("auditor", "all", None)]),
    )
