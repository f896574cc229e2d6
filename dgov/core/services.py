"""Generic writes for declarative CRUD: validate, re-check scope inside the transaction, save,
audit. Domain services with rules of their own call these for the common part."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError, RestrictedError
from django.utils.translation import gettext as _

from dgov.core import audit
from dgov.core.errors import Conflict, ValidationError
from dgov.core.permissions import require_in_scope


def _verb_action(instance, verb: str) -> str:
    return f"{instance._meta.label_lower}.{verb}"


def save_object(*, actor, instance, fields: list[str] | None = None, m2m: dict | None = None):
    """Create or update `instance` as `actor`. `fields` limits what is compared for the audit diff
    (default: every concrete field but the key and automatic timestamps); `m2m` maps many-to-many field
    names to their new values."""
    with transaction.atomic():
        is_new = instance._state.adding
        require_in_scope(actor, "add" if is_new else "change", instance)
        # Timestamps the database keeps by itself are not changes anyone made.
        names = fields or [f.name for f in instance._meta.concrete_fields
                           if not f.primary_key and not getattr(f, "auto_now", False)
                           and not getattr(f, "auto_now_add", False)]
        before = None
        if not is_new:
            stored = type(instance)._default_manager.get(pk=instance.pk)
            # Re-check against the stored row too: moving an object into scope is not allowed.
            require_in_scope(actor, "change", stored)
            before = audit.snapshot(stored, names)
        try:
            instance.full_clean()
        except DjangoValidationError as exc:
            raise ValidationError.from_django(exc) from None
        try:
            with transaction.atomic():
                instance.save()
        except IntegrityError:
            # full_clean checked uniqueness, so another request wrote the same record just now.
            raise Conflict(_("Someone else has just saved a record with the same values. Reload and check."),
                           code="conflict") from None
        changes = audit.created(instance, names) if is_new else audit.diff(before, instance)
        for name, values in (m2m or {}).items():
            manager = getattr(instance, name)
            old = sorted(manager.values_list("pk", flat=True))
            manager.set(values)
            new = sorted(manager.values_list("pk", flat=True))
            if old != new:
                changes[name] = [old, new]
        audit.record(_verb_action(instance, "create" if is_new else "change"), instance, changes=changes,
                     actor=actor)
    return instance


def delete_object(*, actor, instance) -> None:
    with transaction.atomic():
        require_in_scope(actor, "delete", instance)
        audit.record(_verb_action(instance, "delete"), instance, changes=audit.created(instance), actor=actor)
        try:
            instance.delete()
        except (ProtectedError, RestrictedError) as exc:
            # Name only the kinds of records in the way: the records themselves may lie outside
            # the actor's scope.
            blocking = exc.protected_objects if isinstance(exc, ProtectedError) else exc.restricted_objects
            kinds = sorted({str(obj._meta.verbose_name_plural) for obj in blocking})
            raise Conflict(_("It cannot be deleted while other records refer to it."),
                           code="protected", details={"referenced_by": kinds}) from None


def upsert_tree(model, rows: list[dict], fields, *, update: bool) -> int:
    """Load reference tree data (rows with `code` and `parent_code`) into `model`: create missing
    tree nodes, parents first; with `update`, also bring existing nodes back to
    the file's values (otherwise the city's local edits win). `fields(row)` gives the non-tree
    values. Returns how many nodes were created or changed."""
    existing = {n.code: n for n in model.objects.all()}
    by_code = {r["code"]: r for r in rows}

    def depth(code):
        d, parent = 0, by_code[code]["parent_code"]
        while parent:
            d, parent = d + 1, by_code[parent]["parent_code"] if parent in by_code else ""
        return d

    changed = 0
    for row in sorted(rows, key=lambda r: (depth(r["code"]), r["code"])):
        values = fields(row)
        parent = existing.get(row["parent_code"]) if row["parent_code"] else None
        node = existing.get(row["code"])
        if node is None:
            node = model(code=row["code"], parent=parent, **values)
        elif not update:
            continue
        elif node.parent_id == (parent.pk if parent else None) and all(
                getattr(node, k) == (v.pk if hasattr(v, "pk") else v) or getattr(node, k) == v
                for k, v in values.items()):
            continue
        else:
            node.parent = parent
            for k, v in values.items():
                setattr(node, k, v)
        node.save()
        existing[node.code] = node
        changed += 1
    return changed
