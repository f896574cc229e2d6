from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

#: the built-in role of enterprise policies (added to dgov/accounts/roles.py's from `ready`)
ROLES = {
    "policy_admin": {
        "name": "惠企政策管理人员",
        "description": "在数据范围内（政策的发布部门）录入、发布和停止惠企政策及其申享条件规则，预览和运行政策匹配；"
                       "维护和导入企业画像数据；查看匹配结果。",
        "requires_2fa": False,
        "perms": ["policies.view_policy", "policies.add_policy", "policies.change_policy", "policies.delete_policy",
                  "policies.match_policy", "policies.view_enterpriseprofile", "policies.add_enterpriseprofile",
                  "policies.change_enterpriseprofile", "policies.view_policymatch", "policies.view_matchrun",
                  "services.view_implementation", "orgs.view_department"],
    },
}


class PoliciesConfig(AppConfig):
    name = "dgov.policies"
    label = "policies"
    verbose_name = _("Enterprise policies")

    def ready(self):
        from dgov.accounts import roles
        from dgov.cases import panels
        from dgov.cases.notify import register_placeholders
        from dgov.core import nav
        from dgov.core.audit import register_action_labels
        from dgov.policies.models import EnterpriseProfile, MatchRun, Policy, PolicyMatch

        register_placeholders("policy_", "policy", "enterprise", "document_number", "benefit")
        for code, spec in ROLES.items():
            roles.BUILTIN_ROLES.setdefault(code, {**spec, "perms": list(spec["perms"])})
        roles.grant("city_admin", "policies.view_policy", "policies.view_policymatch", "policies.view_matchrun")
        register_action_labels(verbs={"publish": _("published"), "expire": _("expired"),
                                      "evaluate": _("evaluated")})
        from dgov.policies.panels import render_policy

        panels.register("applicant", render_policy, order=5)
        panels.register("official", render_policy, order=5)
        nav.register("workbench", _("Enterprise policies"), "policies:policy_list", perm=(Policy, "view"), order=40)
        nav.register("workbench", _("Enterprise profiles"), "policies:enterpriseprofile_list",
                     perm=(EnterpriseProfile, "view"), order=41)
        nav.register("workbench", _("Policy matches"), "policies:policymatch_list", perm=(PolicyMatch, "view"),
                     order=42)
        nav.register("workbench", _("Policy matching runs"), "policies:matchrun_list", perm=(MatchRun, "view"),
                     order=43)

    def load_demo(self, out):
        from dgov.policies.demo import load_demo

        result = load_demo()
        out(f"demo policies: {result['policies']} created, {result['profiles']} profiles, "
            f"{result['cases']} benefit cases opened {result['note']}")
        return result
