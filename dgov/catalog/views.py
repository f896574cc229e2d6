"""Pages of the data resource catalog (数据平台): the catalog with its search box and facets, an
entry's page (every field, its data items, its version history, its provincial mapping and the
life-cycle buttons), the entry form with its data items, the spreadsheet import, the negative list
and the classifications; the provincial catalog, its import, the alignment worklist and an entry's
mapping page; the statistics (数据资源统计) with their SVG charts and drill-downs.

Every read starts from `restrict(user, action)`; every write goes through `dgov.catalog.services`
(entries, the life cycle, the negative list) or core's `delete_object`."""

import re
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dgov.catalog import alignment, importer, provincial, selectors, services, statistics
from dgov.catalog.filtersets import ClassificationFilterSet, NegativeListItemFilterSet, ProvincialEntryFilterSet
from dgov.catalog.forms import (
    ITEMS_PREFIX,
    CatalogEntryForm,
    DataItemFormSet,
    ImportForm,
    NegativeListItemForm,
    ProvincialImportForm,
    StatisticsFilterForm,
    item_rows_from_post,
)
from dgov.catalog.models import (
    CatalogEntry,
    CatalogType,
    Classification,
    DataItem,
    EntryVersion,
    MappingMethod,
    NegativeListItem,
    OpenType,
    PersonalDataClass,
    ProvincialEntry,
    ProvincialImport,
    ProvincialMapping,
    SharingType,
    Status,
)
from dgov.catalog.tables import (
    VERSION_ACTIONS,
    CatalogEntryExportTable,
    CatalogEntryTable,
    ClassificationTable,
    NegativeListItemTable,
    ProvincialEntryTable,
    UnmappedEntryTable,
    catalog_type_label,
)
from dgov.core import audit
from dgov.core.charts import bars as _bars
from dgov.core.charts import donut as _donut
from dgov.core.charts import stack as _stack
from dgov.core.errors import DgovError, NotFound, PermissionDenied, ValidationError
from dgov.core.forms import apply_error
from dgov.core.importexport import export_response, xlsx_response
from dgov.core.permissions import has_permission, resolver
from dgov.core.views import (
    PAGE_SIZE,
    CrudView,
    CrudViews,
    ObjectDeleteView,
    ObjectDetailView,
    ObjectEditView,
    ObjectListView,
    audit_refused_write,
)
from dgov.orgs.models import Department, Region

NAMESPACE = "catalog"
QUERY_MAX = 100


# --- the catalog ------------------------------------------------------------------------------------

class CatalogEntryViews(CrudViews):
    """Declarations the entry pages share (their URLs are in urls.py: resource codes hold a slash)."""

    nav_section = "data"

    model = CatalogEntry
    table = CatalogEntryTable
    lookup = "code"
    namespace = NAMESPACE
    queryset = staticmethod(lambda: CatalogEntry.objects.select_related("department", "region", "classification"))


#: the facets of the list page, in the order of its sidebar
FACETS = [
    ("department", gettext_lazy("Provider department")),
    ("catalog_type", gettext_lazy("Catalog type")),
    ("classification", gettext_lazy("Classification")),
    ("sharing_type", gettext_lazy("Sharing type")),
    ("open_type", gettext_lazy("Open type")),
    ("format", gettext_lazy("Format")),
    ("update_cycle", gettext_lazy("Update cycle")),
    ("region", gettext_lazy("Region")),
    ("status", gettext_lazy("Status")),
]
FACET_NAMES = [name for name, _label in FACETS]
FACETS_SHOWN = 8  # values per facet before "more"


def _by_code_or_pk(model, values: list[str], label) -> dict[str, str]:
    """Labels of departments, regions or classifications named by code (or by id)."""
    out = {o.code: label(o) for o in model.objects.filter(code__in=values)}
    ids = [int(v) for v in values if v not in out and v.isdigit() and len(v) < 10]
    out.update({str(o.pk): label(o) for o in model.objects.filter(pk__in=ids)})
    return out


def facet_labels(name: str, values: list[str]) -> dict[str, str]:
    """What each value of a facet is called on the page."""
    if name == "department":
        return _by_code_or_pk(Department, values, lambda d: d.name)
    if name == "region":
        return _by_code_or_pk(Region, values, lambda r: r.name)
    if name == "classification":
        return _by_code_or_pk(Classification, values, str)
    if name == "catalog_type":
        return {str(k): str(v) for k, v in CatalogType.choices}
    field = CatalogEntry._meta.get_field(name)
    return {str(k): str(v) for k, v in field.choices or []}


def status_counts(queryset) -> list[dict]:
    """The status facet: how many of the results are in each state, most first."""
    counts = queryset.order_by().values_list("status").annotate(n=Count("*")).values_list("status", "n")
    return sorted(({"value": value, "count": n} for value, n in counts), key=lambda b: (-b["count"], b["value"]))


def _query(params, **changes) -> str:
    """`params` (a QueryDict) with `changes` applied (None removes a key), without page and export."""
    query = params.copy()
    for key in ("page", "export"):
        query.pop(key, None)
    for key, value in changes.items():
        if value is None:
            query.pop(key, None)
        else:
            query[key] = value
    return query.urlencode()


class EntryListView(CrudView):
    """数据资源目录: search (q) and facets over the entries the user may see; the table, its pages,
    and the export of the filtered list. htmx replaces the results (facets, table, pages) in place."""

    crud = CatalogEntryViews
    TARGET = "object-table"

    def get(self, request):
        user = request.user
        base = selectors.visible_entries(user)  # 403 without the permission
        q = request.GET.get("q", "").strip()[:QUERY_MAX]
        filters = {name: request.GET[name].strip()[:QUERY_MAX] for name in FACET_NAMES
                   if request.GET.get(name, "").strip()}
        search_error = None
        try:
            qs, facets = selectors.search_entries(base, q=q, filters=filters)
            if "status" not in facets:
                facets = {**facets, "status": status_counts(qs)}
        except DgovError as exc:  # a filter value the search does not take (a malformed region code…)
            qs, facets, search_error = base.none(), {}, "; ".join(exc.sentences())
        sort = request.GET.get("sort") or ""
        qs = qs.select_related("department", "region", "classification").order_by(
            CatalogEntryTable.ordering_for(sort), "pk")

        export = request.GET.get("export")
        if export in ("xlsx", "csv"):
            audit.record("catalog.catalogentry.export", audit.Target("catalog.catalogentry"),
                         changes={"format": export, "q": q, "filters": filters})
            return export_response(CatalogEntryExportTable, qs.iterator(chunk_size=1000), fmt=export,
                                   filename="catalog")

        page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
        table = CatalogEntryTable(page.object_list, sort=sort, detail_url=CatalogEntryViews.detail_url)
        groups, active = self._facets(request.GET, facets, filters)
        ctx = self.context(
            table=table, page=page, query=_query(request.GET), q=q, filters=filters, facet_groups=groups,
            active_filters=active, search_error=search_error, sort=sort,
            export_query=_query(request.GET), clear_url="?" + urlencode({"q": q}) if q else "?",
            can_add=has_permission(user, CatalogEntry, "add"), can_import=has_permission(user, CatalogEntry, "add"),
        )
        if request.htmx and request.htmx.target == self.TARGET:
            response = render(request, "catalog/_entry_results.html", ctx)
        else:
            response = render(request, "catalog/entry_list.html", ctx)
        # One URL serves the page and its fragment: caches must keep them apart.
        patch_vary_headers(response, ("HX-Request", "HX-Target"))
        return response

    @staticmethod
    def _facets(params, facets: dict, filters: dict):
        groups, active = [], []
        for name, label in FACETS:
            buckets = [b for b in facets.get(name) or [] if b.get("value") not in (None, "")]
            chosen = filters.get(name)
            if not buckets and chosen is None:
                continue
            values = [str(b["value"]) for b in buckets]
            labels = {value: (f"{value} {b['name']}" if name == "classification" else str(b["name"]))
                      for b, value in zip(buckets, values, strict=True) if b.get("name")}
            missing = [v for v in values + ([chosen] if chosen else []) if v not in labels]
            if missing:
                labels.update({k: v for k, v in facet_labels(name, missing).items() if k not in labels})
            options = []
            for bucket, value in zip(buckets, values, strict=True):
                is_active = value == chosen
                options.append({"value": value, "label": labels.get(value, value), "count": bucket.get("count", 0),
                                "active": is_active, "query": _query(params, **{name: None if is_active else value})})
            if chosen is not None and chosen not in values:  # chosen, but nothing left to count
                options.insert(0, {"value": chosen, "label": labels.get(chosen, chosen), "count": 0, "active": True,
                                   "query": _query(params, **{name: None})})
            # The chosen value stays in sight even when it is not among the first few.
            options.sort(key=lambda o: not o["active"])
            groups.append({"name": name, "label": label, "shown": options[:FACETS_SHOWN],
                           "more": options[FACETS_SHOWN:], "active": chosen is not None})
            if chosen is not None:
                active.append({"label": label, "value": labels.get(chosen, chosen),
                               "query": _query(params, **{name: None})})
        return groups, active


# --- an entry's page --------------------------------------------------------------------------------

#: the life-cycle buttons: action → (label, button style, success message)
ACTIONS = {
    "submit": (gettext_lazy("Submit for review"), "btn-gov",
               gettext_lazy("The entry was submitted for review.")),
    "approve": (gettext_lazy("Approve"), "btn-gov", gettext_lazy("The entry was approved.")),
    "reject": (gettext_lazy("Send back"), "btn-outline-danger",
               gettext_lazy("The entry was sent back to its department as a draft.")),
    "publish": (gettext_lazy("Publish"), "btn-gov", gettext_lazy("The entry was published.")),
    "withdraw": (gettext_lazy("Withdraw"), "btn-outline-danger", gettext_lazy("The entry was withdrawn.")),
    "reopen": (gettext_lazy("Reopen for editing"), "btn-outline-primary",
               gettext_lazy("The entry is a draft again and can be edited.")),
}
REASON_MAX = 500
#: Bootstrap badge of each status (contrast ≥ 4.5:1)
STATUS_BADGES = {Status.DRAFT: "text-bg-secondary", Status.SUBMITTED: "text-bg-info",
                 Status.REVIEWED: "text-bg-warning", Status.PUBLISHED: "text-bg-success",
                 Status.WITHDRAWN: "text-bg-dark"}

#: the rows of an entry's page and of each version, in order (None: computed, see entry_rows)
DETAIL_FIELDS = ["code", "name", "catalog_type", "classification", "department", "region", "summary", "format",
                 "sharing_type", "sharing_conditions", "sharing_method", "open_type", "open_conditions",
                 "update_cycle", "published_on", "data_updated_on", "related_codes", "source_system",
                 "record_count", "status", "status_reason", "version"]


def _label(name: str) -> str:
    if name == "catalog_type":
        return _("Catalog type")
    label = str(CatalogEntry._meta.get_field(name).verbose_name)
    return label[:1].upper() + label[1:]


def entry_rows(values: dict) -> list[dict]:
    """The rows of an entry's page from its snapshot (`services.snapshot`, or a stored version's):
    (label, text, multiline), with codes turned into names and choices into their labels."""
    lookups = {"classification": Classification, "department": Department, "region": Region}
    objects = {name: model.objects.filter(pk=values.get(name)).first() if values.get(name) else None
               for name, model in lookups.items()}
    rows = []
    for name in DETAIL_FIELDS:
        value = values.get(name)
        if name == "catalog_type":
            text = catalog_type_label(values.get("code"))
        elif name in lookups:
            obj = objects[name]
            text = "" if obj is None else (f"{obj.name}（{obj.code}）" if name == "department" else
                                           str(obj) if name == "classification" else obj.name)
        elif name == "related_codes":
            text = "、".join(value or [])
        else:
            field = CatalogEntry._meta.get_field(name)
            choices = dict(field.choices or [])
            text = str(choices.get(value, value)) if value not in (None, "") else ""
        rows.append({"name": name, "label": _label(name), "text": text,
                     "multiline": name in ("summary", "sharing_conditions", "open_conditions"),
                     "badge": STATUS_BADGES.get(value, "text-bg-light border") if name == "status" else None})
    return rows


def item_rows(items: list[dict]) -> list[dict]:
    """Data items (as a snapshot holds them) with their choices' labels."""
    data_types = dict(DataItem.DataType.choices)
    personal = dict(DataItem._meta.get_field("personal_data").choices)
    sharing, opening = dict(SharingType.choices), dict(OpenType.choices)
    rows = []
    for n, item in enumerate(items, start=1):
        rows.append({
            "position": n, "name": item.get("name", ""),
            "data_type": data_types.get(item.get("data_type"), item.get("data_type") or ""),
            "length": item.get("length"), "data_element": item.get("data_element") or "",
            "personal_data": item.get("personal_data") or "none",
            "personal_data_label": personal.get(item.get("personal_data"), item.get("personal_data") or ""),
            "sharing_type": sharing.get(item.get("sharing_type"), "") if item.get("sharing_type") else "",
            "open_type": opening.get(item.get("open_type"), "") if item.get("open_type") else "",
            "description": item.get("description") or "",
        })
    return rows


class EntryDetailView(CrudView):
    """An entry: every field, its data items, its versions, and the life-cycle actions the user may
    take on it now. A refused action (the negative list, a missing reason…) is shown on the page."""

    crud = CatalogEntryViews
    template_name = "catalog/entry_detail.html"

    def get(self, request, key):
        return render(request, self.template_name, self.page_context(selectors.entry_detail(request.user, key)))

    def post(self, request, key):
        entry = selectors.entry_detail(request.user, key)
        action = request.POST.get("action", "")
        reason = request.POST.get("reason", "").strip()
        try:
            if action not in services.TRANSITIONS:
                raise ValidationError(details={"action": [_("Unknown action.")]})
            if len(reason) > REASON_MAX:
                raise ValidationError(details={"reason": [
                    _("Ensure the reason has at most %(max)d characters.") % {"max": REASON_MAX}]})
            # The entry within the scope of the action itself: 403 without it, 404 outside it.
            entry = selectors.entry_for(request.user, services.TRANSITIONS[action][2], key)
            entry = services.transition(actor=request.user, entry=entry, action=action, reason=reason)
        except (PermissionDenied, NotFound):
            raise
        except DgovError as exc:
            audit_refused_write(request, exc)
            entry = selectors.entry_detail(request.user, key)
            ctx = self.page_context(entry, action_errors=exc.sentences(), failed_action=action,
                                    reason=reason, reason_error="reason" in (exc.details or {}))
            return render(request, self.template_name, ctx, status=422)
        messages.success(request, str(ACTIONS[action][2]))
        return redirect(CatalogEntryViews.detail_url(entry))

    def page_context(self, entry: CatalogEntry, **extra) -> dict:
        user = self.request.user
        snapshot = services.snapshot(entry)
        actions = []
        for action, (label, style, _done) in ACTIONS.items():
            allowed_from, _target, permission, needs_reason = services.TRANSITIONS[action]
            if entry.status in allowed_from and resolver().allows(user, permission, entry):
                actions.append({"action": action, "label": label, "style": style, "needs_reason": needs_reason})
        history = selectors.can_see_history(user, entry)
        versions = [{"version": v, "action": VERSION_ACTIONS.get(v.action, v.action)}
                    for v in EntryVersion.objects.filter(entry=entry).select_related("actor").order_by("-version")
                    ] if history else []
        return self.context(
            object=entry, rows=entry_rows(snapshot), items=item_rows(snapshot["items"]), versions=versions,
            show_history=history,
            actions=actions, status_badge=STATUS_BADGES.get(entry.status, ""),
            can_change=entry.status in services.EDITABLE and bool(resolver().allows(user, "change", entry)),
            provincial=provincial_context(user, entry), **extra)


class EntryVersionView(CrudView):
    """One stored version of an entry: its fields and data items as they were."""

    crud = CatalogEntryViews

    def get(self, request, key, version):
        entry = selectors.entry_detail(request.user, key)
        stored = selectors.entry_versions(request.user, key).filter(version=version).first()
        if stored is None:
            raise NotFound()
        snapshot = stored.snapshot or {}
        return render(request, "catalog/entry_version.html", self.context(
            object=entry, stored=stored, action=VERSION_ACTIONS.get(stored.action, stored.action),
            rows=entry_rows(snapshot) + ([{"name": "provincial_code", "label": _("Provincial resource code"),
                                           "text": snapshot["provincial_code"], "multiline": False, "badge": None}]
                                         if snapshot.get("provincial_code") else []),
            items=item_rows(snapshot.get("items") or []),
            is_current=stored.version == entry.version))


# --- the entry form ---------------------------------------------------------------------------------

_ITEM_ERROR = re.compile(r"items\[(\d+)\]\.(\w+)")


def apply_entry_error(form, formset, exc: DgovError) -> None:
    """Put a service error on the form: entry fields on their fields, `items[i].<field>` on the
    i-th data item kept, `items` above the data items, anything else at the top."""
    details = exc.details if isinstance(exc.details, dict) else {}
    if not details:
        apply_error(form, exc)
        return
    kept = formset.kept_forms()
    for key, messages_ in details.items():
        texts = [str(m) for m in (messages_ if isinstance(messages_, (list, tuple)) else [messages_])]
        match = _ITEM_ERROR.fullmatch(key)
        if match and int(match[1]) < len(kept):
            row = kept[int(match[1])]
            for text in texts:
                row.add_error(match[2] if match[2] in row.fields else None, text)
        elif key == "items" or key.startswith("items["):
            formset.non_form_errors().extend(texts)
        else:
            for text in texts:
                form.add_error(key if key in form.fields else None, text)


def _initial_items(entry: CatalogEntry) -> list[dict]:
    if entry.pk is None:
        return [{}]
    return [{name: getattr(item, name) for name in ("name", "data_type", "length", "data_element", "personal_data",
                                                     "sharing_type", "open_type", "description")}
            for item in entry.items.order_by("position")] or [{}]


class EntryEditView(CrudView):
    """Create an entry, or edit a draft, with its data items. "Add a data item" shows the form again
    with one more row (htmx swaps only the rows); saving goes through `services.entry_save`, whose
    errors (codes, the negative list, missing conditions) come back on the form, nothing written."""

    crud = CatalogEntryViews
    template_name = "catalog/entry_form.html"
    ITEMS_TARGET = "data-items"

    def _instance(self, key):
        if key is None:
            if not has_permission(self.request.user, CatalogEntry, "add"):
                raise PermissionDenied()
            return CatalogEntry()
        return selectors.entry_for(self.request.user, "change", key)

    def _not_editable(self, entry):
        if entry.pk is not None and entry.status not in services.EDITABLE:
            messages.error(self.request, _("Only a draft can be edited; this entry is “%(status)s”.")
                           % {"status": entry.get_status_display()})
            return redirect(CatalogEntryViews.detail_url(entry))
        return None

    def _render(self, entry, form, formset, *, status=200, heading=None):
        ctx = self.context(form=form, formset=formset, object=entry if entry.pk else None,
                           heading=heading or (str(entry) if entry.pk else None),
                           cancel_url=CatalogEntryViews.detail_url(entry) if entry.pk else reverse(
                               CatalogEntryViews.name("list")))
        response = render(request=self.request, template_name=self.template_name, context=ctx, status=status)
        patch_vary_headers(response, ("HX-Request", "HX-Target"))
        return response

    def get(self, request, key=None):
        entry = self._instance(key)
        refused = self._not_editable(entry)
        if refused:
            return refused
        form = CatalogEntryForm(instance=entry, user=request.user)
        formset = DataItemFormSet(initial=_initial_items(entry), prefix=ITEMS_PREFIX)
        return self._render(entry, form, formset)

    def post(self, request, key=None):
        entry = self._instance(key)
        refused = self._not_editable(entry)
        if refused:
            return refused
        heading = str(entry) if entry.pk else None
        if "add_item" in request.POST:
            # One more row; nothing is checked or saved yet.
            initial = {name: (request.POST.get(name) or None) for name in CatalogEntryForm.base_fields}
            form = CatalogEntryForm(instance=entry, user=request.user,
                                    initial={k: v for k, v in initial.items() if v is not None})
            formset = DataItemFormSet(initial=[*item_rows_from_post(request.POST), {}], prefix=ITEMS_PREFIX)
            formset.forms[-1].fields["name"].widget.attrs["autofocus"] = True  # the new row
            return self._render(entry, form, formset, heading=heading)
        form = CatalogEntryForm(request.POST, instance=entry, user=request.user)
        formset = DataItemFormSet(request.POST, prefix=ITEMS_PREFIX)
        form_ok, items_ok = form.is_valid(), formset.is_valid()
        if form_ok and items_ok:
            instance = form.save(commit=False)
            try:
                instance = services.entry_save(actor=request.user, entry=instance, items=formset.items(),
                                               reason=form.cleaned_data.get("reason", ""))
            except DgovError as exc:
                audit_refused_write(request, exc)
                apply_entry_error(form, formset, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect(CatalogEntryViews.detail_url(instance))
        return self._render(entry, form, formset, status=422, heading=heading)


# --- import -----------------------------------------------------------------------------------------

class ImportAllowed:
    """An import page: officials without the permission to add the crud's model get 403 (audited
    when they post), before anything is read."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and getattr(request.user, "is_official", False) \
                and not has_permission(request.user, self.crud.model, "add"):
            self._audit_refusal(request, "permission_denied")
            raise DjangoPermissionDenied
        return super().dispatch(request, *args, **kwargs)


class EntryImportView(ImportAllowed, CrudView):
    """Upload a catalog spreadsheet (.xlsx or .csv): a dry run checks every row and writes nothing;
    without it, all rows are imported or none. Errors are listed by row and column."""

    crud = CatalogEntryViews
    template_name = "catalog/entry_import.html"

    def get(self, request):
        if request.GET.get("template"):
            return template_download()
        return render(request, self.template_name, self.context(form=ImportForm()))

    def post(self, request):
        form = ImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return render(request, self.template_name, self.context(form=form), status=422)
        upload, dry_run = form.cleaned_data["file"], form.cleaned_data["dry_run"]
        try:
            result = importer.import_catalog(actor=request.user, file=upload, filename=upload.name, dry_run=dry_run)
        except (PermissionDenied, NotFound):
            raise
        except DgovError as exc:
            audit_refused_write(request, exc)
            form.add_error("file", "; ".join(exc.sentences()))
            return render(request, self.template_name, self.context(form=form), status=422)
        ok = bool(result.get("ok"))
        if ok and not dry_run:
            messages.success(request, _("Imported: %(n)d entries created.") % {"n": result.get("created", 0)})
            return redirect(CatalogEntryViews.name("list"))
        # A dry run, or a refused file: the form again, checked "dry run" unless it has passed.
        return render(request, self.template_name, self.context(
            form=ImportForm(initial={"dry_run": not ok}), result=result, dry_run=dry_run, filename=upload.name,
            errors=result.get("errors") or []), status=200 if ok else 422)


def template_download() -> HttpResponseBase:
    return xlsx_response(importer.template_xlsx(), "catalog-template.xlsx")


# --- the negative list and the classifications ------------------------------------------------------

def _save_negative_item(*, actor, instance):
    return services.negative_item_save(actor=actor, item=instance)


class NegativeListItemViews(CrudViews):
    """数据负面清单: reviewers add, change and delete; everyone with the catalog sees it."""

    nav_section = "data"

    model = NegativeListItem
    table = NegativeListItemTable
    filterset = NegativeListItemFilterSet
    form = NegativeListItemForm
    save = staticmethod(_save_negative_item)
    views = {
        "list": ObjectListView,
        "detail": ObjectDetailView,
        "add": ObjectEditView,
        "edit": ObjectEditView,
        "delete": ObjectDeleteView,
    }


class ClassificationViews(CrudViews):
    """目录分类 (类/项/目/细目): reference data, read here."""

    nav_section = "data"

    model = Classification
    table = ClassificationTable
    filterset = ClassificationFilterSet
    lookup = "code"
    queryset = staticmethod(lambda: Classification.objects.select_related("parent"))
    views = {
        "list": ObjectListView,
        "detail": ObjectDetailView,
    }


# --- the provincial catalog and the alignment ------------------------------------------------------

class ProvincialListView(ObjectListView):
    """省级目录: the provincial catalog as last imported (the big-data centre imports it)."""

    def context(self, **extra):
        return {**super().context(**extra), "can_import": has_permission(self.request.user, ProvincialEntry, "add")}


class ProvincialEntryViews(CrudViews):
    """The provincial catalog: reference data, read here and replaced by imports."""

    nav_section = "data"

    model = ProvincialEntry
    table = ProvincialEntryTable
    filterset = ProvincialEntryFilterSet
    queryset = staticmethod(lambda: ProvincialEntry.objects.select_related("last_import"))
    views = {
        "list": ProvincialListView,
        "detail": ObjectDetailView,
    }


class ProvincialImportView(ImportAllowed, CrudView):
    """Upload the provincial catalog (.xlsx or .json): every row checked first, errors by row and
    column; nothing is written unless all pass; a dry run only checks."""

    crud = ProvincialEntryViews
    template_name = "catalog/provincial_import.html"

    def _render(self, form, status=200, **extra):
        return render(self.request, self.template_name, self.context(
            form=form, columns=provincial.COLUMNS, imports=ProvincialImport.objects.select_related("imported_by")[:5],
            **extra), status=status)

    def get(self, request):
        if request.GET.get("template"):
            return xlsx_response(provincial.template_xlsx(), "provincial-catalog-template.xlsx")
        return self._render(ProvincialImportForm())

    def post(self, request):
        form = ProvincialImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return self._render(form, status=422)
        upload, dry_run = form.cleaned_data["file"], form.cleaned_data["dry_run"]
        result = provincial.import_provincial(actor=request.user, file=upload, filename=upload.name, dry_run=dry_run)
        if result["ok"] and not dry_run:
            messages.success(request, _("Provincial catalog imported: %(c)d created, %(u)d updated, %(w)d withdrawn.")
                             % {"c": result["created"], "u": result["updated"], "w": result["withdrawn"]})
            return redirect(ProvincialEntryViews.name("list"))
        return self._render(ProvincialImportForm(initial={"dry_run": not result["ok"]}), result=result,
                            dry_run=dry_run, filename=upload.name, status=200 if result["ok"] else 422)


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return fallback


class AlignmentView(CrudView):
    """省级目录对接: per department how many entries are mapped to the provincial catalog; the entries
    with no provincial entry yet (published first), each with its best suggestions to accept in
    one click; how many provincial entries no city entry maps to. Exports the unmapped entries."""

    crud = ProvincialEntryViews
    template_name = "catalog/alignment.html"

    def get(self, request):
        user = request.user
        department = request.GET.get("department", "").strip()[:20]
        entries = alignment.unmapped_entries(user, department=department)  # 403 without, 404 outside the scope
        if request.GET.get("export") == "xlsx":
            rows = list(entries)
            found = alignment.suggestions(rows, limit=1)
            for entry in rows:
                entry.suggestions = found.get(entry.pk, [])
            audit.record("catalog.catalogentry.export", audit.Target("catalog.catalogentry"),
                         changes={"format": "xlsx", "report": "unmapped", "department": department})
            return export_response(UnmappedEntryTable, rows, fmt="xlsx", filename="catalog-unmapped")
        page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
        found = alignment.suggestions(page.object_list)
        summary = alignment.alignment_summary(user)
        totals = {key: sum(d[key] for d in summary) for key in ("total", "mapped", "unmapped")}
        return render(request, self.template_name, self.context(
            page=page, rows=[{"entry": e, "suggestions": found.get(e.pk, [])} for e in page.object_list],
            summary=summary, totals=totals, department=department,
            department_name=next((d["name"] for d in summary if d["code"] == department), department),
            query=urlencode({"department": department}) if department else "",
            unreferenced=alignment.unreferenced_provincial(user).count(),
            provincial_total=ProvincialEntry.objects.filter(withdrawn=False).count(),
            here=request.get_full_path(), can_import=has_permission(user, ProvincialEntry, "add")))


class EntryMappingView(CrudView):
    """Map one entry to the provincial catalog: its suggestions, a search of the provincial
    catalog, and the current mapping to remove. Posts come from here, the entry's page and the
    alignment worklist (which `next` returns to)."""

    crud = CatalogEntryViews
    template_name = "catalog/entry_mapping.html"

    def get(self, request, key):
        entry = alignment.entry_for_mapping(request.user, key)
        q = request.GET.get("q", "").strip()[:QUERY_MAX]
        results = list(alignment.provincial_entries(request.user, q=q)[:PAGE_SIZE]) if q else []
        return render(request, self.template_name, self.context(
            object=entry, mapping=_mapping_of(entry), q=q, results=results,
            suggestions=alignment.suggestions([entry], limit=5).get(entry.pk, []), here=request.get_full_path()))

    def post(self, request, key):
        entry = alignment.entry_for_mapping(request.user, key)
        code = request.POST.get("provincial_code", "").strip()[:40]
        method = request.POST.get("method") or MappingMethod.MANUAL
        try:
            services.map_to_provincial(actor=request.user, entry=entry, provincial_code=code, method=method)
        except (PermissionDenied, NotFound):
            raise
        except DgovError as exc:
            audit_refused_write(request, exc)
            messages.error(request, "; ".join(exc.sentences()))
        else:
            messages.success(request, _("%(entry)s is mapped to the provincial entry %(code)s.")
                             % {"entry": entry.code, "code": code} if code else
                             _("The mapping of %(entry)s was removed.") % {"entry": entry.code})
        return redirect(_safe_next(request, CatalogEntryViews.detail_url(entry)))


def _mapping_of(entry: CatalogEntry) -> ProvincialMapping | None:
    return ProvincialMapping.objects.filter(entry=entry).select_related("provincial", "mapped_by").first()


def provincial_context(user, entry: CatalogEntry) -> dict:
    """The entry page's card on the provincial catalog: the mapping and, for those who may map the
    entry and while it has none, the best suggestions."""
    mapping = _mapping_of(entry)
    may_map = alignment.can_map(user, entry)
    found = alignment.suggestions([entry]).get(entry.pk, []) if may_map and mapping is None else []
    return {"mapping": mapping, "can_map": may_map, "suggestions": found}


# --- statistics -----------------------------------------------------------------------------------

#: the drill-downs of the statistics page: name → (title, condition)
DRILLDOWNS = {
    "stale": (gettext_lazy("Entries whose data is older than their update cycle"), statistics.stale_q),
    "personal": (gettext_lazy("Entries holding personal data"), lambda: statistics.personal_q()),
    "sensitive": (gettext_lazy("Entries holding sensitive personal data"),
                  lambda: statistics.personal_q(PersonalDataClass.SENSITIVE)),
}


class StatisticsView(CrudView):
    """数据资源统计: charts (inline SVG, each with its figures in a table) of the entries the reader
    may see: per department, the shares of the sharing and open types, personal data, data older
    than its update cycle, the life cycle; filtered by region, department and status; exported to
    .xlsx."""

    crud = CatalogEntryViews
    template_name = "catalog/statistics.html"

    def get(self, request):
        user = request.user
        visible = selectors.visible_entries(user)  # 403 without the permission
        form = StatisticsFilterForm(
            request.GET or None,
            regions=Region.objects.filter(pk__in=visible.order_by().values("region_id")).order_by("code"),
            departments=Department.objects.filter(pk__in=visible.order_by().values("department_id")).order_by("code"))
        filters = {k: v for k, v in form.cleaned_data.items() if v} if form.is_valid() else {}
        figures = statistics.statistics(user, filters)
        applied = [(str(form.fields[name].label), dict(form.fields[name].choices).get(value, value))
                   for name, value in filters.items()]
        if request.GET.get("export") == "xlsx":
            audit.record("catalog.catalogentry.export", audit.Target("catalog.catalogentry"),
                         changes={"format": "xlsx", "report": "statistics", "filters": filters})
            stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
            return xlsx_response(statistics.workbook(figures, applied), f"catalog-statistics-{stamp}.xlsx")
        total = figures["total"]
        personal = figures["personal_data"]
        stale = figures["stale"]
        query = urlencode(filters)
        return render(request, self.template_name, self.context(
            form=form, figures=figures, query=query, applied=applied,
            departments=_bars(figures["by_department"]), statuses=_bars(figures["by_status"]),
            sharing=_donut(figures["by_sharing_type"]), opening=_donut(figures["by_open_type"]),
            personal_stack=_stack([(_("Sensitive personal data"), personal["sensitive"], 1),
                                   (_("Personal data only"), personal["count"] - personal["sensitive"], 2),
                                   (_("No personal data"), total - personal["count"], 3)], total),
            stale_stack=_stack([(_("Older than the update cycle"), stale["count"], 1),
                                (_("Within the update cycle"), total - stale["count"] - stale["undated"], 3),
                                (_("No date of the last update"), stale["undated"], 2)], total)))


class StatisticsEntriesView(CrudView):
    """A drill-down of the statistics page: the entries behind one figure (data older than its
    cycle, personal data, sensitive personal data), with the page's filters; exported to .xlsx."""

    crud = CatalogEntryViews

    def get(self, request):
        which = request.GET.get("which", "")
        if which not in DRILLDOWNS:
            raise NotFound()
        title, condition = DRILLDOWNS[which]
        filters = {k: request.GET.get(k, "")[:QUERY_MAX] for k in statistics.STATISTICS_FILTERS}
        try:
            entries = statistics.statistics_entries(request.user, filters).filter(condition())
        except ValidationError as exc:
            messages.error(request, "; ".join(exc.sentences()))
            entries = selectors.visible_entries(request.user).none()
        sort = request.GET.get("sort") or ""
        entries = entries.select_related("department", "region", "classification").order_by(
            CatalogEntryTable.ordering_for(sort), "pk")
        if request.GET.get("export") == "xlsx":
            audit.record("catalog.catalogentry.export", audit.Target("catalog.catalogentry"),
                         changes={"format": "xlsx", "report": which, "filters": filters})
            return export_response(CatalogEntryExportTable, entries.iterator(chunk_size=1000), fmt="xlsx",
                                   filename=f"catalog-{which}")
        page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
        query = _query(request.GET)
        table = CatalogEntryTable(page.object_list, sort=sort, detail_url=CatalogEntryViews.detail_url)
        ctx = self.context(table=table, page=page, query=query, verbose_name_plural=title, list_url=request.path,
                           can_add=False, can_import=False, statistics_url=reverse("catalog:statistics"))
        template = "core/_object_table.html" if request.htmx and request.htmx.target == "object-table" \
            else "catalog/statistics_entries.html"
        response = render(request, template, ctx)
        patch_vary_headers(response, ("HX-Request", "HX-Target"))
        return response
