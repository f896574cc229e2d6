"""`/api/v1/governance/standards`: code sets, the data-element registry with its life cycle, and data
models with their versions, the diff between two versions and the check of a harvested table against an
entity."""

from django.utils.translation import gettext as _
from ninja import Query, Router, Status
from ninja.pagination import paginate

from dgov.core.api import READ_ERRORS, WRITE_ERRORS, Mapped, Pagination, actor_of, by_natural_key
from dgov.core.errors import ValidationError
from dgov.core.permissions import require_permission
from dgov.core.schemas import Id
from dgov.orgs.models import Department
from dgov.standards import selectors, services
from dgov.standards.models import CodeSet, DataElement, DataModel, ModelVersion
from dgov.standards.schemas import (
    StandardsCheckOut,
    StandardsCheckQuery,
    StandardsCodeSetDetailOut,
    StandardsCodeSetIn,
    StandardsCodeSetOut,
    StandardsCodeSetPatchIn,
    StandardsCodeSetQuery,
    StandardsDiffOut,
    StandardsDiffQuery,
    StandardsElementDetailOut,
    StandardsElementIn,
    StandardsElementOut,
    StandardsElementPatchIn,
    StandardsElementQuery,
    StandardsModelDetailOut,
    StandardsModelIn,
    StandardsModelOut,
    StandardsModelPatchIn,
    StandardsModelQuery,
    StandardsNewVersionIn,
    StandardsTransitionIn,
    StandardsVersionIn,
    StandardsVersionOut,
    StandardsVersionSummaryOut,
    VersionNumber,
)

router = Router(tags=["standards"])


# --- code sets -----------------------------------------------------------------------------------

def codeset_out(cs: CodeSet, values: bool = False) -> dict:
    out = {"id": cs.pk, "code": cs.code, "name": cs.name, "standard": cs.standard, "version": cs.version,
           "source": cs.source, "description": cs.description, "is_builtin": cs.is_builtin}
    if values:
        out["values"] = [{"code": v.code, "name": v.name, "parent_code": v.parent_code} for v in cs.values.all()]
    return out


@router.get("/codesets", response={200: list[StandardsCodeSetOut], **READ_ERRORS},
            operation_id="list_standards_codesets")
@paginate(Pagination)
def list_codesets(request, query: StandardsCodeSetQuery = Query(...)):
    """Code sets (national reference ones and the city's own), by `q` (code or name) and `builtin`."""
    return Mapped(selectors.codesets(actor_of(request), q=query.q, builtin=query.builtin), codeset_out)


@router.get("/codesets/{codeset_id}", response={200: StandardsCodeSetDetailOut, **READ_ERRORS},
            operation_id="get_standards_codeset")
def get_codeset(request, codeset_id: Id):
    return codeset_out(selectors.codeset_for(actor_of(request), codeset_id), values=True)


def _values(items) -> list[tuple[str, str, str]]:
    return [(v.code.strip(), v.name.strip(), v.parent_code.strip()) for v in items]


@router.post("/codesets", response={201: StandardsCodeSetDetailOut, **WRITE_ERRORS},
             operation_id="create_standards_codeset")
def create_codeset(request, payload: StandardsCodeSetIn):
    """A city's own code set with its values (`is_builtin` false)."""
    actor = actor_of(request)
    require_permission(actor, CodeSet, "add")
    data = payload.dict()
    values = _values(payload.values)
    data.pop("values")
    if CodeSet.objects.filter(code=data["code"]).exists():
        raise ValidationError(details={"code": [_("A code set with this code exists.")]})
    cs = services.codeset_save(actor=actor, instance=CodeSet(**data), values=values)
    return Status(201, codeset_out(selectors.codeset_for(actor, cs.pk), values=True))


@router.patch("/codesets/{codeset_id}", response={200: StandardsCodeSetDetailOut, **WRITE_ERRORS},
              operation_id="update_standards_codeset")
def update_codeset(request, codeset_id: Id, payload: StandardsCodeSetPatchIn):
    """Change a city's code set (`values`, when given, replace all values); reference code sets: 409."""
    actor = actor_of(request)
    cs = selectors.codeset_for(actor, codeset_id, "change")
    data = payload.dict(exclude_unset=True)
    values = _values(payload.values) if data.pop("values", None) is not None else None
    for key, value in data.items():
        if value is not None:
            setattr(cs, key, value)
    services.codeset_save(actor=actor, instance=cs, values=values)
    return codeset_out(selectors.codeset_for(actor, cs.pk), values=True)


@router.delete("/codesets/{codeset_id}", response={204: None, **WRITE_ERRORS}, operation_id="delete_standards_codeset")
def delete_codeset(request, codeset_id: Id):
    actor = actor_of(request)
    services.codeset_delete(actor=actor, instance=selectors.codeset_for(actor, codeset_id, "delete"))
    return Status(204, None)


# --- data elements -------------------------------------------------------------------------------

def element_out(el: DataElement) -> dict:
    return {"id": el.pk, "identifier": el.identifier, "version": el.version, "name": el.name,
            "english_name": el.english_name, "definition": el.definition, "data_type": el.data_type,
            "max_length": el.max_length, "format": el.format, "pattern": el.pattern,
            "code_set": el.code_set.code if el.code_set_id else None, "value_domain": el.value_domain,
            "unit": el.unit, "check_digit": el.check_digit, "personal": el.personal, "status": el.status,
            "department_code": el.department.code if el.department_id else None, "is_builtin": el.is_builtin,
            "released_at": el.released_at}


def element_detail(el: DataElement, user) -> dict:
    usage = selectors.element_usage(el, user)
    return {**element_out(el), "allowed_actions": services.allowed_actions(user, el),
            "history": [{"action": e.action, "to_status": e.to_status, "note": e.note, "at": e.created_at,
                         "by": (e.actor.real_name or e.actor.username) if e.actor else ""}
                        for e in el.events.select_related("actor")],
            "versions": list(selectors.element_versions(el).values_list("version", flat=True)),
            "used_by_data_items": usage["data_items"].count(), "used_by_columns": usage["columns"].count()}


def _element_values(data: dict) -> dict:
    values, errors = dict(data), {}
    if "code_set" in values:
        code = values.pop("code_set")
        values["code_set"] = None
        if code:
            values["code_set"] = CodeSet.objects.filter(code=code).first()
            if values["code_set"] is None:
                errors["code_set"] = [_("No such code set.")]
    if "department_code" in values:
        code = values.pop("department_code")
        values["department"] = None
        if code:
            values["department"] = Department.objects.filter(code=code).first()
            if values["department"] is None:
                errors["department_code"] = [_("No such department.")]
    if "data_type" in values and values["data_type"] is not None:
        values["data_type"] = getattr(values["data_type"], "value", values["data_type"])
    if errors:
        raise ValidationError(details=errors)
    return values


@router.get("/elements", response={200: list[StandardsElementOut], **READ_ERRORS},
            operation_id="list_standards_elements")
@paginate(Pagination)
def list_elements(request, query: StandardsElementQuery = Query(...)):
    """Data elements (every version), by `status`, `q` (identifier, name, definition) and `identifier`."""
    return Mapped(selectors.elements(actor_of(request), status=query.status.value if query.status else "",
                                     q=query.q, identifier=query.identifier), element_out)


@router.get("/elements/{element_id}", response={200: StandardsElementDetailOut, **READ_ERRORS},
            operation_id="get_standards_element")
def get_element(request, element_id: Id):
    actor = actor_of(request)
    return element_detail(selectors.element_for(actor, element_id), actor)


@router.post("/elements", response={201: StandardsElementDetailOut, **WRITE_ERRORS},
             operation_id="create_standards_element")
def create_element(request, payload: StandardsElementIn):
    """Draft a data element (version 1)."""
    actor = actor_of(request)
    require_permission(actor, DataElement, "add")
    values = _element_values(payload.dict())
    if values.get("department") is None:
        values.pop("department")
    el = services.element_save(actor=actor, instance=DataElement(**values))
    return Status(201, element_detail(selectors.element_for(actor, el.pk), actor))


@router.patch("/elements/{element_id}", response={200: StandardsElementDetailOut, **WRITE_ERRORS},
              operation_id="update_standards_element")
def update_element(request, element_id: Id, payload: StandardsElementPatchIn):
    """Change a draft (409 for any other status)."""
    actor = actor_of(request)
    el = selectors.element_for(actor, element_id, "change")
    data = payload.dict(exclude_unset=True)
    for key in ("identifier", "name", "definition", "data_type"):
        if key in data and data[key] is None:
            raise ValidationError(details={key: [_("This field cannot be empty.")]})
    for key, value in _element_values(data).items():
        setattr(el, key, "" if value is None and key not in ("max_length", "code_set", "department") else value)
    services.element_save(actor=actor, instance=el)
    return element_detail(selectors.element_for(actor, el.pk), actor)


@router.post("/elements/{element_id}/transitions", response={200: StandardsElementDetailOut, **WRITE_ERRORS},
             operation_id="transition_standards_element")
def transition_element(request, element_id: Id, payload: StandardsTransitionIn):
    """review, return (note), release, retire (note) — the big-data centre; new_version — a copy of a
    released element as version n+1 (answers the new draft)."""
    actor = actor_of(request)
    el = services.element_transition(actor=actor, element=selectors.element_for(actor, element_id),
                                     action=payload.action, note=payload.note)
    return element_detail(selectors.element_for(actor, el.pk), actor)


# --- data models ---------------------------------------------------------------------------------

def version_summary(v: ModelVersion) -> dict:
    return {"number": v.number, "status": v.status, "note": v.note, "created_at": v.created_at,
            "released_at": v.released_at}


def model_out(m: DataModel, versions: bool = False) -> dict:
    all_versions = list(m.versions.order_by("-number"))
    released = next((v.number for v in all_versions if v.status == ModelVersion.Status.RELEASED), None)
    out = {"code": m.code, "name": m.name, "description": m.description, "department_code": m.department.code,
           "department": m.department.name, "latest_version": all_versions[0].number if all_versions else None,
           "released_version": released}
    if versions:
        out["versions"] = [version_summary(v) for v in all_versions]
    return out


def version_out(v: ModelVersion) -> dict:
    return {**version_summary(v), "model": v.model.code, "definition": v.definition}


@router.get("/models", response={200: list[StandardsModelOut], **READ_ERRORS}, operation_id="list_standards_models")
@paginate(Pagination)
def list_models(request, query: StandardsModelQuery = Query(...)):
    """Data models in your scope, by `q` (code or name) and `department` (code)."""
    return Mapped(selectors.datamodels(actor_of(request), q=query.q, department=query.department), model_out)


@router.post("/models", response={201: StandardsModelDetailOut, **WRITE_ERRORS}, operation_id="create_standards_model")
def create_model(request, payload: StandardsModelIn):
    """A data model of a department in your scope, with version 1 as an empty draft."""
    actor = actor_of(request)
    require_permission(actor, DataModel, "add")
    data = payload.dict()
    department = by_natural_key(Department, "department_code", _("No such department."),
                                code=data.pop("department_code"))
    if DataModel.objects.filter(code=data["code"]).exists():
        raise ValidationError(details={"code": [_("A data model with this code exists.")]})
    m = services.datamodel_save(actor=actor, instance=DataModel(department=department, **data))
    return Status(201, model_out(m, versions=True))


@router.get("/models/{code}", response={200: StandardsModelDetailOut, **READ_ERRORS},
            operation_id="get_standards_model")
def get_model(request, code: str):
    return model_out(selectors.datamodel_for(actor_of(request), code), versions=True)


@router.patch("/models/{code}", response={200: StandardsModelDetailOut, **WRITE_ERRORS},
              operation_id="update_standards_model")
def update_model(request, code: str, payload: StandardsModelPatchIn):
    actor = actor_of(request)
    m = selectors.datamodel_for(actor, code, "change")
    for key, value in payload.dict(exclude_unset=True).items():
        if value is not None:
            setattr(m, key, value)
    return model_out(services.datamodel_save(actor=actor, instance=m), versions=True)


@router.get("/models/{code}/versions", response={200: list[StandardsVersionSummaryOut], **READ_ERRORS},
            operation_id="list_standards_model_versions")
def list_versions(request, code: str):
    m = selectors.datamodel_for(actor_of(request), code)
    return [version_summary(v) for v in m.versions.order_by("-number")]


@router.post("/models/{code}/versions", response={201: StandardsVersionOut, **WRITE_ERRORS},
             operation_id="create_standards_model_version")
def create_version(request, code: str, payload: StandardsNewVersionIn):
    """Start version n+1 from the latest (released) version, as a draft."""
    actor = actor_of(request)
    v = services.version_new(actor=actor, model=selectors.datamodel_for(actor, code, "change"), note=payload.note)
    return Status(201, version_out(v))


@router.get("/models/{code}/versions/{number}", response={200: StandardsVersionOut, **READ_ERRORS},
            operation_id="get_standards_model_version")
def get_version(request, code: str, number: VersionNumber):
    m = selectors.datamodel_for(actor_of(request), code)
    return version_out(selectors.version_of(m, number))


@router.put("/models/{code}/versions/{number}", response={200: StandardsVersionOut, **WRITE_ERRORS},
            operation_id="update_standards_model_version")
def update_version(request, code: str, number: VersionNumber, payload: StandardsVersionIn):
    """Replace a draft version's definition (validated strictly: 422 lists every problem)."""
    actor = actor_of(request)
    m = selectors.datamodel_for(actor, code, "change")
    v = services.version_update(actor=actor, version=selectors.version_of(m, number), definition=payload.definition,
                                note=payload.note)
    return version_out(v)


@router.post("/models/{code}/versions/{number}/release", response={200: StandardsVersionOut, **WRITE_ERRORS},
             operation_id="release_standards_model_version")
def release_version(request, code: str, number: VersionNumber):
    actor = actor_of(request)
    m = selectors.datamodel_for(actor, code, "change")
    return version_out(services.version_release(actor=actor, version=selectors.version_of(m, number)))


@router.get("/models/{code}/diff", response={200: StandardsDiffOut, **READ_ERRORS},
            operation_id="diff_standards_model_versions")
def diff_versions(request, code: str, query: StandardsDiffQuery = Query(...)):
    """What changed from version `from` to version `to`."""
    m = selectors.datamodel_for(actor_of(request), code)
    a, b = selectors.version_of(m, query.from_), selectors.version_of(m, query.to)
    return {"model": m.code, "from_version": a.number, "to_version": b.number,
            **services.diff_definitions(a.definition, b.definition)}


@router.get("/models/{code}/versions/{number}/check", response={200: StandardsCheckOut, **READ_ERRORS},
            operation_id="check_standards_model_table")
def check_table(request, code: str, number: VersionNumber, query: StandardsCheckQuery = Query(...)):
    """Check a harvested table (`table`: its id) against the entity `entity` of this version: missing and
    extra columns, type family, length, nullability and key mismatches."""
    actor = actor_of(request)
    m = selectors.datamodel_for(actor, code)
    v = selectors.version_of(m, number)
    table = selectors.meta_table_for(actor, query.table)
    return {"model": m.code, "version": v.number, **services.check_physical(v, query.entity, table)}
