"""The data supply–demand list (供需对接清单): a department files a data demand (what data, which
fields, why, on what legal basis); the big-data centre or the requester matches it to a published
catalog entry, whose department becomes the provider; the provider confirms or rejects it (with a
reason) within `DGOV_DEMAND_REPLY_WORKING_DAYS` working days counted from the match; the requester
or the centre records how it was fulfilled. Every step is a `DemandEvent`.

Scope: a demand has two parties. `restrict(user, "view")` covers the demands a user's department
filed **and** those addressed to it (`DemandQuerySet`); filing and editing go by the requester's
department, answering (`answer`) by the provider's.
"""

import datetime as dt
import json

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from dgov.catalog.models import CatalogEntry, SharingMethod
from dgov.core.models import BaseModel
from dgov.core.permissions import RestrictedQuerySet, ScopeSpec, retarget, scope_q
from dgov.orgs.models import Department

REQUESTER, PROVIDER = "department", "provider"
#: actions whose scope covers both parties (requester or provider) and those that go by the provider
BOTH_PARTIES = {"view"}
PROVIDER_ACTIONS = {"answer"}


class State(models.TextChoices):
    OPEN = "open", _("open")
    MATCHED = "matched", _("matched, awaiting the provider")
    CONFIRMED = "confirmed", _("confirmed by the provider")
    FULFILLED = "fulfilled", _("fulfilled")
    REJECTED = "rejected", _("rejected")


class DemandQuerySet(RestrictedQuerySet):
    def restrict(self, user, action: str = "view"):
        """Demands within the user's scope for `action`: for "view" those filed by or addressed to a
        department in scope, for "answer" those addressed to one, otherwise those filed by one."""
        q = scope_q(user, self.model, action)
        if q is None:
            return self.none()
        if not q:  # scope all
            return self.filter(provider__isnull=False) if action in PROVIDER_ACTIONS else self.all()
        provider_q = retarget(q, REQUESTER, PROVIDER)
        if action in BOTH_PARTIES:
            return self.filter(q | provider_q)
        return self.filter(provider_q if action in PROVIDER_ACTIONS else q)

    def overdue(self, today: dt.date | None = None):
        return self.filter(overdue_q(today))


def overdue_q(today: dt.date | None = None) -> Q:
    """Waiting for the provider's answer past the deadline."""
    return Q(state=State.MATCHED, due_on__lt=today or timezone.localdate())


class TextJSONEncoder(json.JSONEncoder):
    """Stores Chinese as itself, not as \\u escapes, so that a text search (`fields__icontains`)
    finds a wanted field on SQLite as on PostgreSQL."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **{**kwargs, "ensure_ascii": False})


class DataDemand(BaseModel):
    number = models.CharField(_("demand number"), max_length=16, unique=True, editable=False)
    department = models.ForeignKey(Department, models.PROTECT, related_name="data_demands",
                                   verbose_name=_("requesting department"))
    filed_by = models.ForeignKey("accounts.User", models.SET_NULL, null=True, blank=True, related_name="+",
                                 verbose_name=_("filed by"))
    title = models.CharField(_("data wanted"), max_length=200,
                             help_text=_("What data the department needs, e.g. 居民婚姻登记信息."))
    fields = models.JSONField(_("fields wanted"), default=list, encoder=TextJSONEncoder,
                              help_text=_("The data items needed, one per line, e.g. 姓名, 身份证号, 婚姻状况."))
    purpose = models.TextField(_("purpose"), max_length=1000,
                               help_text=_("Which duty or service the data serves."))
    legal_basis = models.TextField(_("legal basis"), max_length=1000,
                                   help_text=_("The law, regulation or policy that allows the use."))
    scenario = models.TextField(_("usage scenario"), max_length=1000, blank=True,
                                help_text=_("Where and how the data will be used (system, frequency, volume)."))
    sharing_method = models.CharField(_("expected sharing method"), max_length=12, choices=SharingMethod.choices)
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.OPEN)
    entry = models.ForeignKey(CatalogEntry, models.PROTECT, null=True, blank=True, related_name="demands",
                              verbose_name=_("matched catalog entry"))
    provider = models.ForeignKey(Department, models.PROTECT, null=True, blank=True, related_name="data_supplied",
                                 verbose_name=_("provider department"))
    matched_on = models.DateField(_("matched on"), null=True, blank=True)
    due_on = models.DateField(_("reply due on"), null=True, blank=True)
    answer = models.TextField(_("provider's answer"), max_length=1000, blank=True)
    reason = models.TextField(_("reason for rejection"), max_length=1000, blank=True)
    fulfilment = models.TextField(_("how it was fulfilled"), max_length=1000, blank=True)
    fulfilled_on = models.DateField(_("fulfilled on"), null=True, blank=True)
    reminded_on = models.DateField(_("overdue reminder sent on"), null=True, blank=True)
    is_demo = models.BooleanField(_("demo data"), default=False)

    scope = ScopeSpec(region="department__region", department="department")
    objects = DemandQuerySet.as_manager()

    class Meta:
        verbose_name = _("data demand")
        verbose_name_plural = _("data supply and demand list")
        ordering = ["-number"]
        permissions = [("match_datademand", gettext_noop("Can match data demands to catalog entries")),
                       ("answer_datademand", gettext_noop("Can answer data demands addressed to the department"))]
        indexes = [models.Index(fields=["state", "due_on"], name="demands_state_due")]

    def __str__(self):
        return f"{self.number} {self.title}"

    def overdue_on(self, today: dt.date) -> bool:
        """Whether the demand was still waiting for the provider's answer past its deadline on `today`."""
        return self.state == State.MATCHED and self.due_on is not None and self.due_on < today

    @property
    def is_overdue(self) -> bool:
        return self.overdue_on(timezone.localdate())


class DemandEvent(models.Model):
    """One step of a demand's history: who did what, when, with which answer or reason."""

    class Action(models.TextChoices):
        FILE = "file", _("filed")
        CHANGE = "change", _("changed")
        MATCH = "match", _("matched")
        CONFIRM = "confirm", _("confirmed")
        REJECT = "reject", _("rejected")
        FULFIL = "fulfil", _("fulfilled")
        REMIND = "remind", _("overdue reminder sent")

    demand = models.ForeignKey(DataDemand, models.CASCADE, related_name="events", verbose_name=_("data demand"))
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    actor = models.ForeignKey("accounts.User", models.SET_NULL, null=True, blank=True, related_name="+",
                              verbose_name=_("by"))
    department = models.ForeignKey(Department, models.SET_NULL, null=True, blank=True, related_name="+",
                                   verbose_name=_("department"))
    text = models.TextField(_("answer or reason"), max_length=1000, blank=True)
    state = models.CharField(_("state after"), max_length=12, choices=State.choices)
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("demand event")
        verbose_name_plural = _("demand events")
        ordering = ["demand", "created_at", "pk"]
        default_permissions = ()

    def __str__(self):
        return f"{self.demand_id} {self.action}"
