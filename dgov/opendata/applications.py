"""Conditional data (有条件开放): applications, decisions and the access they grant.

A signed-in user (citizen, enterprise, official) applies for a published 有条件开放 dataset with the purpose,
the use scenario, the organisation they act for and the number of days wanted, accepting the data-use
agreement (`data/data-use-agreement.md`; its SM3 digest and the time are kept with the application). The
provider department's data administrator approves (access until `valid_until`, at most what was asked) or
rejects with a reason; the applicant may withdraw a pending application and the department may revoke an
approved one. While approved and unexpired, the applicant's downloads and API calls of the dataset are allowed;
each is logged (`AccessLog`). The applicant and the department's deciders get in-app messages.
"""

import datetime as dt
from functools import cache
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from dgov.core import audit
from dgov.core.errors import Conflict, PermissionDenied, ValidationError
from dgov.core.permissions import require_in_scope, require_permission, resolver
from dgov.crypto.primitives import sm3
from dgov.notifications.models import Channel
from dgov.notifications.services import notify
from dgov.opendata.models import AccessApplication, ApplicationStatus, OpenDataset

AGREEMENT = Path(__file__).resolve().parent / "data" / "data-use-agreement.md"
MAX_DAYS = 366


@cache
def agreement() -> tuple[str, str]:
    """The data-use agreement's text and its SM3 digest (hex)."""
    text = AGREEMENT.read_text(encoding="utf-8")
    return text, sm3(text.encode()).hex()


def active_application(user, dataset: OpenDataset, at: dt.datetime | None = None) -> AccessApplication | None:
    """The user's approved, unexpired application for `dataset`, or None."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    at = at or timezone.now()
    return (AccessApplication.objects.filter(applicant=user, dataset=dataset, status=ApplicationStatus.APPROVED,
                                             valid_until__gt=at).order_by("-valid_until").first())


def _deciders(application: AccessApplication) -> list:
    """The provider department's officials who may decide the application."""
    department = application.dataset.entry.department
    users = get_user_model().objects.filter(is_active=True, department__path__startswith=department.path)
    return [u for u in users.order_by("username")
            if getattr(u, "is_official", False) and resolver().allows(u, "decide", application)]


def _tell(users, application: AccessApplication, subject: str, body: str, **values) -> None:
    fields = {"dataset": application.dataset.title, "applicant": application.applicant.username,
              "until": timezone.localtime(application.valid_until).strftime("%Y-%m-%d %H:%M")
              if application.valid_until else "", **values}
    with translation.override(settings.LANGUAGE_CODE):
        subject, body = _(subject) % fields, _(body) % fields
        for user in {u.pk: u for u in users}.values():
            notify(user=user, channel=Channel.IN_APP, recipient=user.username, subject=subject, body=body)


def apply(*, actor, dataset: OpenDataset, purpose: str, scenario: str, organisation: str = "",
          requested_days: int, agreed: bool) -> AccessApplication:
    if not getattr(actor, "is_authenticated", False):
        raise PermissionDenied()
    errors: dict[str, list[str]] = {}
    if not agreed:
        errors["agreed"] = [_("Read and accept the data-use agreement to apply.")]
    if not purpose.strip():
        errors["purpose"] = [_("Say what the data is for.")]
    if not scenario.strip():
        errors["scenario"] = [_("Say where the data will be used.")]
    if not 1 <= requested_days <= MAX_DAYS:
        errors["requested_days"] = [_("Ask for 1 to %(max)s days.") % {"max": MAX_DAYS}]
    if errors:
        raise ValidationError(details=errors)
    with transaction.atomic():
        dataset = OpenDataset.objects.select_for_update().select_related("entry").get(pk=dataset.pk)
        if not dataset.is_conditional or dataset.status != "published":
            raise Conflict(_("Only a published dataset opened on conditions is applied for."))
        pending = AccessApplication.objects.filter(applicant=actor, dataset=dataset,
                                                   status=ApplicationStatus.SUBMITTED).exists()
        if pending or active_application(actor, dataset):
            raise Conflict(_("You already have a pending or valid application for this dataset."))
        application = AccessApplication.objects.create(
            dataset=dataset, applicant=actor, organisation=organisation.strip(), purpose=purpose.strip(),
            scenario=scenario.strip(), agreement_digest=agreement()[1], agreed_at=timezone.now(),
            requested_days=requested_days)
        audit.record("opendata.accessapplication.create", application, actor=actor,
                     changes={"dataset": [None, dataset.name], "requested_days": [None, requested_days]})
        _tell(_deciders(application), application, gettext_noop("Open data application: %(dataset)s"),
              gettext_noop("%(applicant)s applies for the conditional dataset “%(dataset)s”. Decide it under "
                           "Open data applications."))
    return application


def decide(*, actor, application: AccessApplication, approve: bool, reason: str = "",
           days: int | None = None) -> AccessApplication:
    """The provider department approves (access for `days`, at most what was asked) or rejects (with a
    reason)."""
    with transaction.atomic():
        require_permission(actor, AccessApplication, "decide")
        application = (AccessApplication.objects.select_for_update().select_related("dataset__entry", "applicant")
                       .get(pk=application.pk))
        require_in_scope(actor, "decide", application)
        if application.status != ApplicationStatus.SUBMITTED:
            raise Conflict(_("Only a pending application is decided."))
        if not approve and not reason.strip():
            raise ValidationError(details={"reason": [_("Say why the application is rejected.")]})
        days = application.requested_days if days is None else days
        if approve and not 1 <= days <= application.requested_days:
            raise ValidationError(details={"days": [_("Grant 1 to %(max)s days (what was asked for).") % {
                "max": application.requested_days}]})
        now = timezone.now()
        application.status = ApplicationStatus.APPROVED if approve else ApplicationStatus.REJECTED
        application.decided_by, application.decided_at, application.reason = actor, now, reason.strip()
        application.valid_until = now + dt.timedelta(days=days) if approve else None
        application.save(update_fields=["status", "decided_by", "decided_at", "reason", "valid_until", "updated_at"])
        audit.record(f"opendata.accessapplication.{'approve' if approve else 'reject'}", application, actor=actor,
                     changes={"status": [ApplicationStatus.SUBMITTED, application.status], "reason": reason.strip()})
        if approve:
            _tell([application.applicant], application, gettext_noop("Application approved: %(dataset)s"),
                  gettext_noop("Your application for “%(dataset)s” is approved: you may download it and call its "
                               "API until %(until)s."))
        else:
            _tell([application.applicant], application, gettext_noop("Application rejected: %(dataset)s"),
                  gettext_noop("Your application for “%(dataset)s” is rejected: %(reason)s"), reason=reason.strip())
    return application


def withdraw(*, actor, application: AccessApplication) -> AccessApplication:
    with transaction.atomic():
        application = AccessApplication.objects.select_for_update().get(pk=application.pk)
        if application.applicant_id != actor.pk:
            raise PermissionDenied()
        if application.status != ApplicationStatus.SUBMITTED:
            raise Conflict(_("Only a pending application is withdrawn."))
        application.status = ApplicationStatus.WITHDRAWN
        application.save(update_fields=["status", "updated_at"])
        audit.record("opendata.accessapplication.withdraw", application, actor=actor)
    return application


def revoke(*, actor, application: AccessApplication, reason: str) -> AccessApplication:
    with transaction.atomic():
        require_permission(actor, AccessApplication, "decide")
        application = AccessApplication.objects.select_for_update().select_related("dataset").get(pk=application.pk)
        require_in_scope(actor, "decide", application)
        if application.status != ApplicationStatus.APPROVED:
            raise Conflict(_("Only an approved application is revoked."))
        if not reason.strip():
            raise ValidationError(details={"reason": [_("Say why the access is revoked.")]})
        application.status, application.reason = ApplicationStatus.REVOKED, reason.strip()
        application.save(update_fields=["status", "reason", "updated_at"])
        audit.record("opendata.accessapplication.revoke", application, actor=actor, changes={"reason": reason.strip()})
        _tell([application.applicant], application, gettext_noop("Access revoked: %(dataset)s"),
              gettext_noop("Your access to “%(dataset)s” is revoked: %(reason)s"), reason=reason.strip())
    return application
