from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MetadataConfig(AppConfig):
    name = "dgov.metadata"
    label = "metadata"
    verbose_name = _("Metadata")

    def ready(self):
        from dgov.accounts import roles
        from dgov.core import nav
        from dgov.metadata.models import Harvest, MetaTable

        roles.grant("data_governor", "metadata.view_metatable", "metadata.change_metatable",
                    "metadata.view_harvest", "metadata.run_harvest", "aggregation.view_sourcedatabase")
        roles.grant("catalog_editor", "metadata.view_metatable", "metadata.change_metatable",
                    "metadata.view_harvest", "metadata.run_harvest")
        roles.grant("catalog_reviewer", "metadata.view_metatable", "metadata.view_harvest")
        nav.register("data", _("Metadata"), "metadata:metatable_list", perm=(MetaTable, "view"), order=103)
        nav.register("data", _("Metadata harvests"), "metadata:harvest_list", perm=(Harvest, "view"), order=104)

    def load_demo(self, out):
        from dgov.metadata.demo import load_demo

        result = load_demo()
        out(f"demo metadata: {result['harvested']} locations harvested"
            + "".join(f"; failed: {f}" for f in result["failed"]))
        return result
