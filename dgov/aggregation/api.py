"""`/api/v1/exchange/sources`, `/api/v1/exchange/datasets`, `/api/v1/exchange/loads`: data
aggregation. Source databases (the URL goes in, never out), their connection test and table
discovery; datasets (a published catalog entry's table in the data store, with its columns); load
jobs and their runs, run on demand or fed a file. A load runs within the request and answers with
the finished run."""

import re

from django.utils.translation import gettext as _
from ninja import File, Query, Router, Status, UploadedFile
from ninja.pagination import paginate

from dgov.aggregation import selectors, services, sources
from dgov.aggregation.models import Dataset, SourceDatabase, SourceMapping
from dgov.aggregation.schemas import (
    DatasetIn,
    DatasetOut,
    DatasetPatch,
    DatasetQuery,
    JobIn,
    JobOut,
    JobPatch,
    JobQuery,
    RunDetailOut,
    RunOut,
    RunQuery,
    SourceColumnOut,
    SourceIn,
    SourceOut,
    SourcePatch,
    SourceQuery,
    TestOut,
)
from dgov.catalog.models import CatalogEntry
from dgov.core.api import READ_ERRORS, WRITE_ERRORS, Pagination, actor_of, by_natural_key
from dgov.core.errors import Conflict, ValidationError
from dgov.core.importexport import read_upload
from dgov.core.permissions import require_permission
from dgov.core.schemas import MAX_ID
from dgov.orgs.models import Department

sources_router = Router(tags=["aggregation"])
datasets_router = Router(tags=["aggregation"])
loads_router = Router(tags=["aggregation"])

SOURCE = "/{source_id}"
TABLE_RE = r"^[^\x00-\x1f/\"`]{1,128}$"


# --- sources ----------------------------------------------------------------------------------------
@sources_router.get("", response={200: list[SourceOut], **READ_ERRORS}, operation_id="list_source_databases")
@paginate(Pagination)
def list_sources(request, query: SourceQuery = Query(...)):
    """The source databases of the departments in your scope."""
    return selectors.visible_sources(actor_of(request), department=query.department,
                                     kind=query.kind.value if query.kind else "", q=query.q)


@sources_router.post("", response={201: SourceOut, **WRITE_ERRORS}, operation_id="create_source_database")
def create_source(request, payload: SourceIn):
    """Register a source database. The URL (with its password) is stored encrypted."""
    actor = actor_of(request)
    require_permission(actor, SourceDatabase, "add")
    data = payload.dict()
    code = data.pop("department_code")
    department = (by_natural_key(Department, "department_code", _("No department has this code."), code=code)
                  if code else actor.department)
    if department is None:
        raise ValidationError(details={"department_code": [_("Name the department.")]})
    source = SourceDatabase(department=department, **data)
    services.source_save(actor=actor, instance=source)
    return Status(201, source)


@sources_router.get(SOURCE, response={200: SourceOut, **READ_ERRORS}, operation_id="get_source_database")
def get_source(request, source_id: int):
    return selectors.source_for(actor_of(request), _id(source_id))


@sources_router.patch(SOURCE, response={200: SourceOut, **WRITE_ERRORS}, operation_id="update_source_database")
def update_source(request, source_id: int, payload: SourcePatch):
    """Change a source's name, URL or description."""
    actor = actor_of(request)
    source = selectors.source_for(actor, _id(source_id), "change")
    for name, value in payload.dict(exclude_unset=True).items():
        if value is not None:
            setattr(source, name, value)
    services.source_save(actor=actor, instance=source)
    return source


@sources_router.delete(SOURCE, response={204: None, **WRITE_ERRORS}, operation_id="delete_source_database")
def delete_source(request, source_id: int):
    """Delete a source no load job uses (409 `protected` otherwise)."""
    actor = actor_of(request)
    services.source_delete(actor=actor, source=selectors.source_for(actor, _id(source_id), "delete"))
    return Status(204, None)


@sources_router.post(f"{SOURCE}/test", response={200: TestOut, **WRITE_ERRORS}, operation_id="test_source_database")
def test_source(request, source_id: int):
    """Connect and run a trivial query; `message` is the server version or why it failed."""
    actor = actor_of(request)
    ok, message = services.source_test(actor=actor, source=selectors.source_for(actor, _id(source_id), "change"))
    return {"ok": ok, "message": message}


@sources_router.get(f"{SOURCE}/tables", response={200: list[str], **WRITE_ERRORS},
                    operation_id="list_source_tables")
def list_tables(request, source_id: int):
    """The source's tables and views (409 `source_unavailable` when it cannot be reached)."""
    source = selectors.source_for(actor_of(request), _id(source_id), "change")
    try:
        return sources.tables(source)
    except sources.SourceError as exc:
        raise Conflict(str(exc), code="source_unavailable") from None


@sources_router.get(f"{SOURCE}/tables/{{table}}/columns",
                    response={200: list[SourceColumnOut], **WRITE_ERRORS},
                    operation_id="list_source_columns")
def list_columns(request, source_id: int, table: str):
    """One table's columns (name, type, nullable, primary key)."""
    source = selectors.source_for(actor_of(request), _id(source_id), "change")
    if not re.match(TABLE_RE, table):
        raise ValidationError(details={"table": [_("Name the source table.")]})
    try:
        return sources.columns(source, table)
    except sources.SourceError as exc:
        raise Conflict(str(exc), code="source_unavailable") from None


def _id(value: int) -> int:
    if not 1 <= value <= MAX_ID:
        raise ValidationError(details={"id": [_("Not a valid id.")]})
    return value


# --- datasets ---------------------------------------------------------------------------------------
DATASET = "/{dataset_id}"


@datasets_router.get("", response={200: list[DatasetOut], **READ_ERRORS}, operation_id="list_datasets")
@paginate(Pagination)
def list_datasets(request, query: DatasetQuery = Query(...)):
    """The datasets (data store tables of published catalog entries) in your scope."""
    return selectors.visible_datasets(actor_of(request), department=query.department, q=query.q)


@datasets_router.post("", response={201: DatasetOut, **WRITE_ERRORS}, operation_id="create_dataset")
def create_dataset(request, payload: DatasetIn):
    """Give a published catalog entry its dataset: one column per listed data item, at least one key
    column. A column's masking defaults from the item's personal-data class and name."""
    actor = actor_of(request)
    require_permission(actor, Dataset, "add")
    entry = by_natural_key(CatalogEntry, "entry_code", _("No catalog entry has this code."),
                           code=payload.entry_code.strip())
    dataset = services.dataset_create(actor=actor, entry=entry,
                                      columns=[c.dict() for c in payload.columns])
    return Status(201, selectors.dataset_for(actor, dataset.pk))


@datasets_router.get(DATASET, response={200: DatasetOut, **READ_ERRORS}, operation_id="get_dataset")
def get_dataset(request, dataset_id: int):
    return selectors.dataset_for(actor_of(request), _id(dataset_id))


@datasets_router.patch(DATASET, response={200: DatasetOut, **WRITE_ERRORS}, operation_id="update_dataset")
def update_dataset(request, dataset_id: int, payload: DatasetPatch):
    """Replace the columns (masks, order, columns added or dropped; the key stays once rows are loaded)."""
    actor = actor_of(request)
    dataset = selectors.dataset_for(actor, _id(dataset_id), "change")
    services.dataset_update(actor=actor, dataset=dataset, columns=[c.dict() for c in payload.columns])
    return selectors.dataset_for(actor, dataset.pk)


# --- load jobs and runs -------------------------------------------------------------------------------
JOB = "/jobs/{job_id}"


@loads_router.get("/jobs", response={200: list[JobOut], **READ_ERRORS}, operation_id="list_load_jobs")
@paginate(Pagination)
def list_jobs(request, query: JobQuery = Query(...)):
    """The load jobs of the datasets in your scope."""
    return selectors.visible_mappings(actor_of(request), dataset=query.dataset, source=query.source, q=query.q)


def _job_fields(job: SourceMapping, data: dict) -> SourceMapping:
    for name, value in data.items():
        if name == "incremental_by":
            value = value or ""
        setattr(job, name, value)
    return job


@loads_router.post("/jobs", response={201: JobOut, **WRITE_ERRORS}, operation_id="create_load_job")
def create_job(request, payload: JobIn):
    """A load job: a source table (`source_id`, `source_table`), or uploaded files (no `source_id`), into
    a dataset; `column_map` maps dataset columns to source columns; `mode` full or incremental (by an
    update-time column or an increasing key, `incremental_column`); `schedule`."""
    actor = actor_of(request)
    require_permission(actor, SourceMapping, "add")
    data = payload.dict()
    dataset = Dataset.objects.filter(pk=data.pop("dataset_id")).first()
    if dataset is None:
        raise ValidationError(details={"dataset_id": [_("No such dataset.")]})
    job = _job_fields(SourceMapping(dataset=dataset), data)
    services.mapping_save(actor=actor, instance=job)
    return Status(201, job)


@loads_router.get(JOB, response={200: JobOut, **READ_ERRORS}, operation_id="get_load_job")
def get_job(request, job_id: int):
    return selectors.mapping_for(actor_of(request), _id(job_id))


@loads_router.patch(JOB, response={200: JobOut, **WRITE_ERRORS}, operation_id="update_load_job")
def update_job(request, job_id: int, payload: JobPatch):
    actor = actor_of(request)
    job = selectors.mapping_for(actor, _id(job_id), "change")
    data = {k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None or k == "incremental_by"}
    services.mapping_save(actor=actor, instance=_job_fields(job, data))
    return job


@loads_router.delete(JOB, response={204: None, **WRITE_ERRORS}, operation_id="delete_load_job")
def delete_job(request, job_id: int):
    """Delete a load job and its run history (the loaded rows stay in the dataset)."""
    actor = actor_of(request)
    services.mapping_delete(actor=actor, mapping=selectors.mapping_for(actor, _id(job_id), "delete"))
    return Status(204, None)


@loads_router.post(f"{JOB}/run", response={200: RunDetailOut, **WRITE_ERRORS}, operation_id="run_load_job")
def run_job(request, job_id: int):
    """Run a database job now; answers with the finished run (`status` failed with `error` when the
    source could not be read: nothing was loaded then)."""
    actor = actor_of(request)
    job = selectors.mapping_for(actor, _id(job_id), "change")
    return services.run_load(actor=actor, mapping=job)


@loads_router.post(f"{JOB}/upload", response={200: RunDetailOut, **WRITE_ERRORS}, operation_id="upload_load_file")
def upload_file(request, job_id: int, file: UploadedFile = File(...)):
    """Load an .xlsx or .csv (UTF-8 or GB18030; first row: the headers named in the job's mapping)
    into a file job. All or nothing: with any rejected row nothing is loaded and the run lists them."""
    actor = actor_of(request)
    job = selectors.mapping_for(actor, _id(job_id), "change")
    data = read_upload(file)
    return services.load_file(actor=actor, mapping=job, name=file.name or "upload.csv", data=data)


@loads_router.get("/runs", response={200: list[RunOut], **READ_ERRORS}, operation_id="list_load_runs")
@paginate(Pagination)
def list_runs(request, query: RunQuery = Query(...)):
    """Load runs, newest first."""
    return selectors.visible_runs(actor_of(request), dataset=query.dataset, mapping=query.job,
                                  status=query.status.value if query.status else "")


@loads_router.get("/runs/{run_id}", response={200: RunDetailOut, **READ_ERRORS}, operation_id="get_load_run")
def get_run(request, run_id: int):
    """One run with its rejected rows and their reasons."""
    return selectors.run_for(actor_of(request), _id(run_id))
