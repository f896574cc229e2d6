"""`/api/v1/governance/metadata`: harvested tables with their columns, the harvests and their changes,
starting a harvest, and mapping a column to a data element."""

from django.utils.translation import gettext as _
from ninja import Query, Router, Status
from ninja.pagination import paginate

from dgov.aggregation.models import SourceDatabase
from dgov.core.api import READ_ERRORS, WRITE_ERRORS, Mapped, Pagination, actor_of
from dgov.core.errors import NotFound, ValidationError
from dgov.core.permissions import require_permission
from dgov.core.schemas import Id
from dgov.metadata import selectors, services
from dgov.metadata.models import DATASTORE, Harvest, MetaColumn, MetaTable
from dgov.metadata.schemas import (
    MetadataColumnIn,
    MetadataColumnOut,
    MetadataHarvestDetailOut,
    MetadataHarvestIn,
    MetadataHarvestOut,
    MetadataTableOut,
    MetadataTableQuery,
)

router = Router(tags=["metadata"])


def column_out(c: MetaColumn) -> dict:
    return {"name": c.name, "position": c.position, "data_type": c.data_type, "type_family": c.type_family,
            "max_length": c.max_length, "nullable": c.nullable, "default": c.default, "comment": c.comment,
            "is_primary_key": c.is_primary_key, "personal": c.personal,
            "element": c.element.identifier if c.element_id else None, "dropped_at": c.dropped_at}


def table_out(t: MetaTable, columns=None) -> dict:
    return {"id": t.pk, "qualified_name": t.qualified_name, "location": t.location, "source": t.source_id,
            "source_name": t.source.name if t.source_id else "", "dataset": t.dataset.entry.code if t.dataset_id
            else None, "department": t.department.code, "department_name": t.department.name,
            "schema_name": t.schema, "name": t.name, "kind": t.kind, "comment": t.comment, "row_count": t.row_count,
            "row_count_exact": t.row_count_exact, "size_bytes": t.size_bytes, "primary_key": t.primary_key,
            "foreign_keys": t.foreign_keys, "indexes": t.indexes, "harvested_at": t.harvested_at,
            "dropped_at": t.dropped_at,
            "columns": [column_out(c) for c in (columns if columns is not None else t.columns.all())]}


def harvest_out(h: Harvest) -> dict:
    return {"id": h.pk, "location": f"source-{h.source_id}" if h.source_id else DATASTORE, "source": h.source_id,
            "department": h.department.code if h.department_id else None, "trigger": h.trigger,
            "status": h.status, "started_at": h.started_at, "finished_at": h.finished_at, "tables": h.tables,
            "columns": h.columns, "changes": h.changes, "error": h.error}


@router.get("/tables", response={200: list[MetadataTableOut], **READ_ERRORS}, operation_id="list_metadata_tables")
@paginate(Pagination)
def list_tables(request, query: MetadataTableQuery = Query(...)):
    """Harvested tables in your scope with their columns; by `source`, `datastore`, `q` (name),
    `department` (code); dropped tables and columns only with `include_dropped`."""
    qs = selectors.tables(actor_of(request), source=query.source, datastore=query.datastore, q=query.q,
                          department=query.department, include_dropped=query.include_dropped)
    return Mapped(qs.select_related("dataset__entry"), table_out)


@router.get("/tables/{table_id}", response={200: MetadataTableOut, **READ_ERRORS}, operation_id="get_metadata_table")
def get_table(request, table_id: Id):
    """One harvested table with all its columns (dropped ones too, with `dropped_at`)."""
    table = selectors.table(actor_of(request), table_id)
    return table_out(table, selectors.table_columns(table))


@router.patch("/tables/{table_id}/columns/{name}", response={200: MetadataColumnOut, **WRITE_ERRORS},
              operation_id="map_metadata_column")
def map_column(request, table_id: Id, name: str, payload: MetadataColumnIn):
    """Map a column to the latest released version of a data element (`null` removes the mapping);
    422 when no released element has the identifier."""
    actor = actor_of(request)
    table = selectors.table(actor, table_id)
    column = MetaColumn.objects.filter(table=table, name=name).first()
    if column is None:
        raise NotFound()
    selectors.table(actor, table_id, "change")
    return column_out(services.map_column(actor=actor, column=column, identifier=payload.element))


@router.get("/harvests", response={200: list[MetadataHarvestOut], **READ_ERRORS},
            operation_id="list_metadata_harvests")
@paginate(Pagination)
def list_harvests(request):
    """Harvests of the locations in your scope, newest first."""
    return Mapped(selectors.harvests(actor_of(request)), harvest_out)


@router.get("/harvests/{harvest_id}", response={200: MetadataHarvestDetailOut, **READ_ERRORS},
            operation_id="get_metadata_harvest")
def get_harvest(request, harvest_id: Id):
    """One harvest with its changes (to the tables in your scope)."""
    actor = actor_of(request)
    harvest = selectors.harvest(actor, harvest_id)
    changes = selectors.harvest_changes(harvest).filter(table__in=MetaTable.objects.restrict(actor, "view"))
    return {**harvest_out(harvest), "change_set": [
        {"table": c.table.qualified_name, "table_id": c.table_id, "kind": c.kind, "column": c.column,
         "before": c.before, "after": c.after} for c in changes]}


@router.post("/harvests", response={201: MetadataHarvestOut, **WRITE_ERRORS}, operation_id="run_metadata_harvest")
def run_harvest(request, payload: MetadataHarvestIn):
    """Harvest one source database now (`source`: its id), or the data store (`null`: the big-data centre
    only). A harvest that cannot read its database answers 201 with `status` "failed" and the reason."""
    actor = actor_of(request)
    require_permission(actor, Harvest, "run")
    source = None
    if payload.source is not None:
        source = SourceDatabase.objects.select_related("department").filter(pk=payload.source).first()
        if source is None:
            raise ValidationError(details={"source": [_("No such source database.")]})
    return Status(201, harvest_out(services.run_harvest(actor=actor, source=source)))
