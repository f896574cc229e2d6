"""Reads of dgov.standards, scoped with `restrict(user, action)`; plus `released_element` and
`element_usage`, which other apps call."""

from django.db.models import Q

from dgov.core.permissions import get_scoped, require_permission
from dgov.standards.models import CodeSet, DataElement, DataModel, ElementStatus, ModelVersion


def codesets(user, *, q: str = "", builtin: bool | None = None):
    require_permission(user, CodeSet, "view")
    qs = CodeSet.objects.restrict(user, "view")
    if q:
        qs = qs.filter(Q(code__icontains=q) | Q(name__icontains=q))
    if builtin is not None:
        qs = qs.filter(is_builtin=builtin)
    return qs.order_by("code")


def codeset_for(user, pk, action: str = "view") -> CodeSet:
    return get_scoped(user, action, CodeSet.objects.prefetch_related("values"), pk=pk)


def elements(user, *, status: str = "", q: str = "", identifier: str = ""):
    require_permission(user, DataElement, "view")
    qs = DataElement.objects.restrict(user, "view").select_related("code_set", "department")
    if status:
        qs = qs.filter(status=status)
    if identifier:
        qs = qs.filter(identifier=identifier)
    if q:
        qs = qs.filter(Q(identifier__icontains=q) | Q(name__icontains=q) | Q(english_name__icontains=q)
                       | Q(definition__icontains=q))
    return qs.order_by("identifier", "-version")


def element_for(user, pk, action: str = "view") -> DataElement:
    return get_scoped(user, action, DataElement.objects.select_related("code_set", "department", "submitted_by",
                                                                       "reviewed_by"), pk=pk)


def released_element(identifier: str) -> DataElement | None:
    """The latest released version of the element `identifier`, or None (reference data for every app:
    no user scope)."""
    return (DataElement.objects.select_related("code_set")
            .filter(identifier=identifier, status=ElementStatus.RELEASED).order_by("-version").first())


def element_versions(element: DataElement):
    return DataElement.objects.filter(identifier=element.identifier).order_by("-version")


def element_usage(element: DataElement, user=None) -> dict:
    """Where an element is used: catalog data items naming its identifier (`catalog.DataItem.data_element`)
    and harvested columns mapped to it or to another version of it (`metadata.MetaColumn.element`).
    Given `user`, only what they may see."""
    from dgov.catalog.models import CatalogEntry, DataItem
    from dgov.metadata.models import MetaColumn, MetaTable

    items = DataItem.objects.filter(data_element=element.identifier).select_related("entry")
    columns = MetaColumn.objects.filter(element__identifier=element.identifier, dropped_at__isnull=True) \
        .select_related("table", "element")
    if user is not None:
        items = items.filter(entry__in=CatalogEntry.objects.restrict(user, "view"))
        columns = columns.filter(table__in=MetaTable.objects.restrict(user, "view"))
    return {"data_items": items.order_by("entry__code", "position"),
            "columns": columns.order_by("table__location", "table__name", "position")}


def datamodels(user, *, q: str = "", department: str = ""):
    require_permission(user, DataModel, "view")
    qs = DataModel.objects.restrict(user, "view").select_related("department")
    if q:
        qs = qs.filter(Q(code__icontains=q) | Q(name__icontains=q))
    if department:
        qs = qs.filter(department__code=department)
    return qs.order_by("code")


def datamodel_for(user, code: str, action: str = "view") -> DataModel:
    return get_scoped(user, action, DataModel.objects.select_related("department"), code=code)


def version_of(model: DataModel, number: int) -> ModelVersion:
    from dgov.core.errors import NotFound

    version = model.versions.filter(number=number).first()
    if version is None:
        raise NotFound()
    return version


def latest_version(model: DataModel) -> ModelVersion | None:
    return model.versions.order_by("-number").first()


def tables_for_entity(user, entity: dict):
    """Harvested tables (live, visible to `user`) named like the entity's `table` (its last part when
    the entity names a schema too)."""
    from dgov.metadata.models import MetaTable

    table = (entity or {}).get("table") or ""
    if not table:
        return MetaTable.objects.none()
    schema, _sep, name = table.rpartition(".")
    qs = MetaTable.objects.restrict(user, "view").filter(name__iexact=name, dropped_at__isnull=True)
    if schema:
        qs = qs.filter(schema__iexact=schema)
    return qs.order_by("location", "schema", "name")


def meta_table_for(user, pk):
    from dgov.metadata.models import MetaTable

    return get_scoped(user, "view", MetaTable.objects.prefetch_related("columns"), pk=pk)
