"""The officials' case pages (前店后厂: the counter and the back office), under 工作台:

- the inbox (`cases:inbox`): the cases in scope the official can act on, most urgent first, with
  the clock's warning, filters and the count per state;
- every case in scope (`cases:case_list`): search by reference, item or applicant; export;
- a case (`cases:case_detail`): the applicant (identity number masked; an audited reveal for holders
  of the personal-data permission), the answers, the materials (downloads audited; an e-licence
  shows its identifier), the clock, the full history and one form for each action the official may
  take now (`services.allowed_actions`); a refused or bad submission comes back with its values kept
  and the errors in Chinese.

The applicant's pages are in `applicant_views.py`.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from dgov.accounts.selectors import can_view_personal_data
from dgov.cases import panels, selectors, services
from dgov.cases.forms import ACTION_FORMS, CaseFilterSet, InboxFilterForm, MessageTemplateForm
from dgov.cases.models import Case, MaterialKind, MessageTemplate, State
from dgov.cases.tables import STATE_BADGES, CaseTable, MessageTemplateTable, clock_of, clocks_of
from dgov.core import audit
from dgov.core.errors import DgovError, NotFound, PermissionDenied
from dgov.core.permissions import require_permission
from dgov.core.validators import mask_id_number, mask_phone
from dgov.core.views import CrudView, CrudViews, ObjectListView, OfficialRequiredMixin, audit_refused_write
from dgov.services import formdef

NAMESPACE = "cases"
PREFIX = "workbench/cases"
INBOX_PAGE_SIZE = 25

#: what the history calls each event's action (unknown ones show the state they led to)
EVENT_LABELS = {
    "start": gettext_lazy("draft started"), "submit": gettext_lazy("application submitted"),
    "resubmit": gettext_lazy("corrected and resubmitted"), "accept": gettext_lazy("case accepted"),
    "deemed_accept": gettext_lazy("accepted by law (no correction notice in time)"),
    "not_accept": gettext_lazy("case not accepted"), "request_correction": gettext_lazy("correction requested"),
    "review": gettext_lazy("review step completed"), "suspend": gettext_lazy("special procedure started"),
    "resume": gettext_lazy("clock resumed"), "approve": gettext_lazy("application approved"),
    "refuse": gettext_lazy("application refused"), "deliver": gettext_lazy("result delivered to the applicant"),
    "close": gettext_lazy("case closed"), "withdraw": gettext_lazy("application withdrawn"),
    "warn_yellow": gettext_lazy("yellow warning sent to the department"),
    "warn_red": gettext_lazy("red warning sent to the department"),
    "escalate": gettext_lazy("overdue: escalated to the supervisors"),
}


def event_label(event) -> str:
    label = EVENT_LABELS.get(event.action)
    if label is not None:
        return str(label)
    return event.get_to_state_display() or event.action


def case_for(user, key) -> Case:
    """The case for an official: 403 without any permission on cases, 404 outside their scope."""
    require_permission(user, Case, "view")
    return selectors.case_for(user, key)


def case_url(case) -> str:
    return reverse(f"{NAMESPACE}:case_detail", kwargs={"key": case.reference})


# --- every case in scope -----------------------------------------------------------------------

class CaseViews(CrudViews):
    model = Case
    table = CaseTable
    filterset = CaseFilterSet
    lookup = "reference"
    namespace = NAMESPACE
    nav_section = "workbench"
    list_template = "cases/case_list.html"
    queryset = staticmethod(lambda: Case.objects.exclude(state=State.DRAFT).select_related("department"))


# --- the inbox ----------------------------------------------------------------------------------

class InboxView(OfficialRequiredMixin, View):
    """The cases the official can act on, most urgent first; one URL serves the page and, for htmx,
    the table (`#inbox-table`)."""

    def get(self, request):
        user = request.user
        require_permission(user, Case, "view")
        everything = selectors.inbox(user)
        by_state = dict(everything.order_by().values_list("state").annotate(n=Count("pk")))
        counts = [{"state": s, "label": label, "count": by_state[s], "badge": STATE_BADGES.get(s, "")}
                  for s, label in State.choices if by_state.get(s)]
        form = InboxFilterForm(request.GET or None, cases=everything, states=by_state)
        state = warning = item = department = None
        if form.is_bound and form.is_valid():
            state = form.cleaned_data["state"] or None
            warning = form.cleaned_data["warning"] or None
            item, department = form.cleaned_data["item"], form.cleaned_data["department"]
        cases = selectors.inbox(user, state=state, warning=warning) if (state or warning) else everything
        if form.is_bound and not form.is_valid():
            cases = cases.none()
        if item is not None:
            cases = cases.filter(implementation=item)
        if department is not None:
            cases = cases.filter(department=department)
        page = Paginator(cases.select_related("department", "implementation"), INBOX_PAGE_SIZE).get_page(
            request.GET.get("page"))
        clocks = clocks_of(page.object_list)
        rows = [{"case": c, "url": case_url(c), "clock": clocks[c.pk], "state_badge": STATE_BADGES.get(c.state, "")}
                for c in page.object_list]
        query = request.GET.copy()
        query.pop("page", None)
        ctx = {"nav_active": "workbench", "form": form, "rows": rows, "page": page, "counts": counts,
               "total": sum(by_state.values()), "query": query.urlencode(), "inbox_url": reverse(f"{NAMESPACE}:inbox"),
               "list_url": reverse(f"{NAMESPACE}:case_list")}
        template = "cases/_inbox_table.html" if request.htmx and request.htmx.target == "inbox-table" \
            else "cases/inbox.html"
        response = render(request, template, ctx)
        patch_vary_headers(response, ("HX-Request", "HX-Target"))
        return response


# --- a case ---------------------------------------------------------------------------------------

class CaseDetailView(CrudView):
    """A case for the official: everything needed to decide, and the actions allowed now."""

    template_name = "cases/case_detail.html"

    def get(self, request, key):
        case = case_for(request.user, key)
        return render(request, self.template_name, self.page_context(case))

    def post(self, request, key):
        case = case_for(request.user, key)
        action = request.POST.get("action", "")
        if action not in ACTION_FORMS:
            return render(request, self.template_name,
                          self.page_context(case, top_errors=[_("Unknown action.")]), status=422)
        form_class = ACTION_FORMS[action][0]
        form = form_class(request.POST, case=case, prefix=action)
        if form.is_valid():
            try:
                services.transition(actor=request.user, case=case, action=action, **form.transition_data())
            except (PermissionDenied, NotFound):
                raise
            except DgovError as exc:
                audit_refused_write(request, exc)
                details = exc.details if isinstance(exc.details, dict) else {}
                if exc.code == "not_allowed" or not details:
                    form.add_error(None, str(exc.message))  # e.g. the case moved on in the meantime
                else:
                    for field, msgs in details.items():
                        for message in msgs if isinstance(msgs, (list, tuple)) else [msgs]:
                            form.add_error(field if field in form.fields else None, str(message))
            else:
                messages.success(request, _("Done: %(action)s.") % {"action": ACTION_FORMS[action][1]})
                return redirect(case_url(case))
        case = case_for(request.user, key)  # as stored: the refused transition changed nothing
        errors = [str(m) for field_errors in form.errors.values() for m in field_errors]
        shown = action in services.allowed_actions(request.user, case)  # else its form is not on the page
        return render(request, self.template_name,
                      self.page_context(case, bound={action: form}, failed_action=action,
                                        top_errors=[] if shown else errors),
                      status=422)

    def page_context(self, case: Case, *, bound: dict | None = None, **extra) -> dict:
        user = self.request.user
        bound = bound or {}
        allowed = services.allowed_actions(user, case)
        actions = []
        for name, (form_class, label, style) in ACTION_FORMS.items():
            if name in allowed:
                form = bound.get(name) or form_class(case=case, prefix=name)
                actions.append({"action": name, "form": form, "label": label, "style": style,
                                "open": name in bound})
        can_reveal = can_view_personal_data(user)
        # an audited read; identity numbers and phones among the answers masked but for the permission's holders
        answers = formdef.summary(services.form_of(case), selectors.answers(user, case), mask=not can_reveal)
        steps = services.review_steps(case)
        materials = sorted(selectors.materials(case, current_only=False), key=lambda m: m.superseded)
        code = case.applicant_code or ""
        phone = case.contact_phone or ""
        return self.context(
            object=case, case=case, actions=actions, answers=answers, materials=materials,
            upload_kind=MaterialKind.UPLOAD, licence_kind=MaterialKind.LICENCE,
            events=[{"event": e, "label": event_label(e)} for e in selectors.history(case, public_only=False)],
            corrections=list(case.corrections.order_by("issued_at")),
            clock=clock_of(case), steps=steps, step_done=case.step,
            next_step=steps[case.step] if case.step < len(steps) else "",
            state_badge=STATE_BADGES.get(case.state, ""), panels=panels.render_all("official", self.request, case),
            code_masked=mask_id_number(code) if code else "", phone_masked=mask_phone(phone) if phone else "",
            can_reveal=bool(code or phone) and can_reveal,
            **extra)

    def context(self, **extra):
        return {**super().context(**extra), "list_url": reverse(f"{NAMESPACE}:inbox")}


class CasePersonalDataView(CrudView):
    """The applicant's identity number and phone unmasked: for holders of the personal-data
    permission, on a case in their scope; every view audited. htmx gets the fragment."""

    crud = CaseViews

    def get(self, request, key):
        case = case_for(request.user, key)
        if not can_view_personal_data(request.user):
            raise PermissionDenied()
        audit.record_read(case, ["applicant_code", "contact_phone"], actor=request.user)
        ctx = self.context(case=case, object=case, code=case.applicant_code or "", phone=case.contact_phone or "",
                           case_url=case_url(case))
        template = "cases/_personal_data.html" if request.htmx else "cases/case_personal_data.html"
        response = render(request, template, ctx)
        patch_vary_headers(response, ("HX-Request",))
        response["Cache-Control"] = "no-store"
        return response


class CaseMaterialView(CrudView):
    """A material's file through `services.read_material`: an upload decrypted, an e-licence pulled
    through the holder's grant (a use the holder sees); audited either way."""

    crud = CaseViews

    def get(self, request, key, pk):
        case = case_for(request.user, key)
        material = case.materials.filter(pk=pk, kind__in=(MaterialKind.UPLOAD, MaterialKind.LICENCE)).first()
        if material is None:
            raise NotFound()
        data = services.read_material(actor=request.user, case_material=material)
        if material.kind == MaterialKind.LICENCE:
            content_type, filename = "application/pdf", f"{material.license_identifier or pk}.pdf"
        else:
            content_type, filename = material.content_type or "application/octet-stream", material.filename
        response = HttpResponse(data, content_type=content_type)
        response["Content-Disposition"] = content_disposition_header(True, filename or f"material-{pk}")
        response["Cache-Control"] = "no-store"
        return response


# --- the wording of the messages to applicants --------------------------------------------------------

class MessageTemplateViews(CrudViews):
    """The message templates (loaded as reference data): the city edits their wording; none is added
    or deleted (each belongs to a step of the processing)."""

    model = MessageTemplate
    table = MessageTemplateTable
    form = MessageTemplateForm
    lookup = "code"
    namespace = NAMESPACE
    nav_section = "workbench"

    @classmethod
    def deletable(cls) -> bool:
        return False


def urls() -> list:
    templates = [p for p in MessageTemplateViews.urls(f"{PREFIX}/messages", NAMESPACE)
                 if p.name != "messagetemplate_add"]
    return [
        *templates,
        path(f"{PREFIX}/", InboxView.as_view(), name="inbox"),
        path(f"{PREFIX}/all/", ObjectListView.as_view(crud=CaseViews), name="case_list"),
        path(f"{PREFIX}/<str:key>/", CaseDetailView.as_view(crud=CaseViews), name="case_detail"),
        path(f"{PREFIX}/<str:key>/personal-data/", CasePersonalDataView.as_view(), name="case_personal_data"),
        path(f"{PREFIX}/<str:key>/materials/<int:pk>/", CaseMaterialView.as_view(), name="case_material"),
    ]
