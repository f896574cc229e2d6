"""Spreadsheet import and export of implementation lists: the export round-trips unchanged, changes become
versions, new base codes create items, every row of both sheets is checked before anything is written (errors
by sheet, row and column), dry runs write nothing, .csv with a second materials file, scope."""

import csv
import io

import pytest
from openpyxl import load_workbook

from dgov.core.errors import PermissionDenied
from dgov.core.importexport import ImportFileError
from dgov.services import importer
from dgov.services.models import Implementation, ImplementationVersion, ServiceItem
from dgov.services.testing import (
    GUIXI_CIVIL,
    YUJIANG_CIVIL,
    YUJIANG_HRSS,
    code_for,
    give_credit_codes,
    make_implementation,
    make_item,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def listed(world):
    item = make_item()
    return [make_implementation(world.admin, YUJIANG_CIVIL, item,
                                fees=[{"name": "工本费", "amount": "9", "basis": "发改价格〔2003〕2322号"}]),
            make_implementation(world.admin, GUIXI_CIVIL, item, publish=False, online_apply=False, form={},
                                materials=[])]


def workbook(data: bytes):
    return load_workbook(io.BytesIO(data))


def to_bytes(wb) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def run(actor, data: bytes, *, dry_run=False, name="list.xlsx", **kw):
    return importer.import_items(io.BytesIO(data), actor=actor, dry_run=dry_run, filename=name, **kw)


def column(ws, header: str) -> int:
    return [c.value for c in ws[1]].index(header) + 1


def test_the_export_has_both_sheets_and_round_trips(world, listed):
    data = importer.export_items(Implementation.objects.all())
    wb = workbook(data)
    assert wb.sheetnames == ["实施清单", "申请材料"]
    impl_ws, material_ws = wb["实施清单"], wb["申请材料"]
    assert impl_ws.max_row == 3 and material_ws.max_row == 3  # two materials of the first implementation
    row = {impl_ws.cell(1, c).value: impl_ws.cell(2, c).value for c in range(1, impl_ws.max_column + 1)}
    assert row["实施编码"] == listed[0].code and row["事项类型"] == "行政确认" and row["办件类型"] == "即办件"
    assert row["收费"] == "工本费|9.00|发改价格〔2003〕2322号" and row["可网上申请"] == "是"
    assert row["主题"] == "person-marriage"
    result = run(world.admin, data)
    assert result.ok and result.committed, result.errors
    assert (result.created, result.updated, result.unchanged) == (0, 0, 2)
    assert ImplementationVersion.objects.count() == 3  # create + publish, create: nothing new


def test_changes_become_new_versions_and_materials_are_replaced(world, listed):
    wb = workbook(importer.export_items(Implementation.objects.all()))
    impl_ws, material_ws = wb["实施清单"], wb["申请材料"]
    impl_ws.cell(2, column(impl_ws, "办理地点")).value = "余江区政务服务中心二楼"
    material_ws.cell(3, column(material_ws, "材料名称")).value = "本人无配偶声明"
    material_ws.append([listed[1].code, "居民身份证", "是", "纸质原件", 1, "政府部门核发", "", ""])
    result = run(world.admin, to_bytes(wb))
    assert result.ok, result.errors
    assert (result.created, result.updated, result.unchanged) == (0, 2, 0)
    first, second = (Implementation.objects.get(pk=i.pk) for i in listed)
    assert first.place == "余江区政务服务中心二楼" and first.version == 3 and first.status == "published"
    assert list(first.materials.values_list("name", flat=True)) == ["居民身份证", "本人无配偶声明"]
    assert list(second.materials.values_list("name", flat=True)) == ["居民身份证"]
    assert second.materials.get().form == "original" and second.materials.get().source == "government"


def test_new_rows_create_items_and_drafts(world, listed):
    give_credit_codes(YUJIANG_HRSS)
    wb = workbook(importer.template_xlsx())
    impl_ws, material_ws = wb["实施清单"], wb["申请材料"]
    headers = [c.value for c in impl_ws[1]]
    item = ServiceItem(base_code="362000001000")
    code = code_for(YUJIANG_HRSS, item)
    values = {"实施编码": code, "基本编码": "362000001000", "基本目录事项名称": "城乡居民基本养老保险参保登记",
              "事项类型": "公共服务", "设定依据": "《中华人民共和国社会保险法》第二十条", "实施部门代码": YUJIANG_HRSS,
              "服务对象": "自然人", "办件类型": "承诺件", "法定办结时限": 20, "承诺办结时限": 5,
              "承诺时限单位": "工作日",
              "网上办理深度": "四级", "办理流程": "受理|0|窗口受理\n审核|5|", "办理结果类型": "其他",
              "办理结果名称": "参保登记", "可网上申请": "否", "主题": "person-social-security、就业创业"}
    impl_ws.append([values.get(h, "") for h in headers])
    material_ws.append([code, "居民身份证", "是", "电子", 1, "政府部门核发", "", "实名认证核验"])
    data = to_bytes(wb)
    dry = run(world.admin, data, dry_run=True)
    assert dry.ok and not dry.committed, dry.errors
    assert not Implementation.objects.filter(code=code).exists() and not ServiceItem.objects.filter(
        base_code="362000001000").exists()
    result = run(world.admin, data)
    assert result.ok and (result.created, result.items_created) == (1, 1), result.errors
    impl = Implementation.objects.get(code=code)
    assert impl.status == "draft" and impl.case_kind == "promised" and impl.promised_limit == 5
    assert impl.process_steps == [{"name": "受理", "description": "窗口受理", "limit": 0},
                                  {"name": "审核", "description": "", "limit": 5}]
    assert impl.item.item_type == "20" and impl.online_depth == 4
    assert set(impl.themes.values_list("code", flat=True)) == {"person-social-security", "person-employment"}
    assert impl.materials.get().notes == "实名认证核验"


def test_every_row_is_checked_before_anything_is_written(world, listed):
    wb = workbook(importer.export_items(Implementation.objects.all()))
    impl_ws, material_ws = wb["实施清单"], wb["申请材料"]
    impl_ws.cell(2, column(impl_ws, "办理地点")).value = "新地点"  # a good change, not written
    impl_ws.cell(3, column(impl_ws, "办件类型")).value = "加急件"
    impl_ws.cell(3, column(impl_ws, "法定办结时限")).value = "三天"
    material_ws.cell(2, column(material_ws, "材料形式")).value = "传真"
    material_ws.append(["11360000000000000X4360007001000", "照片"])
    impl_ws.append([impl_ws.cell(2, c).value for c in range(1, impl_ws.max_column + 1)])  # a duplicate code
    result = run(world.admin, to_bytes(wb))
    assert not result.ok and not result.committed
    found = {(e.sheet, e.row, e.column) for e in result.errors}
    assert ("实施清单", 3, "办件类型") in found and ("实施清单", 3, "法定办结时限") in found
    assert ("申请材料", 2, "材料形式") in found and ("申请材料", 4, "实施编码") in found
    assert ("实施清单", 4, "实施编码") in found
    assert Implementation.objects.get(pk=listed[0].pk).place == "婚姻登记处"


def test_scope_and_permission(world, listed):
    data = importer.export_items(Implementation.objects.all())
    result = run(world.yujiang_admin, data)
    assert not result.ok and {e.row for e in result.errors} == {3}  # the 贵溪 row
    with pytest.raises(PermissionDenied):
        run(world.official, data)


def test_csv_with_a_materials_file(world, listed):
    wb = workbook(importer.export_items(Implementation.objects.filter(pk=listed[0].pk)))

    def as_csv(ws) -> bytes:
        out = io.StringIO()
        writer = csv.writer(out)
        for row in ws.iter_rows(values_only=True):
            writer.writerow(["" if v is None else v for v in row])
        return out.getvalue().encode("utf-8-sig")

    impl_csv, material_csv = as_csv(wb["实施清单"]), as_csv(wb["申请材料"])
    result = run(world.admin, impl_csv, name="list.csv", materials_file=io.BytesIO(material_csv),
                 materials_filename="materials.csv")
    assert result.ok and result.unchanged == 1 and result.materials == 2, result.errors
    alone = run(world.admin, impl_csv, name="list.csv")  # no materials: they stay
    assert alone.ok and alone.unchanged == 1
    assert Implementation.objects.get(pk=listed[0].pk).materials.count() == 2


def test_bad_files(world):
    with pytest.raises(ImportFileError):
        run(world.admin, b"not a workbook")
    with pytest.raises(ImportFileError):
        run(world.admin, b"x", name="list.pdf")
    wb = workbook(importer.template_xlsx())
    wb["实施清单"].cell(1, 1).value = "不存在的列"
    result = run(world.admin, to_bytes(wb))
    assert {(e.sheet, e.column) for e in result.errors} >= {("实施清单", "不存在的列"), ("实施清单", "实施编码")}
