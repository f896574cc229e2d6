"""`/api/v1/services/cases`: cases (办件). Applicants create (and submit) their applications and read
their own; officials list what they can act on (most urgent first), read the cases in their scope with
the whole history, and move them on (`/transitions`)."""

import re

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Status
from ninja.pagination import paginate

from dgov.accounts.models import UserKind
from dgov.cases import clock, selectors, services
from dgov.cases.models import Case
from dgov.cases.schemas import CaseDetailOut, CaseIn, CaseOut, CaseQuery, CaseTransitionIn
from dgov.core import audit
from dgov.core.api import READ_ERRORS, WRITE_ERRORS, Pagination, actor_of
from dgov.core.errors import NotFound, PermissionDenied, ValidationError

router = Router(tags=["cases"])
REFERENCE = re.compile(r"YT[0-9]{14}")
CASE = "/{reference}"


def _is_applicant(user) -> bool:
    return getattr(user, "kind", None) in (UserKind.CITIZEN, UserKind.ENTERPRISE)


def _case(request, reference: str) -> Case:
    if not REFERENCE.fullmatch(reference):
        raise ValidationError(details={"reference": [_("A case reference is YT followed by 14 digits, "
                                                       "e.g. YT20261128000001.")]})
    return selectors.case_for(actor_of(request), reference)


def _out(case: Case, today=None, status: tuple | None = None) -> dict:
    today = today or timezone.localdate()
    warning, remaining = status or (clock.status(case, today), clock.remaining_working_days(case, today))
    return {
        "reference": case.reference, "implementation": case.implementation.code, "title": case.title,
        "department": case.department.name, "region": case.region.name, "applicant_name": case.applicant_name,
        "state": case.state, "outcome": case.outcome, "case_kind": case.case_kind,
        "submitted_at": case.submitted_at, "received_on": case.received_on, "intake_due_on": case.intake_due_on,
        "accepted_on": case.accepted_on, "deemed_accepted": case.deemed_accepted, "due_on": case.due_on,
        "limit_days": case.limit_days, "limit_unit": case.limit_unit, "paused_days": case.paused_days,
        "warning": warning, "remaining_days": remaining,
        "result_license": case.result_license}


def _detail(user, case: Case) -> dict:
    case = selectors.cases().get(pk=case.pk)
    applicant = services.is_applicant(user, case)
    events = [{"action": e.action, "from_state": e.from_state, "to_state": e.to_state, "reason": e.reason,
               "at": e.created_at, "by": (e.actor.real_name or e.actor.username) if e.actor and not applicant
               else (e.department.name if e.department else ""),
               "department": e.department.name if e.department else "", "public": e.public, "data": e.data}
              for e in selectors.history(case, public_only=applicant)]
    materials = [{"id": m.pk, "material": m.material_id, "name": m.name, "kind": m.kind, "filename": m.filename,
                  "content_type": m.content_type, "size": m.size, "sm3": m.sm3,
                  "license_identifier": m.license_identifier} for m in selectors.materials(case)]
    return {**_out(case), "answers": selectors.answers(user, case), "materials": materials, "history": events,
            "allowed_actions": services.allowed_actions(user, case)}


class CaseList:
    """The list's page as `CaseOut` rows: the pagination slices the query, and each page's clocks are
    worked out with the calendar read once."""

    def __init__(self, qs):
        self.qs = qs

    def count(self) -> int:
        return self.qs.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, key):
        cases = list(self.qs[key])
        today = timezone.localdate()
        statuses = clock.statuses(cases, today)
        return [_out(case, today, statuses[case.pk]) for case in cases]


@router.get("", response={200: list[CaseOut], **READ_ERRORS}, operation_id="list_cases")
@paginate(Pagination)
def list_cases(request, query: CaseQuery = Query(...)):
    """Applicants: their own cases, drafts among them, newest first. Officials: the cases in their scope
    they can act on, most urgent first (`warning`: yellow, red, overdue or any)."""
    actor = actor_of(request)
    state = query.state.value if query.state else None
    if _is_applicant(actor):
        qs = selectors.my_cases(actor)
        if state:
            qs = qs.filter(state=state)
        if query.warning:
            qs = selectors.filter_warning(qs, query.warning, timezone.localdate())
    else:
        qs = selectors.inbox(actor, state=state, warning=query.warning)
    return CaseList(qs)


@router.post("", response={201: CaseDetailOut, **WRITE_ERRORS}, operation_id="create_case")
def create_case(request, payload: CaseIn):
    """Apply for an implementation (citizens and enterprises): a draft with the answers and the
    materials given as e-licences you hold (免证办); `submit=true` submits it at once (422 naming what
    is missing), which gives the reference and starts the clock."""
    from dgov.services.models import Material
    from dgov.services.selectors import implementation_by_code

    actor = actor_of(request)
    if not _is_applicant(actor):
        raise PermissionDenied(_("Only citizens and enterprises apply for services."))
    try:
        implementation = implementation_by_code(payload.implementation.strip())
    except NotFound:
        raise ValidationError(details={"implementation": [
            _("No published item has this implementation code.")]}) from None
    with audit.deferred():  # one transaction; the audit chain's lock only at its end
        case = services.start(actor=actor, implementation=implementation)
        if payload.answers:
            case = services.save_answers(actor=actor, case=case, answers=payload.answers)
        for given in payload.materials:
            material = Material.objects.filter(pk=given.material, implementation=implementation).first()
            if material is None:
                raise ValidationError(details={"materials": [_("Material %(id)s is not one of the item's.")
                                                             % {"id": given.material}]})
            services.use_licence(actor=actor, case=case, material=material, identifier=given.licence)
        if payload.submit:
            case = services.submit(actor=actor, case=case)
    return Status(201, _detail(actor, case))


@router.get(CASE, response={200: CaseDetailOut, **READ_ERRORS}, operation_id="get_case")
def get_case(request, reference: str):
    """One case with its answers, materials and history: for its applicant (the events shown to
    applicants) and for officials with it in their scope (every event; the read is audited)."""
    actor = actor_of(request)
    return _detail(actor, _case(request, reference))


@router.post(f"{CASE}/transitions", response={200: CaseDetailOut, **WRITE_ERRORS}, operation_id="transition_case")
def transition_case(request, reference: str, payload: CaseTransitionIn):
    """Move a case on (officials): accept, not_accept (reason), request_correction (reason and the
    complete `items` list), review, suspend (reason, `procedure`), resume, approve (issues the result
    licence when the item has one), refuse (reason), deliver, close. 422 `not_allowed` with
    `details.allowed` for an action the case's state or your permissions do not allow."""
    actor = actor_of(request)
    case = _case(request, reference)
    data = payload.dict(exclude_none=True)
    action, reason = data.pop("action"), data.pop("reason", "")
    case = services.transition(actor=actor, case=case, action=action, reason=reason, **data)
    return _detail(actor, case)
