"""DCAT-AP 3 metadata of the open datasets (`/catalog.ttl|jsonld|rdf`, `/dataset/<name or uuid>.ttl|jsonld|rdf`).

The catalog is the portal (`dcat:Catalog`, published by the city's big-data centre); each published open dataset is
a `dcat:Dataset` with one `dcat:Distribution` per download format and the CKAN-compatible datastore API as a
`dcat:DataService`. Every node a property points to carries the type and label DCAT-AP's SHACL shapes expect
(agents with `foaf:name`, themes as `skos:Concept` with `skos:prefLabel` from the EU data-theme scheme, licences as
`dct:LicenseDocument`, frequencies, file types, media types, languages, access rights and places from the EU
vocabularies), so the shapes validate the output as it is served. Mapping and URIs: docs/dcat-ap.md.
"""

import datetime as dt
from urllib.parse import quote

from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.http import http_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, RDFS, SKOS, XSD

from dgov.core.errors import NotFound
from dgov.opendata import ckan, links, selectors
from dgov.opendata.models import License
from dgov.orgs.models import Department, Region

VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
EU = "http://publications.europa.eu/resource/authority/"
THEMES = URIRef(EU + "data-theme")
FREQUENCY = {"realtime": "CONT", "daily": "DAILY", "weekly": "WEEKLY", "monthly": "MONTHLY", "quarterly": "QUARTERLY",
             "half_yearly": "ANNUAL_2", "yearly": "ANNUAL", "irregular": "IRREG"}
FILE_TYPES = {"csv": ("CSV", "text/csv"), "json": ("JSON", "application/json"),
              "xlsx": ("XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")}
ACCESS = {"unconditional": "PUBLIC", "conditional": "RESTRICTED"}
LICENSES = {License.CC_BY: "https://creativecommons.org/licenses/by/4.0/",
            License.CC0: "https://creativecommons.org/publicdomain/zero/1.0/"}
#: the EU's place authority has no entry below country level: China, and the city as the platform's own region
#: resource (its GB/T 2260 code), `city()`
CHINA = URIRef(EU + "country/CHN")
PUBLISHER_TYPE = URIRef("http://purl.org/adms/publishertype/RegionalAuthority")
PAGE_SIZE = 100
FORMATS = {"ttl": ("turtle", "text/turtle"), "jsonld": ("json-ld", "application/ld+json"),
           "rdf": ("pretty-xml", "application/rdf+xml")}


def _uri(path: str) -> URIRef:
    return URIRef(links.absolute(path))


def _typed(g: Graph, node, kind, label: str | None = None, label_property=SKOS.prefLabel, lang: str | None = None):
    g.add((node, RDF.type, kind))
    if label:
        g.add((node, label_property, Literal(label, lang=lang)))
    return node


def _when(value: dt.datetime | dt.date | None) -> Literal | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return Literal(value.replace(microsecond=0).isoformat(), datatype=XSD.dateTime)
    return Literal(value.isoformat(), datatype=XSD.date)


def _agent(g: Graph, code: str, name: str) -> URIRef:
    node = _uri(f"/open/organisations/{code}/")
    _typed(g, node, FOAF.Agent, name, FOAF.name, "zh")
    g.add((node, DCTERMS.type, _typed(g, PUBLISHER_TYPE, SKOS.Concept, "Regional authority", lang="en")))
    return node


def city_place(g: Graph) -> URIRef:
    """The city (`DGOV_CITY_CODE`) as a `dct:Location`: the platform's region resource, named and coded."""
    code = settings.DGOV_CITY_CODE
    region = Region.objects.filter(code=code).values_list("name", flat=True).first() or ""
    node = _uri(f"/api/v1/regions/{code}")
    _typed(g, node, DCTERMS.Location, region, SKOS.prefLabel, "zh")
    g.add((node, DCTERMS.identifier, Literal(code[:6])))
    return node


def _theme(g: Graph, code: str) -> URIRef:
    node = URIRef(f"{EU}data-theme/{code}")
    _typed(g, node, SKOS.Concept, code)
    g.add((node, SKOS.inScheme, THEMES))
    return node


def _license(g: Graph, license: str) -> URIRef:
    node = URIRef(LICENSES.get(license) or links.absolute("/open/terms/"))
    return _typed(g, node, DCTERMS.LicenseDocument)


def add_dataset(g: Graph, dataset, catalog: URIRef | None = None) -> URIRef:
    """The dataset, its distributions and its data service into `g`."""
    entry = dataset.entry
    node = _uri(f"/dataset/{dataset.name}")
    g.add((node, RDF.type, DCAT.Dataset))
    g.add((node, DCTERMS.identifier, Literal(entry.code)))
    g.add((node, DCTERMS.title, Literal(dataset.title, lang="zh")))
    g.add((node, DCTERMS.description, Literal(dataset.description, lang="zh")))
    for word in dataset.keywords:
        g.add((node, DCAT.keyword, Literal(word, lang="zh")))
    for topic in dataset.topics.all():
        if topic.eu_theme:
            g.add((node, DCAT.theme, _theme(g, topic.eu_theme)))
    publisher = _agent(g, entry.department.code, entry.department.name)
    g.add((node, DCTERMS.publisher, publisher))
    contact = BNode(f"contact-{dataset.pk}")
    _typed(g, contact, VCARD.Organization, entry.department.name, VCARD.fn, "zh")
    g.add((contact, RDF.type, VCARD.Kind))  # the shapes check the class itself (no inference)
    g.add((contact, VCARD.hasURL, URIRef(links.organisation_page(entry.department.code))))
    g.add((node, DCAT.contactPoint, contact))
    for prop, value in ((DCTERMS.issued, dataset.published_at), (DCTERMS.modified, dataset.modified_at)):
        if value is not None:
            g.add((node, prop, _when(value)))
    frequency = URIRef(f"{EU}frequency/{FREQUENCY.get(entry.update_cycle, 'UNKNOWN')}")
    g.add((node, DCTERMS.accrualPeriodicity, _typed(g, frequency, DCTERMS.Frequency)))
    for place in (_typed(g, CHINA, DCTERMS.Location), city_place(g)):
        g.add((node, DCTERMS.spatial, place))
    language = _typed(g, URIRef(EU + "language/ZHO"), DCTERMS.LinguisticSystem)
    g.add((node, DCTERMS.language, language))
    page = _typed(g, URIRef(links.dataset_page(dataset.name)), FOAF.Document)
    g.add((node, DCAT.landingPage, page))
    rights = _typed(g, URIRef(f"{EU}access-right/{ACCESS.get(entry.open_type, 'NON_PUBLIC')}"), DCTERMS.RightsStatement)
    g.add((node, DCTERMS.accessRights, rights))
    license = _license(g, dataset.license)
    service = _uri(f"/dataset/{dataset.name}#datastore")
    _typed(g, service, DCAT.DataService, "CKAN datastore_search", DCTERMS.title, "en")
    g.add((service, DCAT.endpointURL, _typed(g, URIRef(links.ckan_action("datastore_search")), RDFS.Resource)))
    g.add((service, DCAT.servesDataset, node))
    g.add((service, DCTERMS.license, license))
    for fmt, (code, media) in FILE_TYPES.items():
        distribution = _uri(f"/dataset/{dataset.name}#{fmt}")
        g.add((node, DCAT.distribution, distribution))
        g.add((distribution, RDF.type, DCAT.Distribution))
        g.add((distribution, DCTERMS.identifier, Literal(ckan.resource_id(dataset, fmt))))
        g.add((distribution, DCTERMS.title, Literal(f"{dataset.title}（{code}）", lang="zh")))
        url = _typed(g, URIRef(links.download(dataset.name, fmt)), RDFS.Resource)
        g.add((distribution, DCAT.accessURL, url))
        g.add((distribution, DCAT.downloadURL, url))
        g.add((distribution, DCTERMS.format, _typed(g, URIRef(f"{EU}file-type/{code}"), DCTERMS.MediaTypeOrExtent)))
        g.add((distribution, DCAT.mediaType, _typed(g, URIRef(f"https://www.iana.org/assignments/media-types/{media}"),
                                                  DCTERMS.MediaType)))
        g.add((distribution, DCTERMS.license, license))
        g.add((distribution, DCTERMS.rights, rights))
        if dataset.modified_at:
            g.add((distribution, DCTERMS.modified, _when(dataset.modified_at)))
        if fmt == "csv":
            g.add((distribution, DCAT.accessService, service))
    if catalog is not None:
        g.add((catalog, DCAT.dataset, node))
        g.add((catalog, DCAT.service, service))
    return node


def _graph() -> Graph:
    g = Graph()
    for prefix, namespace in (("dcat", DCAT), ("dct", DCTERMS), ("foaf", FOAF), ("skos", SKOS), ("vcard", VCARD),
                              ("hydra", HYDRA)):
        g.bind(prefix, namespace)
    return g


def catalog_graph(datasets, *, page: int, pages: int, total: int, query: str) -> Graph:
    """The catalog with one page of `datasets`, and hydra paging links (as ckanext-dcat serves them)."""
    g = _graph()
    catalog = _uri("/catalog")
    g.add((catalog, RDF.type, DCAT.Catalog))
    city = Region.objects.filter(code=settings.DGOV_CITY_CODE).values_list("name", flat=True).first() or ""
    g.add((catalog, DCTERMS.title, Literal(f"{city}公共数据开放平台", lang="zh")))
    g.add((catalog, DCTERMS.description, Literal(
        f"{city}政府数据按分级分类向社会开放：无条件开放的数据可直接浏览、下载和通过接口获取，有条件开放的数据"
        "经申请并签订数据利用协议后使用。", lang="zh")))
    code = settings.DGOV_OPENDATA_PUBLISHER
    name = Department.objects.filter(code=code).values_list("name", flat=True).first() or settings.DGOV_SITE_NAME
    g.add((catalog, DCTERMS.publisher, _agent(g, code, name)))
    g.add((catalog, FOAF.homepage, _typed(g, _uri("/open/"), FOAF.Document)))
    g.add((catalog, DCTERMS.language, _typed(g, URIRef(EU + "language/ZHO"), DCTERMS.LinguisticSystem)))
    g.add((catalog, DCTERMS.spatial, city_place(g)))
    scheme = _typed(g, THEMES, SKOS.ConceptScheme, "Data theme", DCTERMS.title, "en")
    g.add((catalog, DCAT.themeTaxonomy, scheme))
    newest = None
    for dataset in datasets:
        add_dataset(g, dataset, catalog)
        newest = max(filter(None, [newest, dataset.modified_at]), default=None)
    if newest is not None:
        g.add((catalog, DCTERMS.modified, _when(newest)))
    view = URIRef(links.absolute(f"/catalog.ttl?{query}page={page}"))
    g.add((view, RDF.type, HYDRA.PagedCollection))
    g.add((view, HYDRA.totalItems, Literal(total, datatype=XSD.integer)))
    g.add((view, HYDRA.itemsPerPage, Literal(PAGE_SIZE, datatype=XSD.integer)))
    for name, number in (("firstPage", 1), ("lastPage", max(pages, 1)), ("previousPage", page - 1),
                         ("nextPage", page + 1)):
        if 1 <= number <= max(pages, 1) and (name in ("firstPage", "lastPage") or number != page):
            g.add((view, HYDRA[name], Literal(links.absolute(f"/catalog.ttl?{query}page={number}"))))
    return g


def dataset_graph(dataset) -> Graph:
    g = _graph()
    add_dataset(g, dataset)
    return g


def serialise(g: Graph, fmt: str) -> bytes:
    return g.serialize(format=FORMATS[fmt][0], encoding="utf-8")



# --- views ------------------------------------------------------------------------------------------------
def _response(g: Graph, fmt: str, modified) -> HttpResponse:
    response = HttpResponse(serialise(g, fmt), content_type=f"{FORMATS[fmt][1]}; charset=utf-8")
    response["Cache-Control"] = "public, max-age=300"
    if modified is not None:
        response["Last-Modified"] = http_date(modified.timestamp())
    return response


def _since(text: str) -> dt.datetime:
    value = parse_datetime(text) or (dt.datetime.combine(parse_date(text), dt.time()) if parse_date(text) else None)
    if value is None:
        raise ValueError(text)
    return value if timezone.is_aware(value) else timezone.make_aware(value)


@require_GET
def catalog_view(request, fmt: str):
    """The catalog, `PAGE_SIZE` datasets a page (`?page=N`), those modified since `?modified_since=` only."""
    qs = selectors.published().prefetch_related("topics").order_by("pk")
    query = ""
    try:
        page = int(request.GET.get("page", "1"))
        if page < 1:
            raise ValueError(page)
        if request.GET.get("modified_since"):
            since = _since(request.GET["modified_since"][:40])
            qs = qs.filter(modified_at__gte=since)
            query = "modified_since=" + quote(request.GET["modified_since"][:40]) + "&"
    except (ValueError, OverflowError):
        return HttpResponseBadRequest(_("page is a whole number from 1; modified_since an ISO 8601 date or time."),
                                      content_type="text/plain; charset=utf-8")
    total = qs.count()
    pages = -(-total // PAGE_SIZE)
    if page > max(pages, 1):
        raise Http404
    datasets = list(qs[(page - 1) * PAGE_SIZE:page * PAGE_SIZE])
    newest = max((d.modified_at for d in datasets if d.modified_at), default=None)
    return _response(catalog_graph(datasets, page=page, pages=pages, total=total, query=query), fmt, newest)


@require_GET
def dataset_view(request, ref: str, fmt: str):
    try:
        dataset = selectors.published_dataset(ref[:100])
    except NotFound:
        raise Http404 from None
    return _response(dataset_graph(dataset), fmt, dataset.modified_at)
