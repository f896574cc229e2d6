"""The CKAN-compatible Action API (`/api/3/action/<action>`, `/api/action/<action>`): the public side of the
open-data portal, read by any CKAN client (ckanapi, CKAN harvesters, data portals' own scripts).

Anonymous and read-only: the view never reads the session. A caller may send a developer key in the
`Authorization` or `X-CKAN-API-Key` header (CKAN's convention); a key is counted against its daily quota on
every call, and it is what opens the rows of a 有条件开放 dataset to its holder's approved application.
Answers are CKAN's envelope: `{"help", "success", "result"}` or `{"help", "success": false, "error":
{"__type", "message"}}` with CKAN's status codes. See docs/ckan-api.md for the mapping and the differences.
"""

import datetime as dt
import json
import re
import uuid
from collections import Counter

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.http import JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from dgov.aggregation import datastore
from dgov.core.cache import CATALOG, OPEN_DATA, ProcessCache
from dgov.core.errors import NotFound
from dgov.opendata import applications, keys, links, selectors, services
from dgov.opendata.models import AccessKind, AccessLog, License, OpenDataset, Topic
from dgov.orgs.models import Department

#: the namespace of the ids derived here (resources, organisations, groups, tags)
NAMESPACE = uuid.UUID("6f1c1e52-7b0e-5d3c-9d55-0c1a7a3f0d11")
FORMATS = {"csv": ("CSV", "text/csv"),
           "xlsx": ("XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
           "json": ("JSON", "application/json")}
CKAN_TYPES = {"string": "text", "integer": "int", "decimal": "numeric", "date": "date", "datetime": "timestamp",
              "boolean": "bool", "binary": "bytea"}
OPEN_TYPE_LABELS = {"unconditional": "无条件开放", "conditional": "有条件开放"}
LICENSE_URLS = {License.CC_BY: "https://creativecommons.org/licenses/by/4.0/",
                License.CC0: "https://creativecommons.org/publicdomain/zero/1.0/"}
ROWS_MAX, ROWS_DEFAULT = 1000, 10
DATASTORE_MAX, DATASTORE_DEFAULT = 32000, 100
#: published datasets by resource id, with their entry, data-store dataset and opened columns: kept per process
#: (read-only) until a dataset, its data-store columns or the catalog change (their writes are audited)
_RESOURCES = ProcessCache("opendata-resources", maxsize=5000, ttl=300)
#: package_search `fq`/facet fields → what the selectors filter and count (selectors.COUNTED)
FIELD_FACETS = {"organization": "department", "groups": "topic", "topic": "topic", "department": "department",
                "format": "format", "open_type": "open_type", "update_cycle": "update_cycle", "license_id": "license"}
#: fq terms CKAN clients add that hold for every dataset served here
TRIVIAL_FQ = {("dataset_type", "dataset"), ("type", "dataset"), ("state", "active"), ("capacity", "public"),
              ("private", "false"), ("+state", "active")}
SORT_FIELDS = {"metadata_modified": "modified_at", "metadata_created": "published_at", "title_string": "title",
               "title": "title", "name": "name", "views_total": "view_count", "views_recent": "view_count",
               "score": "modified_at"}
FQ_TERM = re.compile(r'([+-]?)([\w.]+):(?:"((?:[^"\\]|\\.)*)"|(\S+))')


class CkanError(Exception):
    def __init__(self, status: int, kind: str, message: str, **extra):
        super().__init__(message)
        self.status, self.kind, self.message, self.extra = status, kind, message, extra


def not_found(message: str = "") -> CkanError:
    return CkanError(404, "Not Found Error", message or _("Not found"))


def invalid(field: str, message: str) -> CkanError:
    return CkanError(409, "Validation Error", f"{field}: {message}", **{field: [message]})


def denied(message: str) -> CkanError:
    return CkanError(403, "Authorization Error", message)


# --- parameters ---------------------------------------------------------------------------------------------
def _int(params: dict, name: str, default: int, *, cap: int | None = None, low: int = 0) -> int:
    value = params.get(name)
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise invalid(name, _("Invalid integer")) from None
    if number < low:
        raise invalid(name, _("Must be at least %(n)s") % {"n": low})
    return min(number, cap) if cap is not None else number


def _bool(params: dict, name: str, default: bool = False) -> bool:
    value = params.get(name)
    if value in (None, ""):
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("true", "1", "yes", "on")


def _json(params: dict, name: str, kind: type, default):
    """A parameter that is JSON in a query string and may already be decoded in a JSON body."""
    value = params.get(name)
    if value in (None, ""):
        return default
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            if kind is list:  # `facet.field=organization` or `fields=a,b`: a comma-separated list
                return [v.strip() for v in value.split(",") if v.strip()]
            raise invalid(name, _("Cannot parse JSON")) from None
    if not isinstance(value, kind):
        raise invalid(name, _("Not a JSON %(kind)s") % {"kind": "object" if kind is dict else "list"})
    return value


def _required(params: dict, name: str) -> str:
    value = params.get(name)
    if value in (None, ""):
        raise invalid(name, _("Missing value"))
    return str(value)


# --- dictionaries -------------------------------------------------------------------------------------------
def derived_id(*parts) -> str:
    return str(uuid.uuid5(NAMESPACE, ":".join(str(p) for p in parts)))


def ckan_time(value: dt.datetime | None) -> str | None:
    """CKAN's timestamps: ISO 8601 in UTC without an offset."""
    if value is None:
        return None
    return timezone.make_naive(value, dt.UTC).isoformat() if timezone.is_aware(value) else value.isoformat()


#: a resource's id is its dataset's uuid with the lowest bits flipped by the format's number, so that a
#: resource id leads back to its dataset in one indexed lookup (version and variant bits are untouched)
FORMAT_BITS = {"csv": 1, "xlsx": 2, "json": 3}


def resource_id(dataset: OpenDataset, fmt: str) -> str:
    return str(uuid.UUID(int=dataset.uuid.int ^ FORMAT_BITS[fmt]))


def resource_dict(dataset: OpenDataset, fmt: str, position: int) -> dict:
    label, mimetype = FORMATS[fmt]
    return {"id": resource_id(dataset, fmt), "package_id": str(dataset.uuid), "name": f"{dataset.title} ({label})",
            "description": "", "format": label, "mimetype": mimetype, "url": links.download(dataset.name, fmt),
            "url_type": None, "datastore_active": fmt == "csv", "position": position, "state": "active",
            "created": ckan_time(dataset.published_at), "last_modified": ckan_time(dataset.modified_at),
            "metadata_modified": ckan_time(dataset.modified_at), "resource_type": None, "size": None, "hash": ""}


def organization_dict(code: str, name: str, count: int | None = None) -> dict:
    org = {"id": derived_id("organization", code), "name": code, "title": name, "display_name": name,
           "description": "", "type": "organization", "is_organization": True, "state": "active",
           "approval_status": "approved", "image_url": "", "image_display_url": "", "created": None}
    if count is not None:
        org["package_count"] = count
    return org


def group_dict(topic: Topic, count: int | None = None) -> dict:
    group = {"id": derived_id("group", topic.code), "name": topic.code, "title": topic.name,
             "display_name": topic.name, "description": topic.description, "type": "group",
             "is_organization": False, "state": "active", "approval_status": "approved", "image_url": "",
             "image_display_url": "", "created": ckan_time(topic.created_at)}
    if count is not None:
        group["package_count"] = count
    return group


def tag_dict(name: str) -> dict:
    return {"id": derived_id("tag", name), "name": name, "display_name": name, "state": "active",
            "vocabulary_id": None}


def package_dict(dataset: OpenDataset) -> dict:
    entry, dept = dataset.entry, dataset.entry.department
    topics = list(dataset.topics.all())
    organization = organization_dict(dept.code, dept.name)
    extras = {"resource_code": entry.code, "open_type": entry.open_type,
              "open_type_label": OPEN_TYPE_LABELS.get(entry.open_type, ""), "update_cycle": entry.update_cycle,
              "department": dept.name, "format": entry.format}
    return {
        "id": str(dataset.uuid), "name": dataset.name, "title": dataset.title, "notes": dataset.description,
        "type": "dataset", "state": "active", "private": False, "url": links.dataset_page(dataset.name),
        "license_id": dataset.license, "license_title": dataset.get_license_display(),
        "license_url": LICENSE_URLS.get(dataset.license, links.absolute("/open/")), "isopen": True,
        "metadata_created": ckan_time(dataset.published_at), "metadata_modified": ckan_time(dataset.modified_at),
        "author": dept.name, "author_email": None, "maintainer": dept.name, "maintainer_email": None,
        "version": None, "creator_user_id": None, "owner_org": organization["id"], "organization": organization,
        "groups": [group_dict(t) for t in topics], "tags": [tag_dict(k) for k in dataset.keywords],
        "num_tags": len(dataset.keywords),
        "resources": [resource_dict(dataset, fmt, i) for i, fmt in enumerate(FORMATS)],
        "num_resources": len(FORMATS), "relationships_as_object": [], "relationships_as_subject": [],
        "extras": [{"key": k, "value": v} for k, v in extras.items()],
    }


# --- callers ------------------------------------------------------------------------------------------------
def key_text(request) -> str:
    text = request.headers.get("X-CKAN-API-Key") or request.headers.get("Authorization") or ""
    text = text.strip()
    return text[7:].strip() if text.lower().startswith("bearer ") else text


def caller_key(request):
    """The developer key the request carries (counted against its quota), None when it carries none; 403 for
    a key that is not valid or is over its quota."""
    text = key_text(request)
    if not text:
        return None
    key = keys.authenticate(text)
    if key is None:
        raise denied(_("The API key is not valid."))
    if not keys.count_call(key):
        raise denied(_("The API key has used its %(n)s calls for today; try again tomorrow.")
                     % {"n": key.daily_quota})
    return key


def rows_grant(dataset: OpenDataset, user):
    """(allowed, application): anyone reads an unconditional dataset's rows; a conditional one's only under an
    approved, unexpired application of `user`."""
    if not dataset.is_conditional:
        return True, None
    application = applications.active_application(user, dataset)
    return application is not None, application


# --- actions ------------------------------------------------------------------------------------------------
ACTIONS = {}


def action(function):
    ACTIONS[function.__name__] = function
    return function


@action
def status_show(params, request, key):
    """The site's description and version (CKAN's `status_show`)."""
    return {"site_title": _("Open data portal"), "site_description": "", "site_url": links.absolute(""),
            "ckan_version": "2.10.4", "error_emails_to": None, "locale_default": "zh_Hans_CN",
            "extensions": ["datastore", "dgov"]}


@action
def help_show(params, request, key):
    """The documentation of an action (`name`)."""
    function = ACTIONS.get(_required(params, "name"))
    if function is None:
        raise not_found(_("Action function not found"))
    return function.__doc__


@action
def package_list(params, request, key):
    """The names of the published datasets, by name (`limit`, `offset`)."""
    names = selectors.published().order_by("name").values_list("name", flat=True)
    offset = _int(params, "offset", 0)
    limit = _int(params, "limit", 0)
    return list(names[offset:offset + limit] if limit else names[offset:])


@action
def package_show(params, request, key):
    """One dataset by `id` (its uuid) or name."""
    try:
        return package_dict(selectors.published_dataset(_required(params, "id")))
    except NotFound:
        raise not_found() from None


def parse_fq(fq: str) -> list[tuple[str, str]]:
    """`field:value` terms (values quoted or not), all ANDed; a leading + is the same, a - is not supported."""
    terms, rest = [], fq
    for match in FQ_TERM.finditer(fq):
        sign, field = match.group(1), match.group(2)
        value = match.group(3) if match.group(3) is not None else match.group(4)
        value = value.replace('\\"', '"')
        rest = rest.replace(match.group(0), " ", 1)
        if (field, value.strip('"').lower()) in TRIVIAL_FQ:
            continue
        if sign == "-":
            raise CkanError(400, "Search Query Error", _("Negated terms are not supported: %(t)s")
                            % {"t": match.group(0)})
        terms.append((field, value))
    if rest.replace("AND", " ").strip():
        raise CkanError(400, "Search Query Error", _("Cannot parse fq: %(fq)s") % {"fq": fq})
    return terms


def _apply_fq(qs, terms: list[tuple[str, str]]):
    for field, value in terms:
        if field in FIELD_FACETS:
            qs = selectors.filter_facet(qs, FIELD_FACETS[field], [value])
        elif field == "tags":
            qs = qs.filter(pk__in=[pk for pk, words in qs.values_list("pk", "keywords") if value in words])
        elif field == "res_format":
            qs = qs if value.upper() in {label for label, _m in FORMATS.values()} else qs.none()
        elif field in ("name", "id"):
            qs = qs.filter(name=value) if field == "name" else qs.filter(uuid=_uuid_or_none(value))
        else:
            raise CkanError(400, "Search Query Error", _("Unknown field in fq: %(f)s") % {"f": field})
    return qs


def _uuid_or_none(value: str):
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _sort(text: str) -> list[str]:
    order = []
    for part in (text or "").split(","):
        words = part.split()
        if not words:
            continue
        field = SORT_FIELDS.get(words[0])
        if field is None:
            raise invalid("sort", _("Cannot sort by %(f)s") % {"f": words[0]})
        descending = len(words) > 1 and words[1].lower() == "desc"
        order.append(("-" if descending else "") + field)
    return order or ["-modified_at"]


def _summary(qs, fields: list[str]) -> dict:
    """{"count": how many datasets `qs` holds, "facets": {field: [(name, display name, count), …]}} for the
    facet `fields`, each most frequent first; kept until the datasets change (selectors.summarised)."""
    unknown = [f for f in fields if f not in FIELD_FACETS and f not in ("tags", "res_format")]
    if unknown:
        raise invalid("facet.field", _("Unknown facet field: %(f)s") % {"f": unknown[0]})

    def build():
        total = qs.count()
        return {"count": total, "facets": {field: _facet_items(qs, field, total) for field in fields}}

    return selectors.summarised(qs, build, "ckan", tuple(fields))


def _facet_items(qs, field: str, total: int) -> list[tuple[str, str, int]]:
    if field == "tags":
        counter = Counter(w for words in qs.values_list("keywords", flat=True) for w in set(words))
        return [(w, w, n) for w, n in sorted(counter.items(), key=lambda x: (-x[1], x[0]))]
    if field == "res_format":  # every dataset is served in every format
        return [(label, label, total) for label, _m in FORMATS.values()] if total else []
    facet = FIELD_FACETS[field]
    counts = selectors.value_counts(qs, facet)
    names = _display_names(facet, [value for value, _n in counts])
    return [(value, names.get(value, value), n) for value, n in counts]


def _display_names(facet: str, values: list) -> dict:
    if facet == "topic":
        return dict(Topic.objects.filter(code__in=values).values_list("code", "name"))
    if facet == "department":
        return dict(Department.objects.filter(code__in=values).values_list("code", "name"))
    if facet == "open_type":
        return OPEN_TYPE_LABELS
    if facet == "license":
        return {code: str(label) for code, label in License.choices}
    return {}


@action
def package_search(params, request, key):
    """Search the published datasets: `q`, `fq` (`field:value` terms ANDed), `sort`, `rows` (≤ 1000), `start`,
    `facet.field` (a JSON list), `facet.limit`."""
    q = str(params.get("q") or "").strip()
    q = "" if q in ("*:*", "*") else q
    qs, _counts = selectors.search(q=q, facets=())
    qs = _apply_fq(qs, parse_fq(str(params.get("fq") or "")))
    rows = _int(params, "rows", ROWS_DEFAULT, cap=ROWS_MAX)
    start = _int(params, "start", 0)
    sort = str(params.get("sort") or "score desc, metadata_modified desc")
    fields = [str(f) for f in _json(params, "facet.field", list, [])]
    facet_limit = _int(params, "facet.limit", 50, low=-1)
    summary = _summary(qs, fields)
    facets, search_facets = {}, {}
    for field in fields:
        items = summary["facets"][field]
        items = items if facet_limit < 0 else items[:facet_limit]
        facets[field] = {name: n for name, _d, n in items}
        search_facets[field] = {"title": field, "items": [{"name": name, "display_name": display, "count": n}
                                                          for name, display, n in items]}
    # the documents need the entry and its department only: two joins fewer to plan and sort through
    page = list(qs.select_related(None).select_related("entry__department").order_by(*_sort(sort), "pk")
                .prefetch_related("topics")[start:start + rows]) if rows else []
    return {"count": summary["count"], "results": [package_dict(d) for d in page], "facets": facets,
            "search_facets": search_facets, "sort": sort}


def _slice(params, items: list) -> list:
    offset = _int(params, "offset", 0)
    limit = _int(params, "limit", 0)
    return items[offset:offset + limit] if limit else items[offset:]


@action
def organization_list(params, request, key):
    """The departments with published datasets (names; dictionaries with `all_fields`)."""
    orgs = sorted(selectors.organisations(), key=lambda o: o["code"])
    if _bool(params, "all_fields"):
        return _slice(params, [organization_dict(o["code"], o["name"], o["count"]) for o in orgs])
    return _slice(params, [o["code"] for o in orgs])


@action
def organization_show(params, request, key):
    """One department by `id` (its derived id) or name (its code); `include_datasets` adds its datasets."""
    ref = _required(params, "id")
    for org in selectors.organisations():
        if ref in (org["code"], derived_id("organization", org["code"])):
            result = organization_dict(org["code"], org["name"], org["count"])
            if _bool(params, "include_datasets"):
                qs = selectors.published().filter(entry__department__code=org["code"]).order_by("name")
                result["packages"] = [package_dict(d) for d in qs.prefetch_related("topics")[:1000]]
            return result
    raise not_found()


@action
def group_list(params, request, key):
    """The topics (names; dictionaries with `all_fields`)."""
    topics = selectors.topics()
    if _bool(params, "all_fields"):
        return _slice(params, [group_dict(t, t.count) for t in topics])
    return _slice(params, [t.code for t in topics])


@action
def group_show(params, request, key):
    """One topic by `id` (its derived id) or name (its code)."""
    ref = _required(params, "id")
    for topic in selectors.topics():
        if ref in (topic.code, derived_id("group", topic.code)):
            return group_dict(topic, topic.count)
    raise not_found()


@action
def tag_list(params, request, key):
    """The keywords of the published datasets (`query` filters them; `all_fields` for dictionaries)."""
    words = sorted({w for ws in selectors.published().values_list("keywords", flat=True) for w in ws})
    query = str(params.get("query") or params.get("q") or "")
    words = [w for w in words if query in w]
    return [tag_dict(w) for w in words] if _bool(params, "all_fields") else words


def dataset_of_resource(ref: str) -> tuple[OpenDataset, str]:
    """The published dataset one of whose resources is `ref`, and the resource's format."""
    try:
        wanted = uuid.UUID((ref or "").strip())
    except ValueError:
        raise not_found(_("Resource was not found.")) from None
    candidates = {uuid.UUID(int=wanted.int ^ bits): fmt for fmt, bits in FORMAT_BITS.items()}

    def find():
        dataset = selectors.published().filter(uuid__in=list(candidates)).first()
        if dataset is not None:
            services.opened_columns(dataset.entry)  # kept with it
        return (dataset,)

    (dataset,) = _RESOURCES.get_or_build(wanted, (OPEN_DATA.current(), CATALOG.current()), find)
    if dataset is None:
        raise not_found(_("Resource was not found."))
    return dataset, candidates[dataset.uuid]


@action
def resource_show(params, request, key):
    """One resource (a download format of a dataset) by `id`."""
    dataset, fmt = dataset_of_resource(_required(params, "id"))
    return resource_dict(dataset, fmt, list(FORMATS).index(fmt))


def _where(params: dict, columns: dict) -> list:
    filters = _json(params, "filters", dict, {})
    where = []
    for name, value in filters.items():
        if name not in columns:
            raise invalid("filters", _("Field “%(f)s” not in the resource") % {"f": name})
        where.append((name, "in", value) if isinstance(value, list) else (name, "eq", value))
    return where


def _fields(params: dict, columns: dict) -> list:
    names = _json(params, "fields", list, [])
    for name in names:
        if name not in columns:
            raise invalid("fields", _("Field “%(f)s” not in the resource") % {"f": name})
    return [columns[n] for n in names] if names else list(columns.values())


def _text_search(q, columns: dict) -> list:
    """The conditions of datastore_search's `q`: a text found in any unmasked text column, or an object
    column → text (each found in its column). A masked column is not searched: a match would tell what its
    mask hides."""
    if not q:
        return []
    if not isinstance(q, dict):
        searched = tuple(c.name for c in columns.values() if c.data_type == "string" and c.mask == "none")
        return [(searched, "contains", str(q))]
    where = []
    for name, text in q.items():
        if name not in columns:
            raise invalid("q", _("Field “%(f)s” not in the resource") % {"f": name})
        if columns[name].mask != "none":
            raise invalid("q", _("Field “%(f)s” is masked and cannot be searched") % {"f": name})
        if str(text):
            where.append((name, "contains", str(text)))
    return where


def _order(sort: str, columns: dict) -> list[tuple[str, bool]]:
    """datastore_search's `sort` (`col [asc|desc], …`) as (column, descending) pairs. A masked column cannot
    order the rows: the order would tell what its mask hides."""
    order = []
    for part in (p for p in sort.split(",") if p.strip()):
        words = part.split()
        name = words[0].strip('"')
        direction = words[1].lower() if len(words) > 1 else "asc"
        if name not in columns:
            raise invalid("sort", _("Field “%(f)s” not in the resource") % {"f": name})
        if columns[name].mask != "none":
            raise invalid("sort", _("Field “%(f)s” is masked and cannot order the rows") % {"f": name})
        if len(words) > 2 or direction not in ("asc", "desc"):
            raise invalid("sort", _("Sort by “field asc” or “field desc”."))
        order.append((name, direction == "desc"))
    return order


def _search_rows(entry, params, columns: dict, selected: list, where: list, limit: int, offset: int):
    """(records, total or None). Filters, `q` and `sort` all run in the data store's SQL, over every row, in one
    transaction stopped after `DGOV_OPENDATA_QUERY_SECONDS` (409, as CKAN answers a query that takes too long)."""
    q = params.get("q")
    if isinstance(q, str) and q.startswith("{"):
        q = _json(params, "q", dict, {})
    where = where + _text_search(q, columns)
    order = _order(str(params.get("sort") or ""), columns)
    wanted = _bool(params, "include_total", True)
    seconds = settings.DGOV_OPENDATA_QUERY_SECONDS
    try:
        with datastore.time_limit(seconds) as conn:
            rows = services.public_rows(entry, columns=selected, where=where, order=order, limit=limit,
                                        offset=offset, conn=conn)
            total = datastore.count(services.store_of(entry), where, conn=conn, cached=True) if wanted else None
    except datastore.TooSlow:
        raise CkanError(409, "Validation Error", _("Query took too long"), query=[
            _("The query ran longer than %(n)s seconds and was stopped: narrow it with filters.") % {"n": seconds}
        ]) from None
    return rows, total


def _links(request_path: str, resource: str, limit: int, offset: int) -> dict:
    base = f"{request_path}?resource_id={resource}"
    return {"start": base, "next": f"{base}&offset={offset + limit}"}


@action
def datastore_search(params, request, key):
    """Rows of a dataset: `resource_id` (any of its resources), `filters` (a JSON object: column → value or
    list of values), `q` (text, or an object column → text), `fields`, `sort`, `limit` (≤ 32000), `offset`,
    `include_total`."""
    ref = str(params.get("resource_id") or params.get("id") or "")
    if not ref:
        raise invalid("resource_id", _("Missing value"))
    dataset, _fmt = dataset_of_resource(ref)
    allowed, application = rows_grant(dataset, key.user if key else None)
    if not allowed:
        raise denied(_("The rows of this dataset are opened on conditions: send the API key of an account "
                       "whose application for it is approved."))
    columns = {c.name: c for c in services.opened_columns(dataset.entry)}
    limit = _int(params, "limit", DATASTORE_DEFAULT, cap=DATASTORE_MAX)
    offset = _int(params, "offset", 0)
    where, selected = _where(params, columns), _fields(params, columns)
    try:
        records, total = _search_rows(dataset.entry, params, columns, selected, where, limit, offset)
    except ValueError as exc:
        raise invalid("filters", str(exc)) from None
    with transaction.atomic():  # one commit
        AccessLog.objects.create(dataset=dataset, kind=AccessKind.API, format="json", rows=len(records),
                                 user=key.user if key else None, key=key, application=application)
        OpenDataset.objects.filter(pk=dataset.pk).update(api_call_count=F("api_call_count") + 1)
    result = {"resource_id": ref, "fields": [{"id": c.name, "type": CKAN_TYPES.get(c.data_type, "text"),
                                              "info": {"label": c.item_name}} for c in selected],
              "records": records, "records_format": "objects", "limit": limit, "offset": offset,
              "_links": _links(request.path, ref, limit, offset)}
    if params.get("q"):
        result["q"] = params["q"]
    if params.get("filters"):
        result["filters"] = {name: value for name, _op, value in where}
    if total is not None:
        result["total"], result["total_was_estimated"] = total, False
    return result


# --- the view -----------------------------------------------------------------------------------------------
def _params(request) -> dict:
    params = {k: (v[0] if len(v) == 1 else v) for k, v in request.GET.lists()}
    if request.method == "POST":
        if request.content_type == "application/json" or (request.body[:1] in (b"{", b"[")
                                                           and request.content_type != "multipart/form-data"):
            try:
                body = json.loads(request.body or b"{}")
            except ValueError as exc:
                raise CkanError(400, "Bad Request", _("Bad request - JSON Error: %(e)s") % {"e": exc}) from None
            if not isinstance(body, dict):
                raise CkanError(400, "Bad Request", _("Bad request - JSON Error: the body is not an object"))
            params.update(body)
        else:
            params.update({k: (v[0] if len(v) == 1 else v) for k, v in request.POST.lists()})
    return params


def envelope(name: str, **fields) -> dict:
    return {"help": links.ckan_action("help_show") + f"?name={name}", **fields}


@csrf_exempt
def action_view(request, name: str):
    """CKAN's Action API endpoint."""
    if request.method not in ("GET", "POST"):
        return JsonResponse(envelope(name, success=False, error={"__type": "Bad Request",
                                                                 "message": _("Use GET or POST.")}), status=405)
    try:
        function = ACTIONS.get(name)
        if function is None:
            raise CkanError(400, "Bad Request", _("Bad request - Action name not known: %(a)s") % {"a": name})
        params = _params(request)
        key = caller_key(request)
        result = function(params, request, key)
    except CkanError as exc:
        error = {"__type": exc.kind, "message": exc.message, **exc.extra}
        return JsonResponse(envelope(name, success=False, error=error), status=exc.status,
                            json_dumps_params={"ensure_ascii": False})
    return JsonResponse(envelope(name, success=True, result=result), json_dumps_params={"ensure_ascii": False})
