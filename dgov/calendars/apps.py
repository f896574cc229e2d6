from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CalendarsConfig(AppConfig):
    name = "dgov.calendars"
    label = "calendars"
    verbose_name = _("Working-day calendar")

    def ready(self):
        from dgov.calendars.models import CalendarDay
        from dgov.core import nav
        from dgov.core.cache import REFERENCE, invalidate_on_audit

        invalidate_on_audit(("calendars.",), REFERENCE)
        nav.register("system", _("Working-day calendar"), "calendars:calendarday_list",
                     perm=(CalendarDay, "view"), order=60)

    def load_reference(self, out, *, update=False):
        from dgov.calendars.services import load_reference

        out(f"working-day calendar: {load_reference(update=update)} days created or changed")
