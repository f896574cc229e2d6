"""The applicant's pages (GOV.UK patterns, mobile first): apply online — a start page, one question per
page (each page of the implementation's form definition, `dgov.services.formdef`), the materials
(upload, or 免证办: an e-licence the applicant holds, with explicit consent), check your answers,
submit, a confirmation with the reference — and 我的办件: drafts to continue, cases in progress, closed
ones; one case's public history, its 补正 notice and how to answer it (resubmit), withdrawal.

Citizens and enterprise accounts only: anonymous visitors go to the login page and come back; an
official or an application account is told to apply with a personal or enterprise account (403).
Another applicant's case is 404. Every write goes through `dgov.cases.services`."""

import functools

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dgov.cases import applicant_forms as forms
from dgov.cases import panels, selectors, services
from dgov.cases.models import Case, Correction, MaterialKind, State
from dgov.core.errors import DgovError, NotFound
from dgov.core.forms import apply_error
from dgov.core.views import audit_refused_write
from dgov.services import formdef

APPLICANT_KINDS = ("citizen", "enterprise")
#: the states 我的办件 lists as closed (no more action by the department, or a final refusal)
CLOSED_STATES = (State.CLOSED, State.WITHDRAWN, State.NOT_ACCEPTED, State.REFUSED, State.DELIVERED)
#: what the applicant's history calls each public event (others show the state they led to)
EVENT_LABELS = {
    "start": gettext_lazy("draft started"), "submit": gettext_lazy("application submitted"),
    "resubmit": gettext_lazy("corrected and resubmitted"), "accept": gettext_lazy("case accepted"),
    "deemed_accept": gettext_lazy("accepted by law (no correction notice in time)"),
    "not_accept": gettext_lazy("case not accepted"), "request_correction": gettext_lazy("correction requested"),
    "review": gettext_lazy("review step completed"), "suspend": gettext_lazy("special procedure started"),
    "resume": gettext_lazy("clock resumed"), "approve": gettext_lazy("application approved"),
    "refuse": gettext_lazy("application refused"), "deliver": gettext_lazy("result delivered to the applicant"),
    "close": gettext_lazy("case closed"), "withdraw": gettext_lazy("application withdrawn"),
}
#: where the pages of an editable case return after a change
CHECK, CORRECTION = "check", "correction"


def applicant_required(view):
    """Citizens and enterprise accounts; anonymous → login and back; anyone else → 403 with why."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if getattr(user, "kind", None) not in APPLICANT_KINDS:
            return render(request, "cases/applicant/not_applicant.html", status=403)
        try:
            return view(request, *args, **kwargs)
        except NotFound:
            raise Http404 from None

    return wrapper


# --- helpers --------------------------------------------------------------------------------------
def _editable_case(request, pk) -> Case:
    """The applicant's own case that can still change: a draft, or a case awaiting correction."""
    case = selectors.own_case(request.user, pk)
    if case.state not in services.EDITABLE:
        raise NotFound()
    return case


def _after_edit_url(case: Case) -> str:
    """Where a changed answer or material returns: check your answers (a draft) or the correction page."""
    if case.state == State.CORRECTION:
        return reverse("cases:my_case_correction", kwargs={"reference": case.reference})
    return reverse("cases:apply_check", kwargs={"pk": case.pk})


def _page_url(case: Case, page_key: str, *, back_to: str = "") -> str:
    url = reverse("cases:apply_page", kwargs={"pk": case.pk, "page": page_key})
    return f"{url}?return={back_to}" if back_to else url


def _materials(case: Case) -> list:
    return list(case.implementation.materials.select_related("license_type").order_by("order", "pk"))


def _holder_licences(user, material) -> list:
    """The applicant's valid e-licences of the material's licence type (免证办)."""
    if not material.license_type_id:
        return []
    from dgov.licenses import selectors as license_selectors
    from dgov.licenses.models import LicenseStatus

    return list(license_selectors.wallet(user, current_only=True)
                .filter(license_type_id=material.license_type_id, status=LicenseStatus.VALID))


def _fail(request, exc: DgovError) -> None:
    audit_refused_write(request, exc)


# --- start ----------------------------------------------------------------------------------------
@applicant_required
def apply_start(request, code: str):
    from dgov.services import selectors as service_selectors

    impl = service_selectors.implementation_by_code(code)
    drafts = list(selectors.my_cases(request.user).filter(implementation=impl, state=State.DRAFT))
    error, status = None, 200
    if not impl.online_apply:
        error = _("This item cannot be applied for online: see its guide for where to apply.")
    if request.method == "POST":
        if not impl.online_apply:
            error, status = _("This item cannot be applied for online: see its guide for where to apply."), 409
        else:
            try:
                case = services.start(actor=request.user, implementation=impl)
            except DgovError as exc:
                _fail(request, exc)
                error, status = str(exc.message), exc.status
            else:
                first = formdef.page_keys(services.form_of(case))
                return redirect(_page_url(case, first[0]) if first
                                else reverse("cases:apply_materials", kwargs={"pk": case.pk}))
    definition = impl.form if (impl.form or {}).get("pages") else formdef.default_form(impl)
    return render(request, "cases/applicant/start.html", {
        "impl": impl, "drafts": drafts, "error": error, "materials": list(impl.materials.all()),
        "can_apply": impl.online_apply,
        "question_count": len(formdef.fields(definition)), "page_count": len(formdef.pages(definition)),
    }, status=status)


# --- one question per page ------------------------------------------------------------------------
@applicant_required
def apply_page(request, pk: int, page: str):
    case = _editable_case(request, pk)
    definition = services.form_of(case)
    pg = formdef.page(definition, page)
    if pg is None:
        raise Http404
    keys = formdef.page_keys(definition)
    back_to = request.GET.get("return", "")
    answers = services.answers_of(case)
    status = 200
    if request.method == "POST":
        form = forms.PageForm(request.POST, definition=definition, page_key=page, answers=answers)
        if form.is_valid():
            try:
                services.save_answers(actor=request.user, case=case, answers=form.answers, page=page)
            except DgovError as exc:
                _fail(request, exc)
                apply_error(form, exc)
            else:
                if back_to in (CHECK, CORRECTION) or case.state == State.CORRECTION:
                    return redirect(_after_edit_url(case))
                following = formdef.next_page_key(definition, page)
                if following:
                    return redirect(_page_url(case, following))
                return redirect("cases:apply_materials", pk=case.pk)
        status = 422
    else:
        known = {**formdef.prefill(definition, request.user), **answers}
        form = forms.PageForm(definition=definition, page_key=page, answers=known)
    previous = formdef.previous_page_key(definition, page)
    if back_to in (CHECK, CORRECTION) or case.state == State.CORRECTION:
        back_url = _after_edit_url(case)
    elif previous:
        back_url = _page_url(case, previous)
    else:
        back_url = reverse("cases:apply_start", kwargs={"code": case.implementation.code})
    single = len(pg.get("fields") or []) == 1
    first_label = pg["fields"][0].get("label") if single else ""
    # GOV.UK: a page asking one question has the question as its heading (the label is the h1)
    # (a different page title becomes the caption above it)
    label_heading = single
    return render(request, "cases/applicant/page.html", {
        "case": case, "page": pg, "form": form, "back_url": back_url, "label_heading": label_heading,
        "heading": pg.get("title") or first_label,
        "caption": pg.get("title") if single and pg.get("title") != first_label else "",
        "number": keys.index(page) + 1, "total": len(keys), "return": back_to,
        "action": request.get_full_path(),
    }, status=status)


# --- materials ------------------------------------------------------------------------------------
def _material_rows(request, case: Case, errors: dict | None = None, forms_: dict | None = None) -> list[dict]:
    current = list(selectors.materials(case))
    rows = []
    for material in _materials(case):
        licences = _holder_licences(request.user, material)
        provided = [m for m in current if m.material_id == material.pk]
        rows.append({
            "material": material, "provided": provided, "licences": licences,
            "upload_form": (forms_ or {}).get(("upload", material.pk)) or forms.UploadForm(prefix=f"m{material.pk}"),
            "licence_form": ((forms_ or {}).get(("licence", material.pk))
                             or (forms.LicenceForm(prefix=f"l{material.pk}", licences=licences) if licences else None)),
            "errors": (errors or {}).get(material.pk, []),
        })
    others = [m for m in current if m.material_id is None]
    if others:
        rows.append({"material": None, "provided": others, "licences": [], "upload_form": None,
                     "licence_form": None, "errors": []})
    return rows


def _handle_material_post(request, case: Case):
    """One action of the materials page: upload, use an e-licence, remove. (redirect or None, rows)."""
    action = request.POST.get("action", "")
    forms_: dict = {}
    errors: dict = {}
    try:
        material_pk = int(request.POST.get("material", "0"))
    except ValueError:
        material_pk = 0
    material = next((m for m in _materials(case) if m.pk == material_pk), None)
    here = request.get_full_path()
    if action == "remove":
        item = selectors.materials(case).filter(pk=request.POST.get("item") or 0).first()
        if item is None:
            raise Http404
        try:
            services.remove_material(actor=request.user, case_material=item)
        except DgovError as exc:
            _fail(request, exc)
            messages.error(request, " ".join(exc.sentences()))
        else:
            messages.success(request, _("“%(name)s” was removed.") % {"name": item.name})
        return redirect(here), None
    if material is None:
        raise Http404
    if action == "upload":
        form = forms.UploadForm(request.POST, request.FILES, prefix=f"m{material.pk}")
        if form.is_valid():
            try:
                services.add_upload(actor=request.user, case=case, material=material, file=form.cleaned_data["file"])
            except DgovError as exc:
                _fail(request, exc)
                apply_error(form, exc)
            else:
                messages.success(request, _("“%(name)s” was uploaded.") % {"name": material.name})
                return redirect(here), None
        forms_[("upload", material.pk)] = form
    elif action == "licence":
        licences = _holder_licences(request.user, material)
        form = forms.LicenceForm(request.POST, prefix=f"l{material.pk}", licences=licences)
        if form.is_valid():
            try:
                services.use_licence(actor=request.user, case=case, material=material,
                                     identifier=form.cleaned_data["identifier"])
            except DgovError as exc:
                _fail(request, exc)
                apply_error(form, exc)
            else:
                messages.success(request, _("Your electronic licence will be used for “%(name)s”.")
                                 % {"name": material.name})
                return redirect(here), None
        forms_[("licence", material.pk)] = form
    else:
        raise Http404
    errors[material.pk] = [str(e) for f in forms_.values() for e in f.errors.get("__all__", [])]
    return None, _material_rows(request, case, errors, forms_)


@applicant_required
def apply_materials(request, pk: int):
    case = _editable_case(request, pk)
    if case.state == State.CORRECTION:
        return redirect("cases:my_case_correction", reference=case.reference)
    rows, status = None, 200
    if request.method == "POST":
        response, rows = _handle_material_post(request, case)
        if response is not None:
            return response
        status = 422
    definition = services.form_of(case)
    keys = formdef.page_keys(definition)
    back_url = _page_url(case, keys[-1]) if keys else reverse("cases:apply_start",
                                                              kwargs={"code": case.implementation.code})
    return render(request, "cases/applicant/materials.html", {
        "case": case, "rows": rows if rows is not None else _material_rows(request, case),
        "back_url": back_url, "next_url": reverse("cases:apply_check", kwargs={"pk": case.pk}),
        "max_size": forms.upload_max_bytes(),
    }, status=status)


# --- check your answers and submit ----------------------------------------------------------------
def _summary_groups(case: Case, *, back_to: str, mask: bool = False) -> list[dict]:
    definition = services.form_of(case)
    rows = formdef.summary(definition, services.answers_of(case), mask=mask)
    groups: list[dict] = []
    for row in rows:
        if not groups or groups[-1]["page"] != row["page"]:
            groups.append({"page": row["page"], "title": row["page_title"], "rows": [],
                           "url": _page_url(case, row["page"], back_to=back_to)})
        groups[-1]["rows"].append(row)
    return groups


def _error_links(case: Case, exc: DgovError) -> list[dict]:
    """The submission's errors, each with the page where it is put right."""
    definition = services.form_of(case)
    details = exc.details if isinstance(exc.details, dict) else {}
    links = []
    for key, msgs in details.items():
        page = formdef.page_of_field(definition, key)
        if page:
            url = _page_url(case, page, back_to=CHECK)
        elif case.state == State.CORRECTION:
            url = reverse("cases:my_case_correction", kwargs={"reference": case.reference})
        else:
            url = reverse("cases:apply_materials", kwargs={"pk": case.pk})
        for message in msgs if isinstance(msgs, (list, tuple)) else [msgs]:
            links.append({"message": str(message), "url": url})
    return links or [{"message": str(exc.message), "url": ""}]


@applicant_required
def apply_check(request, pk: int):
    case = selectors.own_case(request.user, pk)
    if case.state != State.DRAFT:
        if case.reference:
            return redirect("cases:my_case", reference=case.reference)
        raise Http404
    errors, status = [], 200
    declaration = forms.DeclarationForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if declaration.is_valid():
            try:
                case = services.submit(actor=request.user, case=case)
            except DgovError as exc:
                _fail(request, exc)
                errors = _error_links(case, exc)
            else:
                return redirect("cases:apply_done", reference=case.reference)
        status = 422
    return render(request, "cases/applicant/check.html", {
        "case": case, "groups": _summary_groups(case, back_to=CHECK), "declaration": declaration,
        "materials": list(selectors.materials(case)), "missing": services.missing_materials(case),
        "materials_url": reverse("cases:apply_materials", kwargs={"pk": case.pk}), "errors": errors,
        "back_url": reverse("cases:apply_materials", kwargs={"pk": case.pk}),
    }, status=status)


@applicant_required
def apply_done(request, reference: str):
    case = selectors.case_for(request.user, reference)
    if not services.is_applicant(request.user, case) or case.state == State.DRAFT:
        raise Http404
    return render(request, "cases/applicant/confirmation.html", {"case": case})


# --- my cases -------------------------------------------------------------------------------------
@applicant_required
def my_cases(request):
    cases = list(selectors.with_deadline(selectors.my_cases(request.user))[:500])
    drafts = [c for c in cases if c.state == State.DRAFT]
    closed = [c for c in cases if c.state in CLOSED_STATES]
    active = [c for c in cases if c.state != State.DRAFT and c.state not in CLOSED_STATES]
    return render(request, "cases/applicant/my_cases.html", {
        "drafts": drafts, "active": active, "closed": closed, "empty": not cases})


def _own_submitted(request, reference: str) -> Case:
    case = selectors.case_for(request.user, reference)
    if not services.is_applicant(request.user, case) or case.state == State.DRAFT:
        raise NotFound()
    return case


def _open_correction(case: Case) -> Correction | None:
    if case.state != State.CORRECTION:
        return None
    return case.corrections.filter(answered_at=None).order_by("-issued_at", "-pk").first()


def _licence_url(case: Case) -> str:
    if not case.result_license:
        return ""
    from django.utils.http import urlencode

    return reverse("licenses:verify") + "?" + urlencode({"id": case.result_license})


@applicant_required
def my_case(request, reference: str):
    case = _own_submitted(request, reference)
    actions = services.allowed_actions(request.user, case)
    events = list(selectors.history(case, public_only=True))
    for event in events:
        event.label = str(EVENT_LABELS.get(event.action) or event.get_to_state_display() or event.action)
    return render(request, "cases/applicant/case_detail.html", {
        "case": case, "events": events,
        "correction": _open_correction(case), "materials": list(selectors.materials(case)),
        "groups": _summary_groups(case, back_to="", mask=True), "can_withdraw": "withdraw" in actions,
        "licence_url": _licence_url(case), "panels": panels.render_all("applicant", request, case),
        "deadline": selectors.with_deadline(
            Case.objects.filter(pk=case.pk)).values_list("deadline", flat=True).first(),
    })


@applicant_required
def my_case_correction(request, reference: str):
    """Answer a 补正 notice: the complete list, the materials to replace or add, answers to change,
    and resubmit."""
    case = _own_submitted(request, reference)
    correction = _open_correction(case)
    if correction is None:
        return redirect("cases:my_case", reference=case.reference)
    rows, status, errors = None, 200, []
    if request.method == "POST":
        if request.POST.get("action") == "resubmit":
            try:
                services.resubmit(actor=request.user, case=case)
            except DgovError as exc:
                _fail(request, exc)
                errors, status = _error_links(case, exc), 422
            else:
                messages.success(request, _("Your corrected application was sent. The department checks it again."))
                return redirect("cases:my_case", reference=case.reference)
        else:
            response, rows = _handle_material_post(request, case)
            if response is not None:
                return response
            status = 422
    return render(request, "cases/applicant/correction.html", {
        "case": case, "correction": correction, "errors": errors,
        "rows": rows if rows is not None else _material_rows(request, case),
        "groups": _summary_groups(case, back_to=CORRECTION), "max_size": forms.upload_max_bytes(),
        "back_url": reverse("cases:my_case", kwargs={"reference": case.reference}),
    }, status=status)


@applicant_required
def apply_discard(request, pk: int):
    """Delete a draft (after a confirmation page)."""
    case = selectors.own_case(request.user, pk)
    if case.state != State.DRAFT:
        raise Http404
    if request.method == "POST":
        try:
            services.discard_draft(actor=request.user, case=case)
        except DgovError as exc:
            _fail(request, exc)
        else:
            messages.success(request, _("Your unsent application for “%(item)s” was deleted.") % {"item": case.title})
        return redirect("cases:my_cases")
    return render(request, "cases/applicant/discard.html", {"case": case, "back_url": reverse("cases:my_cases")})


@applicant_required
def my_case_withdraw(request, reference: str):
    case = _own_submitted(request, reference)
    if "withdraw" not in services.allowed_actions(request.user, case):
        messages.error(request, _("This application can no longer be withdrawn."))
        return redirect("cases:my_case", reference=case.reference)
    form = forms.WithdrawForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.transition(actor=request.user, case=case, action="withdraw",
                                    reason=form.cleaned_data["reason"])
            except DgovError as exc:
                _fail(request, exc)
                apply_error(form, exc)
            else:
                messages.success(request, _("Your application was withdrawn."))
                return redirect("cases:my_case", reference=case.reference)
        status = 422
    return render(request, "cases/applicant/withdraw.html", {
        "case": case, "form": form, "back_url": reverse("cases:my_case", kwargs={"reference": case.reference}),
    }, status=status)


@applicant_required
def my_material(request, pk: int, item: int):
    """One of the applicant's own materials (their upload, or their e-licence's file)."""
    case = selectors.own_case(request.user, pk)
    case_material = selectors.materials(case, current_only=False).filter(pk=item).first()
    if case_material is None:
        raise Http404
    case_material = type(case_material).objects.select_related("case__implementation").get(pk=case_material.pk)
    data = services.read_material(actor=request.user, case_material=case_material)
    content_type = case_material.content_type or "application/octet-stream"
    response = HttpResponse(data, content_type=content_type)
    from urllib.parse import quote

    name = quote(case_material.filename or "material")
    disposition = "inline" if case_material.kind == MaterialKind.UPLOAD else "attachment"
    response["Content-Disposition"] = f"{disposition}; filename=\"material\"; filename*=UTF-8''{name}"
    response["Cache-Control"] = "no-store"
    return response

