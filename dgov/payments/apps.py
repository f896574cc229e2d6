from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

#: the built-in role of fee collection (added to dgov/accounts/roles.py's from `ready`)
ROLES = {
    "fee_manager": {
        "name": "收费管理人员",
        "description": "在数据范围内查看办件缴费单和缴费记录，办理退费（全额或部分，须说明原因）、"
                       "撤销或调整未缴的缴费单；运行和查看与支付机构的每日对账。",
        "requires_2fa": False,
        "perms": ["payments.view_feeorder", "payments.refund_feeorder", "payments.view_reconciliationrun",
                  "payments.add_reconciliationrun", "cases.view_case", "orgs.view_department"],
    },
}


class PaymentsConfig(AppConfig):
    name = "dgov.payments"
    label = "payments"
    verbose_name = _("Payments")

    def ready(self):
        from dgov.accounts import roles
        from dgov.cases import panels
        from dgov.cases.notify import register_placeholders
        from dgov.cases.signals import case_transitioned, case_transitioning
        from dgov.core import nav
        from dgov.core.audit import register_action_labels
        from dgov.payments import checks, receivers, views  # noqa: F401  (checks: registers its part of `dgov check`)
        from dgov.payments.models import FeeOrder, ReconciliationRun

        register_placeholders("payment_", "order", "amount", "fee_items", "paid", "refunded", "receipt")
        for code, spec in ROLES.items():
            roles.BUILTIN_ROLES.setdefault(code, {**spec, "perms": list(spec["perms"])})
        # whoever handles a case sees its fee order; the city's administrators see every order and run
        for code in ("case_intake", "case_reviewer", "case_decider", "case_supervisor", "county_admin"):
            if code in roles.BUILTIN_ROLES:
                roles.grant(code, "payments.view_feeorder")
        roles.grant("city_admin", "payments.view_feeorder", "payments.view_reconciliationrun")
        case_transitioned.connect(receivers.on_transitioned, dispatch_uid="payments.on_transitioned")
        case_transitioning.connect(receivers.on_transitioning, dispatch_uid="payments.on_transitioning")
        panels.register("applicant", views.applicant_panel, order=10)
        panels.register("official", views.official_panel, order=10)
        register_action_labels(verbs={"pay": _("paid"), "refund": _("refunded"), "set_items": _("fees set"),
                                      "extra_payment": _("paid again"), "amount_mismatch": _("amount mismatch"),
                                      "ref_mismatch": _("reference mismatch"),
                                      "state_conflict": _("state conflict")})
        nav.register("workbench", _("Fee orders"), "payments:order_list", perm=(FeeOrder, "view"), order=13)
        nav.register("workbench", _("Payment reconciliation"), "payments:reconciliation",
                     perm=(ReconciliationRun, "view"), order=14)

    def load_demo(self, out):
        from dgov.payments.demo import load_demo

        result = load_demo()
        out(f"demo fee orders: {result['created']} created ({result['total']} in the demo)"
            + (f"; {result['note']}" if result.get("note") else ""))
        return result
