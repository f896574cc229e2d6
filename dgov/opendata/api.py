"""`/api/v1/opendata`: the officials' side of opening data — open datasets of your scope (list, one), preparing
one from a published catalog entry, changing it, submitting it, the centre's review, withdrawal; and the topics.
The public side is the CKAN-compatible API (`/api/3/action/…`) and the DCAT-AP metadata."""

from django.utils.translation import gettext as _
from ninja import Query, Router, Status
from ninja.pagination import paginate

from dgov.catalog.models import CatalogEntry
from dgov.core.api import READ_ERRORS, WRITE_ERRORS, Mapped, Pagination, actor_of
from dgov.core.errors import ValidationError
from dgov.core.permissions import get_scoped, require_permission
from dgov.core.schemas import Id
from dgov.opendata import selectors, services
from dgov.opendata.models import OpenDataset
from dgov.opendata.schemas import (
    OpendataDatasetIn,
    OpendataDatasetOut,
    OpendataDatasetPatch,
    OpendataDatasetQuery,
    OpendataNoteIn,
    OpendataReviewIn,
    OpendataTopicOut,
)

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
