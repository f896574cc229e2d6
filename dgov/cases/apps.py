from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

#: the built-in roles of case processing (added to dgov/accounts/roles.py's from `ready`)
ROLES = {
    "case_intake": {
        "name": "窗口受理人员",
        "description": "在数据范围内对网上和窗口申请作出受理、不予受理决定或一次性告知补正；送达办理结果并办结；"
                       "经申请人授权调取电子证照（免证办）。",
        "requires_2fa": False,
        "perms": ["cases.view_case", "cases.accept_case", "cases.deliver_case",
                  "licenses.view_licensegrant", "licenses.use_licensegrant", "orgs.view_department"],
    },
    "case_reviewer": {
        "name": "审查人员",
        "description": "在数据范围内审查已受理的办件，启动和结束听证、检验检测、专家评审等特别程序（不计入办理时限）。",
        "requires_2fa": False,
        "perms": ["cases.view_case", "cases.review_case", "licenses.view_licensegrant", "licenses.use_licensegrant",
                  "orgs.view_department"],
    },
    "case_decider": {
        "name": "决定人员",
        "description": "在数据范围内作出准予或不予许可的决定；准予时以本部门电子印章签发结果证照。",
        "requires_2fa": False,
        "perms": ["cases.view_case", "cases.decide_case", "licenses.view_licensegrant", "licenses.use_licensegrant",
                  "licenses.view_license", "licenses.add_license", "licenses.view_licensetype",
                  "orgs.view_department"],
    },
    "case_supervisor": {
        "name": "办件督办人员",
        "description": "查看数据范围内的办件，接收超期办件的督办提醒。",
        "requires_2fa": False,
        "perms": ["cases.view_case", "cases.supervise_case", "orgs.view_department"],
    },
}


class CasesConfig(AppConfig):
    name = "dgov.cases"
    label = "cases"
    verbose_name = _("Cases")

    def ready(self):
        from dgov.accounts import roles
        from dgov.cases.models import Case, MessageTemplate
        from dgov.core.audit import register_action_labels

        for code, spec in ROLES.items():
            roles.BUILTIN_ROLES.setdefault(code, {**spec, "perms": list(spec["perms"])})
        # The city's and the counties' administrators see the cases of their scope; the city's edits the wording
        # of the messages.
        roles.grant("city_admin", "cases.view_case", "cases.view_messagetemplate", "cases.change_messagetemplate")
        roles.grant("county_admin", "cases.view_case")
        register_action_labels(verbs={
            "submit": _("submitted"), "resubmit": _("resubmitted"), "accept": _("accepted"),
            "not_accept": _("not accepted"), "request_correction": _("correction requested"),
            "review": _("reviewed"), "suspend": _("suspended"), "resume": _("resumed"), "approve": _("approved"),
            "refuse": _("refused"), "deliver": _("delivered"), "close": _("closed"), "withdraw": _("withdrawn"),
            "deemed_accept": _("accepted by law"), "warn": _("warned"), "escalate": _("escalated"),
            "answers": _("answers saved")})
        self._register_nav(Case, MessageTemplate)

    @staticmethod
    def _register_nav(Case, MessageTemplate):
        """The workbench's entries for the officials' case pages (dgov/cases/urls.py), those that exist."""
        from dgov.core import nav

        try:
            from dgov.cases import urls
        except ImportError:  # pragma: no cover - the pages are being written
            return
        names = {getattr(p, "name", None) for p in urls.urlpatterns}
        entries = [("inbox", _("Case inbox"), (Case, "view"), 10),
                   ("case_list", _("Cases"), (Case, "view"), 11),
                   ("messagetemplate_list", _("Case message templates"), (MessageTemplate, "change"), 12),
                   ("statistics", _("Case statistics"), (Case, "view"), 13)]
        for name, label, perm, order in entries:
            if name in names:
                nav.register("workbench", label, f"cases:{name}", perm=perm, order=order)

    def load_reference(self, out, *, update=False):
        from dgov.cases.notify import load_templates

        result = load_templates(update=update)
        out(f"case message templates: {result['created']} created, {result['updated']} updated "
            f"({result['total']} in all)")
        return result

    def load_demo(self, out):
        from dgov.cases.demo import load_demo

        result = load_demo()
        skipped = f"; left out: {', '.join(result['skipped'])}" if result.get("skipped") else ""
        out(f"demo cases: {result['created']} created ({result['total']} in the demo){skipped}")
        return result
