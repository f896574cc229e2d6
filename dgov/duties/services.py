"""Writes of the data responsibility list: a duty with its links to catalog entries, and its
deletion (core's `delete_object`). The scope is checked inside the transaction and every write is
audited (core's `save_object`).

Links are given as resource codes. A department links only its own entries: a code that names no
entry of the duty's department (unknown, or another department's) is refused with the codes named,
the same message for both, so that the check reveals nothing about other departments' drafts."""

from django.db import transaction
from django.utils.translation import gettext as _

from dgov.catalog.models import CatalogEntry
from dgov.core.errors import ValidationError
from dgov.core.permissions import require_in_scope
from dgov.core.services import save_object
from dgov.duties.models import DataDuty

FIELD = "entry_codes"  # the input field naming the linked entries, in the forms and the API


def _entries(duty: DataDuty, codes: list[str]) -> list[CatalogEntry]:
    codes = list(dict.fromkeys(c.strip() for c in codes if c and c.strip()))
    found = {e.code: e for e in CatalogEntry.objects.filter(department_id=duty.department_id, code__in=codes)}
    missing = [c for c in codes if c not in found]
    if missing:
        raise ValidationError(details={FIELD: [
            _("%(department)s has no catalog entry with the resource code %(codes)s; a duty links only "
              "entries of its own department.") % {"department": duty.department.name, "codes": "、".join(missing)}]})
    return [found[c] for c in codes]


def duty_save(*, actor, instance: DataDuty, entry_codes: list[str] | None = None) -> DataDuty:
    """Create or change a duty as `actor`. `entry_codes` are the resource codes it is to be linked
    to (None: the links stay; they are checked again when the department changes)."""
    with transaction.atomic():
        if instance.department_id is None:
            raise ValidationError(details={"department": [_("Name the responsible department.")]})
        require_in_scope(actor, "add" if instance._state.adding else "change", instance)
        if not instance._state.adding:
            # Two officials saving the same duty at once: one after the other, each audit diff
            # against what the other stored.
            list(DataDuty.objects.select_for_update().filter(pk=instance.pk).values_list("pk", flat=True))
        if entry_codes is None and not instance._state.adding:
            entry_codes = list(instance.entries.values_list("code", flat=True))
        m2m = {"entries": _entries(instance, entry_codes)} if entry_codes is not None else None
        save_object(actor=actor, instance=instance, m2m=m2m)
    # The `linked` annotation the duty was read with may no longer hold: `in_catalog` asks again.
    instance.__dict__.pop("linked", None)
    return instance


def duty_save_linking(*, actor, instance: DataDuty) -> DataDuty:
    """`duty_save` for callers that hand over only the instance (the API's `crud_router`, the
    importer): the codes to link travel on it as `instance.link_codes` (absent: the links stay)."""
    return duty_save(actor=actor, instance=instance, entry_codes=getattr(instance, "link_codes", None))
