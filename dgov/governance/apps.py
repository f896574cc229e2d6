from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GovernanceConfig(AppConfig):
    name = "dgov.governance"
    label = "governance"
    verbose_name = _("Data governance")

    def ready(self):
        from dgov.accounts import roles
        from dgov.core import audit, nav
        from dgov.governance.models import RankingPublication, ResourceFeedback

        roles.grant("data_governor", "governance.view_resourcefeedback", "governance.change_resourcefeedback",
                    "governance.view_rankingpublication", "governance.publish_rankingpublication",
                    "catalog.view_catalogentry",
                    # lineage reads the data store's datasets, load jobs, sources and grants
                    "aggregation.view_dataset", "aggregation.view_sourcemapping",
                    "aggregation.view_sourcedatabase", "sharing.view_grant")
        roles.grant("catalog_editor", "governance.view_resourcefeedback", "governance.add_resourcefeedback",
                    "governance.change_resourcefeedback", "governance.delete_resourcefeedback",
                    "governance.view_rankingpublication")
        roles.grant("catalog_reviewer", "governance.view_resourcefeedback", "governance.view_rankingpublication")
        nav.register("data", _("Data lineage"), "governance:lineage", perm=(ResourceFeedback, "view"), order=108)
        nav.register("data", _("Data application evaluation"), "governance:evaluation",
                     perm=(RankingPublication, "view"), order=109)
        audit.register_action_labels(events={
            "governance.resourcefeedback.reply": _("Resource feedback: reply"),
            "governance.rankingpublication.publish": _("Data application ranking: publish"),
            "governance.demo.load": _("Data governance demo: load"),
        })

    def load_demo(self, out):
        from dgov.governance.demo import load_demo

        result = load_demo()
        out(f"demo governance: feedback {result['feedback']}, published rankings {result['publications']}")
        return result
