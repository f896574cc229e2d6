"""ODCS export: the YAML parses, validates against the ODCS JSON Schema, carries the required fields, the
data elements, the quality rules in ODCS's format, and leaves out negative-listed items."""

import json
from pathlib import Path

import jsonschema_rs
import pytest
import yaml

from dgov.catalog.testing import item, negative_list
from dgov.core.errors import NotFound, PermissionDenied
from dgov.governance import contracts
from dgov.metadata.models import MetaColumn
from dgov.quality.models import QualityRule
from dgov.sharing.testing import population_entry
from dgov.standards.models import CodeSet, DataElement

pytestmark = pytest.mark.django_db
SCHEMA = json.loads((Path(__file__).parent / "data" / "odcs-v3.2.0.schema.json").read_text())
RULES = [
    ("完整性", "completeness", ["xm"], {"empty_is_missing": True}),
    ("姓名非空", "completeness", ["xm"], {"empty_is_missing": False}),
    ("主键唯一", "uniqueness", ["sfzh"], {}),
    ("复合唯一", "uniqueness", ["xm", "jzlb"], {"nulls": "any"}),
    ("格式", "regex", ["jzlb"], {"pattern": "^[A-Z]$"}),
    ("代码", "code_set", ["jzlb"], {"values": ["1", "2"]}),
    ("金额范围", "range", ["je"], {"min": 0, "max": 5000}),
    ("长度", "length", ["xm"], {"min": 2, "max": 20}),
    ("一致", "consistency", ["xm", "jzlb"], {"op": "!="}),
    ("关联", "reference", ["jzlb"], {"table": "ds_codes", "columns": ["code"]}),
    ("及时", "freshness", ["je"], {"max_age_hours": 24}),
    ("自定义", "custom_sql", [], {"condition": "je < 0"}),
]


def valid(document: dict) -> list[str]:
    return [str(e) for e in jsonschema_rs.validator_for(SCHEMA).iter_errors(document)]


@pytest.fixture
def contract_scene(scene):
    sex, _ = CodeSet.objects.get_or_create(code="GB/T 2261.1-2003", defaults={"name": "人的性别代码"})
    element = DataElement.objects.create(identifier="DE00001", name="公民身份号码", definition="GB 11643 公民身份号码",
                                         data_type="string", max_length=18, pattern="^[0-9]{17}[0-9X]$",
                                         check_digit="id_number", personal=True, status="released", code_set=sex)
    MetaColumn.objects.filter(table=scene.ds_table, name="sfzh").update(element=element)
    for name, kind, cols, params in RULES:
        QualityRule.objects.create(table=scene.ds_table, name=name, kind=kind, columns=cols, params=params,
                                   threshold_pct="1.5")
    return scene


def test_contract_parses_and_validates(contract_scene, governor):
    text = contracts.to_yaml(contracts.build(governor, contract_scene.entry.code, base_url="https://dgov.example"))
    doc = yaml.safe_load(text)
    assert valid(doc) == []
    assert doc["apiVersion"] == "v3.0.2" and doc["kind"] == "DataContract"
    for key in ("id", "name", "version", "status", "domain", "dataProduct", "description", "schema",
                "slaProperties", "team", "roles", "support", "servers", "customProperties"):
        assert doc[key], key
    assert set(doc["description"]) == {"purpose", "usage", "limitations"}
    assert doc["status"] == "active" and doc["name"] == contract_scene.entry.name
    obj = doc["schema"][0]
    assert obj["physicalName"] == contract_scene.dataset.table_name
    props = {p["name"]: p for p in obj["properties"]}
    assert list(props) == ["xm", "sfzh", "jzlb", "je"]
    sfzh = props["sfzh"]
    assert sfzh["primaryKey"] is True and sfzh["required"] is True and sfzh["classification"] == "sensitive"
    assert sfzh["logicalTypeOptions"]["pattern"] == "^[0-9]{17}[0-9X]$"
    assert {"property": "dataElement", "value": "DE00001"} in sfzh["customProperties"]
    assert {"property": "codeSet", "value": "GB/T 2261.1-2003"} in sfzh["customProperties"]
    assert props["xm"]["classification"] == "personal" and props["xm"]["logicalTypeOptions"]["maxLength"] == 50
    # quality: every rule, in ODCS's format
    quality = [q for p in obj["properties"] for q in p.get("quality", [])] + obj.get("quality", [])
    by_name = {q["name"]: q for q in quality}
    assert set(by_name) == {r[0] for r in RULES} | {"身份证号校验"}
    assert by_name["完整性"]["metric"] == "missingValues" and by_name["姓名非空"]["metric"] == "nullValues"
    assert by_name["主键唯一"]["metric"] == "duplicateValues" and by_name["主键唯一"]["dimension"] == "uniqueness"
    assert by_name["复合唯一"]["arguments"]["properties"] == ["xm", "jzlb"]
    assert by_name["身份证号校验"]["arguments"]["checkDigit"].startswith("GB 11643")
    assert by_name["金额范围"]["type"] == "sql" and '"je" > 5000' in by_name["金额范围"]["query"]
    assert by_name["及时"]["type"] == "custom" and by_name["及时"]["dimension"] == "timeliness"
    thresholds = [q["mustBeLessOrEqualTo"] for q in quality if q["name"] != "身份证号校验" and q["type"] != "custom"]
    assert set(thresholds) == {1.5}
    assert by_name["及时"]["implementation"]["maxFailedPercent"] == 1.5
    sla = {s["property"]: s for s in doc["slaProperties"]}
    assert sla["frequency"]["value"] == "monthly" and sla["latency"] == {
        "property": "latency", "value": 31, "unit": "d", "element": contract_scene.dataset.table_name,
        "description": "data older than one update cycle is overdue"}
    servers = {s["server"]: s for s in doc["servers"]}
    assert servers["gateway"]["location"] == f"https://dgov.example/exchange/v1/services/{contract_scene.entry.code}"
    assert "secret" not in text and "db.example" not in text and "host" not in servers["datastore"]


def test_negative_listed_items_left_out(datastore, governor):
    from dgov.aggregation.testing import make_dataset

    entry = population_entry(items=[item("姓名", personal_data="personal"),
                                    item("公民身份号码", personal_data="sensitive"),
                                    item("病史", personal_data="sensitive", sharing_type="none")])
    make_dataset(entry=entry, columns=[{"name": "xm", "item_name": "姓名"},
                                       {"name": "sfzh", "item_name": "公民身份号码", "is_key": True},
                                       {"name": "bs", "item_name": "病史"}])
    negative_list(entry.code, "病史")
    doc = contracts.build(governor, entry.code)
    assert valid(yaml.safe_load(contracts.to_yaml(doc))) == []
    names = [p["name"] for p in doc["schema"][0]["properties"]]
    assert names == ["xm", "sfzh"]
    assert "病史" not in contracts.to_yaml(doc)


def test_an_entry_without_dataset(db, governor):
    entry = population_entry()
    doc = contracts.build(governor, entry.code)
    assert valid(doc) == [] and doc["servers"] == []
    assert [p["name"] for p in doc["schema"][0]["properties"]][:2] == ["姓名", "公民身份号码"]


def test_scope(scene, outsider, plain):
    from dgov.catalog.testing import make_entry

    draft = make_entry()
    with pytest.raises(NotFound):
        contracts.build(outsider, draft.code)
    assert contracts.build(outsider, scene.entry.code)["name"]  # published: every official may read it
    with pytest.raises(PermissionDenied):
        contracts.build(plain, scene.entry.code)
