"""Demo accounts and records (`dgov init --demo`), clearly marked: `is_demo`, "（演示）" in names.

Passwords, TOTP secrets and the demo citizen's ID number are generated once per installation and
kept in $DGOV_DATA_DIR/demo-accounts.json; running again reuses them and creates no duplicates.
"""

import json
import random
import secrets
import string

import pyotp
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from dgov.accounts.models import (
    Enterprise,
    EnterpriseAgent,
    NaturalPerson,
    Role,
    RoleAssignment,
    TotpDevice,
    User,
    VerificationMethod,
)
from dgov.core import audit
from dgov.core.validators import credit_code_check_char, id_number_check_char
from dgov.crypto.fields import blind_index
from dgov.orgs.models import Department, Region

DEMO_MARK = "（演示）"

# username, kind, [(role, scope_kind, scope target code)], region code, department code, name, post
ACCOUNTS = [
    ("admin", "official", [("city_admin", "all", None), ("security_admin", "all", None)],
     "360600000000", "360600036", "系统管理员", "系统管理员"),
    ("auditor", "official", [("auditor", "all", None)], "360600000000", "360600036", "审计员", "审计管理员"),
    ("yuehu_admin", "official", [("county_admin", "region", "360602000000")], "360602000000", "360602000",
     "月湖区管理员", "区县管理员"),
    ("yujiang_admin", "official", [("county_admin", "region", "360603000000")], "360603000000", "360603000",
     "余江区管理员", "区县管理员"),
    ("guixi_admin", "official", [("county_admin", "region", "360681000000")], "360681000000", "360681000",
     "贵溪市管理员", "区县管理员"),
    ("official", "official", [("staff", "all", None)], "360600000000", "360600201", "张伟", "科员"),
    ("yj_data", "official", [("catalog_editor", "department", "360603909"), ("staff", "all", None)],
     "360603000000", "360603909", "周敏", "数据专员"),
    ("data_centre", "official", [("catalog_reviewer", "all", None), ("staff", "all", None)],
     "360600000000", "360600201", "孙磊", "数据资源审核员"),
    ("citizen", "citizen", [], "360602001000", None, "李娜", ""),
    ("enterprise", "enterprise", [], "360603000000", None, "鹰潭铜材示范有限公司", ""),
]

# Further demo officials, so that scope is visible in every county: (username, region, department).
STAFF = [
    ("yh_staff1", "360602001000", "360602001", "王芳"), ("yh_staff2", "360602100000", "360602100", "刘洋"),
    ("yj_staff1", "360603001000", "360603001", "陈静"), ("yj_staff2", "360603101000", "360603101", "杨磊"),
    ("gx_staff1", "360681001000", "360681001", "赵敏"), ("gx_staff2", "360681100000", "360681100", "黄强"),
]


def _password() -> str:
    # Meets the policy: length 14, four character classes.
    alphabet = string.ascii_letters + string.digits
    core = "".join(secrets.choice(alphabet) for _ in range(10))
    return f"Yt{core}#{secrets.randbelow(10)}a"


def _id_number(region6: str) -> str:
    rng = random.SystemRandom()
    born = timezone.datetime(1985, 1, 1) + timezone.timedelta(days=rng.randrange(0, 365 * 15))
    first17 = f"{region6}{born:%Y%m%d}{rng.randrange(0, 1000):03d}"
    return first17 + id_number_check_char(first17)


def _credit_code(region6: str) -> str:
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    first17 = "91" + region6 + "".join(secrets.choice(alphabet) for _ in range(9))
    return first17 + credit_code_check_char(first17)


def _load_file(path) -> dict:
    try:
        return {a["username"]: a for a in json.loads(path.read_text(encoding="utf-8"))}
    except (FileNotFoundError, ValueError, KeyError, TypeError):
        return {}


def _ensure_user(username, kind, region, department, name, post, secret_pw) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, kind=kind)
    user.real_name = name + DEMO_MARK
    user.region, user.department, user.post = region, department, post
    user.is_demo, user.is_active = True, True
    user.locked_until, user.failed_login_count = None, 0
    user.set_password(secret_pw)
    user.password_changed_at = timezone.now()
    user.save()
    return user


def _verified_as_demo(record) -> None:
    """The demo citizen and enterprise count as verified (实名核验), marked as demo data."""
    if not record.verified:
        record.verified, record.verified_at, record.verified_by = True, timezone.now(), None
        record.verification_method = VerificationMethod.DEMO
        record.save(update_fields=["verified", "verified_at", "verified_by", "verification_method", "updated_at"])


def load_demo() -> list[dict]:
    path = settings.DATA_DIR / "demo-accounts.json"
    known = _load_file(path)
    out = []
    regions = {r.code: r for r in Region.objects.filter(level__in=["city", "county", "township"])}
    departments = {d.code: d for d in Department.objects.all()}
    with transaction.atomic():
        for username, kind, grants, region_code, dept_code, name, post in ACCOUNTS:
            prev = known.get(username, {})
            password = prev.get("password") or _password()
            department = departments.get(dept_code) if dept_code else None
            user = _ensure_user(username, kind, regions[region_code], department, name, post, password)
            for role_code, scope_kind, target in grants:
                role = Role.objects.get(code=role_code)
                RoleAssignment.objects.get_or_create(
                    user=user, role=role, scope_kind=scope_kind,
                    region=regions[target] if scope_kind == "region" else None,
                    department=departments[target] if scope_kind == "department" else None)
            entry = {
                "username": username, "password": password, "kind": kind,
                "role": ",".join(g[0] for g in grants), "region_code": region_code,
                "department": department.name if department else "",
            }
            if any(Role.objects.get(code=g[0]).requires_2fa for g in grants):
                secret = prev.get("totp_secret") or pyotp.random_base32()
                TotpDevice.objects.update_or_create(user=user, defaults={"secret": secret, "confirmed": True})
                entry["totp_secret"] = secret
            if kind == "citizen":
                person = NaturalPerson.objects.filter(user=user).first()
                id_number = prev.get("id_number") or (person.id_number if person else _id_number("360602"))
                if person is None:
                    person = NaturalPerson.objects.create(user=user, id_number=id_number,
                                                          id_number_index=blind_index(id_number, "id_number"))
                _verified_as_demo(person)
                if not user.phone:
                    user.phone = "139" + "".join(secrets.choice(string.digits) for _ in range(8))
                    user.phone_index = blind_index(user.phone, "phone")
                    user.save(update_fields=["phone", "phone_index"])
                entry["id_number"] = id_number
            if kind == "enterprise":
                enterprise = Enterprise.objects.filter(account=user).first()
                if enterprise is None:
                    enterprise = Enterprise.objects.create(
                        name=name + DEMO_MARK, credit_code=prev.get("credit_code") or _credit_code("360603"),
                        legal_representative="周建国" + DEMO_MARK, region=user.region, account=user, is_demo=True)
                _verified_as_demo(enterprise)
                entry["credit_code"] = enterprise.credit_code
            out.append(entry)
            known[username] = entry
        for username, region_code, dept_code, name in STAFF:
            prev = known.get(username, {})
            password = prev.get("password") or _password()
            user = _ensure_user(username, "official", regions[region_code], departments[dept_code], name, "科员",
                                password)
            RoleAssignment.objects.get_or_create(user=user, role=Role.objects.get(code="staff"), scope_kind="all",
                                                 region=None, department=None)
            out.append({"username": username, "password": password, "kind": "official", "role": "staff",
                        "region_code": region_code, "department": departments[dept_code].name})
        citizen = User.objects.get(username="citizen")
        enterprise = Enterprise.objects.get(account__username="enterprise")
        EnterpriseAgent.objects.get_or_create(enterprise=enterprise, agent=citizen,
                                              defaults={"authorised_by": enterprise.account})
        audit.record("demo.load", audit.Target("accounts.user", "", "demo"), changes={"accounts": len(out)})
    path.write_text(json.dumps(out, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    path.chmod(0o600)
    return out


def grant_demo_role(user: User, code: str, *, region: Region | None = None,
                    department: Department | None = None) -> bool:
    """Give a demo account the built-in role `code` over `region`, `department` or (neither) all data;
    audited and marked demo. What exists is kept. True when it was created. The other apps' demo data
    use it for the demo official's roles."""
    from dgov.accounts.models import Role
    from dgov.accounts.permissions import forget_grants
    from dgov.core.cache import IDENTITY

    role = Role.objects.filter(code=code).first()
    if role is None:
        return False
    if region is not None:
        lookup, label = {"region": region, "defaults": {"scope_kind": "region"}}, f"region:{region.code}"
    elif department is not None:
        lookup, label = {"department": department, "defaults": {"scope_kind": "department"}}, \
            f"department:{department.code}"
    else:
        lookup, label = {"scope_kind": "all", "region": None, "department": None}, "all"
    assignment, created = RoleAssignment.objects.get_or_create(user=user, role=role, **lookup)
    if created:
        audit.record("accounts.roleassignment.create", assignment, changes={
            "user": user.username, "role": code, "scope": label, "demo": True})
        forget_grants(user)
        IDENTITY.bump()
    return created
