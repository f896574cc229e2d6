"""Sharing requests (共享申请) and the grants they produce (共享授权).

A consumer department asks, for one of its applications (`accounts.Application`), for named data
items of a published catalog entry of another department. What happens next follows the entry's
sharing type (共享属性), as 《政务数据共享条例》(国务院令第809号, 2025) frames it:

- 无条件共享 (unconditional): granted at once, on submission;
- 有条件共享 (conditional): the provider department answers first (it may narrow the items and set
  a row filter, quota and expiry), then the big-data centre; the grant is created when the centre
  approves, and is usable at once;
- 不予共享 (not shared), items marked 不予共享 and items on the data negative list cannot be asked
  for at all.

Every step has a deadline in working days (`due_on` is the current step's) and every decision a
reason; `SharingEvent` is the history. A `Grant` is what the exchange gateway checks on each call:
consumer application × data service (the entry) × data items × row filter × validity × quota ×
rate limit × items it may see unmasked.

Scope: a request has two parties. `restrict(user, "view")` covers the requests a user's department
made **and** those addressed to it as provider; submitting and withdrawing go by the consumer
department, the provider's step (`review`) by the provider department. Grants likewise: viewing by
either party, revoking (`revoke`) by the provider (the big-data centre's scope is all).
"""

import datetime as dt
import json

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from dgov.catalog.models import CatalogEntry
from dgov.core.models import BaseModel
from dgov.core.permissions import RestrictedQuerySet, ScopeSpec, retarget, scope_q
from dgov.orgs.models import Department


class TextJSONEncoder(json.JSONEncoder):
    """Stores Chinese item names as themselves, not as \\u escapes, so that a text search
    (`items__icontains`) finds them on SQLite as on PostgreSQL."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **{**kwargs, "ensure_ascii": False})


class TwoPartyQuerySet(RestrictedQuerySet):
    """`restrict` for objects with a consumer and a provider side: "view" covers both, the
    provider's actions (`PROVIDER_ACTIONS`) the provider's side, every other action the consumer's."""

    CONSUMER: str = ""
    PROVIDER: str = ""
    PROVIDER_ACTIONS: frozenset = frozenset()
    BOTH_ACTIONS: frozenset = frozenset({"view"})

    def restrict(self, user, action: str = "view"):
        q = scope_q(user, self.model, action)
        if q is None:
            return self.none()
        if not q:  # scope all
            return self.all()
        provider_q = retarget(q, self.CONSUMER, self.PROVIDER)
        if action in self.BOTH_ACTIONS:
            return self.filter(q | provider_q)
        return self.filter(provider_q if action in self.PROVIDER_ACTIONS else q)


class Status(models.TextChoices):
    SUBMITTED = "submitted", _("awaiting the provider")
    PROVIDER_APPROVED = "provider_approved", _("approved by the provider, awaiting the big-data centre")
    GRANTED = "granted", _("granted")
    REJECTED = "rejected", _("rejected")
    WITHDRAWN = "withdrawn", _("withdrawn")


#: the states in which a request waits for someone's decision (and can be overdue)
PENDING = (Status.SUBMITTED, Status.PROVIDER_APPROVED)


class RequestQuerySet(TwoPartyQuerySet):
    CONSUMER, PROVIDER = "department", "provider"
    # The provider department reviews; the big-data centre decides for the city, a county-level
    # reviewer for requests for data of its region (services._checks).
    PROVIDER_ACTIONS = frozenset({"review", "decide"})

    def overdue(self, today: dt.date | None = None):
        return self.filter(overdue_q(today))


def overdue_q(today: dt.date | None = None) -> Q:
    """Waiting for a decision (provider's or centre's) past the current step's deadline."""
    return Q(status__in=PENDING, due_on__lt=today or timezone.localdate())


class SharingRequest(BaseModel):
    number = models.CharField(_("request number"), max_length=16, unique=True, editable=False)
    department = models.ForeignKey(Department, models.PROTECT, related_name="sharing_requests",
                                   verbose_name=_("consumer department"))
    application = models.ForeignKey("accounts.Application", models.PROTECT, related_name="sharing_requests",
                                    verbose_name=_("consumer application"),
                                    help_text=_("The consumer department's system that will call the data service."))
    entry = models.ForeignKey(CatalogEntry, models.PROTECT, related_name="sharing_requests",
                              verbose_name=_("catalog entry"))
    provider = models.ForeignKey(Department, models.PROTECT, related_name="sharing_requests_received",
                                 editable=False, verbose_name=_("provider department"))
    sharing_type = models.CharField(_("sharing type"), max_length=16, editable=False,
                                    help_text=_("The entry's sharing type when the request was made."))
    items = models.JSONField(_("data items requested"), default=list, encoder=TextJSONEncoder)
    purpose = models.TextField(_("purpose"), max_length=1000, help_text=_("Which duty or service the data serves."))
    legal_basis = models.TextField(_("legal basis"), max_length=1000,
                                   help_text=_("The law, regulation or policy that allows the use."))
    scenario = models.TextField(_("usage scenario"), max_length=1000,
                                help_text=_("Where and how the data will be used (system, frequency, volume)."))
    period_start = models.DateField(_("use from"))
    period_end = models.DateField(_("use until"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.SUBMITTED)
    submitted_by = models.ForeignKey("accounts.User", models.SET_NULL, null=True, blank=True, related_name="+",
                                     editable=False, verbose_name=_("submitted by"))
    submitted_on = models.DateField(_("submitted on"), editable=False)
    due_on = models.DateField(_("current step due on"), null=True, blank=True, editable=False)
    provider_due_on = models.DateField(_("provider's reply due on"), null=True, blank=True, editable=False)
    provider_decided_at = models.DateTimeField(_("provider decided at"), null=True, blank=True, editable=False)
    provider_reason = models.TextField(_("provider's reason"), max_length=1000, blank=True, editable=False)
    centre_due_on = models.DateField(_("big-data centre's reply due on"), null=True, blank=True, editable=False)
    centre_decided_at = models.DateTimeField(_("big-data centre decided at"), null=True, blank=True, editable=False)
    centre_reason = models.TextField(_("big-data centre's reason"), max_length=1000, blank=True, editable=False)
    withdraw_reason = models.TextField(_("reason for withdrawal"), max_length=1000, blank=True, editable=False)
    # The terms the provider set when approving; they become the grant's.
    approved_items = models.JSONField(_("items approved"), default=list, blank=True, encoder=TextJSONEncoder,
                                      editable=False)
    row_filter = models.JSONField(_("row filter"), default=list, blank=True, encoder=TextJSONEncoder, editable=False)
    daily_quota = models.PositiveIntegerField(_("calls per day"), null=True, blank=True, editable=False)
    rate_limit = models.PositiveIntegerField(_("calls per minute"), null=True, blank=True, editable=False)
    unmasked_items = models.JSONField(_("items shown unmasked"), default=list, blank=True, encoder=TextJSONEncoder,
                                      editable=False)
    expires_on = models.DateField(_("grant expires on"), null=True, blank=True, editable=False)
    reminded_on = models.DateField(_("overdue reminder sent on"), null=True, blank=True, editable=False)
    is_demo = models.BooleanField(_("demo data"), default=False)

    scope = ScopeSpec(region="department__region", department="department")
    objects = RequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("sharing request")
        verbose_name_plural = _("sharing requests")
        ordering = ["-number"]
        permissions = [
            ("review_sharingrequest", gettext_noop("Can approve or reject sharing requests as the provider")),
            ("decide_sharingrequest", gettext_noop("Can approve or reject sharing requests as the big-data centre")),
        ]
        indexes = [models.Index(fields=["status", "due_on"], name="sharing_req_status_due")]

    def __str__(self):
        return f"{self.number} {self.entry.name if self.entry_id else ''}".strip()

    def overdue_on(self, today: dt.date) -> bool:
        return self.status in PENDING and self.due_on is not None and self.due_on < today

    @property
    def is_overdue(self) -> bool:
        return self.overdue_on(timezone.localdate())


class SharingEvent(models.Model):
    """One step of a request's history: who did what, when, with which reason."""

    class Action(models.TextChoices):
        SUBMIT = "submit", _("submitted")
        PROVIDER_APPROVE = "provider_approve", _("approved by the provider")
        PROVIDER_REJECT = "provider_reject", _("rejected by the provider")
        CENTRE_APPROVE = "centre_approve", _("approved by the big-data centre")
        CENTRE_REJECT = "centre_reject", _("rejected by the big-data centre")
        GRANT = "grant", _("granted")
        WITHDRAW = "withdraw", _("withdrawn")
        REMIND = "remind", _("overdue reminder sent")
        REVOKE = "revoke", _("grant revoked")

    request = models.ForeignKey(SharingRequest, models.CASCADE, related_name="events",
                                verbose_name=_("sharing request"))
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    actor = models.ForeignKey("accounts.User", models.SET_NULL, null=True, blank=True, related_name="+",
                              verbose_name=_("by"))
    department = models.ForeignKey(Department, models.SET_NULL, null=True, blank=True, related_name="+",
                                   verbose_name=_("department"))
    text = models.TextField(_("reason"), max_length=1000, blank=True)
    status = models.CharField(_("status after"), max_length=20, choices=Status.choices)
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("sharing request event")
        verbose_name_plural = _("sharing request events")
        ordering = ["request", "created_at", "pk"]
        default_permissions = ()

    def __str__(self):
        return f"{self.request_id} {self.action}"


class GrantStatus(models.TextChoices):
    ACTIVE = "active", _("active")
    REVOKED = "revoked", _("revoked")
    EXPIRED = "expired", _("expired")


class GrantQuerySet(TwoPartyQuerySet):
    CONSUMER, PROVIDER = "application__department", "entry__department"
    PROVIDER_ACTIONS = frozenset({"revoke"})

    def usable(self, at: dt.datetime | None = None):
        """Active and within their validity at `at` (default now)."""
        at = at or timezone.now()
        return self.filter(status=GrantStatus.ACTIVE, valid_from__lte=at, expires_at__gt=at)


class Grant(BaseModel):
    """What a consumer application may call: the data service of `entry` (service code = the
    entry's resource code), only `items`, only rows matching `row_filter` (ANDed to the caller's
    filters), from `valid_from` until `expires_at`, at most `daily_quota` calls a day and
    `rate_limit` a minute; personal data masked except for `unmasked_items`."""

    application = models.ForeignKey("accounts.Application", models.PROTECT, related_name="sharing_grants",
                                    verbose_name=_("consumer application"))
    entry = models.ForeignKey(CatalogEntry, models.PROTECT, related_name="sharing_grants",
                              verbose_name=_("data service (catalog entry)"))
    items = models.JSONField(_("data items"), default=list, encoder=TextJSONEncoder)
    row_filter = models.JSONField(_("row filter"), default=list, blank=True, encoder=TextJSONEncoder,
                                  help_text=_("Conditions every returned row meets: item, operator, value."))
    valid_from = models.DateTimeField(_("valid from"))
    expires_at = models.DateTimeField(_("expires at"))
    daily_quota = models.PositiveIntegerField(_("calls per day"))
    rate_limit = models.PositiveIntegerField(_("calls per minute"))
    unmasked_items = models.JSONField(_("items shown unmasked"), default=list, blank=True, encoder=TextJSONEncoder)
    status = models.CharField(_("status"), max_length=10, choices=GrantStatus.choices, default=GrantStatus.ACTIVE)
    request = models.ForeignKey(SharingRequest, models.PROTECT, null=True, blank=True, related_name="grants",
                                verbose_name=_("sharing request"))
    granted_by = models.ForeignKey("accounts.User", models.SET_NULL, null=True, blank=True, related_name="+",
                                   verbose_name=_("granted by"))
    revoked_reason = models.TextField(_("reason for revocation"), max_length=1000, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey("accounts.User", models.SET_NULL, null=True, blank=True, related_name="+",
                                   verbose_name=_("revoked by"))
    is_demo = models.BooleanField(_("demo data"), default=False)

    scope = ScopeSpec(region="application__department__region", department="application__department")
    objects = GrantQuerySet.as_manager()

    class Meta:
        verbose_name = _("sharing grant")
        verbose_name_plural = _("sharing grants")
        ordering = ["-created_at", "-pk"]
        permissions = [("revoke_grant", gettext_noop("Can revoke sharing grants of the department's data"))]
        constraints = [
            # At most one active grant per consumer application and data service: a new grant
            # replaces the old one, so the gateway's lookup (`active_grant`) is one indexed row.
            models.UniqueConstraint(fields=["application", "entry"], condition=Q(status="active"),
                                    name="sharing_one_active_grant"),
        ]
        indexes = [models.Index(fields=["application", "status", "expires_at"], name="sharing_grant_app_status"),
                   models.Index(fields=["status", "expires_at"], name="sharing_grant_status_exp")]

    def __str__(self):
        return f"{self.application.code} → {self.entry.code}"

    @property
    def service_code(self) -> str:
        return self.entry.code

    def usable_at(self, at: dt.datetime) -> bool:
        return self.status == GrantStatus.ACTIVE and self.valid_from <= at < self.expires_at

    @property
    def is_usable(self) -> bool:
        return self.usable_at(timezone.now())
