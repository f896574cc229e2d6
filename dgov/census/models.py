"""The yearly data resource census (数据资源普查): the big-data centre opens a campaign and assigns
departments; each department downloads its catalog entries as a pre-filled spreadsheet, confirms,
corrects and completes them, and uploads the file. Every upload is kept (who, when, the file's
SM3 digest, the result with every error by row and column); an upload that passes every row writes
the catalog and submits the assignment, which the centre accepts or returns with a reason."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dgov.core.models import BaseModel
from dgov.core.permissions import RestrictedQuerySet, ScopeSpec
from dgov.orgs.models import Department


class CampaignState(models.TextChoices):
    DRAFT = "draft", _("draft")
    OPEN = "open", _("in progress")
    CLOSED = "closed", _("ended")


class CensusCampaign(BaseModel):
    """One census round, city-wide (the centre's records: every grant of the permission sees them;
    departments see only campaigns that have been opened)."""

    year = models.PositiveSmallIntegerField(_("year"))
    name = models.CharField(_("name"), max_length=200)
    instructions = models.TextField(_("instructions"), max_length=4000, blank=True)
    opens_on = models.DateField(_("opens on"))
    due_on = models.DateField(_("due on"))
    state = models.CharField(_("state"), max_length=8, choices=CampaignState.choices, default=CampaignState.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("created by"))
    is_demo = models.BooleanField(_("demo data"), default=False)

    scope = ScopeSpec(shared=True)

    class Meta:
        verbose_name = _("census campaign")
        verbose_name_plural = _("census campaigns")
        ordering = ["-year", "-opens_on", "-pk"]
        constraints = [models.UniqueConstraint(fields=["year", "name"], name="uniq_census_campaign_name"),
                       models.CheckConstraint(condition=models.Q(due_on__gte=models.F("opens_on")),
                                              name="census_campaign_due_after_open",
                                              violation_error_message=_("The due date cannot be before the "
                                                                        "opening date."))]

    def __str__(self):
        return self.name


class AssignmentState(models.TextChoices):
    ASSIGNED = "assigned", _("to be filled in")
    SUBMITTED = "submitted", _("submitted, awaiting acceptance")
    ACCEPTED = "accepted", _("accepted by the centre")
    RETURNED = "returned", _("returned for correction")


#: states that count as done for the completion rate, and those in which a department still works
DONE = (AssignmentState.SUBMITTED, AssignmentState.ACCEPTED)
PENDING = (AssignmentState.ASSIGNED, AssignmentState.RETURNED)


class AssignmentQuerySet(RestrictedQuerySet):
    def overdue(self, today=None):
        """Open campaign, past its due date, the department's submission still missing."""
        return self.filter(campaign__state=CampaignState.OPEN, campaign__due_on__lt=today or timezone.localdate(),
                           state__in=PENDING)


class CensusAssignment(BaseModel):
    """One department's part of a campaign."""

    campaign = models.ForeignKey(CensusCampaign, models.CASCADE, related_name="assignments",
                                 verbose_name=_("census campaign"))
    department = models.ForeignKey(Department, models.PROTECT, related_name="+", verbose_name=_("department"))
    state = models.CharField(_("state"), max_length=10, choices=AssignmentState.choices,
                             default=AssignmentState.ASSIGNED)
    entries_before = models.PositiveIntegerField(_("entries before"), null=True, blank=True,
                                                 help_text=_("The department's catalog entries when the census "
                                                             "opened."))
    entries_after = models.PositiveIntegerField(_("entries after"), null=True, blank=True)
    confirmed = models.PositiveIntegerField(_("entries confirmed"), default=0)
    updated = models.PositiveIntegerField(_("entries updated"), default=0)
    created = models.PositiveIntegerField(_("entries created"), default=0)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                     related_name="+", verbose_name=_("submitted by"))
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name=_("reviewed by"))
    return_reason = models.CharField(_("reason for return"), max_length=500, blank=True)

    scope = ScopeSpec(region="department__region", department="department")
    objects = AssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("census assignment")
        verbose_name_plural = _("census assignments")
        ordering = ["campaign", "department__code"]
        permissions = [("upload_censusassignment", "Can fill in and upload census assignments"),
                       ("review_censusassignment", "Can accept and return census submissions")]
        constraints = [models.UniqueConstraint(fields=["campaign", "department"], name="uniq_census_assignment")]

    def __str__(self):
        return f"{self.campaign} · {self.department.name}"

    @property
    def is_overdue(self) -> bool:
        return (self.campaign.state == CampaignState.OPEN and self.state in PENDING
                and timezone.localdate() > self.campaign.due_on)


class CensusUpload(BaseModel):
    """One uploaded file, kept with its result whether it passed or not (dry runs included)."""

    assignment = models.ForeignKey(CensusAssignment, models.CASCADE, related_name="uploads",
                                   verbose_name=_("census assignment"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name=_("uploaded by"))
    filename = models.CharField(_("file name"), max_length=200)
    size = models.PositiveIntegerField(_("size (bytes)"))
    digest = models.CharField(_("SM3 digest"), max_length=64)
    dry_run = models.BooleanField(_("dry run"), default=False)
    ok = models.BooleanField(_("passed"), default=False)
    created_count = models.PositiveIntegerField(_("entries created"), default=0)
    updated_count = models.PositiveIntegerField(_("entries updated"), default=0)
    unchanged_count = models.PositiveIntegerField(_("entries confirmed"), default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    # The department's entries in force that the file leaves out (codes): gone from the source
    # system, to be withdrawn, or forgotten in the file.
    not_in_file = models.JSONField(_("entries not in the file"), default=list, blank=True)

    scope = ScopeSpec(region="assignment__department__region", department="assignment__department")

    class Meta:
        verbose_name = _("census upload")
        verbose_name_plural = _("census uploads")
        ordering = ["-created_at", "-pk"]
        default_permissions = ("view",)

    def __str__(self):
        return self.filename

    @property
    def error_count(self) -> int:
        return len(self.errors or [])
