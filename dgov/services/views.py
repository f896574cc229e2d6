"""The service-item pages.

Everyone (政务服务, no login): the guide search (`/services/`: a query of two Chinese characters or more, and
facets), a guide per implementation (`/services/items/<code>/`, in plain language, with 在线办理 where the item
may be applied for online), the themes for people and enterprises and the accessibility statement.

Officials: the base catalog (基本目录), the implementation lists of their scope (list with filters, detail,
edit with materials, fees and process steps, publish and retire, the version history with a diff, xlsx export
and import with a dry run) and the online application form editor; the themes."""

import io
import json
import uuid

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from dgov.core import audit
from dgov.core.errors import DgovError, NotFound, ValidationError
from dgov.core.forms import apply_error
from dgov.core.importexport import ImportFileError, xlsx_response
from dgov.core.permissions import has_permission, require_permission
from dgov.core.views import CrudView, CrudViews, ObjectEditView, ObjectListView, audit_refused_write, normalise_options
from dgov.core.views import facet_groups as core_facet_groups
from dgov.orgs.models import Department, Region
from dgov.services import forms, selectors
from dgov.services.models import (
    CaseKind,
    DayUnit,
    Implementation,
    ItemType,
    OnlineDepth,
    PublishStatus,
    ServiceItem,
    ServiceObject,
    Theme,
)
from dgov.services.tables import ImplementationTable, ServiceItemTable, ThemeTable

NAMESPACE = "services"
GUIDE_PAGE_SIZE = 10
MANAGE = "services/manage"


# ==================================================================================================
# Public: guides
# ==================================================================================================
def apply_url(implementation) -> str | None:
    """The applicant flow's first page, where the item may be applied for online (the cases app's URL)."""
    if not implementation.online_apply:
        return None
    try:
        return reverse("cases:apply_start", kwargs={"code": implementation.code})
    except NoReverseMatch:
        return None


FACET_PARAMS = [("department", "department"), ("region", "region"), ("item_type", "type"),
                ("service_object", "object"), ("theme", "theme"), ("online", "online")]


def _label_lookup(name: str, codes: list[str]) -> dict:
    codes = [str(c) for c in codes]
    if name == "department":
        return dict(Department.objects.filter(code__in=codes).values_list("code", "name"))
    if name == "region":
        return dict(Region.objects.filter(code__in=codes).values_list("code", "name"))
    if name == "theme":
        return dict(Theme.objects.filter(code__in=codes).values_list("code", "name"))
    if name == "item_type":
        return {c: str(ItemType(c).label) for c in codes if c in ItemType.values}
    if name == "service_object":
        return {c: str(ServiceObject(c).label) for c in codes if c in ServiceObject.values}
    if name == "online":
        return {"True": _("Can be applied for online"), "1": _("Can be applied for online"),
                "true": _("Can be applied for online")}
    return {}


FACET_LABELS = {"department": gettext_noop("Department"), "region": gettext_noop("Region"),
                "item_type": gettext_noop("Item type"), "service_object": gettext_noop("For"),
                "theme": gettext_noop("Theme"), "online": gettext_noop("Online application")}


def facet_groups(facets: dict, chosen: dict, query) -> list[dict]:
    """The guide search's facets; "online" is one option (code 1) counting the items applied for online."""
    facets = dict(facets or {})
    facets["online"] = [{"code": "1", "count": o["count"]} for o in normalise_options(facets.get("online"))
                        if str(o["code"]).lower() in ("true", "1")]
    return core_facet_groups(facets, chosen, query, FACET_PARAMS, FACET_LABELS, _label_lookup)


def _all_facets(qs) -> dict:
    """The selector's facets, and who the services are for and whether they can be applied for online."""
    found = dict(selectors.facets(qs))
    both = ServiceObject.BOTH
    found.setdefault("service_object", [
        {"value": value, "count": qs.filter(service_object__in=[value, both]).count()}
        for value in (ServiceObject.PERSON, ServiceObject.ENTERPRISE)])
    found.setdefault("online", [{"value": "1", "count": qs.filter(online_apply=True).count()}])
    return found


def search_view(request):
    """政务服务事项: find a guide by what you want to do."""
    bound = any(request.GET.get(p) for p in ("q", *(param for _n, param in FACET_PARAMS)))
    form = forms.SearchForm(request.GET if bound else None)
    chosen, status = {}, 200
    if bound and form.is_valid():
        chosen = {k: v for k, v in form.cleaned_data.items() if v}
    elif bound:
        status = 422
    qs = selectors.search(chosen.get("q", ""), department=chosen.get("department") or None,
                          region=chosen.get("region") or None, item_type=chosen.get("type") or None,
                          service_object=chosen.get("object") or None, theme=chosen.get("theme") or None,
                          online=True if chosen.get("online") else None)
    page = Paginator(qs, GUIDE_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    groups = facet_groups(_all_facets(qs), chosen, request.GET)
    active = [{"label": g["label"], "value": o["label"], "query": o["query"]}
              for g in groups for o in g["shown"] + g["more"] if o["active"]]
    return render(request, "services/search.html", {
        "nav_active": "portal", "form": form, "q": chosen.get("q", ""), "page": page, "query": query.urlencode(),
        "facet_groups": groups, "active_filters": active, "searched": bool(chosen)}, status=status)


def _days(limit: int, unit: str) -> str:
    if unit == DayUnit.NATURAL:
        return _("%(n)d days") % {"n": limit}
    return _("%(n)d working days") % {"n": limit}


def guide_facts(impl) -> dict:
    """The plain-language facts of a guide: time limits, visits, fees."""
    instant = impl.case_kind == CaseKind.INSTANT
    return {
        "instant": instant,
        "statutory": _days(impl.statutory_limit, impl.statutory_unit) if impl.statutory_limit else None,
        "promised": _("Decided on the spot") if instant or not impl.promised_limit
        else _days(impl.promised_limit, impl.promised_unit),
        "at_most_once": impl.visits <= 1,
        "no_visit": impl.visits == 0,
        "free": not any(_fee_amount(f) for f in impl.fees or []),
        "fully_online": impl.online_depth == OnlineDepth.FULL,
    }


def _fee_amount(fee) -> float:
    try:
        return float((fee or {}).get("amount") or 0)
    except (TypeError, ValueError):
        return 0.0


def guide_view(request, code: str):
    """One item's guide, for everyone."""
    try:
        impl = selectors.implementation_by_code(code[:40])
    except NotFound:
        raise Http404 from None
    materials = list(impl.materials.all())  # prefetched with their licence types
    return render(request, "services/guide.html", {
        "nav_active": "portal", "impl": impl, "item": impl.item, "materials": materials,
        "licence_free": any(m.license_type_id for m in materials), "facts": guide_facts(impl),
        "fees": [f for f in impl.fees or [] if _fee_amount(f)], "steps": impl.process_steps or [],
        "apply_url": apply_url(impl), "themes": impl.themes.all()})


def themes_view(request):
    """Themes for people and for enterprises."""
    themes = [t for t in selectors.themes() if t.published_count]  # a theme with no published guide is left out
    for theme in themes:
        theme.count = theme.published_count
    groups = [(_("For people"), [t for t in themes if t.audience in (ServiceObject.PERSON, ServiceObject.BOTH)]),
              (_("For enterprises"), [t for t in themes if t.audience in (ServiceObject.ENTERPRISE,
                                                                           ServiceObject.BOTH)])]
    return render(request, "services/themes.html", {"nav_active": "portal", "groups": groups})


def theme_view(request, code: str):
    theme = Theme.objects.filter(code=code[:40]).first()
    if theme is None:
        raise Http404
    qs = selectors.published_implementations().filter(themes=theme).order_by("name", "code")
    page = Paginator(qs, GUIDE_PAGE_SIZE * 2).get_page(request.GET.get("page"))
    return render(request, "services/theme.html", {"nav_active": "portal", "theme": theme, "page": page,
                                                   "query": ""})


def accessibility_view(request):
    """无障碍声明."""
    return render(request, "services/accessibility.html", {"nav_active": "portal"})


# ==================================================================================================
# Officials: the base catalog
# ==================================================================================================
def _fresh(instance):
    """The stored row (a bound model form changes its instance in memory)."""
    return type(instance)._default_manager.get(pk=instance.pk) if instance.pk else None


class ServiceItemViews(CrudViews):
    nav_section = "workbench"
    model = ServiceItem
    table = ServiceItemTable
    filterset = forms.ServiceItemFilterSet
    form = forms.ServiceItemForm
    lookup = "base_code"
    detail_template = "services/serviceitem_detail.html"

    @classmethod
    def deletable(cls) -> bool:
        return False  # implementations refer to it; an item no longer carried out is retired

    @classmethod
    def save_form(cls, *, actor, form):
        from dgov.services import services

        return services.item_save(actor=actor, item=_fresh(form.instance), data=form.data_for_service())


class ServiceItemDetailView(CrudView):
    crud = ServiceItemViews

    def get(self, request, key):
        item = self.get_object("view", key)
        rows = [(c.header, c.text(item)) for c in ServiceItemTable.columns]
        rows += [(_("Legal basis"), item.legal_basis), (_("Plain-language summary"), item.description)]
        impls = (Implementation.objects.restrict(request.user, "view").filter(item=item)
                 .select_related("department", "region").order_by("code"))
        return render(request, ServiceItemViews.detail_template, self.context(
            object=item, rows=rows, implementations=impls,
            can_change=has_permission(request.user, ServiceItem, "change"), can_delete=False))


# ==================================================================================================
# Officials: themes
# ==================================================================================================
class ThemeViews(CrudViews):
    nav_section = "workbench"
    model = Theme
    table = ThemeTable
    form = forms.ThemeForm
    lookup = "code"

    @classmethod
    def deletable(cls) -> bool:
        return False

    @classmethod
    def save_form(cls, *, actor, form):
        from dgov.services import services

        return services.theme_save(actor=actor, theme=_fresh(form.instance), data=dict(form.cleaned_data))


# ==================================================================================================
# Officials: implementation lists
# ==================================================================================================
def _impl_queryset():
    return Implementation.objects.select_related("item", "department", "region")


class ImplementationViews(CrudViews):
    nav_section = "workbench"
    model = Implementation
    table = ImplementationTable
    filterset = forms.ImplementationFilterSet
    lookup = "code"
    queryset = staticmethod(_impl_queryset)
    list_template = "services/implementation_list.html"
    form = forms.ImplementationForm

    @classmethod
    def deletable(cls) -> bool:
        return False  # retired, never deleted: cases name it


class ImplementationListView(ObjectListView):
    """The generic list; its Excel export is the import format (`importer.export_items`), so an exported
    file, edited, imports again."""

    def get(self, request):
        if request.GET.get("export") == "xlsx":
            from dgov.services import importer

            require_permission(request.user, Implementation, "view")
            qs = _impl_queryset().restrict(request.user, "view")
            fs = ImplementationViews.filterset
            if fs is not None:
                filtered = fs(request.GET, queryset=qs, request=request)
                qs = filtered.qs if filtered.is_valid() else qs.none()
            audit.record("services.implementation.export", audit.Target("services.implementation"),
                         changes={"format": "xlsx", "filters": {k: v for k, v in request.GET.items()
                                                                if k not in ("export", "page")}})
            return xlsx_response(importer.export_items(qs.order_by("code")), "service-items.xlsx")
        return super().get(request)

    def context(self, **extra):
        return super().context(can_import=has_permission(self.request.user, Implementation, "add"), **extra)


def _scoped_impl(user, action: str, code: str):
    from dgov.core.permissions import get_scoped

    return get_scoped(user, action, _impl_queryset(), code=code)


def _can(user, action: str, impl) -> bool:
    return has_permission(user, Implementation, action) and Implementation.objects.restrict(
        user, action).filter(pk=impl.pk).exists()


VERSION_ACTIONS = {"create": gettext_noop("created"), "change": gettext_noop("changed"),
                   "publish": gettext_noop("published"), "retire": gettext_noop("retired"),
                   "import": gettext_noop("imported")}


def _with_labels(versions):
    for v in versions:
        v.action_label = _(VERSION_ACTIONS[v.action]) if v.action in VERSION_ACTIONS else v.action
    return versions


class ImplementationDetailView(CrudView):
    crud = ImplementationViews
    template_name = "services/implementation_detail.html"

    def get(self, request, key, reason_form=None, status=200):
        impl = self.get_object("view", key)
        user = request.user
        can_publish = _can(user, "publish", impl)
        form_pages = (impl.form or {}).get("pages") or []
        return render(request, self.template_name, self.context(
            object=impl, materials=impl.materials.select_related("license_type").order_by("order", "pk"),
            facts=guide_facts(impl), themes=impl.themes.all(), form_pages=form_pages,
            versions=_with_labels(list(impl.versions.select_related("actor")[:5])),
            can_change=_can(user, "change", impl),
            can_publish=can_publish and impl.status != PublishStatus.PUBLISHED,
            can_retire=can_publish and impl.status == PublishStatus.PUBLISHED,
            reason_form=reason_form or forms.ReasonForm(),
            guide_url=reverse("services:guide", args=[impl.code]) if impl.status == PublishStatus.PUBLISHED
            and impl.item.status == PublishStatus.PUBLISHED else None), status=status)


class ImplementationEditView(CrudView):
    """The implementation with its materials, fees and process steps, saved together (one new version)."""

    crud = ImplementationViews
    template_name = "services/implementation_form.html"

    def _instance(self, key):
        if key is None:
            require_permission(self.request.user, Implementation, "add")
            return Implementation()
        return self.get_object("change", key)

    def _forms(self, impl, data=None):
        user = self.request.user
        if data is not None:  # bound: every row is what was posted (no initial, so no row counts as unchanged)
            return (forms.ImplementationForm(data, instance=impl, user=user),
                    forms.MaterialFormSet(data, prefix="materials"), forms.FeeFormSet(data, prefix="fees"),
                    forms.StepFormSet(data, prefix="steps"))
        return (forms.ImplementationForm(instance=impl, user=user),
                forms.MaterialFormSet(prefix="materials", initial=forms.material_initial(impl)),
                forms.FeeFormSet(prefix="fees", initial=list(impl.fees or [])),
                forms.StepFormSet(prefix="steps", initial=list(impl.process_steps or [])))

    def _page(self, impl, form, materials, fees, steps, status=200):
        return render(self.request, self.template_name, self.context(
            object=impl if impl.pk else None, form=form, materials=materials, fees=fees, steps=steps,
            formsets_invalid=any(not fs.is_valid() for fs in (materials, fees, steps)) if form.is_bound else False),
            status=status)

    def get(self, request, key=None):
        impl = self._instance(key)
        return self._page(impl, *self._forms(impl))

    def post(self, request, key=None):
        from dgov.services import services

        impl = self._instance(key)
        form, materials, fees, steps = self._forms(impl, request.POST)
        valid = all([form.is_valid(), materials.is_valid(), fees.is_valid(), steps.is_valid()])
        if valid and "more" not in request.POST:
            data = form.data_for_service()
            data["fees"] = forms.fees_from(fees)
            data["process_steps"] = forms.steps_from(steps)
            try:
                saved = services.implementation_save(actor=request.user, implementation=_fresh(impl), data=data,
                                                     materials=forms.materials_from(materials),
                                                     reason=form.cleaned_data.get("reason") or "")
            except DgovError as exc:
                audit_refused_write(request, exc)
                _apply_impl_error(form, materials, exc)
            else:
                messages.success(request, _("Saved as version %(v)d.") % {"v": saved.version})
                return redirect(ImplementationViews.detail_url(saved))
        elif valid:  # "more rows": the same data with more empty rows
            materials = _more_rows(forms.MaterialFormSet, "materials", request.POST, 3)
            fees = _more_rows(forms.FeeFormSet, "fees", request.POST, 1)
            steps = _more_rows(forms.StepFormSet, "steps", request.POST, 1)
            return self._page(impl, form, materials, fees, steps)
        return self._page(impl, form, materials, fees, steps, status=422)


def _more_rows(formset_class, prefix: str, post, extra: int):
    """The posted rows again (unsaved), with `extra` more empty ones."""
    posted = formset_class(post, prefix=prefix)
    posted.is_valid()
    named = [f.cleaned_data for f in posted.forms if (getattr(f, "cleaned_data", None) or {}).get("name")]
    grown = forms.forms.formset_factory(formset_class.form, extra=len(posted.forms) - len(named) + extra,
                                        max_num=formset_class.max_num + extra)
    return grown(initial=named, prefix=prefix)


def _apply_impl_error(form, materials, exc: DgovError) -> None:
    """The service's field errors onto the form; material errors ("materials", "materials.2.name") onto the
    material rows where they name one, else onto the form."""
    details = exc.details if isinstance(exc.details, dict) else {}
    rest = {}
    for key, value in details.items():
        parts = str(key).split(".")
        if parts[0] == "materials" and len(parts) >= 2 and parts[1].isdigit() and int(parts[1]) < len(materials.forms):
            row = materials.forms[int(parts[1])]
            field = parts[2] if len(parts) > 2 and parts[2] in row.fields else None
            for message in value if isinstance(value, list) else [value]:
                row.add_error(field, str(message))
            form.add_error(None, _("Material %(n)d: %(problem)s") % {
                "n": int(parts[1]) + 1, "problem": " ".join(str(m) for m in (value if isinstance(value, list)
                                                                             else [value]))})
        else:
            rest[key] = value
    if rest or not details:
        apply_error(form, ValidationError(exc.message, details=rest) if details else exc)


class PublishView(ImplementationDetailView):
    verb = "publish"

    def post(self, request, key):
        from dgov.services import services

        impl = self.get_object("publish", key)
        form = forms.ReasonForm(request.POST)
        if form.is_valid():
            try:
                action = services.publish if self.verb == "publish" else services.retire
                action(actor=request.user, implementation=impl, reason=form.cleaned_data["reason"])
            except DgovError as exc:
                audit_refused_write(request, exc)
                apply_error(form, exc)
            else:
                messages.success(request, _("Published: the guide is online.") if self.verb == "publish"
                                 else _("Retired: the guide is no longer shown."))
                return redirect(ImplementationViews.detail_url(impl))
        return self.get(request, key, reason_form=form, status=422)


class RetireView(PublishView):
    verb = "retire"


# --- version history ------------------------------------------------------------------------------
LIST_FIELDS = {"materials": "name", "fees": "name", "process_steps": "name"}


def _label(key: str) -> str:
    special = {"materials": _("Materials"), "themes": _("Themes"), "item_name": _("Item name"),
               "form": _("Application form")}
    if key in special:
        return special[key]
    try:
        return str(Implementation._meta.get_field(key).verbose_name)
    except Exception:  # noqa: BLE001 - a snapshot key that is not a model field keeps its key
        return key


def _text(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def snapshot_diff(old: dict, new: dict) -> list[dict]:
    """What changed between two snapshots: a row per changed field; lists of named things (materials, fees,
    steps) compared by name: added, removed, changed."""
    old, new = old or {}, new or {}
    rows = []
    for key in sorted(set(old) | set(new), key=lambda k: (k in LIST_FIELDS, k)):
        a, b = old.get(key), new.get(key)
        if a == b:
            continue
        name_key = LIST_FIELDS.get(key)
        if name_key and isinstance(a or [], list) and isinstance(b or [], list):
            before = {str((x or {}).get(name_key, i)) if isinstance(x, dict) else _text(x): x
                      for i, x in enumerate(a or [])}
            after = {str((x or {}).get(name_key, i)) if isinstance(x, dict) else _text(x): x
                     for i, x in enumerate(b or [])}
            for name in before.keys() - after.keys():
                rows.append({"field": _label(key), "kind": "removed", "old": name, "new": "—"})
            for name in after.keys() - before.keys():
                rows.append({"field": _label(key), "kind": "added", "old": "—", "new": name})
            for name in sorted(before.keys() & after.keys()):
                if before[name] != after[name]:
                    x, y = before[name], after[name]
                    if isinstance(x, dict) and isinstance(y, dict):
                        changed = sorted(k for k in set(x) | set(y) if x.get(k) != y.get(k))
                        rows.append({"field": f"{_label(key)}「{name}」", "kind": "changed",
                                     "old": "；".join(f"{k}: {_text(x.get(k))}" for k in changed),
                                     "new": "；".join(f"{k}: {_text(y.get(k))}" for k in changed)})
                    else:
                        rows.append({"field": _label(key), "kind": "changed", "old": _text(x), "new": _text(y)})
            if [_text(x) for x in a or []] != [_text(x) for x in b or []] and not any(
                    r["field"].startswith(_label(key)) for r in rows):
                rows.append({"field": _label(key), "kind": "changed", "old": _("order"), "new": _("new order")})
            continue
        rows.append({"field": _label(key), "kind": "changed", "old": _text(a), "new": _text(b)})
    return rows


class VersionsView(CrudView):
    crud = ImplementationViews
    template_name = "services/implementation_versions.html"

    def get(self, request, key):
        impl = self.get_object("view", key)
        versions = _with_labels(list(impl.versions.select_related("actor").order_by("-version")))
        numbers = [v.version for v in versions]
        form_errors = []

        def pick(name, default):
            raw = request.GET.get(name)
            if raw in (None, ""):
                return default
            try:
                n = int(raw)
            except ValueError:
                n = None
            if n not in numbers:
                form_errors.append(_("There is no version %(v)s.") % {"v": raw[:10]})
                return default
            return n

        b = pick("b", numbers[0] if numbers else None)
        a = pick("a", next((n for n in numbers if b is not None and n < b), None))
        by_number = {v.version: v for v in versions}
        diff = None
        if a is not None and b is not None:
            diff = snapshot_diff(by_number[a].snapshot, by_number[b].snapshot)
        elif b is not None:
            diff = snapshot_diff({}, by_number[b].snapshot)
        return render(request, self.template_name, self.context(
            object=impl, versions=versions, a=a, b=b, diff=diff, form_errors=form_errors),
            status=422 if form_errors else 200)


# --- the application form editor ------------------------------------------------------------------
def _definition_of(impl) -> dict:
    if impl.form:
        return impl.form
    try:
        from dgov.services import formdef

        return formdef.default_form(impl)
    except (ImportError, AttributeError):
        return {"version": 1, "pages": []}


class FormEditorView(CrudView):
    """The online application form: JSON checked by the form definition language, with a preview of its pages
    (rendered here, and live in the browser as the JSON changes)."""

    crud = ImplementationViews
    template_name = "services/implementation_formdef.html"

    FIELD_TYPES = [("text", gettext_noop("short text")), ("textarea", gettext_noop("long text")),
                   ("date", gettext_noop("date")), ("number", gettext_noop("number")),
                   ("choice", gettext_noop("one of several choices")),
                   ("multichoice", gettext_noop("several of several choices")), ("yesno", gettext_noop("yes or no")),
                   ("phone", gettext_noop("mobile number")), ("id_number", gettext_noop("identity card number")),
                   ("email", gettext_noop("email address")), ("region", gettext_noop("district or township"))]

    def _page(self, impl, form, preview, status=200):
        return render(self.request, self.template_name, self.context(
            object=impl, form=form, preview=preview, field_types=[(v, _(label)) for v, label in self.FIELD_TYPES]),
            status=status)

    def get(self, request, key):
        impl = self.get_object("change", key)
        definition = _definition_of(impl)
        form = forms.FormDefinitionForm(initial={"definition": json.dumps(definition, ensure_ascii=False, indent=2)})
        return self._page(impl, form, preview_pages(definition))

    def post(self, request, key):
        from dgov.services import services

        impl = self.get_object("change", key)
        form = forms.FormDefinitionForm(request.POST)
        if not form.is_valid():
            return self._page(impl, form, None, status=422)
        definition = form.cleaned_data["definition"]
        if "preview" in request.POST:
            return self._page(impl, form, preview_pages(definition))
        try:
            services.implementation_save(actor=request.user, implementation=_fresh(impl), data={"form": definition},
                                         materials=forms.materials_of(impl),
                                         reason=form.cleaned_data.get("reason") or _("Application form changed"))
        except DgovError as exc:
            audit_refused_write(request, exc)
            details = exc.details if isinstance(exc.details, dict) else {}
            apply_error(form, ValidationError(exc.message, details={
                ("definition" if k.startswith("form") else k): v for k, v in details.items()}) if details else exc)
            return self._page(impl, form, preview_pages(definition), status=422)
        messages.success(request, _("The application form was saved."))
        return redirect(ImplementationViews.detail_url(impl))


FIELD_INPUT = {"text": "text", "phone": "tel", "id_number": "text", "email": "email", "date": "date",
               "number": "number", "region": "text"}


def preview_pages(definition: dict) -> list[dict]:
    """The pages of a (valid) definition, as the preview shows them."""
    pages = []
    for page in (definition or {}).get("pages") or []:
        fields = []
        for field in page.get("fields") or []:
            kind = field.get("type", "text")
            fields.append({**field, "kind": kind, "input": FIELD_INPUT.get(kind, "text"),
                           "choices": field.get("choices") or ([{"value": "yes", "label": _("Yes")},
                                                                {"value": "no", "label": _("No")}]
                                                               if kind == "yesno" else [])})
        pages.append({"key": page.get("key"), "title": page.get("title"), "fields": fields})
    return pages


# --- import ---------------------------------------------------------------------------------------
class ImportView(CrudView):
    """An xlsx of implementation lists (the export's format): checked row by row first (a dry run that writes
    nothing), then imported from the same file, kept on the server for an hour and tied to the session."""

    crud = ImplementationViews
    template_name = "services/import.html"
    SESSION_KEY = "dgov_services_import"

    def _page(self, form, status=200, **extra):
        return render(self.request, self.template_name, self.context(form=form, **extra), status=status)

    def get(self, request):
        require_permission(request.user, Implementation, "add")
        if request.GET.get("template"):
            from dgov.services import importer

            return xlsx_response(importer.template_xlsx(), "service-items-template.xlsx")
        return self._page(forms.ImportForm())

    def post(self, request):
        from dgov.core.views import _import_dir
        from dgov.services import importer

        require_permission(request.user, Implementation, "add")
        if "confirm" in request.POST:
            pending = request.session.get(self.SESSION_KEY) or {}
            stored = _import_dir() / pending["token"] if pending.get("token") == request.POST.get("confirm") else None
            if stored is None or not stored.exists():
                messages.error(request, _("The upload has expired; please upload the file again."))
                return redirect("services:import")
            data = stored.read_bytes()
            try:
                result = importer.import_items(io.BytesIO(data), actor=request.user, dry_run=False,
                                               filename=pending["name"])
            except DgovError as exc:
                audit_refused_write(request, exc)
                return self._page(forms.ImportForm(), status=422, file_error=" ".join(exc.sentences()))
            stored.unlink(missing_ok=True)
            request.session.pop(self.SESSION_KEY, None)
            if result.committed:
                messages.success(request, _("Imported: %(c)d created, %(u)d updated.") % {
                    "c": result.created, "u": result.updated})
                return redirect(ImplementationViews.name("list"))
            return self._page(forms.ImportForm(), status=422, result=result)
        form = forms.ImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return self._page(form, status=422)
        upload = form.cleaned_data["file"]
        data = upload.read()
        try:
            result = importer.import_items(io.BytesIO(data), actor=request.user, dry_run=True, filename=upload.name)
        except ImportFileError as exc:
            return self._page(form, status=422, file_error=str(exc.message))
        except DgovError as exc:
            audit_refused_write(request, exc)
            return self._page(form, status=422, file_error=" ".join(exc.sentences()))
        token = None
        if result.ok:
            token = uuid.uuid4().hex
            (_import_dir() / token).write_bytes(data)
            request.session[self.SESSION_KEY] = {"token": token, "name": upload.name}
        return self._page(form, status=200 if result.ok else 422, result=result, token=token, filename=upload.name)


# ==================================================================================================
def urls() -> list:
    for crud in (ServiceItemViews, ImplementationViews, ThemeViews):
        crud.namespace = NAMESPACE
    base = f"{MANAGE}/implementations"
    return [
        path("services/", search_view, name="search"),
        path("services/items/<str:code>/", guide_view, name="guide"),
        path("services/themes/", themes_view, name="themes"),
        path("services/themes/<str:code>/", theme_view, name="theme"),
        path("services/accessibility/", accessibility_view, name="accessibility"),
        path(f"{MANAGE}/items/", ObjectListView.as_view(crud=ServiceItemViews), name="serviceitem_list"),
        path(f"{MANAGE}/items/add/", ObjectEditView.as_view(crud=ServiceItemViews), name="serviceitem_add"),
        path(f"{MANAGE}/items/<str:key>/", ServiceItemDetailView.as_view(), name="serviceitem_detail"),
        path(f"{MANAGE}/items/<str:key>/edit/", ObjectEditView.as_view(crud=ServiceItemViews),
             name="serviceitem_edit"),
        *ThemeViews.urls(f"{MANAGE}/themes", NAMESPACE),
        path(f"{base}/", ImplementationListView.as_view(crud=ImplementationViews), name="implementation_list"),
        path(f"{base}/add/", ImplementationEditView.as_view(), name="implementation_add"),
        path(f"{MANAGE}/import/", ImportView.as_view(), name="import"),
        path(f"{base}/<str:key>/", ImplementationDetailView.as_view(), name="implementation_detail"),
        path(f"{base}/<str:key>/edit/", ImplementationEditView.as_view(), name="implementation_edit"),
        path(f"{base}/<str:key>/publish/", PublishView.as_view(), name="implementation_publish"),
        path(f"{base}/<str:key>/retire/", RetireView.as_view(), name="implementation_retire"),
        path(f"{base}/<str:key>/versions/", VersionsView.as_view(), name="implementation_versions"),
        path(f"{base}/<str:key>/form/", FormEditorView.as_view(), name="implementation_form"),
    ]

