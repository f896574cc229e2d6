"""The data responsibility list (数据责任清单): for each department, the data it must collect and
maintain under its statutory duties (职责事项), with the legal basis, linked to the catalog entries
that hold that data. A duty that no catalog entry covers (none linked, or all of them withdrawn)
is flagged: the catalog is missing data the department is bound to keep."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from dgov.catalog.models import CatalogEntry, UpdateCycle
from dgov.catalog.models import Status as CatalogStatus
from dgov.core.models import BaseModel
from dgov.core.permissions import ScopeSpec
from dgov.orgs.models import Department


class DutyStatus(models.TextChoices):
    ACTIVE = "active", _("in force")
    RETIRED = "retired", _("no longer in force")


class DataDuty(BaseModel):
    """One responsibility: a department's statutory duty and the data it must keep for it."""

    department = models.ForeignKey(Department, models.PROTECT, related_name="data_duties",
                                   verbose_name=_("responsible department"))
    duty = models.CharField(_("statutory duty"), max_length=200,
                            help_text=_("The duty as the department's mandate or the law names it, e.g. 婚姻登记."))
    data_name = models.CharField(_("data name"), max_length=200,
                                 help_text=_("The data the department collects and maintains for this duty."))
    description = models.TextField(_("description"), max_length=2000, blank=True)
    legal_basis = models.TextField(_("legal basis"), max_length=1000,
                                   help_text=_("The laws and regulations, with their articles, that assign the duty."))
    update_cycle = models.CharField(_("update cycle"), max_length=12, choices=UpdateCycle.choices,
                                    help_text=_("How often the department collects or updates the data."))
    responsible_unit = models.CharField(_("responsible office"), max_length=100, blank=True,
                                        help_text=_("The office (科室) within the department that keeps the data."))
    contact = models.CharField(_("contact"), max_length=100, blank=True,
                               help_text=_("Who answers for the data, e.g. the office's telephone."))
    status = models.CharField(_("status"), max_length=10, choices=DutyStatus.choices, default=DutyStatus.ACTIVE)
    entries = models.ManyToManyField(CatalogEntry, blank=True, related_name="duties",
                                     verbose_name=_("catalog entries"))
    is_demo = models.BooleanField(_("demo data"), default=False)

    scope = ScopeSpec(region="department__region", department="department")
    # A contact may be a person's mobile number: the audit log records that it changed, not the values.
    audit_masked_fields = ("contact",)

    class Meta:
        verbose_name = _("data responsibility")
        verbose_name_plural = _("data responsibility list")
        ordering = ["department__path", "duty", "data_name"]
        constraints = [models.UniqueConstraint(fields=["department", "duty", "data_name"],
                                               name="uniq_duty_department_duty_data")]

    def __str__(self):
        return f"{self.duty}：{self.data_name}"

    def entry_codes(self) -> list[str]:
        """The linked entries' resource codes (from the prefetched entries when the query has them)."""
        return sorted(entry.code for entry in self.entries.all())

    @property
    def in_catalog(self) -> bool:
        """Whether a catalog entry that is not withdrawn holds the duty's data (the `linked`
        annotation of `dgov.duties.selectors.with_flags` when the query made it)."""
        linked = getattr(self, "linked", None)
        if linked is None:
            linked = self.pk is not None and self.entries.exclude(status=CatalogStatus.WITHDRAWN).exists()
        return linked

    @property
    def flagged(self) -> bool:
        """In force, and no catalog entry holds its data: none linked, or all of them withdrawn."""
        return self.status == DutyStatus.ACTIVE and not self.in_catalog

    @property
    def catalog_state(self) -> str:
        """"flagged", "linked" (a live entry holds the data) or "" (retired and unlinked)."""
        return "flagged" if self.flagged else "linked" if self.in_catalog else ""
