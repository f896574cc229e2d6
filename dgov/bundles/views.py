"""The pages of one-thing bundles.

Public: the list of bundles (/services/bundles/) and a guide per bundle (members, combined materials, the
longest time limit). Applicants (GOV.UK patterns, the pieces of the cases' applicant pages reused): start,
one page per page of the combined form, the materials once (upload, or an e-licence with consent), check
your answers, submit (the fan-out), the confirmation listing the cases, and 我的一件事 (their
applications, each with its combined result). Item administrators: the bundle definitions on the
workbench (generic CRUD pages; saving refuses conflicting question keys) and publishing.
"""

from urllib.parse import quote

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _

from dgov.bundles import selectors, services
from dgov.bundles.forms import BundleForm
from dgov.bundles.models import ApplicationState, Bundle, BundleStatus
from dgov.bundles.tables import BundleTable
from dgov.cases import applicant_forms as case_forms
from dgov.cases.applicant_views import applicant_required
from dgov.core.errors import DgovError
from dgov.core.forms import apply_error
from dgov.core.permissions import has_permission
from dgov.core.views import CrudView, CrudViews, audit_refused_write
from dgov.services import formdef

NAMESPACE = "bundles"
CHECK = "check"


# ==================================================================================================
# Public: the list and the guides
# ==================================================================================================
def index(request):
    bundles = list(selectors.published_bundles().prefetch_related("members__implementation__department"))
    return render(request, "bundles/index.html", {"bundles": bundles})


def _guide_context(bundle) -> dict:
    impls = services.members(bundle)
    days, unit = services.longest_limit(impls)
    form, _conflicts = services.combined_form(impls)
    return {"bundle": bundle, "implementations": impls, "materials": services.combined_materials(impls),
            "limit_days": days, "limit_unit": unit, "question_count": len(formdef.fields(form)),
            "departments": sorted({i.department.name for i in impls})}


def guide(request, code: str):
    try:
        bundle = selectors.bundle_by_code(code)
    except DgovError:
        raise Http404 from None
    return render(request, "bundles/guide.html", _guide_context(bundle))


# ==================================================================================================
# Applicants
# ==================================================================================================
def _draft(request, pk: int):
    application = selectors.own_application(request.user, pk=pk)
    if application.state != ApplicationState.DRAFT:
        raise Http404
    return application


def _page_url(application, page_key: str, *, back_to: str = "") -> str:
    url = reverse("bundles:apply_page", kwargs={"pk": application.pk, "page": page_key})
    return f"{url}?return={back_to}" if back_to else url


@applicant_required
def apply_start(request, code: str):
    bundle = selectors.bundle_by_code(code)
    drafts = list(selectors.my_applications(request.user).filter(bundle=bundle, state=ApplicationState.DRAFT))
    error, status = None, 200
    if request.method == "POST":
        try:
            application = services.start(actor=request.user, bundle=bundle)
        except DgovError as exc:
            audit_refused_write(request, exc)
            error, status = str(exc.message), exc.status
        else:
            keys = formdef.page_keys(services.form_of(application))
            return redirect(_page_url(application, keys[0]) if keys
                            else reverse("bundles:apply_materials", kwargs={"pk": application.pk}))
    return render(request, "bundles/start.html", {**_guide_context(bundle), "drafts": drafts, "error": error},
                  status=status)


@applicant_required
def apply_page(request, pk: int, page: str):
    application = _draft(request, pk)
    definition = services.form_of(application)
    pg = formdef.page(definition, page)
    if pg is None:
        raise Http404
    keys = formdef.page_keys(definition)
    back_to = request.GET.get("return", "")
    answers = services.answers_of(application)
    status = 200
    if request.method == "POST":
        form = case_forms.PageForm(request.POST, definition=definition, page_key=page, answers=answers)
        if form.is_valid():
            try:
                services.save_answers(actor=request.user, application=application, answers=form.answers, page=page)
            except DgovError as exc:
                audit_refused_write(request, exc)
                apply_error(form, exc)
            else:
                if back_to == CHECK:
                    return redirect("bundles:apply_check", pk=application.pk)
                following = formdef.next_page_key(definition, page)
                return redirect(_page_url(application, following) if following
                                else reverse("bundles:apply_materials", kwargs={"pk": application.pk}))
        status = 422
    else:
        form = case_forms.PageForm(definition=definition, page_key=page,
                                   answers={**formdef.prefill(definition, request.user), **answers})
    previous = formdef.previous_page_key(definition, page)
    if back_to == CHECK:
        back_url = reverse("bundles:apply_check", kwargs={"pk": application.pk})
    elif previous:
        back_url = _page_url(application, previous)
    else:
        back_url = reverse("bundles:apply_start", kwargs={"code": application.bundle.code})
    single = len(pg.get("fields") or []) == 1
    first_label = pg["fields"][0].get("label") if single else ""
    return render(request, "bundles/page.html", {
        "application": application, "page": pg, "form": form, "back_url": back_url, "label_heading": single,
        "heading": pg.get("title") or first_label,
        "caption": pg.get("title") if single and pg.get("title") != first_label else "",
        "number": keys.index(page) + 1, "total": len(keys), "return": back_to, "action": request.get_full_path(),
    }, status=status)


def _holder_licences(user, group) -> list:
    if group.license_type is None:
        return []
    from dgov.licenses import selectors as license_selectors
    from dgov.licenses.models import LicenseStatus

    return list(license_selectors.wallet(user, current_only=True)
                .filter(license_type_id=group.license_type.pk, status=LicenseStatus.VALID))


def _material_rows(request, application, forms_: dict | None = None) -> list[dict]:
    provided = {m.name: m for m in application.materials.all()}
    rows = []
    for n, group in enumerate(services.combined_materials(services.members(application.bundle))):
        if not group.asked_online:
            continue
        licences = _holder_licences(request.user, group)
        rows.append({
            "n": n, "group": group, "provided": provided.get(group.name), "licences": licences,
            "upload_form": (forms_ or {}).get(("upload", n)) or case_forms.UploadForm(prefix=f"m{n}"),
            "licence_form": (forms_ or {}).get(("licence", n)) or (
                case_forms.LicenceForm(prefix=f"l{n}", licences=licences) if licences else None),
        })
    return rows


def _material_post(request, application):
    """Upload, use an e-licence, or remove: (redirect or None, forms with errors)."""
    action = request.POST.get("action", "")
    here = request.get_full_path()
    if action == "remove":
        item = application.materials.filter(pk=request.POST.get("item") or 0).first()
        if item is None:
            raise Http404
        services.remove_material(actor=request.user, material=item)
        return redirect(here), None
    name = request.POST.get("name", "")
    rows = {row["group"].name: row for row in _material_rows(request, application)}
    row = rows.get(name)
    if row is None:
        raise Http404
    n = row["n"]
    if action == "upload":
        form = case_forms.UploadForm(request.POST, request.FILES, prefix=f"m{n}")
        key = ("upload", n)
    elif action == "licence":
        form = case_forms.LicenceForm(request.POST, prefix=f"l{n}", licences=row["licences"])
        key = ("licence", n)
    else:
        raise Http404
    if form.is_valid():
        try:
            if action == "upload":
                services.add_upload(actor=request.user, application=application, name=name,
                                    file=form.cleaned_data["file"])
            else:
                services.use_licence(actor=request.user, application=application, name=name,
                                     identifier=form.cleaned_data["identifier"])
        except DgovError as exc:
            audit_refused_write(request, exc)
            apply_error(form, exc)
        else:
            messages.success(request, _("“%(name)s” was provided.") % {"name": name})
            return redirect(here), None
    return None, {key: form}


@applicant_required
def apply_materials(request, pk: int):
    application = _draft(request, pk)
    forms_, status = None, 200
    if request.method == "POST":
        response, forms_ = _material_post(request, application)
        if response is not None:
            return response
        status = 422
    keys = formdef.page_keys(services.form_of(application))
    return render(request, "bundles/materials.html", {
        "application": application, "rows": _material_rows(request, application, forms_),
        "back_url": _page_url(application, keys[-1]) if keys else reverse(
            "bundles:apply_start", kwargs={"code": application.bundle.code}),
        "next_url": reverse("bundles:apply_check", kwargs={"pk": application.pk}),
        "max_size": case_forms.upload_max_bytes(),
    }, status=status)


def _summary_groups(application, definition) -> list[dict]:
    groups: list[dict] = []
    for row in formdef.summary(definition, services.answers_of(application)):
        if not groups or groups[-1]["page"] != row["page"]:
            groups.append({"page": row["page"], "title": row["page_title"], "rows": [],
                           "url": _page_url(application, row["page"], back_to=CHECK)})
        groups[-1]["rows"].append(row)
    return groups


def _error_links(application, definition, exc: DgovError) -> list[dict]:
    details = exc.details if isinstance(exc.details, dict) else {}
    links = []
    for key, msgs in details.items():
        page = formdef.page_of_field(definition, key)
        if page:
            url = _page_url(application, page, back_to=CHECK)
        elif key == "materials":
            url = reverse("bundles:apply_materials", kwargs={"pk": application.pk})
        else:
            url = ""
        links += [{"message": str(m), "url": url} for m in (msgs if isinstance(msgs, list) else [msgs])]
    return links or [{"message": str(exc.message), "url": ""}]


@applicant_required
def apply_check(request, pk: int):
    application = _draft(request, pk)
    definition = services.form_of(application)
    declaration = case_forms.DeclarationForm(request.POST if request.method == "POST" else None)
    errors, status = [], 200
    if request.method == "POST":
        if declaration.is_valid():
            try:
                application = services.submit(actor=request.user, application=application)
            except DgovError as exc:
                audit_refused_write(request, exc)
                errors = _error_links(application, definition, exc)
            else:
                return redirect(reverse("bundles:my_application", kwargs={"reference": application.reference})
                                + "?sent=1")
        status = 422
    missing = services.missing_materials(application)
    return render(request, "bundles/check.html", {
        "application": application, "groups": _summary_groups(application, definition),
        "materials": list(application.materials.all()), "missing": missing, "errors": errors,
        "declaration": declaration, "materials_url": reverse("bundles:apply_materials", kwargs={"pk": pk}),
        "back_url": reverse("bundles:apply_materials", kwargs={"pk": pk}),
    }, status=status)


@applicant_required
def my_material(request, pk: int, item: int):
    application = selectors.own_application(request.user, pk=pk)
    material = application.materials.filter(pk=item).first()
    if material is None:
        raise Http404
    data = services.read_material(actor=request.user, material=material)
    response = HttpResponse(data, content_type=material.content_type or "application/octet-stream")
    response["Content-Disposition"] = f"inline; filename=\"material\"; filename*=UTF-8''{quote(material.filename)}"
    response["Cache-Control"] = "no-store"
    return response


@applicant_required
def my_applications(request):
    applications = list(selectors.my_applications(request.user)[:500])
    return render(request, "bundles/my_applications.html", {
        "drafts": [a for a in applications if a.state == ApplicationState.DRAFT],
        "sent": [a for a in applications if a.state != ApplicationState.DRAFT]})


@applicant_required
def my_application(request, reference: str):
    """The confirmation right after submission, and later the combined result: every case, its
    department, state, outcome and result licence."""
    application = selectors.own_application(request.user, reference=reference)
    return render(request, "bundles/application.html", {
        "application": application, "cases": services.cases_of(application),
        "decided": application.state in services.DECIDED_STATES,
        "just_sent": request.GET.get("sent") == "1"})


# ==================================================================================================
# Item administrators: the definitions
# ==================================================================================================
class BundleViews(CrudViews):
    nav_section = "workbench"
    model = Bundle
    table = BundleTable
    form = BundleForm
    lookup = "code"
    detail_template = "bundles/bundle_detail.html"

    @classmethod
    def deletable(cls) -> bool:
        return False  # applications name it: taken back to draft instead

    @classmethod
    def save_form(cls, *, actor, form):
        instance = form.instance
        bundle = Bundle.objects.get(pk=instance.pk) if instance.pk else None
        data = {k: form.cleaned_data[k] for k in ("code", "name", "description", "audience")}
        return services.bundle_save(actor=actor, bundle=bundle, data=data, implementations=form.implementations)


class BundleDetailView(CrudView):
    crud = BundleViews

    def get(self, request, key):
        bundle = self.get_object("view", key)
        rows = [(c.header, c.text(bundle)) for c in BundleTable.columns]
        impls = services.members(bundle)
        form, conflicts = services.combined_form(impls)
        return render(request, BundleViews.detail_template, self.context(
            object=bundle, rows=rows, implementations=impls, conflicts=conflicts,
            questions=formdef.fields(form), materials=services.combined_materials(impls),
            can_change=has_permission(request.user, Bundle, "change"), can_delete=False,
            can_publish=has_permission(request.user, Bundle, "publish")))

    def post(self, request, key):
        bundle = self.get_object("publish", key)
        status = BundleStatus.PUBLISHED if request.POST.get("action") == "publish" else BundleStatus.DRAFT
        try:
            services.set_status(actor=request.user, bundle=bundle, status=status)
        except DgovError as exc:
            audit_refused_write(request, exc)
            messages.error(request, " ".join(exc.sentences()))
        else:
            messages.success(request, _("Saved."))
        return redirect(BundleViews.detail_url(bundle))


def urls() -> list:
    BundleViews.namespace = NAMESPACE
    BundleViews.views = {"detail": _DetailRoute}
    return [
        path("services/bundles/", index, name="index"),
        path("services/bundles/<slug:code>/", guide, name="guide"),
        path("services/bundles/<slug:code>/apply/", apply_start, name="apply_start"),
        path("my/bundles/", my_applications, name="my_applications"),
        path("my/bundles/apply/<int:pk>/q/<slug:page>/", apply_page, name="apply_page"),
        path("my/bundles/apply/<int:pk>/materials/", apply_materials, name="apply_materials"),
        path("my/bundles/apply/<int:pk>/check/", apply_check, name="apply_check"),
        path("my/bundles/apply/<int:pk>/files/<int:item>/", my_material, name="my_material"),
        path("my/bundles/<str:reference>/", my_application, name="my_application"),
        *BundleViews.urls("services/manage/bundles", NAMESPACE),
    ]


class _DetailRoute(BundleDetailView):
    """`CrudViews.urls` builds the detail route with `as_view(crud=…)`."""
