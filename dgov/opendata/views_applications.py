"""Pages of conditional data (有条件开放): applying (signed-in users), my applications, and the provider
department's list and decision."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.http import require_http_methods

from dgov.core.errors import NotFound
from dgov.core.permissions import get_scoped
from dgov.core.views import OfficialRequiredMixin, attempt
from dgov.opendata import applications, links, selectors
from dgov.opendata.forms import ApplicationForm, DecisionForm
from dgov.opendata.models import AccessApplication, ApplicationStatus
from dgov.opendata.views_manage import StatusListView


def _conditional(name: str):
    try:
        dataset = selectors.published_dataset(name[:100])
    except NotFound:
        raise Http404 from None
    if not dataset.is_conditional:
        raise Http404
    return dataset


@login_required
@require_http_methods(["GET", "POST"])
def apply(request, name: str):
    """申请有条件开放数据: purpose, scenario, days, and the agreement accepted."""
    dataset = _conditional(name)
    form = ApplicationForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            ok, _result = attempt(request, lambda: applications.apply(actor=request.user, dataset=dataset,
                                                                      **form.cleaned_data), form=form)
            if ok:
                messages.success(request, _("Your application is sent to %(department)s.") % {
                    "department": dataset.entry.department.name})
                return redirect("opendata:my_applications")
        status = 422
    return render(request, "opendata/apply.html", {
        "nav_active": "portal", "dataset": dataset, "form": form, "agreement": applications.agreement()[0]},
        status=status)


@login_required
def my_applications(request):
    """我的数据申请: every application of mine, and what an approved one gives."""
    if request.method == "POST":
        application = AccessApplication.objects.filter(pk=request.POST.get("withdraw", "0")[:18] or 0,
                                                       applicant=request.user).first()
        if application is None:
            raise Http404
        attempt(request, lambda: applications.withdraw(actor=request.user, application=application))
        return redirect("opendata:my_applications")
    return render(request, "opendata/my_applications.html", {
        "nav_active": "portal", "applications": selectors.my_applications(request.user),
        "formats": links.DOWNLOAD_FORMATS})


class ApplicationListView(StatusListView):
    """有条件开放申请 of the department's datasets."""

    model, statuses, template_name = AccessApplication, ApplicationStatus, "opendata/application_list.html"
    related = ("dataset", "applicant")


class ApplicationDetailView(OfficialRequiredMixin, View):
    """One application: who, for what, under which agreement; the decision; the accesses it allowed."""

    def _application(self, request, pk):
        return get_scoped(request.user, "view", AccessApplication.objects.select_related(
            "dataset", "dataset__entry", "applicant", "decided_by"), pk=pk)

    def _render(self, request, application, form, status=200):
        return render(request, "opendata/application_detail.html", {
            "nav_active": "data", "application": application, "form": form,
            "accesses": application.accesses.order_by("-at")[:50],
            "may_decide": application.status == ApplicationStatus.SUBMITTED}, status=status)

    def get(self, request, pk: int):
        application = self._application(request, pk)
        return self._render(request, application, DecisionForm(initial={"days": application.requested_days}))

    def post(self, request, pk: int):
        application = self._application(request, pk)
        form = DecisionForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            ok, _result = attempt(request, lambda: applications.decide(
                actor=request.user, application=application, approve=data["decision"] == "approve",
                reason=data["reason"], days=data["days"]), form=form)
            if ok:
                messages.success(request, _("The decision is recorded and the applicant told."))
                return redirect("opendata:application_detail", pk=application.pk)
        return self._render(request, application, form, status=422)
