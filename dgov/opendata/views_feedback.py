"""Pages of the public's side beyond browsing: data requests (public list; ask, signed in; the department's
answer), ratings with comments on a dataset, and developer keys."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.http import require_POST

from dgov.core.errors import NotFound
from dgov.core.permissions import get_scoped, has_permission
from dgov.core.views import OfficialRequiredMixin, attempt
from dgov.opendata import feedback, keys, links, selectors
from dgov.opendata.forms import AnswerForm, KeyForm, RatingForm, RequestForm, ShowcaseForm
from dgov.opendata.models import DataRequest, DatasetRating, DeveloperKey, OpenDataset, RequestStatus, Showcase
from dgov.opendata.views_manage import StatusListView


def requests_page(request):
    """数据需求: every request and its answer; signed-in users ask."""
    form = RequestForm(request.POST or None) if request.user.is_authenticated else None
    status = 200
    if request.method == "POST":
        if form is None:
            return redirect(f"{reverse('accounts:login')}?next={request.path}")
        if form.is_valid():
            data = form.cleaned_data
            ok, _item = attempt(request, lambda: feedback.request_create(
                actor=request.user, title=data["title"], description=data["description"],
                department=data["department"]), form=form)
            if ok:
                messages.success(request, _("Your request is sent to %(department)s; the answer will show here.") % {
                    "department": data["department"].name})
                return redirect("opendata:requests")
        status = 422
    page = Paginator(selectors.public_requests(), 20).get_page(request.GET.get("page"))
    return render(request, "opendata/requests.html", {"nav_active": "portal", "page": page, "form": form,
                                                      "query": ""}, status=status)


@login_required
@require_POST
def rate(request, name: str):
    try:
        dataset = selectors.published_dataset(name[:100])
    except NotFound:
        raise Http404 from None
    if "hide" in request.POST:  # the centre's reviewer takes a comment off the page
        if not has_permission(request.user, OpenDataset, "review"):
            raise DjangoPermissionDenied
        wanted = request.POST["hide"][:18]
        rating = DatasetRating.objects.filter(pk=int(wanted) if wanted.isdigit() else 0, dataset=dataset).first()
        if rating is None:
            raise Http404
        feedback.rating_hide(actor=request.user, rating=rating)
        return redirect("opendata:dataset", name=dataset.name)
    form = RatingForm(request.POST)
    if form.is_valid():
        ok, _rating = attempt(request, lambda: feedback.rating_save(actor=request.user, dataset=dataset,
                                                                     score=form.cleaned_data["score"],
                                                                     comment=form.cleaned_data["comment"]))
        if ok:
            messages.success(request, _("Thank you: your rating is saved."))
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    return redirect("opendata:dataset", name=dataset.name)


class RequestListView(StatusListView):
    """The data requests addressed to the departments of the official's scope."""

    model, statuses, template_name = DataRequest, RequestStatus, "opendata/request_list.html"
    related = ("department", "requester")


class RequestAnswerView(OfficialRequiredMixin, View):
    def _render(self, request, item, form, status=200):
        return render(request, "opendata/request_answer.html", {"nav_active": "data", "item": item, "form": form},
                      status=status)

    def get(self, request, pk: int):
        item = get_scoped(request.user, "view", DataRequest.objects.select_related("department"), pk=pk)
        initial = {"status": item.status if item.status != RequestStatus.OPEN else RequestStatus.ANSWERED,
                   "answer": item.answer, "dataset": item.dataset.name if item.dataset else ""}
        return self._render(request, item, AnswerForm(initial=initial))

    def post(self, request, pk: int):
        item = get_scoped(request.user, "change", DataRequest.objects.select_related("department"), pk=pk)
        form = AnswerForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            dataset = None
            if data["dataset"]:
                try:
                    dataset = selectors.published_dataset(data["dataset"])
                except NotFound:
                    form.add_error("dataset", _("No published dataset has this name."))
            if not form.errors:
                ok, _item = attempt(request, lambda: feedback.request_answer(
                    actor=request.user, item=item, status=data["status"], answer=data["answer"], dataset=dataset),
                    form=form)
                if ok:
                    messages.success(request, _("The answer is published."))
                    return redirect("opendata:request_list")
        return self._render(request, item, form, status=422)


@login_required
def keys_page(request):
    """开发者密钥: my keys with their use; a new key is shown once, on the page that creates it."""
    form, created, status = KeyForm(), None, 200
    if request.method == "POST":
        if "disable" in request.POST:
            wanted = request.POST["disable"][:18]
            key = DeveloperKey.objects.filter(pk=int(wanted) if wanted.isdigit() else 0, user=request.user).first()
            if key is None:
                raise Http404
            keys.key_disable(actor=request.user, key=key)
            messages.success(request, _("The key is disabled."))
            return redirect("opendata:keys")
        form = KeyForm(request.POST)
        if form.is_valid():
            ok, result = attempt(request, lambda: keys.key_create(actor=request.user, name=form.cleaned_data["name"]),
                                 form=form)
            if ok:
                created, form = result[1], KeyForm()
        if created is None:
            status = 422
    response = render(request, "opendata/keys.html", {
        "nav_active": "portal", "form": form, "created": created, "keys": selectors.my_keys(request.user),
        "quota": settings.DGOV_OPENDATA_KEY_DAILY_QUOTA, "endpoint": links.ckan_action("package_search")},
        status=status)
    response["Cache-Control"] = "no-store"  # the page that shows a new key is never kept
    return response


def showcases_page(request):
    """应用成果: applications built on the open data; signed-in users send theirs; the centre shows them."""
    form = ShowcaseForm(request.POST or None) if request.user.is_authenticated else None
    status = 200
    may_review = has_permission(request.user, Showcase, "change") if request.user.is_authenticated else False
    if request.method == "POST":
        if form is None:
            return redirect(f"{reverse('accounts:login')}?next={request.path}")
        if may_review and "show" in request.POST:
            wanted = request.POST["show"][:18]
            item = Showcase.objects.filter(pk=int(wanted) if wanted.isdigit() else 0).first()
            if item is None:
                raise Http404
            feedback.showcase_publish(actor=request.user, item=item, shown=not item.is_published)
            return redirect("opendata:showcases")
        if form.is_valid():
            data = form.cleaned_data
            ok, _item = attempt(request, lambda: feedback.showcase_submit(
                actor=request.user, title=data["title"], description=data["description"], url=data["url"],
                datasets=data["datasets"]), form=form)
            if ok:
                messages.success(request, _("Thank you: the application shows here once the centre has checked it."))
                return redirect("opendata:showcases")
        status = 422
    shown = Showcase.objects.prefetch_related("datasets").order_by("-created_at", "-pk")
    return render(request, "opendata/showcases.html", {
        "nav_active": "portal", "form": form, "may_review": may_review,
        "showcases": shown if may_review else shown.filter(is_published=True)}, status=status)
