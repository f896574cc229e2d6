from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpendataConfig(AppConfig):
    name = "dgov.opendata"
    label = "opendata"
    verbose_name = _("Open data")

    def ready(self):
        from dgov.accounts import roles
        from dgov.core import audit, nav
        from dgov.core.cache import OPEN_DATA, invalidate_on_audit
        from dgov.opendata.models import AccessApplication, DataRequest, OpenDataset

        # a department's data administrator opens its entries and decides the applications for them;
        # the big-data centre's reviewer reviews and publishes
        roles.grant("catalog_editor", "opendata.view_opendataset", "opendata.add_opendataset",
                    "opendata.change_opendataset", "opendata.view_accessapplication",
                    "opendata.decide_accessapplication", "opendata.view_datarequest", "opendata.change_datarequest")
        roles.grant("catalog_reviewer", "opendata.view_opendataset", "opendata.change_opendataset",
                    "opendata.review_opendataset", "opendata.view_accessapplication", "opendata.view_datarequest",
                    "opendata.change_datarequest", "opendata.view_showcase", "opendata.change_showcase")
        # what the portal keeps per process (selectors.summarised, ckan._RESOURCES): the datasets, their topics,
        # the topics, and the data-store columns and masks they serve
        invalidate_on_audit(("opendata.opendataset.", "opendata.topic.", "opendata.demo.", "aggregation.dataset."),
                            OPEN_DATA)
        nav.register("data", _("Open datasets"), "opendata:dataset_list", perm=(OpenDataset, "view"), order=111)
        nav.register("data", _("Open data applications"), "opendata:application_list",
                     perm=(AccessApplication, "view"), order=112)
        nav.register("data", _("Data requests"), "opendata:request_list", perm=(DataRequest, "view"), order=113)
        audit.register_action_labels(events={
            "opendata.opendataset.submit": _("Open dataset: submitted for review"),
            "opendata.opendataset.publish": _("Open dataset: published"),
            "opendata.opendataset.return": _("Open dataset: returned"),
            "opendata.opendataset.withdraw": _("Open dataset: withdrawn"),
            "opendata.opendataset.scan": _("Open dataset: personal-data scan"),
            "opendata.accessapplication.approve": _("Open data application: approved"),
            "opendata.accessapplication.reject": _("Open data application: rejected"),
            "opendata.accessapplication.withdraw": _("Open data application: withdrawn"),
            "opendata.accessapplication.revoke": _("Open data application: access revoked"),
        })

    def load_reference(self, out, *, update=False):
        from dgov.opendata import reference

        out(f"open-data topics: {reference.load_topics(update=update)} created or changed")

    def load_demo(self, out):
        from dgov.opendata.demo import load_demo

        result = load_demo()
        out(f"demo open data: {result['created']} datasets opened, {result['rows']} rows")
        return result
