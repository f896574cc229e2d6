from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

#: the built-in roles of the licence library (added to dgov/accounts/roles.py's from `ready`)
ROLES = {
    "license_admin": {
        "name": "证照管理员",
        "description": "维护本部门定义的证照类型（证照目录）和本部门的电子印章，查看证照及其统计。",
        "requires_2fa": True,
        "perms": ["licenses.view_licensetype", "licenses.add_licensetype", "licenses.change_licensetype",
                  "licenses.view_seal", "licenses.add_seal", "licenses.change_seal", "licenses.revoke_seal",
                  "licenses.view_license", "licenses.view_licensegrant", "licenses.view_verification",
                  "orgs.view_department"],
    },
    "license_issuer": {
        "name": "证照签发员",
        "description": "在数据范围内签发、批量导入、换发和注销电子证照，加盖本部门电子印章。",
        "requires_2fa": True,
        "perms": ["licenses.view_licensetype", "licenses.view_seal", "licenses.view_license",
                  "licenses.add_license", "licenses.change_license", "orgs.view_department"],
    },
    "license_user": {
        "name": "用证人员",
        "description": "经持证人授权后，为本部门办理业务调取电子证照（免证办），每次调取持证人可见。",
        "requires_2fa": False,
        "perms": ["licenses.view_licensegrant", "licenses.use_licensegrant", "orgs.view_department"],
    },
}


class LicensesConfig(AppConfig):
    name = "dgov.licenses"
    label = "licenses"
    verbose_name = _("Electronic licences")

    def ready(self):
        from dgov.accounts import roles
        from dgov.core import nav
        from dgov.core.audit import register_action_labels
        from dgov.licenses import checks  # noqa: F401  (registers the licence checks of `dgov check`)
        from dgov.licenses.models import License, LicenseGrant, LicenseType, Seal

        for code, spec in ROLES.items():
            roles.BUILTIN_ROLES.setdefault(code, {**spec, "perms": list(spec["perms"])})
        every = sorted({perm for spec in ROLES.values() for perm in spec["perms"] if perm.startswith("licenses.")})
        # The city's and the counties' administrators run the licence library within their scope too.
        roles.grant("city_admin", *every)
        roles.grant("county_admin", *every)
        register_action_labels(verbs={
            "issue": _("issued"), "reissue": _("re-issued"), "expire": _("expired"), "renew": _("renewed"),
            "pull": _("pulled through a grant")})
        nav.register("data", _("Licences"), "licenses:license_list", perm=(License, "view"), order=90)
        nav.register("data", _("Licence types"), "licenses:licensetype_list", perm=(LicenseType, "view"), order=91)
        nav.register("data", _("E-seals"), "licenses:seal_list", perm=(Seal, "view"), order=92)
        nav.register("data", _("Licence statistics"), "licenses:statistics", perm=(License, "view"), order=93)
        nav.register("data", _("Licences shared with us"), "licenses:granted_list", perm=(LicenseGrant, "use"),
                     order=94)

    def load_reference(self, out, *, update=False):
        from dgov.licenses import maker

        out(f"licence seal maker: {'created' if maker.ensure() else 'present'}")

    def load_demo(self, out):
        from dgov.licenses.demo import load_demo

        result = load_demo()
        out(f"demo licences: {result['licenses']} issued, {result['seals']} seals ({result['note']})")
        return result
