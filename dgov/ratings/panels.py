"""The ratings' sections of the case pages: for the applicant, the rating form once the case is decided,
afterwards their rating and a bad rating's progress; for officials, the rating and its rectification with
the current step's form (for the department's rating managers)."""

from django.template.loader import render_to_string

from dgov.core.permissions import resolver
from dgov.ratings import selectors, services
from dgov.ratings.forms import RatingForm, StepForm
from dgov.ratings.models import Step


def applicant_panel(request, case):
    user = request.user
    if not (getattr(user, "pk", None) and case.applicant_id == user.pk):
        return None
    rating = selectors.of_case(case)
    if rating is None and case.state not in services.RATEABLE_STATES:
        return None
    return render_to_string("ratings/_applicant_panel.html", {
        "case": case, "rating": rating, "rectification": getattr(rating, "rectification", None) if rating else None,
        "form": RatingForm() if rating is None else None}, request=request)


def rectification_context(user, rating, form=None) -> dict:
    rectification = getattr(rating, "rectification", None)
    can_handle = bool(rectification and rectification.state != Step.CLOSED
                      and resolver().allows(user, "handle", rectification))
    if can_handle and form is None:
        form = StepForm(step=rectification.state, prefix="step")
    return {"rating": rating, "rectification": rectification, "form": form if can_handle else None,
            "overdue": bool(rectification and services.is_overdue(rectification)),
            "events": list(rectification.events.select_related("actor")) if rectification else []}


def official_panel(request, case):
    rating = selectors.of_case(case)
    if rating is None:
        return None
    return render_to_string("ratings/_official_panel.html",
                            {"case": case, **rectification_context(request.user, rating)}, request=request)
