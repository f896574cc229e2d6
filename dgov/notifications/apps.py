from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "dgov.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self):
        from dgov.core import nav
        from dgov.notifications.models import OutboxMessage

        nav.register("system", _("Outbox"), "notifications:outboxmessage_list", perm=(OutboxMessage, "view"), order=80)
