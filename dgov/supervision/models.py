"""Approval–supervision linkage (审管联动, issue 8 point 9): each approval is pushed as a supervision task
to the department that supervises the item (`Implementation.supervising_department`; when the item names
none, the implementing department itself, flagged `department_assumed`), with the approval's facts copied
(the case reference, item, holder, result licence, decided at). The department acknowledges it (认领)
within a working-day deadline, may record that supervision started (纳入监管) and closes it.

States: pushed → acknowledged → supervising → closed (closing straight from acknowledged is allowed).
Scope: the supervising department (its region and department).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop, pgettext_lazy

from dgov.core.models import BaseModel
from dgov.core.permissions import ScopeSpec
from dgov.crypto.fields import EncryptedTextField


class TaskState(models.TextChoices):
    PUSHED = "pushed", pgettext_lazy("supervision", "pushed")  # 已推送，待认领
    ACKNOWLEDGED = "acknowledged", pgettext_lazy("supervision", "acknowledged")  # 已认领
    SUPERVISING = "supervising", pgettext_lazy("supervision", "under supervision")  # 已纳入监管
    CLOSED = "closed", pgettext_lazy("supervision", "closed")  # 已办结


class SupervisionTask(BaseModel):
    case = models.OneToOneField("cases.Case", models.PROTECT, related_name="supervision_task",
                                verbose_name=_("case"))
    implementation = models.ForeignKey("services.Implementation", models.PROTECT, related_name="supervision_tasks",
                                       verbose_name=_("implementation"))
    department = models.ForeignKey("orgs.Department", models.PROTECT, related_name="supervision_tasks",
                                   verbose_name=_("supervising department"))
    region = models.ForeignKey("orgs.Region", models.PROTECT, related_name="supervision_tasks",
                               verbose_name=_("region"))
    department_assumed = models.BooleanField(
        _("no supervising department on the item"), default=False,
        help_text=_("The item names no supervising department: the task went to the implementing department."))
    # --- the approval's facts, copied ---------------------------------------------------------------
    reference = models.CharField(_("case reference"), max_length=24)
    item = models.CharField(_("item"), max_length=200)
    implementation_code = models.CharField(_("implementation code"), max_length=40)
    approving_department = models.ForeignKey("orgs.Department", models.PROTECT, related_name="+",
                                             verbose_name=_("approving department"))
    holder_name = models.CharField(_("holder"), max_length=200)
    holder_code = EncryptedTextField(_("identity number or credit code"), blank=True)
    holder_is_enterprise = models.BooleanField(_("the holder is an enterprise"), default=False)
    result_license = models.CharField(_("result licence"), max_length=80, blank=True)
    decided_at = models.DateTimeField(_("decided at"))
    # --- the department's handling ------------------------------------------------------------------
    state = models.CharField(_("state"), max_length=14, choices=TaskState.choices, default=TaskState.PUSHED)
    due_on = models.DateField(_("acknowledge by"))
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                        related_name="+", verbose_name=_("acknowledged by"))
    supervising_at = models.DateTimeField(_("supervision started at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    note = models.TextField(_("notes"), max_length=4000, blank=True)
    #: the last reminder sent ("", "due", "overdue"), so the tick reminds once per kind
    warning_sent = models.CharField(_("reminder sent"), max_length=8, blank=True)
    is_demo = models.BooleanField(_("demo data"), default=False)

    scope = ScopeSpec(region="region", department="department")
    audit_masked_fields = ("holder_code",)

    class Meta:
        verbose_name = _("supervision task")
        verbose_name_plural = _("supervision tasks")
        ordering = ["-decided_at", "-pk"]
        permissions = [("acknowledge_supervisiontask",
                        gettext_noop("Can acknowledge supervision tasks and record their supervision"))]
        indexes = [models.Index(fields=["department", "state", "due_on"], name="supervision_dept_state_due")]

    def __str__(self):
        return f"{self.reference} {self.item}"


class TaskEvent(models.Model):
    task = models.ForeignKey(SupervisionTask, models.CASCADE, related_name="events", verbose_name=_("task"))
    action = models.CharField(_("action"), max_length=20)
    from_state = models.CharField(_("state before"), max_length=14, choices=TaskState.choices, blank=True)
    to_state = models.CharField(_("state after"), max_length=14, choices=TaskState.choices)
    note = models.TextField(_("note"), max_length=2000, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+",
                              verbose_name=_("by"))
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("supervision task event")
        verbose_name_plural = _("supervision task events")
        ordering = ["task", "created_at", "pk"]
        default_permissions = ()
