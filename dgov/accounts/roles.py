"""Built-in roles (names and descriptions are data, in Chinese like the department list).

`dgov init` keeps them in line with these definitions (new permissions are added, removed ones
withdrawn) and nobody can change them in the platform; cities add their own roles in the UI. The
three administrative roles follow the MLPS separation of duties (system / security / audit)."""

from django.contrib.auth.models import Permission
from django.db import transaction

from dgov.accounts.models import Role
from dgov.core import audit

BUILTIN_ROLES = {
    "city_admin": {
        "name": "系统管理员",
        "description": "管理账号、部门、行政区划、工作日历、消息发件箱、应用系统和密钥。",
        "requires_2fa": True,
        "perms": [
            "accounts.view_user", "accounts.add_user", "accounts.change_user",
            "accounts.view_enterprise", "accounts.view_enterpriseagent",
            "accounts.view_role", "accounts.view_roleassignment",
            "orgs.view_region", "orgs.view_department", "orgs.add_department", "orgs.change_department",
            "orgs.delete_department", "orgs.view_managementarea", "orgs.change_managementarea",
            "calendars.view_calendarday", "calendars.add_calendarday", "calendars.change_calendarday",
            "calendars.delete_calendarday",
            "notifications.view_outboxmessage",
            "accounts.view_application", "accounts.add_application", "accounts.change_application",
            "accounts.delete_application",
            "kms.view_key", "kms.add_key", "kms.change_key", "kms.use_key", "kms.export_key",
            "kms.view_keypolicy", "kms.add_keypolicy", "kms.change_keypolicy", "kms.delete_keypolicy",
        ],
    },
    "security_admin": {
        "name": "安全管理员",
        "description": "定义角色并按数据范围授权；管理 API 令牌。",
        "requires_2fa": True,
        "perms": [
            "accounts.view_user", "accounts.change_user",
            "accounts.view_role", "accounts.add_role", "accounts.change_role", "accounts.delete_role",
            "accounts.view_roleassignment", "accounts.add_roleassignment", "accounts.delete_roleassignment",
            "accounts.view_apitoken", "accounts.delete_apitoken",
            "orgs.view_region", "orgs.view_department",
        ],
    },
    "auditor": {
        "name": "审计管理员",
        "description": "查询、校验和导出审计日志。",
        "requires_2fa": True,
        "perms": ["core.view_auditentry", "core.export_auditentry", "orgs.view_region", "orgs.view_department"],
    },
    "county_admin": {
        "name": "区县管理员",
        "description": "管理本县级区划内的账号、部门、应用系统和密钥，并在本区划内授权。",
        "requires_2fa": True,
        "perms": [
            "accounts.view_user", "accounts.add_user", "accounts.change_user",
            "accounts.view_role", "accounts.view_roleassignment", "accounts.add_roleassignment",
            "accounts.delete_roleassignment",
            "orgs.view_region", "orgs.view_department", "orgs.add_department", "orgs.change_department",
            "calendars.view_calendarday",
            "accounts.view_enterprise",
            "accounts.view_application", "accounts.add_application", "accounts.change_application",
            "accounts.delete_application",
            "kms.view_key", "kms.add_key", "kms.change_key", "kms.use_key",
            "kms.view_keypolicy", "kms.add_keypolicy", "kms.change_keypolicy", "kms.delete_keypolicy",
        ],
    },
    "identity_officer": {
        "name": "实名核验员",
        "description": "可在数据范围内查看未脱敏的个人信息（身份证号、手机号），每次查看均记入审计；"
                       "在政务服务大厅现场核对身份证或营业执照后，为自然人和法人账号办理实名核验或撤销核验。",
        "requires_2fa": True,
        "perms": ["accounts.view_user", "accounts.view_naturalperson", "accounts.view_personal_data_naturalperson",
                  "accounts.view_enterprise", "accounts.verify_naturalperson", "accounts.verify_enterprise"],
    },
    "catalog_editor": {
        "name": "部门数据管理员",
        "description": "编制和维护本部门的数据资源目录条目，提交审核。",
        "requires_2fa": False,
        "perms": ["catalog.view_catalogentry", "catalog.add_catalogentry", "catalog.change_catalogentry",
                  "catalog.view_classification", "catalog.view_negativelistitem", "orgs.view_department"],
    },
    "catalog_reviewer": {
        "name": "数据资源审核员",
        "description": "市大数据中心：审核、发布和撤回数据资源目录条目，维护目录分类和数据负面清单。",
        "requires_2fa": True,
        "perms": ["catalog.view_catalogentry", "catalog.review_catalogentry",
                  "catalog.view_classification", "catalog.add_classification", "catalog.change_classification",
                  "catalog.view_negativelistitem", "catalog.add_negativelistitem",
                  "catalog.change_negativelistitem", "catalog.delete_negativelistitem", "orgs.view_department"],
    },
    "staff": {
        "name": "工作人员",
        "description": "所有公职人员：查看行政区划、部门和工作日历。",
        "requires_2fa": False,
        "perms": ["orgs.view_region", "orgs.view_department", "calendars.view_calendarday"],
    },
}


def grant(role_code: str, *perms: str) -> None:
    """Give a built-in role permissions of another app (called from that app's `AppConfig.ready`),
    so each app declares what the shared roles may do with its models next to the models."""
    wanted = BUILTIN_ROLES[role_code]["perms"]
    wanted.extend(perm for perm in perms if perm not in wanted)


def _permissions(names: list[str]) -> list[Permission]:
    perms = []
    for name in names:
        app_label, codename = name.split(".", 1)
        perm = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
        if perm is None:
            raise LookupError(f"built-in role refers to unknown permission {name!r}")
        perms.append(perm)
    return perms


def load_builtin_roles() -> int:
    changed = 0
    with transaction.atomic():
        for code, spec in BUILTIN_ROLES.items():
            role, created = Role.objects.get_or_create(
                code=code, defaults={"name": spec["name"], "description": spec["description"],
                                     "requires_2fa": spec["requires_2fa"], "is_builtin": True})
            wanted = {p.pk for p in _permissions(spec["perms"])}
            have = set(role.permissions.values_list("pk", flat=True))
            if created or wanted != have:
                role.permissions.set(wanted)
                audit.record(f"accounts.role.{'create' if created else 'change'}", role,
                             changes={"permissions": [sorted(have), sorted(wanted)]})
                changed += 1
    return changed
