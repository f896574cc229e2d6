"""Writes of the data resource catalog: entries with their data items (versioned), the life cycle
draft → submitted → reviewed → published → withdrawn, the negative list and its one check, and the
search index kept in step with every write."""

import csv
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from dgov.catalog import search
from dgov.catalog.models import (
    CatalogEntry,
    Classification,
    DataItem,
    EntryVersion,
    MappingMethod,
    NegativeListItem,
    OpenType,
    ProvincialEntry,
    ProvincialMapping,
    SharingType,
    Status,
)
from dgov.core import audit
from dgov.core.errors import Conflict, PermissionDenied, ValidationError
from dgov.core.permissions import require_in_scope, resolver
from dgov.core.services import save_object, upsert_tree

DATA_DIR = Path(__file__).parent / "data"
CLASSIFICATIONS_FILE = DATA_DIR / "classifications.csv"
NONE = "none"


def load_classifications(path: Path = CLASSIFICATIONS_FILE, *, update: bool = False) -> int:
    with path.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    with transaction.atomic():
        changed = upsert_tree(Classification, rows, lambda r: {"name": r["name"], "level": int(r["level"])},
                              update=update)
        if changed:
            audit.record("catalog.classification.load", audit.Target("catalog.classification", "", path.name),
                         changes={"changed": changed})
    return changed


# --- resource codes -------------------------------------------------------------------------------
def classification_prefix(classification: Classification) -> str:
    return classification.code.ljust(9, "0")


def next_code(classification: Classification) -> str:
    """The next free resource code of a classification (call inside the writing transaction).

    The classification's row is locked first, so that concurrent writers in one classification
    (every department's own entries share 307) take their numbers one after the other instead of
    both taking the same one. The highest code is read as a range of the code index (a LIKE prefix
    does not use the index on SQLite)."""
    Classification.objects.select_for_update().filter(pk=classification.pk).exists()
    prefix = classification_prefix(classification) + "/"
    last = CatalogEntry.objects.filter(code__gte=prefix + "000000", code__lte=prefix + "999999").aggregate(
        m=Max("code"))["m"]
    sequence = int(last.split("/")[1]) + 1 if last else 1
    if sequence > 999999:
        raise Conflict(_("The classification %(code)s has no free sequence numbers left.") % {"code": prefix})
    return f"{prefix}{sequence:06d}"


def code_errors(code: str, classification: Classification | None) -> list[str]:
    """What is wrong with a given resource code (an empty list when it is right)."""
    from dgov.catalog.models import resource_code_validator

    try:
        resource_code_validator(code)
    except DjangoValidationError as exc:
        return [str(m) for m in exc.messages]
    if classification is not None and not code.startswith(classification_prefix(classification) + "/"):
        return [_("The code must begin with the classification code %(prefix)s.")
                % {"prefix": classification_prefix(classification)}]
    return []


# --- the negative list: one check for every writer ------------------------------------------------
@dataclass(frozen=True)
class ItemAttributes:
    name: str
    sharing_type: str = ""  # "" = as the entry
    open_type: str = ""


def negative_list_errors(code: str, sharing_type: str, open_type: str,
                         items: list[ItemAttributes] = ()) -> dict[str, list[str]]:
    """Field errors for a resource (and its data items) that the negative list forbids to share or
    open. The one check used by the catalog's services and importer, the exchange and open data."""
    listed = {item.item_name: item for item in NegativeListItem.objects.filter(resource_code=code)}
    if not listed:
        return {}
    errors: dict[str, list[str]] = {}

    def refuse(field, what, entry):
        errors.setdefault(field, []).append(
            _("%(what)s is on the data negative list (legal basis: %(basis)s) and can be neither shared nor "
              "opened.") % {"what": what, "basis": entry.legal_basis})

    whole = listed.get("")
    if whole is not None:
        if sharing_type != SharingType.NONE:
            refuse("sharing_type", _("This resource"), whole)
        if open_type != OpenType.NONE:
            refuse("open_type", _("This resource"), whole)
    for item in items:
        entry = listed.get(item.name)
        if entry is None:
            continue
        sharing = item.sharing_type or sharing_type
        opening = item.open_type or open_type
        if sharing != SharingType.NONE or opening != OpenType.NONE:
            refuse("items", _("The data item “%(name)s”") % {"name": item.name}, entry)
    return errors


def check_negative_list(code: str, sharing_type: str, open_type: str, items: list[ItemAttributes] = ()) -> None:
    errors = negative_list_errors(code, sharing_type, open_type, items)
    if errors:
        raise ValidationError(details=errors, code="negative_list")


def negative_item_save(*, actor, item: NegativeListItem) -> NegativeListItem:
    """Add or change a negative-list item. Resources and items already shared or opened must be
    set to 不予 first: the list cannot contradict the catalog."""
    with transaction.atomic():
        entry = CatalogEntry.objects.filter(code=item.resource_code).prefetch_related("items").first()
        if entry is not None:
            clash = (entry.sharing_type != SharingType.NONE or entry.open_type != OpenType.NONE) if not item.item_name \
                else any(i.name == item.item_name and (i.sharing_type or entry.sharing_type) != SharingType.NONE
                         or i.name == item.item_name and (i.open_type or entry.open_type) != OpenType.NONE
                         for i in entry.items.all())
            if clash:
                raise ValidationError(details={"resource_code": [
                    _("The catalog still shares or opens this; set it to “not shared” and “not opened” first.")]})
        return save_object(actor=actor, instance=item)


# --- entries --------------------------------------------------------------------------------------
EDITABLE = {Status.DRAFT}


def snapshot(entry: CatalogEntry) -> dict:
    fields = {f.name: audit._json_safe(getattr(entry, f.attname)) for f in CatalogEntry._meta.concrete_fields
              if f.name not in ("id", "created_at", "updated_at")}
    fields["items"] = [{"name": i.name, "data_type": i.data_type, "length": i.length,
                        "data_element": i.data_element, "personal_data": i.personal_data,
                        "sharing_type": i.sharing_type, "open_type": i.open_type, "description": i.description}
                       for i in entry.items.order_by("position")]
    mapping = ProvincialMapping.objects.filter(entry_id=entry.pk).select_related("provincial").first()
    fields["provincial_code"] = mapping.provincial.code if mapping else ""
    return fields


def _record_version(entry: CatalogEntry, action: str, actor, reason: str = "") -> None:
    EntryVersion.objects.create(entry=entry, version=entry.version, action=action, snapshot=snapshot(entry),
                                actor=actor if getattr(actor, "pk", None) else None, reason=reason)


# Checks other apps add to every data item, registered from their AppConfig.ready() (standards: the data
# element an item names is in the registry and its type and length fit): item dict → {field: [messages]}.
ITEM_CHECKS: list = []


def register_item_check(check) -> None:
    if check not in ITEM_CHECKS:
        ITEM_CHECKS.append(check)


def validate_items(items: list[dict]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    names = [i.get("name", "").strip() for i in items]
    if not items:
        errors["items"] = [_("An entry lists at least one data item.")]
    if any(not n for n in names):
        errors.setdefault("items", []).append(_("Every data item has a name."))
    duplicates = sorted({n for n in names if n and names.count(n) > 1})
    if duplicates:
        errors.setdefault("items", []).append(_("Data item names repeat: %(names)s") % {"names": "、".join(duplicates)})
    for index, item in enumerate(items):
        try:
            DataItem(entry=CatalogEntry(), position=index + 1, **item).clean_fields(exclude=["entry"])
        except DjangoValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors.setdefault(f"items[{index}].{field}", []).extend(messages)
        for check in ITEM_CHECKS:
            for field, messages in check(item).items():
                errors.setdefault(f"items[{index}].{field}", []).extend(messages)
    return errors


def entry_save(*, actor, entry: CatalogEntry, items: list[dict], reason: str = "") -> CatalogEntry:
    """Create or change an entry (in draft) with its data items. A new entry gets the next code of its
    classification unless it brings a valid one; every save is a new version."""
    is_new = entry._state.adding
    with transaction.atomic():
        if not is_new:
            stored = CatalogEntry.objects.select_for_update().get(pk=entry.pk)
            require_in_scope(actor, "change", stored)
            if stored.status not in EDITABLE:
                raise Conflict(_("Only a draft can be edited; this entry is “%(status)s”.")
                               % {"status": stored.get_status_display()})
            if stored.code != entry.code:
                raise ValidationError(details={"code": [_("A resource code never changes.")]})
        errors = validate_items(items)
        if is_new and not entry.code and getattr(entry, "classification_id", None):
            entry.code = next_code(entry.classification)
        elif entry.code:
            classification = entry.classification if getattr(entry, "classification_id", None) else None
            for message in code_errors(entry.code, classification):
                errors.setdefault("code", []).append(message)
        if entry.department_id and not entry.region_id:
            entry.region = entry.department.region
        if not errors:
            errors.update(negative_list_errors(
                entry.code, entry.sharing_type, entry.open_type,
                [ItemAttributes(i["name"], i.get("sharing_type", ""), i.get("open_type", "")) for i in items]))
        if entry.sharing_type == SharingType.CONDITIONAL and not entry.sharing_conditions.strip():
            errors.setdefault("sharing_conditions", []).append(_("Say on which conditions it is shared."))
        if entry.sharing_type != SharingType.NONE and not entry.sharing_method:
            errors.setdefault("sharing_method", []).append(_("Say how it is shared (API, file or database)."))
        if entry.open_type == OpenType.CONDITIONAL and not entry.open_conditions.strip():
            errors.setdefault("open_conditions", []).append(_("Say on which conditions it is opened."))
        if errors:
            raise ValidationError(details=errors)
        if not is_new:
            entry.version = stored.version + 1
        save_object(actor=actor, instance=entry)
        entry.items.all().delete()
        DataItem.objects.bulk_create(DataItem(entry=entry, position=n + 1, **item) for n, item in enumerate(items))
        _record_version(entry, "create" if is_new else "change", actor, reason)
        search.index_entry(entry)
    return entry


# --- the life cycle -------------------------------------------------------------------------------
# action: (allowed from, to, permission action, reason required)
TRANSITIONS = {
    "submit": ({Status.DRAFT}, Status.SUBMITTED, "change", False),
    "approve": ({Status.SUBMITTED}, Status.REVIEWED, "review", False),
    "reject": ({Status.SUBMITTED, Status.REVIEWED}, Status.DRAFT, "review", True),
    "publish": ({Status.REVIEWED}, Status.PUBLISHED, "review", False),
    "withdraw": ({Status.PUBLISHED}, Status.WITHDRAWN, "review", True),
    "reopen": ({Status.WITHDRAWN}, Status.DRAFT, "change", False),
}


def transition(*, actor, entry: CatalogEntry, action: str, reason: str = "") -> CatalogEntry:
    """Move an entry along its life cycle: departments submit and reopen their own entries; the
    big-data centre (the review permission) approves, rejects (with a reason), publishes and
    withdraws (with a reason)."""
    if action not in TRANSITIONS:
        raise ValidationError(details={"action": [_("Unknown action.")]})
    allowed_from, target, permission, needs_reason = TRANSITIONS[action]
    reason = (reason or "").strip()
    with transaction.atomic():
        entry = CatalogEntry.objects.select_for_update().get(pk=entry.pk)
        require_in_scope(actor, permission, entry)
        if entry.status not in allowed_from:
            raise Conflict(_("An entry that is “%(status)s” cannot be %(action)s.")
                           % {"status": entry.get_status_display(), "action": action})
        if needs_reason and not reason:
            raise ValidationError(details={"reason": [_("Give the reason.")]})
        if target in (Status.SUBMITTED, Status.PUBLISHED):
            # Published entries must still satisfy the negative list (it may have grown meanwhile).
            check_negative_list(entry.code, entry.sharing_type, entry.open_type,
                                [ItemAttributes(i.name, i.sharing_type, i.open_type) for i in entry.items.all()])
        before = entry.status
        entry.status, entry.status_reason = target, reason
        if target == Status.PUBLISHED:
            entry.published_on = timezone.localdate()
        entry.version += 1
        entry.save(update_fields=["status", "status_reason", "published_on", "version", "updated_at"])
        _record_version(entry, action, actor, reason)
        audit.record(f"catalog.catalogentry.{action}", entry, changes={"status": [before, target], "reason": reason},
                     actor=actor)
    return entry


# --- alignment with the provincial catalog --------------------------------------------------------
#: the actions that let a user map an entry: its department's editors (change), reviewers (review)
MAPPING_ACTIONS = ("change", "review")


def require_mapping_scope(actor, entry: CatalogEntry) -> None:
    """The actor may map this entry: an editor of its department or a reviewer whose scope holds it.
    PermissionDenied without either permission, or (out_of_scope) outside both scopes."""
    answers = [resolver().allows(actor, action, entry) for action in MAPPING_ACTIONS]
    if any(answers):
        return
    if all(answer is None for answer in answers):
        raise PermissionDenied()
    raise PermissionDenied(code="out_of_scope")


def map_to_provincial(*, actor, entry: CatalogEntry, provincial_code: str | None,
                      method: str = MappingMethod.MANUAL) -> ProvincialMapping | None:
    """Map a city entry to the provincial entry with this code, or (`None` or "") unmap it. Any
    status of the entry may be mapped; a withdrawn provincial entry cannot be chosen anew. Each
    change is a new version of the entry ("map"/"unmap") and an audit entry; mapping to the
    entry it already has changes nothing."""
    code = (provincial_code or "").strip()
    if method not in MappingMethod.values:
        raise ValidationError(details={"method": [_("Unknown mapping method.")]})
    with transaction.atomic():
        entry = CatalogEntry.objects.select_for_update().get(pk=entry.pk)
        require_mapping_scope(actor, entry)
        current = ProvincialMapping.objects.filter(entry=entry).select_related("provincial").first()
        before = current.provincial.code if current else ""
        if code == before:
            return current
        provincial = None
        if code:
            provincial = ProvincialEntry.objects.filter(code=code).first()
            if provincial is None:
                raise ValidationError(details={"provincial_code": [_("No provincial catalog entry has this code.")]})
            if provincial.withdrawn:
                raise ValidationError(details={"provincial_code": [
                    _("This provincial entry was withdrawn from the provincial catalog; choose a current one.")]})
            current, _created = ProvincialMapping.objects.update_or_create(
                entry=entry, defaults={"provincial": provincial, "method": method,
                                       "mapped_by": actor if getattr(actor, "pk", None) else None})
        else:
            current.delete()
            current = None
        entry.version += 1
        entry.save(update_fields=["version", "updated_at"])
        reason = (_("Mapped to the provincial entry %(code)s %(name)s") % {"code": code, "name": provincial.name}
                  if provincial else _("Mapping to the provincial entry %(code)s removed") % {"code": before})
        _record_version(entry, "map" if provincial else "unmap", actor, reason[:500])
        audit.record("catalog.catalogentry.map_provincial", entry, actor=actor,
                     changes={"provincial_code": [before, code], "method": method if code else ""})
    return current
