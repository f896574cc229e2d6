"""Reads of the census, each starting from `restrict(user, action)`: departments see the opened
campaigns and their own assignments and uploads; the big-data centre sees everything, drafts
included. Progress counts only the assignments the reader may see."""

from django.db.models import Count, Max

from dgov.catalog.importer import template_xlsx
from dgov.catalog.models import CatalogEntry
from dgov.census.models import DONE, AssignmentState, CampaignState, CensusAssignment, CensusCampaign, CensusUpload
from dgov.core import audit
from dgov.core.errors import NotFound
from dgov.core.permissions import get_scoped, has_permission, require_permission, resolver


def campaigns(user):
    """The campaigns `user` may see (drafts only for those who manage campaigns)."""
    require_permission(user, CensusCampaign, "view")
    qs = CensusCampaign.objects.restrict(user, "view")
    if not has_permission(user, CensusCampaign, "change"):
        qs = qs.exclude(state=CampaignState.DRAFT)
    return qs


def campaign_for(user, action: str, pk) -> CensusCampaign:
    campaign = get_scoped(user, action, CensusCampaign.objects.all(), pk=pk)
    if campaign.state == CampaignState.DRAFT and not has_permission(user, CensusCampaign, "change"):
        raise NotFound()
    return campaign


def assignments(user, action: str = "view"):
    require_permission(user, CensusAssignment, action)
    qs = CensusAssignment.objects.restrict(user, action).select_related("campaign", "department", "submitted_by")
    if not has_permission(user, CensusCampaign, "change"):
        qs = qs.exclude(campaign__state=CampaignState.DRAFT)
    return qs.annotate(last_upload_at=Max("uploads__created_at"))


def assignment_for(user, action: str, pk) -> CensusAssignment:
    try:
        return assignments(user, action).get(pk=pk)
    except (CensusAssignment.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def may(user, action: str, assignment: CensusAssignment) -> bool:
    """Whether `user` may `action` ("upload", "review") this assignment (for the page's buttons)."""
    return has_permission(user, CensusAssignment, action) and bool(
        resolver().allows(user, action, assignment))


def filter_assignments(qs, *, campaign=None, state: str = "", overdue: bool | None = None, department: str = ""):
    if campaign:
        qs = qs.filter(campaign_id=campaign)
    if state:
        qs = qs.filter(state=state)
    if department:
        qs = qs.filter(department__code=department)
    if overdue is True:
        qs = qs.overdue()
    elif overdue is False:
        qs = qs.exclude(pk__in=qs.overdue().values("pk"))
    return qs


def progress(user, campaign: CensusCampaign) -> dict:
    """Per state, done (submitted or accepted), overdue and the completion rate, over the
    campaign's assignments that `user` may see."""
    qs = CensusAssignment.objects.restrict(user, "view").filter(campaign=campaign)
    counts = dict(qs.order_by().values_list("state").annotate(n=Count("*")))
    assigned = sum(counts.values())
    done = sum(counts.get(s, 0) for s in DONE)
    overdue = qs.overdue().count() if campaign.state == CampaignState.OPEN else 0
    return {"assigned": assigned, "done": done, "overdue": overdue,
            "by_state": {s: counts.get(s, 0) for s in AssignmentState.values},
            "rate": round(100 * done / assigned, 1) if assigned else 0.0}


def uploads(user, assignment: CensusAssignment):
    return CensusUpload.objects.restrict(user, "view").filter(assignment=assignment).select_related("uploaded_by")


def left_out(user, upload: CensusUpload | None) -> list[CatalogEntry]:
    """The entries in force that `upload` (a file that passed) left out, as `user` may see them."""
    if upload is None or not upload.ok or not upload.not_in_file:
        return []
    return list(CatalogEntry.objects.restrict(user, "view").filter(code__in=upload.not_in_file[:1000])
                .order_by("code").only("code", "name", "status"))


def template_entries(user, assignment: CensusAssignment):
    """The department's catalog entries that `user` may see, as its pre-filled template lists them."""
    return (CatalogEntry.objects.restrict(user, "view").filter(department=assignment.department)
            .select_related("classification", "department").prefetch_related("items").order_by("code"))


def template_download(user, assignment: CensusAssignment) -> tuple[str, bytes]:
    """(file name, .xlsx) of the assignment's pre-filled template for `user`, who must be able to
    see the assignment. The download is an export of the department's entries, so it is audited."""
    entries = list(template_entries(user, assignment))
    audit.record("census.censusassignment.template", assignment, actor=user, changes={"entries": len(entries)})
    return (f"census-{assignment.campaign.year}-{assignment.department.code}.xlsx", template_xlsx(entries))
