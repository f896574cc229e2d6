"""Data contracts (数据契约, issue 6 point 8): a catalog entry's schema, semantics, quality rules and service
levels exported as an Open Data Contract Standard (ODCS) v3.0.2 YAML document.

Built from the platform's records only: the catalog entry and its data items (semantics, personal data,
sharing and open attributes), its dataset's columns (physical names, keys), the harvested data-store
table (database types, nullability, the data elements mapped to the columns: `metadata.MetaColumn.element`)
and the quality rules of that table (`quality.QualityRule`), with the latest quality score.

What is left out: every data item the data negative list names (and the quality rules on its column);
when the whole resource is on the list, every item. The data store's address is never written: the
server entry names its dialect only; consumers reach the data through the gateway's `api` server.

Quality rules are written in ODCS's format: `library` metrics where ODCS has one (nullValues,
missingValues, duplicateValues, invalidValues with a pattern or the valid values), `sql` where the
check is one SQL condition (the failing share of the checked rows in percent), and `custom` (engine
`dgov-quality`, the rule's parameters) for the checks only the platform's engine runs (freshness,
conformance to a data element). The threshold is the rule's tolerated failures:
`mustBeLessOrEqualTo: <threshold_pct>` with unit `percent`. ODCS's dimensions are used: the validity
checks are `conformity`, referential integrity and cross-column checks `consistency`.
"""

import datetime as dt

import yaml
from django.utils import timezone

from dgov.aggregation import datastore
from dgov.aggregation.models import Dataset
from dgov.catalog import selectors as catalog_selectors
from dgov.catalog.models import UPDATE_CYCLE_DAYS, CatalogEntry, NegativeListItem, PersonalDataClass
from dgov.catalog.models import Status as EntryStatus
from dgov.core.errors import NotFound
from dgov.governance.lineage import latest_scores
from dgov.metadata.models import DATASTORE, MetaTable
from dgov.quality.engine import ID_PATTERN, USCC_PATTERN
from dgov.quality.models import QualityRule, RuleKind
from dgov.standards.models import DataElement, ElementStatus

API_VERSION = "v3.0.2"
LOGICAL_TYPES = {"string": "string", "integer": "integer", "decimal": "number", "date": "date",
                 "datetime": "timestamp", "boolean": "boolean", "binary": "string"}
PHYSICAL_TYPES = {"string": "text", "integer": "bigint", "decimal": "numeric", "date": "date",
                  "datetime": "timestamp", "boolean": "boolean", "binary": "binary"}
STATUS = {EntryStatus.DRAFT: "draft", EntryStatus.SUBMITTED: "proposed", EntryStatus.REVIEWED: "proposed",
          EntryStatus.PUBLISHED: "active", EntryStatus.WITHDRAWN: "retired"}
DIMENSIONS = {RuleKind.COMPLETENESS: "completeness", RuleKind.UNIQUENESS: "uniqueness",
              RuleKind.REGEX: "conformity", RuleKind.RANGE: "conformity", RuleKind.LENGTH: "conformity",
              RuleKind.CODE_SET: "conformity", RuleKind.ID_NUMBER: "conformity", RuleKind.CREDIT_CODE: "conformity",
              RuleKind.CONFORMANCE: "conformity", RuleKind.REFERENCE: "consistency",
              RuleKind.CONSISTENCY: "consistency", RuleKind.FRESHNESS: "timeliness", RuleKind.CUSTOM_SQL: "accuracy"}
LIVE = 'NOT "_deleted"'


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def _failing_share(table: str, failing: str, checked: str | None = None) -> str:
    """SQL for the failing share (percent) of the checked live rows."""
    where = LIVE + (f" AND {checked}" if checked else "")
    return (f"SELECT 100.0 * SUM(CASE WHEN {failing} THEN 1 ELSE 0 END) / NULLIF(COUNT(*), 0) "
            f"FROM {_q(table)} WHERE {where}")


def quality_item(rule: QualityRule, table: str) -> dict:
    """One rule in ODCS's quality format."""
    params, cols = rule.params or {}, list(rule.columns or [])
    item = {"name": rule.name, "description": rule.description or rule.get_kind_display(),
            "dimension": DIMENSIONS.get(rule.kind, "accuracy"), "unit": "percent",
            "mustBeLessOrEqualTo": float(rule.threshold_pct)}
    col = _q(cols[0]) if cols else ""
    kind = rule.kind
    if kind == RuleKind.COMPLETENESS:
        if params.get("empty_is_missing", True):
            item.update(type="library", metric="missingValues", arguments={"missingValues": [None, ""]})
        else:
            item.update(type="library", metric="nullValues")
    elif kind == RuleKind.UNIQUENESS:
        item.update(type="library", metric="duplicateValues")
        if len(cols) > 1:
            item["arguments"] = {"properties": cols, "nulls": params.get("nulls", "any")}
    elif kind == RuleKind.REGEX:
        item.update(type="library", metric="invalidValues", arguments={"pattern": params.get("pattern", "")})
    elif kind == RuleKind.CODE_SET:
        item.update(type="library", metric="invalidValues",
                    arguments={"validValues": [str(v) for v in params.get("values") or []]})
    elif kind == RuleKind.ID_NUMBER:
        item.update(type="library", metric="invalidValues",
                    arguments={"pattern": ID_PATTERN, "checkDigit": "GB 11643-1999"})
    elif kind == RuleKind.CREDIT_CODE:
        item.update(type="library", metric="invalidValues",
                    arguments={"pattern": USCC_PATTERN, "checkDigit": "GB 32100-2015"})
    elif kind == RuleKind.RANGE:
        conds = ([f"{col} < {_literal(params['min'])}"] if params.get("min") is not None else []) + \
                ([f"{col} > {_literal(params['max'])}"] if params.get("max") is not None else [])
        item.update(type="sql", query=_failing_share(table, " OR ".join(conds) or "1 = 0", f"{col} IS NOT NULL"))
    elif kind == RuleKind.LENGTH:
        conds = ([f"LENGTH({col}) < {int(params['min'])}"] if params.get("min") is not None else []) + \
                ([f"LENGTH({col}) > {int(params['max'])}"] if params.get("max") is not None else [])
        item.update(type="sql", query=_failing_share(table, " OR ".join(conds) or "1 = 0", f"{col} IS NOT NULL"))
    elif kind == RuleKind.CONSISTENCY and len(cols) == 2:
        left, right = (_q(c) for c in cols)
        item.update(type="sql", query=_failing_share(table, f"NOT ({left} {params.get('op', '=')} {right})",
                                                     f"{left} IS NOT NULL AND {right} IS NOT NULL"))
    elif kind == RuleKind.REFERENCE and params.get("table"):
        ref_cols = params.get("columns") or cols
        ref = (_q(params["schema"]) + "." if params.get("schema") else "") + _q(params["table"])
        match = " AND ".join(f"r.{_q(rc)} = {_q(table)}.{_q(c)}" for c, rc in zip(cols, ref_cols, strict=False))
        item.update(type="sql", query=_failing_share(
            table, f"NOT EXISTS (SELECT 1 FROM {ref} r WHERE {match})",
            " AND ".join(f"{_q(c)} IS NOT NULL" for c in cols)))
    elif kind == RuleKind.CUSTOM_SQL and params.get("condition"):
        item.update(type="sql", query=_failing_share(table, f"({params['condition']})"))
    else:  # freshness, conformance: checks the platform's engine runs
        # ODCS gives custom checks no comparison operator: the threshold travels in the implementation
        threshold = item.pop("mustBeLessOrEqualTo")
        item.pop("unit")
        item.update(type="custom", engine="dgov-quality",
                    implementation={"kind": kind, "columns": cols, "params": params,
                                    "maxFailedPercent": threshold})
    return item


def _element_for(meta_column, item) -> DataElement | None:
    if meta_column is not None and meta_column.element_id:
        return meta_column.element
    if item is not None and item.data_element:
        versions = DataElement.objects.filter(identifier=item.data_element).select_related("code_set")
        return (versions.filter(status=ElementStatus.RELEASED).order_by("-version").first()
                or versions.order_by("-version").first())
    return None


def _dialect() -> str:
    return datastore.engine().dialect.name


def negative_items(code: str) -> tuple[bool, set[str]]:
    """(whole resource listed, names of the listed items) of the data negative list."""
    names = set(NegativeListItem.objects.filter(resource_code=code).values_list("item_name", flat=True))
    return "" in names, names - {""}


def build(user, code: str, *, base_url: str = "") -> dict:
    """The ODCS document of the catalog entry `code` as a dict (404 if `user` may not see the entry)."""
    entry = (catalog_selectors.visible_entries(user).filter(code=code)
             .select_related("department", "department__region", "classification", "region")
             .prefetch_related("items").first())
    if entry is None:
        raise NotFound()
    return contract_of(entry, base_url=base_url)


def contract_of(entry: CatalogEntry, *, base_url: str = "") -> dict:
    whole_listed, listed = negative_items(entry.code)
    items = {i.name: i for i in entry.items.all()}
    dataset = Dataset.objects.filter(entry=entry).first()
    table_name = dataset.table_name if dataset else ""
    meta = None
    if dataset is not None:
        meta = (MetaTable.objects.filter(location=DATASTORE, dropped_at__isnull=True)
                .filter(name=table_name).prefetch_related("columns__element__code_set").first())
    meta_cols = {c.name: c for c in meta.columns.all() if c.dropped_at is None} if meta else {}

    left_out_cols: set[str] = set()
    properties = []
    if dataset is not None:
        columns = list(dataset.columns.order_by("position"))
        keys = [c.name for c in columns if c.is_key]
        for column in columns:
            if whole_listed or column.item_name in listed:
                left_out_cols.add(column.name)
                continue
            properties.append(_property(column, items.get(column.item_name), meta_cols.get(column.name), keys))
    else:  # no dataset: the data items alone
        for name, item in items.items():
            if whole_listed or name in listed:
                continue
            properties.append(_item_property(item))

    rules = []
    if meta is not None:
        rules = [r for r in QualityRule.objects.filter(table=meta, enabled=True).order_by("pk")
                 if not set(r.columns or []) & left_out_cols]
    by_prop = {p["name"]: p for p in properties}
    object_quality = []
    for rule in rules:
        item = quality_item(rule, table_name)
        cols = rule.columns or []
        if len(cols) == 1 and cols[0] in by_prop and rule.kind != RuleKind.CUSTOM_SQL:
            by_prop[cols[0]].setdefault("quality", []).append(item)
        else:
            object_quality.append(item)

    obj = {"name": table_name or entry.code, "physicalName": table_name or entry.code,
           "physicalType": "table", "logicalType": "object", "businessName": entry.name,
           "description": entry.summary, "properties": properties}
    if object_quality:
        obj["quality"] = object_quality

    cycle = UPDATE_CYCLE_DAYS.get(entry.update_cycle)
    sla = [{"property": "frequency", "value": entry.update_cycle, "description": entry.get_update_cycle_display()}]
    if cycle is not None:
        sla.append({"property": "latency", "value": cycle, "unit": "d", "element": table_name or entry.code,
                    "description": "data older than one update cycle is overdue"})
    if dataset is not None and dataset.last_loaded_at:
        sla.append({"property": "lastLoaded", "value": dataset.last_loaded_at.isoformat()})
    if entry.published_on:
        sla.append({"property": "generalAvailability", "value": entry.published_on.isoformat()})

    servers = []
    if dataset is not None:
        servers.append({"server": "datastore", "type": "custom",
                        "description": "The platform's data store (address not exported).",
                        "customProperties": [{"property": "dialect", "value": _dialect()},
                                             {"property": "table", "value": table_name}]})
        if entry.status == EntryStatus.PUBLISHED and entry.sharing_type != "none":
            servers.append({"server": "gateway", "type": "api",
                            "location": f"{base_url}/exchange/v1/services/{entry.code}",
                            "description": "The signed data-service gateway; a sharing grant is needed."})

    custom = [{"property": "resourceCode", "value": entry.code},
              {"property": "provider", "value": entry.department.name},
              {"property": "providerCode", "value": entry.department.code},
              {"property": "region", "value": entry.region.code},
              {"property": "format", "value": entry.format},
              {"property": "sharingType", "value": entry.sharing_type},
              {"property": "sharingMethod", "value": entry.sharing_method},
              {"property": "sharingConditions", "value": entry.sharing_conditions},
              {"property": "openType", "value": entry.open_type},
              {"property": "openConditions", "value": entry.open_conditions}]
    if meta is not None:
        score = latest_scores([meta.pk]).get(meta.pk)
        if score is not None:
            custom.append({"property": "qualityScore", "value": score})
    if listed or whole_listed:
        custom.append({"property": "negativeListOmissions", "value": len(left_out_cols) or len(listed)})

    return {
        "apiVersion": API_VERSION, "kind": "DataContract",
        "id": f"urn:dgov:{entry.region.code}:{entry.code}",
        "name": entry.name, "version": f"{entry.version}.0.0", "status": STATUS.get(entry.status, "draft"),
        "domain": entry.classification.name, "dataProduct": entry.name,
        "description": {"purpose": entry.summary, "usage": _usage(entry), "limitations": _limitations(entry)},
        "schema": [obj],
        "slaProperties": sla,
        "team": [{"username": entry.department.code, "name": entry.department.name, "role": "owner"}],
        "roles": [{"role": "catalog_editor", "access": "write",
                   "description": f"{entry.department.name}: data administrator"},
                  {"role": "consumer", "access": "read",
                   "description": "applications holding a sharing grant on this resource"}],
        "support": [{"channel": "catalog", "url": f"{base_url}/data/catalog/entries/{entry.code}/",
                     "tool": "other", "description": entry.department.name}],
        "servers": servers,
        "customProperties": custom,
        "contractCreatedTs": timezone.now().astimezone(dt.UTC).isoformat(),
    }


def _usage(entry: CatalogEntry) -> str:
    parts = [f"sharing: {entry.sharing_type}"]
    if entry.sharing_conditions:
        parts.append(entry.sharing_conditions)
    parts.append(f"open: {entry.open_type}")
    return "; ".join(parts)


def _limitations(entry: CatalogEntry) -> str:
    return entry.open_conditions or entry.sharing_conditions or ""


def _classification(item) -> str:
    if item is None:
        return "internal"
    if item.personal_data in (PersonalDataClass.PERSONAL, PersonalDataClass.SENSITIVE):
        return item.personal_data
    return "public" if (item.open_type or item.entry.open_type) == "unconditional" else "internal"


def _options(data_type: str, item, element) -> dict:
    options = {}
    length = (item.length if item is not None else None) or (element.max_length if element else None)
    if length and data_type == "string":
        options["maxLength"] = length
    if element is not None and element.pattern:
        options["pattern"] = element.pattern
    if element is not None and element.format:
        options["format"] = element.format
    return options


def _property(column, item, meta_column, keys: list[str]) -> dict:
    element = _element_for(meta_column, item)
    prop = {"name": column.name, "physicalName": column.name, "businessName": column.item_name,
            "logicalType": LOGICAL_TYPES.get(column.data_type, "string"),
            "physicalType": meta_column.data_type if meta_column is not None else PHYSICAL_TYPES.get(
                column.data_type, column.data_type),
            "required": column.is_key or (meta_column is not None and not meta_column.nullable),
            "primaryKey": column.is_key, "classification": _classification(item)}
    if column.is_key:
        prop["primaryKeyPosition"] = keys.index(column.name) + 1
    options = _options(column.data_type, item, element)
    if options:
        prop["logicalTypeOptions"] = options
    description = (item.description if item is not None else "") or (element.definition if element else "")
    if description:
        prop["description"] = description
    prop["customProperties"] = _element_props(element, item) + [{"property": "masking", "value": column.mask}]
    return prop


def _item_property(item) -> dict:
    element = _element_for(None, item)
    prop = {"name": item.name, "businessName": item.name, "logicalType": LOGICAL_TYPES.get(item.data_type, "string"),
            "physicalType": PHYSICAL_TYPES.get(item.data_type, item.data_type), "required": False,
            "primaryKey": False, "classification": _classification(item)}
    options = _options(item.data_type, item, element)
    if options:
        prop["logicalTypeOptions"] = options
    if item.description:
        prop["description"] = item.description
    extra = _element_props(element, item)
    if extra:
        prop["customProperties"] = extra
    return prop


def _element_props(element, item) -> list[dict]:
    if element is None:
        return [{"property": "dataElement", "value": item.data_element}] if item is not None and item.data_element \
            else []
    out = [{"property": "dataElement", "value": element.identifier},
           {"property": "dataElementVersion", "value": element.version},
           {"property": "dataElementName", "value": element.name}]
    if element.code_set_id:
        out.append({"property": "codeSet", "value": element.code_set.code})
    if element.unit:
        out.append({"property": "unit", "value": element.unit})
    return out


def to_yaml(document: dict) -> str:
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False, default_flow_style=False)
