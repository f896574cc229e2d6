"""The CKAN-compatible Action API: every action, CKAN's envelope and errors, the search mapping, the data-store
rows with their access rules and quotas; and the real `ckanapi` client against a live server."""

import datetime as dt
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.utils import timezone

from dgov.aggregation import datastore
from dgov.catalog.testing import GUIXI_CIVIL_AFFAIRS, YUJIANG_CIVIL_AFFAIRS, negative_list
from dgov.core.testing import zh
from dgov.exchange.masking import mask
from dgov.opendata import ckan, keys, links, services
from dgov.opendata.models import AccessApplication, AccessLog, KeyUsage, OpenDataset, Topic
from dgov.opendata.testing import make_open_entry, make_published


def call(client, action, *, method="get", headers=None, prefix="/api/3/action/", **params):
    url = prefix + action
    if method == "get":
        response = client.get(url, params, headers=headers or {})
    else:
        response = client.post(url, json.dumps(params), content_type="application/json", headers=headers or {})
    return response.status_code, response.json()


def result(client, action, **params):
    status, body = call(client, action, **params)
    assert status == 200 and body["success"] is True, body
    assert body["help"] == links.ckan_action("help_show") + f"?name={action}"
    return body["result"]


def error(client, action, status, kind, **params):
    got, body = call(client, action, **params)
    assert got == status and body["success"] is False and body["error"]["__type"] == kind, body
    assert "result" not in body and body["help"].endswith(f"help_show?name={action}")
    return body["error"]


def make_key(user, quota: int | None = None):
    """A developer key of `user` (text to send), with `quota` calls a day."""
    key, text = keys.key_create(actor=user, name="测试应用")
    if quota is not None:
        type(key).objects.filter(pk=key.pk).update(daily_quota=quota)
    return key, text


def approve(dataset, user, *, days=30):
    return AccessApplication.objects.create(
        dataset=dataset, applicant=user, purpose="研究养老服务", scenario="学术研究", agreement_digest="0" * 64,
        agreed_at=timezone.now(), requested_days=days, status="approved",
        valid_until=timezone.now() + dt.timedelta(days=days))


@pytest.fixture
def homes(db):
    """余江区民政局's 养老机构名录 (30 rows, livelihood) and 贵溪市民政局's 医疗机构名录 (5 rows, health)."""
    first = make_published(rows=30)
    second = make_published(make_open_entry(name="医疗机构名录", department_code=GUIXI_CIVIL_AFFAIRS, rows=5),
                            topics=("health",))
    OpenDataset.objects.filter(pk=second.pk).update(keywords=["医疗"], license="CC0-1.0",
                                                    modified_at=timezone.now() + dt.timedelta(minutes=1))
    first.refresh_from_db()
    second.refresh_from_db()
    return first, second


def csv_id(dataset):
    return ckan.resource_id(dataset, "csv")


# --- envelope, transport ------------------------------------------------------------------------------------
def test_status_show_on_both_prefixes_and_unknown_actions(client):
    assert result(client, "status_show")["ckan_version"].startswith("2.")
    status, body = call(client, "status_show", prefix="/api/action/")
    assert status == 200 and body["success"] and "extensions" in body["result"]
    error(client, "no_such_action", 400, "Bad Request")
    assert result(client, "help_show", name="package_search") == ckan.package_search.__doc__
    error(client, "help_show", 404, "Not Found Error", name="nothing")


def test_post_json_form_data_bad_json_and_unknown_parameters(client, homes):
    first, _second = homes
    assert result(client, "package_show", method="post", id=first.name, use_default_schema=True)["id"] == \
        str(first.uuid)
    response = client.post("/api/3/action/package_show", {"id": first.name, "include_tracking": "true"})
    assert response.status_code == 200 and response.json()["result"]["name"] == first.name
    response = client.post("/api/3/action/package_show", b"{not json", content_type="application/json")
    body = response.json()
    assert response.status_code == 400 and body["success"] is False and body["error"]["__type"] == "Bad Request"
    response = client.post("/api/3/action/package_show", b"[1]", content_type="application/json")
    assert response.status_code == 400
    response = client.put("/api/3/action/package_show")
    assert response.status_code == 405 and response.json()["success"] is False


def test_the_api_ignores_the_session(client, homes, editor):
    client.force_login(editor)
    status, _body = call(client, "package_show", method="post", id=homes[0].name)  # no CSRF token needed
    assert status == 200
    conditional = make_published(make_open_entry(name="困难群众名单", open_type="conditional", rows=2))
    approve(conditional, editor)  # a session user's application does not open rows over the API
    error(client, "datastore_search", 403, "Authorization Error", resource_id=csv_id(conditional))


# --- packages -----------------------------------------------------------------------------------------------
def test_package_list_with_paging(client, homes):
    names = sorted(d.name for d in homes)
    assert result(client, "package_list") == names
    assert result(client, "package_list", limit=1) == names[:1]
    assert result(client, "package_list", limit=1, offset=1) == names[1:]
    error(client, "package_list", 409, "Validation Error", limit="many")


def test_package_show_has_ckans_shape(client, homes):
    first, _second = homes
    by_name = result(client, "package_show", id=first.name)
    assert result(client, "package_show", id=str(first.uuid)) == by_name
    entry = first.entry
    assert by_name["id"] == str(first.uuid) and by_name["title"] == first.title
    assert by_name["notes"] == first.description and by_name["type"] == "dataset"
    assert by_name["state"] == "active" and by_name["private"] is False
    assert by_name["url"] == links.dataset_page(first.name)
    assert by_name["license_id"] == "CC-BY-4.0" and by_name["license_url"].startswith("https://creativecommons")
    assert by_name["metadata_modified"] == first.modified_at.astimezone(dt.UTC).replace(tzinfo=None).isoformat()
    assert "+" not in by_name["metadata_created"]
    org = by_name["organization"]
    assert (org["name"], org["title"]) == (YUJIANG_CIVIL_AFFAIRS, entry.department.name)
    assert by_name["owner_org"] == org["id"] and org["is_organization"] is True
    assert [g["name"] for g in by_name["groups"]] == ["livelihood"]
    assert sorted(t["name"] for t in by_name["tags"]) == ["养老", "民政"] and by_name["num_tags"] == 2
    extras = {e["key"]: e["value"] for e in by_name["extras"]}
    assert extras["resource_code"] == entry.code and extras["open_type_label"] == "无条件开放"
    assert extras["update_cycle"] == entry.update_cycle and extras["department"] == entry.department.name
    resources = by_name["resources"]
    assert by_name["num_resources"] == 3 and [r["format"] for r in resources] == ["CSV", "XLSX", "JSON"]
    assert [r["id"] for r in resources] == [ckan.resource_id(first, f) for f in ("csv", "xlsx", "json")]
    assert [r["datastore_active"] for r in resources] == [True, False, False]
    assert resources[0]["url"] == links.download(first.name, "csv") and resources[0]["mimetype"] == "text/csv"
    assert {r["package_id"] for r in resources} == {str(first.uuid)}


def test_package_show_errors(client, homes, editor):
    from dgov.opendata import services

    error(client, "package_show", 404, "Not Found Error", id="no-such-dataset")
    err = error(client, "package_show", 409, "Validation Error")
    assert "id" in err
    services.withdraw(actor=editor, dataset=homes[0], note="数据更新中")
    error(client, "package_show", 404, "Not Found Error", id=homes[0].name)


def test_package_search_q_fq_sort_rows_facets(client, homes):
    first, second = homes
    everything = result(client, "package_search", q="*:*", rows=1000)
    assert everything["count"] == 2 and [d["name"] for d in everything["results"]] == [second.name, first.name]
    assert everything["facets"] == {} and everything["search_facets"] == {}
    assert result(client, "package_search", q="养老机构")["count"] == 1
    by_org = result(client, "package_search", fq=f"organization:{GUIXI_CIVIL_AFFAIRS}")
    assert [d["name"] for d in by_org["results"]] == [second.name]
    assert result(client, "package_search", fq='groups:"livelihood" +tags:"民政"')["count"] == 1
    assert result(client, "package_search", fq="groups:livelihood tags:医疗")["count"] == 0  # ANDed
    assert result(client, "package_search", fq="res_format:CSV license_id:CC0-1.0")["count"] == 1
    assert result(client, "package_search", fq="res_format:PDF")["count"] == 0
    assert result(client, "package_search", fq="+dataset_type:dataset open_type:unconditional")["count"] == 2
    assert result(client, "package_search", fq=f"department:{YUJIANG_CIVIL_AFFAIRS}")["count"] == 1
    error(client, "package_search", 400, "Search Query Error", fq="colour:blue")
    error(client, "package_search", 400, "Search Query Error", fq="-tags:医疗")
    titles = [d["title"] for d in result(client, "package_search", sort="title_string asc")["results"]]
    assert titles == sorted(titles)
    assert [d["name"] for d in result(client, "package_search", sort="metadata_modified asc")["results"]] == \
        [first.name, second.name]
    error(client, "package_search", 409, "Validation Error", sort="colour asc")
    page = result(client, "package_search", rows=1, start=1, sort="metadata_modified desc")
    assert page["count"] == 2 and [d["name"] for d in page["results"]] == [first.name]
    assert result(client, "package_search", rows=5000)["count"] == 2  # capped, not refused
    faceted = result(client, "package_search", **{"facet.field": json.dumps(["organization", "groups", "tags",
                                                                              "res_format", "license_id"]),
                                                   "facet.limit": "1"})
    assert faceted["facets"]["res_format"] == {"CSV": 2}
    assert len(faceted["facets"]["tags"]) == 1
    full = result(client, "package_search", **{"facet.field": '["organization", "tags"]', "facet.limit": "-1"})
    assert full["facets"]["tags"] == {"养老": 1, "民政": 1, "医疗": 1}
    items = full["search_facets"]["organization"]["items"]
    assert {(i["name"], i["count"]) for i in items} == {(YUJIANG_CIVIL_AFFAIRS, 1), (GUIXI_CIVIL_AFFAIRS, 1)}
    assert {i["display_name"] for i in items} == {first.entry.department.name, second.entry.department.name}
    assert full["search_facets"]["organization"]["title"] == "organization"
    error(client, "package_search", 409, "Validation Error", **{"facet.field": '["colour"]'})


def test_kept_search_counts_follow_publishing_withdrawal_and_the_negative_list(client, homes, reviewer):
    """package_search's count and facets are kept per process (selectors.summarised): every audited change of
    the datasets, the catalog or the negative list is seen by the next search."""
    first, second = homes
    facets = {"facet.field": '["organization", "groups"]'}
    assert result(client, "package_search", **facets)["count"] == 2
    third = make_published(make_open_entry(name="婚姻登记机关名录", rows=3))
    grown = result(client, "package_search", **facets)
    assert grown["count"] == 3 and grown["facets"]["groups"] == {"livelihood": 2, "health": 1}
    assert grown["facets"]["organization"] == {YUJIANG_CIVIL_AFFAIRS: 2, GUIXI_CIVIL_AFFAIRS: 1}
    services.withdraw(actor=reviewer, dataset=third, note="数据有误")
    assert result(client, "package_search", **facets)["facets"]["groups"] == {"livelihood": 1, "health": 1}
    # the catalog closes the resource and lists it (the list cannot contradict the catalog): off the portal
    type(second.entry).objects.filter(pk=second.entry.pk).update(open_type="none", sharing_type="none")
    negative_list(second.entry.code)
    shrunk = result(client, "package_search", **facets)
    assert shrunk["count"] == 1 and shrunk["facets"]["organization"] == {YUJIANG_CIVIL_AFFAIRS: 1}
    assert [d["name"] for d in shrunk["results"]] == [first.name]


def test_topic_facet_and_filter_count_each_dataset_once(client, homes):
    first, _second = homes
    OpenDataset.topics.through.objects.create(opendataset=first, topic=Topic.objects.get(code="health"))
    both = result(client, "package_search", fq="groups:health", **{"facet.field": '["groups", "organization"]'})
    assert both["count"] == 2 and len(both["results"]) == 2
    assert both["facets"]["groups"] == {"health": 2, "livelihood": 1}
    assert sum(both["facets"]["organization"].values()) == 2


# --- organisations, groups, tags, resources -----------------------------------------------------------------
def test_organizations(client, homes):
    first, _second = homes
    assert result(client, "organization_list") == sorted([YUJIANG_CIVIL_AFFAIRS, GUIXI_CIVIL_AFFAIRS])
    full = result(client, "organization_list", all_fields="true")
    assert {(o["name"], o["package_count"]) for o in full} == {(YUJIANG_CIVIL_AFFAIRS, 1), (GUIXI_CIVIL_AFFAIRS, 1)}
    org = result(client, "organization_show", id=YUJIANG_CIVIL_AFFAIRS, include_datasets="true")
    assert org["title"] == first.entry.department.name and [p["name"] for p in org["packages"]] == [first.name]
    assert result(client, "organization_show", id=org["id"])["name"] == YUJIANG_CIVIL_AFFAIRS
    error(client, "organization_show", 404, "Not Found Error", id="000000000")


def test_groups_and_tags(client, homes):
    names = result(client, "group_list")
    assert "livelihood" in names and "health" in names
    full = {g["name"]: g for g in result(client, "group_list", all_fields=True)}
    assert full["livelihood"]["package_count"] == 1 and full["health"]["package_count"] == 1
    assert result(client, "group_show", id="health")["title"] == full["health"]["title"]
    error(client, "group_show", 404, "Not Found Error", id="nothing")
    assert result(client, "tag_list") == sorted(["养老", "民政", "医疗"])
    assert result(client, "tag_list", query="医") == ["医疗"]
    assert result(client, "tag_list", all_fields=True)[0]["name"] in {"养老", "民政", "医疗"}


def test_resource_show(client, homes):
    first, _second = homes
    resource = result(client, "resource_show", id=ckan.resource_id(first, "xlsx"))
    assert resource["format"] == "XLSX" and resource["url"] == links.download(first.name, "xlsx")
    assert resource["package_id"] == str(first.uuid) and resource["datastore_active"] is False
    error(client, "resource_show", 404, "Not Found Error", id=str(uuid.uuid4()))


# --- data store ---------------------------------------------------------------------------------------------
def test_datastore_search_rows_filters_fields_paging(client, homes):
    first, _second = homes
    rid = csv_id(first)
    page = result(client, "datastore_search", resource_id=rid)
    assert page["total"] == 30 and len(page["records"]) == 30 and page["limit"] == 100
    assert [(f["id"], f["type"]) for f in page["fields"]] == [("jgmc", "text"), ("tyshxydm", "text"),
                                                              ("cws", "int"), ("szxz", "text"), ("clrq", "date"),
                                                              ("fzrsj", "text")]
    assert page["fields"][0]["info"]["label"] == "机构名称" and page["resource_id"] == rid
    assert page["records"][0]["fzrsj"] == "139****0000"  # masked as served
    assert page["_links"]["start"] == f"/api/3/action/datastore_search?resource_id={rid}"
    assert page["_links"]["next"].endswith("&offset=100")
    sliced = result(client, "datastore_search", resource_id=rid, limit=5, offset=10, fields="jgmc,cws")
    assert [r["cws"] for r in sliced["records"]] == [30, 31, 32, 33, 34] and set(sliced["records"][0]) == {"jgmc",
                                                                                                        "cws"}
    assert [f["id"] for f in sliced["fields"]] == ["jgmc", "cws"] and sliced["total"] == 30
    filtered = result(client, "datastore_search", resource_id=rid, filters=json.dumps({"szxz": "锦江镇"}))
    assert filtered["total"] == 10 and {r["szxz"] for r in filtered["records"]} == {"锦江镇"}
    either = result(client, "datastore_search", method="post", resource_id=ckan.resource_id(first, "json"),
                    filters={"szxz": ["锦江镇", "潢溪镇"], "cws": 21}, include_total=False)
    assert [r["cws"] for r in either["records"]] == [21] and "total" not in either
    assert len(result(client, "datastore_search", resource_id=rid, limit=999999)["records"]) == 30  # capped


def test_datastore_totals_are_kept_until_the_rows_change(client, homes):
    """The totals are kept under the table's change sequence: a load, a changed row or a deleted one is
    counted by the next call."""
    first, _second = homes
    rid, filters = csv_id(first), json.dumps({"szxz": "锦江镇"})
    assert result(client, "datastore_search", resource_id=rid, filters=filters)["total"] == 10
    table = services.store_of(first.entry)
    datastore.upsert(table, [{"jgmc": "余江区新建养老院", "tyshxydm": "52360603MJ9999999X", "cws": 10,
                              "szxz": "锦江镇", "clrq": dt.date(2026, 1, 1), "fzrsj": "13900000000"}])
    assert result(client, "datastore_search", resource_id=rid, filters=filters)["total"] == 11
    assert result(client, "datastore_search", resource_id=rid)["total"] == 31
    datastore.upsert(table, [{"jgmc": "余江区第2养老院", "tyshxydm": "52360603MJ0000001X", "cws": 21,
                              "szxz": "邓埠镇", "clrq": dt.date(2010, 2, 7), "fzrsj": "13900000001"}])
    assert result(client, "datastore_search", resource_id=rid, filters=filters)["total"] == 10  # moved away
    datastore.mark_deleted(table, keep_keys=[])
    assert result(client, "datastore_search", resource_id=rid)["total"] == 0


def test_kept_resources_follow_masks_withdrawal_and_the_negative_list(client, homes, reviewer):
    """datastore_search keeps each resource's dataset, columns and masks per process: a mask changed on the
    data-store dataset, an item put on the negative list or the dataset withdrawn reach the next call."""
    from dgov.aggregation import services as aggregation
    from dgov.catalog.models import DataItem
    from dgov.catalog.testing import make_superuser

    first, _second = homes
    rid = csv_id(first)
    assert result(client, "datastore_search", resource_id=rid, limit=1)["records"][0]["fzrsj"] == "139****0000"
    table = services.store_of(first.entry)
    columns = [{"name": c.name, "item_name": c.item_name, "is_key": c.is_key, "data_type": c.data_type,
                "mask": "partial" if c.name == "fzrsj" else c.mask} for c in table.columns.order_by("position")]
    aggregation.dataset_update(actor=make_superuser(), dataset=table, columns=columns)
    first_row = result(client, "datastore_search", resource_id=rid, limit=1)["records"][0]
    assert first_row["fzrsj"] == mask("partial", "13900000000") != "139****0000"
    DataItem.objects.filter(entry=first.entry, name="床位数").update(open_type="none", sharing_type="none")
    negative_list(first.entry.code, "床位数")
    assert "cws" not in result(client, "datastore_search", resource_id=rid, limit=1)["records"][0]
    services.withdraw(actor=reviewer, dataset=first, note="数据有误")
    error(client, "datastore_search", 404, "Not Found Error", resource_id=rid)


def test_datastore_search_q_and_sort(client, homes):
    first, _second = homes
    rid = csv_id(first)
    found = result(client, "datastore_search", resource_id=rid, q="第12养老")
    assert found["total"] == 1 and found["records"][0]["cws"] == 31
    assert result(client, "datastore_search", resource_id=rid, q="13900000012")["total"] == 0  # hidden digits
    by_column = result(client, "datastore_search", resource_id=rid, q=json.dumps({"szxz": "潢溪"}), limit=3)
    assert by_column["total"] == 10 and len(by_column["records"]) == 3
    ordered = result(client, "datastore_search", resource_id=rid, sort="cws desc", limit=3)
    assert [r["cws"] for r in ordered["records"]] == [49, 48, 47] and ordered["total"] == 30
    both = result(client, "datastore_search", resource_id=rid, sort="szxz, cws desc", limit=2,
                  filters=json.dumps({"szxz": ["邓埠镇", "锦江镇"]}))
    assert [(r["szxz"], r["cws"]) for r in both["records"]] == [("邓埠镇", 47), ("邓埠镇", 44)]
    page = result(client, "datastore_search", resource_id=rid, q="养老", sort="cws", limit=2, offset=28)
    assert [r["cws"] for r in page["records"]] == [48, 49] and page["total"] == 30
    assert result(client, "datastore_search", resource_id=rid, q="_")["total"] == 0  # no LIKE wildcards
    # a masked column neither orders the rows nor is searched by name: either would tell what the mask hides
    assert "sort" in error(client, "datastore_search", 409, "Validation Error", resource_id=rid, sort="fzrsj")
    assert "q" in error(client, "datastore_search", 409, "Validation Error", resource_id=rid,
                        q=json.dumps({"fzrsj": "0012"}))
    error(client, "datastore_search", 409, "Validation Error", resource_id=rid, sort="cws sideways")
    error(client, "datastore_search", 409, "Validation Error", resource_id=rid, q=json.dumps({"nope": "x"}))


def test_a_query_that_takes_too_long_is_stopped(client, homes, settings, monkeypatch):
    """As CKAN: 409 with `query: ["Query took too long"]`; nothing is logged or counted."""
    from dgov.aggregation.testing import ENDLESS

    settings.DGOV_OPENDATA_QUERY_SECONDS = 0.2

    def endless(entry, *, conn, **kwargs):
        conn.exec_driver_sql(ENDLESS)

    monkeypatch.setattr(services, "public_rows", endless)
    err = error(client, "datastore_search", 409, "Validation Error", resource_id=csv_id(homes[0]), q="养老")
    assert err["message"] == zh("Query took too long") and "query" in err
    assert not AccessLog.objects.exists()


def test_datastore_search_bad_input(client, homes):
    rid = csv_id(homes[0])
    error(client, "datastore_search", 409, "Validation Error")
    error(client, "datastore_search", 404, "Not Found Error", resource_id=str(uuid.uuid4()))
    error(client, "datastore_search", 409, "Validation Error", resource_id=rid, filters="{bad")
    error(client, "datastore_search", 409, "Validation Error", resource_id=rid, filters="[1]")
    err = error(client, "datastore_search", 409, "Validation Error", resource_id=rid,
                filters=json.dumps({"secret": 1}))
    assert "filters" in err
    error(client, "datastore_search", 409, "Validation Error", resource_id=rid, filters=json.dumps({"cws": "many"}))
    error(client, "datastore_search", 409, "Validation Error", resource_id=rid, fields="jgmc,secret")
    error(client, "datastore_search", 409, "Validation Error", resource_id=rid, sort="secret asc")
    error(client, "datastore_search", 409, "Validation Error", resource_id=rid, offset=-1)
    assert not AccessLog.objects.exists()


def test_datastore_search_is_logged_and_counted(client, homes, citizen):
    first, _second = homes
    _key, text = make_key(citizen)
    result(client, "datastore_search", resource_id=csv_id(first), limit=4, headers={"X-CKAN-API-Key": text})
    result(client, "datastore_search", resource_id=csv_id(first), limit=2)
    logs = list(AccessLog.objects.order_by("pk"))
    assert [(x.kind, x.rows, x.user_id, x.application_id) for x in logs] == [("api", 4, citizen.pk, None),
                                                                             ("api", 2, None, None)]
    first.refresh_from_db()
    assert first.api_call_count == 2 and first.download_count == 0


# --- conditional datasets, keys -----------------------------------------------------------------------------
def test_conditional_rows_need_an_approved_application(client, conditional, citizen):
    rid = csv_id(conditional)
    extras = {e["key"]: e["value"] for e in result(client, "package_show", id=conditional.name)["extras"]}
    assert (extras["open_type"], extras["open_type_label"]) == ("conditional", "有条件开放")  # metadata is public
    error(client, "datastore_search", 403, "Authorization Error", resource_id=rid)
    _key, text = make_key(citizen)
    error(client, "datastore_search", 403, "Authorization Error", resource_id=rid, headers={"Authorization": text})
    application = approve(conditional, citizen)
    page = result(client, "datastore_search", resource_id=rid, headers={"Authorization": text})
    assert page["total"] == 3
    log = AccessLog.objects.get()
    assert (log.kind, log.application_id, log.user_id, log.rows) == ("api", application.pk, citizen.pk, 3)
    AccessApplication.objects.filter(pk=application.pk).update(valid_until=timezone.now() - dt.timedelta(minutes=1))
    error(client, "datastore_search", 403, "Authorization Error", resource_id=rid,
          headers={"Authorization": f"Bearer {text}"})


def test_keys_are_checked_and_counted_against_the_daily_quota(client, homes, citizen):
    error(client, "status_show", 403, "Authorization Error", headers={"X-CKAN-API-Key": "odk_00000000_" + "x" * 43})
    key, text = make_key(citizen, quota=2)
    for _ in range(2):
        result(client, "package_list", headers={"X-CKAN-API-Key": text})
    err = error(client, "package_list", 403, "Authorization Error", headers={"X-CKAN-API-Key": text})
    assert "2" in err["message"]
    usage = KeyUsage.objects.get(key=key)
    assert (usage.calls, usage.refused) == (2, 1)
    key.refresh_from_db()
    assert key.last_used_at is not None
    assert result(client, "package_list") == sorted(d.name for d in homes)  # anonymous calls are not counted


# --- the real client ----------------------------------------------------------------------------------------
@pytest.fixture
def served(transactional_db, live_server, settings):
    settings.DGOV_PUBLIC_URL = live_server.url
    first = make_published(rows=30)
    second = make_published(make_open_entry(name="医疗机构名录", department_code=GUIXI_CIVIL_AFFAIRS, rows=5),
                            topics=("health",))
    return live_server.url, first, second


def test_ckanapi_reads_the_portal_as_it_reads_ckan(served, tmp_path):
    from ckanapi import NotAuthorized, NotFound, RemoteCKAN

    url, first, second = served
    with RemoteCKAN(url, user_agent="dgov-test") as portal:
        assert portal.action.status_show()["ckan_version"].startswith("2.")
        found = portal.action.package_search(q="*:*", rows=1000, **{"facet.field": ["organization"]})
        assert found["count"] == 2 and {d["name"] for d in found["results"]} == {first.name, second.name}
        assert found["facets"]["organization"] == {YUJIANG_CIVIL_AFFAIRS: 1, GUIXI_CIVIL_AFFAIRS: 1}
        package = portal.action.package_show(id=first.name)
        rows = portal.action.datastore_search(resource_id=package["resources"][0]["id"], limit=5,
                                              filters={"szxz": "邓埠镇"})
        assert rows["total"] == 10 and len(rows["records"]) == 5 and rows["records"][0]["jgmc"] == "余江区第1养老院"
        with pytest.raises(NotFound):
            portal.action.package_show(id="no-such-dataset")
    with RemoteCKAN(url, apikey="odk_bad") as portal, pytest.raises(NotAuthorized):
        portal.action.package_list()
    out = tmp_path / "datasets.jsonl"
    ckanapi = Path(sys.executable).with_name("ckanapi")  # its workers run `ckanapi` again: the venv's on PATH
    done = subprocess.run([str(ckanapi), "dump", "datasets", "--all", "-r", url, "-O", str(out), "-p", "1", "-q"],
                          capture_output=True, timeout=120, check=False,
                          env={**os.environ, "PATH": f"{ckanapi.parent}{os.pathsep}{os.environ.get('PATH', '')}"})
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert sorted(d["name"] for d in lines) == sorted([first.name, second.name])
    assert {d["id"] for d in lines} == {str(first.uuid), str(second.uuid)}
    assert all(len(d["resources"]) == 3 for d in lines)
