"""Pages of the census (数据平台 → 数据资源普查): the campaigns with their completion rate, a
campaign's page (progress bar, the departments' assignments filtered by state or overdue, exported to
Excel, and for the big-data centre opening, closing and assigning departments), the assignment
list, and an assignment's page (the pre-filled template, the upload with its errors by row and
column, the upload history, acceptance or return).

Every read goes through `dgov.census.selectors` (scope), every write through `dgov.census.services`."""

from types import SimpleNamespace

from django.contrib import messages
from django.db.models import Max
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from dgov.census import selectors, services
from dgov.census.filtersets import AssignmentFilterSet
from dgov.census.forms import AssignForm, CampaignForm, ReopenForm, ReturnForm, UploadForm
from dgov.census.models import AssignmentState, CampaignState, CensusAssignment, CensusCampaign
from dgov.census.tables import AssignmentTable, CampaignTable, ProgressTable, UploadTable
from dgov.core import audit
from dgov.core.errors import DgovError, NotFound, PermissionDenied
from dgov.core.importexport import export_response, read_upload, xlsx_response
from dgov.core.permissions import has_permission
from dgov.core.views import CrudView, CrudViews, ObjectEditView, ObjectListView, audit_refused_write

NAMESPACE = "census"
EXPORTS = ("xlsx", "csv")


def _refused(request, exc: DgovError) -> None:
    """A refused action: audited, and said at the top of the page it returns to."""
    if isinstance(exc, (PermissionDenied, NotFound)):
        raise exc
    audit_refused_write(request, exc)
    messages.error(request, "; ".join(exc.sentences()))


def _export(request, table, rows, *, model, filename: str, **filters):
    fmt = request.GET["export"]
    audit.record(f"{model._meta.label_lower}.export", audit.Target(model._meta.label_lower),
                 changes={"format": fmt, "filters": filters})
    return export_response(table, rows, fmt=fmt, filename=filename)


# --- campaigns ------------------------------------------------------------------------------------
def _with_progress(user, campaigns):
    out = []
    for campaign in campaigns:
        campaign.progress = SimpleNamespace(**selectors.progress(user, campaign))
        out.append(campaign)
    return out


class CampaignListView(CrudView):
    """The campaigns the user may see, newest first, each with its completion rate."""

    template_name = "census/campaign_list.html"

    def get(self, request):
        qs = selectors.campaigns(request.user)
        state = request.GET.get("state", "")
        if state in CampaignState.values:
            qs = qs.filter(state=state)
        campaigns = _with_progress(request.user, qs)
        if request.GET.get("export") in EXPORTS:
            return _export(request, CampaignTable, campaigns, model=CensusCampaign, filename="census-campaigns",
                           state=state)
        return render(request, self.template_name, self.context(
            campaigns=campaigns, state=state, states=CampaignState.choices,
            can_add=has_permission(request.user, CensusCampaign, "add")))


class CampaignDetailView(CrudView):
    """A campaign: its progress, its assignments (filtered, sorted, exported) and the centre's
    actions: open, close, assign departments."""

    template_name = "census/campaign_detail.html"

    def get(self, request, key, assign_form=None, reopen_form=None, status=200):
        user = request.user
        campaign = selectors.campaign_for(user, "view", key)
        state = request.GET.get("state", "")
        overdue = {"1": True, "0": False}.get(request.GET.get("overdue", ""))
        rows = selectors.filter_assignments(selectors.assignments(user).filter(campaign=campaign),
                                            state=state if state in AssignmentState.values else "", overdue=overdue)
        sort = request.GET.get("sort") or ""
        rows = rows.order_by(ProgressTable.ordering_for(sort), "pk")
        if request.GET.get("export") in EXPORTS:
            return _export(request, AssignmentTable, rows.iterator(chunk_size=500), model=CensusAssignment,
                           filename=f"census-{campaign.year}-progress", campaign=campaign.pk, state=state,
                           overdue=overdue)
        query = request.GET.copy()
        query.pop("export", None)
        may_change = has_permission(user, CensusCampaign, "change")
        manage = may_change and campaign.state != CampaignState.CLOSED
        reopen = may_change and campaign.state == CampaignState.CLOSED
        return render(request, self.template_name, self.context(
            object=campaign, progress=selectors.progress(user, campaign),
            table=ProgressTable(rows, sort=sort, detail_url=AssignmentViews.detail_url),
            state=state, overdue=request.GET.get("overdue", ""), states=AssignmentState.choices,
            query=query.urlencode(), can_manage=manage, can_edit=manage,
            assign_form=assign_form or AssignForm(), can_reopen=reopen,
            reopen_form=reopen_form or ReopenForm()), status=status)

    def post(self, request, key):
        campaign = selectors.campaign_for(request.user, "change", key)
        action = request.POST.get("action")
        try:
            if action == "open":
                services.open_campaign(actor=request.user, campaign=campaign)
                messages.success(request, _("The campaign is open; the departments have been notified."))
            elif action == "close":
                services.close_campaign(actor=request.user, campaign=campaign)
                messages.success(request, _("The campaign is closed."))
            elif action == "reopen":
                form = ReopenForm(request.POST)
                if not form.is_valid():
                    return self.get(request, key, reopen_form=form, status=422)
                services.reopen_campaign(actor=request.user, campaign=campaign, due_on=form.cleaned_data["due_on"])
                messages.success(request, _("The campaign is open again; the departments still missing have been "
                                            "notified."))
            elif action == "assign":
                form = AssignForm(request.POST)
                if not form.is_valid():
                    return self.get(request, key, assign_form=form, status=422)
                departments = services.departments_to_assign(codes=form.codes(), under=form.cleaned_data["under"],
                                                             region_code=form.cleaned_data["region_code"])
                new = services.assign(actor=request.user, campaign=campaign, departments=departments)
                messages.success(request, ngettext("%(n)d department assigned.", "%(n)d departments assigned.",
                                                   len(new)) % {"n": len(new)})
            else:
                messages.error(request, _("Unknown action."))
        except DgovError as exc:
            _refused(request, exc)
        return redirect(CampaignViews.detail_url(campaign))


class CampaignEditView(ObjectEditView):
    pass


def _save_campaign(*, actor, instance):
    return services.campaign_save(actor=actor, campaign=instance)


class CampaignViews(CrudViews):
    nav_section = "data"
    model = CensusCampaign
    table = CampaignTable
    form = CampaignForm
    save = staticmethod(_save_campaign)
    views = {"list": CampaignListView, "detail": CampaignDetailView, "add": CampaignEditView,
             "edit": CampaignEditView}

    @classmethod
    def deletable(cls) -> bool:
        return False  # a campaign is closed, never deleted: its record stays


# --- assignments ----------------------------------------------------------------------------------
class AssignmentListView(ObjectListView):
    pass


class AssignmentDetailView(CrudView):
    """A department's assignment: download the pre-filled template, upload it (dry run or for
    real), the errors by row and column, the upload history; accept or return for the centre."""

    template_name = "census/assignment_detail.html"

    def get(self, request, key, **extra):
        user = request.user
        assignment = selectors.assignment_for(user, "view", key)
        if request.GET.get("template"):
            filename, data = selectors.template_download(user, assignment)
            return xlsx_response(data, filename)
        status = extra.pop("status", 200)
        open_ = assignment.campaign.state == CampaignState.OPEN
        can_upload = (open_ and assignment.state != AssignmentState.ACCEPTED
                      and selectors.may(user, "upload", assignment))
        can_review = assignment.state == AssignmentState.SUBMITTED and selectors.may(user, "review", assignment)
        uploads = list(selectors.uploads(user, assignment)[:50])
        # the entries the file in hand (or else the last submitted one) leaves out
        checked = extra.get("result") or next((u for u in uploads if u.ok and not u.dry_run), None)
        ctx = {"left_out": selectors.left_out(user, checked), "left_out_of": checked,
               "object": assignment, "campaign": assignment.campaign, "can_upload": can_upload,
               "can_review": can_review, "upload_form": UploadForm(), "return_form": ReturnForm(),
               "uploads": UploadTable(uploads), "upload_count": len(uploads),
               "campaign_url": CampaignViews.detail_url(assignment.campaign), **extra}
        return render(request, self.template_name, self.context(**ctx), status=status)

    def post(self, request, key):
        action = request.POST.get("action")
        if action == "upload":
            return self._upload(request, key)
        if action not in services.REVIEW_ACTIONS:
            messages.error(request, _("Unknown action."))
            return redirect(AssignmentViews.detail_url(selectors.assignment_for(request.user, "view", key)))
        assignment = selectors.assignment_for(request.user, "review", key)
        form = ReturnForm(request.POST) if action == "return" else None
        if form is not None and not form.is_valid():
            return self.get(request, key, return_form=form, status=422)
        try:
            services.review(actor=request.user, assignment=assignment, action=action,
                            reason=form.cleaned_data["reason"] if form else "")
            messages.success(request, _("Accepted.") if action == "accept" else _("Returned to the department."))
        except DgovError as exc:
            _refused(request, exc)
        return redirect(AssignmentViews.detail_url(assignment))

    def _upload(self, request, key):
        assignment = selectors.assignment_for(request.user, "upload", key)
        form = UploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.get(request, key, upload_form=form, status=422)
        file, dry_run = form.cleaned_data["file"], form.cleaned_data["dry_run"]
        try:
            record = services.upload(actor=request.user, assignment=assignment, data=read_upload(file),
                                     filename=file.name, dry_run=dry_run)
        except DgovError as exc:
            _refused(request, exc)
            return redirect(AssignmentViews.detail_url(assignment))
        if record.ok and not dry_run:
            messages.success(request, _("Submitted: %(c)d entries confirmed, %(u)d updated, %(n)d created.") % {
                "c": record.unchanged_count, "u": record.updated_count, "n": record.created_count})
            return redirect(AssignmentViews.detail_url(assignment))
        # a passed dry run leads to the real upload: the box is then unticked
        form = UploadForm(initial={"dry_run": dry_run and not record.ok})
        return self.get(request, key, result=record, upload_form=form, status=200 if record.ok else 422)


class AssignmentViews(CrudViews):
    nav_section = "data"
    model = CensusAssignment
    table = AssignmentTable
    filterset = AssignmentFilterSet
    queryset = staticmethod(lambda: CensusAssignment.objects.select_related("campaign", "department").annotate(
        last_upload_at=Max("uploads__created_at")))
    views = {"list": AssignmentListView, "detail": AssignmentDetailView}
