from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CensusConfig(AppConfig):
    name = "dgov.census"
    label = "census"
    verbose_name = _("Data resource census")

    def ready(self):
        from dgov.accounts import roles
        from dgov.census.models import CensusAssignment, CensusCampaign
        from dgov.core import nav
        from dgov.core.audit import register_action_labels

        # Departments fill in their own assignments; the big-data centre runs the campaigns and
        # accepts or returns what the departments submit.
        roles.grant("catalog_editor", "census.view_censuscampaign", "census.view_censusassignment",
                    "census.upload_censusassignment", "census.view_censusupload")
        roles.grant("catalog_reviewer", "census.view_censuscampaign", "census.add_censuscampaign",
                    "census.change_censuscampaign", "census.view_censusassignment",
                    "census.review_censusassignment", "census.view_censusupload")
        register_action_labels(verbs={"assign": _("departments assigned"), "open": _("opened"),
                                      "close": _("closed"), "reopen": _("reopened"), "accept": _("accepted"),
                                      "return": _("returned")})
        nav.register("data", _("Data resource census"), "census:censuscampaign_list",
                     perm=(CensusCampaign, "view"), order=60)
        nav.register("data", _("Census assignments"), "census:censusassignment_list",
                     perm=(CensusAssignment, "view"), order=61)

    def load_demo(self, out):
        from dgov.census.demo import load_demo

        result = load_demo()
        out(f"demo census: {result['assignments']} assignments created in the {result['year']} campaign")
        return result
