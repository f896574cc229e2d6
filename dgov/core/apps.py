from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "dgov.core"
    label = "core"
    verbose_name = _("Platform core")

    def ready(self):
        from dgov.core import checks  # noqa: F401  (registers deployment checks)
        from dgov.core import nav
        from dgov.core.models import AuditEntry

        nav.register("system", _("Audit log"), "core:auditentry_list", perm=(AuditEntry, "view"), order=90)
