from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

#: the built-in role of service-item management (added to dgov/accounts/roles.py's from `ready`)
ROLES = {
    "item_admin": {
        "name": "事项管理员",
        "description": "维护本部门的政务服务事项实施清单（办事指南、申请材料、收费、流程、网上申请表单），发布和停用；"
                       "维护基本目录和主题。",
        "requires_2fa": True,
        "perms": ["services.view_serviceitem", "services.add_serviceitem", "services.change_serviceitem",
                  "services.view_implementation", "services.add_implementation", "services.change_implementation",
                  "services.publish_implementation", "services.view_theme", "services.add_theme",
                  "services.change_theme", "orgs.view_department", "orgs.view_region",
                  "licenses.view_licensetype"],
    },
}


class ServicesConfig(AppConfig):
    name = "dgov.services"
    label = "services"
    verbose_name = _("Government service items")

    def ready(self):
        from dgov.accounts import roles
        from dgov.core.audit import register_action_labels
        from dgov.services.models import Implementation, ServiceItem, Theme

        for code, spec in ROLES.items():
            roles.BUILTIN_ROLES.setdefault(code, {**spec, "perms": list(spec["perms"])})
        every = sorted({perm for spec in ROLES.values() for perm in spec["perms"] if perm.startswith("services.")})
        # The city's and the counties' administrators manage the implementation lists within their scope too.
        roles.grant("city_admin", *every)
        roles.grant("county_admin", *every)
        register_action_labels(verbs={"publish": _("published"), "retire": _("retired")})
        self._register_nav(Implementation, ServiceItem, Theme)

    @staticmethod
    def _register_nav(Implementation, ServiceItem, Theme):
        """The workbench's entries for the officials' item pages (dgov/services/urls.py), those that exist."""
        from dgov.core import nav

        try:
            from dgov.services import urls
        except ImportError:  # pragma: no cover - the pages are being written
            return
        names = {getattr(p, "name", None) for p in urls.urlpatterns}
        entries = [("implementation_list", _("Implementation lists"), (Implementation, "view"), 20),
                   ("serviceitem_list", _("Base catalog"), (ServiceItem, "view"), 21),
                   ("theme_list", _("Service themes"), (Theme, "view"), 22),
                   ("import", _("Import implementation lists"), (Implementation, "add"), 23)]
        for name, label, perm, order in entries:
            if name in names:
                nav.register("workbench", label, f"services:{name}", perm=perm, order=order)

    def load_reference(self, out, *, update=False):
        from dgov.services.demo import load_themes

        created, updated = load_themes(update=update)
        out(f"service themes: {created} created, {updated} updated")

    def load_demo(self, out):
        from dgov.services.demo import load_demo

        result = load_demo()
        out(f"demo service items: {result['items']} items, {result['implementations']} implementations "
            f"({result['published']} published, {result['online']} online) {result['note']}")
        return result
