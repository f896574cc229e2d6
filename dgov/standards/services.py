"""Writes of dgov.standards: code sets, the data-element life cycle and data-model versions; plus the
pure functions over model definitions (strict validation, the diff between two versions, the check of a
harvested table against an entity).

Every write runs in a transaction, re-checks the actor's permission and scope, and records an audit entry.

Data-element life cycle (`ElementEvent` history on every step):

    draft ──review──▶ reviewed ──release──▶ released ──retire──▶ retired
      ▲                  │                     │
      └────return────────┘      new_version: a copy as version n+1, a draft

A department data administrator (`catalog_editor`: add/change) drafts elements and edits drafts of their
own department; the big-data centre (`data_governor`: `standards.review_dataelement`) reviews, returns,
releases and retires. A released element never changes. Releasing version n retires the older released
versions of the same identifier, so one identifier has one released version at a time.
"""

import re

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.db.models.deletion import ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _

from dgov.core import audit
from dgov.core.errors import Conflict, PermissionDenied, ValidationError
from dgov.core.permissions import has_permission, require_in_scope, require_permission
from dgov.standards.models import (
    TYPE_FAMILIES,
    CodeSet,
    CodeValue,
    DataElement,
    DataModel,
    ElementEvent,
    ElementStatus,
    ElementType,
    ModelVersion,
)
from dgov.standards.selectors import released_element

IDENTIFIER_RE = re.compile(r"^[A-Z]{2,4}[0-9]{4,8}$")
MODEL_CODE_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{1,39}$")
NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
CHECK_DIGITS = ("", "id_number", "credit_code")
#: types whose values have a length
LENGTH_TYPES = {ElementType.STRING, ElementType.INTEGER, ElementType.DECIMAL, ElementType.BINARY}
RELATION_KINDS = ("one_to_one", "one_to_many", "many_to_one", "many_to_many")

ELEMENT_FIELDS = ["identifier", "name", "english_name", "definition", "data_type", "max_length", "format",
                  "pattern", "code_set", "value_domain", "unit", "check_digit", "personal", "department"]


# --- code sets ---------------------------------------------------------------------------------

def parse_values(text: str) -> list[tuple[str, str, str]]:
    """Code values from text, one per line: `code,name` or `code,name,parent code`."""
    values, errors = [], []
    for n, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        parts = [p.strip() for p in line.split(",")]
        if len(parts) not in (2, 3) or not parts[0] or not parts[1]:
            errors.append(_("Line %(n)d: write “code,name” or “code,name,parent code”.") % {"n": n})
            continue
        values.append((parts[0], parts[1], parts[2] if len(parts) == 3 else ""))
    if errors:
        raise ValidationError(details={"values": errors})
    return values


def _check_values(values: list[tuple[str, str, str]]) -> None:
    errors, seen = [], set()
    for code, name, parent in values:
        if len(code) > 40 or len(name) > 200 or len(parent) > 40:
            errors.append(_("Code %(code)s: a code has at most 40 characters, a name 200.") % {"code": code[:40]})
        if code in seen:
            errors.append(_("Code %(code)s appears twice.") % {"code": code})
        seen.add(code)
    for code, _name, parent in values:
        if parent and parent not in seen:
            errors.append(_("Code %(code)s: its parent %(parent)s is not in the code set.") % {
                "code": code, "parent": parent})
    if errors:
        raise ValidationError(details={"values": errors})


def codeset_save(*, actor, instance: CodeSet, values: list[tuple[str, str, str]] | None = None) -> CodeSet:
    """Create or change a city's own code set (and, given `values`, replace its values). Built-in code
    sets are reference data: refused (409)."""
    with transaction.atomic():
        creating = instance.pk is None
        require_permission(actor, CodeSet, "add" if creating else "change")
        if creating:
            instance.is_builtin = False
        else:
            stored = CodeSet.objects.select_for_update().get(pk=instance.pk)
            if stored.is_builtin:
                raise Conflict(_("A reference code set is loaded from the platform's data files and cannot be "
                                 "changed."))
        if values is not None:
            _check_values(values)
        before = {} if creating else audit.snapshot(CodeSet.objects.get(pk=instance.pk))
        try:
            instance.full_clean()
        except Exception as exc:  # django ValidationError
            raise ValidationError.from_django(exc) from None
        instance.save()
        changes = audit.created(instance) if creating else audit.diff(before, instance)
        if values is not None:
            old = list(instance.values.values_list("code", "name", "parent_code"))
            if old != [tuple(v) for v in values]:
                instance.values.all().delete()
                CodeValue.objects.bulk_create(CodeValue(code_set=instance, code=c, name=n, parent_code=p, position=i)
                                              for i, (c, n, p) in enumerate(values, 1))
                changes["values"] = [len(old), len(values)]
        audit.record(f"standards.codeset.{'create' if creating else 'change'}", instance, changes=changes,
                     actor=actor)
        return instance


def codeset_delete(*, actor, instance: CodeSet) -> None:
    with transaction.atomic():
        require_permission(actor, CodeSet, "delete")
        if instance.is_builtin:
            raise Conflict(_("A reference code set is loaded from the platform's data files and cannot be "
                             "deleted."))
        audit.record("standards.codeset.delete", instance, actor=actor)
        try:
            with transaction.atomic():
                instance.delete()
        except ProtectedError:
            raise Conflict(_("Data elements still use this code set."), code="protected",
                           details={"referenced_by": ["standards.dataelement"]}) from None


# --- data elements -----------------------------------------------------------------------------

def data_item_errors(item: dict) -> dict[str, list[str]]:
    """A catalog data item against the data element it names (`catalog.services.register_item_check`, from
    `StandardsConfig.ready()`): the element is released in the registry, the item's type is one the element's
    type accepts and its length is within the element's."""
    identifier = (item.get("data_element") or "").strip()
    if not identifier:
        return {}
    element = released_element(identifier)
    if element is None:
        message = (_("The data element %(id)s has no released version yet.")
                   if DataElement.objects.filter(identifier=identifier).exists()
                   else _("There is no data element %(id)s in the data-element registry."))
        return {"data_element": [message % {"id": identifier}]}
    errors: dict[str, list[str]] = {}
    data_type = item.get("data_type")
    if data_type and data_type not in TYPE_FAMILIES.get(element.data_type, {element.data_type}):
        errors["data_type"] = [_("The data element %(id)s (%(name)s) is of type “%(type)s”.") % {
            "id": identifier, "name": element.name, "type": element.get_data_type_display()}]
    length = item.get("length")
    if element.max_length and isinstance(length, int) and length > element.max_length:
        errors["length"] = [_("The data element %(id)s (%(name)s) allows at most %(n)d characters.") % {
            "id": identifier, "name": element.name, "n": element.max_length}]
    return errors


def validate_element(element: DataElement) -> None:
    """The element's own rules, each problem under its field."""
    errors: dict[str, list[str]] = {}

    def add(field, message):
        errors.setdefault(field, []).append(str(message))

    if not IDENTIFIER_RE.match(element.identifier or ""):
        add("identifier", _("An identifier is 2 to 4 capital letters followed by 4 to 8 digits, e.g. DE0001."))
    if element.data_type not in ElementType.values:
        add("data_type", _("Unknown data type."))
    if element.max_length is not None:
        if element.data_type not in LENGTH_TYPES:
            add("max_length", _("A date, date-and-time or boolean element has no length."))
        elif element.max_length < 1:
            add("max_length", _("The length must be at least 1."))
    elif element.data_type == ElementType.STRING:
        add("max_length", _("A string element needs its maximum length."))
    if element.pattern:
        try:
            re.compile(element.pattern)
        except re.error as exc:
            add("pattern", _("The pattern is not a valid regular expression: %(error)s") % {"error": exc})
        if element.data_type not in (ElementType.STRING, ElementType.INTEGER):
            add("pattern", _("Only string and integer elements have a pattern."))
    if element.code_set_id:
        if not CodeSet.objects.filter(pk=element.code_set_id).exists():
            add("code_set", _("No such code set."))
        if element.data_type not in (ElementType.STRING, ElementType.INTEGER):
            add("code_set", _("Only string and integer elements take their values from a code set."))
    if element.check_digit not in CHECK_DIGITS:
        add("check_digit", _("The check-digit rule is empty, id_number or credit_code."))
    elif element.check_digit:
        if element.data_type != ElementType.STRING:
            add("check_digit", _("A check-digit rule applies to string elements."))
        elif element.max_length is not None and element.max_length < 18:
            add("check_digit", _("An identity number and a credit code have 18 characters."))
    clash = DataElement.objects.filter(identifier=element.identifier, version=element.version)
    if element.pk:
        clash = clash.exclude(pk=element.pk)
    if clash.exists():
        add("identifier", _("This identifier already has a version %(v)d.") % {"v": element.version})
    if errors:
        raise ValidationError(details=errors)


def _is_reviewer(actor) -> bool:
    return has_permission(actor, DataElement, "review")


def _may_edit_draft(actor, element: DataElement) -> bool:
    """A reviewer edits any draft; a department administrator the drafts of their department (or their own)."""
    if _is_reviewer(actor):
        return True
    if element.submitted_by_id and element.submitted_by_id == actor.pk:
        return True
    dept = getattr(actor, "department_id", None)
    return dept is not None and element.department_id == dept


def _event(element, action, actor, note=""):
    ElementEvent.objects.create(element=element, action=action, to_status=element.status, note=note, actor=actor)


def element_save(*, actor, instance: DataElement) -> DataElement:
    """Create a draft element, or change a draft. Anything but a draft is refused (409): a released
    element changes by a new version."""
    with transaction.atomic():
        creating = instance.pk is None
        if creating:
            require_permission(actor, DataElement, "add")
            instance.status = ElementStatus.DRAFT
            instance.version = instance.version or 1
            instance.is_builtin = False
            instance.submitted_by = actor if getattr(actor, "pk", None) else None
            if instance.department_id is None and getattr(actor, "department_id", None):
                instance.department_id = actor.department_id
            before = {}
        else:
            require_in_scope(actor, "change", instance)
            stored = DataElement.objects.select_for_update().get(pk=instance.pk)
            if stored.status != ElementStatus.DRAFT or stored.is_builtin:
                raise Conflict(_("Only a draft can be edited; a released element changes by a new version."))
            if not _may_edit_draft(actor, stored):
                raise PermissionDenied(_("Only the drafting department or the big-data centre edits this draft."),
                                       code="out_of_scope")
            if stored.identifier != instance.identifier and stored.version > 1:
                raise ValidationError(details={"identifier": [
                    _("A new version keeps the identifier of the element it comes from.")]})
            before = audit.snapshot(stored, ELEMENT_FIELDS)
        validate_element(instance)
        try:
            instance.full_clean(exclude=["submitted_by", "reviewed_by"])
        except Exception as exc:
            raise ValidationError.from_django(exc) from None
        try:
            with transaction.atomic():
                instance.save()
        except IntegrityError:
            raise ValidationError(details={"identifier": [
                _("This identifier already has a version %(v)d.") % {"v": instance.version}]}) from None
        if creating:
            _event(instance, "create", actor)
        audit.record(f"standards.dataelement.{'create' if creating else 'change'}", instance, actor=actor,
                     changes=audit.created(instance, ELEMENT_FIELDS) if creating else audit.diff(before, instance))
        return instance


#: action → (allowed from, to, permission action, note required)
TRANSITIONS = {
    "review": ({ElementStatus.DRAFT}, ElementStatus.REVIEWED, "review", False),
    "return": ({ElementStatus.REVIEWED}, ElementStatus.DRAFT, "review", True),
    "release": ({ElementStatus.REVIEWED}, ElementStatus.RELEASED, "review", False),
    "retire": ({ElementStatus.RELEASED}, ElementStatus.RETIRED, "review", True),
}
ACTIONS = (*TRANSITIONS, "new_version")


def allowed_actions(actor, element: DataElement) -> list[str]:
    out = [a for a, (sources, _to, perm, _n) in TRANSITIONS.items()
           if element.status in sources and has_permission(actor, DataElement, perm)]
    if element.status in (ElementStatus.RELEASED, ElementStatus.RETIRED) and has_permission(actor, DataElement, "add") \
            and not DataElement.objects.filter(identifier=element.identifier, status__in=(
                ElementStatus.DRAFT, ElementStatus.REVIEWED)).exists():
        out.append("new_version")
    return out


def element_transition(*, actor, element: DataElement, action: str, note: str = "") -> DataElement:
    """Move an element through its life cycle, or (`new_version`) start its next version. Returns the
    element acted on (the new draft for `new_version`)."""
    if action == "new_version":
        return element_new_version(actor=actor, element=element, note=note)
    if action not in TRANSITIONS:
        raise ValidationError(details={"action": [_("Unknown action.")]})
    sources, target, perm, needs_note = TRANSITIONS[action]
    with transaction.atomic():
        require_permission(actor, DataElement, perm)
        element = DataElement.objects.select_for_update().get(pk=element.pk)
        if element.status not in sources:
            raise Conflict(_("This action is not possible in the element's current status."))
        note = (note or "").strip()
        if needs_note and not note:
            raise ValidationError(details={"note": [_("Say why.")]})
        before = element.status
        now = timezone.now()
        element.status = target
        if action == "review":
            element.reviewed_by, element.reviewed_at = actor, now
        elif action == "release":
            element.released_at = now
            older = DataElement.objects.select_for_update().filter(
                identifier=element.identifier, status=ElementStatus.RELEASED, version__lt=element.version)
            for old in older:
                old.status = ElementStatus.RETIRED
                old.save(update_fields=["status", "updated_at"])
                _event(old, "retire", actor, _("Superseded by version %(v)d.") % {"v": element.version})
                audit.record("standards.dataelement.retire", old, actor=actor,
                             changes={"status": [ElementStatus.RELEASED, ElementStatus.RETIRED],
                                      "superseded_by": element.version})
        element.save()
        _event(element, action, actor, note)
        audit.record(f"standards.dataelement.{action}", element, actor=actor,
                     changes={"status": [before, target], **({"note": note} if note else {})})
        return element


def element_new_version(*, actor, element: DataElement, note: str = "") -> DataElement:
    """Copy a released (or retired) element as version n+1, a draft."""
    with transaction.atomic():
        require_permission(actor, DataElement, "add")
        element = DataElement.objects.select_for_update().get(pk=element.pk)
        if element.status not in (ElementStatus.RELEASED, ElementStatus.RETIRED):
            raise Conflict(_("A new version starts from a released element."))
        if DataElement.objects.filter(identifier=element.identifier,
                                      status__in=(ElementStatus.DRAFT, ElementStatus.REVIEWED)).exists():
            raise Conflict(_("This element already has a version in preparation."))
        number = DataElement.objects.filter(identifier=element.identifier).aggregate(n=Max("version"))["n"] + 1
        copy = DataElement(**{f: getattr(element, f) for f in ELEMENT_FIELDS}, version=number,
                           status=ElementStatus.DRAFT, submitted_by=actor if getattr(actor, "pk", None) else None)
        if not copy.department_id and getattr(actor, "department_id", None):
            copy.department_id = actor.department_id
        copy.save()
        _event(copy, "new_version", actor, note or _("From version %(v)d.") % {"v": element.version})
        audit.record("standards.dataelement.new_version", copy, actor=actor,
                     changes={"from_version": element.version, "version": number})
        return copy


# --- data models -------------------------------------------------------------------------------

EMPTY_DEFINITION = {"entities": [], "relations": []}


def datamodel_save(*, actor, instance: DataModel) -> DataModel:
    """Create a model (with its first version, an empty draft) or change its name, description or
    department, within the actor's scope before and after."""
    with transaction.atomic():
        creating = instance.pk is None
        if creating:
            require_in_scope(actor, "add", instance)
            before = {}
        else:
            stored = DataModel.objects.select_for_update().get(pk=instance.pk)
            require_in_scope(actor, "change", stored)
            require_in_scope(actor, "change", instance)
            before = audit.snapshot(stored)
        if not MODEL_CODE_RE.match(instance.code or ""):
            raise ValidationError(details={"code": [
                _("A model code starts with a letter and has 2 to 40 letters, digits, “-” or “_”.")]})
        if not creating and stored.code != instance.code:
            raise ValidationError(details={"code": [_("A model's code does not change.")]})
        try:
            instance.full_clean()
        except Exception as exc:
            raise ValidationError.from_django(exc) from None
        instance.save()
        if creating:
            ModelVersion.objects.create(model=instance, number=1, definition=dict(EMPTY_DEFINITION),
                                        created_by=actor if getattr(actor, "pk", None) else None)
        audit.record(f"standards.datamodel.{'create' if creating else 'change'}", instance, actor=actor,
                     changes=audit.created(instance) if creating else audit.diff(before, instance))
        return instance


def datamodel_delete(*, actor, instance: DataModel) -> None:
    with transaction.atomic():
        require_in_scope(actor, "delete", instance)
        if instance.versions.filter(status=ModelVersion.Status.RELEASED).exists():
            raise Conflict(_("A model with a released version is kept."))
        audit.record("standards.datamodel.delete", instance, actor=actor)
        instance.delete()


def version_update(*, actor, version: ModelVersion, definition, note: str | None = None) -> ModelVersion:
    """Replace the definition of a draft version, validated strictly."""
    with transaction.atomic():
        version = ModelVersion.objects.select_for_update().select_related("model").get(pk=version.pk)
        require_in_scope(actor, "change", version.model)
        if version.status != ModelVersion.Status.DRAFT:
            raise Conflict(_("A released version never changes: start a new version."))
        clean = validate_definition(definition)
        changes = diff_definitions(version.definition, clean)
        version.definition = clean
        if note is not None:
            version.note = note[:1000]
        version.save()
        audit.record("standards.modelversion.change", version, actor=actor,
                     changes={"version": version.number, "diff": summarize_diff(changes)})
        return version


def version_release(*, actor, version: ModelVersion) -> ModelVersion:
    with transaction.atomic():
        version = ModelVersion.objects.select_for_update().select_related("model").get(pk=version.pk)
        require_in_scope(actor, "change", version.model)
        if version.status != ModelVersion.Status.DRAFT:
            raise Conflict(_("This version is already released."))
        validate_definition(version.definition)
        if not version.definition.get("entities"):
            raise ValidationError(details={"definition": [_("A version to release needs at least one entity.")]})
        version.status = ModelVersion.Status.RELEASED
        version.released_at = timezone.now()
        version.save()
        audit.record("standards.modelversion.release", version, actor=actor, changes={"version": version.number})
        return version


def version_new(*, actor, model: DataModel, note: str = "") -> ModelVersion:
    """Start version n+1 as a draft copy of the latest version (which must be released)."""
    with transaction.atomic():
        model = DataModel.objects.select_for_update().get(pk=model.pk)
        require_in_scope(actor, "change", model)
        latest = model.versions.order_by("-number").first()
        if latest is not None and latest.status == ModelVersion.Status.DRAFT:
            raise Conflict(_("The latest version is still a draft: edit it."))
        version = ModelVersion.objects.create(
            model=model, number=(latest.number + 1) if latest else 1, note=note[:1000],
            definition=latest.definition if latest else dict(EMPTY_DEFINITION),
            created_by=actor if getattr(actor, "pk", None) else None)
        audit.record("standards.modelversion.create", version, actor=actor,
                     changes={"version": version.number, "from": latest.number if latest else None})
        return version


# --- model definitions: validation, diff, physical check -----------------------------------------

ENTITY_KEYS = {"name", "label", "table", "description", "attributes"}
ATTRIBUTE_KEYS = {"name", "label", "element", "type", "length", "nullable", "key", "description"}
RELATION_KEYS = {"from", "to", "kind", "label"}


def validate_definition(definition) -> dict:
    """The definition in its normal form, or a ValidationError listing every problem under
    `definition` (each a sentence naming where it is). Attributes that name a data element take its
    type and length when they give none."""
    problems: list[str] = []

    def bad(message, **kw):
        problems.append(str(message) % kw if kw else str(message))

    if not isinstance(definition, dict):
        raise ValidationError(details={"definition": [_("The definition must be a JSON object with “entities” "
                                                        "and “relations”.")]})
    for key in set(definition) - {"entities", "relations"}:
        bad(_("Unknown key “%(key)s” at the top level."), key=key)
    entities = definition.get("entities", [])
    relations = definition.get("relations", [])
    if not isinstance(entities, list):
        bad(_("“entities” must be a list."))
        entities = []
    if not isinstance(relations, list):
        bad(_("“relations” must be a list."))
        relations = []
    elements = {}
    wanted = {a.get("element") for e in entities if isinstance(e, dict) for a in (e.get("attributes") or [])
              if isinstance(a, dict) and isinstance(a.get("element"), str) and a.get("element")}
    for el in DataElement.objects.filter(identifier__in=wanted).order_by("identifier", "version"):
        if el.status == ElementStatus.RELEASED or el.identifier not in elements:
            elements[el.identifier] = el
    out_entities, attrs_of = [], {}
    for i, entity in enumerate(entities, 1):
        if not isinstance(entity, dict):
            bad(_("Entity %(n)d must be an object."), n=i)
            continue
        name = entity.get("name")
        where = name if isinstance(name, str) and name else f"#{i}"
        for key in set(entity) - ENTITY_KEYS:
            bad(_("Entity %(e)s: unknown key “%(key)s”."), e=where, key=key)
        if not isinstance(name, str) or not NAME_RE.match(name):
            bad(_("Entity %(e)s: the name must be letters, digits and “_”, starting with a letter or “_”."), e=where)
        elif name in attrs_of:
            bad(_("Entity %(e)s is defined twice."), e=where)
        for key in ("label", "table", "description"):
            if key in entity and not isinstance(entity[key], str):
                bad(_("Entity %(e)s: “%(key)s” must be text."), e=where, key=key)
        table = entity.get("table", "")
        if isinstance(table, str) and table and not re.match(r"^[A-Za-z_][A-Za-z0-9_.$]{0,127}$", table):
            bad(_("Entity %(e)s: “table” must be a table name."), e=where)
        attributes = entity.get("attributes", [])
        if not isinstance(attributes, list) or not attributes:
            bad(_("Entity %(e)s needs a list of attributes."), e=where)
            attributes = []
        out_attrs, names = [], set()
        for j, attr in enumerate(attributes, 1):
            if not isinstance(attr, dict):
                bad(_("Entity %(e)s, attribute %(n)d must be an object."), e=where, n=j)
                continue
            aname = attr.get("name")
            at = f"{where}.{aname}" if isinstance(aname, str) and aname else f"{where}.#{j}"
            for key in set(attr) - ATTRIBUTE_KEYS:
                bad(_("Attribute %(a)s: unknown key “%(key)s”."), a=at, key=key)
            if not isinstance(aname, str) or not NAME_RE.match(aname):
                bad(_("Attribute %(a)s: the name must be letters, digits and “_”, starting with a letter or “_”."),
                    a=at)
            elif aname.lower() in names:
                bad(_("Attribute %(a)s is defined twice."), a=at)
            else:
                names.add(aname.lower())
            element_id = attr.get("element", "") or ""
            element = None
            if not isinstance(element_id, str):
                bad(_("Attribute %(a)s: “element” must be a data element identifier."), a=at)
            elif element_id:
                element = elements.get(element_id)
                if element is None:
                    bad(_("Attribute %(a)s: no data element %(el)s."), a=at, el=element_id)
            atype = attr.get("type", element.data_type if element else None)
            if atype not in ElementType.values:
                bad(_("Attribute %(a)s: “type” must be one of %(types)s."), a=at, types=", ".join(ElementType.values))
            length = attr.get("length", element.max_length if element and "type" not in attr else None)
            if length is not None and (not isinstance(length, int) or isinstance(length, bool) or length < 1):
                bad(_("Attribute %(a)s: “length” must be a positive whole number or null."), a=at)
            elif length is not None and atype in ElementType.values and atype not in LENGTH_TYPES:
                bad(_("Attribute %(a)s: a %(type)s has no length."), a=at, type=atype)
            for key in ("nullable", "key"):
                if key in attr and not isinstance(attr[key], bool):
                    bad(_("Attribute %(a)s: “%(key)s” must be true or false."), a=at, key=key)
            for key in ("label", "description"):
                if key in attr and not isinstance(attr[key], str):
                    bad(_("Attribute %(a)s: “%(key)s” must be text."), a=at, key=key)
            is_key = attr.get("key", False) is True
            nullable = attr.get("nullable", not is_key)
            if is_key and nullable is True:
                bad(_("Attribute %(a)s: a key attribute cannot be nullable."), a=at)
            out_attrs.append({"name": aname, "label": attr.get("label", element.name if element else ""),
                              "element": element_id if isinstance(element_id, str) else "", "type": atype,
                              "length": length, "nullable": nullable, "key": is_key,
                              **({"description": attr["description"]} if attr.get("description") else {})})
        if isinstance(name, str) and NAME_RE.match(name) and name not in attrs_of:
            attrs_of[name] = {a["name"] for a in out_attrs if isinstance(a["name"], str)}
        out_entities.append({"name": name, "label": entity.get("label", ""), "table": table or "",
                             **({"description": entity["description"]} if entity.get("description") else {}),
                             "attributes": out_attrs})
    out_relations, seen = [], set()
    for k, rel in enumerate(relations, 1):
        if not isinstance(rel, dict):
            bad(_("Relation %(n)d must be an object."), n=k)
            continue
        for key in set(rel) - RELATION_KEYS:
            bad(_("Relation %(n)d: unknown key “%(key)s”."), n=k, key=key)
        for end in ("from", "to"):
            ref = rel.get(end)
            if not isinstance(ref, str) or ref.count(".") != 1:
                bad(_("Relation %(n)d: “%(end)s” must be “entity.attribute”."), n=k, end=end)
                continue
            ent, att = ref.split(".")
            if ent not in attrs_of:
                bad(_("Relation %(n)d: no entity %(e)s."), n=k, e=ent)
            elif att not in attrs_of[ent]:
                bad(_("Relation %(n)d: entity %(e)s has no attribute %(a)s."), n=k, e=ent, a=att)
        kind = rel.get("kind", "many_to_one")
        if kind not in RELATION_KINDS:
            bad(_("Relation %(n)d: “kind” must be one of %(kinds)s."), n=k, kinds=", ".join(RELATION_KINDS))
        key = (rel.get("from"), rel.get("to"))
        if key in seen:
            bad(_("Relation %(n)d is defined twice."), n=k)
        seen.add(key)
        out_relations.append({"from": rel.get("from"), "to": rel.get("to"), "kind": kind,
                              **({"label": rel["label"]} if rel.get("label") else {})})
    if problems:
        raise ValidationError(details={"definition": problems})
    return {"entities": out_entities, "relations": out_relations}


ATTRIBUTE_COMPARED = ("label", "element", "type", "length", "nullable", "key")


def diff_definitions(old: dict, new: dict) -> dict:
    """What changed from `old` to `new`: entities added/removed/changed (label, table), attributes
    added/removed/changed (field → [old, new]), relations added/removed."""
    old, new = old or {}, new or {}
    a = {e["name"]: e for e in old.get("entities", [])}
    b = {e["name"]: e for e in new.get("entities", [])}
    out = {"entities_added": [n for n in b if n not in a], "entities_removed": [n for n in a if n not in b],
           "entities_changed": [], "attributes_added": [], "attributes_removed": [], "attributes_changed": [],
           "relations_added": [], "relations_removed": []}
    for name in (n for n in b if n in a):
        ea, eb = a[name], b[name]
        changes = {k: [ea.get(k, ""), eb.get(k, "")] for k in ("label", "table") if ea.get(k, "") != eb.get(k, "")}
        if changes:
            out["entities_changed"].append({"entity": name, "changes": changes})
        aa = {x["name"]: x for x in ea.get("attributes", [])}
        ab = {x["name"]: x for x in eb.get("attributes", [])}
        out["attributes_added"] += [{"entity": name, "attribute": n} for n in ab if n not in aa]
        out["attributes_removed"] += [{"entity": name, "attribute": n} for n in aa if n not in ab]
        for n in (n for n in ab if n in aa):
            changes = {k: [aa[n].get(k), ab[n].get(k)] for k in ATTRIBUTE_COMPARED if aa[n].get(k) != ab[n].get(k)}
            if changes:
                out["attributes_changed"].append({"entity": name, "attribute": n, "changes": changes})

    def rel_key(r):
        return (r.get("from"), r.get("to"), r.get("kind"))

    ra = {rel_key(r): r for r in old.get("relations", [])}
    rb = {rel_key(r): r for r in new.get("relations", [])}
    out["relations_added"] = [rb[k] for k in rb if k not in ra]
    out["relations_removed"] = [ra[k] for k in ra if k not in rb]
    return out


def summarize_diff(diff: dict) -> dict:
    return {k: len(v) for k, v in diff.items() if v}


#: the columns `dgov.aggregation.datastore` adds to every data-store table
DATASTORE_BOOKKEEPING = ("_key", "_seq", "_loaded_at", "_deleted")


class Problem:
    MISSING = "missing_column"
    EXTRA = "extra_column"
    TYPE = "type_mismatch"
    LENGTH = "length_mismatch"
    NULLABLE = "nullability_mismatch"
    KEY = "key_mismatch"


def entity_of(definition: dict, entity_name: str) -> dict | None:
    return next((e for e in (definition or {}).get("entities", []) if e.get("name") == entity_name), None)


def check_physical(version: ModelVersion, entity_name: str, meta_table) -> dict:
    """Compare a harvested table (`metadata.MetaTable`, its live columns) with an entity of a model
    version. Pure: reads the harvested metadata, never the database itself.

    Columns and attributes are matched by name, case-insensitively. Reported, each as
    `{"kind", "column", "expected", "actual"}`:
    - `missing_column`: an attribute without a column; `extra_column`: a column without an attribute;
    - `type_mismatch`: the column's type family (`MetaColumn.type_family`) is not the attribute's type;
    - `length_mismatch`: both state a length and they differ (a column without a length — TEXT — holds any);
    - `nullability_mismatch`: the attribute is not nullable and the column is, or the reverse;
    - `key_mismatch`: the attribute is a key and the column is not in the primary key, or the reverse.

    A data-store table is compared without the data store's bookkeeping columns (`_key`, `_seq`, …), and its
    key is its dataset's key columns (the data store keys rows by `_key`, made from them).
    """
    entity = entity_of(version.definition, entity_name)
    if entity is None:
        raise ValidationError(details={"entity": [_("No entity %(e)s in this version.") % {"e": entity_name}]})
    columns = {c.name.lower(): c for c in meta_table.columns.all() if c.dropped_at is None}
    pk = {n.lower() for n in (meta_table.primary_key or [])}
    if meta_table.is_datastore:
        # The data store's own bookkeeping columns are not the model's; its primary key is `_key`, made
        # from the dataset's key columns: those are the table's key.
        for name in DATASTORE_BOOKKEEPING:
            columns.pop(name, None)
        if meta_table.dataset_id:
            pk = {c.name.lower() for c in meta_table.dataset.columns.all() if c.is_key}
            for column in columns.values():
                column.is_primary_key = column.name.lower() in pk
    problems = []
    attrs = {a["name"].lower(): a for a in entity.get("attributes", [])}
    for key, attr in attrs.items():
        column = columns.get(key)
        if column is None:
            problems.append({"kind": Problem.MISSING, "column": attr["name"], "expected": attr.get("type"),
                             "actual": None})
            continue
        if column.type_family != attr.get("type"):
            problems.append({"kind": Problem.TYPE, "column": column.name, "expected": attr.get("type"),
                             "actual": column.type_family or column.data_type})
        if attr.get("length") is not None and column.max_length is not None and column.max_length != attr["length"]:
            problems.append({"kind": Problem.LENGTH, "column": column.name, "expected": attr["length"],
                             "actual": column.max_length})
        nullable = attr.get("nullable", True)
        if bool(nullable) != bool(column.nullable):
            problems.append({"kind": Problem.NULLABLE, "column": column.name, "expected": bool(nullable),
                             "actual": bool(column.nullable)})
        in_key = column.is_primary_key or key in pk
        if bool(attr.get("key")) != in_key:
            problems.append({"kind": Problem.KEY, "column": column.name, "expected": bool(attr.get("key")),
                             "actual": in_key})
    for key, column in columns.items():
        if key not in attrs:
            problems.append({"kind": Problem.EXTRA, "column": column.name, "expected": None,
                             "actual": column.type_family or column.data_type})
    return {"entity": entity_name, "table": meta_table.qualified_name, "table_id": meta_table.pk,
            "ok": not problems, "problems": problems}
