"""The open-data portal's public pages (no login): home, search with facets, a dataset's page (metadata, data
items, preview, chart, history, downloads, API usage), topics and organisations."""

from django.core.paginator import Paginator
from django.db.models import F
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_noop

from dgov.catalog.models import OpenType, ResourceFormat, UpdateCycle
from dgov.core import charts
from dgov.core.errors import NotFound
from dgov.core.permissions import has_permission
from dgov.core.views import facet_groups
from dgov.opendata import applications, ckan, forms, links, selectors, services
from dgov.opendata.forms import RatingForm
from dgov.opendata.models import OpenDataset, Topic
from dgov.orgs.models import Department

PAGE_SIZE = 20
PREVIEW_ROWS = 10
FACET_PARAMS = [(name, name) for name in selectors.FACETS]
FACET_TITLES = {"topic": gettext_noop("Topic"), "department": gettext_noop("Department"),
                "format": gettext_noop("Format"), "open_type": gettext_noop("Open type"),
                "update_cycle": gettext_noop("Update cycle")}
CHOICES = {"format": ResourceFormat, "open_type": OpenType, "update_cycle": UpdateCycle}


def _labels(name: str, codes: list[str]) -> dict:
    if name == "topic":
        return dict(Topic.objects.filter(code__in=codes).values_list("code", "name"))
    if name == "department":
        return dict(Department.objects.filter(code__in=codes).values_list("code", "name"))
    choices = CHOICES[name]
    return {c: str(choices(c).label) for c in codes if c in choices.values}


def home(request):
    """开放数据: search, topics, the newest datasets and the portal's figures."""
    latest = selectors.published().order_by("-published_at", "pk")[:6]
    topics = [t for t in selectors.topics() if t.count]
    return render(request, "opendata/home.html", {
        "nav_active": "portal", "latest": latest, "topics": topics, "figures": selectors.counts()})


def search(request, *, preset: dict | None = None, template: str = "opendata/search.html", extra: dict | None = None):
    """数据目录: every published dataset, by words and facets."""
    params = request.GET.copy()
    for name, value in (preset or {}).items():
        params.setdefault(name, value)
    bound = any(params.get(p) for p in ("q", "sort", *selectors.FACETS))
    form = forms.SearchForm(params if bound else None)
    chosen, status = {}, 200
    if bound and form.is_valid():
        chosen = {k: v for k, v in form.cleaned_data.items() if v}
    elif bound:
        status = 422
    filters = {name: [chosen[name]] for name in selectors.FACETS if chosen.get(name)}
    qs, facets = selectors.search(q=chosen.get("q", ""), filters=filters, sort=chosen.get("sort", "modified"))
    page = Paginator(qs.prefetch_related("topics"), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    groups = facet_groups(facets, chosen, query, FACET_PARAMS, FACET_TITLES, _labels)
    active = [{"label": g["label"], "value": o["label"], "query": o["query"]}
              for g in groups for o in g["shown"] + g["more"] if o["active"] and g["name"] not in (preset or {})]
    return render(request, template, {
        "nav_active": "portal", "form": form, "q": chosen.get("q", ""), "page": page, "query": query.urlencode(),
        "facet_groups": groups, "active_filters": active, "sort": chosen.get("sort", "modified"),
        **(extra or {})}, status=status)


def dataset(request, name: str):
    """A dataset's page: what it is, its items, the first rows, a chart, its history, downloads and the API."""
    try:
        item = selectors.published_dataset(name[:100])
    except NotFound:
        raise Http404 from None
    OpenDataset.objects.filter(pk=item.pk).update(view_count=F("view_count") + 1)
    entry = item.entry
    columns = services.opened_columns(entry)
    open_to_all = entry.open_type == OpenType.UNCONDITIONAL
    granted = None if open_to_all else applications.active_application(request.user, item)
    readable = open_to_all or granted is not None
    preview = services.public_rows(entry, columns=columns, limit=PREVIEW_ROWS) if readable else []
    chart = selectors.chart_for(entry, columns) if readable else None
    if chart:
        chart["rows"] = charts.bars(chart["rows"])
    items = {i.name: i for i in services.opened_items(entry)}
    return render(request, "opendata/dataset.html", {
        "nav_active": "portal", "dataset": item, "entry": entry, "columns": columns,
        "items": [(c, items.get(c.item_name)) for c in columns], "preview": preview, "chart": chart,
        "open_to_all": open_to_all, "readable": readable, "granted": granted, "rows": selectors.row_count(entry),
        "history": selectors.data_history(entry),
        "events": item.events.filter(action__in=("publish", "withdraw")).order_by("-at")[:10],
        "ratings": selectors.ratings(item), "rating_form": RatingForm() if request.user.is_authenticated else None,
        "may_moderate": request.user.is_authenticated and has_permission(request.user, OpenDataset, "review"),
        "downloads": [(fmt, reverse("opendata_api:download", args=[item.name, fmt])) for fmt in links.DOWNLOAD_FORMATS],
        "api": {"package_show": links.ckan_action("package_show") + f"?id={item.name}",
                "datastore_search": links.ckan_action("datastore_search"), "resource": ckan.resource_id(item, "csv"),
                "base": links.absolute(""), "catalog": links.absolute(f"/dataset/{item.name}.ttl")}})


def topics(request):
    """主题: the topics with how many datasets each holds."""
    return render(request, "opendata/topics.html", {"nav_active": "portal",
                                                     "topics": selectors.topics()})


def topic(request, code: str):
    found = Topic.objects.filter(code=code[:40]).first()
    if found is None:
        raise Http404
    return search(request, preset={"topic": found.code}, template="opendata/topic.html", extra={"topic": found})


def organisations(request):
    """开放单位: the departments that open data, with their dataset counts."""
    return render(request, "opendata/organisations.html", {"nav_active": "portal",
                                                            "organisations": selectors.organisations()})


def organisation(request, code: str):
    found = Department.objects.filter(code=code[:20]).first()
    if found is None or not selectors.published().filter(entry__department=found).exists():
        raise Http404
    return search(request, preset={"department": found.code}, template="opendata/organisation.html",
                  extra={"organisation": found})


def statistics(request):
    """开放统计: datasets and records opened per department, downloads, API calls and requests answered."""
    figures = selectors.statistics()
    chart = charts.bars([{"name": r["name"], "count": r["datasets"]} for r in figures["departments"][:15]])
    return render(request, "opendata/statistics.html", {"nav_active": "portal", **figures, "chart": chart})
