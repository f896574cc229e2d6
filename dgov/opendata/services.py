"""Writes of dgov.opendata: opening a catalog entry to the public.

The life cycle of an `OpenDataset`: a department's data administrator prepares it from a published catalog
entry of its own (`prepare`, a draft: title, description, topics, keywords, licence) and submits it (`submit`);
the big-data centre's reviewer publishes it or returns it with a note (`review`); either may withdraw it
(`withdraw`), and a withdrawn or returned one is prepared and submitted again.

What can never be opened, checked on every step (`publication_errors`):

- an entry that is not published in the catalog, or whose open type (开放属性) is 不予开放;
- an entry or data items on the data negative list (`catalog.services.negative_list_errors`, the one check);
- an entry without rows in the data store (the portal serves previews, downloads and APIs from them);
- personal data served unmasked: the scanner (`scan.py`) reads sample rows as the portal would serve them
  and any 身份证号, mobile number or bank card number found blocks submission and publication, naming the
  column.

The columns served are derived on every read (`opened_columns`), so a catalog change applies at once.
"""

from collections.abc import Iterable, Iterator

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dgov.aggregation import datastore
from dgov.aggregation.models import Dataset
from dgov.catalog.models import CatalogEntry, DataItem, NegativeListItem, OpenType, Status
from dgov.catalog.services import ItemAttributes, negative_list_errors
from dgov.core import audit
from dgov.core.errors import Conflict, PermissionDenied, ValidationError
from dgov.core.permissions import has_permission, require_in_scope, require_permission
from dgov.core.services import save_object
from dgov.exchange.masking import mask
from dgov.opendata import scan
from dgov.opendata.models import DatasetStatus, OpenDataset, OpenDatasetEvent, Topic

#: rows read for the scan: the first ones by key and as many from the middle of the table
SCAN_ROWS = 500
EDITABLE = ["title", "description", "keywords", "license"]
OPEN_TYPES = (OpenType.UNCONDITIONAL, OpenType.CONDITIONAL)


def package_name(entry: CatalogEntry) -> str:
    """CKAN's package name for an entry: `yt-101001001-000001`."""
    return "yt-" + entry.code.replace("/", "-")


# --- what is opened ------------------------------------------------------------------------------------------
def opened_items(entry: CatalogEntry) -> list[DataItem]:
    """The entry's data items the public may see: opened (the item's own open type, or the entry's) and not
    on the negative list. None at all when the entry is not opened or is listed as a whole."""
    if entry.open_type not in OPEN_TYPES:
        return []
    listed = set(NegativeListItem.objects.filter(resource_code=entry.code).values_list("item_name", flat=True))
    if "" in listed:
        return []
    return [item for item in entry.items.order_by("position")
            if (item.open_type or entry.open_type) != OpenType.NONE and item.name not in listed]


def store_of(entry: CatalogEntry) -> Dataset | None:
    """The entry's data-store dataset with its columns, read once per entry object (a page and the API ask for
    it several times while answering one request)."""
    if not hasattr(entry, "_opendata_store"):
        entry._opendata_store = Dataset.objects.filter(entry=entry).prefetch_related("columns").first()
    return entry._opendata_store


def opened_columns(entry: CatalogEntry) -> list:
    """The data-store columns (`DatasetColumn`) of the opened items, in the dataset's order; read once per entry
    object, as `store_of`."""
    if not hasattr(entry, "_opendata_columns"):
        dataset = store_of(entry)
        names = {item.name for item in opened_items(entry)} if dataset is not None else set()
        entry._opendata_columns = sorted((c for c in dataset.columns.all() if c.item_name in names),
                                         key=lambda c: c.position) if dataset is not None else []
    return entry._opendata_columns


def _masked(columns: list, rows: Iterable[dict]) -> Iterator[dict]:
    masks = {c.name: c.mask for c in columns if c.mask != "none"}
    for row in rows:
        for name, kind in masks.items():
            row[name] = mask(kind, row[name])
        yield row


def public_rows(entry: CatalogEntry, *, columns: list | None = None, where=None, order=None, limit: int = 100,
                offset: int = 0, conn=None) -> list[dict]:
    """Rows as the public gets them: opened columns only (`columns`, default all of them), each masked by its
    column's rule. `where` and `order` as `datastore.select`, on opened columns only and `order` on unmasked
    ones (the caller checks: the order of masked values would show what the mask hides)."""
    opened = opened_columns(entry) if columns is None else columns
    if not opened:
        return []
    rows = datastore.select(store_of(entry), columns=[c.name for c in opened], where=where, order=order,
                            limit=limit, offset=offset, conn=conn)
    return list(_masked(opened, rows))


def public_stream(entry: CatalogEntry, columns: list, *, batch: int = 5000) -> Iterator[dict]:
    """Every public row of `entry` (as `public_rows`), read in batches (`datastore.stream`)."""
    if not columns:
        return iter(())
    names = [c.name for c in columns]
    return _masked(columns, datastore.stream(store_of(entry), columns=names, batch=batch))


def scan_entry(entry: CatalogEntry) -> dict:
    """The personal-data scan of what the portal would serve: {"ok", "at", "rows", "findings"}."""
    columns = opened_columns(entry)
    rows: list[dict] = []
    if columns:
        dataset = store_of(entry)
        rows = public_rows(entry, columns=columns, limit=SCAN_ROWS)
        total = datastore.count(dataset)
        if total > 2 * SCAN_ROWS:
            rows += public_rows(entry, columns=columns, limit=SCAN_ROWS, offset=total // 2)
    findings = scan.scan_rows(rows, {c.name: c.item_name for c in columns})
    return {"ok": not findings, "at": timezone.now().isoformat(), "rows": len(rows), "findings": findings}


def _finding_message(finding: dict) -> str:
    return _("The data item “%(item)s” (column %(column)s) shows %(kind)s unmasked in %(count)s of the rows "
             "checked, e.g. %(example)s: set a masking rule on the column or do not open the item.") % {
        "item": finding["item"], "column": finding["column"], "kind": scan.KINDS[finding["kind"]],
        "count": finding["count"], "example": finding["example"]}


def publication_errors(entry: CatalogEntry) -> dict[str, list[str]]:
    """Why `entry` cannot be opened now, by field (empty: it can, scan aside)."""
    errors: dict[str, list[str]] = {}
    if entry.status != Status.PUBLISHED:
        errors.setdefault("entry", []).append(_("Only an entry published in the catalog can be opened."))
    if entry.open_type not in OPEN_TYPES:
        errors.setdefault("entry", []).append(_("The entry's open type is “not opened” (不予开放)."))
    listed = negative_list_errors(entry.code, entry.sharing_type, entry.open_type,
                                  [ItemAttributes(i.name, i.sharing_type, i.open_type) for i in entry.items.all()])
    for messages in listed.values():
        errors.setdefault("entry", []).extend(messages)
    if NegativeListItem.objects.filter(resource_code=entry.code, item_name="").exists():
        errors.setdefault("entry", []).append(_("The resource is on the data negative list."))
    if not errors and not opened_columns(entry):
        errors.setdefault("entry", []).append(
            _("The entry has no opened data items with data in the data store: aggregate its data first."))
    return errors


def _scanned(dataset: OpenDataset) -> dict:
    """Refuse (422 `not_openable`) an entry that cannot be opened; scan it and keep the result on the dataset
    — outside any transaction of the caller's step, so that a refusal still shows the department what was
    found — and refuse (422 `personal_data`, naming each column) when personal data shows."""
    errors = publication_errors(dataset.entry)
    if errors:
        raise ValidationError(details=errors, code="not_openable")
    result = scan_entry(dataset.entry)
    OpenDataset.objects.filter(pk=dataset.pk).update(scan=result)
    dataset.scan = result
    if not result["ok"]:
        audit.record("opendata.opendataset.scan", dataset, outcome="denied",
                     changes={"findings": [{k: f[k] for k in ("column", "kind", "count")} for f in result["findings"]]})
        raise ValidationError(details={"columns": [_finding_message(f) for f in result["findings"]]},
                              code="personal_data")
    return result


# --- the life cycle ------------------------------------------------------------------------------------------
def _event(dataset: OpenDataset, action: str, actor, note: str = "") -> None:
    OpenDatasetEvent.objects.create(dataset=dataset, action=action, actor=actor if actor.pk else None, note=note)


def prepare(*, actor, entry: CatalogEntry, title: str = "", description: str = "", topics: list[str] | None = None,
            keywords: list[str] | None = None, license: str = "") -> OpenDataset:
    """Create the entry's open dataset as a draft, or change a draft, returned or withdrawn one (a published
    one is changed too: its metadata is public at once, `modified_at` moves). Empty texts and None lists keep
    what is there (a new dataset starts from the entry's name and summary); `topics` are topic codes."""
    with transaction.atomic():
        dataset = OpenDataset.objects.select_for_update().filter(entry=entry).first()
        if dataset is None:
            dataset = OpenDataset(entry=entry, name=package_name(entry))
        require_in_scope(actor, "add" if dataset._state.adding else "change", dataset)
        if dataset.status == DatasetStatus.SUBMITTED:
            raise Conflict(_("The dataset is waiting for review; it changes after the decision."))
        errors = publication_errors(entry)
        if errors:
            raise ValidationError(details=errors, code="not_openable")
        dataset.title = (title or dataset.title or entry.name).strip()
        dataset.description = (description or dataset.description or entry.summary).strip()
        if keywords is not None:
            dataset.keywords = sorted({k.strip() for k in keywords if k.strip()})
        dataset.license = license or dataset.license
        if dataset.status == DatasetStatus.PUBLISHED:
            dataset.modified_at = timezone.now()
        try:
            dataset.full_clean(exclude=["entry", "uuid", "name"])
        except DjangoValidationError as exc:
            raise ValidationError(details=exc.message_dict) from None
        is_new = dataset._state.adding
        topic_objects = list(Topic.objects.filter(code__in=list(topics))) if topics is not None else None
        if topics is not None and len(topic_objects) != len(set(topics)):
            raise ValidationError(details={"topics": [_("Unknown topic.")]})
        save_object(actor=actor, instance=dataset, fields=["entry", "name", *EDITABLE],
                    m2m={"topics": topic_objects} if topic_objects is not None else None)
        if is_new:
            _event(dataset, "prepare", actor)
    return dataset


def submit(*, actor, dataset: OpenDataset) -> OpenDataset:
    """Send a draft (or a returned or withdrawn dataset) to the centre, after the checks and the scan."""
    dataset = OpenDataset.objects.select_related("entry").get(pk=dataset.pk)
    require_in_scope(actor, "change", dataset)
    if dataset.status not in (DatasetStatus.DRAFT, DatasetStatus.WITHDRAWN):
        raise Conflict(_("Only a draft or a withdrawn dataset is submitted."))
    _scanned(dataset)
    with transaction.atomic():
        dataset = OpenDataset.objects.select_for_update().select_related("entry").get(pk=dataset.pk)
        if dataset.status not in (DatasetStatus.DRAFT, DatasetStatus.WITHDRAWN):
            raise Conflict(_("Only a draft or a withdrawn dataset is submitted."))
        dataset.status, dataset.submitted_by = DatasetStatus.SUBMITTED, actor
        dataset.save(update_fields=["status", "submitted_by", "updated_at"])
        _event(dataset, "submit", actor)
        audit.record("opendata.opendataset.submit", dataset, actor=actor)
    return dataset


def review(*, actor, dataset: OpenDataset, approve: bool, note: str = "") -> OpenDataset:
    """The centre publishes a submitted dataset (the checks and the scan run again: the data may have changed
    since) or returns it to the department with a note."""
    require_permission(actor, OpenDataset, "review")
    dataset = OpenDataset.objects.select_related("entry").get(pk=dataset.pk)
    require_in_scope(actor, "review", dataset)
    if dataset.status != DatasetStatus.SUBMITTED:
        raise Conflict(_("Only a submitted dataset is reviewed."))
    if approve:
        _scanned(dataset)
    with transaction.atomic():
        dataset = OpenDataset.objects.select_for_update().select_related("entry").get(pk=dataset.pk)
        if dataset.status != DatasetStatus.SUBMITTED:
            raise Conflict(_("Only a submitted dataset is reviewed."))
        if not approve:
            if not note.strip():
                raise ValidationError(details={"note": [_("Say why the dataset is returned.")]})
            dataset.status = DatasetStatus.DRAFT
            dataset.reviewed_by = actor
            dataset.save(update_fields=["status", "reviewed_by", "updated_at"])
            _event(dataset, "return", actor, note.strip())
            audit.record("opendata.opendataset.return", dataset, actor=actor, changes={"note": note.strip()})
            return dataset
        now = timezone.now()
        dataset.status, dataset.reviewed_by, dataset.modified_at = DatasetStatus.PUBLISHED, actor, now
        dataset.published_at = dataset.published_at or now
        dataset.save(update_fields=["status", "reviewed_by", "modified_at", "published_at", "updated_at"])
        _event(dataset, "publish", actor, note.strip())
        audit.record("opendata.opendataset.publish", dataset, actor=actor)
    return dataset


def withdraw(*, actor, dataset: OpenDataset, note: str) -> OpenDataset:
    """Take a published dataset off the portal (its department or the centre), with the reason."""
    with transaction.atomic():
        dataset = OpenDataset.objects.select_for_update().get(pk=dataset.pk)
        if not (has_permission(actor, OpenDataset, "review") or has_permission(actor, OpenDataset, "change")):
            raise PermissionDenied()
        require_in_scope(actor, "change", dataset)
        if dataset.status != DatasetStatus.PUBLISHED:
            raise Conflict(_("Only a published dataset is withdrawn."))
        if not note.strip():
            raise ValidationError(details={"note": [_("Say why the dataset is withdrawn.")]})
        dataset.status, dataset.modified_at = DatasetStatus.WITHDRAWN, timezone.now()
        dataset.save(update_fields=["status", "modified_at", "updated_at"])
        _event(dataset, "withdraw", actor, note.strip())
        audit.record("opendata.opendataset.withdraw", dataset, actor=actor, changes={"note": note.strip()})
    return dataset
