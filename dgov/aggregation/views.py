"""Pages of data aggregation (数据平台 → 源数据库 / 归集数据集 / 归集任务 / 归集记录): source databases
(with the connection test and table discovery), datasets (the columns carrying the entry's data
items, with masks), load jobs (run now, upload a file, the runs) and load runs (with the rejected
rows and their reasons)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from dgov.aggregation import selectors, services, sources
from dgov.aggregation.filtersets import (
    DatasetFilterSet,
    LoadRunFilterSet,
    SourceDatabaseFilterSet,
    SourceMappingFilterSet,
)
from dgov.aggregation.forms import (
    MASK_CHOICES,
    DatasetEntryForm,
    SourceDatabaseForm,
    SourceMappingForm,
    UploadForm,
    column_rows,
    columns_from_rows,
)
from dgov.aggregation.models import Dataset, LoadRun, SourceDatabase, SourceMapping
from dgov.aggregation.tables import (
    RUN_BADGES,
    DatasetTable,
    LoadRunTable,
    SourceDatabaseTable,
    SourceMappingTable,
)
from dgov.catalog.models import CatalogEntry
from dgov.core.errors import DgovError, NotFound, PermissionDenied
from dgov.core.forms import apply_error
from dgov.core.importexport import read_upload
from dgov.core.permissions import has_permission
from dgov.core.views import CrudView, CrudViews, UserFormEditView, audit_refused_write

NAMESPACE = "aggregation"
RECENT_RUNS = 10


# --- source databases -----------------------------------------------------------------------------
class SourceDetailView(CrudView):
    """A source: its fields (the URL without its password), the connection test and, on request, its
    tables."""

    template_name = "aggregation/source_detail.html"

    def get(self, request, key):
        return render(request, self.template_name, self.page(selectors.source_for(request.user, key)))

    def post(self, request, key):
        source = selectors.source_for(request.user, key, "change")
        action = request.POST.get("action")
        if action == "test":
            ok, message = services.source_test(actor=request.user, source=source)
            (messages.success if ok else messages.error)(
                request, (_("Connected: %(message)s") if ok else _("Connection failed: %(message)s"))
                % {"message": message})
            return redirect(SourceViews.detail_url(source))
        if action == "tables":
            try:
                found = sources.tables(source)
            except sources.SourceError as exc:
                messages.error(request, _("Connection failed: %(message)s") % {"message": exc})
                return redirect(SourceViews.detail_url(source))
            return render(request, self.template_name, self.page(source, tables=found))
        return redirect(SourceViews.detail_url(source))

    def page(self, source, **extra):
        user = self.request.user
        return self.context(object=source, can_change=has_permission(user, SourceDatabase, "change"),
                            can_delete=has_permission(user, SourceDatabase, "delete"),
                            mappings=source.mappings.restrict(user, "view").select_related("dataset__entry"), **extra)


class SourceViews(CrudViews):
    nav_section = "data"
    model = SourceDatabase
    table = SourceDatabaseTable
    filterset = SourceDatabaseFilterSet
    form = SourceDatabaseForm
    save = staticmethod(services.source_save)
    delete = staticmethod(lambda *, actor, instance: services.source_delete(actor=actor, source=instance))
    queryset = staticmethod(lambda: SourceDatabase.objects.select_related("department"))
    views = {"detail": SourceDetailView, "add": UserFormEditView, "edit": UserFormEditView}


# --- datasets ---------------------------------------------------------------------------------------
class DatasetDetailView(CrudView):
    template_name = "aggregation/dataset_detail.html"

    def get(self, request, key):
        dataset = selectors.dataset_for(request.user, key)
        user = request.user
        return render(request, self.template_name, self.context(
            object=dataset, columns=dataset.columns.all(),
            can_change=has_permission(user, Dataset, "change"),
            can_add_job=has_permission(user, SourceMapping, "add"),
            mappings=dataset.mappings.restrict(user, "view").select_related("source"),
            runs=dataset.runs.restrict(user, "view").select_related("mapping")[:RECENT_RUNS], run_badges=RUN_BADGES))


class DatasetColumnsView(CrudView):
    """A new dataset (step one: the entry, `?entry=`; step two: its columns) or a dataset's columns."""

    template_name = "aggregation/dataset_columns.html"

    def _target(self, key):
        user = self.request.user
        if key is not None:
            dataset = selectors.dataset_for(user, key, "change")
            return dataset.entry, dataset
        if not has_permission(user, Dataset, "add"):
            raise PermissionDenied()
        code = self.request.GET.get("entry") or self.request.POST.get("entry") or ""
        entry = selectors.entries_without_dataset(user).filter(code=code).first() if code else None
        return entry, None

    def get(self, request, key=None):
        entry, dataset = self._target(key)
        if entry is None:
            return render(request, "aggregation/dataset_entry.html",
                          self.context(form=DatasetEntryForm(request.GET or None, user=request.user)))
        return self.render_columns(entry, dataset, column_rows(entry, dataset))

    def post(self, request, key=None):
        entry, dataset = self._target(key)
        if entry is None:
            raise NotFound()
        rows = column_rows(entry, dataset, request.POST)
        try:
            if dataset is None:
                dataset = services.dataset_create(actor=request.user, entry=entry, columns=columns_from_rows(rows))
            else:
                services.dataset_update(actor=request.user, dataset=dataset, columns=columns_from_rows(rows))
        except DgovError as exc:
            if isinstance(exc, (PermissionDenied, NotFound)):
                raise
            audit_refused_write(request, exc)
            return self.render_columns(entry, dataset, rows, errors=exc.sentences(), status=422)
        messages.success(request, _("Saved."))
        return redirect(DatasetViews.detail_url(dataset))

    def render_columns(self, entry: CatalogEntry, dataset, rows, *, errors=None, status=200):
        return render(request=self.request, template_name=self.template_name, status=status, context=self.context(
            entry=entry, object=dataset, rows=rows, errors=errors or [], mask_choices=MASK_CHOICES))


class DatasetViews(CrudViews):
    nav_section = "data"
    model = Dataset
    table = DatasetTable
    filterset = DatasetFilterSet
    form = DatasetEntryForm  # routes add/edit, served by DatasetColumnsView
    queryset = staticmethod(lambda: Dataset.objects.select_related("entry", "entry__department"))
    views = {"detail": DatasetDetailView, "add": DatasetColumnsView, "edit": DatasetColumnsView}

    @classmethod
    def deletable(cls) -> bool:
        return False  # a dataset is what consumers are granted; it is not deleted from a page


# --- load jobs ----------------------------------------------------------------------------------------
class MappingEditView(UserFormEditView):
    """A load job; a new one starts from its dataset (`?dataset=`)."""

    template_name = "aggregation/mapping_form.html"

    def _dataset(self, key):
        if key is not None:
            return None
        pk = self.request.GET.get("dataset") or self.request.POST.get("dataset") or ""
        if not pk.isdigit():
            return None
        return selectors.visible_datasets(self.request.user).filter(pk=int(pk)).first()

    def form_class(self, key):
        form = super().form_class(key)

        def build(*args, **kwargs):
            return form(*args, dataset=self._dataset(key), **kwargs)

        return build

    def get(self, request, key=None):
        if key is None and self._dataset(key) is None:
            self._instance(key)  # 403 without the permission
            datasets = selectors._datasets().restrict(request.user, "change")
            return render(request, "aggregation/mapping_dataset.html", self.context(datasets=datasets))
        return super().get(request, key)


class MappingDetailView(CrudView):
    template_name = "aggregation/mapping_detail.html"

    def get(self, request, key):
        return render(request, self.template_name, self.page(selectors.mapping_for(request.user, key)))

    def post(self, request, key):
        mapping = selectors.mapping_for(request.user, key, "change")
        action = request.POST.get("action")
        try:
            if action == "run":
                run = services.run_load(actor=request.user, mapping=mapping)
            elif action == "upload":
                form = UploadForm(request.POST, request.FILES)
                if not form.is_valid():
                    return render(request, self.template_name, self.page(mapping, upload_form=form), status=422)
                upload = form.cleaned_data["file"]
                run = services.load_file(actor=request.user, mapping=mapping, name=upload.name,
                                         data=read_upload(upload))
            else:
                return redirect(MappingViews.detail_url(mapping))
        except DgovError as exc:
            if isinstance(exc, (PermissionDenied, NotFound)):
                raise
            audit_refused_write(request, exc)
            form = UploadForm()
            apply_error(form, exc)
            return render(request, self.template_name, self.page(mapping, upload_form=form, errors=exc.sentences()),
                          status=422)
        if run.status == LoadRun.Status.SUCCEEDED:
            messages.success(request, _("Load finished: %(read)d read, %(written)d written, %(unchanged)d unchanged, "
                                        "%(rejected)d rejected.") % {
                "read": run.rows_read, "written": run.rows_written, "unchanged": run.rows_unchanged,
                "rejected": run.rows_rejected})
        else:
            messages.error(request, _("Load failed: %(error)s") % {"error": _(run.error)})
        return redirect(LoadRunViews.detail_url(run))

    def page(self, mapping, **extra):
        user = self.request.user
        columns = list(mapping.dataset.columns.all())
        extra.setdefault("upload_form", UploadForm())
        return self.context(
            object=mapping, can_change=has_permission(user, SourceMapping, "change"),
            can_delete=has_permission(user, SourceMapping, "delete"),
            column_map=[(c, mapping.column_map.get(c.name, "")) for c in columns],
            runs=mapping.runs.restrict(user, "view")[:RECENT_RUNS], run_badges=RUN_BADGES, **extra)


class MappingViews(CrudViews):
    nav_section = "data"
    model = SourceMapping
    table = SourceMappingTable
    filterset = SourceMappingFilterSet
    form = SourceMappingForm
    save = staticmethod(services.mapping_save)
    delete = staticmethod(lambda *, actor, instance: services.mapping_delete(actor=actor, mapping=instance))
    queryset = staticmethod(lambda: SourceMapping.objects.select_related("dataset__entry", "source"))
    views = {"detail": MappingDetailView, "add": MappingEditView, "edit": MappingEditView}


# --- load runs ----------------------------------------------------------------------------------------
class RunDetailView(CrudView):
    template_name = "aggregation/run_detail.html"

    def get(self, request, key):
        run = selectors.run_for(request.user, key)
        return render(request, self.template_name, self.context(object=run, badge=RUN_BADGES.get(run.status, "")))


class LoadRunViews(CrudViews):
    nav_section = "data"
    model = LoadRun
    table = LoadRunTable
    filterset = LoadRunFilterSet
    queryset = staticmethod(lambda: LoadRun.objects.select_related("mapping", "dataset__entry").defer("rejects"))
    views = {"detail": RunDetailView}
