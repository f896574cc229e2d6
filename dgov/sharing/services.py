"""Writes of sharing requests and grants: submitting a request, the provider's and the big-data
centre's decisions, withdrawal, the grant each approval creates, revocation, expiry and the overdue
reminders.

Who may do what (each checked inside the transaction, besides the permission):

| step | from | by |
|---|---|---|
| submit | — | the consumer department (`add` in its scope) for one of its applications |
| withdraw | submitted, provider_approved | the consumer department (`change`), with a reason |
| provider approve / reject | submitted | the provider department (`review` in its scope), with a reason |
| centre approve / reject | provider_approved | the big-data centre (`decide`), with a reason |
| revoke a grant | active | the provider department (`revoke`) or the big-data centre, with a reason |

**The sharing types.** 无条件共享 is granted on submission. 有条件共享 (the entry's, or any requested
item's own) goes to the provider, then to the centre; the centre's approval creates the grant in
the same transaction, so the consumer can call the data service as soon as it commits. 不予共享
entries and items, and whatever the data negative list names, cannot be requested.

**Deadlines.** 《政务数据共享条例》(State Council Decree No. 809, 2025, in force 1 August 2025)
requires conditional sharing requests to be answered within a time limit, and a refusal to give
its reason; the earlier 《政务信息资源共享管理暂行办法》(国发〔2016〕51号) set the provider's reply at
10 working days, and local rules give the platform's competent department a few working days for its
own review (e.g. Shanxi: 2 working days for the conformity review, 5 for the provider's reply when
the data is already on the platform). The platform counts both steps in working days on the
Chinese calendar (`dgov.calendars`), from the day the step began:
`DGOV_SHARING_PROVIDER_WORKING_DAYS` (default 10) for the provider and
`DGOV_SHARING_CENTRE_WORKING_DAYS` (default 5) for the big-data centre; a city sets them to its own
rules. A request waiting past its step's deadline is overdue; `remind_overdue` tells the approvers
and the consumer once per step.
"""

import datetime as dt
import re

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from dgov.accounts.models import Application
from dgov.aggregation import datastore
from dgov.calendars.selectors import add_working_days
from dgov.catalog import selectors as catalog_selectors
from dgov.catalog.models import CatalogEntry, OpenType, SharingType
from dgov.catalog.models import Status as EntryStatus
from dgov.catalog.services import ItemAttributes, negative_list_errors
from dgov.core import audit
from dgov.core.errors import Conflict, PermissionDenied, ValidationError
from dgov.core.permissions import require_in_scope, resolver
from dgov.notifications.models import Channel
from dgov.notifications.services import notify
from dgov.sharing.models import PENDING, Grant, GrantStatus, SharingEvent, SharingRequest, Status

TEXT_MAX = 1000
ITEMS_MAX = 200
FILTERS_MAX = 20
IN_VALUES_MAX = 100
VALUE_MAX = 200
PERIOD_MAX_DAYS = 3 * 366  # a grant is reviewed at least every three years
START_MAX_DAYS = 366  # a request is for a need of the coming year, not of a distant one
QUOTA_MAX = 10_000_000
RATE_MAX = 100_000
OPS = ("eq", "ne", "lt", "lte", "gt", "gte", "in", "startswith")


def provider_days() -> int:
    return max(1, int(getattr(settings, "DGOV_SHARING_PROVIDER_WORKING_DAYS", 10)))


def centre_days() -> int:
    return max(1, int(getattr(settings, "DGOV_SHARING_CENTRE_WORKING_DAYS", 5)))


def default_quota() -> int:
    return int(getattr(settings, "DGOV_SHARING_DEFAULT_DAILY_QUOTA", 10_000))


def default_rate() -> int:
    return int(getattr(settings, "DGOV_SHARING_DEFAULT_RATE_LIMIT", 60))


# --- who may act ----------------------------------------------------------------------------------
def provider_party(request: SharingRequest) -> SharingRequest:
    """A stand-in request made by the provider department: the resolver checks the provider's scope
    on it (the model's scope dimensions are the consumer's)."""
    return SharingRequest(department=request.provider)


def grant_provider_party(grant: Grant) -> Grant:
    return Grant(application=Application(department=grant.entry.department))


#: the states each step starts from
STEPS_FROM = {"withdraw": set(PENDING), "provider_approve": {Status.SUBMITTED}, "provider_reject": {Status.SUBMITTED},
              "centre_approve": {Status.PROVIDER_APPROVED}, "centre_reject": {Status.PROVIDER_APPROVED}}


def _checks(action: str, request: SharingRequest) -> list[tuple[str, object]]:
    if action in ("provider_approve", "provider_reject"):
        return [("review", provider_party(request))]
    if action in ("centre_approve", "centre_reject"):
        # The second decision releases the provider's data: the decider's scope must hold the
        # provider (a reviewer whose region holds only the consumer may not release another
        # region's data to it).
        return [("decide", provider_party(request))]
    return [("change", request)]  # withdraw


def can(actor, action: str, request: SharingRequest) -> bool:
    """Whether `actor` may take `action` on `request` now (its status and their scope): what the
    pages offer."""
    return request.status in STEPS_FROM.get(action, ()) and any(
        resolver().allows(actor, permission, instance) for permission, instance in _checks(action, request))


def _allowed(results: list) -> None:
    """403 `permission_denied` without any of the permissions, 403 `out_of_scope` with one of them
    but not for this object."""
    if any(results):
        return
    if all(r is None for r in results):
        raise PermissionDenied()
    raise PermissionDenied(code="out_of_scope")


def can_revoke(actor, grant: Grant) -> bool:
    return grant.status == GrantStatus.ACTIVE and bool(resolver().allows(actor, "revoke", grant_provider_party(grant)))


# --- validation -----------------------------------------------------------------------------------
def _text(field: str, text: str, message) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError(details={field: [str(message)]})
    if len(text) > TEXT_MAX:
        raise ValidationError(details={field: [_("Ensure this text has at most %(max)d characters.")
                                               % {"max": TEXT_MAX}]})
    return text


def clean_names(names) -> list[str]:
    """Item names stripped, without empties and repeats, in their order."""
    out: list[str] = []
    for name in names or []:
        name = " ".join(str(name).split())
        if name and name not in out:
            out.append(name)
    return out


class Refusal(dict):
    """Field → messages; `negative` tells whether the data negative list is among the reasons."""

    negative = False


def refusal(entry: CatalogEntry, items: list[str]) -> Refusal:
    """Why these items of `entry` cannot be shared: the entry is not published or 不予共享, an item
    does not exist or is 不予共享 itself, or the data negative list (the catalog's one check) names the
    resource or an item. Field → messages naming the entry or the item; empty when nothing stands
    in the way."""
    errors = Refusal()
    if entry.status != EntryStatus.PUBLISHED:
        errors.setdefault("entry", []).append(
            _("The catalog entry “%(name)s” is not published.") % {"name": entry.name})
    if entry.sharing_type == SharingType.NONE:
        errors.setdefault("entry", []).append(
            _("The resource “%(name)s” is not shared (不予共享) and cannot be requested.") % {"name": entry.name})
    by_name = {i.name: i for i in entry.items.all()}
    for name in items:
        item = by_name.get(name)
        if item is None:
            errors.setdefault("items", []).append(
                _("The catalog entry has no data item “%(name)s”.") % {"name": name})
        elif item.sharing_type == SharingType.NONE:
            errors.setdefault("items", []).append(
                _("The data item “%(name)s” is not shared (不予共享) and cannot be requested.") % {"name": name})
    # Asked as if shared: the catalog keeps negative-listed data at 不予共享 already, but the list is
    # the authority and must name the item even where the catalog and the list disagree.
    negative = negative_list_errors(entry.code, SharingType.CONDITIONAL, OpenType.NONE,
                                    [ItemAttributes(name, SharingType.CONDITIONAL)
                                     for name in items if name in by_name])
    errors.negative = bool(negative)
    for field, messages in negative.items():
        errors.setdefault("entry" if field == "sharing_type" else "items", []).extend(str(m) for m in messages)
    return errors


def effective_sharing_type(entry: CatalogEntry, items: list[str]) -> str:
    """Conditional when the entry or any requested item is 有条件共享 (an item may be restricted
    further than its entry), else unconditional."""
    if entry.sharing_type == SharingType.CONDITIONAL:
        return SharingType.CONDITIONAL
    kinds = {i.sharing_type for i in entry.items.all() if i.name in items}
    return SharingType.CONDITIONAL if SharingType.CONDITIONAL in kinds else SharingType.UNCONDITIONAL


def _scalar_ok(value) -> bool:
    if isinstance(value, bool) or value is None:
        return isinstance(value, bool)
    if isinstance(value, (int, float)):
        return abs(value) <= 2**63 - 1
    return isinstance(value, str) and 0 < len(value) <= VALUE_MAX and "\x00" not in value


def _fits(value, data_type: str) -> bool:
    """Whether the data store reads `value` as a (non-empty) value of `data_type`."""
    try:
        return datastore.coerce(value, data_type) is not None
    except ValueError:
        return False


def clean_row_filter(row_filter, entry: CatalogEntry) -> list[dict]:
    """The row filter as the gateway applies it: a list of {"item", "op", "value"} on the entry's
    data items; "in" takes a non-empty list of values."""
    if row_filter in (None, ""):
        return []
    if not isinstance(row_filter, list):
        raise ValidationError(details={"row_filter": [_("The row filter is a list of conditions.")]})
    if len(row_filter) > FILTERS_MAX:
        raise ValidationError(details={"row_filter": [_("At most %(max)d conditions.") % {"max": FILTERS_MAX}]})
    names = {i.name: i.data_type for i in entry.items.all()}
    out, errors = [], []
    for n, cond in enumerate(row_filter, start=1):
        if not isinstance(cond, dict) or set(cond) - {"item", "op", "value"}:
            errors.append(_("Condition %(n)d: give item, op and value.") % {"n": n})
            continue
        item, op, value = cond.get("item"), cond.get("op"), cond.get("value")
        if item not in names:
            errors.append(_("Condition %(n)d: the catalog entry has no data item “%(name)s”.")
                          % {"n": n, "name": item})
            continue
        if op not in OPS:
            errors.append(_("Condition %(n)d: the operator must be one of %(ops)s.") % {"n": n, "ops": ", ".join(OPS)})
            continue
        if op == "in":
            ok = (isinstance(value, list) and 0 < len(value) <= IN_VALUES_MAX
                  and all(_scalar_ok(v) and not isinstance(v, bool) for v in value))
        elif op == "startswith":
            ok = isinstance(value, str) and _scalar_ok(value)
        else:
            ok = _scalar_ok(value)
        if not ok:
            errors.append(_("Condition %(n)d: the value does not suit the operator “%(op)s”.") % {"n": n, "op": op})
            continue
        # The data store applies the filter to typed columns: a value it cannot read as the item's
        # type would make every call of the grant fail, so it is refused here, at the edge.
        data_type = names[item]
        if data_type == "binary" or (op == "startswith" and data_type != "string"):
            errors.append(_("Condition %(n)d: the operator “%(op)s” does not apply to the item “%(name)s”.")
                          % {"n": n, "op": op, "name": item})
            continue
        if not all(_fits(v, data_type) for v in (value if op == "in" else [value])):
            errors.append(_("Condition %(n)d: the value does not suit the type of the item “%(name)s”.")
                          % {"n": n, "name": item})
            continue
        out.append({"item": item, "op": op, "value": value})
    if errors:
        raise ValidationError(details={"row_filter": errors})
    return out


def _positive(field: str, value, maximum: int):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= maximum:
        raise ValidationError(details={field: [_("Give a whole number from 1 to %(max)d.") % {"max": maximum}]})
    return value


# --- numbers and events ---------------------------------------------------------------------------
def next_number(year: int) -> str:
    prefix = f"GX{year}"
    last = SharingRequest.objects.filter(number__startswith=prefix).aggregate(m=Max("number"))["m"]
    return f"{prefix}{(int(last[len(prefix):]) + 1) if last else 1:05d}"


NUMBER = re.compile(r"GX[0-9]{9}")


def _event(request: SharingRequest, action: str, actor, text: str = "") -> SharingEvent:
    known = getattr(actor, "pk", None)
    return SharingEvent.objects.create(
        request=request, action=action, actor=actor if known else None,
        department=getattr(actor, "department", None) if known else None, text=text, status=request.status)


def _record(request: SharingRequest, action: str, actor, before: str, text: str = "", **changes) -> None:
    _event(request, action, actor, text)
    audit.record(f"sharing.sharingrequest.{action}", request,
                 changes={"status": [before, request.status], **({"reason": text} if text else {}), **changes},
                 actor=actor)


def _locked(pk) -> SharingRequest:
    """The request's row, locked for the rest of the transaction (only its own row: PostgreSQL
    cannot lock the outer side of a join)."""
    return (SharingRequest.objects.select_for_update(of=("self",))
            .select_related("department", "provider", "entry", "entry__department", "application").get(pk=pk))


def _transition(request: SharingRequest, action: str, verb: str) -> SharingRequest:
    stored = _locked(request.pk)
    if stored.status not in STEPS_FROM[action]:
        raise Conflict(_("This step (%(action)s) is not possible while the request is “%(status)s”.")
                       % {"status": stored.get_status_display(), "action": verb})
    return stored


# --- grants ---------------------------------------------------------------------------------------
def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def grant_create(*, actor, request: SharingRequest | None, application: Application, entry: CatalogEntry,
                 items: list[str], valid_from: dt.datetime, expires_at: dt.datetime, row_filter=(),
                 daily_quota: int | None = None, rate_limit: int | None = None, unmasked_items=(),
                 is_demo: bool = False) -> Grant:
    """A grant, replacing the application's active grant on the same entry (at most one is active:
    the gateway's lookup is one row). Called inside the approving transaction."""
    replaced = list(Grant.objects.select_for_update().filter(application=application, entry=entry,
                                                             status=GrantStatus.ACTIVE))
    now = timezone.now()
    for old in replaced:
        old.status, old.revoked_at = GrantStatus.REVOKED, now
        old.revoked_by = actor if getattr(actor, "pk", None) else None
        old.revoked_reason = (_("Replaced by the grant of sharing request %(number)s.") % {"number": request.number}
                              if request is not None else _("Replaced by a new grant."))
        old.save(update_fields=["status", "revoked_at", "revoked_by", "revoked_reason", "updated_at"])
        audit.record("sharing.grant.revoke", old, changes={"status": [GrantStatus.ACTIVE, old.status],
                                                           "reason": old.revoked_reason}, actor=actor)
    grant = Grant(application=application, entry=entry, items=list(items), row_filter=list(row_filter),
                  valid_from=valid_from, expires_at=expires_at, daily_quota=daily_quota or default_quota(),
                  rate_limit=rate_limit or default_rate(), unmasked_items=list(unmasked_items), request=request,
                  granted_by=actor if getattr(actor, "pk", None) else None, is_demo=is_demo)
    try:
        grant.full_clean(exclude=["request", "granted_by", "application", "entry"])
    except DjangoValidationError as exc:
        raise ValidationError.from_django(exc) from None
    try:
        with transaction.atomic():
            grant.save()
    except IntegrityError:  # another approval created the active grant meanwhile
        raise Conflict(_("Another grant for this application and data service was created meanwhile; "
                         "try again.")) from None
    audit.record("sharing.grant.create", grant, changes=audit.created(grant, [
        "application", "entry", "items", "row_filter", "valid_from", "expires_at", "daily_quota", "rate_limit",
        "unmasked_items"]), actor=actor)
    return grant


def _grant_for(request: SharingRequest, actor) -> Grant:
    """The grant a granted request yields: the provider's terms, or the request's own for
    unconditional sharing. Valid from the start of the period (or now, if that has begun) to the end
    of its last day (the provider may end it earlier)."""
    now = timezone.now()
    start = max(now, _start_of(request.period_start))
    last_day = request.expires_on or request.period_end
    return grant_create(actor=actor, request=request, application=request.application, entry=request.entry,
                        items=request.approved_items or request.items, valid_from=start,
                        expires_at=_start_of(last_day + dt.timedelta(days=1)), row_filter=request.row_filter,
                        daily_quota=request.daily_quota, rate_limit=request.rate_limit,
                        unmasked_items=request.unmasked_items, is_demo=request.is_demo)


# --- submitting -----------------------------------------------------------------------------------
def _validate_new(actor, request: SharingRequest, today: dt.date) -> None:
    errors: dict[str, list[str]] = {}
    for name, message in (("purpose", _("Say which duty or service the data serves.")),
                          ("legal_basis", _("Name the law, regulation or policy that allows the use.")),
                          ("scenario", _("Say where and how the data will be used."))):
        try:
            setattr(request, name, _text(name, getattr(request, name), message))
        except ValidationError as exc:
            errors.update(exc.details)
    request.items = clean_names(request.items)
    if not request.items:
        errors["items"] = [_("Choose at least one data item.")]
    elif len(request.items) > ITEMS_MAX:
        errors["items"] = [_("Choose at most %(max)d data items.") % {"max": ITEMS_MAX}]
    app = request.application if request.application_id else None
    if app is None or app.department_id != request.department_id:
        errors["application"] = [_("Choose an application of the consumer department.")]
    elif not app.account.is_active:
        errors["application"] = [_("This application is deactivated.")]
    start, end = request.period_start, request.period_end
    if start is None:
        errors["period_start"] = [_("Give the first day of use.")]
    elif start < today:
        errors["period_start"] = [_("The period of use cannot start in the past.")]
    elif (start - today).days > START_MAX_DAYS:
        # Also keeps the grant's end (the day after the last) within the calendar.
        errors["period_start"] = [_("The period of use starts at most a year from now.")]
    if end is None:
        errors["period_end"] = [_("Give the last day of use.")]
    elif start is not None and end < start:
        errors["period_end"] = [_("The period of use ends before it starts.")]
    elif start is not None and (end - start).days > PERIOD_MAX_DAYS:
        errors["period_end"] = [_("The period of use is at most three years.")]
    entry = request.entry if request.entry_id else None
    negative = False
    if entry is not None and entry.pk:
        visible = catalog_selectors.visible_entries(actor).filter(pk=entry.pk).exists()
        if not visible or entry.status != EntryStatus.PUBLISHED:
            errors["entry"] = [_("Choose a published catalog entry.")]
        elif entry.department_id == request.department_id:
            errors["entry"] = [_("This entry is the consumer department's own data: it needs no sharing request.")]
        elif "items" not in errors:
            stop = refusal(entry, request.items)
            negative = stop.negative
            for field, messages in stop.items():
                errors.setdefault(field, []).extend(messages)
    else:
        errors["entry"] = [_("Choose a published catalog entry.")]
    if errors:
        raise ValidationError(details=errors, code="negative_list" if negative else "invalid")


def submit(*, actor, instance: SharingRequest, today: dt.date | None = None) -> SharingRequest:
    """Submit a request (the department defaults to the actor's). Unconditionally shared data is
    granted at once; conditionally shared data waits for the provider, who must answer within
    `DGOV_SHARING_PROVIDER_WORKING_DAYS` working days."""
    request = instance
    today = today or timezone.localdate()
    if not request._state.adding:
        raise Conflict(_("A submitted request cannot be changed; withdraw it and submit a new one."))
    with transaction.atomic():
        if not request.department_id and getattr(actor, "department_id", None):
            request.department_id = actor.department_id
        if not request.department_id:
            raise ValidationError(details={"department": [_("Name the consumer department.")]})
        require_in_scope(actor, "add", request)
        _validate_new(actor, request, today)
        entry = CatalogEntry.objects.select_related("department").get(pk=request.entry_id)
        # Serialise submissions for one application: two concurrent ones must not both find no
        # pending request and both go through.
        list(Application.objects.select_for_update().filter(pk=request.application_id).values_list("pk", flat=True))
        pending = SharingRequest.objects.filter(application=request.application, entry=entry,
                                                status__in=PENDING).first()
        if pending is not None:
            raise Conflict(_("Request %(number)s for this application and catalog entry is still pending.")
                           % {"number": pending.number})
        request.entry, request.provider = entry, entry.department
        request.sharing_type = effective_sharing_type(entry, request.items)
        request.status, request.submitted_on = Status.SUBMITTED, today
        request.submitted_by = actor if getattr(actor, "pk", None) else None
        request.due_on = request.provider_due_on = add_working_days(today, provider_days())
        request.number = next_number(today.year)
        for attempt in range(5):
            try:
                with transaction.atomic():
                    request.save()
                break
            except IntegrityError:
                if attempt == 4:
                    raise Conflict(_("The request number was taken meanwhile; try again.")) from None
                request.number = next_number(today.year)
        _event(request, SharingEvent.Action.SUBMIT, actor)
        audit.record("sharing.sharingrequest.create", request, changes=audit.created(request, [
            "number", "department", "application", "entry", "items", "purpose", "legal_basis", "scenario",
            "period_start", "period_end", "sharing_type"]), actor=actor)
        if request.sharing_type == SharingType.UNCONDITIONAL:
            request.status, request.due_on, request.provider_due_on = Status.GRANTED, None, None
            request.approved_items = list(request.items)
            request.save(update_fields=["status", "due_on", "provider_due_on", "approved_items", "updated_at"])
            grant = _grant_for(request, actor)
            with translation.override(settings.LANGUAGE_CODE):
                text = _("Unconditionally shared data: granted on submission.")
            _record(request, SharingEvent.Action.GRANT, actor, Status.SUBMITTED, text, grant=grant.pk)
            _tell(provider_side(request, "review"), request, gettext_noop("Sharing request %(number)s was granted"),
                  gettext_noop("%(consumer)s was granted “%(entry)s” (unconditionally shared) for %(application)s."))
        else:
            _tell(provider_side(request, "review"), request,
                  gettext_noop("Sharing request %(number)s awaits your decision"),
                  gettext_noop("%(consumer)s asks for “%(entry)s” (%(items)s) for %(application)s. Decide by %(due)s."))
    return request


# --- decisions ------------------------------------------------------------------------------------
def provider_approve(*, actor, request: SharingRequest, reason: str, items=None, row_filter=None,
                     daily_quota: int | None = None, rate_limit: int | None = None, unmasked_items=None,
                     expires_on: dt.date | None = None, today: dt.date | None = None) -> SharingRequest:
    """The provider agrees, with its reason, and may narrow the items and set a row filter, the
    quota, the rate limit, the items shown unmasked and an earlier expiry. The request goes to the
    big-data centre, which decides within `DGOV_SHARING_CENTRE_WORKING_DAYS` working days."""
    today = today or timezone.localdate()
    with transaction.atomic():
        request = _transition(request, "provider_approve", _("the provider's approval"))
        _allowed([resolver().allows(actor, p, i) for p, i in _checks("provider_approve", request)])
        reason = _text("reason", reason, _("Give the reason for the decision."))
        # None: all the items requested; an empty choice is no approval (reject instead).
        chosen = list(request.items) if items is None else clean_names(items)
        errors: dict[str, list[str]] = {}
        if not chosen:
            errors["items"] = [_("Approve at least one data item, or reject the request.")]
        extra = [n for n in chosen if n not in request.items]
        if extra:
            errors["items"] = [_("Only requested items can be approved; not requested: %(names)s.")
                               % {"names": "、".join(extra)}]
        unmasked = clean_names(unmasked_items)
        outside = [n for n in unmasked if n not in chosen]
        if outside:
            errors["unmasked_items"] = [_("Only approved items can be shown unmasked: %(names)s.")
                                        % {"names": "、".join(outside)}]
        if expires_on is not None and not (request.period_start <= expires_on <= request.period_end):
            errors["expires_on"] = [_("The grant can end only within the requested period (%(start)s – %(end)s).")
                                    % {"start": request.period_start, "end": request.period_end}]
        elif expires_on is not None and expires_on < today:
            errors["expires_on"] = [_("The grant cannot end in the past.")]
        try:
            quota = _positive("daily_quota", daily_quota, QUOTA_MAX)
            rate = _positive("rate_limit", rate_limit, RATE_MAX)
            rows = clean_row_filter(row_filter, request.entry)
        except ValidationError as exc:
            errors.update(exc.details)
        if errors:
            raise ValidationError(details=errors)
        stop = refusal(request.entry, chosen)
        if stop:
            raise ValidationError(details={k: [*v, _("Reject the request and cite this as the reason.")]
                                           for k, v in stop.items()},
                                  code="negative_list" if stop.negative else "invalid")
        before = request.status
        request.status, request.provider_reason, request.provider_decided_at = (
            Status.PROVIDER_APPROVED, reason, timezone.now())
        request.approved_items, request.row_filter, request.unmasked_items = chosen, rows, unmasked
        request.daily_quota, request.rate_limit, request.expires_on = quota, rate, expires_on
        request.due_on = request.centre_due_on = add_working_days(today, centre_days())
        request.reminded_on = None
        request.save()
        _record(request, SharingEvent.Action.PROVIDER_APPROVE, actor, before, reason, items=chosen, row_filter=rows,
                daily_quota=quota, rate_limit=rate, unmasked_items=unmasked,
                expires_on=expires_on.isoformat() if expires_on else None)
        _tell(centre_side(request), request, gettext_noop("Sharing request %(number)s awaits the big-data centre"),
              gettext_noop("%(provider)s approved “%(entry)s” for %(consumer)s (%(application)s). Decide by %(due)s."))
    return request


def _reject(actor, request: SharingRequest, reason: str, action: str, verb: str) -> SharingRequest:
    with transaction.atomic():
        request = _transition(request, action, verb)
        _allowed([resolver().allows(actor, p, i) for p, i in _checks(action, request)])
        reason = _text("reason", reason, _("Give the reason for the rejection."))
        before = request.status
        request.status, request.due_on = Status.REJECTED, None
        if action == "provider_reject":
            request.provider_reason, request.provider_decided_at = reason, timezone.now()
        else:
            request.centre_reason, request.centre_decided_at = reason, timezone.now()
        request.save()
        _record(request, action, actor, before, reason)
        _tell(consumer_side(request), request, gettext_noop("Sharing request %(number)s was rejected"),
              gettext_noop("The request for “%(entry)s” was rejected: %(text)s"), text=reason)
    return request


def provider_reject(*, actor, request: SharingRequest, reason: str) -> SharingRequest:
    """The provider refuses, with its reason (the regulation requires one)."""
    return _reject(actor, request, reason, "provider_reject", _("the provider's rejection"))


def centre_reject(*, actor, request: SharingRequest, reason: str) -> SharingRequest:
    """The big-data centre refuses a request the provider approved, with its reason."""
    return _reject(actor, request, reason, "centre_reject", _("the big-data centre's rejection"))


def centre_approve(*, actor, request: SharingRequest, reason: str) -> SharingRequest:
    """The big-data centre agrees: the grant is created in the same transaction, on the provider's
    terms, and can be used as soon as it commits."""
    with transaction.atomic():
        request = _transition(request, "centre_approve", _("the big-data centre's approval"))
        _allowed([resolver().allows(actor, p, i) for p, i in _checks("centre_approve", request)])
        reason = _text("reason", reason, _("Give the reason for the decision."))
        stop = refusal(request.entry, request.approved_items or request.items)
        if stop:
            raise ValidationError(details={k: [*v, _("Reject the request and cite this as the reason.")]
                                           for k, v in stop.items()},
                                  code="negative_list" if stop.negative else "invalid")
        # The entry may have been withdrawn, edited and republished since the provider's approval:
        # its row filter must still name items of the entry, of the types it had.
        clean_row_filter(request.row_filter, request.entry)
        if not request.application.account.is_active:
            raise ValidationError(details={"application": [_("This application is deactivated.")]})
        # The grant's last day is the provider's earlier end, if any: a grant ending before today
        # would be created dead (valid_from after expires_at).
        if (request.expires_on or request.period_end) < timezone.localdate():
            raise ValidationError(details={"period_end": [_("The requested period of use is over.")]})
        before = request.status
        request.status, request.centre_reason, request.centre_decided_at = (
            Status.GRANTED, reason, timezone.now())
        request.due_on = None
        request.save()
        _record(request, SharingEvent.Action.CENTRE_APPROVE, actor, before, reason)
        grant = _grant_for(request, actor)
        _event(request, SharingEvent.Action.GRANT, actor)
        audit.record("sharing.sharingrequest.grant", request, changes={"grant": grant.pk}, actor=actor)
        _tell(consumer_side(request) + provider_side(request, "review"), request,
              gettext_noop("Sharing request %(number)s was granted"),
              gettext_noop("%(consumer)s may now call “%(entry)s” from %(application)s (%(items)s)."))
    return request


def withdraw(*, actor, request: SharingRequest, reason: str) -> SharingRequest:
    """The consumer department withdraws a pending request, saying why."""
    with transaction.atomic():
        request = _transition(request, "withdraw", _("withdrawal"))
        _allowed([resolver().allows(actor, p, i) for p, i in _checks("withdraw", request)])
        reason = _text("reason", reason, _("Give the reason for the withdrawal."))
        before = request.status
        request.status, request.withdraw_reason, request.due_on = Status.WITHDRAWN, reason, None
        request.save()
        _record(request, SharingEvent.Action.WITHDRAW, actor, before, reason)
    return request


#: the steps on a request: name → service
ACTIONS = {"provider_approve": provider_approve, "provider_reject": provider_reject,
           "centre_approve": centre_approve, "centre_reject": centre_reject, "withdraw": withdraw}


# --- revocation and expiry ------------------------------------------------------------------------
def revoke(*, actor, grant: Grant, reason: str) -> Grant:
    """Revoke an active grant at once (the provider department or the big-data centre), saying why."""
    with transaction.atomic():
        grant = (Grant.objects.select_for_update(of=("self",))
                 .select_related("application", "application__department", "entry", "entry__department", "request")
                 .get(pk=grant.pk))
        # The provider's scope decides (the consumer holds the same role for its own data).
        _allowed([resolver().allows(actor, "revoke", grant_provider_party(grant))])
        if grant.status != GrantStatus.ACTIVE:
            raise Conflict(_("Only an active grant can be revoked; this one is “%(status)s”.")
                           % {"status": grant.get_status_display()})
        reason = _text("reason", reason, _("Give the reason for the revocation."))
        _revoke(grant, actor, reason)
    return grant


def _revoke(grant: Grant, actor, reason: str) -> None:
    """Revoke the locked, active `grant`: audited, in its request's history, the consumer told."""
    grant.status, grant.revoked_reason, grant.revoked_at = GrantStatus.REVOKED, reason, timezone.now()
    grant.revoked_by = actor if getattr(actor, "pk", None) else None
    grant.save(update_fields=["status", "revoked_reason", "revoked_at", "revoked_by", "updated_at"])
    audit.record("sharing.grant.revoke", grant, changes={"status": [GrantStatus.ACTIVE, grant.status],
                                                         "reason": reason}, actor=actor)
    if grant.request_id:
        _event(grant.request, SharingEvent.Action.REVOKE, actor, reason)
        _tell(consumer_side(grant.request), grant.request,
              gettext_noop("A grant of request %(number)s was revoked"),
              gettext_noop("The grant to call “%(entry)s” from %(application)s was revoked: %(text)s"), text=reason)


def revoke_for_entry(entry: CatalogEntry) -> int:
    """Revoke every active grant of `entry`, which is no longer published. A withdrawn entry is
    reopened as a draft, edited (an item may become 不予共享 or join the negative list, which the
    catalog allows only on an unpublished entry) and published again: a grant surviving that would
    come back to life on terms nobody checked against the new entry. Its consumer asks anew."""
    with transaction.atomic():
        grants = list(Grant.objects.select_for_update(of=("self",))
                      .select_related("application", "entry", "request", "request__department",
                                      "request__provider", "request__entry", "request__application")
                      .filter(entry_id=entry.pk, status=GrantStatus.ACTIVE))
        if not grants:
            return 0
        with translation.override(settings.LANGUAGE_CODE):
            reason = _("The catalog entry “%(name)s” is no longer published (%(status)s).") % {
                "name": entry.name, "status": entry.get_status_display()}
        for grant in grants:
            _revoke(grant, None, reason)
    return len(grants)


def expire_grants(*, now: dt.datetime | None = None) -> int:
    """Mark active grants past their expiry as expired (the gateway already refuses them by time;
    this keeps the lists honest and frees the one-active-grant slot)."""
    now = now or timezone.now()
    with transaction.atomic():
        ids = list(Grant.objects.select_for_update().filter(status=GrantStatus.ACTIVE, expires_at__lte=now)
                   .values_list("pk", flat=True))
        if ids:
            Grant.objects.filter(pk__in=ids).update(status=GrantStatus.EXPIRED, updated_at=now)
            audit.record("sharing.grant.expire", None, changes={"grants": ids})
    return len(ids)


# --- who hears about it ---------------------------------------------------------------------------
def _officials(department, action: str, stand_in) -> list:
    users = get_user_model().objects.filter(is_active=True, department__path__startswith=department.path)
    return [u for u in users.order_by("username")
            if getattr(u, "is_official", False) and resolver().allows(u, action, stand_in)]


def provider_side(request: SharingRequest, action: str = "review") -> list:
    """The provider department's officials who may decide for it."""
    return _officials(request.provider, action, provider_party(request))


def consumer_side(request: SharingRequest) -> list:
    """The official who submitted the request (while they may still see it) and the consumer
    department's officials who may change its requests."""
    users = {u.pk: u for u in _officials(request.department, "change", request)}
    by = request.submitted_by
    if by is not None and by.is_active and resolver().allows(by, "view", request):
        users.setdefault(by.pk, by)
    return list(users.values())


def centre_side(request: SharingRequest) -> list:
    """The officials who may decide as the big-data centre for this request."""
    users = (get_user_model().objects.filter(is_active=True)
             .filter(role_assignments__role__permissions__codename="decide_sharingrequest",
                     role_assignments__role__permissions__content_type__app_label="sharing")
             .distinct().order_by("username"))
    return [u for u in users if getattr(u, "is_official", False)
            and any(resolver().allows(u, p, i) for p, i in _checks("centre_approve", request))]


def _tell(users: list, request: SharingRequest, subject: str, body: str, **values) -> int:
    """An in-app message to each of `users` (once each) about `request`, in the platform's language."""
    fields = {"number": request.number, "consumer": request.department.name, "provider": request.provider.name,
              "entry": request.entry.name, "application": request.application.name,
              "items": "、".join(request.approved_items or request.items),
              "due": request.due_on.isoformat() if request.due_on else "", **values}
    seen = set()
    with translation.override(settings.LANGUAGE_CODE):
        subject, body = _(subject) % fields, _(body) % fields
        for user in users:
            if user.pk in seen:
                continue
            seen.add(user.pk)
            notify(user=user, channel=Channel.IN_APP, recipient=user.username, subject=subject, body=body)
    return len(seen)


def remind_overdue(*, today: dt.date | None = None) -> dict:
    """Tell the approvers of the current step and the consumer department about every request past
    its step's deadline, once per step. Returns {"requests": n, "messages": m}."""
    today = today or timezone.localdate()
    count = messages = 0
    for pk in SharingRequest.objects.overdue(today).filter(reminded_on__isnull=True).values_list("pk", flat=True):
        with transaction.atomic():
            request = _locked(pk)
            if request.reminded_on is not None or not request.overdue_on(today):
                continue
            approvers = (provider_side(request) if request.status == Status.SUBMITTED else centre_side(request))
            sent = _tell(approvers + consumer_side(request), request,
                         gettext_noop("Sharing request %(number)s is overdue"),
                         gettext_noop("The sharing request %(number)s of %(consumer)s for “%(entry)s” was due for "
                                      "a decision on %(due)s and has not been decided."))
            request.reminded_on = today
            request.save(update_fields=["reminded_on", "updated_at"])
            with translation.override(settings.LANGUAGE_CODE):
                _event(request, SharingEvent.Action.REMIND, None, _("Sent to %(n)d officials.") % {"n": sent})
            audit.record("sharing.sharingrequest.remind", request, changes={"recipients": sent})
            count, messages = count + 1, messages + sent
    return {"requests": count, "messages": messages}
