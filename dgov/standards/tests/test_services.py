"""Services: the element life cycle and who may do what, element and definition validation, model versions,
the diff between versions and the physical check."""

import pytest

from dgov.core.errors import Conflict, PermissionDenied, ValidationError
from dgov.core.testing import audited, zh
from dgov.standards import selectors, services
from dgov.standards.models import CodeSet, DataElement, ElementStatus, ModelVersion

from .conftest import PERSON, make_meta_table, make_model


def element(**fields):
    base = dict(identifier="YJMZ0201", name="测试", definition="测试。", data_type="string", max_length=10)
    return DataElement(**{**base, **fields})


# --- elements ------------------------------------------------------------------------------------

def test_a_department_administrator_drafts_and_the_centre_reviews_and_releases(draft, editor, governor):
    assert draft.status == ElementStatus.DRAFT and draft.department.code == "360603909"
    assert draft.submitted_by == editor
    assert audited("standards.dataelement.create", object_id=str(draft.pk))
    assert services.allowed_actions(editor, draft) == []
    assert services.allowed_actions(governor, draft) == ["review"]
    with pytest.raises(PermissionDenied):
        services.element_transition(actor=editor, element=draft, action="review")
    reviewed = services.element_transition(actor=governor, element=draft, action="review")
    assert reviewed.status == ElementStatus.REVIEWED and reviewed.reviewed_by == governor
    released = services.element_transition(actor=governor, element=draft, action="release")
    assert released.status == ElementStatus.RELEASED and released.released_at
    assert selectors.released_element("YJMZ0101") == released
    assert [e.action for e in released.events.all()] == ["create", "review", "release"]
    assert audited("standards.dataelement.release", object_id=str(draft.pk)).changes["status"] == [
        "reviewed", "released"]


def test_return_and_retire_need_a_note(draft, governor):
    services.element_transition(actor=governor, element=draft, action="review")
    with pytest.raises(ValidationError) as exc:
        services.element_transition(actor=governor, element=draft, action="return")
    assert "note" in exc.value.details
    back = services.element_transition(actor=governor, element=draft, action="return", note="定义不清")
    assert back.status == ElementStatus.DRAFT and back.events.last().note == "定义不清"
    with pytest.raises(Conflict):
        services.element_transition(actor=governor, element=draft, action="release")


def test_a_released_element_never_changes_and_a_new_version_replaces_it(released, editor, governor):
    released.name = "改名"
    with pytest.raises(Conflict):
        services.element_save(actor=governor, instance=released)
    v2 = services.element_transition(actor=editor, element=released, action="new_version")
    assert (v2.identifier, v2.version, v2.status) == ("YJMZ0101", 2, ElementStatus.DRAFT)
    assert v2.definition == released.definition and v2.pk != released.pk
    with pytest.raises(Conflict):  # one version in preparation at a time
        services.element_new_version(actor=editor, element=released)
    v2.definition = "新定义。"
    services.element_save(actor=editor, instance=v2)
    services.element_transition(actor=governor, element=v2, action="review")
    services.element_transition(actor=governor, element=v2, action="release")
    released.refresh_from_db()
    assert released.status == ElementStatus.RETIRED  # superseded
    assert selectors.released_element("YJMZ0101").version == 2
    retired = services.element_transition(actor=governor, element=v2, action="retire", note="停用")
    assert retired.status == ElementStatus.RETIRED and selectors.released_element("YJMZ0101") is None


def test_drafts_are_edited_by_their_department_or_the_centre(draft, guixi_editor, governor, editor):
    draft.name = "别人改"
    with pytest.raises(PermissionDenied):
        services.element_save(actor=guixi_editor, instance=draft)
    draft.name = "中心改"
    assert services.element_save(actor=governor, instance=draft).name == "中心改"
    draft.name = "本部门改"
    saved = services.element_save(actor=editor, instance=draft)
    assert audited("standards.dataelement.change", object_id=str(saved.pk)).changes["name"] == ["中心改", "本部门改"]


@pytest.mark.parametrize(("fields", "field"), [
    ({"identifier": "de01"}, "identifier"),
    ({"identifier": "DE0001"}, "identifier"),  # the built-in 公民身份号码 has version 1
    ({"pattern": "^[0-9"}, "pattern"),
    ({"data_type": "date", "max_length": 8}, "max_length"),
    ({"max_length": None}, "max_length"),
    ({"check_digit": "luhn"}, "check_digit"),
    ({"check_digit": "id_number", "max_length": 10}, "check_digit"),
    ({"data_type": "boolean", "max_length": None, "pattern": "^1$"}, "pattern"),
])
def test_element_validation(editor, fields, field):
    with pytest.raises(ValidationError) as exc:
        services.element_save(actor=editor, instance=element(**fields))
    assert field in exc.value.details, exc.value.details


def test_element_with_a_code_set_and_a_readers_refusal(editor, world):
    sex = CodeSet.objects.get(code="GB/T 2261.1-2003")
    el = services.element_save(actor=editor, instance=element(code_set=sex, max_length=1))
    assert el.code_set == sex
    with pytest.raises(PermissionDenied):
        services.element_save(actor=world.official, instance=element(identifier="YJMZ0202"))


def test_element_usage_finds_catalog_items_and_harvested_columns(editor, governor):
    from dgov.metadata.models import MetaColumn

    id_number = selectors.released_element("DE0001")
    table = make_meta_table(columns=[("sfzh", "string", 18, False, True)])
    MetaColumn.objects.filter(table=table).update(element=id_number)
    usage = selectors.element_usage(id_number, governor)
    assert [c.name for c in usage["columns"]] == ["sfzh"]
    assert selectors.element_usage(id_number, editor)["columns"].count() == 1  # 余江区民政局's own table


def test_catalog_data_items_are_checked_against_the_registry(draft, governor):
    """A data item naming an element: the element must be released, and the item's type and length fit it."""
    from dgov.catalog.services import validate_items

    item = {"name": "身份证号", "data_type": "string", "length": 18, "data_element": "DE0001"}
    assert validate_items([item]) == {}
    assert validate_items([{**item, "data_element": ""}]) == {}
    unknown = validate_items([{**item, "data_element": "ZZ9999"}])
    assert unknown == {"items[0].data_element": [
        zh("There is no data element %(id)s in the data-element registry.") % {"id": "ZZ9999"}]}
    size = {"name": "家庭人口数", "data_type": "integer", "length": 2, "data_element": draft.identifier}
    assert validate_items([size]) == {"items[0].data_element": [
        zh("The data element %(id)s has no released version yet.") % {"id": draft.identifier}]}
    services.element_transition(actor=governor, element=draft, action="review")
    services.element_transition(actor=governor, element=draft, action="release")
    assert validate_items([size]) == {}
    assert list(validate_items([item, {**size, "data_type": "date"}])) == ["items[1].data_type"]
    assert list(validate_items([{**item, "length": 30}])) == ["items[0].length"]
    assert validate_items([{**size, "data_type": "string"}])["items[0].data_type"] == [
        zh("The data element %(id)s (%(name)s) is of type “%(type)s”.") % {
            "id": draft.identifier, "name": "家庭人口数", "type": zh("integer")}]


def test_an_entry_naming_an_unknown_element_is_refused_with_the_item(editor):
    from dgov.catalog.testing import item, make_entry

    with pytest.raises(ValidationError) as caught:
        make_entry(items=[item("身份证号", length=18, data_element="DE9999")])
    assert list(caught.value.details) == ["items[0].data_element"]


# --- code sets -----------------------------------------------------------------------------------

def test_builtin_code_sets_are_not_edited_and_cities_add_their_own(governor):
    sex = CodeSet.objects.get(code="GB/T 2261.1-2003")
    sex.name = "改"
    with pytest.raises(Conflict):
        services.codeset_save(actor=governor, instance=sex)
    with pytest.raises(Conflict):
        services.codeset_delete(actor=governor, instance=sex)
    own = services.codeset_save(actor=governor, instance=CodeSet(code="YT-TEST", name="测试", is_builtin=True),
                                values=[("1", "甲", ""), ("11", "甲一", "1")])
    assert not own.is_builtin and own.values.count() == 2
    with pytest.raises(ValidationError):
        services.codeset_save(actor=governor, instance=own, values=[("1", "甲", ""), ("1", "乙", "")])
    with pytest.raises(ValidationError):
        services.codeset_save(actor=governor, instance=own, values=[("2", "乙", "9")])
    services.codeset_save(actor=governor, instance=own, values=[("2", "乙", "")])
    assert list(own.values.values_list("code", flat=True)) == ["2"]
    services.codeset_delete(actor=governor, instance=own)
    assert not CodeSet.objects.filter(code="YT-TEST").exists()


def test_parse_values_reports_each_bad_line():
    assert services.parse_values("1,甲\n\n2,乙,1\n") == [("1", "甲", ""), ("2", "乙", "1")]
    with pytest.raises(ValidationError) as exc:
        services.parse_values("1\n2,乙\n,x")
    assert len(exc.value.details["values"]) == 2


# --- data models ---------------------------------------------------------------------------------

def test_models_are_scoped_to_the_department(editor, guixi_editor, model):
    assert model.versions.get().status == ModelVersion.Status.RELEASED
    with pytest.raises(PermissionDenied):
        make_model(editor, code="GX-X", department="360681909")
    assert list(selectors.datamodels(guixi_editor)) == []
    with pytest.raises(PermissionDenied):
        services.version_new(actor=guixi_editor, model=model)


def test_versions_release_and_new(editor, model):
    v1 = model.versions.get(number=1)
    with pytest.raises(Conflict):
        services.version_update(actor=editor, version=v1, definition=PERSON)
    v2 = services.version_new(actor=editor, model=model, note="加字段")
    assert (v2.number, v2.status, v2.definition) == (2, ModelVersion.Status.DRAFT, v1.definition)
    with pytest.raises(Conflict):
        services.version_new(actor=editor, model=model)
    empty = make_model(editor, code="YJ-EMPTY")
    with pytest.raises(ValidationError):
        services.version_release(actor=editor, version=empty.versions.get())
    assert audited("standards.modelversion.create", object_id=str(v2.pk))


def test_definition_normal_form_takes_type_and_length_from_the_element(db):
    clean = services.validate_definition(PERSON)
    sfzh = clean["entities"][0]["attributes"][0]
    assert sfzh == {"name": "sfzh", "label": "公民身份号码", "element": "DE0001", "type": "string", "length": 18,
                    "nullable": False, "key": True}
    assert clean["entities"][0]["attributes"][2]["label"] == "性别代码"
    assert clean["entities"][0]["attributes"][3]["nullable"] is True
    assert services.validate_definition(clean) == clean


@pytest.mark.parametrize(("definition", "count"), [
    ([], 1),
    ({"entities": [], "extra": 1}, 1),
    ({"entities": [{"name": "1bad", "attributes": [{"name": "a", "type": "string"}]}]}, 1),
    ({"entities": [{"name": "a", "attributes": []}]}, 1),
    ({"entities": [{"name": "a", "attributes": [{"name": "x", "type": "text"}, {"name": "x", "type": "string"}]}]}, 2),
    ({"entities": [{"name": "a", "attributes": [{"name": "x", "element": "ZZ9999"}]}]}, 2),
    ({"entities": [{"name": "a", "attributes": [{"name": "x", "type": "date", "length": 8}]}]}, 1),
    ({"entities": [{"name": "a", "attributes": [{"name": "x", "type": "string", "key": True, "nullable": True}]}]}, 1),
    ({"entities": [{"name": "a", "attributes": [{"name": "x", "type": "string"}]}],
      "relations": [{"from": "a.y", "to": "b.x", "kind": "sideways"}]}, 3),
])
def test_definition_problems_are_each_listed(db, definition, count):
    with pytest.raises(ValidationError) as exc:
        services.validate_definition(definition)
    assert len(exc.value.details["definition"]) == count, exc.value.details


def test_diff_between_versions(db):
    old = services.validate_definition(PERSON)
    new = services.validate_definition({
        "entities": [{**PERSON["entities"][0], "attributes": [
            {**PERSON["entities"][0]["attributes"][0]},
            {"name": "xm", "label": "姓名", "element": "DE0006", "nullable": True},  # nullable changed
            {"name": "lxdh", "type": "string", "length": 30},  # length changed
            {"name": "csrq", "element": "DE0008"},  # added; xb removed
        ]}, {"name": "address", "attributes": [{"name": "id", "type": "integer"}]}],  # household removed
        "relations": []})
    diff = services.diff_definitions(old, new)
    assert diff["entities_added"] == ["address"] and diff["entities_removed"] == ["household"]
    assert diff["attributes_added"] == [{"entity": "person", "attribute": "csrq"}]
    assert diff["attributes_removed"] == [{"entity": "person", "attribute": "xb"}]
    assert diff["attributes_changed"] == [
        {"entity": "person", "attribute": "xm", "changes": {"nullable": [False, True]}},
        {"entity": "person", "attribute": "lxdh", "changes": {"length": [20, 30]}}]
    assert diff["relations_removed"] == old["relations"] and diff["relations_added"] == []
    assert not any(services.diff_definitions(old, old).values())


def test_physical_check_reports_each_kind_of_mismatch(model, people_table):
    version = model.versions.get()
    assert services.check_physical(version, "person", people_table)["ok"] is True
    other = make_meta_table(name="ds_people2", columns=[
        ("SFZH", "string", 18, True, False),  # nullable and not the key
        ("xm", "string", 40, False, False),  # length
        ("xb", "integer", None, True, False),  # type
        ("extra", "date", None, True, False),  # extra; lxdh missing
    ])
    result = services.check_physical(version, "person", other)
    kinds = sorted((p["kind"], p["column"]) for p in result["problems"])
    assert kinds == [("extra_column", "extra"), ("key_mismatch", "SFZH"), ("length_mismatch", "xm"),
                     ("missing_column", "lxdh"), ("nullability_mismatch", "SFZH"), ("type_mismatch", "xb")]
    assert result["ok"] is False
    with pytest.raises(ValidationError):
        services.check_physical(version, "nobody", other)


def test_physical_check_ignores_dropped_columns_and_text_without_length(model):
    from django.utils import timezone

    from dgov.metadata.models import MetaColumn

    table = make_meta_table(columns=[
        ("sfzh", "string", None, False, True), ("xm", "string", None, False, False),
        ("xb", "string", None, True, False), ("lxdh", "string", None, True, False),
        ("old", "string", None, True, False)], primary_key=["sfzh"])
    MetaColumn.objects.filter(table=table, name="old").update(dropped_at=timezone.now())
    assert services.check_physical(model.versions.get(), "person", table)["problems"] == []


def test_a_data_store_table_is_checked_without_bookkeeping_and_keyed_by_its_dataset(editor, datastore):
    from dgov.aggregation.testing import make_dataset
    from dgov.metadata.models import MetaTable

    dataset = make_dataset()
    table = make_meta_table(name=dataset.table_name, primary_key=["_key"], columns=[
        ("_key", "string", None, False, True), ("_seq", "integer", None, False, False),
        ("_loaded_at", "datetime", None, False, False), ("_deleted", "boolean", None, False, False),
        ("xm", "string", None, True, False), ("sfzh", "string", None, True, False),
        ("lxdh", "string", None, True, False), ("djrq", "date", None, True, False)])
    MetaTable.objects.filter(pk=table.pk).update(dataset=dataset)
    table.refresh_from_db()
    model = make_model(editor, code="YJ-DS", definition={"entities": [{"name": "p", "table": dataset.table_name,
                                                                       "attributes": [
        {"name": "xm", "element": "DE0006"}, {"name": "sfzh", "element": "DE0001", "key": True, "nullable": False},
        {"name": "lxdh", "element": "DE0007"}, {"name": "djrq", "element": "DE0009"}]}]})
    problems = services.check_physical(model.versions.get(), "p", table)["problems"]
    assert [(p["kind"], p["column"]) for p in problems] == [("nullability_mismatch", "sfzh")]
    assert [t.pk for t in selectors.tables_for_entity(editor, {"table": dataset.table_name})] == [table.pk]
