"""The pages of ratings:

- the applicant's rating of a decided case (`ratings:rate`, /my/cases/<reference>/rating/): the panel on
  their case page posts here; a refused rating comes back on this page with the errors;
- the workbench list (`ratings:rating_list`): the ratings in the official's scope with the satisfaction
  figures and filters (level, rectification state, overdue);
- one rating (`ratings:rating_detail`): the rating, the rectification's history and the current step's
  form for the department's rating managers (the same form is on the official's case page).
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View

from dgov.cases import selectors as case_selectors
from dgov.cases.applicant_views import applicant_required
from dgov.core.errors import DgovError, NotFound
from dgov.core.forms import apply_error
from dgov.core.views import OfficialRequiredMixin, attempt, audit_refused_write
from dgov.ratings import selectors, services
from dgov.ratings.forms import RatingFilterForm, RatingForm, StepForm
from dgov.ratings.models import Level, Rating
from dgov.ratings.panels import rectification_context

PAGE_SIZE = 25


@applicant_required
def rate(request, reference: str):
    case = case_selectors.my_cases(request.user).filter(reference=reference).first()
    if case is None:
        raise Http404
    back = reverse("cases:my_case", kwargs={"reference": reference})
    if not services.can_rate(request.user, case):
        return redirect(back)
    form = RatingForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                rating = services.rate(actor=request.user, case=case, **form.cleaned_data)
            except DgovError as exc:
                audit_refused_write(request, exc)
                apply_error(form, exc)
            else:
                messages.success(request, _("Thank you for your rating.") if not rating.is_bad else
                                 _("Thank you for your rating. The department will look into it and tell you "
                                   "what it has done."))
                return redirect(back)
        status = 422
    return render(request, "ratings/rate.html", {"case": case, "form": form, "back_url": back}, status=status)


class RatingListView(OfficialRequiredMixin, View):
    def get(self, request):
        everything = selectors.visible(request.user)
        form = RatingFilterForm(request.GET or None)
        qs = everything
        if form.is_bound:
            if form.is_valid():
                overdue = {"yes": True, "no": False}.get(form.cleaned_data["overdue"])
                qs = selectors.filtered(qs, level=form.cleaned_data["level"], state=form.cleaned_data["state"] or None,
                                        overdue=overdue)
            else:
                qs = qs.none()
        page = Paginator(qs.order_by("-created_at", "-pk"), PAGE_SIZE).get_page(request.GET.get("page"))
        today = timezone.localdate()
        rows = [{"rating": r, "rectification": getattr(r, "rectification", None),
                 "overdue": hasattr(r, "rectification") and services.is_overdue(r.rectification, today)}
                for r in page.object_list]
        query = request.GET.copy()
        query.pop("page", None)
        figures = selectors.counts(everything)
        levels = [{"level": level, "label": label, "count": figures["by_level"][level]} for level, label in
                  Level.choices]
        return render(request, "ratings/rating_list.html", {
            "nav_active": "workbench", "form": form, "rows": rows, "page": page, "query": query.urlencode(),
            "figures": figures, "levels": levels, "list_url": reverse("ratings:rating_list")})


class RatingDetailView(OfficialRequiredMixin, View):
    template_name = "ratings/rating_detail.html"

    def _rating(self, request, pk) -> Rating:
        return selectors.rating_for(request.user, pk)

    def _render(self, request, rating, form=None, status=200):
        return render(request, self.template_name, {
            "nav_active": "workbench", "case": rating.case, "list_url": reverse("ratings:rating_list"),
            "case_url": reverse("cases:case_detail", kwargs={"key": rating.case.reference}),
            **rectification_context(request.user, rating, form)}, status=status)

    def get(self, request, pk):
        return self._render(request, self._rating(request, pk))

    def post(self, request, pk):
        rating = self._rating(request, pk)
        rectification = getattr(rating, "rectification", None)
        if rectification is None:
            raise NotFound()
        form = StepForm(request.POST, step=rectification.state, prefix="step")
        if form.is_valid():
            ok, _step = attempt(request, lambda: services.record_step(
                actor=request.user, rectification=rectification, step=rectification.state, **form.step_data()),
                form=form)
            if ok:
                messages.success(request, _("The step was recorded."))
                target = request.POST.get("next", "")
                if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                       require_https=request.is_secure()):
                    target = reverse("ratings:rating_detail", kwargs={"pk": rating.pk})
                return redirect(target)
        rating = selectors.rating_for(request.user, pk)
        return self._render(request, rating, form=form, status=422)


def urls() -> list:
    return [
        path("my/cases/<str:reference>/rating/", rate, name="rate"),
        path("workbench/ratings/", RatingListView.as_view(), name="rating_list"),
        path("workbench/ratings/<int:pk>/", RatingDetailView.as_view(), name="rating_detail"),
    ]
