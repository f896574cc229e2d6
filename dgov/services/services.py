"""Writes of service items, each in one transaction, scope-checked and audited:

- `item_save`: the base catalog (基本目录), platform-wide reference data;
- `implementation_save`: an implementation list entry (实施清单) with its materials (replaced as a list),
  its themes and its online form. Every field is checked (`implementation_errors`; the form through
  `dgov.services.formdef.validate_definition`), every change is a new version (`ImplementationVersion`, a
  snapshot of the fields, materials, themes and form), and the guide's search text is rebuilt;
- `publish` / `retire`: what the public sees;
- `theme_save`: the themes for people and enterprises.

References may be given as objects or by their natural keys: the item by its base code, departments by
their code, the region by its 6- or 12-digit code, licence types by their type code (or their name, when
exactly one type has it), themes by their code.
"""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from dgov.core import audit
from dgov.core.errors import Conflict, ValidationError
from dgov.core.permissions import require_in_scope, require_permission
from dgov.core.services import save_object
from dgov.services import codes
from dgov.services import search as text_search
from dgov.services.models import (
    CaseKind,
    Implementation,
    ImplementationVersion,
    Material,
    MaterialForm,
    MaterialSource,
    OnlineDepth,
    PublishStatus,
    ResultType,
    ServiceItem,
    Theme,
)

#: the fields of an implementation that `data` may set (besides "themes" and "handling_code")
FIELDS = ["item", "code", "name", "department", "region", "service_object", "case_kind", "statutory_limit",
          "statutory_unit", "promised_limit", "promised_unit", "visits", "online_depth", "fees",
          "acceptance_conditions", "process_steps", "result_type", "result_name", "result_license_type", "place",
          "hours", "enquiry_phone", "complaint_phone", "online_apply", "form", "supervising_department", "is_demo"]
ITEM_FIELDS = ["base_code", "name", "item_type", "legal_basis", "level", "description", "keywords", "status",
               "is_demo"]
MATERIAL_FIELDS = ["name", "required", "form", "copies", "source", "license_type", "notes"]
MAX_MATERIALS = 100
MAX_FEES = 50
MAX_STEPS = 30


# --- references --------------------------------------------------------------------------------------------
def _department(value):
    from dgov.orgs.models import Department

    if value is None or value == "" or isinstance(value, Department):
        return value or None
    return Department.objects.select_related("region").filter(code=str(value).strip()).first()


def _region(value):
    from dgov.orgs.models import Region

    if value is None or value == "" or isinstance(value, Region):
        return value or None
    code = str(value).strip()
    if code.isdigit() and len(code) < 12:
        code = code.ljust(12, "0")
    return Region.objects.filter(code=code).first()


def _license_type(value):
    from dgov.licenses.models import LicenseType

    if value is None or value == "" or isinstance(value, LicenseType):
        return value or None
    text = str(value).strip()
    found = LicenseType.objects.filter(code=text).first()
    if found is None:
        named = list(LicenseType.objects.filter(name=text)[:2])
        found = named[0] if len(named) == 1 else None
    return found


def _item(value):
    if value is None or value == "" or isinstance(value, ServiceItem):
        return value or None
    return ServiceItem.objects.filter(base_code=str(value).strip()).first()


def _themes(values) -> tuple[list[Theme], list[str]]:
    found, missing = [], []
    for value in values or []:
        if isinstance(value, Theme):
            found.append(value)
            continue
        theme = Theme.objects.filter(code=str(value).strip()).first()
        (found.append(theme) if theme else missing.append(str(value)))
    return found, missing


# --- snapshots and versions --------------------------------------------------------------------------------
def material_dict(material: Material) -> dict:
    return {"name": material.name, "required": material.required, "form": material.form, "copies": material.copies,
            "source": material.source, "license_type": material.license_type.code if material.license_type_id else "",
            "notes": material.notes}


def snapshot(implementation: Implementation) -> dict:
    """The implementation as a version keeps it: its fields (references by natural key), materials, themes."""
    impl = implementation
    return {
        "code": impl.code, "name": impl.name, "item": impl.item.base_code, "item_name": impl.item.name,
        "department": impl.department.code, "region": impl.region.code, "service_object": impl.service_object,
        "case_kind": impl.case_kind, "statutory_limit": impl.statutory_limit, "statutory_unit": impl.statutory_unit,
        "promised_limit": impl.promised_limit, "promised_unit": impl.promised_unit, "visits": impl.visits,
        "online_depth": impl.online_depth, "fees": impl.fees, "acceptance_conditions": impl.acceptance_conditions,
        "process_steps": impl.process_steps, "result_type": impl.result_type, "result_name": impl.result_name,
        "result_license_type": impl.result_license_type.code if impl.result_license_type_id else "",
        "place": impl.place, "hours": impl.hours, "enquiry_phone": impl.enquiry_phone,
        "complaint_phone": impl.complaint_phone, "online_apply": impl.online_apply, "form": impl.form,
        "supervising_department": impl.supervising_department.code if impl.supervising_department_id else "",
        "status": impl.status,
        "materials": [material_dict(m) for m in impl.materials.select_related("license_type").order_by("order", "pk")],
        "themes": sorted(impl.themes.values_list("code", flat=True)),
    }


def _record_version(implementation: Implementation, action: str, actor, reason: str, content: dict) -> None:
    ImplementationVersion.objects.create(
        implementation=implementation, version=implementation.version, action=action, snapshot=content,
        actor=actor if getattr(actor, "pk", None) else None, reason=(reason or "")[:500])


def reindex(implementation: Implementation) -> None:
    text = text_search.build_text(implementation)
    if text != implementation.search_text:
        implementation.search_text = text
        Implementation.objects.filter(pk=implementation.pk).update(search_text=text)


def reindex_all() -> tuple[int, int]:
    """Rebuild every implementation's search text: (how many changed, how many there are)."""
    changed = total = 0
    for impl in Implementation.objects.select_related("item", "department").iterator(chunk_size=500):
        total += 1
        before = impl.search_text
        reindex(impl)
        changed += int(impl.search_text != before)
    return changed, total


# --- checks ----------------------------------------------------------------------------------------------
def _add(errors: dict, field: str, message) -> None:
    errors.setdefault(field, []).append(str(message))


def clean_fees(fees) -> tuple[list[dict], list[str]]:
    """Fees as [{"name", "amount" ("80.00"), "basis"}]; a fee above nothing needs its basis."""
    if fees in (None, ""):
        return [], []
    if not isinstance(fees, list) or len(fees) > MAX_FEES:
        return [], [_("Fees are a list of at most %(n)d entries.") % {"n": MAX_FEES}]
    out, errors = [], []
    for n, fee in enumerate(fees, start=1):
        if not isinstance(fee, dict):
            errors.append(_("Fee %(n)d: give a name, an amount and its basis.") % {"n": n})
            continue
        name, basis = str(fee.get("name") or "").strip(), str(fee.get("basis") or "").strip()
        try:
            amount = Decimal(str(fee.get("amount", "0")).strip() or "0")
            if not amount.is_finite() or amount < 0 or amount > Decimal("100000000"):
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            errors.append(_("Fee %(n)d: the amount is not a sum of money.") % {"n": n})
            continue
        if not name:
            errors.append(_("Fee %(n)d: give its name.") % {"n": n})
        if amount > 0 and not basis:
            errors.append(_("Fee %(n)d: give the basis on which it is charged.") % {"n": n})
        if len(name) > 200 or len(basis) > 1000:
            errors.append(_("Fee %(n)d: the name or basis is too long.") % {"n": n})
        out.append({"name": name, "amount": f"{amount.quantize(Decimal('0.01'))}", "basis": basis})
    return out, errors


def clean_steps(steps) -> tuple[list[dict], list[str]]:
    """Process steps as [{"name", "description", "limit"}] (limit: working days, 0 when none is set)."""
    if steps in (None, ""):
        return [], []
    if not isinstance(steps, list) or len(steps) > MAX_STEPS:
        return [], [_("The process is a list of at most %(n)d steps.") % {"n": MAX_STEPS}]
    out, errors = [], []
    for n, step in enumerate(steps, start=1):
        if not isinstance(step, dict):
            errors.append(_("Step %(n)d: give its name.") % {"n": n})
            continue
        name, description = str(step.get("name") or "").strip(), str(step.get("description") or "").strip()
        try:
            limit = int(str(step.get("limit") or 0).strip() or 0)
            if limit < 0 or limit > 3650:
                raise ValueError
        except ValueError:
            errors.append(_("Step %(n)d: the time limit is a whole number of days.") % {"n": n})
            limit = 0
        if not name or len(name) > 100:
            errors.append(_("Step %(n)d: give its name (at most 100 characters).") % {"n": n})
        if len(description) > 1000:
            errors.append(_("Step %(n)d: the description is too long.") % {"n": n})
        out.append({"name": name, "description": description, "limit": limit})
    names = [s["name"] for s in out]
    if len(set(names)) != len(names):
        errors.append(_("Two steps have the same name."))
    return out, errors


def clean_materials(materials) -> tuple[list[Material], list[str]]:
    """The materials as unsaved `Material`s in order, and the problems (each naming the material's number)."""
    if not isinstance(materials, list) or len(materials) > MAX_MATERIALS:
        return [], [_("Materials are a list of at most %(n)d entries.") % {"n": MAX_MATERIALS}]
    out, errors, names = [], [], set()
    forms, sources = {c.value for c in MaterialForm}, {c.value for c in MaterialSource}
    for n, spec in enumerate(materials, start=1):
        if not isinstance(spec, dict):
            errors.append(_("Material %(n)d: give its name.") % {"n": n})
            continue
        unknown = set(spec) - set(MATERIAL_FIELDS) - {"order", "id"}
        if unknown:
            errors.append(_("Material %(n)d: unknown fields %(fields)s.")
                          % {"n": n, "fields": ", ".join(sorted(unknown))})
        name = str(spec.get("name") or "").strip()
        if not name or len(name) > 200:
            errors.append(_("Material %(n)d: give its name (at most 200 characters).") % {"n": n})
        elif name in names:
            errors.append(_("Material %(n)d: %(name)s is listed twice.") % {"n": n, "name": name})
        names.add(name)
        form = spec.get("form") or MaterialForm.ELECTRONIC
        if form not in forms:
            errors.append(_("Material %(n)d: unknown form %(value)s.") % {"n": n, "value": form})
        source = spec.get("source") or MaterialSource.APPLICANT
        if source not in sources:
            errors.append(_("Material %(n)d: unknown source %(value)s.") % {"n": n, "value": source})
        try:
            copies = int(spec.get("copies") if spec.get("copies") not in (None, "") else 1)
            if not 0 <= copies <= 99:
                raise ValueError
        except (TypeError, ValueError):
            errors.append(_("Material %(n)d: the number of copies is a whole number from 0 to 99.") % {"n": n})
            copies = 1
        license_type = None
        if spec.get("license_type"):
            license_type = _license_type(spec["license_type"])
            if license_type is None:
                errors.append(_("Material %(n)d: there is no licence type %(value)s.")
                              % {"n": n, "value": spec["license_type"]})
        notes = str(spec.get("notes") or "").strip()
        if len(notes) > 500:
            errors.append(_("Material %(n)d: the notes are too long.") % {"n": n})
        required = spec.get("required", True)
        out.append(Material(order=n, name=name, required=bool(required), form=form, copies=copies, source=source,
                            license_type=license_type, notes=notes))
    return out, errors


def form_errors(implementation: Implementation) -> list[str]:
    """The online form's problems (`formdef.validate_definition`); none for an empty form."""
    from dgov.services import formdef

    form = implementation.form or {}
    if not form:  # an item applied for online without its own form uses formdef.default_form
        return []
    if not isinstance(form, dict):
        return [_("The form definition is not valid.")]
    return [str(e) for e in formdef.validate_definition(form)]


def implementation_errors(impl: Implementation) -> dict[str, list[str]]:
    """Every rule an implementation's own fields break (besides the model's field checks)."""
    errors: dict[str, list[str]] = {}
    if impl.item_id and impl.department_id and impl.region_id:
        for message in codes.implementation_code_errors(impl.code, department=impl.department, region=impl.region,
                                                        base_code=impl.item.base_code):
            _add(errors, "code", message)
        department_region = impl.department.region
        if not impl.region.path.startswith(department_region.path):
            _add(errors, "region", _("The region must be the implementing department's region or lie within it."))
    if impl.case_kind == CaseKind.PROMISED and impl.promised_limit < 1:
        _add(errors, "promised_limit", _("A promised case needs a promised time limit of at least one day."))
    if impl.case_kind == CaseKind.INSTANT and impl.promised_limit:
        _add(errors, "promised_limit", _("An instant case is settled when it is accepted: leave the promised time "
                                         "limit at 0."))
    if (impl.statutory_limit and impl.promised_limit and impl.statutory_unit == impl.promised_unit
            and impl.promised_limit > impl.statutory_limit):
        _add(errors, "promised_limit", _("The promised time limit cannot be longer than the statutory one."))
    if impl.statutory_limit > 3650 or impl.promised_limit > 3650:
        _add(errors, "statutory_limit", _("A time limit is at most 3650 days."))
    if impl.visits > 10:
        _add(errors, "visits", _("At most 10 visits to the site."))
    if impl.online_apply and impl.online_depth < OnlineDepth.PRE_REVIEW:
        _add(errors, "online_apply", _("Only an item handled online at depth 3 or 4 can be applied for online."))
    if impl.result_type in (ResultType.LICENCE, ResultType.APPROVAL, ResultType.OTHER) and not impl.result_name:
        _add(errors, "result_name", _("Name the result the applicant receives."))
    if impl.result_license_type_id and impl.result_type != ResultType.LICENCE:
        _add(errors, "result_license_type", _("Only a licence result has a licence type."))
    for message in form_errors(impl):
        _add(errors, "form", message)
    return errors


def _apply(impl: Implementation, data: dict, errors: dict) -> list[Theme] | None:
    """Set `data` on `impl` (references resolved); unknown references are errors. The themes, when given."""
    unknown = set(data) - set(FIELDS) - {"themes", "handling_code"}
    for name in sorted(unknown):
        _add(errors, name, _("Unknown field."))
    resolvers = {"item": (_item, _("There is no service item with this base code.")),
                 "department": (_department, _("There is no department with this code.")),
                 "supervising_department": (_department, _("There is no department with this code.")),
                 "region": (_region, _("There is no region with this code.")),
                 "result_license_type": (_license_type, _("There is no licence type with this code."))}
    for name in FIELDS:
        if name not in data:
            continue
        value = data[name]
        if name in resolvers:
            resolve, message = resolvers[name]
            found = resolve(value)
            if found is None and value not in (None, ""):
                _add(errors, name, message)
                continue
            setattr(impl, name, found)
        elif name == "fees":
            fees, problems = clean_fees(value)
            impl.fees = fees
            for problem in problems:
                _add(errors, "fees", problem)
        elif name == "process_steps":
            steps, problems = clean_steps(value)
            impl.process_steps = steps
            for problem in problems:
                _add(errors, "process_steps", problem)
        elif name in ("code", "name", "acceptance_conditions", "result_name", "place", "hours", "enquiry_phone",
                      "complaint_phone"):
            setattr(impl, name, str(value if value is not None else "").strip())
        elif name == "form":
            impl.form = value if value not in (None, "") else {}
        else:
            setattr(impl, name, value)
    if impl.department_id and not impl.region_id and "region" not in errors:
        impl.region = impl.department.region
    if impl.item_id and not impl.name:
        impl.name = impl.item.name
    if not impl.code and impl.item_id and impl.department_id and impl.region_id and impl.department.credit_code:
        impl.code = codes.implementation_code(credit_code=impl.department.credit_code, region=impl.region,
                                              base_code=impl.item.base_code,
                                              handling=str(data.get("handling_code") or "").strip())
    if "themes" not in data:
        return None
    themes, missing = _themes(data["themes"])
    if missing:
        _add(errors, "themes", _("There is no theme %(codes)s.") % {"codes": "、".join(missing)})
    return themes


def _full_clean(impl: Implementation, errors: dict) -> None:
    try:
        impl.full_clean(exclude=[n for n in ("item", "department", "region") if errors.get(n)] + ["search_text"])
    except DjangoValidationError as exc:
        for name, messages in exc.message_dict.items():
            for message in messages:
                if message not in errors.get(name, []):
                    _add(errors, name, message)


def check(*, implementation: Implementation | None = None, data: dict, materials: list[dict] | None = None):
    """What `implementation_save` would write, checked without writing: (the implementation with `data` set,
    the materials, the themes or None, the errors by field). Materials' problems are under "materials"."""
    impl = Implementation() if implementation is None else Implementation.objects.select_related(
        "item", "department__region", "region").get(pk=implementation.pk)
    errors: dict[str, list[str]] = {}
    themes = _apply(impl, data, errors)
    material_objs = None
    if materials is not None:
        material_objs, problems = clean_materials(materials)
        for problem in problems:
            _add(errors, "materials", problem)
    if impl.item_id is None and "item" not in errors:
        _add(errors, "item", _("Choose the service item."))
    if impl.department_id is None and "department" not in errors:
        _add(errors, "department", _("Choose the implementing department."))
    _full_clean(impl, errors)
    for name, messages in implementation_errors(impl).items():
        for message in messages:
            if message not in errors.get(name, []):
                _add(errors, name, message)
    return impl, material_objs, themes, errors


# --- implementations ---------------------------------------------------------------------------------------
def implementation_save(*, actor, implementation: Implementation | None = None, data: dict,
                        materials: list[dict] | None = None, reason: str = "") -> Implementation:
    """Create or change an implementation. `data`: the fields to set (see FIELDS; "themes": theme codes;
    without "code" a new implementation gets the code the rule gives, `handling_code` appended). `materials`
    replace the materials as a list (None: unchanged). A new implementation is a draft; a change keeps the
    status. Each change is a new version; a save that changes nothing writes nothing."""
    with transaction.atomic():
        is_new = implementation is None
        if is_new:
            require_permission(actor, Implementation, "add")
        else:
            stored = Implementation.objects.select_for_update().select_related("item", "department", "region").get(
                pk=implementation.pk)
            require_in_scope(actor, "change", stored)
            before = snapshot(stored)
        impl, material_objs, themes, errors = check(implementation=None if is_new else stored, data=data,
                                                    materials=materials)
        if impl.department_id:
            require_in_scope(actor, "add" if is_new else "change", impl)
        if errors:
            raise ValidationError(details=errors)
        if is_new:
            impl.status, impl.version = PublishStatus.DRAFT, 1
        try:
            with transaction.atomic():
                impl.save()
        except IntegrityError:
            raise Conflict(_("Another implementation has this code."), code="conflict") from None
        if material_objs is not None:
            impl.materials.all().delete()
            for material in material_objs:
                material.implementation = impl
            Material.objects.bulk_create(material_objs)
        if themes is not None:
            impl.themes.set(themes)
        after = snapshot(impl)
        if not is_new:
            if after == before:
                transaction.set_rollback(True)
                return stored
            impl.version = stored.version + 1
            Implementation.objects.filter(pk=impl.pk).update(version=impl.version)
        reindex(impl)
        _record_version(impl, "create" if is_new else "change", actor, reason, after)
        changes = after if is_new else {k: [before[k], after[k]] for k in after if before.get(k) != after[k]}
        if reason:
            changes["reason"] = reason
        changes["version"] = impl.version
        audit.record(f"services.implementation.{'create' if is_new else 'change'}", impl, changes=changes,
                     actor=actor)
    return impl


def _transition(*, actor, implementation, to: str, action: str, reason: str) -> Implementation:
    with transaction.atomic():
        impl = Implementation.objects.select_for_update().select_related("item", "department", "region").get(
            pk=implementation.pk)
        require_in_scope(actor, "publish", impl)
        if impl.status == to:
            raise Conflict(_("The implementation is already %(status)s.") % {"status": PublishStatus(to).label})
        if to == PublishStatus.PUBLISHED:
            problems = {}
            if impl.item.status != PublishStatus.PUBLISHED:
                problems["item"] = [_("The service item is not published in the base catalog.")]
            for name, messages in implementation_errors(impl).items():
                problems.setdefault(name, []).extend(messages)
            if problems:
                raise ValidationError(_("The implementation cannot be published yet."), details=problems)
        before = impl.status
        impl.status, impl.version = to, impl.version + 1
        impl.save(update_fields=["status", "version", "updated_at"])
        _record_version(impl, action, actor, reason, snapshot(impl))
        audit.record(f"services.implementation.{action}", impl, changes={
            "status": [before, to], "version": impl.version, **({"reason": reason} if reason else {})}, actor=actor)
    return impl


def publish(*, actor, implementation: Implementation, reason: str = "") -> Implementation:
    """Publish the guide: its item must be published and its fields (and form) valid."""
    return _transition(actor=actor, implementation=implementation, to=PublishStatus.PUBLISHED, action="publish",
                       reason=(reason or "").strip())


def retire(*, actor, implementation: Implementation, reason: str = "") -> Implementation:
    """Take the guide off the portal (the reason is required; it can be published again)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(details={"reason": [_("Give the reason.")]})
    return _transition(actor=actor, implementation=implementation, to=PublishStatus.RETIRED, action="retire",
                       reason=reason)


# --- the base catalog and themes ---------------------------------------------------------------------------
def item_save(*, actor, item: ServiceItem | None = None, data: dict) -> ServiceItem:
    """Create or change a base catalog item. The base code cannot change once implementations use it (their
    codes contain it). The implementations' search text follows the item's names."""
    with transaction.atomic():
        is_new = item is None
        require_permission(actor, ServiceItem, "add" if is_new else "change")
        obj = ServiceItem() if is_new else ServiceItem.objects.select_for_update().get(pk=item.pk)
        errors: dict[str, list[str]] = {}
        for name in sorted(set(data) - set(ITEM_FIELDS)):
            _add(errors, name, _("Unknown field."))
        old_code = obj.base_code
        for name in ITEM_FIELDS:
            if name in data:
                value = data[name]
                setattr(obj, name, str(value).strip() if isinstance(value, str) else value)
        if "base_code" in data or is_new:
            obj.base_code = (obj.base_code or "").upper()
            for message in codes.base_code_errors(obj.base_code):
                _add(errors, "base_code", message)
        if not is_new and obj.base_code != old_code and obj.implementations.exists():
            _add(errors, "base_code", _("This cannot change once implementations use the item: their codes contain "
                                        "it."))
        if errors:
            raise ValidationError(details=errors)
        obj = save_object(actor=actor, instance=obj)
        if not is_new:
            for impl in obj.implementations.select_related("item", "department"):
                reindex(impl)
    return obj


def theme_save(*, actor, theme: Theme | None = None, data: dict) -> Theme:
    with transaction.atomic():
        obj = Theme() if theme is None else Theme.objects.select_for_update().get(pk=theme.pk)
        for name in ("code", "name", "audience", "description", "order"):
            if name in data:
                setattr(obj, name, data[name])
        obj = save_object(actor=actor, instance=obj)
        if theme is not None:
            for impl in obj.implementations.select_related("item", "department"):
                reindex(impl)
    return obj
