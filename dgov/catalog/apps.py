from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "dgov.catalog"
    label = "catalog"
    verbose_name = _("Data resource catalog")

    def ready(self):
        from dgov.accounts import roles
        from dgov.catalog.models import CatalogEntry, Classification, NegativeListItem, ProvincialEntry
        from dgov.catalog.tables import VERSION_ACTIONS
        from dgov.core import nav
        from dgov.core.audit import register_action_labels
        from dgov.core.cache import CATALOG, invalidate_on_audit

        invalidate_on_audit(("catalog.",), CATALOG)

        # The life-cycle steps, as the audit pages and the workbench name them.
        register_action_labels(verbs={verb: label for verb, label in VERSION_ACTIONS.items()
                                      if verb in ("submit", "approve", "reject", "publish", "withdraw", "reopen")})
        register_action_labels(verbs={"map_provincial": _("mapped to the provincial catalog")})

        # The provincial catalog: editors read it (to map their entries), the big-data centre imports it.
        roles.grant("catalog_editor", "catalog.view_provincialentry")
        roles.grant("catalog_reviewer", "catalog.view_provincialentry", "catalog.add_provincialentry",
                    "catalog.change_provincialentry")

        nav.register("data", _("Data resource catalog"), "catalog:catalogentry_list", perm=(CatalogEntry, "view"),
                     order=10)
        nav.register("data", _("Data negative list"), "catalog:negativelistitem_list",
                     perm=(NegativeListItem, "view"), order=20)
        nav.register("data", _("Catalog classifications"), "catalog:classification_list",
                     perm=(Classification, "view"), order=30)
        nav.register("data", _("Data resource statistics"), "catalog:statistics", perm=(CatalogEntry, "view"),
                     order=35)
        nav.register("data", _("Provincial catalog alignment"), "catalog:alignment",
                     perm=(ProvincialEntry, "view"), order=36)
        nav.register("data", _("Provincial catalog"), "catalog:provincialentry_list",
                     perm=(ProvincialEntry, "view"), order=37)

    def load_reference(self, out, *, update=False):
        from dgov.catalog.services import load_classifications

        out(f"catalog classifications: {load_classifications(update=update)} created or changed")

    def load_demo(self, out):
        from dgov.catalog.demo import load_demo, load_provincial_demo

        result = load_demo()
        out(f"demo catalog entries: {result['created']} created ({result['total']} in the demo catalog), "
            f"negative list items: {result['negative_list']} created")
        provincial = load_provincial_demo()
        out(f"demo provincial catalog: {provincial['created']} entries created, {provincial['mapped']} city entries "
            f"mapped")
        return {**result, "provincial": provincial}
