"""The pages: lists, details, the element actions, the model version editor, release, new version, diff and
check."""

import json

import pytest
from django.urls import reverse

from dgov.core.testing import signed_in, zh_html
from dgov.standards.models import CodeSet, DataElement, ElementStatus, ModelVersion

from .conftest import PERSON


@pytest.mark.parametrize("name", ["standards:dataelement_list", "standards:codeset_list", "standards:datamodel_list"])
def test_lists_answer_the_holders_and_refuse_others(name, editor, world, model):
    assert signed_in(editor).get(reverse(name)).status_code == 200
    assert signed_in(world.official).get(reverse(name)).status_code == 403
    assert signed_in(editor).get(reverse(name) + "?export=csv").status_code == 200


def test_a_builtin_code_set_shows_its_values_and_no_edit(governor):
    sex = CodeSet.objects.get(code="GB/T 2261.1-2003")
    page = signed_in(governor).get(reverse("standards:codeset_detail", kwargs={"key": sex.pk}))
    body = page.content.decode()
    assert page.status_code == 200 and "未说明的性别" in body and 'href="edit/"' not in body
    assert "DE0003" in body  # the element that uses it


def test_a_city_code_set_is_added_on_the_page(governor):
    client = signed_in(governor)
    bad = client.post(reverse("standards:codeset_add"), {"code": "YT-P", "name": "页面", "values": "1\n"})
    assert bad.status_code == 422
    ok = client.post(reverse("standards:codeset_add"), {"code": "YT-P", "name": "页面", "values": "1,甲\n2,乙,1"})
    assert ok.status_code == 302
    cs = CodeSet.objects.get(code="YT-P")
    assert [(v.code, v.parent_code) for v in cs.values.all()] == [("1", ""), ("2", "1")]
    edit = client.get(reverse("standards:codeset_edit", kwargs={"key": cs.pk}))
    assert "2,乙,1" in edit.content.decode()


def test_an_element_is_drafted_and_released_on_the_pages(editor, governor):
    data = {"identifier": "YJMZ0400", "name": "页面元素", "definition": "页面。", "data_type": "string",
            "max_length": "10", "check_digit": ""}
    bad = signed_in(editor).post(reverse("standards:dataelement_add"), {**data, "pattern": "(["})
    assert bad.status_code == 422
    ok = signed_in(editor).post(reverse("standards:dataelement_add"), data)
    assert ok.status_code == 302
    el = DataElement.objects.get(identifier="YJMZ0400")
    detail = reverse("standards:dataelement_detail", kwargs={"key": el.pk})
    page = signed_in(governor).get(detail).content.decode()
    assert 'data-action="review"' in page
    assert 'data-action="review"' not in signed_in(editor).get(detail).content.decode()
    transition = reverse("standards:dataelement_transition", kwargs={"key": el.pk})
    assert signed_in(editor).post(transition, {"action": "review"}).status_code == 403
    for action in ("review", "release"):
        assert signed_in(governor).post(transition, {"action": action}).status_code == 302
    el.refresh_from_db()
    assert el.status == ElementStatus.RELEASED
    refused = signed_in(governor).post(transition, {"action": "retire"}, follow=True)
    assert zh_html("Say why.") in refused.content.decode()
    edit = signed_in(editor).post(reverse("standards:dataelement_edit", kwargs={"key": el.pk}), {**data, "name": "x"})
    assert edit.status_code == 422  # released: only a new version
    new = signed_in(editor).post(transition, {"action": "new_version", "new_version-note": "修订"})
    v2 = DataElement.objects.get(identifier="YJMZ0400", version=2)
    assert new.url == reverse("standards:dataelement_detail", kwargs={"key": v2.pk})


def test_a_model_is_created_edited_released_and_compared_on_the_pages(editor, guixi_editor, people_table):
    client = signed_in(editor)
    add = client.get(reverse("standards:datamodel_add")).content.decode()
    assert "360603909" in add and "360681909" not in add  # only departments in scope are offered
    assert client.post(reverse("standards:datamodel_add"), {"code": "YJ-PAGE", "name": "页面模型",
                                                            "department": _dept("360603909")}).status_code == 302
    version_url = reverse("standards:modelversion_detail", kwargs={"key": "YJ-PAGE", "number": 1})
    page = client.get(version_url)
    assert page.status_code == 200 and 'name="definition"' in page.content.decode()
    bad = client.post(version_url, {"action": "save", "definition": "{not json"})
    assert bad.status_code == 422
    invalid = client.post(version_url, {"action": "save", "definition": json.dumps(
        {"entities": [{"name": "a", "attributes": [{"name": "x", "type": "nope"}]}]})})
    assert invalid.status_code == 422
    assert client.post(version_url, {"action": "save", "definition": json.dumps(PERSON), "note": "首版"}) \
        .status_code == 302
    rendered = client.get(version_url).content.decode()
    assert 'data-entity="person"' in rendered and "公民身份号码" in rendered and "household.head_sfzh" in rendered
    assert client.post(version_url, {"action": "release"}).status_code == 302
    assert ModelVersion.objects.get(model__code="YJ-PAGE", number=1).status == ModelVersion.Status.RELEASED
    assert 'name="definition"' not in client.get(version_url).content.decode()
    new = client.post(reverse("standards:modelversion_add", kwargs={"key": "YJ-PAGE"}))
    assert new.url == reverse("standards:modelversion_detail", kwargs={"key": "YJ-PAGE", "number": 2})
    v2_url = new.url
    changed = {**PERSON, "entities": [PERSON["entities"][0]], "relations": []}
    assert client.post(v2_url, {"action": "save", "definition": json.dumps(changed)}).status_code == 302
    diff = client.get(reverse("standards:modelversion_diff", kwargs={"key": "YJ-PAGE"}) + "?a=1&b=2")
    assert diff.status_code == 200 and "diff-entities-removed" in diff.content.decode()
    assert client.get(reverse("standards:modelversion_diff", kwargs={"key": "YJ-PAGE"}) + "?a=x").status_code == 422
    detail = client.get(reverse("standards:datamodel_detail", kwargs={"key": "YJ-PAGE"})).content.decode()
    assert 'data-status="draft"' in detail and 'data-status="released"' in detail
    check_url = reverse("standards:modelversion_check", kwargs={"key": "YJ-PAGE", "number": 1})
    form = client.get(check_url).content.decode()
    assert "datastore/ds_people" in form
    ok = client.get(check_url + f"?entity=person&table={people_table.pk}").content.decode()
    assert "check-ok" in ok
    problems = client.get(check_url + f"?entity=household&table={people_table.pk}").content.decode()
    assert 'data-kind="missing_column"' in problems and 'data-kind="extra_column"' in problems
    assert signed_in(guixi_editor).get(version_url).status_code == 404
    assert signed_in(guixi_editor).post(version_url, {"action": "release"}).status_code == 404


def _dept(code):
    from dgov.orgs.models import Department

    return Department.objects.get(code=code).pk
