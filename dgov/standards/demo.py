"""Demo standards (`dgov init --demo`): the demo account `data_centre` (市大数据中心) becomes data governor;
余江区民政局's data administrator `yj_data` has drafted an element (低保家庭人口数); and 余江区民政局 keeps the data
model 城乡低保对象 with two versions — v1 released, v2 a draft adding 更新时间 — whose entity is the aggregation
demo's data-store table (the dataset of 城乡低保对象联系信息（归集演示）).

Like the other demos, rows are written directly in the command line's context (one
`standards.demo.load` audit entry). Running it again creates nothing new."""

from django.db import transaction
from django.utils import timezone

from dgov.accounts.demo import grant_demo_role
from dgov.accounts.models import User
from dgov.core import audit
from dgov.orgs.models import Department
from dgov.standards.models import DataElement, DataModel, ElementEvent, ElementStatus, ModelVersion
from dgov.standards.services import validate_definition

DEMO_DEPARTMENT = "360603909"  # 余江区民政局
DEMO_MODEL_CODE = "YJ-DIBAO"
DEMO_ELEMENT = "YJMZ0001"
DEMO_ENTRY_NAME = "城乡低保对象联系信息（归集演示）"

V1_ATTRIBUTES = [
    {"name": "xm", "label": "姓名", "element": "DE0006", "nullable": False},
    {"name": "sfzh", "label": "公民身份号码", "element": "DE0001", "key": True, "nullable": False},
    {"name": "lxdh", "label": "联系电话", "element": "DE0007"},
    {"name": "jzdz", "label": "居住地址", "element": "DE0011"},
    {"name": "bzlb", "label": "保障类别", "element": "DE0013", "nullable": False},
    {"name": "ybzje", "label": "月保障金额", "element": "DE0012"},
    {"name": "djrq", "label": "登记日期", "element": "DE0009"},
]
V2_ADDED = {"name": "gxsj", "label": "更新时间", "element": "DE0010"}


def demo_table_name() -> str:
    """The data-store table of the aggregation demo's dataset (empty when that demo is not loaded)."""
    from dgov.aggregation.models import Dataset

    dataset = Dataset.objects.filter(entry__name=DEMO_ENTRY_NAME).first()
    return dataset.table_name if dataset else ""


def definition(table: str, *, with_update_time: bool) -> dict:
    attributes = [*V1_ATTRIBUTES, V2_ADDED] if with_update_time else list(V1_ATTRIBUTES)
    return validate_definition({"entities": [{"name": "dibao_person", "label": "城乡低保对象", "table": table,
                                              "attributes": attributes}], "relations": []})


def load_demo() -> dict:
    created = 0
    department = Department.objects.get(code=DEMO_DEPARTMENT)
    centre = User.objects.filter(username="data_centre").first()
    yj_data = User.objects.filter(username="yj_data").first()
    if centre is not None:
        created += grant_demo_role(centre, "data_governor")
    with transaction.atomic():
        if not DataElement.objects.filter(identifier=DEMO_ELEMENT).exists():
            element = DataElement.objects.create(
                identifier=DEMO_ELEMENT, version=1, name="低保家庭人口数", english_name="household size",
                definition="享受最低生活保障的家庭中共同生活的家庭成员人数。", data_type="integer", max_length=2,
                format="n..2", unit="人", department=department, submitted_by=yj_data, is_demo=True,
                status=ElementStatus.DRAFT)
            ElementEvent.objects.create(element=element, action="create", to_status=ElementStatus.DRAFT,
                                        actor=yj_data, note="演示数据")
            created += 1
        model = DataModel.objects.filter(code=DEMO_MODEL_CODE).first()
        if model is None:
            table = demo_table_name()
            model = DataModel.objects.create(
                code=DEMO_MODEL_CODE, name="城乡低保对象", department=department, is_demo=True,
                description="余江区城乡最低生活保障对象的逻辑模型；实体对应市数据平台数据仓中归集演示的表（演示数据）。")
            ModelVersion.objects.create(model=model, number=1, status=ModelVersion.Status.RELEASED,
                                        definition=definition(table, with_update_time=False), note="首版",
                                        created_by=yj_data, released_at=timezone.now())
            ModelVersion.objects.create(model=model, number=2, definition=definition(table, with_update_time=True),
                                        note="增加更新时间", created_by=yj_data)
            created += 1
        if created:
            audit.record("standards.demo.load", audit.Target("standards.datamodel", str(model.pk), "demo"),
                         changes={"created": created})
    return {"created": created, "model": DEMO_MODEL_CODE}
