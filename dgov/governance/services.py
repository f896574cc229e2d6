"""Writes of dgov.governance: consumer feedback on resources, the provider's reply, and ranking publication.

- A rating (1–5, with a comment) is given by a consuming department on a catalog entry for which one of its
  applications holds an active sharing grant (anyone else: 422 `no_grant`); one per entry and department,
  changed by editing it. The actor needs `add_resourcefeedback` (`change_…` to edit) with the department
  in scope.
- The provider's reply is written by an official who may change the rated catalog entry (its department's
  data administrator) and holds `change_resourcefeedback`.
- `publish` freezes the ranking of a period (formula, weights and every figure) as a `RankingPublication`.
"""

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dgov.catalog.models import CatalogEntry
from dgov.core import audit
from dgov.core.errors import Conflict, ValidationError
from dgov.core.permissions import require_in_scope, require_permission
from dgov.core.schemas import MAX_YEAR, MIN_YEAR
from dgov.core.services import delete_object, save_object
from dgov.governance import evaluation
from dgov.governance.models import RankingPublication, ResourceFeedback
from dgov.sharing.models import Grant

EDITABLE = ["score", "comment"]


def holds_grant(department, entry: CatalogEntry) -> bool:
    """Does an application of `department` (or of its subunits) hold an active grant on `entry` now?"""
    return (Grant.objects.usable().filter(entry=entry, application__department__path__startswith=department.path)
            .exists())


def feedback_save(*, actor, feedback: ResourceFeedback) -> ResourceFeedback:
    """Create or change a rating; the grant is checked on every save."""
    with transaction.atomic():
        require_in_scope(actor, "add" if feedback._state.adding else "change", feedback)
        if feedback._state.adding:
            if ResourceFeedback.objects.filter(entry=feedback.entry_id, department=feedback.department_id).exists():
                raise Conflict(_("Your department has already rated this resource; edit that rating."),
                               code="conflict")
            feedback.author = actor
        if feedback.entry.department_id == feedback.department_id:
            raise ValidationError(details={"department": [_("A department does not rate its own resources.")]},
                                  code="own_resource")
        if not holds_grant(feedback.department, feedback.entry):
            raise ValidationError(details={"entry": [_("Only a department whose applications hold an active "
                                                       "sharing grant on this resource may rate it.")]},
                                  code="no_grant")
        return save_object(actor=actor, instance=feedback, fields=["entry", "department", "author", *EDITABLE])


def feedback_reply(*, actor, feedback: ResourceFeedback, reply: str) -> ResourceFeedback:
    """The provider's answer to a rating."""
    with transaction.atomic():
        require_permission(actor, ResourceFeedback, "change")
        feedback = ResourceFeedback.objects.select_for_update().select_related("entry").get(pk=feedback.pk)
        require_in_scope(actor, "change", feedback.entry)
        reply = (reply or "").strip()
        if not reply:
            raise ValidationError(details={"reply": [_("Write a reply.")]})
        if len(reply) > 2000:
            raise ValidationError(details={"reply": [_("At most 2000 characters.")]})
        before = audit.snapshot(feedback, ["reply", "replied_at"])
        feedback.reply, feedback.replied_at = reply, timezone.now()
        feedback.save(update_fields=["reply", "replied_at", "updated_at"])
        audit.record("governance.resourcefeedback.reply", feedback, changes=audit.diff(before, feedback), actor=actor)
        return feedback


def feedback_delete(*, actor, feedback: ResourceFeedback) -> None:
    delete_object(actor=actor, instance=feedback)


def publish(*, actor, start: dt.date, end: dt.date) -> RankingPublication:
    """Freeze the ranking of [start, end] over every published resource with a dataset."""
    with transaction.atomic():
        require_permission(actor, RankingPublication, "publish")
        check_period(start, end)
        result = evaluation.evaluate(start, end)
        publication = RankingPublication(period_start=start, period_end=end, formula=result["formula"],
                                         rows={"resources": result["resources"],
                                               "departments": result["departments"]},
                                         published_by=actor)
        require_in_scope(actor, "publish", publication)
        publication.save()
        audit.record("governance.rankingpublication.publish", publication,
                     changes={"period": [None, f"{start}–{end}"],
                              "resources": [None, len(result["resources"])]}, actor=actor)
        return publication


def check_period(start: dt.date, end: dt.date) -> None:
    for name, day in (("start", start), ("end", end)):
        if not MIN_YEAR <= day.year <= MAX_YEAR:
            raise ValidationError(details={name: [_("Give a date between the years %(min)s and %(max)s.") % {
                "min": MIN_YEAR, "max": MAX_YEAR}]})
    if start > end:
        raise ValidationError(details={"start": [_("The start must not be after the end.")]})
    if (end - start).days + 1 > evaluation.MAX_DAYS:
        raise ValidationError(details={"start": [_("A period is at most %(days)s days.") %
                                                 {"days": evaluation.MAX_DAYS}]})
