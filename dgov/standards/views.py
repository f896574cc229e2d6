"""The pages of dgov.standards: code sets, the data-element registry (with its life-cycle actions, history,
versions and usage) and data models (versions, the definition editor and its rendered view, release,
new version, the diff between two versions, the check of a harvested table against an entity)."""

import json

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dgov.core.errors import DgovError, PermissionDenied
from dgov.core.forms import apply_error
from dgov.core.permissions import has_permission
from dgov.core.views import (
    CrudView,
    CrudViews,
    ObjectDetailView,
    OfficialRequiredMixin,
    UserFormEditView,
    attempt,
    audit_refused_write,
)
from dgov.standards import selectors, services
from dgov.standards.filtersets import CodeSetFilterSet, DataElementFilterSet, DataModelFilterSet
from dgov.standards.forms import (
    CheckForm,
    CodeSetForm,
    DataElementForm,
    DataModelForm,
    DefinitionForm,
    DiffForm,
    NoteForm,
)
from dgov.standards.models import CodeSet, DataElement, DataModel, ElementStatus, ModelVersion
from dgov.standards.tables import CodeSetTable, DataElementTable, DataModelTable

ACTION_LABELS = {
    "review": gettext_lazy("Mark reviewed"),
    "return": gettext_lazy("Return to draft"),
    "release": gettext_lazy("Release"),
    "retire": gettext_lazy("Retire"),
    "new_version": gettext_lazy("New version"),
}


class DetailView(ObjectDetailView):
    """The generic detail page with the app's extra context (`crud.extra(request, obj)`)."""

    def get(self, request, key):
        obj = self.get_object("view", key)
        crud = self.crud
        rows = [(c.header, c.text(obj)) for c in crud.table.columns
                if crud.detail_fields is None or c.accessor in crud.detail_fields]
        ctx = self.context(object=obj, rows=rows, **crud.extra(request, obj))
        return render(request, crud.detail_template, ctx)


class CodeSetViews(CrudViews):
    model = CodeSet
    table = CodeSetTable
    filterset = CodeSetFilterSet
    form = CodeSetForm
    delete = staticmethod(services.codeset_delete)
    detail_template = "standards/codeset_detail.html"
    nav_section = "data"
    views = {"detail": DetailView}

    @classmethod
    def save_form(cls, *, actor, form):
        return services.codeset_save(actor=actor, instance=form.save(commit=False),
                                     values=form.cleaned_data["values"])

    @classmethod
    def extra(cls, request, obj):
        user = request.user
        return {"values": obj.values.all(),
                "can_change": not obj.is_builtin and has_permission(user, CodeSet, "change"),
                "can_delete": not obj.is_builtin and has_permission(user, CodeSet, "delete"),
                "elements": obj.elements.order_by("identifier", "-version")}


class DataElementViews(CrudViews):
    model = DataElement
    table = DataElementTable
    filterset = DataElementFilterSet
    form = DataElementForm
    save = staticmethod(services.element_save)
    detail_template = "standards/dataelement_detail.html"
    nav_section = "data"
    views = {"detail": DetailView}

    @classmethod
    def deletable(cls) -> bool:
        return False  # elements are retired, never deleted

    @classmethod
    def queryset(cls):
        return DataElement.objects.select_related("code_set", "department")

    @classmethod
    def extra(cls, request, obj):
        user = request.user
        usage = selectors.element_usage(obj, user)
        can_change = (obj.status == ElementStatus.DRAFT and not obj.is_builtin
                      and has_permission(user, DataElement, "change") and services._may_edit_draft(user, obj))
        return {"can_change": can_change, "can_delete": False,
                "actions": [(a, ACTION_LABELS[a], NoteForm(prefix=a))
                            for a in services.allowed_actions(user, obj)],
                "events": obj.events.select_related("actor"),
                "versions": selectors.element_versions(obj),
                "data_items": usage["data_items"][:50], "columns": usage["columns"][:50]}


class ElementTransitionView(CrudView):
    crud = DataElementViews

    def post(self, request, key):
        element = self.get_object("view", key)
        action = request.POST.get("action", "")
        if action not in services.ACTIONS:
            messages.error(request, _("Unknown action."))
            return redirect(DataElementViews.detail_url(element))
        form = NoteForm(request.POST, prefix=action)
        note = form.cleaned_data["note"] if form.is_valid() else ""
        ok, result = attempt(request, lambda: services.element_transition(
            actor=request.user, element=element, action=action, note=note))
        if not ok:
            return redirect(DataElementViews.detail_url(element))
        messages.success(request, _("Done: %(action)s.") % {"action": ACTION_LABELS[action]})
        return redirect(DataElementViews.detail_url(result))


class DataModelViews(CrudViews):
    model = DataModel
    table = DataModelTable
    filterset = DataModelFilterSet
    form = DataModelForm
    save = staticmethod(services.datamodel_save)
    delete = staticmethod(services.datamodel_delete)
    lookup = "code"
    detail_template = "standards/datamodel_detail.html"
    nav_section = "data"
    views = {"detail": DetailView, "add": UserFormEditView, "edit": UserFormEditView}

    @classmethod
    def queryset(cls):
        return DataModel.objects.select_related("department")

    @classmethod
    def extra(cls, request, obj):
        versions = list(obj.versions.order_by("-number"))
        can_change = bool(DataModel.objects.restrict(request.user, "change").filter(pk=obj.pk).exists())
        latest = versions[0] if versions else None
        numbers = [v.number for v in versions]
        initial = {"a": numbers[1], "b": numbers[0]} if len(numbers) > 1 else None
        return {"versions": versions, "can_change": can_change,
                "can_delete": has_permission(request.user, DataModel, "delete") and not any(
                    v.status == ModelVersion.Status.RELEASED for v in versions),
                "can_new_version": can_change and latest is not None and latest.status == ModelVersion.Status.RELEASED,
                "diff_form": DiffForm(initial=initial) if initial else None}


class ModelPageMixin(OfficialRequiredMixin):
    def model(self, code, action="view") -> DataModel:
        return selectors.datamodel_for(self.request.user, code, action)

    def can_change(self, model) -> bool:
        return DataModel.objects.restrict(self.request.user, "change").filter(pk=model.pk).exists()

    def base(self, model, **extra):
        return {"nav_active": "data", "model": model, "list_url": reverse("standards:datamodel_list"),
                "model_url": reverse("standards:datamodel_detail", kwargs={"key": model.code}), **extra}


def _rendered(definition: dict) -> dict:
    """The definition for the readable view: each attribute with its data element."""
    wanted = {a.get("element") for e in definition.get("entities", []) for a in e.get("attributes", [])
              if a.get("element")}
    elements = {}
    for el in DataElement.objects.filter(identifier__in=wanted).order_by("identifier", "version"):
        if el.status == ElementStatus.RELEASED or el.identifier not in elements:
            elements[el.identifier] = el
    entities = [{**e, "attributes": [{**a, "element_obj": elements.get(a.get("element"))}
                                     for a in e.get("attributes", [])]} for e in definition.get("entities", [])]
    return {"entities": entities, "relations": definition.get("relations", [])}


class VersionView(ModelPageMixin, CrudView):
    crud = DataModelViews
    template_name = "standards/modelversion_detail.html"

    def _render(self, model, version, form=None, status=200):
        can_edit = version.status == ModelVersion.Status.DRAFT and self.can_change(model)
        if can_edit and form is None:
            form = DefinitionForm(initial={"definition": json.dumps(version.definition, ensure_ascii=False, indent=2),
                                           "note": version.note})
        return render(self.request, self.template_name, self.base(
            model, version=version, can_edit=can_edit, form=form if can_edit else None,
            definition=_rendered(version.definition),
            can_release=can_edit and bool(version.definition.get("entities"))), status=status)

    def get(self, request, key, number):
        model = self.model(key)
        return self._render(model, selectors.version_of(model, number))

    def post(self, request, key, number):
        model = self.model(key, "change")
        version = selectors.version_of(model, number)
        action = request.POST.get("action", "save")
        try:
            if action == "release":
                services.version_release(actor=request.user, version=version)
                messages.success(request, _("Version %(n)d released.") % {"n": version.number})
                return redirect("standards:modelversion_detail", key=model.code, number=version.number)
            form = DefinitionForm(request.POST)
            if not form.is_valid():
                return self._render(model, version, form=form, status=422)
            services.version_update(actor=request.user, version=version, definition=form.cleaned_data["definition"],
                                    note=form.cleaned_data["note"])
        except PermissionDenied:
            raise
        except DgovError as exc:
            audit_refused_write(request, exc)
            if action == "release":
                for sentence in exc.sentences():
                    messages.error(request, sentence)
                return redirect("standards:modelversion_detail", key=model.code, number=version.number)
            apply_error(form, exc)
            return self._render(model, version, form=form, status=422)
        messages.success(request, _("Saved."))
        return redirect("standards:modelversion_detail", key=model.code, number=version.number)


class NewVersionView(ModelPageMixin, CrudView):
    crud = DataModelViews

    def post(self, request, key):
        model = self.model(key, "change")
        form = NoteForm(request.POST)
        ok, version = attempt(request, lambda: services.version_new(
            actor=request.user, model=model, note=form.cleaned_data["note"] if form.is_valid() else ""))
        if not ok:
            return redirect("standards:datamodel_detail", key=model.code)
        messages.success(request, _("Version %(n)d started.") % {"n": version.number})
        return redirect("standards:modelversion_detail", key=model.code, number=version.number)


class DiffView(ModelPageMixin, CrudView):
    crud = DataModelViews

    def get(self, request, key):
        model = self.model(key)
        form = DiffForm(request.GET or None)
        diff = a = b = None
        status = 200
        if form.is_bound:
            if form.is_valid():
                a = selectors.version_of(model, form.cleaned_data["a"])
                b = selectors.version_of(model, form.cleaned_data["b"])
                diff = services.diff_definitions(a.definition, b.definition)
            else:
                status = 422
        return render(request, "standards/modelversion_diff.html", self.base(
            model, form=form, diff=diff, a=a, b=b, empty=diff is not None and not any(diff.values())), status=status)


class CheckView(ModelPageMixin, CrudView):
    crud = DataModelViews

    def get(self, request, key, number):
        model = self.model(key)
        version = selectors.version_of(model, number)
        entities = version.definition.get("entities", [])
        entity_name = request.GET.get("entity") or (entities[0]["name"] if entities else "")
        from dgov.metadata.models import MetaTable

        # the harvested tables named as the entities' tables; when there are none, every visible table
        tables = list({t.pk: t for e in entities for t in selectors.tables_for_entity(request.user, e)}.values())
        if not tables and has_permission(request.user, MetaTable, "view"):
            tables = list(MetaTable.objects.restrict(request.user, "view").filter(dropped_at__isnull=True)
                          .order_by("location", "schema", "name")[:200])
        form = CheckForm(request.GET if "table" in request.GET else None, entities=entities, tables=tables,
                         initial={"entity": entity_name})
        result, status = None, 200
        if form.is_bound:
            if form.is_valid():
                table = selectors.meta_table_for(request.user, form.cleaned_data["table"])
                result = services.check_physical(version, form.cleaned_data["entity"], table)
            else:
                status = 422
        return render(request, "standards/modelversion_check.html", self.base(
            model, version=version, form=form, result=result), status=status)


def urls(app_name: str) -> list:
    base = "data/standards/models/<str:key>"
    return [
        *CodeSetViews.urls("data/standards/code-sets", app_name),
        *DataElementViews.urls("data/standards/elements", app_name),
        path("data/standards/elements/<int:key>/transition/", ElementTransitionView.as_view(),
             name="dataelement_transition"),
        *DataModelViews.urls("data/standards/models", app_name),
        path(f"{base}/versions/new/", NewVersionView.as_view(), name="modelversion_add"),
        path(f"{base}/versions/<int:number>/", VersionView.as_view(), name="modelversion_detail"),
        path(f"{base}/versions/<int:number>/check/", CheckView.as_view(), name="modelversion_check"),
        path(f"{base}/diff/", DiffView.as_view(), name="modelversion_diff"),
    ]
