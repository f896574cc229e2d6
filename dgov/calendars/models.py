from django.db import models
from django.utils.translation import gettext_lazy as _

from dgov.core.models import BaseModel
from dgov.core.permissions import ScopeSpec


class DayKind(models.TextChoices):
    HOLIDAY = "holiday", _("public holiday")
    WORKDAY = "workday", _("make-up working day")


class CalendarDay(BaseModel):
    """An exception to the Monday–Friday week: a statutory holiday (休) or a make-up working day
    on a weekend (调休上班), as the State Council schedules them each year."""

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=8, choices=DayKind.choices)
    festival = models.CharField(_("festival"), max_length=20, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    # The national holiday schedule is the same for every region.
    scope = ScopeSpec(shared=True)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("working-day calendar")
        ordering = ["date"]

    def __str__(self):
        return f"{self.date} {self.get_kind_display()} {self.festival}".strip()
