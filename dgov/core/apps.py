from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "dgov.core"
    label = "core"
    verbose_name = _("Platform core")

    def ready(self):
        from dgov.core import (
            checks,  # noqa: F401  (registers deployment checks)
            nav,
        )
        from dgov.core.models import AuditEntry

        nav.register("system", _("Audit log"), "core:auditentry_list", perm=(AuditEntry, "view"), order=90)

        # Django 6.1's empty choice label has no Simplified Chinese translation in Django itself;
        # Django documents replacing it from an app's ready() so our own catalogue translates it.
        from django.db.models import fields

        fields.BLANK_CHOICE_LABEL = _("- Select an option -")
