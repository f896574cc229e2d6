from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgsConfig(AppConfig):
    name = "dgov.orgs"
    label = "orgs"
    verbose_name = _("Regions and departments")

    def ready(self):
        from dgov.core import nav
        from dgov.core.cache import REFERENCE, invalidate_on_audit
        from dgov.orgs.models import Department, ManagementArea, Region

        invalidate_on_audit(("orgs.",), REFERENCE)
        nav.register("system", _("Departments"), "orgs:department_list", perm=(Department, "view"), order=40)
        nav.register("system", _("Regions"), "orgs:region_list", perm=(Region, "view"), order=50)
        nav.register("system", _("Management areas"), "orgs:managementarea_list",
                     perm=(ManagementArea, "view"), order=55)

    def load_reference(self, out, *, update=False):
        from dgov.orgs import services

        out(f"regions: {services.load_regions(update=update)} created or changed")
        out(f"management areas: {services.load_management_areas()} created")
        out(f"departments: {services.load_departments(update=update)} created or changed")
