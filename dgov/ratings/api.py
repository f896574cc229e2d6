"""`/api/v1/services/ratings`: service ratings (好差评). Applicants rate their decided cases (once) and
read their ratings; officials read the ratings in their scope and record a bad rating's rectification
steps (verify → fix → callback)."""

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Status
from ninja.pagination import paginate

from dgov.cases import selectors as case_selectors
from dgov.core.api import READ_ERRORS, WRITE_ERRORS, Pagination, actor_of
from dgov.core.errors import NotFound, PermissionDenied
from dgov.ratings import selectors, services
from dgov.ratings.models import Rating
from dgov.ratings.schemas import RatingIn, RatingOut, RatingQuery, RatingStepIn

router = Router(tags=["ratings"])


def _by(user, applicant: bool) -> str:
    if user is None:
        return ""
    return "" if applicant else (user.real_name or user.username)


def rating_out(rating: Rating, user) -> dict:
    applicant = rating.rater_id == getattr(user, "pk", None)
    rect = getattr(rating, "rectification", None)
    out = {"id": rating.pk, "case": rating.case.reference, "item": rating.case.title,
           "department": rating.department.name, "level": rating.level, "level_label": rating.get_level_display(),
           "bad": rating.is_bad, "indicators": rating.indicators, "comment": rating.comment,
           "channel": rating.channel, "created_at": rating.created_at, "rectification": None}
    if rect is not None:
        out["rectification"] = {
            "state": rect.state, "due_on": rect.due_on, "overdue": services.is_overdue(rect),
            "founded": rect.founded, "verification": rect.verification, "verified_at": rect.verified_at,
            "fix": rect.fix, "fixed_at": rect.fixed_at, "callback": rect.callback, "satisfied": rect.satisfied,
            "called_back_at": rect.called_back_at, "closed_at": rect.closed_at,
            "steps": [{"step": e.step, "text": e.text, "at": e.created_at, "by": _by(e.actor, applicant)}
                      for e in rect.events.select_related("actor")]}
    return out


class RatingList:
    def __init__(self, qs, user):
        self.qs, self.user = qs, user

    def count(self) -> int:
        return self.qs.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, key):
        return [rating_out(r, self.user) for r in self.qs[key]]


@router.post("", response={201: RatingOut, **WRITE_ERRORS}, operation_id="create_rating")
def create_rating(request, payload: RatingIn):
    """Rate your case once it is decided (approved, refused, not accepted, delivered or closed): the
    applicant only, once (409 `already_rated`; 409 `not_rateable` before the decision). A bad rating
    (level 1 or 2) needs at least one indicator and opens its rectification."""
    actor = actor_of(request)
    if getattr(actor, "kind", None) not in selectors.APPLICANT_KINDS:
        raise PermissionDenied(_("Only the applicant rates a case."))
    case = case_selectors.my_cases(actor).filter(reference=payload.case.strip()).first()
    if case is None:
        raise NotFound()
    rating = services.rate(actor=actor, case=case, level=payload.level, indicators=payload.indicators,
                           comment=payload.comment)
    return Status(201, rating_out(selectors.ratings().get(pk=rating.pk), actor))


@router.get("", response={200: list[RatingOut], **READ_ERRORS}, operation_id="list_ratings")
@paginate(Pagination)
def list_ratings(request, query: RatingQuery = Query(...)):
    """Applicants: their ratings. Officials: the ratings in their scope, newest first, by `level`,
    rectification `state` and `overdue`."""
    actor = actor_of(request)
    qs = selectors.filtered(selectors.visible(actor), level=query.level, state=query.state, overdue=query.overdue,
                            today=timezone.localdate())
    return RatingList(qs.order_by("-created_at", "-pk"), actor)


@router.get("/{rating_id}", response={200: RatingOut, **READ_ERRORS}, operation_id="get_rating")
def get_rating(request, rating_id: int):
    actor = actor_of(request)
    return rating_out(selectors.rating_for(actor, rating_id), actor)


@router.post("/{rating_id}/rectification", response={200: RatingOut, **WRITE_ERRORS},
             operation_id="record_rectification_step")
def record_rectification_step(request, rating_id: int, payload: RatingStepIn):
    """Record the current step of a bad rating's rectification (the department's rating managers):
    `verify` (text, `founded`), `fix` (text: the fix or, unfounded, the explanation), `callback` (text,
    `satisfied`; closes it). 422 `not_allowed` for a step that is not the current one."""
    actor = actor_of(request)
    if getattr(actor, "kind", None) in selectors.APPLICANT_KINDS:
        raise PermissionDenied()
    rating = selectors.rating_for(actor, rating_id)
    rectification = getattr(rating, "rectification", None)
    if rectification is None:
        raise NotFound(_("This rating is not a bad one: it has no rectification."))
    services.record_step(actor=actor, rectification=rectification, step=payload.step, text=payload.text,
                         founded=payload.founded, satisfied=payload.satisfied)
    return rating_out(selectors.ratings().get(pk=rating.pk), actor)
