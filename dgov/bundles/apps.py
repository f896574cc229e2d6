from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

#: what item administrators (and the city's and counties' administrators) may do with bundles
MANAGE_PERMS = ("bundles.view_bundle", "bundles.add_bundle", "bundles.change_bundle", "bundles.publish_bundle")


class BundlesConfig(AppConfig):
    name = "dgov.bundles"
    label = "bundles"
    verbose_name = _("One-thing bundles")

    def ready(self):
        from dgov.accounts import roles
        from dgov.bundles import panels, services
        from dgov.cases import panels as case_panels
        from dgov.cases.notify import register_placeholders
        from dgov.cases.signals import case_transitioned
        from dgov.core import nav
        from dgov.core.audit import register_action_labels

        register_placeholders("bundle_", "bundle", "bundle_reference", "cases", "outcomes")
        for role in ("item_admin", "city_admin", "county_admin"):
            roles.grant(role, *MANAGE_PERMS)
        case_transitioned.connect(services.on_case_transitioned, dispatch_uid="bundles.case_transitioned")
        case_panels.register("applicant", panels.applicant_panel, order=30)
        case_panels.register("official", panels.official_panel, order=30)
        register_action_labels(verbs={"members": _("members changed"), "state": _("state derived")})
        from dgov.bundles.models import Bundle

        nav.register("workbench", _("One-thing bundles"), "bundles:bundle_list", perm=(Bundle, "view"), order=24)

    def load_demo(self, out):
        from dgov.bundles.demo import load_demo

        result = load_demo()
        out(f"demo one-thing bundles: {result['created']} created ({result['total']} in the demo)"
            + (f"; left out: {', '.join(result['skipped'])}" if result["skipped"] else ""))
        return result
