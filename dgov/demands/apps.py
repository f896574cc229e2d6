from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemandsConfig(AppConfig):
    name = "dgov.demands"
    label = "demands"
    verbose_name = _("Data supply and demand list")

    def ready(self):
        from dgov.accounts import roles
        from dgov.core import nav
        from dgov.core.audit import register_action_labels
        from dgov.demands.models import DataDemand, DemandEvent

        # A department's data administrator files demands for the department and answers those
        # addressed to it; the big-data centre's reviewers see them all and match them to the catalog.
        roles.grant("catalog_editor", "demands.view_datademand", "demands.add_datademand",
                    "demands.change_datademand", "demands.answer_datademand")
        roles.grant("catalog_reviewer", "demands.view_datademand", "demands.match_datademand")
        register_action_labels(verbs={verb: label for verb, label in DemandEvent.Action.choices
                                      if verb in ("match", "confirm", "fulfil", "remind")})
        nav.register("data", _("Data supply and demand list"), "demands:datademand_list",
                     perm=(DataDemand, "view"), order=50)

    def load_demo(self, out):
        from dgov.demands.demo import load_demo

        result = load_demo()
        out(f"demo data demands: {result['created']} created ({result['total']} in the demo list)")
        return result
