"""`/api/v1/catalog/demands`: the data supply–demand list. List (filters: state, overdue, role,
department, q), one demand with its history and the suggested catalog entries, filing, changing an
open demand, and the steps match / confirm / reject / fulfil."""

import re
from contextlib import contextmanager

from django.db.models import Prefetch, prefetch_related_objects
from django.utils.translation import gettext as _
from ninja import Query, Router, Status
from ninja.pagination import paginate

from dgov.catalog.models import CatalogEntry
from dgov.core.api import READ_ERRORS, WRITE_ERRORS, Pagination, actor_of, by_natural_key
from dgov.core.errors import ValidationError
from dgov.core.permissions import require_permission
from dgov.demands import selectors, services
from dgov.demands.models import DataDemand, DemandEvent, State
from dgov.demands.schemas import (
    ConfirmIn,
    DemandDetailOut,
    DemandIn,
    DemandOut,
    DemandPatch,
    DemandQuery,
    FulfilIn,
    MatchIn,
    RejectIn,
)
from dgov.orgs.models import Department

router = Router(tags=["demands"])
NUMBER = re.compile(r"XQ[0-9]{9}")
DEMAND = "/{number}"


def _demand(request, number: str, action: str = "view") -> DataDemand:
    if not NUMBER.fullmatch(number):
        raise ValidationError(details={"number": [_("A demand number is XQ, the year and five digits, "
                                                    "e.g. XQ202600001.")]})
    return selectors.demand_for(actor_of(request), number, action)


@contextmanager
def _inputs_named(**names):
    """The services name model fields in their errors; the API's inputs are named after codes."""
    try:
        yield
    except ValidationError as exc:
        if isinstance(exc.details, dict):
            exc.details = {names.get(field, field): messages for field, messages in exc.details.items()}
        raise


def _detail(user, demand: DataDemand) -> DataDemand:
    """The demand as `DemandDetailOut` shows it: with its history and, while open, the suggestions."""
    demand = selectors.demand_for(user, demand.number)
    prefetch_related_objects([demand], Prefetch("events", DemandEvent.objects.select_related("actor", "department")))
    demand.suggestions = selectors.suggestions(user, demand) if demand.state == State.OPEN else []
    return demand


@router.get("", response={200: list[DemandOut], **READ_ERRORS}, operation_id="list_data_demands")
@paginate(Pagination)
def list_demands(request, query: DemandQuery = Query(...)):
    """The demands your department filed and those addressed to it (the big-data centre: all),
    newest first. `overdue=true`: waiting for the provider past the reply deadline."""
    actor = actor_of(request)
    return selectors.filter_demands(
        selectors.visible_demands(actor), actor, state=query.state.value if query.state else "",
        overdue=query.overdue, role=query.role, department=query.department, q=query.q).order_by("-number")


@router.post("", response={201: DemandDetailOut, **WRITE_ERRORS}, operation_id="create_data_demand")
def create_demand(request, payload: DemandIn):
    """File a demand (state `open`). The requesting department defaults to yours."""
    actor = actor_of(request)
    require_permission(actor, DataDemand, "add")
    data = payload.dict()
    code = data.pop("department_code")
    demand = DataDemand(**data)
    if code:
        demand.department = by_natural_key(Department, "department_code", _("No department has this code."),
                                           code=code)
    with _inputs_named(department="department_code"):
        services.demand_save(actor=actor, instance=demand)
    return Status(201, _detail(actor, demand))


@router.get(DEMAND, response={200: DemandDetailOut, **READ_ERRORS}, operation_id="get_data_demand")
def get_demand(request, number: str):
    """One demand with its history; while open, the catalog entries suggested for it."""
    return _detail(actor_of(request), _demand(request, number))


@router.patch(DEMAND, response={200: DemandDetailOut, **WRITE_ERRORS}, operation_id="update_data_demand")
def update_demand(request, number: str, payload: DemandPatch):
    """Change a demand while it is open (409 afterwards): the requesting department."""
    actor = actor_of(request)
    demand = _demand(request, number, "change")
    for name, value in payload.dict(exclude_unset=True).items():
        if value is not None:
            setattr(demand, name, value)
    services.demand_save(actor=actor, instance=demand)
    return _detail(actor, demand)


@router.post(f"{DEMAND}/match", response={200: DemandDetailOut, **WRITE_ERRORS}, operation_id="match_data_demand")
def match_demand(request, number: str, payload: MatchIn):
    """Match an open demand to a published catalog entry (the big-data centre or the requesting
    department): the entry's department becomes the provider, who must answer within the configured
    number of working days (`due_on`)."""
    actor = actor_of(request)
    demand = _demand(request, number)
    # An unknown code and one the actor may not see get the service's one answer: no oracle for
    # other departments' unpublished entries.
    entry = CatalogEntry.objects.filter(code=payload.entry_code.strip()).first()
    with _inputs_named(entry="entry_code"):
        services.match(actor=actor, demand=demand, entry=entry)
    return _detail(actor, demand)


def _step_view(action: str, schema):
    service, field = services.ACTIONS[action]

    def view(request, number: str, payload: schema):  # type: ignore[valid-type]
        actor = actor_of(request)
        demand = _demand(request, number)
        service(actor=actor, demand=demand, **{field: getattr(payload, field)})
        return _detail(actor, demand)

    view.__name__ = f"{action}_demand"
    view.__doc__ = {
        "confirm": "The provider agrees to supply the data, with its `answer` (how, on what terms). Refused (422 "
                   "`negative_list`) when the entry is not shared or the data negative list names it.",
        "reject": "Reject with a `reason`: the provider once matched, or the big-data centre.",
        "fulfil": "Record how a confirmed demand was fulfilled (`fulfilment`): the requesting department or the "
                  "big-data centre.",
    }[action]
    return view


for _action, _schema in (("confirm", ConfirmIn), ("reject", RejectIn), ("fulfil", FulfilIn)):
    router.post(f"{DEMAND}/{_action}", response={200: DemandDetailOut, **WRITE_ERRORS},
                operation_id=f"{_action}_data_demand")(_step_view(_action, _schema))
