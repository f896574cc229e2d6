"""Writes of service ratings (好差评): the applicant's rating of a decided case and a bad rating's
rectification (核实 → 整改 → 回访 → 办结), each checked, audited and told to whom it concerns.

Rules (国办发〔2019〕51号: 差评 verified, fixed and called back, 实名差评回访整改率 100%):

| step | from | to | who | needs |
|---|---|---|---|---|
| rate | case decided | rating (bad: rectification `verify`) | the applicant, once | level 1–5; bad: ≥ 1 indicator |
| verify | verify | fix | `handle_rectification` in scope | text, `founded` (属实 / 不属实) |
| fix | fix | callback | `handle_rectification` in scope | text: the fix, or (unfounded) the explanation |
| callback | callback | closed | `handle_rectification` in scope | text, `satisfied` |

Deadlines in working days on the platform calendar, from the day the step opened:
`DGOV_RATING_VERIFY_WORKING_DAYS` (1), `DGOV_RATING_FIX_WORKING_DAYS` (5),
`DGOV_RATING_CALLBACK_WORKING_DAYS` (3). There is no way to close but the call-back, which needs the fix
recorded (and a database constraint says so too): a bad rating never closes without its fix and call-back.
"""

import datetime as dt

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dgov.calendars.selectors import add_working_days
from dgov.cases import notify
from dgov.cases.models import Case, State
from dgov.core import audit
from dgov.core.errors import Conflict, NotFound, ValidationError
from dgov.core.permissions import require_in_scope, resolver
from dgov.ratings.models import BAD_LEVELS, INDICATORS, Channel, Level, Rating, Rectification, RectificationEvent, Step

#: the case states in which its applicant may rate it: decided (approved, refused, not accepted), the
#: result delivered, or closed (一事一评 after the decision); never drafts, running or withdrawn cases
RATEABLE_STATES = (State.APPROVED, State.REFUSED, State.NOT_ACCEPTED, State.DELIVERED, State.CLOSED)
COMMENT_MAX = 1000
TEXT_MAX = 2000
#: step → (the setting with its deadline in working days, its default)
DEADLINES = {Step.VERIFY: ("DGOV_RATING_VERIFY_WORKING_DAYS", 1), Step.FIX: ("DGOV_RATING_FIX_WORKING_DAYS", 5),
             Step.CALLBACK: ("DGOV_RATING_CALLBACK_WORKING_DAYS", 3)}
NEXT = {Step.VERIFY: Step.FIX, Step.FIX: Step.CALLBACK, Step.CALLBACK: Step.CLOSED}
DUE, OVERDUE = "due", "overdue"


def step_due(step: str, day: dt.date) -> dt.date:
    name, default = DEADLINES[step]
    return add_working_days(day, int(getattr(settings, name, default)))


def can_rate(user, case: Case) -> bool:
    """`user` is the case's applicant, the case is decided and not yet rated."""
    return (bool(getattr(user, "pk", None)) and case.applicant_id == user.pk and case.state in RATEABLE_STATES
            and not Rating.objects.filter(case_id=case.pk).exists())


def is_overdue(rectification: Rectification, today: dt.date | None = None) -> bool:
    today = today or timezone.localdate()
    return rectification.state != Step.CLOSED and rectification.due_on is not None and rectification.due_on < today


def handlers(obj) -> list:
    """The active officials holding `handle_rectification` with `obj` (a rectification) in scope."""
    from dgov.accounts.models import User, UserKind

    candidates = (User.objects.filter(is_active=True, kind=UserKind.OFFICIAL,
                                      role_assignments__role__permissions__codename="handle_rectification",
                                      role_assignments__role__permissions__content_type__app_label="ratings")
                  .distinct().order_by("pk"))
    return [user for user in candidates if resolver().allows(user, "handle", obj)]


def _clean_level(level) -> int:
    try:
        value = int(level)
    except (TypeError, ValueError):
        value = 0
    if value not in Level.values:
        raise ValidationError(details={"level": [_("Choose one of the five levels.")]})
    return value


def _clean_indicators(indicators, bad: bool) -> list[str]:
    if indicators in (None, ""):
        indicators = []
    if not isinstance(indicators, (list, tuple)) or any(code not in INDICATORS for code in indicators):
        raise ValidationError(details={"indicators": [_("Choose among the listed indicators.")]})
    chosen = [code for code in INDICATORS if code in indicators]
    if bad and not chosen:
        raise ValidationError(details={"indicators": [
            _("Say what was not good: choose at least one indicator.")]})
    return chosen


def _text(value, field: str, *, required: bool, limit: int = TEXT_MAX, message=None) -> str:
    value = (value or "").strip() if isinstance(value, str) or value is None else str(value)
    if required and not value:
        raise ValidationError(details={field: [message or _("This field is required.")]})
    if len(value) > limit:
        raise ValidationError(details={field: [_("Ensure this text has at most %(max)d characters.") % {"max": limit}]})
    return value


def rate(*, actor, case: Case, level, indicators=(), comment: str = "", channel: str = Channel.ONLINE) -> Rating:
    """The applicant rates their decided case, once. A bad rating opens its rectification (verify due in
    one working day) and tells the department's rating managers."""
    level = _clean_level(level)
    bad = level in BAD_LEVELS
    indicators = _clean_indicators(indicators, bad)
    comment = _text(comment, "comment", required=False, limit=COMMENT_MAX)
    if channel not in Channel.values:
        raise ValidationError(details={"channel": [_("Choose one of the allowed values.")]})
    with transaction.atomic():
        try:
            case = Case.objects.select_for_update(of=("self",)).select_related("department", "region").get(pk=case.pk)
        except Case.DoesNotExist:
            raise NotFound() from None
        if not (getattr(actor, "pk", None) and case.applicant_id == actor.pk):
            raise NotFound()  # a case is nobody else's business
        if case.state not in RATEABLE_STATES:
            raise Conflict(_("A case can be rated once it is decided: this one is “%(state)s”.")
                           % {"state": case.get_state_display()}, code="not_rateable")
        if Rating.objects.filter(case=case).exists():
            raise Conflict(_("You have already rated this case."), code="already_rated")
        try:
            with transaction.atomic():
                rating = Rating.objects.create(case=case, level=level, indicators=indicators, comment=comment,
                                               channel=channel, rater=actor, department=case.department,
                                               region=case.region)
        except IntegrityError:
            raise Conflict(_("You have already rated this case."), code="already_rated") from None
        audit.record("ratings.rating.create", rating, changes={"case": case.reference, "level": level,
                                                               "indicators": indicators}, actor=actor)
        if bad:
            today = timezone.localdate()
            rectification = Rectification.objects.create(rating=rating, state=Step.VERIFY,
                                                         due_on=step_due(Step.VERIFY, today))
            audit.record("ratings.rectification.create", rectification,
                         changes={"state": [None, Step.VERIFY], "due_on": rectification.due_on.isoformat()},
                         actor=actor)
            notify.to_officials("rating_bad", case, handlers(rectification), level=rating.get_level_display(),
                                indicators="、".join(rating.indicator_names()), comment=comment or "—",
                                due_on=rectification.due_on.isoformat())
    return rating


def record_step(*, actor, rectification: Rectification, step: str, text: str, founded=None,
                satisfied=None) -> Rectification:
    """Record the rectification's current step (`verify`, `fix` or `callback`) and open the next one
    with its deadline; the call-back closes it. 422 `not_allowed` for any other step than the current."""
    if step not in NEXT:
        raise ValidationError(details={"step": [_("Choose verify, fix or callback.")]})
    text = _text(text, "text", required=True, message=_("Write down what was done: it is kept on record."))
    with transaction.atomic():
        try:
            rectification = (Rectification.objects.select_for_update(of=("self",))
                             .select_related("rating__case__department", "rating__case__applicant",
                                             "rating__department", "rating__region").get(pk=rectification.pk))
        except Rectification.DoesNotExist:
            raise NotFound() from None
        require_in_scope(actor, "handle", rectification)
        if rectification.state != step:
            raise ValidationError(
                _("This step is not the current one: the rectification is “%(state)s”.")
                % {"state": rectification.get_state_display()}, code="not_allowed",
                details={"step": [_("Not allowed in this state.")], "allowed": [rectification.state]
                         if rectification.state != Step.CLOSED else []})
        now, today = timezone.now(), timezone.localdate()
        data: dict = {}
        if step == Step.VERIFY:
            if not isinstance(founded, bool):
                raise ValidationError(details={"founded": [_("Say whether the complaint is founded.")]})
            rectification.founded, rectification.verification = founded, text
            rectification.verified_at, rectification.verified_by = now, actor
            data["founded"] = founded
        elif step == Step.FIX:
            rectification.fix, rectification.fixed_at, rectification.fixed_by = text, now, actor
        else:
            if not isinstance(satisfied, bool):
                raise ValidationError(details={"satisfied": [_("Say whether the applicant is satisfied.")]})
            if rectification.fixed_at is None:  # the loop's rule; the database's constraint says it too
                raise Conflict(_("The fix must be recorded before the call-back."), code="not_fixed")
            rectification.callback, rectification.satisfied = text, satisfied
            rectification.called_back_at, rectification.called_back_by = now, actor
            rectification.closed_at = now
            data["satisfied"] = satisfied
        before = rectification.state
        rectification.state = NEXT[step]
        rectification.due_on = step_due(rectification.state, today) if rectification.state != Step.CLOSED else None
        rectification.warning_sent = ""
        rectification.save()
        RectificationEvent.objects.create(rectification=rectification, step=step, text=text, data=data, actor=actor)
        audit.record(f"ratings.rectification.{step}", rectification, changes={
            "state": [before, rectification.state], **data,
            "due_on": rectification.due_on.isoformat() if rectification.due_on else None}, actor=actor)
        if step == Step.FIX:  # 整改反馈: the applicant is told what was done
            notify.to_applicant("rating_fixed", rectification.rating.case, fix=text)
    return rectification


def remind(rectification: Rectification, kind: str, today: dt.date) -> int | None:
    """Tell the department's rating managers that the current step is due today or overdue, once per
    kind and step; None when already told."""
    with transaction.atomic():
        rectification = (Rectification.objects.select_for_update(of=("self",))
                         .select_related("rating__case__department", "rating__department", "rating__region")
                         .get(pk=rectification.pk))
        if rectification.state == Step.CLOSED or rectification.warning_sent in (kind, OVERDUE):
            return None
        rectification.warning_sent = kind
        rectification.save(update_fields=["warning_sent", "updated_at"])
        sent = notify.to_officials("rating_due", rectification.rating.case, handlers(rectification),
                                   step=rectification.get_state_display(),
                                   due_on=rectification.due_on.isoformat() if rectification.due_on else "",
                                   level=_("overdue") if kind == OVERDUE else _("due today"))
        audit.record("ratings.rectification.remind", rectification, changes={"kind": kind, "messages": sent})
    return sent


def run_tick(*, today: dt.date) -> dict:
    """The daily run: a reminder for each open rectification whose step is due today or overdue."""
    result = {"due": 0, "overdue": 0, "messages": 0}
    for rectification in (Rectification.objects.exclude(state=Step.CLOSED).filter(due_on__lte=today)
                          .order_by("due_on", "pk")):
        kind = OVERDUE if rectification.due_on < today else DUE
        sent = remind(rectification, kind, today)
        if sent is not None:
            result[kind] += 1
            result["messages"] += sent
    return result
