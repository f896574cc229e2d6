"""Generic views for every model, NetBox-style: a list (filters, sorting, pages, HTMX table
updates, .xlsx/.csv export), a detail page, create/edit, delete, and spreadsheet import.

A model's pages are a few declarative lines:

    class DepartmentViews(CrudViews):
        model = Department
        table = DepartmentTable
        filterset = DepartmentFilterSet
        form = DepartmentForm
        importer = DepartmentImporter
        save = staticmethod(services.department_save)  # save(actor=, instance=)
        lookup = "code"

    urlpatterns = DepartmentViews.urls("system/departments", app_name)

Every read starts from `restrict(user, action)`: a page the user holds no permission for answers
403, an object outside their scope 404.
"""

import functools
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views import View

from dgov.core import audit
from dgov.core.api import LoginRateThrottle
from dgov.core.errors import DgovError, NotFound, PermissionDenied
from dgov.core.filtersets import AuditEntryFilterSet
from dgov.core.forms import apply_error
from dgov.core.importexport import ImportFileError, export_response, template_response
from dgov.core.models import AuditEntry
from dgov.core.permissions import get_scoped, has_permission
from dgov.core.services import delete_object, save_object
from dgov.core.tables import AuditEntryTable

PAGE_SIZE = 25


def throttle_posts(view):
    """Limit a public form's submissions per client address, like the API's login endpoints
    (LoginRateThrottle, DGOV_LOGIN_RATE): sign-in, sign-up and password-reset requests."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method == "POST" and not LoginRateThrottle().allow_request(request):
            return render(request, "429.html", status=429)
        return view(request, *args, **kwargs)

    return wrapper


class OfficialRequiredMixin(LoginRequiredMixin):
    """Management pages are for officials; citizens and enterprises get 403."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not getattr(request.user, "is_official", False):
            self._audit_refusal(request, "not_official")
            raise DjangoPermissionDenied
        try:
            return super().dispatch(request, *args, **kwargs)
        except PermissionDenied as exc:
            self._audit_refusal(request, exc.code)
            raise DjangoPermissionDenied(str(exc.message)) from None
        except NotFound:
            self._audit_refusal(request, "not_found")
            raise Http404 from None

    @staticmethod
    def _audit_refusal(request, reason: str) -> None:
        """A refused write attempt is audited like a completed one (reads are not: they change nothing)."""
        if request.method in ("POST", "PUT", "PATCH", "DELETE") and request.user.is_authenticated:
            audit.record_failure(f"web:{request.method} {request.path}"[:80], outcome="denied", reason=reason,
                                 actor=request.user)


def audit_refused_write(request, exc: DgovError) -> None:
    """A write the service refused and the page reports (as a form error or a message), audited
    as the API does: out of scope or forbidden is "denied", anything else "failed"."""
    audit.record_failure(f"web:{request.method} {request.path}"[:80], reason=exc.code, actor=request.user,
                         outcome="denied" if exc.status in (403, 404) else "failed")


def attempt(request, write, *, form=None, let_through: tuple = ()) -> tuple[bool, object]:
    """Run a page's write, `write()`: `(True, its result)`, or `(False, None)` when the service refused it —
    the refusal audited (`audit_refused_write`) and shown on `form`, or as error messages without one. A
    permission error is not caught: it becomes the 403 page; nor are the errors in `let_through` (e.g.
    `NotFound`, to answer 404)."""
    try:
        return True, write()
    except (PermissionDenied, *let_through):
        raise
    except DgovError as exc:
        audit_refused_write(request, exc)
        if form is not None:
            apply_error(form, exc)
        else:
            for sentence in exc.sentences():
                messages.error(request, sentence)
        return False, None


# --- search pages: facets --------------------------------------------------------------------------
def normalise_options(value) -> list[dict]:
    """A facet's options, whatever shape the selector gives: {code: count}, [(code, count)],
    [(code, label, count)] or [{"code"/"value", "name"/"label", "count"}]."""
    out = []
    if isinstance(value, dict):
        value = list(value.items())
    for entry in value or []:
        if isinstance(entry, dict):
            code = entry.get("code", entry.get("value", entry.get("key")))
            out.append({"code": code, "label": entry.get("name") or entry.get("label"), "count": entry.get("count", 0)})
        elif isinstance(entry, (list, tuple)):
            if len(entry) >= 3:
                out.append({"code": entry[0], "label": entry[1], "count": entry[2]})
            elif len(entry) == 2:
                out.append({"code": entry[0], "label": None, "count": entry[1]})
    return [o for o in out if o["code"] not in (None, "") and o["count"]]


def facet_groups(facets: dict, chosen: dict, query, params: list[tuple[str, str]], titles: dict,
                 labels) -> list[dict]:
    """The facets as a search page shows them (`_facets.html`): for each `(name, param)` of `params` with
    options in `facets[name]`, most frequent first, each option a link that adds it to `query` (or, chosen in
    `chosen[param]`, removes it). `labels(name, codes)` → {code: display name}; `titles[name]` is the group's
    heading (a msgid)."""
    groups = []
    for name, param in params:
        options = normalise_options((facets or {}).get(name))
        if not options:
            continue
        names = labels(name, [str(o["code"]) for o in options])
        shown = []
        for option in sorted(options, key=lambda o: -o["count"]):
            code = str(option["code"])
            active = str(chosen.get(param) or "") == code
            q = query.copy()
            q.pop("page", None)
            if active:
                q.pop(param, None)
            else:
                q[param] = code
            shown.append({"code": code, "label": option["label"] or names.get(code, code), "count": option["count"],
                          "active": active, "query": q.urlencode()})
        groups.append({"name": name, "label": _(titles[name]), "shown": shown[:8], "more": shown[8:]})
    return groups


class CrudViews:
    """Declarations shared by a model's generic views; `urls(prefix)` builds their URL patterns
    named `<model>_list`, `<model>_detail`, `<model>_add`, `<model>_edit`, `<model>_delete`,
    `<model>_import` in the including app's namespace."""

    model = None
    table = None
    filterset = None
    form = None
    add_form = None  # a different form for creating (default: `form`)
    importer = None
    queryset = None  # callable returning the base queryset; default: model's manager
    save = staticmethod(save_object)  # save(actor=, instance=): the write service for one object
    delete = staticmethod(delete_object)
    lookup = "pk"
    export_action = "view"  # the action a user needs to export the list (beyond viewing it)
    detail_fields: list[str] | None = None  # detail page rows; default: the table's columns
    detail_template = "core/object_detail.html"
    list_template = "core/object_list.html"
    audited_read_fields: list[str] = []  # the detail page shows these sensitive fields: each view is audited
    delete_without_form = False
    views: dict = {}  # verb ("list", "detail", "add", "edit", "delete", "import") → a replacement view
    namespace = None  # URL namespace of the app (set by urls())
    nav_section = None  # the navigation section the pages belong to (highlighted in the bar): "data", …

    @classmethod
    def deletable(cls) -> bool:
        """Whether the delete page exists: by default when there is a form, or where a subclass sets
        `delete_without_form = True` (records that are withdrawn rather than edited)."""
        return cls.form is not None or cls.delete_without_form

    @classmethod
    def save_form(cls, *, actor, form):
        """Write a valid form through the service. Many-to-many values go along when the service
        is the generic one; a model with its own service overrides this."""
        instance = form.save(commit=False)
        if cls.save is save_object:
            m2m = {f.name: form.cleaned_data[f.name] for f in instance._meta.many_to_many
                   if f.name in form.cleaned_data}
            return save_object(actor=actor, instance=instance, m2m=m2m)
        return cls.save(actor=actor, instance=instance)

    @classmethod
    def name(cls, verb: str) -> str:
        return f"{cls.namespace}:{cls.model._meta.model_name}_{verb}"

    @classmethod
    def base_queryset(cls):
        return cls.queryset() if cls.queryset else cls.model._default_manager.all()

    @classmethod
    def detail_url(cls, obj) -> str:
        return reverse(cls.name("detail"), kwargs={"key": getattr(obj, cls.lookup)})

    @classmethod
    def urls(cls, prefix: str, namespace: str) -> list:
        cls.namespace = namespace
        label = cls.model._meta.model_name
        conv = "int" if cls.lookup == "pk" else "str"

        def view(verb, default):
            return cls.views.get(verb, default).as_view(crud=cls)

        patterns = [
            path(f"{prefix}/", view("list", ObjectListView), name=f"{label}_list"),
            path(f"{prefix}/<{conv}:key>/", view("detail", ObjectDetailView), name=f"{label}_detail"),
        ]
        if cls.form is not None:
            patterns += [
                path(f"{prefix}/add/", view("add", ObjectEditView), name=f"{label}_add"),
                path(f"{prefix}/<{conv}:key>/edit/", view("edit", ObjectEditView), name=f"{label}_edit"),
            ]
        if cls.deletable():
            patterns.append(
                path(f"{prefix}/<{conv}:key>/delete/", view("delete", ObjectDeleteView), name=f"{label}_delete"))
        if cls.importer is not None:
            patterns.append(path(f"{prefix}/import/", view("import", ObjectImportView), name=f"{label}_import"))
        # "add/" and "import/" must win over "<str:key>/".
        patterns.sort(key=lambda p: "<" in str(p.pattern))
        return patterns


class CrudView(OfficialRequiredMixin, View):
    crud: type[CrudViews] = None

    def context(self, **extra):
        model = self.crud.model
        user = self.request.user
        return {
            "crud": self.crud,
            "nav_active": self.crud.nav_section,
            "verbose_name": model._meta.verbose_name,
            "verbose_name_plural": model._meta.verbose_name_plural,
            "list_url": reverse(self.crud.name("list")),
            "can_add": self.crud.form is not None and has_permission(user, model, "add"),
            "can_import": self.crud.importer is not None and has_permission(user, model, "add"),
            **extra,
        }

    def get_object(self, action: str, key):
        return get_scoped(self.request.user, action, self.crud.base_queryset(), **{self.crud.lookup: key})


class ObjectListView(CrudView):
    def get(self, request):
        crud = self.crud
        if not has_permission(request.user, crud.model, "view"):
            raise PermissionDenied()
        qs = crud.base_queryset().restrict(request.user, "view")
        filterset = crud.filterset(request.GET, queryset=qs, request=request) if crud.filterset else None
        if filterset is not None:
            qs = filterset.qs if filterset.is_valid() else qs.none()
        sort = request.GET.get("sort") or ""
        qs = qs.order_by(crud.table.ordering_for(sort), "pk")
        export = request.GET.get("export")
        if export in ("xlsx", "csv"):
            if crud.export_action != "view" and not has_permission(request.user, crud.model, crud.export_action):
                raise PermissionDenied()
            audit.record(f"{crud.model._meta.label_lower}.export", audit.Target(crud.model._meta.label_lower),
                         changes={"format": export, "filters": {k: v for k, v in request.GET.items()
                                                                if k not in ("export", "page")}})
            return export_response(crud.table, qs.iterator(chunk_size=1000), fmt=export,
                                   filename=crud.model._meta.model_name)
        page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
        table = crud.table(page.object_list, sort=sort, detail_url=crud.detail_url)
        query = request.GET.copy()
        query.pop("page", None)
        ctx = self.context(table=table, page=page, filterset=filterset, query=query.urlencode())
        if request.htmx and request.htmx.target == "object-table":
            response = render(request, "core/_object_table.html", ctx)
        else:
            response = render(request, crud.list_template, ctx)
        # One URL serves the page and its fragment: caches must keep them apart.
        patch_vary_headers(response, ("HX-Request", "HX-Target"))
        return response


class ObjectDetailView(CrudView):
    def get(self, request, key):
        obj = self.get_object("view", key)
        crud = self.crud
        if crud.audited_read_fields:
            audit.record_read(obj, crud.audited_read_fields)
        rows = []
        columns = crud.table.columns if crud.detail_fields is None else [
            c for c in crud.table.columns if c.accessor in crud.detail_fields]
        for column in columns:
            rows.append((column.header, column.text(obj)))
        user = request.user
        ctx = self.context(object=obj, rows=rows,
                           can_change=crud.form is not None and has_permission(user, crud.model, "change"),
                           can_delete=crud.deletable() and has_permission(user, crud.model, "delete"))
        return render(request, crud.detail_template, ctx)


class ObjectEditView(CrudView):
    template_name = "core/object_edit.html"

    def _instance(self, key):
        if key is None:
            if not has_permission(self.request.user, self.crud.model, "add"):
                raise PermissionDenied()
            return self.crud.model()
        return self.get_object("change", key)

    def form_class(self, key):
        return self.crud.form if key is not None else (self.crud.add_form or self.crud.form)

    def get(self, request, key=None):
        instance = self._instance(key)
        return render(request, self.template_name, self.context(form=self.form_class(key)(instance=instance),
                                                                object=instance if key else None))

    def post(self, request, key=None):
        instance = self._instance(key)
        form = self.form_class(key)(request.POST, instance=instance)
        if form.is_valid():
            try:
                obj = self.crud.save_form(actor=request.user, form=form)
            except DgovError as exc:
                audit_refused_write(request, exc)
                apply_error(form, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect(self.crud.detail_url(obj))
        return render(request, self.template_name, self.context(form=form, object=instance if key else None),
                      status=422)


class UserFormEditView(ObjectEditView):
    """The generic add and edit pages with a form that takes the user (to offer only what lies in
    their scope: departments, applications…)."""

    def form_class(self, key):
        return functools.partial(super().form_class(key), user=self.request.user)


class ObjectDeleteView(CrudView):
    template_name = "core/object_delete.html"

    def get(self, request, key):
        return render(request, self.template_name, self.context(object=self.get_object("delete", key)))

    def post(self, request, key):
        obj = self.get_object("delete", key)
        try:
            self.crud.delete(actor=request.user, instance=obj)
        except DgovError as exc:
            audit_refused_write(request, exc)
            messages.error(request, str(exc.message))
            return redirect(self.crud.detail_url(obj))
        messages.success(request, _("Deleted."))
        return redirect(self.crud.name("list"))


IMPORT_KEEP_SECONDS = 3600


def _import_dir() -> Path:
    """Where checked uploads wait for their confirmation; ones older than an hour are removed."""
    folder = settings.DATA_DIR / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    cutoff = time.time() - IMPORT_KEEP_SECONDS
    for stale in folder.iterdir():
        if stale.is_file() and stale.stat().st_mtime < cutoff:
            stale.unlink(missing_ok=True)
    return folder


class ObjectImportView(CrudView):
    """Upload → dry run over every row → errors by row and column, or a confirmation step that
    imports the same file (kept server-side, tied to the session) for real."""

    template_name = "core/object_import.html"
    SESSION_KEY = "dgov_import"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not has_permission(request.user, self.crud.model, "add"):
            raise DjangoPermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        if request.GET.get("template"):
            return template_response(self.crud.importer, filename=self.crud.model._meta.model_name)
        return render(request, self.template_name, self.context(headers=self.crud.importer(None).template_headers()))

    def post(self, request):
        importer = self.crud.importer(request.user)
        headers = importer.template_headers()
        if "confirm" in request.POST:
            pending = request.session.get(self.SESSION_KEY) or {}
            if pending.get("token") != request.POST.get("confirm"):
                messages.error(request, _("The upload has expired; please upload the file again."))
                return redirect(self.crud.name("import"))
            stored = _import_dir() / pending["token"]
            try:
                data = stored.read_bytes()
            except FileNotFoundError:
                messages.error(request, _("The upload has expired; please upload the file again."))
                return redirect(self.crud.name("import"))
            result = importer.run(pending["name"], data, dry_run=False)
            stored.unlink(missing_ok=True)
            request.session.pop(self.SESSION_KEY, None)
            if result.committed:
                messages.success(request, _("Imported: %(c)d created, %(u)d updated.") % {
                    "c": result.created, "u": result.updated})
                return redirect(self.crud.name("list"))
            return render(request, self.template_name, self.context(result=result, headers=headers), status=422)
        upload = request.FILES.get("file")
        if upload is None:
            return render(request, self.template_name, self.context(
                headers=headers, file_error=_("Choose a file to upload.")), status=422)
        data = upload.read()
        try:
            result = importer.run(upload.name, data, dry_run=True)
        except ImportFileError as exc:
            return render(request, self.template_name, self.context(headers=headers, file_error=exc.message),
                          status=422)
        token = None
        if result.ok:
            token = uuid.uuid4().hex
            (_import_dir() / token).write_bytes(data)
            request.session[self.SESSION_KEY] = {"token": token, "name": upload.name}
        return render(request, self.template_name, self.context(result=result, token=token, headers=headers,
                                                                filename=upload.name),
                      status=200 if result.ok else 422)



# --- core's own pages: the audit log, for auditors -------------------------------------------

class AuditEntryViews(CrudViews):
    model = AuditEntry
    table = AuditEntryTable
    filterset = AuditEntryFilterSet
    export_action = "export"
    list_template = "core/auditentry_list.html"
    detail_template = "core/auditentry_detail.html"


class AuditVerifyView(CrudView):
    """Recompute the whole chain on demand (the same check as `dgov audit verify`)."""

    crud = AuditEntryViews

    def post(self, request):
        if not has_permission(request.user, AuditEntry, "view"):
            raise PermissionDenied()
        result = audit.verify()
        audit.record("audit.verify", audit.Target("core.auditentry"), changes={
            "ok": result.ok, "checked": result.checked, "broken_seq": result.broken_seq})
        if result.ok:
            messages.success(request, _("The audit chain is intact: %(n)d entries checked.") % {"n": result.checked})
        else:
            messages.error(request, _("The audit chain is broken at entry #%(seq)s: %(reason)s") % {
                "seq": result.broken_seq, "reason": result.reason})
        return redirect(AuditEntryViews.name("list"))
