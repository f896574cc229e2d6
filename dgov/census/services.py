"""Writes of the census: campaigns (draft → open → closed), which departments they assign, each
department's upload (validated completely by the catalog importer in its upsert mode; written only
when every row passes, which submits the assignment), and the centre's acceptance or return."""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dgov.catalog.importer import UPSERT, import_catalog
from dgov.catalog.models import CatalogEntry
from dgov.census.models import (
    PENDING,
    AssignmentState,
    CampaignState,
    CensusAssignment,
    CensusCampaign,
    CensusUpload,
)
from dgov.core import audit
from dgov.core.errors import Conflict, ValidationError
from dgov.core.importexport import MAX_BYTES
from dgov.core.permissions import require_in_scope, resolver
from dgov.core.services import save_object
from dgov.crypto.primitives import sm3
from dgov.notifications.models import Channel
from dgov.notifications.services import notify
from dgov.orgs.models import Department, DepartmentKind, Region

#: the kinds of unit a census assigns when it is given a region or a parent unit
CENSUS_KINDS = (DepartmentKind.DEPARTMENT, DepartmentKind.INSTITUTION)
CAMPAIGN_FIELDS = ["year", "name", "instructions", "opens_on", "due_on", "state", "created_by", "is_demo"]


# --- campaigns ----------------------------------------------------------------------------------
def campaign_save(*, actor, campaign: CensusCampaign) -> CensusCampaign:
    """Create a campaign (in draft, by `actor`) or change its name, year, dates or instructions; a
    closed campaign no longer changes."""
    with transaction.atomic():
        if campaign._state.adding:
            campaign.state, campaign.created_by = CampaignState.DRAFT, actor if getattr(actor, "pk", None) else None
        else:
            stored = CensusCampaign.objects.select_for_update().get(pk=campaign.pk)
            if stored.state == CampaignState.CLOSED:
                raise Conflict(_("A closed census campaign cannot be changed."))
            campaign.state = stored.state
        return save_object(actor=actor, instance=campaign, fields=CAMPAIGN_FIELDS)


def departments_to_assign(*, codes=(), under: str = "", region_code: str = "") -> list[Department]:
    """The departments a census assigns: those named by code, the government departments and public
    institutions under a unit (`under`, itself included when it is one) and those of a region and
    the regions below it. Unknown codes are field errors."""
    errors: dict[str, list[str]] = {}
    found: dict[str, Department] = {}
    codes = [c.strip() for c in codes if c and c.strip()]
    if codes:
        known = {d.code: d for d in Department.objects.filter(code__in=codes)}
        unknown = [c for c in codes if c not in known]
        if unknown:
            errors["department_codes"] = [_("No department has the code %(codes)s.") % {"codes": "、".join(unknown)}]
        found.update(known)
    if under:
        parent = Department.objects.filter(code=under.strip()).first()
        if parent is None:
            errors["under"] = [_("No department has the code %(codes)s.") % {"codes": under}]
        else:
            found.update((d.code, d) for d in Department.objects.filter(
                path__startswith=parent.path, kind__in=CENSUS_KINDS, is_active=True))
    if region_code:
        region = Region.objects.filter(code=region_code.strip().ljust(12, "0")).first()
        if region is None:
            errors["region_code"] = [_("No region has the code %(code)s.") % {"code": region_code}]
        else:
            found.update((d.code, d) for d in Department.objects.filter(
                region__path__startswith=region.path, kind__in=CENSUS_KINDS, is_active=True))
    if not errors and not found:
        errors["department_codes"] = [_("Name at least one department, a parent unit or a region.")]
    if errors:
        raise ValidationError(details=errors)
    return sorted(found.values(), key=lambda d: d.path)


def _entry_count(department) -> int:
    return CatalogEntry.objects.filter(department=department).count()


def assign(*, actor, campaign: CensusCampaign, departments: list[Department]) -> list[CensusAssignment]:
    """Add departments to a draft or open campaign (those already assigned are left as they are).
    In an open campaign the new departments start at once and are told so."""
    with transaction.atomic():
        campaign = CensusCampaign.objects.select_for_update().get(pk=campaign.pk)
        require_in_scope(actor, "change", campaign)
        if campaign.state == CampaignState.CLOSED:
            raise Conflict(_("A closed census campaign cannot be changed."))
        have = set(campaign.assignments.values_list("department_id", flat=True))
        new = [CensusAssignment(campaign=campaign, department=d) for d in departments if d.pk not in have]
        for assignment in new:
            if campaign.state == CampaignState.OPEN:
                assignment.entries_before = _entry_count(assignment.department)
            assignment.save()
        if new:
            audit.record("census.censuscampaign.assign", campaign,
                         changes={"departments": [a.department.code for a in new]}, actor=actor)
        if campaign.state == CampaignState.OPEN:
            for assignment in new:
                _tell_opened(assignment)
    return new


def _move(actor, campaign: CensusCampaign, *, source: str, target: str, refusal: str, verb: str,
          **changes) -> CensusCampaign:
    """Lock the campaign, check the actor's scope and its state, and move it (audited as `verb`,
    with `changes` of other fields). Call inside a transaction."""
    campaign = CensusCampaign.objects.select_for_update().get(pk=campaign.pk)
    require_in_scope(actor, "change", campaign)
    if campaign.state != source:
        raise Conflict(refusal % {"state": campaign.get_state_display()})
    diff = {"state": [source, target]}
    for field, value in changes.items():
        diff[field] = [str(getattr(campaign, field)), str(value)]
        setattr(campaign, field, value)
    campaign.state = target
    campaign.save(update_fields=["state", *changes, "updated_at"])
    audit.record(f"census.censuscampaign.{verb}", campaign, changes=diff, actor=actor)
    return campaign


def open_campaign(*, actor, campaign: CensusCampaign) -> CensusCampaign:
    """Open a draft campaign: each assigned department's entry count is noted and its catalog
    editors are notified."""
    with transaction.atomic():
        campaign = _move(actor, campaign, source=CampaignState.DRAFT, target=CampaignState.OPEN, verb="open",
                         refusal=_("Only a draft campaign can be opened; this one is “%(state)s”."))
        assignments = list(campaign.assignments.select_related("department"))
        if not assignments:
            raise ValidationError(details={"assignments": [_("Assign at least one department first.")]})
        for assignment in assignments:
            assignment.entries_before = _entry_count(assignment.department)
            assignment.save(update_fields=["entries_before", "updated_at"])
            _tell_opened(assignment)
    return campaign


def close_campaign(*, actor, campaign: CensusCampaign) -> CensusCampaign:
    """Close an open campaign: it takes no more uploads."""
    with transaction.atomic():
        return _move(actor, campaign, source=CampaignState.OPEN, target=CampaignState.CLOSED, verb="close",
                     refusal=_("Only an open campaign can be closed; this one is “%(state)s”."))


def reopen_campaign(*, actor, campaign: CensusCampaign, due_on) -> CensusCampaign:
    """Open a closed campaign again until a new due date (today or later), for the departments
    still missing: those whose submission is pending are notified of the new date."""
    if due_on is None or due_on < timezone.localdate():
        raise ValidationError(details={"due_on": [_("Give a new due date, today or later.")]})
    with transaction.atomic():
        campaign = _move(actor, campaign, source=CampaignState.CLOSED, target=CampaignState.OPEN, verb="reopen",
                         due_on=due_on, refusal=_("Only a closed campaign can be reopened; this one is "
                                                  "“%(state)s”."))
        for assignment in campaign.assignments.filter(state__in=PENDING).select_related("department"):
            _tell_opened(assignment)
    return campaign


# --- notifications ------------------------------------------------------------------------------
def editors_of(assignment: CensusAssignment) -> list:
    """The department's own officials who fill in its census (the upload permission covers it)."""
    users = get_user_model().objects.filter(department=assignment.department, is_active=True).order_by("pk")
    return [u for u in users if resolver().allows(u, "upload", assignment)]


def _tell(assignment: CensusAssignment, subject: str, body: str) -> None:
    for user in editors_of(assignment):
        notify(user=user, channel=Channel.IN_APP, recipient=user.username, subject=subject, body=body)


def _tell_opened(assignment: CensusAssignment) -> None:
    campaign = assignment.campaign
    _tell(assignment, _("Data resource census: %(name)s") % {"name": campaign.name},
          _("%(department)s is assigned to the census “%(name)s”. Download the pre-filled template from the census "
            "page, confirm, correct and complete your catalog entries, and upload it by %(due)s.")
          % {"department": assignment.department.name, "name": campaign.name, "due": campaign.due_on.isoformat()})


# --- a department's upload ----------------------------------------------------------------------
def upload(*, actor, assignment: CensusAssignment, data: bytes, filename: str, dry_run: bool) -> CensusUpload:
    """Check (and unless `dry_run`, write) a department's filled-in template. The catalog importer
    validates every row first; nothing is written unless all pass, and then the assignment is
    submitted. Every upload is kept with its result."""
    with transaction.atomic():
        assignment = CensusAssignment.objects.select_for_update().select_related(
            "campaign", "department").get(pk=assignment.pk)
        require_in_scope(actor, "upload", assignment)
        if assignment.campaign.state != CampaignState.OPEN:
            raise Conflict(_("The census campaign is not open."))
        if assignment.state == AssignmentState.ACCEPTED:
            raise Conflict(_("This census assignment has been accepted; it takes no more uploads."))
        data = bytes(data[:MAX_BYTES + 1])
        result = import_catalog(actor=actor, file=data, filename=filename, dry_run=dry_run, mode=UPSERT,
                                department=assignment.department, reason=assignment.campaign.name)
        record = CensusUpload.objects.create(
            assignment=assignment, uploaded_by=actor, filename=(filename or "")[:200], size=len(data),
            digest=sm3(data).hex(), dry_run=dry_run, ok=result["ok"], created_count=result["created"],
            updated_count=result["updated"], unchanged_count=result["unchanged"], errors=result["errors"],
            not_in_file=result["not_in_file"])
        audit.record("census.censusupload.create", record, actor=actor, changes={
            "filename": record.filename, "digest": record.digest, "dry_run": dry_run, "ok": record.ok,
            "errors": record.error_count, "not_in_file": len(record.not_in_file)})
        if result["ok"] and not dry_run:
            before = assignment.state
            assignment.state = AssignmentState.SUBMITTED
            assignment.created, assignment.updated = result["created"], result["updated"]
            assignment.confirmed = result["unchanged"]
            assignment.entries_after = _entry_count(assignment.department)
            assignment.submitted_at, assignment.submitted_by = timezone.now(), actor
            assignment.return_reason = ""
            assignment.save()
            audit.record("census.censusassignment.submit", assignment, actor=actor, changes={
                "state": [before, assignment.state], "created": result["created"], "updated": result["updated"],
                "confirmed": result["unchanged"]})
    return record


# --- the centre's review ------------------------------------------------------------------------
REVIEW_ACTIONS = {"accept": AssignmentState.ACCEPTED, "return": AssignmentState.RETURNED}


def review(*, actor, assignment: CensusAssignment, action: str, reason: str = "") -> CensusAssignment:
    """Accept a submitted census assignment, or return it (with the reason) to be corrected and
    uploaded again; the department's editors are told of a return."""
    if action not in REVIEW_ACTIONS:
        raise ValidationError(details={"action": [_("Unknown action.")]})
    reason = (reason or "").strip()
    with transaction.atomic():
        assignment = CensusAssignment.objects.select_for_update().select_related(
            "campaign", "department").get(pk=assignment.pk)
        require_in_scope(actor, "review", assignment)
        if assignment.state != AssignmentState.SUBMITTED:
            raise Conflict(_("Only a submitted census assignment can be accepted or returned; this one is "
                             "“%(state)s”.") % {"state": assignment.get_state_display()})
        if action == "return" and assignment.campaign.state != CampaignState.OPEN:
            raise Conflict(_("The census campaign is closed: a submission can still be accepted, but no longer "
                             "returned, since the department could not upload it again."))
        if action == "return" and not reason:
            raise ValidationError(details={"reason": [_("Give the reason.")]})
        if len(reason) > 500:
            raise ValidationError(details={"reason": [_("At most 500 characters.")]})
        before = assignment.state
        assignment.state = REVIEW_ACTIONS[action]
        assignment.return_reason = reason if action == "return" else ""
        assignment.reviewed_at, assignment.reviewed_by = timezone.now(), actor
        assignment.save()
        audit.record(f"census.censusassignment.{action}", assignment, actor=actor,
                     changes={"state": [before, assignment.state], "reason": reason})
        if action == "return":
            _tell(assignment, _("Census returned: %(name)s") % {"name": assignment.campaign.name},
                  _("The big-data centre returned the census submission of %(department)s: %(reason)s. Correct it "
                    "and upload it again.") % {"department": assignment.department.name, "reason": reason})
    return assignment
