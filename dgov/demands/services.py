"""Writes of the data supply–demand list: filing and editing a demand (while open), the steps
open → matched → confirmed → fulfilled (or rejected, with a reason), and the overdue reminders.

Who may do what (each checked inside the transaction, besides the permission):

| step | from | by |
|---|---|---|
| file, change | — , open | the requesting department (`add`, `change` in its scope) |
| match | open | the requesting department (`change`) or the big-data centre (`match`) |
| confirm | matched | the provider department (`answer` in its scope), with an answer |
| reject | matched | the provider (`answer`) or the centre (`match`), with a reason |
| reject | open | the centre (`match`): nothing in the catalog can serve it |
| fulfil | confirmed | the requesting department (`change`) or the centre (`match`), saying how |

The provider's reply deadline (`due_on`) is `DGOV_DEMAND_REPLY_WORKING_DAYS` working days after
the day the demand was matched: only then is the provider known and the clock can run against it.
A demand still `matched` after its deadline is overdue; `remind_overdue` tells both sides once.
"""

import datetime as dt
import unicodedata

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from dgov.calendars.selectors import add_working_days
from dgov.catalog import selectors as catalog_selectors
from dgov.catalog.models import CatalogEntry, OpenType, SharingType
from dgov.catalog.models import Status as EntryStatus
from dgov.catalog.services import ItemAttributes, negative_list_errors
from dgov.core import audit
from dgov.core.errors import Conflict, PermissionDenied, ValidationError
from dgov.core.permissions import require_in_scope, resolver
from dgov.demands.models import DataDemand, DemandEvent, State
from dgov.notifications.models import Channel
from dgov.notifications.services import notify

TEXT_MAX = 1000
FIELDS_MAX = 100
FIELD_MAX = 100


# --- helpers --------------------------------------------------------------------------------------
def normalise_field(name: str) -> str:
    return "".join(unicodedata.normalize("NFKC", name or "").split())


def same_field(wanted: str, item: str) -> bool:
    """Whether a data item answers a wanted field: the same name, or one holding the other
    (身份证号 and 公民身份证号), spaces and full-width forms ignored."""
    a, b = normalise_field(wanted), normalise_field(item)
    if not a or not b:
        return False
    return a == b or (min(len(a), len(b)) >= 2 and (a in b or b in a))


def clean_fields(fields) -> list[str]:
    """The wanted field names: stripped, without empties and repeats, in their order."""
    out: list[str] = []
    for name in fields or []:
        name = " ".join(str(name).split())
        if name and name not in out:
            out.append(name)
    return out


def party(department) -> DataDemand:
    """A stand-in demand filed by `department`: the resolver checks a provider's scope on it (the
    model's scope dimensions are the requester's)."""
    return DataDemand(department=department)


#: the states each step starts from
STEPS_FROM = {"change": {State.OPEN}, "match": {State.OPEN}, "confirm": {State.MATCHED},
              "reject": {State.OPEN, State.MATCHED}, "fulfil": {State.CONFIRMED}}


def _checks(action: str, demand: DataDemand) -> list[tuple[str, DataDemand]]:
    """The (permission, instance) pairs of which any one lets an official take `action` on `demand`."""
    if action == "confirm":
        return [("answer", party(demand.provider))]
    if action == "reject":
        provider = [("answer", party(demand.provider))] if demand.provider_id else []
        return [("match", demand), *provider]
    if action in ("match", "fulfil"):
        return [("change", demand), ("match", demand)]
    return [(action, demand)]


def can(actor, action: str, demand: DataDemand) -> bool:
    """Whether `actor` may take `action` on `demand` now (its state and their scope): what the
    pages offer."""
    return demand.state in STEPS_FROM.get(action, ()) and any(
        resolver().allows(actor, permission, instance) for permission, instance in _checks(action, demand))


def _allowed(actor, action: str, demand: DataDemand) -> None:
    """Pass when `actor` may take `action`; 403 `permission_denied` when they hold none of the
    permissions at all, 403 `out_of_scope` when they hold one but not for this demand."""
    results = [resolver().allows(actor, permission, instance) for permission, instance in _checks(action, demand)]
    if any(results):
        return
    if all(r is None for r in results):
        raise PermissionDenied()
    raise PermissionDenied(code="out_of_scope")


def _required(field: str, text: str, message) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError(details={field: [str(message)]})
    if len(text) > TEXT_MAX:
        raise ValidationError(details={field: [_("Ensure this text has at most %(max)d characters.")
                                               % {"max": TEXT_MAX}]})
    return text


def _event(demand: DataDemand, action: str, actor, text: str = "") -> DemandEvent:
    return DemandEvent.objects.create(
        demand=demand, action=action, actor=actor if getattr(actor, "pk", None) else None,
        department=getattr(actor, "department", None) if getattr(actor, "pk", None) else None,
        text=text, state=demand.state)


def next_number(year: int) -> str:
    prefix = f"XQ{year}"
    last = DataDemand.objects.filter(number__startswith=prefix).aggregate(m=Max("number"))["m"]
    return f"{prefix}{(int(last[len(prefix):]) + 1) if last else 1:05d}"


# --- filing and editing ---------------------------------------------------------------------------
def _validate(demand: DataDemand) -> None:
    demand.fields = clean_fields(demand.fields)
    errors: dict[str, list[str]] = {}
    if not demand.fields:
        errors["fields"] = [_("Name at least one data item you need.")]
    elif len(demand.fields) > FIELDS_MAX:
        errors["fields"] = [_("Name at most %(max)d data items.") % {"max": FIELDS_MAX}]
    elif any(len(f) > FIELD_MAX for f in demand.fields):
        errors["fields"] = [_("A data item name has at most %(max)d characters.") % {"max": FIELD_MAX}]
    for name in ("title", "purpose", "legal_basis"):
        setattr(demand, name, (getattr(demand, name) or "").strip())
    if errors:
        raise ValidationError(details=errors)


def demand_save(*, actor, instance: DataDemand) -> DataDemand:
    """File a demand (state open, a new number; the department defaults to the actor's) or change one
    that is still open."""
    demand = instance
    is_new = demand._state.adding
    with transaction.atomic():
        if is_new:
            if not demand.department_id and getattr(actor, "department_id", None):
                demand.department_id = actor.department_id
            if not demand.department_id:
                raise ValidationError(details={"department": [_("Name the requesting department.")]})
            require_in_scope(actor, "add", demand)
            demand.state, demand.entry, demand.provider = State.OPEN, None, None
            demand.filed_by = actor if getattr(actor, "pk", None) else None
        else:
            stored = DataDemand.objects.select_for_update().get(pk=demand.pk)
            require_in_scope(actor, "change", stored)
            require_in_scope(actor, "change", demand)
            if stored.state != State.OPEN:
                raise Conflict(_("Only an open demand can be changed; this one is “%(state)s”.")
                               % {"state": stored.get_state_display()})
            for name in ("number", "state", "entry_id", "provider_id", "matched_on", "due_on", "answer", "reason",
                         "fulfilment", "fulfilled_on", "reminded_on", "filed_by_id"):
                setattr(demand, name, getattr(stored, name))
            before = audit.snapshot(stored, ["department", "title", "fields", "purpose", "legal_basis", "scenario",
                                             "sharing_method"])
        _validate(demand)
        if is_new:
            demand.number = next_number(timezone.localdate().year)
        try:
            demand.full_clean(exclude=["number"] if is_new else None)
        except DjangoValidationError as exc:
            raise ValidationError.from_django(exc) from None
        for attempt in range(5):
            try:
                with transaction.atomic():
                    demand.save()
                break
            except IntegrityError:
                if not is_new or attempt == 4:
                    raise Conflict(_("The demand number was taken meanwhile; try again.")) from None
                demand.number = next_number(timezone.localdate().year)
        _event(demand, DemandEvent.Action.FILE if is_new else DemandEvent.Action.CHANGE, actor)
        changes = audit.created(demand, ["number", "department", "title", "fields", "purpose", "legal_basis",
                                         "scenario", "sharing_method"]) if is_new else audit.diff(before, demand)
        audit.record("demands.datademand." + ("create" if is_new else "change"), demand, changes=changes,
                     actor=actor)
    return demand


# --- matching against the catalog -----------------------------------------------------------------
def matched_items(demand: DataDemand, entry: CatalogEntry) -> dict[str, list[str]]:
    """Which wanted fields the entry holds: wanted field → the entry's item names answering it."""
    items = [i.name for i in entry.items.all()]
    return {f: [i for i in items if same_field(f, i)] for f in demand.fields}


def sharing_refusal(demand: DataDemand, entry: CatalogEntry) -> list[str]:
    """Why the provider cannot agree to share this entry for this demand: the entry is no longer
    published (withdrawn since the match) or 不予共享, a wanted item is not shared, or the data
    negative list names the resource or a wanted item (the catalog's one check). Empty when nothing
    stands in the way."""
    reasons = []
    if entry.status != EntryStatus.PUBLISHED:
        reasons.append(_("The catalog entry “%(name)s” is no longer published.") % {"name": entry.name})
    if entry.sharing_type == SharingType.NONE:
        reasons.append(_("The resource “%(name)s” is not shared (不予共享).") % {"name": entry.name})
    hits = {name for names in matched_items(demand, entry).values() for name in names}
    items = [i for i in entry.items.all() if i.name in hits]
    for item in items:
        if item.sharing_type == SharingType.NONE:
            reasons.append(_("The data item “%(name)s” is not shared (不予共享).") % {"name": item.name})
    errors = negative_list_errors(entry.code, SharingType.CONDITIONAL, OpenType.NONE,
                                  [ItemAttributes(i.name) for i in items])
    reasons += [str(m) for messages in errors.values() for m in messages]
    return reasons


def _locked(pk) -> DataDemand:
    """The demand's row, locked for the rest of the transaction (only its own row: the provider and
    the entry are outer joins, which PostgreSQL cannot lock)."""
    return DataDemand.objects.select_for_update(of=("self",)).select_related("department", "provider", "entry").get(
        pk=pk)


def _transition(demand: DataDemand, allowed_from: set[str], verb: str) -> DataDemand:
    stored = _locked(demand.pk)
    if stored.state not in allowed_from:
        raise Conflict(_("This step (%(action)s) is not possible while the demand is “%(state)s”.")
                       % {"state": stored.get_state_display(), "action": verb})
    return stored


def _record(demand: DataDemand, action: str, actor, before: str, text: str = "", **changes) -> None:
    _event(demand, action, actor, text)
    audit.record(f"demands.datademand.{action}", demand,
                 changes={"state": [before, demand.state], **({"text": text} if text else {}), **changes},
                 actor=actor)


def match(*, actor, demand: DataDemand, entry: CatalogEntry, today: dt.date | None = None) -> DataDemand:
    """Match an open demand to a published catalog entry: its department becomes the provider, who
    must answer within the configured number of working days."""
    today = today or timezone.localdate()
    with transaction.atomic():
        demand = _transition(demand, STEPS_FROM["match"], _("matching"))
        _allowed(actor, "match", demand)
        entry = catalog_selectors.visible_entries(actor).filter(pk=entry.pk).select_related("department").first() \
            if entry is not None and entry.pk else None
        if entry is None or entry.status != EntryStatus.PUBLISHED:
            raise ValidationError(details={"entry": [_("Choose a published catalog entry.")]})
        if entry.department_id == demand.department_id:
            raise ValidationError(details={"entry": [
                _("This entry is the requesting department's own: it needs no supply–demand matching.")]})
        before = demand.state
        demand.state, demand.entry, demand.provider = State.MATCHED, entry, entry.department
        demand.matched_on = today
        demand.due_on = add_working_days(today, settings.DGOV_DEMAND_REPLY_WORKING_DAYS)
        demand.reminded_on = None
        demand.save(update_fields=["state", "entry", "provider", "matched_on", "due_on", "reminded_on",
                                   "updated_at"])
        _record(demand, DemandEvent.Action.MATCH, actor, before, entry=entry.code, provider=entry.department.code,
                due_on=demand.due_on.isoformat())
        _tell(provider_side(demand), demand, gettext_noop("Data demand %(number)s awaits your answer"),
              gettext_noop("%(requester)s asks for “%(title)s” (your catalog entry “%(entry)s”). Answer by %(due)s."))
    return demand


# --- the provider's answer and the fulfilment -----------------------------------------------------
def confirm(*, actor, demand: DataDemand, answer: str) -> DataDemand:
    """The provider agrees to supply the data, saying how and on what terms. Refused when the
    catalog does not allow sharing it (不予共享 or the negative list): such a demand is rejected."""
    with transaction.atomic():
        demand = _transition(demand, STEPS_FROM["confirm"], _("confirmation"))
        _allowed(actor, "confirm", demand)
        answer = _required("answer", answer, _("Say how and on what terms the data will be supplied."))
        refusal = sharing_refusal(demand, demand.entry)
        if refusal:
            raise ValidationError(details={"entry": [*refusal, _("Reject the demand and cite this as the reason.")]},
                                  code="negative_list")
        before = demand.state
        demand.state, demand.answer = State.CONFIRMED, answer
        demand.save(update_fields=["state", "answer", "updated_at"])
        _record(demand, DemandEvent.Action.CONFIRM, actor, before, answer)
        _tell(requester_side(demand), demand, gettext_noop("Data demand %(number)s was confirmed"),
              gettext_noop("%(provider)s agrees to supply “%(title)s”: %(text)s"), text=answer)
    return demand


def reject(*, actor, demand: DataDemand, reason: str) -> DataDemand:
    """Reject a demand with a reason: the provider (once matched) or the big-data centre."""
    with transaction.atomic():
        demand = _transition(demand, STEPS_FROM["reject"], _("rejection"))
        _allowed(actor, "reject", demand)
        reason = _required("reason", reason, _("Give the reason for the rejection."))
        before = demand.state
        demand.state, demand.reason = State.REJECTED, reason
        demand.save(update_fields=["state", "reason", "updated_at"])
        _record(demand, DemandEvent.Action.REJECT, actor, before, reason)
        _tell(requester_side(demand), demand, gettext_noop("Data demand %(number)s was rejected"),
              gettext_noop("The demand “%(title)s” was rejected: %(text)s"), text=reason)
    return demand


def fulfil(*, actor, demand: DataDemand, fulfilment: str, today: dt.date | None = None) -> DataDemand:
    """Record that a confirmed demand was fulfilled, and how (the interface, file or database
    granted): the requesting department or the centre."""
    with transaction.atomic():
        demand = _transition(demand, STEPS_FROM["fulfil"], _("fulfilment"))
        _allowed(actor, "fulfil", demand)
        fulfilment = _required("fulfilment", fulfilment,
                               _("Say how the data was supplied (e.g. the interface or file granted)."))
        before = demand.state
        demand.state, demand.fulfilment = State.FULFILLED, fulfilment
        demand.fulfilled_on = today or timezone.localdate()
        demand.save(update_fields=["state", "fulfilment", "fulfilled_on", "updated_at"])
        _record(demand, DemandEvent.Action.FULFIL, actor, before, fulfilment)
    return demand


#: the steps after filing: name → (service, the text's input field)
ACTIONS = {"confirm": (confirm, "answer"), "reject": (reject, "reason"), "fulfil": (fulfil, "fulfilment")}


# --- messages to both sides ----------------------------------------------------------------------
def officials(department, action: str) -> list:
    """The active officials of `department` (and its subunits) who may `action` demands of it."""
    stand_in = party(department)
    users = get_user_model().objects.filter(is_active=True, department__path__startswith=department.path)
    return [u for u in users.order_by("username")
            if getattr(u, "is_official", False) and resolver().allows(u, action, stand_in)]


def requester_side(demand: DataDemand) -> list:
    """Who hears about a demand for the requesting department: the official who filed it (while they
    may still see it: not after leaving the department or losing the role) and those who may change
    the department's demands."""
    users = {u.pk: u for u in officials(demand.department, "change")}
    filer = demand.filed_by
    if filer is not None and filer.is_active and resolver().allows(filer, "view", demand):
        users.setdefault(filer.pk, filer)
    return list(users.values())


def provider_side(demand: DataDemand) -> list:
    """Who hears about a demand for the provider: the officials who may answer it."""
    return officials(demand.provider, "answer") if demand.provider_id else []


def _tell(users: list, demand: DataDemand, subject: str, body: str, **values) -> int:
    """An in-app message to each of `users` about `demand`, in the platform's language; `subject`
    and `body` are msgids formatted with the demand's number, title, departments, entry, deadline and
    `values`."""
    fields = {"number": demand.number, "title": demand.title, "requester": demand.department.name,
              "provider": demand.provider.name if demand.provider_id else "",
              "entry": demand.entry.name if demand.entry_id else "",
              "due": demand.due_on.isoformat() if demand.due_on else "", **values}
    with translation.override(settings.LANGUAGE_CODE):
        subject, body = _(subject) % fields, _(body) % fields
        for user in users:
            notify(user=user, channel=Channel.IN_APP, recipient=user.username, subject=subject, body=body)
    return len(users)


# --- overdue reminders ----------------------------------------------------------------------------
def remind_overdue(*, today: dt.date | None = None) -> dict:
    """Tell both sides of every overdue demand (in-app), once per demand: the requesting department
    (the official who filed it and those who may change it) and the provider's officials who may
    answer it. Returns {"demands": n, "messages": m}."""
    today = today or timezone.localdate()
    demands = messages = 0
    for pk in DataDemand.objects.overdue(today).filter(reminded_on__isnull=True).values_list("pk", flat=True):
        with transaction.atomic():
            demand = _locked(pk)
            if demand.reminded_on is not None or not demand.overdue_on(today):
                continue
            recipients = {u.pk: u for u in requester_side(demand) + provider_side(demand)}
            sent = _tell(list(recipients.values()), demand, gettext_noop("Data demand %(number)s is overdue"),
                         gettext_noop("The data demand %(number)s “%(title)s” of %(requester)s, addressed to "
                                      "%(provider)s, was due for an answer on %(due)s and has not been answered."))
            demand.reminded_on = today
            demand.save(update_fields=["reminded_on", "updated_at"])
            with translation.override(settings.LANGUAGE_CODE):
                _event(demand, DemandEvent.Action.REMIND, None, _("Sent to %(n)d officials.") % {"n": sent})
            audit.record("demands.datademand.remind", demand, changes={"recipients": sent})
            demands, messages = demands + 1, messages + sent
    return {"demands": demands, "messages": messages}
