"""Lineage built from the platform's records: table and column level, harvested tables joined in, scope."""

import pytest

from dgov.core.errors import NotFound, PermissionDenied
from dgov.governance import lineage

pytestmark = pytest.mark.django_db


def _ids(graph):
    return {n["id"]: n for n in graph["nodes"]}


def _edge(graph, src, dst):
    return next(e for e in graph["edges"] if e["from"] == src and e["to"] == dst)


def test_entry_graph_table_and_column_level(scene, governor):
    graph = lineage.for_entry(governor, scene.entry.code)
    nodes = _ids(graph)
    src = f"source:{scene.source.pk}:public.dibao"
    ds, entry, service = f"dataset:{scene.dataset.pk}", f"entry:{scene.entry.code}", f"service:{scene.entry.code}"
    app, dept = "app:gov-hrss-app", f"dept:{scene.app.department.code}"
    assert {src, ds, entry, service, app, dept} <= set(nodes)
    assert [n["kind"] for n in graph["nodes"]][:2] == ["source_table", "datastore_table"]
    # column level: the load job's mapping (an unmapped column is left out), dataset → data items, grant items
    assert sorted(_edge(graph, src, ds)["columns"]) == [["aid_kind", "jzlb"], ["id_no", "sfzh"], ["name", "xm"]]
    assert ["sfzh", "公民身份号码"] in _edge(graph, ds, entry)["columns"]
    assert _edge(graph, service, app)["columns"] == [["姓名", "姓名"], ["救助类别", "救助类别"]]
    # call counts from the exchange log (every call of the application, refused ones included)
    assert _edge(graph, service, app)["calls"] == 5
    assert _edge(graph, app, dept)["columns"] == []


def test_harvested_tables_linked_with_latest_finished_score(scene, governor):
    nodes = _ids(lineage.for_entry(governor, scene.entry.code))
    ds = nodes[f"dataset:{scene.dataset.pk}"]
    assert ds["table"] == scene.ds_table.pk and ds["score"] == 80.0
    assert ds["url"].endswith(f"/{scene.ds_table.pk}/")
    src = nodes[f"source:{scene.source.pk}:public.dibao"]
    assert src["table"] == scene.src_table.pk and "score" not in src


def test_graph_from_a_harvested_table(scene, governor):
    for table in (scene.ds_table, scene.src_table):
        graph = lineage.for_table(governor, table.pk)
        assert f"entry:{scene.entry.code}" in _ids(graph)


def test_a_table_without_links_is_alone(scene, governor):
    from dgov.governance.tests.conftest import harvested

    lone = harvested(None, department=scene.ds_table.department, name="tmp_x", location=scene.src_table.location,
                     source=scene.source)
    graph = lineage.for_table(governor, lone.pk)
    assert [n["id"] for n in graph["nodes"]] == [f"table:{lone.pk}"] and graph["edges"] == []


def test_scope(scene, provider, consumer, outsider, plain):
    # the provider sees its own chain and the grant on its entry (two-party scope)
    nodes = _ids(lineage.for_entry(provider, scene.entry.code))
    assert f"dataset:{scene.dataset.pk}" in nodes and "app:gov-hrss-app" in nodes
    # the consumer sees the published entry and its own grant, not the provider's data store or sources
    nodes = _ids(lineage.for_entry(consumer, scene.entry.code))
    assert "app:gov-hrss-app" in nodes and f"service:{scene.entry.code}" in nodes
    assert f"dataset:{scene.dataset.pk}" not in nodes and f"source:{scene.source.pk}:public.dibao" not in nodes
    # another county's administrator: the published entry and its data service, nothing behind or after them
    nodes = _ids(lineage.for_entry(outsider, scene.entry.code))
    assert sorted(nodes) == [f"entry:{scene.entry.code}", f"service:{scene.entry.code}"]
    with pytest.raises(NotFound):
        lineage.for_table(outsider, scene.ds_table.pk)
    with pytest.raises(PermissionDenied):
        lineage.for_entry(plain, scene.entry.code)


def test_unknown_entry_is_404(scene, governor):
    with pytest.raises(NotFound):
        lineage.for_entry(governor, "999999999/999999")


def test_layout_is_left_to_right(scene, governor):
    drawing = lineage.layout(lineage.for_entry(governor, scene.entry.code))
    x = {b["kind"]: b["x"] for b in drawing["boxes"]}
    assert x["source_table"] < x["datastore_table"] < x["catalog_entry"] < x["data_service"] < x["application"]
    assert len(drawing["paths"]) == len(lineage.for_entry(governor, scene.entry.code)["edges"])
