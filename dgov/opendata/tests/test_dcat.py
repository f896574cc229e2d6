"""DCAT-AP 3 output, validated against SEMICeu's SHACL shapes (a copy in tests/data)."""

from pathlib import Path

import pytest
from django.test import Client
from pyshacl import validate
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCAT, DCTERMS, RDF, SH

from dgov.catalog.models import DataItem
from dgov.catalog.testing import GUIXI_CIVIL_AFFAIRS, negative_list
from dgov.opendata import dcat, services
from dgov.opendata.models import OpenDataset
from dgov.opendata.testing import make_open_entry, make_published

SHAPES = Graph().parse(Path(__file__).parent / "data" / "dcat-ap-3.0.0-SHACL.ttl")


@pytest.fixture
def world(db):
    homes = make_published(rows=3, topics=["livelihood", "health"])
    clinics = make_published(make_open_entry(name="贵溪市医疗机构", rows=2, department_code=GUIXI_CIVIL_AFFAIRS),
                             topics=["health"])
    relief = make_published(make_open_entry(name="困难群众救助名单", open_type="conditional", rows=2))
    return {"homes": homes, "clinics": clinics, "relief": relief}


def _violations(data: bytes, fmt: str = "turtle") -> list[str]:
    graph = Graph().parse(data=data, format=fmt)
    _conforms, report, _text = validate(graph, shacl_graph=SHAPES, inference="none", allow_warnings=True)
    return [f"{report.value(r, SH.focusNode)} {report.value(r, SH.resultPath)}: {report.value(r, SH.resultMessage)}"
            for r in report.subjects(RDF.type, SH.ValidationResult)
            if report.value(r, SH.resultSeverity) == SH.Violation]


def test_the_catalog_conforms_to_dcat_ap_3(world):
    response = Client().get("/catalog.ttl")
    assert response.status_code == 200 and response["Content-Type"] == "text/turtle; charset=utf-8"
    assert response["Last-Modified"] and "public" in response["Cache-Control"]
    assert _violations(response.content) == []
    graph = Graph().parse(data=response.content, format="turtle")
    assert len(set(graph.subjects(RDF.type, DCAT.Dataset))) == 3
    rights = {str(o) for o in graph.objects(None, DCTERMS.accessRights)}
    assert rights == {dcat.EU + "access-right/PUBLIC", dcat.EU + "access-right/RESTRICTED"}
    themes = {str(o) for o in graph.objects(None, DCAT.theme)}
    assert themes == {dcat.EU + "data-theme/SOCI", dcat.EU + "data-theme/HEAL"}


def test_a_dataset_in_three_serialisations(world):
    name = world["homes"].name
    graphs = []
    for fmt, parser, media in (("ttl", "turtle", "text/turtle"), ("jsonld", "json-ld", "application/ld+json"),
                               ("rdf", "xml", "application/rdf+xml")):
        response = Client().get(f"/dataset/{name}.{fmt}")
        assert response.status_code == 200 and response["Content-Type"].startswith(media)
        assert _violations(response.content, parser) == []
        graphs.append(Graph().parse(data=response.content, format=parser))
    assert isomorphic(graphs[0], graphs[1]) and isomorphic(graphs[0], graphs[2])
    by_uuid = Client().get(f"/dataset/{world['homes'].uuid}.ttl")
    assert by_uuid.status_code == 200
    node = URIRef(dcat.links.absolute(f"/dataset/{name}"))
    assert len(list(graphs[0].objects(node, DCAT.distribution))) == 3


def test_paging_and_modified_since(world, settings):
    settings_page = dcat.PAGE_SIZE
    dcat.PAGE_SIZE = 2
    try:
        first = Graph().parse(data=Client().get("/catalog.ttl").content, format="turtle")
        second = Graph().parse(data=Client().get("/catalog.ttl?page=2").content, format="turtle")
        assert len(set(first.subjects(RDF.type, DCAT.Dataset))) == 2
        assert len(set(second.subjects(RDF.type, DCAT.Dataset))) == 1
        assert Client().get("/catalog.ttl?page=3").status_code == 404
    finally:
        dcat.PAGE_SIZE = settings_page
    OpenDataset.objects.filter(pk=world["homes"].pk).update(modified_at="2020-01-01T00:00:00Z")
    recent = Graph().parse(data=Client().get("/catalog.ttl?modified_since=2024-01-01").content, format="turtle")
    assert len(set(recent.subjects(RDF.type, DCAT.Dataset))) == 2
    for bad in ("page=0", "page=x", "modified_since=yesterday", "modified_since=2024-13-45"):
        response = Client().get(f"/catalog.ttl?{bad}")
        assert response.status_code == 400 and response["Content-Type"].startswith("text/plain"), bad


def test_what_is_not_public_never_appears(world, editor):
    services.withdraw(actor=editor, dataset=world["homes"], note="更正")
    assert Client().get(f"/dataset/{world['homes'].name}.ttl").status_code == 404
    type(world["clinics"].entry).objects.filter(pk=world["clinics"].entry.pk).update(open_type="none")
    assert Client().get(f"/dataset/{world['clinics'].name}.ttl").status_code == 404
    assert Client().get("/dataset/yt-nothing.ttl").status_code == 404
    items = DataItem.objects.filter(entry=world["relief"].entry, name="负责人手机")
    items.update(open_type="none", sharing_type="none")
    negative_list(world["relief"].entry.code, "负责人手机")
    text = Client().get("/catalog.ttl").content.decode()
    assert world["homes"].name not in text and world["clinics"].name not in text and "负责人手机" not in text
    assert world["relief"].name in text
