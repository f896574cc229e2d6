from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

#: the built-in role of supervision (added to dgov/accounts/roles.py's from `ready`)
ROLES = {
    "supervision_officer": {
        "name": "监管人员",
        "description": "在数据范围内（监管部门）接收审批部门推送的审批结果（审管联动），在时限内认领，"
                       "记录纳入监管和监管结果。",
        "requires_2fa": False,
        "perms": ["supervision.view_supervisiontask", "supervision.acknowledge_supervisiontask",
                  "orgs.view_department"],
    },
}


class SupervisionConfig(AppConfig):
    name = "dgov.supervision"
    label = "supervision"
    verbose_name = _("Supervision tasks")

    def ready(self):
        from dgov.accounts import roles
        from dgov.cases import panels as case_panels
        from dgov.cases.notify import register_placeholders
        from dgov.cases.signals import case_transitioned
        from dgov.core import nav
        from dgov.core.audit import register_action_labels
        from dgov.supervision import panels, services
        from dgov.supervision.models import SupervisionTask

        register_placeholders("supervision_", "holder", "approving_department")
        for code, spec in ROLES.items():
            roles.BUILTIN_ROLES.setdefault(code, {**spec, "perms": list(spec["perms"])})
        roles.grant("city_admin", "supervision.view_supervisiontask")
        roles.grant("county_admin", "supervision.view_supervisiontask")
        register_action_labels(events={
            "supervision.supervisiontask.acknowledge": _("Supervision task acknowledged"),
            "supervision.supervisiontask.start": _("Supervision task: supervision started"),
            "supervision.supervisiontask.close": _("Supervision task closed"),
            "supervision.supervisiontask.remind": _("Supervision task: reminder sent")})
        case_transitioned.connect(services.on_case_transitioned, dispatch_uid="supervision.push")
        case_panels.register("official", panels.official_panel, order=30)
        nav.register("workbench", _("Supervision tasks"), "supervision:task_list", perm=(SupervisionTask, "view"),
                     order=15)

    def load_demo(self, out):
        from dgov.supervision.demo import load_demo

        result = load_demo()
        out(f"demo supervision tasks: {result['created']} pushed now, {result['total']} in the demo")
        return result
