from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

PERMS = ["duties.view_dataduty", "duties.add_dataduty", "duties.change_dataduty", "duties.delete_dataduty"]


class DutiesConfig(AppConfig):
    name = "dgov.duties"
    label = "duties"
    verbose_name = _("Data responsibility list")

    def ready(self):
        from dgov.accounts import roles
        from dgov.core import nav
        from dgov.duties.models import DataDuty

        # A department's data administrators keep their department's list; the big-data centre's
        # reviewers read every department's (and its gaps) but do not write a department's duties.
        roles.grant("catalog_editor", *PERMS)
        roles.grant("catalog_reviewer", "duties.view_dataduty")
        nav.register("data", _("Data responsibility list"), "duties:dataduty_list", perm=(DataDuty, "view"),
                     order=40)

    def load_demo(self, out):
        from dgov.duties.demo import load_demo

        result = load_demo()
        out(f"demo data responsibilities: {result['created']} created ({result['total']} in the demo list, "
            f"{result['unlinked']} of them not in the catalog)")
        return result
