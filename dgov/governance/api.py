"""`/api/v1/governance`: lineage, data-application evaluation (live, published, publish), consumer feedback
and ODCS data contracts."""

from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router, Status
from ninja.pagination import paginate

from dgov.catalog import selectors as catalog_selectors
from dgov.core.api import READ_ERRORS, WRITE_ERRORS, Mapped, Pagination, actor_of, errors
from dgov.core.errors import NotFound, ValidationError
from dgov.core.permissions import require_permission
from dgov.core.schemas import Id
from dgov.governance import contracts, evaluation, lineage, selectors, services
from dgov.governance.models import RankingPublication, ResourceFeedback
from dgov.governance.schemas import (
    GovernanceEvaluationOut,
    GovernanceFeedbackIn,
    GovernanceFeedbackOut,
    GovernanceFeedbackPatch,
    GovernanceFeedbackQuery,
    GovernanceLineageOut,
    GovernanceLineageQuery,
    GovernancePeriodQuery,
    GovernancePublicationOut,
    GovernancePublishIn,
    GovernanceReplyIn,
)
from dgov.orgs.models import Department

router = Router(tags=["governance"])


# --- lineage ---------------------------------------------------------------------------------------
@router.get("/lineage", response={200: GovernanceLineageOut, **READ_ERRORS}, operation_id="get_governance_lineage",
            by_alias=True, exclude_none=True)
def get_lineage(request, query: GovernanceLineageQuery = Query(...)):
    """The lineage graph of a catalog entry (`entry`: resource code) or through a harvested table (`table`):
    source table → data-store table → catalog entry → data service → consumer applications → departments,
    with the columns each step moves. Only the nodes you may see."""
    actor = actor_of(request)
    require_permission(actor, ResourceFeedback, "view")
    if (query.entry is None) == (query.table is None):
        raise ValidationError(details={"entry": [_("Give either a resource code or a table.")]})
    if query.entry is not None:
        return lineage.for_entry(actor, query.entry)
    return lineage.for_table(actor, query.table)


# --- evaluation ------------------------------------------------------------------------------------
def _period(query) -> tuple:
    start, end = evaluation.default_period()
    start, end = query.start or (query.end and query.end - (end - start)) or start, query.end or end
    services.check_period(start, end)
    return start, end


@router.get("/evaluation", response={200: GovernanceEvaluationOut, **READ_ERRORS},
            operation_id="get_governance_evaluation")
def get_evaluation(request, query: GovernancePeriodQuery = Query(...)):
    """The live ranking of the resources you may see for a period (default: the last 30 days), and of their
    departments, with every part of each score and the formula."""
    actor = actor_of(request)
    require_permission(actor, RankingPublication, "view")
    start, end = _period(query)
    entries = catalog_selectors.visible_entries(actor)
    if query.department:
        department = Department.objects.filter(code=query.department).first()
        if department is None:
            raise ValidationError(details={"department": [_("No such department.")]})
        entries = entries.filter(department__path__startswith=department.path)
    return evaluation.evaluate(start, end, entries)


def publication_out(publication: RankingPublication) -> dict:
    return {"id": publication.pk, "period_start": publication.period_start, "period_end": publication.period_end,
            "published_at": publication.created_at, "formula": publication.formula,
            "resources": publication.rows.get("resources", []), "departments": publication.rows.get("departments", [])}


@router.get("/evaluation/published", auth=None, response={200: GovernancePublicationOut, **errors(404)},
            operation_id="get_governance_published_ranking")
def get_published(request):
    """The latest published ranking (public, no sign-in): as it was published, never recomputed."""
    publication = selectors.latest_publication()
    if publication is None:
        raise NotFound(_("No ranking has been published yet."))
    return publication_out(publication)


@router.post("/evaluation/publish", response={201: GovernancePublicationOut, **WRITE_ERRORS},
             operation_id="publish_governance_ranking")
def publish(request, payload: GovernancePublishIn):
    """Freeze the ranking of a period (at most 366 days) with its formula; needs `publish_rankingpublication`."""
    publication = services.publish(actor=actor_of(request), start=payload.start, end=payload.end)
    return Status(201, publication_out(publication))


# --- feedback --------------------------------------------------------------------------------------
def feedback_out(f: ResourceFeedback) -> dict:
    return {"id": f.pk, "entry": f.entry.code, "entry_name": f.entry.name, "department": f.department.code,
            "department_name": f.department.name, "score": f.score, "comment": f.comment, "reply": f.reply,
            "replied_at": f.replied_at, "created_at": f.created_at, "updated_at": f.updated_at}


@router.get("/feedback", response={200: list[GovernanceFeedbackOut], **READ_ERRORS},
            operation_id="list_governance_feedback")
@paginate(Pagination)
def list_feedback(request, query: GovernanceFeedbackQuery = Query(...)):
    """Ratings your departments gave, and ratings of your departments' resources."""
    qs = selectors.filter_feedback(selectors.visible_feedback(actor_of(request)), entry=query.entry or "",
                                   department=query.department or "")
    return Mapped(qs.order_by("-created_at", "-pk"), feedback_out)


@router.get("/feedback/{feedback_id}", response={200: GovernanceFeedbackOut, **READ_ERRORS},
            operation_id="get_governance_feedback")
def get_feedback(request, feedback_id: Id):
    return feedback_out(selectors.feedback_for(actor_of(request), feedback_id))


@router.post("/feedback", response={201: GovernanceFeedbackOut, **WRITE_ERRORS},
             operation_id="create_governance_feedback")
def create_feedback(request, payload: GovernanceFeedbackIn):
    """Rate a resource (1–5) for a consuming department (default your own) whose applications hold an active
    sharing grant on it: 422 `no_grant` otherwise; 409 when the department has rated it already."""
    actor = actor_of(request)
    require_permission(actor, ResourceFeedback, "add")
    entry = catalog_selectors.visible_entries(actor).filter(code=payload.entry).select_related("department").first()
    if entry is None:
        raise ValidationError(details={"entry": [_("No such catalog entry.")]})
    code = payload.department or (actor.department.code if getattr(actor, "department", None) else "")
    department = Department.objects.filter(code=code).first() if code else None
    if department is None:
        raise ValidationError(details={"department": [_("No such department.")]})
    feedback = ResourceFeedback(entry=entry, department=department, score=payload.score, comment=payload.comment)
    feedback = services.feedback_save(actor=actor, feedback=feedback)
    return Status(201, feedback_out(feedback))


@router.patch("/feedback/{feedback_id}", response={200: GovernanceFeedbackOut, **WRITE_ERRORS},
              operation_id="update_governance_feedback")
def update_feedback(request, feedback_id: Id, payload: GovernanceFeedbackPatch):
    actor = actor_of(request)
    require_permission(actor, ResourceFeedback, "change")
    feedback = selectors.feedback_for(actor, feedback_id)
    for name, value in payload.dict(exclude_unset=True).items():
        if value is not None:
            setattr(feedback, name, value)
    return feedback_out(services.feedback_save(actor=actor, feedback=feedback))


@router.post("/feedback/{feedback_id}/reply", response={200: GovernanceFeedbackOut, **WRITE_ERRORS},
             operation_id="reply_governance_feedback")
def reply_feedback(request, feedback_id: Id, payload: GovernanceReplyIn):
    """The provider's reply to a rating of its resource."""
    actor = actor_of(request)
    require_permission(actor, ResourceFeedback, "change")
    feedback = selectors.feedback_for(actor, feedback_id)
    return feedback_out(services.feedback_reply(actor=actor, feedback=feedback, reply=payload.reply))


@router.delete("/feedback/{feedback_id}", response={204: None, **WRITE_ERRORS},
               operation_id="delete_governance_feedback")
def delete_feedback(request, feedback_id: Id):
    actor = actor_of(request)
    require_permission(actor, ResourceFeedback, "delete")
    services.feedback_delete(actor=actor, feedback=selectors.feedback_for(actor, feedback_id))
    return Status(204, None)


# --- contracts -------------------------------------------------------------------------------------
@router.get("/contracts/{path:code}.yaml", response={200: None, **READ_ERRORS},
            operation_id="get_governance_contract", openapi_extra={
                "responses": {200: {"description": "ODCS v3.0.2 data contract",
                                    "content": {"application/yaml": {"schema": {"type": "string"}}}}}})
def get_contract(request, code: str):
    """The catalog entry's Open Data Contract Standard (v3.0.2) document as YAML: schema with data elements
    and classification, quality rules, SLA, team and servers (the data store's dialect only). Items on the
    data negative list are left out."""
    actor = actor_of(request)
    document = contracts.build(actor, code, base_url=request.build_absolute_uri("/").rstrip("/"))
    response = HttpResponse(contracts.to_yaml(document), content_type="application/yaml; charset=utf-8")
    safe = code.replace("/", "-")
    response["Content-Disposition"] = f'inline; filename="{safe}.odcs.yaml"'
    return response
