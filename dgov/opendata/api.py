"""`/api/v1/opendata`: the officials' side of opening data — open datasets of your scope (list, one), preparing
one from a published catalog entry, changing it, submitting it, the centre's review, withdrawal; the topics;
applications for conditional data (apply, withdraw, the provider department's decision and revocation); data
requests (ask; the department answers). The public side is the CKAN-compatible API (`/api/3/action/…`) and the
DCAT-AP metadata."""

from django.utils.translation import gettext as _
from ninja import Query, Router, Status
from ninja.pagination import paginate

from dgov.catalog.models import CatalogEntry
from dgov.core.api import READ_ERRORS, WRITE_ERRORS, Mapped, Pagination, actor_of
from dgov.core.errors import NotFound, ValidationError
from dgov.core.permissions import get_scoped, require_permission
from dgov.core.schemas import Id
from dgov.opendata import applications, feedback, selectors, services
from dgov.opendata.models import AccessApplication, DataRequest, OpenDataset
from dgov.opendata.schemas import (
    OpendataAgreementOut,
    OpendataAnswerIn,
    OpendataApplicationIn,
    OpendataApplicationOut,
    OpendataApplicationQuery,
    OpendataDatasetIn,
    OpendataDatasetOut,
    OpendataDatasetPatch,
    OpendataDatasetQuery,
    OpendataDecisionIn,
    OpendataNoteIn,
    OpendataReasonIn,
    OpendataRequestIn,
    OpendataRequestOut,
    OpendataRequestQuery,
    OpendataReviewIn,
    OpendataTopicOut,
)
from dgov.orgs.models import Department

router = Router(tags=["open data"])


def dataset_out(dataset: OpenDataset) -> dict:
    entry = dataset.entry
    return {"id": dataset.pk, "uuid": str(dataset.uuid), "name": dataset.name, "entry": entry.code,
            "entry_name": entry.name, "department": entry.department.name, "open_type": entry.open_type,
            "title": dataset.title, "description": dataset.description,
            "topics": [t.code for t in dataset.topics.all()], "keywords": dataset.keywords,
            "license": dataset.license, "status": dataset.status, "scan": dataset.scan,
            "columns": [{"name": c.name, "item": c.item_name, "mask": c.mask} for c in services.opened_columns(entry)],
            "published_at": dataset.published_at, "modified_at": dataset.modified_at,
            "events": [{"action": e.action, "actor": e.actor.username if e.actor else "", "note": e.note, "at": e.at}
                       for e in dataset.events.select_related("actor")]}


@router.get("/topics", response={200: list[OpendataTopicOut], **READ_ERRORS}, operation_id="list_opendata_topics")
def list_topics(request):
    """The portal's topics (reference data)."""
    return selectors.topics()


@router.get("/datasets", response={200: list[OpendataDatasetOut], **READ_ERRORS},
            operation_id="list_opendata_datasets")
@paginate(Pagination)
def list_datasets(request, query: OpendataDatasetQuery = Query(...)):
    """Open datasets of your scope, any status, most recently changed first."""
    qs = selectors.datasets(actor_of(request), status=query.status or "", q=query.q).prefetch_related("topics")
    return Mapped(qs, dataset_out)


@router.get("/datasets/{dataset_id}", response={200: OpendataDatasetOut, **READ_ERRORS},
            operation_id="get_opendata_dataset")
def get_dataset(request, dataset_id: Id):
    return dataset_out(selectors.dataset_for(actor_of(request), dataset_id))


@router.post("/datasets", response={201: OpendataDatasetOut, **WRITE_ERRORS}, operation_id="create_opendata_dataset")
def create_dataset(request, payload: OpendataDatasetIn):
    """Prepare the open dataset of a published catalog entry of your department (a draft). 422
    `not_openable` when the entry cannot be opened (not published, 不予开放, on the negative list, no data)."""
    actor = actor_of(request)
    require_permission(actor, OpenDataset, "add")
    entry = get_scoped(actor, "view", CatalogEntry.objects.all(), code=payload.entry)
    if OpenDataset.objects.filter(entry=entry).exists():
        raise ValidationError(details={"entry": [_("This entry already has an open dataset: change that one.")]},
                              code="exists")
    dataset = services.prepare(actor=actor, entry=entry, title=payload.title, description=payload.description,
                               topics=payload.topics, keywords=payload.keywords, license=payload.license)
    return Status(201, dataset_out(dataset))


@router.patch("/datasets/{dataset_id}", response={200: OpendataDatasetOut, **WRITE_ERRORS},
              operation_id="update_opendata_dataset")
def update_dataset(request, dataset_id: Id, payload: OpendataDatasetPatch):
    actor = actor_of(request)
    dataset = selectors.dataset_for(actor, dataset_id, "change")
    dataset = services.prepare(actor=actor, entry=dataset.entry, title=payload.title,
                               description=payload.description, topics=payload.topics, keywords=payload.keywords,
                               license=payload.license or "")
    return dataset_out(dataset)


@router.post("/datasets/{dataset_id}/submit", response={200: OpendataDatasetOut, **WRITE_ERRORS},
             operation_id="submit_opendata_dataset")
def submit_dataset(request, dataset_id: Id):
    """Send the dataset to the big-data centre. The personal-data scan runs first: 422 `personal_data`, each
    message naming a column that shows 身份证号, mobile or bank card numbers unmasked (the scan is kept on the
    dataset either way)."""
    actor = actor_of(request)
    return dataset_out(services.submit(actor=actor, dataset=selectors.dataset_for(actor, dataset_id, "change")))


@router.post("/datasets/{dataset_id}/review", response={200: OpendataDatasetOut, **WRITE_ERRORS},
             operation_id="review_opendata_dataset")
def review_dataset(request, dataset_id: Id, payload: OpendataReviewIn):
    """The centre publishes the dataset (checks and scan again) or returns it with a note."""
    actor = actor_of(request)
    require_permission(actor, OpenDataset, "review")
    dataset = selectors.dataset_for(actor, dataset_id, "view")
    return dataset_out(services.review(actor=actor, dataset=dataset, approve=payload.decision == "publish",
                                       note=payload.note))


@router.post("/datasets/{dataset_id}/withdraw", response={200: OpendataDatasetOut, **WRITE_ERRORS},
             operation_id="withdraw_opendata_dataset")
def withdraw_dataset(request, dataset_id: Id, payload: OpendataNoteIn):
    actor = actor_of(request)
    dataset = selectors.dataset_for(actor, dataset_id, "change")
    return dataset_out(services.withdraw(actor=actor, dataset=dataset, note=payload.note))


# --- conditional data (有条件开放) ------------------------------------------------------------------------------
def application_out(application: AccessApplication, *, accesses: bool = False) -> dict:
    dataset = application.dataset
    out = {"id": application.pk, "dataset": dataset.name, "dataset_title": dataset.title,
           "department": dataset.entry.department.name, "applicant": application.applicant.username,
           "organisation": application.organisation, "purpose": application.purpose,
           "scenario": application.scenario, "agreement_digest": application.agreement_digest,
           "agreed_at": application.agreed_at, "requested_days": application.requested_days,
           "status": application.status,
           "decided_by": application.decided_by.username if application.decided_by else "",
           "decided_at": application.decided_at, "reason": application.reason,
           "valid_until": application.valid_until, "created_at": application.created_at}
    if accesses:
        out["accesses"] = list(application.accesses.order_by("-at").values("kind", "format", "rows", "at")[:50])
    return out


def _published(name: str) -> OpenDataset:
    try:
        return selectors.published_dataset(name)
    except NotFound:
        raise NotFound(_("No published dataset has this name.")) from None


def _deciding(request, application_id: int, write) -> dict:
    """`write(actor, application)` on an application the caller may decide; the application as it is then."""
    actor = actor_of(request)
    application = write(actor, selectors.application_for(actor, application_id, "decide"))
    return application_out(selectors.application_for(actor, application.pk))


@router.get("/agreement", response={200: OpendataAgreementOut, **READ_ERRORS}, operation_id="get_opendata_agreement")
def get_agreement(request):
    """The data-use agreement that an application for conditional data accepts."""
    text, digest = applications.agreement()
    return {"text": text, "digest": digest}


@router.get("/applications", response={200: list[OpendataApplicationOut], **READ_ERRORS},
            operation_id="list_opendata_applications")
@paginate(Pagination)
def list_applications(request, query: OpendataApplicationQuery = Query(...)):
    """Applications for the datasets of your scope (the provider department decides them), pending first."""
    qs = selectors.scoped(actor_of(request), AccessApplication, status=query.status or "",
                          related=selectors.APPLICATION_RELATED)
    return Mapped(qs, application_out)


@router.get("/my-applications", response={200: list[OpendataApplicationOut], **READ_ERRORS},
            operation_id="list_my_opendata_applications")
@paginate(Pagination)
def list_my_applications(request, query: OpendataApplicationQuery = Query(...)):
    """Your own applications, newest first."""
    return Mapped(selectors.my_applications(actor_of(request), status=query.status or ""), application_out)


@router.get("/applications/{application_id}", response={200: OpendataApplicationOut, **READ_ERRORS},
            operation_id="get_opendata_application")
def get_application(request, application_id: Id):
    """One application — your own, or one of your scope's datasets — with the accesses made under it."""
    return application_out(selectors.application_for(actor_of(request), application_id), accesses=True)


@router.post("/applications", response={201: OpendataApplicationOut, **WRITE_ERRORS},
             operation_id="create_opendata_application")
def create_application(request, payload: OpendataApplicationIn):
    """Apply for a published 有条件开放 dataset, accepting the data-use agreement. 409 when the dataset is open
    to all, or when you already hold a pending or valid application for it."""
    application = applications.apply(actor=actor_of(request), dataset=_published(payload.dataset),
                                     purpose=payload.purpose, scenario=payload.scenario,
                                     organisation=payload.organisation, requested_days=payload.requested_days,
                                     agreed=payload.agreed)
    return Status(201, application_out(selectors.application_for(actor_of(request), application.pk)))


@router.post("/applications/{application_id}/decide", response={200: OpendataApplicationOut, **WRITE_ERRORS},
             operation_id="decide_opendata_application")
def decide_application(request, application_id: Id, payload: OpendataDecisionIn):
    """The provider department approves (access for `days`) or rejects (with a reason); the applicant is told."""
    return _deciding(request, application_id, lambda actor, application: applications.decide(
        actor=actor, application=application, approve=payload.decision == "approve", reason=payload.reason,
        days=payload.days))


@router.post("/applications/{application_id}/revoke", response={200: OpendataApplicationOut, **WRITE_ERRORS},
             operation_id="revoke_opendata_application")
def revoke_application(request, application_id: Id, payload: OpendataReasonIn):
    """The provider department ends an approved application's access (with a reason); the applicant is told."""
    return _deciding(request, application_id, lambda actor, application: applications.revoke(
        actor=actor, application=application, reason=payload.reason))


@router.post("/applications/{application_id}/withdraw", response={200: OpendataApplicationOut, **WRITE_ERRORS},
             operation_id="withdraw_opendata_application")
def withdraw_application(request, application_id: Id):
    """Withdraw your own pending application (404 for anyone else's)."""
    actor = actor_of(request)
    application = AccessApplication.objects.filter(pk=application_id, applicant=actor).first()
    if application is None:
        raise NotFound()
    applications.withdraw(actor=actor, application=application)
    return application_out(selectors.application_for(actor, application.pk))


# --- data requests (数据需求) -------------------------------------------------------------------------------------
def request_out(item: DataRequest) -> dict:
    return {"id": item.pk, "title": item.title, "description": item.description,
            "department": item.department.name, "department_code": item.department.code, "status": item.status,
            "answer": item.answer, "dataset": item.dataset.name if item.dataset else None,
            "answered_at": item.answered_at, "created_at": item.created_at}


REQUEST_RELATED = ("department", "dataset")


@router.get("/requests", response={200: list[OpendataRequestOut], **READ_ERRORS},
            operation_id="list_opendata_requests")
@paginate(Pagination)
def list_requests(request, query: OpendataRequestQuery = Query(...)):
    """Data requests addressed to the departments of your scope, those awaiting an answer first."""
    qs = selectors.scoped(actor_of(request), DataRequest, status=query.status or "", related=REQUEST_RELATED)
    return Mapped(qs, request_out)


@router.post("/requests", response={201: OpendataRequestOut, **WRITE_ERRORS}, operation_id="create_opendata_request")
def create_request(request, payload: OpendataRequestIn):
    """Ask a department for data it does not open yet (any signed-in user). The request and its answer are
    public (`/open/requests/`)."""
    department = Department.objects.filter(code=payload.department, kind__in=feedback.ASKED_KINDS).first()
    if department is None:
        raise ValidationError(details={"department": [_("No department has this code.")]})
    item = feedback.request_create(actor=actor_of(request), title=payload.title, description=payload.description,
                                   department=department)
    return Status(201, request_out(item))


@router.post("/requests/{request_id}/answer", response={200: OpendataRequestOut, **WRITE_ERRORS},
             operation_id="answer_opendata_request")
def answer_request(request, request_id: Id, payload: OpendataAnswerIn):
    """The department asked answers: answered, to be opened (planned) or cannot be opened (declined); it may
    name the published dataset it opened. The answer is public."""
    actor = actor_of(request)
    item = get_scoped(actor, "change", DataRequest.objects.select_related(*REQUEST_RELATED), pk=request_id)
    dataset = None
    if payload.dataset:
        try:
            dataset = selectors.published_dataset(payload.dataset)
        except NotFound:
            raise ValidationError(details={"dataset": [_("No published dataset has this name.")]}) from None
    item = feedback.request_answer(actor=actor, item=item, status=payload.status, answer=payload.answer,
                                   dataset=dataset)
    return request_out(item)
