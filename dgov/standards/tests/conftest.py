import pytest

from dgov.accounts.testing import make_user
from dgov.aggregation.testing import datastore, datastore_session  # noqa: F401
from dgov.metadata.models import DATASTORE, MetaColumn, MetaTable
from dgov.orgs.models import Department
from dgov.standards import services
from dgov.standards.models import DataElement, DataModel

YUJIANG_MZ = "360603909"  # 余江区民政局
GUIXI_MZ = "360681909"  # 贵溪市民政局
DATA_CENTRE = "360600201"  # 市大数据中心

PERSON = {
    "entities": [{"name": "person", "label": "人员", "table": "ds_people", "attributes": [
        {"name": "sfzh", "label": "公民身份号码", "element": "DE0001", "key": True, "nullable": False},
        {"name": "xm", "label": "姓名", "element": "DE0006", "nullable": False},
        {"name": "xb", "element": "DE0003"},
        {"name": "lxdh", "type": "string", "length": 20},
    ]}, {"name": "household", "label": "家庭", "table": "ds_households", "attributes": [
        {"name": "hh_id", "type": "integer", "key": True, "nullable": False},
        {"name": "head_sfzh", "type": "string", "length": 18},
    ]}],
    "relations": [{"from": "household.head_sfzh", "to": "person.sfzh", "kind": "many_to_one"}],
}


@pytest.fixture
def editor(db):
    """余江区民政局's data administrator (catalog_editor over the department)."""
    return make_user("st_editor", department_code=YUJIANG_MZ,
                     roles=[("catalog_editor", "department", YUJIANG_MZ), ("staff", "all", None)])


@pytest.fixture
def guixi_editor(db):
    return make_user("st_guixi_editor", department_code=GUIXI_MZ,
                     roles=[("catalog_editor", "department", GUIXI_MZ), ("staff", "all", None)])


@pytest.fixture
def governor(db):
    """The big-data centre's data governor."""
    return make_user("st_governor", department_code=DATA_CENTRE,
                     roles=[("data_governor", "all", None), ("staff", "all", None)])


@pytest.fixture
def draft(editor):
    return services.element_save(actor=editor, instance=DataElement(
        identifier="YJMZ0101", name="家庭人口数", definition="共同生活的家庭成员人数。", data_type="integer",
        max_length=2, unit="人"))


@pytest.fixture
def released(draft, governor):
    services.element_transition(actor=governor, element=draft, action="review")
    return services.element_transition(actor=governor, element=draft, action="release")


def make_model(actor, code="YJ-PEOPLE", department=YUJIANG_MZ, definition=None, release=False):
    model = services.datamodel_save(actor=actor, instance=DataModel(
        code=code, name="人员模型", department=Department.objects.get(code=department)))
    version = model.versions.get(number=1)
    if definition is not None:
        version = services.version_update(actor=actor, version=version, definition=definition)
    if release:
        version = services.version_release(actor=actor, version=version)
    return model


@pytest.fixture
def model(editor):
    return make_model(editor, definition=PERSON, release=True)


@pytest.fixture
def guixi_model(guixi_editor):
    return make_model(guixi_editor, code="GX-PEOPLE", department=GUIXI_MZ, definition=PERSON)


def make_meta_table(name="ds_people", department=YUJIANG_MZ, columns=(), primary_key=(), location=DATASTORE):
    """A harvested table written directly: columns are (name, type_family, max_length, nullable, is_pk)."""
    table = MetaTable.objects.create(location=location, name=name, department=Department.objects.get(code=department),
                                     primary_key=list(primary_key))
    for n, (col, family, length, nullable, is_pk) in enumerate(columns, 1):
        MetaColumn.objects.create(table=table, name=col, position=n, data_type=family.upper(), type_family=family,
                                  max_length=length, nullable=nullable, is_primary_key=is_pk)
    return table


@pytest.fixture
def people_table(db):
    return make_meta_table(columns=[
        ("sfzh", "string", 18, False, True), ("xm", "string", 50, False, False), ("xb", "string", 1, True, False),
        ("lxdh", "string", 20, True, False)], primary_key=["sfzh"])

