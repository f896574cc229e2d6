"""The demo: data_centre governs, yj_data's draft, the model 城乡低保对象 with v1 released and v2 a draft."""

from dgov.accounts.testing import make_user
from dgov.core.permissions import has_permission
from dgov.standards import demo, services
from dgov.standards.models import DataElement, DataModel, ElementStatus


def test_the_demo_loads_once(db, datastore):
    from dgov.aggregation.testing import make_dataset

    dataset = make_dataset(name=demo.DEMO_ENTRY_NAME)
    centre = make_user("data_centre", department_code="360600201", roles=[("catalog_reviewer", "all", None)])
    make_user("yj_data", department_code="360603909", roles=[("catalog_editor", "department", "360603909")])
    first = demo.load_demo()
    assert first["created"] >= 3
    assert demo.load_demo()["created"] == 0
    centre.refresh_from_db()
    assert has_permission(centre, DataElement, "review")
    element = DataElement.objects.get(identifier=demo.DEMO_ELEMENT)
    assert element.status == ElementStatus.DRAFT and element.submitted_by.username == "yj_data" and element.is_demo
    model = DataModel.objects.get(code=demo.DEMO_MODEL_CODE)
    assert model.department.code == "360603909" and model.name == "城乡低保对象"
    v2, v1 = model.versions.order_by("-number")
    assert (v1.status, v2.status) == ("released", "draft")
    diff = services.diff_definitions(v1.definition, v2.definition)
    assert diff["attributes_added"] == [{"entity": "dibao_person", "attribute": "gxsj"}]
    columns = [a["name"] for a in v2.definition["entities"][0]["attributes"]]
    assert columns == ["xm", "sfzh", "lxdh", "jzdz", "bzlb", "ybzje", "djrq", "gxsj"]
    assert v1.definition["entities"][0]["table"] == dataset.table_name
