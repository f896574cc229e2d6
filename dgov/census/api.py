"""`/api/v1/catalog/census/…`: the yearly data resource census — campaigns with their progress,
the departments' assignments, the pre-filled template, uploads (validated completely; written only
when every row passes) and the centre's acceptance or return."""

from ninja import File, Query, Router, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from dgov.census import selectors, services
from dgov.census.models import CensusCampaign
from dgov.census.schemas import (
    AssignIn,
    AssignmentFilter,
    AssignmentOut,
    CampaignFilter,
    CampaignIn,
    CampaignOut,
    CampaignPatch,
    ReopenIn,
    ReturnIn,
    UploadOut,
)
from dgov.core.api import READ_ERRORS, WRITE_ERRORS, Pagination, actor_of
from dgov.core.importexport import read_upload, xlsx_response
from dgov.core.permissions import require_permission

router = Router(tags=["census"])
CAMPAIGN = "/campaigns/{campaign_id}"
ASSIGNMENT = "/assignments/{assignment_id}"


def _campaign(user, campaign: CensusCampaign) -> dict:
    return {**{f: getattr(campaign, f) for f in ("id", "year", "name", "instructions", "opens_on", "due_on",
                                                  "state")},
            "progress": selectors.progress(user, campaign)}


# --- campaigns ----------------------------------------------------------------------------------
@router.get("/campaigns", response={200: list[CampaignOut], **READ_ERRORS}, operation_id="list_census_campaigns")
@paginate(Pagination)
def list_campaigns(request, filters: CampaignFilter = Query(...)):
    """The census campaigns, newest first, each with its progress over the assignments you may see
    (departments see opened campaigns only)."""
    actor = actor_of(request)
    qs = selectors.campaigns(actor)
    if filters.year:
        qs = qs.filter(year=filters.year)
    if filters.state:
        qs = qs.filter(state=filters.state)
    return [_campaign(actor, c) for c in qs]


@router.post("/campaigns", response={201: CampaignOut, **WRITE_ERRORS}, operation_id="create_census_campaign")
def create_campaign(request, payload: CampaignIn):
    """Create a campaign in draft (the big-data centre)."""
    actor = actor_of(request)
    require_permission(actor, CensusCampaign, "add")
    campaign = services.campaign_save(actor=actor, campaign=CensusCampaign(**payload.dict()))
    return Status(201, _campaign(actor, campaign))


@router.get(CAMPAIGN, response={200: CampaignOut, **READ_ERRORS}, operation_id="get_census_campaign")
def get_campaign(request, campaign_id: int):
    """One campaign with its progress: assignments per state, done, overdue, completion rate."""
    actor = actor_of(request)
    return _campaign(actor, selectors.campaign_for(actor, "view", campaign_id))


@router.patch(CAMPAIGN, response={200: CampaignOut, **WRITE_ERRORS}, operation_id="update_census_campaign")
def update_campaign(request, campaign_id: int, payload: CampaignPatch):
    """Change a draft or open campaign's year, name, instructions or dates."""
    actor = actor_of(request)
    campaign = selectors.campaign_for(actor, "change", campaign_id)
    for name, value in payload.dict(exclude_unset=True).items():
        if value is not None:
            setattr(campaign, name, value)
    return _campaign(actor, services.campaign_save(actor=actor, campaign=campaign))


@router.post(f"{CAMPAIGN}/assign", response={200: CampaignOut, **WRITE_ERRORS}, operation_id="assign_census")
def assign_departments(request, campaign_id: int, payload: AssignIn):
    """Assign departments: by code, every department and institution under a unit (`under`), or of
    a region (`region_code`). Already assigned ones stay as they are; in an open campaign the new
    ones are notified at once."""
    actor = actor_of(request)
    campaign = selectors.campaign_for(actor, "change", campaign_id)
    departments = services.departments_to_assign(codes=payload.department_codes, under=payload.under,
                                                 region_code=payload.region_code)
    services.assign(actor=actor, campaign=campaign, departments=departments)
    return _campaign(actor, campaign)


def _campaign_step(step):
    def view(request, campaign_id: int):
        actor = actor_of(request)
        campaign = step(actor=actor, campaign=selectors.campaign_for(actor, "change", campaign_id))
        return _campaign(actor, campaign)

    return view


router.post(f"{CAMPAIGN}/open", response={200: CampaignOut, **WRITE_ERRORS}, operation_id="open_census_campaign",
            summary="Open a draft campaign", description="The assigned departments' catalog editors are notified.")(
    _campaign_step(services.open_campaign))
router.post(f"{CAMPAIGN}/close", response={200: CampaignOut, **WRITE_ERRORS}, operation_id="close_census_campaign",
            summary="Close an open campaign", description="No more uploads are taken.")(
    _campaign_step(services.close_campaign))


@router.post(f"{CAMPAIGN}/reopen", response={200: CampaignOut, **WRITE_ERRORS}, operation_id="reopen_census_campaign",
             summary="Reopen a closed campaign until a new due date")
def reopen_campaign(request, campaign_id: int, payload: ReopenIn):
    """The departments whose submission is still pending are notified of the new due date (today or later)."""
    actor = actor_of(request)
    campaign = services.reopen_campaign(actor=actor, campaign=selectors.campaign_for(actor, "change", campaign_id),
                                        due_on=payload.due_on)
    return _campaign(actor, campaign)


# --- assignments --------------------------------------------------------------------------------
@router.get("/assignments", response={200: list[AssignmentOut], **READ_ERRORS},
            operation_id="list_census_assignments")
@paginate(Pagination)
def list_assignments(request, filters: AssignmentFilter = Query(...)):
    """Assignments within your data scope: filter by campaign, state, department code, overdue."""
    qs = selectors.assignments(actor_of(request))
    return selectors.filter_assignments(qs, campaign=filters.campaign, state=filters.state or "",
                                        department=filters.department, overdue=filters.overdue)


@router.get(ASSIGNMENT, response={200: AssignmentOut, **READ_ERRORS}, operation_id="get_census_assignment")
def get_assignment(request, assignment_id: int):
    return selectors.assignment_for(actor_of(request), "view", assignment_id)


@router.get(f"{ASSIGNMENT}/uploads", response={200: list[UploadOut], **READ_ERRORS},
            operation_id="list_census_uploads")
@paginate(Pagination)
def list_uploads(request, assignment_id: int):
    """The assignment's upload history, newest first, each with its result and errors."""
    actor = actor_of(request)
    return selectors.uploads(actor, selectors.assignment_for(actor, "view", assignment_id))


@router.get(f"{ASSIGNMENT}/template", response={200: None, **READ_ERRORS}, operation_id="census_template")
def download_template(request, assignment_id: int):
    """The department's catalog entries as the pre-filled .xlsx template: change their rows, add
    new entries as rows without a code, and upload it."""
    actor = actor_of(request)
    assignment = selectors.assignment_for(actor, "view", assignment_id)
    filename, data = selectors.template_download(actor, assignment)
    return xlsx_response(data, filename)


@router.post(f"{ASSIGNMENT}/upload", response={200: UploadOut, **WRITE_ERRORS}, operation_id="census_upload")
def upload_file(request, assignment_id: int, file: File[UploadedFile], dry_run: bool = False):
    """Upload the filled-in template (multipart `file`, .xlsx or .csv). Every row is validated first:
    `ok` false lists every error by row and column and writes nothing; otherwise the entries are
    created and updated (rows identical to their entry count as `unchanged`, i.e. confirmed) and the
    assignment is submitted. `dry_run=true` only checks. Every upload is kept in the history."""
    actor = actor_of(request)
    assignment = selectors.assignment_for(actor, "upload", assignment_id)
    return services.upload(actor=actor, assignment=assignment, data=read_upload(file), filename=file.name or "",
                           dry_run=dry_run)


@router.post(f"{ASSIGNMENT}/accept", response={200: AssignmentOut, **WRITE_ERRORS},
             operation_id="accept_census_assignment")
def accept_assignment(request, assignment_id: int):
    """Accept a submitted assignment (the big-data centre)."""
    actor = actor_of(request)
    assignment = selectors.assignment_for(actor, "review", assignment_id)
    services.review(actor=actor, assignment=assignment, action="accept")
    return selectors.assignment_for(actor, "view", assignment_id)


@router.post(f"{ASSIGNMENT}/return", response={200: AssignmentOut, **WRITE_ERRORS},
             operation_id="return_census_assignment")
def return_assignment(request, assignment_id: int, payload: ReturnIn):
    """Return a submitted assignment with the `reason`; the department corrects and uploads again."""
    actor = actor_of(request)
    assignment = selectors.assignment_for(actor, "review", assignment_id)
    services.review(actor=actor, assignment=assignment, action="return", reason=payload.reason)
    return selectors.assignment_for(actor, "view", assignment_id)
