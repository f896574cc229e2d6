from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AggregationConfig(AppConfig):
    name = "dgov.aggregation"
    label = "aggregation"
    verbose_name = _("Data aggregation")

    def ready(self):
        from dgov.accounts import roles
        from dgov.aggregation.models import Dataset, LoadRun, SourceDatabase, SourceMapping
        from dgov.core import nav
        from dgov.core.audit import register_action_labels

        # A department's data administrator registers its own databases, gives its published
        # entries a dataset and runs their loads; the big-data centre's reviewers see all of it.
        roles.grant("catalog_editor",
                    "aggregation.view_sourcedatabase", "aggregation.add_sourcedatabase",
                    "aggregation.change_sourcedatabase", "aggregation.delete_sourcedatabase",
                    "aggregation.view_dataset", "aggregation.add_dataset", "aggregation.change_dataset",
                    "aggregation.view_sourcemapping", "aggregation.add_sourcemapping",
                    "aggregation.change_sourcemapping", "aggregation.delete_sourcemapping",
                    "aggregation.view_loadrun")
        roles.grant("catalog_reviewer", "aggregation.view_sourcedatabase", "aggregation.view_dataset",
                    "aggregation.view_sourcemapping", "aggregation.view_loadrun")
        register_action_labels(
            events={"aggregation.loadrun.run": _("Data load"),
                    "aggregation.loadrun.interrupted": _("Data load interrupted"),
                    "aggregation.sourcedatabase.test": _("Source database: connection test")})
        nav.register("data", _("Source databases"), "aggregation:sourcedatabase_list",
                     perm=(SourceDatabase, "view"), order=70)
        nav.register("data", _("Datasets"), "aggregation:dataset_list", perm=(Dataset, "view"), order=71)
        nav.register("data", _("Load jobs"), "aggregation:sourcemapping_list", perm=(SourceMapping, "view"),
                     order=72)
        nav.register("data", _("Load runs"), "aggregation:loadrun_list", perm=(LoadRun, "view"), order=73)

    def load_demo(self, out):
        from dgov.aggregation.demo import load_demo

        result = load_demo()
        out(f"demo data aggregation: {result['created']} created, demo dataset {result['code']} "
            f"holds {result['rows']} rows")
        return result
