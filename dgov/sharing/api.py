"""`/api/v1/exchange/requests` and `/api/v1/exchange/grants`: sharing requests (list with filters,
one request with its history, submitting, and the steps provider approve / reject, centre approve
/ reject, withdraw) and the grants they produced (list, one grant, revoke)."""

from contextlib import contextmanager

from django.db.models import Prefetch, prefetch_related_objects
from django.utils.translation import gettext as _
from ninja import Path, Query, Router, Status
from ninja.pagination import paginate

from dgov.accounts.models import Application
from dgov.catalog.models import CatalogEntry
from dgov.core.api import READ_ERRORS, WRITE_ERRORS, Pagination, actor_of, by_natural_key
from dgov.core.errors import ValidationError
from dgov.core.permissions import require_in_scope, require_permission
from dgov.core.schemas import MAX_ID
from dgov.orgs.models import Department
from dgov.sharing import selectors, services
from dgov.sharing.models import Grant, SharingEvent, SharingRequest
from dgov.sharing.schemas import (
    SharingGrantOut,
    SharingGrantQuery,
    SharingProviderApproveIn,
    SharingReasonIn,
    SharingRequestDetailOut,
    SharingRequestIn,
    SharingRequestOut,
    SharingRequestQuery,
)

requests_router = Router(tags=["sharing requests"])
grants_router = Router(tags=["sharing grants"])
REQUEST = "/{number}"


def _request(request, number: str, action: str = "view") -> SharingRequest:
    if not services.NUMBER.fullmatch(number):
        raise ValidationError(details={"number": [_("A request number is GX, the year and five digits, "
                                                    "e.g. GX202600001.")]})
    return selectors.request_for(actor_of(request), number, action)


@contextmanager
def _inputs_named(**names):
    """The services name model fields in their errors; the API's inputs are named after codes."""
    try:
        yield
    except ValidationError as exc:
        if isinstance(exc.details, dict):
            exc.details = {names.get(field, field): messages for field, messages in exc.details.items()}
        raise


def _detail(user, obj: SharingRequest) -> SharingRequest:
    obj = selectors.request_for(user, obj.number)
    prefetch_related_objects([obj], Prefetch("events", SharingEvent.objects.select_related("actor", "department")))
    grant = obj.grants.order_by("-pk").values_list("pk", flat=True).first()
    obj.grant_id = grant
    return obj


@requests_router.get("", response={200: list[SharingRequestOut], **READ_ERRORS}, operation_id="list_sharing_requests")
@paginate(Pagination)
def list_requests(request, query: SharingRequestQuery = Query(...)):
    """The requests your department made and those for its data (the big-data centre: all), newest
    first. `overdue=true`: waiting past the current step's deadline."""
    actor = actor_of(request)
    return selectors.filter_requests(
        selectors.visible_requests(actor), actor, status=query.status.value if query.status else "",
        overdue=query.overdue, role=query.role, department=query.department, q=query.q).order_by("-number")


@requests_router.post("", response={201: SharingRequestDetailOut, **WRITE_ERRORS},
                      operation_id="create_sharing_request")
def create_request(request, payload: SharingRequestIn):
    """Submit a request. 无条件共享 data is granted at once (status `granted`); 有条件共享 data waits
    for the provider (`submitted`). 不予共享 entries or items and negative-listed items are refused
    (422, code `negative_list` for the negative list), naming the item."""
    actor = actor_of(request)
    require_permission(actor, SharingRequest, "add")
    data = payload.dict()
    department_code = data.pop("department_code")
    app_code, entry_code = data.pop("application_code"), data.pop("entry_code")
    obj = SharingRequest(**data)
    if department_code:
        obj.department = by_natural_key(Department, "department_code", _("No department has this code."),
                                        code=department_code)
    elif getattr(actor, "department_id", None):
        obj.department_id = actor.department_id
    if obj.department_id:
        # First the department: whether an application code belongs to a department outside the
        # caller's scope is not the caller's to learn from the answers below.
        require_in_scope(actor, "add", obj)
    # An unknown code and one of another department get one answer: no oracle for other departments'
    # applications or unpublished entries.
    app = Application.objects.select_related("account").filter(code=app_code.strip()).first()
    if app is None or app.department_id != obj.department_id:
        raise ValidationError(details={"application_code": [_("Choose an application of the consumer department.")]})
    obj.application = app
    obj.entry = CatalogEntry.objects.filter(code=entry_code.strip()).first()
    with _inputs_named(department="department_code", application="application_code", entry="entry_code"):
        services.submit(actor=actor, instance=obj)
    return Status(201, _detail(actor, obj))


@requests_router.get(REQUEST, response={200: SharingRequestDetailOut, **READ_ERRORS},
                     operation_id="get_sharing_request")
def get_request(request, number: str):
    """One request with its history."""
    return _detail(actor_of(request), _request(request, number))


@requests_router.post(f"{REQUEST}/provider-approve", response={200: SharingRequestDetailOut, **WRITE_ERRORS},
                      operation_id="provider_approve_sharing_request")
def provider_approve(request, number: str, payload: SharingProviderApproveIn):
    """The provider department approves, with a `reason`; it may narrow the `items` and set a
    `row_filter`, `daily_quota`, `rate_limit`, `unmasked_items` and an earlier `expires_on`. The
    request then waits for the big-data centre."""
    actor = actor_of(request)
    obj = _request(request, number)
    data = payload.dict()
    services.provider_approve(actor=actor, request=obj, **data)
    return _detail(actor, obj)


def _step_view(action: str):
    service = services.ACTIONS[action]

    def view(request, number: str, payload: SharingReasonIn):
        actor = actor_of(request)
        obj = _request(request, number)
        service(actor=actor, request=obj, reason=payload.reason)
        return _detail(actor, obj)

    view.__name__ = f"{action}_request"
    view.__doc__ = {
        "provider_reject": "The provider department rejects the request, with its `reason`.",
        "centre_approve": "The big-data centre approves a request the provider approved, with a `reason`: the "
                          "grant is created at once and the consumer can call the data service.",
        "centre_reject": "The big-data centre rejects a request the provider approved, with its `reason`.",
        "withdraw": "The consumer department withdraws a pending request, with a `reason`.",
    }[action]
    return view


for _action in ("provider_reject", "centre_approve", "centre_reject", "withdraw"):
    requests_router.post(f"{REQUEST}/{_action.replace('_', '-')}",
                         response={200: SharingRequestDetailOut, **WRITE_ERRORS},
                         operation_id=f"{_action}_sharing_request")(_step_view(_action))


# --- grants ---------------------------------------------------------------------------------------
@grants_router.get("", response={200: list[SharingGrantOut], **READ_ERRORS}, operation_id="list_sharing_grants")
@paginate(Pagination)
def list_grants(request, query: SharingGrantQuery = Query(...)):
    """The grants held by your department's applications and those of its data (the big-data
    centre: all), newest first."""
    actor = actor_of(request)
    return selectors.filter_grants(
        selectors.visible_grants(actor), actor, status=query.status.value if query.status else "",
        usable=query.usable, role=query.role, application=query.application, entry=query.entry, q=query.q)


def _grant(request, grant_id: int, action: str = "view") -> Grant:
    if not 1 <= grant_id <= MAX_ID:
        raise ValidationError(details={"grant_id": [_("A grant id is a positive whole number.")]})
    return selectors.grant_for(actor_of(request), grant_id, action)


@grants_router.get("/{grant_id}", response={200: SharingGrantOut, **READ_ERRORS}, operation_id="get_sharing_grant")
def get_grant(request, grant_id: int = Path(..., ge=1, le=MAX_ID)):
    """One grant."""
    return _grant(request, grant_id)


@grants_router.post("/{grant_id}/revoke", response={200: SharingGrantOut, **WRITE_ERRORS},
                    operation_id="revoke_sharing_grant")
def revoke_grant(request, payload: SharingReasonIn, grant_id: int = Path(..., ge=1, le=MAX_ID)):
    """Revoke an active grant at once, with a `reason`: the provider department or the big-data
    centre. The gateway refuses the next call."""
    actor = actor_of(request)
    grant = _grant(request, grant_id)
    services.revoke(actor=actor, grant=grant, reason=payload.reason)
    return selectors.grant_for(actor, grant.pk)
