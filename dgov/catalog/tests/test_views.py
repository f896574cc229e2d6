"""The catalog's pages with the Django test client: login, 403 without the permission, 404 outside
the scope, the list's search, facets and export, the entry form with its data items (errors shown,
nothing written), the life-cycle buttons, the negative list and the classifications, and the import
page."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import load_workbook

from dgov.catalog.importer import COLUMNS
from dgov.catalog.models import CatalogEntry, Classification, DataItem, EntryVersion, NegativeListItem, Status
from dgov.catalog.testing import (
    GUIXI_CIVIL_AFFAIRS,
    YUJIANG_CIVIL_AFFAIRS,
    item,
    make_editor,
    make_entry,
    make_reviewer,
    move,
    negative_list,
)
from dgov.core.testing import audited, signed_in, zh, zh_html
from dgov.orgs.models import Department

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
LIST = "/data/catalog/resources/"
ADD = "/data/catalog/resources/add/"
IMPORT = "/data/catalog/resources/import/"
NEGATIVE = "/data/catalog/negative-list/"
CLASSIFICATIONS = "/data/catalog/classifications/"


def url(entry, suffix: str = "") -> str:
    return f"{LIST}{entry.code}/{suffix}"


def dept(code: str) -> int:
    return Department.objects.get(code=code).pk


def body(response) -> str:
    return response.content.decode()


ITEM_FIELDS = ["name", "data_type", "length", "data_element", "personal_data", "sharing_type", "open_type",
               "description"]


def entry_form(items=None, **overrides) -> dict:
    """The entry form as a browser posts it: the entry's fields and the data-item formset."""
    data = {
        "code": "", "classification": Classification.objects.get(code="307").pk, "name": "余江区婚姻登记信息",
        "department": dept(YUJIANG_CIVIL_AFFAIRS), "region": "", "summary": "结婚、离婚登记的记录。",
        "format": "database", "sharing_type": "conditional", "sharing_conditions": "限政务部门依法履职使用",
        "sharing_method": "api", "open_type": "none", "open_conditions": "", "update_cycle": "daily",
        "data_updated_on": "", "related_codes": "", "source_system": "全国婚姻登记信息系统", "record_count": "",
        "reason": "",
    }
    data.update(overrides)
    rows = items if items is not None else [
        {"name": "登记日期", "data_type": "date"},
        {"name": "男方姓名", "data_type": "string", "length": "50", "personal_data": "personal"},
    ]
    data.update({"items-TOTAL_FORMS": str(len(rows)), "items-INITIAL_FORMS": "0", "items-MIN_NUM_FORMS": "0",
                 "items-MAX_NUM_FORMS": "500"})
    for n, row in enumerate(rows):
        values = {"personal_data": "none", **row}
        for name in [*ITEM_FIELDS, "DELETE"]:
            if name in values:
                data[f"items-{n}-{name}"] = values[name]
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def editor(db):
    return make_editor(YUJIANG_CIVIL_AFFAIRS, "yj_editor")


@pytest.fixture
def guixi_editor(db):
    return make_editor(GUIXI_CIVIL_AFFAIRS, "gx_editor")


@pytest.fixture
def reviewer(db):
    return make_reviewer("reviewer")


@pytest.fixture
def entries(db):
    """A draft of 余江区民政局 on 婚姻登记, and a draft and a published entry of 贵溪市民政局."""
    yj = make_entry(name="余江区婚姻登记信息", summary="结婚登记、离婚登记的记录。",
                    items=[item("登记日期", data_type="date"), item("男方姓名", personal_data="personal")])
    gx_draft = make_entry(name="贵溪市低保对象信息", department_code=GUIXI_CIVIL_AFFAIRS, sharing_type="none",
                          sharing_method="")
    gx_published = make_entry(name="贵溪市社会保险参保信息", department_code=GUIXI_CIVIL_AFFAIRS,
                              status=Status.PUBLISHED, update_cycle="yearly")
    return yj, gx_draft, gx_published


# --- access -----------------------------------------------------------------------------------------

def test_anonymous_users_are_sent_to_login(entries):
    yj, _gx, _pub = entries
    for address in (LIST, url(yj), url(yj, "edit/"), url(yj, "versions/1/"), ADD, IMPORT, NEGATIVE,
                    f"{NEGATIVE}add/", CLASSIFICATIONS):
        response = Client().get(address)
        assert response.status_code == 302 and response["Location"].startswith(LOGIN), address
    response = Client().post(url(yj), {"action": "submit"})
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    assert CatalogEntry.objects.get(pk=yj.pk).status == Status.DRAFT


def test_without_the_permission_every_page_is_403_and_nothing_changes(world, entries):
    yj, _gx, _pub = entries
    for user in (world.official, world.citizen):
        client = signed_in(user)
        for address in (LIST, url(yj), url(yj, "edit/"), url(yj, "versions/1/"), ADD, IMPORT, NEGATIVE,
                        f"{NEGATIVE}add/", CLASSIFICATIONS, f"{LIST}?export=xlsx"):
            assert client.get(address).status_code == 403, (user.username, address)
        assert client.post(url(yj), {"action": "submit"}).status_code == 403
        assert client.post(ADD, entry_form(name="不该写入")).status_code == 403
    assert CatalogEntry.objects.get(pk=yj.pk).status == Status.DRAFT
    assert not CatalogEntry.objects.filter(name="不该写入").exists()
    assert audited(f"web:POST {url(yj)}", outcome="denied", actor_id=world.official.pk)


def test_the_reviewer_may_not_create_or_edit_entries(reviewer, entries):
    yj, _gx, _pub = entries
    client = signed_in(reviewer)
    assert client.get(url(yj)).status_code == 200
    for address in (ADD, url(yj, "edit/"), IMPORT):
        assert client.get(address).status_code == 403, address
    assert client.post(url(yj, "edit/"), entry_form(name="审核员改的")).status_code == 403
    assert CatalogEntry.objects.get(pk=yj.pk).name == "余江区婚姻登记信息"
    # …and has no edit or submit button on the entry's page.
    page = body(client.get(url(yj)))
    assert url(yj, "edit/") not in page and 'value="submit"' not in page
    listing = body(client.get(LIST))
    assert f'href="{ADD}"' not in listing and f'href="{IMPORT}"' not in listing


def test_an_official_sees_their_department_and_the_published_catalog(editor, entries):
    yj, gx_draft, gx_published = entries
    client = signed_in(editor)
    page = client.get(LIST)
    assert page.status_code == 200
    text = body(page)
    assert yj.code in text and gx_published.code in text and gx_draft.code not in text
    assert f'href="{ADD}"' in text and f'href="{IMPORT}"' in text
    assert client.get(url(yj)).status_code == 200
    assert client.get(url(yj, "edit/")).status_code == 200
    assert client.get(url(yj, "versions/1/")).status_code == 200
    # Out of scope: another department's draft is missing, whatever the page.
    for address in (url(gx_draft), url(gx_draft, "edit/"), url(gx_draft, "versions/1/")):
        assert client.get(address).status_code == 404, address
    assert client.post(url(gx_draft), {"action": "submit"}).status_code == 404
    assert CatalogEntry.objects.get(pk=gx_draft.pk).status == Status.DRAFT
    # Another department's published entry can be read, but neither edited nor its history read.
    published = client.get(url(gx_published))
    assert published.status_code == 200
    assert zh_html("Version history") not in body(published)
    assert url(gx_published, "versions/1/") not in body(published)
    assert client.get(url(gx_published, "versions/1/")).status_code == 404
    assert client.get(url(gx_published, "edit/")).status_code == 404


def test_a_department_official_cannot_edit_another_departments_entry(editor, guixi_editor, entries):
    _yj, gx_draft, _pub = entries
    client = signed_in(editor)
    assert client.get(url(gx_draft, "edit/")).status_code == 404
    response = client.post(url(gx_draft, "edit/"), entry_form(name="被余江改掉", department=dept(GUIXI_CIVIL_AFFAIRS)))
    assert response.status_code == 404
    assert CatalogEntry.objects.get(pk=gx_draft.pk).name == "贵溪市低保对象信息"
    assert audited(f"web:POST {url(gx_draft, 'edit/')}", outcome="denied", actor_id=editor.pk)
    # Its own department's editor can.
    own = signed_in(guixi_editor).post(url(gx_draft, "edit/"), entry_form(
        name="贵溪市低保对象信息（更新）", department=dept(GUIXI_CIVIL_AFFAIRS), sharing_type="none",
        sharing_method="", sharing_conditions=""))
    assert own.status_code == 302, body(own)[:3000]
    assert CatalogEntry.objects.get(pk=gx_draft.pk).name == "贵溪市低保对象信息（更新）"


# --- the list: search, facets, export ---------------------------------------------------------------

def test_search_finds_two_character_chinese_queries_and_facets_count_the_results(reviewer, entries):
    yj, gx_draft, gx_published = entries
    client = signed_in(reviewer)
    text = body(client.get(LIST, {"q": "婚姻"}))
    assert yj.code in text and gx_published.code not in text and gx_draft.code not in text
    assert 'value="婚姻"' in text
    text = body(client.get(LIST, {"q": "社保"}))  # 社会保险 holds no 社保: nothing
    assert gx_published.code not in text
    text = body(client.get(LIST, {"q": "参保"}))
    assert gx_published.code in text and yj.code not in text
    # The sidebar: each department with its count, links that add the facet.
    text = body(client.get(LIST))
    guixi = Department.objects.get(code=GUIXI_CIVIL_AFFAIRS)
    assert f"department={GUIXI_CIVIL_AFFAIRS}" in text and guixi.name in text
    assert ">2</span>" in text  # 贵溪市民政局: two entries
    filtered = body(client.get(LIST, {"department": GUIXI_CIVIL_AFFAIRS}))
    assert gx_draft.code in filtered and gx_published.code in filtered and yj.code not in filtered
    assert 'aria-current="true"' in filtered  # the chosen value is marked
    by_status = body(client.get(LIST, {"status": "published"}))
    assert gx_published.code in by_status and gx_draft.code not in by_status
    by_cycle = body(client.get(LIST, {"update_cycle": "yearly", "q": "贵溪"}))
    assert gx_published.code in by_cycle and gx_draft.code not in by_cycle
    # A malformed filter value: a message, no results, no error page.
    bad = client.get(LIST, {"region": "not-a-code"})
    assert bad.status_code == 200 and yj.code not in body(bad)
    # htmx asks for the results alone (facets, table and pages).
    fragment = client.get(LIST, {"q": "婚姻"}, headers={"HX-Request": "true", "HX-Target": "object-table"})
    assert fragment.status_code == 200 and b"<html" not in fragment.content
    assert yj.code.encode() in fragment.content and b"catalog-facets" in fragment.content
    assert "HX-Target" in fragment["Vary"]


def test_the_export_holds_the_filtered_list_and_is_audited(reviewer, entries):
    yj, _gx, gx_published = entries
    response = signed_in(reviewer).get(LIST, {"q": "婚姻", "export": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(load_workbook(io.BytesIO(response.content)).active.values)
    assert rows[0][0] == zh("Resource code")
    assert [r[0] for r in rows[1:]] == [yj.code]
    assert rows[1][1] == "余江区婚姻登记信息"
    entry = audited("catalog.catalogentry.export", actor_id=reviewer.pk)
    assert entry.changes["q"] == "婚姻" and entry.changes["format"] == "xlsx"
    csv_export = signed_in(reviewer).get(LIST, {"status": "published", "export": "csv"})
    assert gx_published.code in csv_export.content.decode("utf-8-sig") and yj.code not in csv_export.content.decode()


def test_the_list_pages(reviewer, entries):
    client = signed_in(reviewer)
    for n in range(30):
        make_entry(name=f"分页测试{n}")
    first = body(client.get(LIST, {"q": "分页"}))
    assert "1 / 2" in first and "page=2" in first
    second = body(client.get(LIST, {"q": "分页", "page": 2}))
    assert "2 / 2" in second


# --- an entry's page and its life cycle ---------------------------------------------------------------

def test_the_entry_page_shows_every_field_the_items_and_the_history(editor, entries):
    yj, _gx, _pub = entries
    page = body(signed_in(editor).get(url(yj)))
    for label in ("Resource code", "Catalog type", "Classification", "Provider department", "Sharing type",
                  "Sharing method", "Open type", "Update cycle", "Summary", "Status", "Version"):
        assert zh_html(label) in page, label
    assert "余江区民政局（360603909）" in page
    assert "登记日期" in page and "男方姓名" in page and zh_html("personal information") in page
    assert zh_html("Version history") in page and url(yj, "versions/1/") in page
    assert f'href="{url(yj, "edit/")}"' in page and 'value="submit"' in page
    for action in ("approve", "reject", "publish", "withdraw", "reopen"):
        assert f'value="{action}"' not in page, action


def test_the_life_cycle_through_the_page(editor, reviewer, entries):
    yj, _gx, _pub = entries
    official, centre = signed_in(editor), signed_in(reviewer)

    response = official.post(url(yj), {"action": "submit"})
    assert response.status_code == 302 and response["Location"] == url(yj)
    assert CatalogEntry.objects.get(pk=yj.pk).status == Status.SUBMITTED
    page = body(official.get(url(yj)))
    assert zh_html("The entry was submitted for review.") in page
    assert f'href="{url(yj, "edit/")}"' not in page and 'value="approve"' not in page
    assert official.post(url(yj), {"action": "approve"}).status_code == 403  # departments do not review
    assert CatalogEntry.objects.get(pk=yj.pk).status == Status.SUBMITTED

    page = body(centre.get(url(yj)))
    assert 'value="approve"' in page and 'value="reject"' in page and 'value="publish"' not in page
    assert centre.post(url(yj), {"action": "approve"}).status_code == 302
    assert centre.post(url(yj), {"action": "publish"}).status_code == 302
    entry = CatalogEntry.objects.get(pk=yj.pk)
    assert entry.status == Status.PUBLISHED and entry.published_on is not None
    assert audited("catalog.catalogentry.publish", actor_id=reviewer.pk)

    # Withdrawing needs a reason: refused, said on the page (in Chinese), nothing changed.
    refused = centre.post(url(yj), {"action": "withdraw", "reason": "  "})
    assert refused.status_code == 422
    assert zh_html("Give the reason.") in body(refused) and 'aria-invalid="true"' in body(refused)
    assert CatalogEntry.objects.get(pk=yj.pk).status == Status.PUBLISHED
    assert audited(f"web:POST {url(yj)}", outcome="failed", actor_id=reviewer.pk)
    assert centre.post(url(yj), {"action": "withdraw", "reason": "数据来源系统停用"}).status_code == 302
    entry = CatalogEntry.objects.get(pk=yj.pk)
    assert entry.status == Status.WITHDRAWN and entry.status_reason == "数据来源系统停用"

    # A step the entry's state does not allow is refused with the reason, not an error page.
    again = centre.post(url(yj), {"action": "publish"})
    assert again.status_code == 422 and zh_html("The action was refused:") in body(again)

    assert official.post(url(yj), {"action": "reopen"}).status_code == 302
    assert CatalogEntry.objects.get(pk=yj.pk).status == Status.DRAFT
    history = body(official.get(url(yj)))
    assert "数据来源系统停用" in history
    versions = list(EntryVersion.objects.filter(entry=yj).order_by("version").values_list("action", flat=True))
    assert versions == ["create", "submit", "approve", "publish", "withdraw", "reopen"]


def test_sending_back_needs_a_reason(reviewer, entries):
    yj, _gx, _pub = entries
    move(yj, Status.SUBMITTED)
    client = signed_in(reviewer)
    assert client.post(url(yj), {"action": "reject"}).status_code == 422
    assert CatalogEntry.objects.get(pk=yj.pk).status == Status.SUBMITTED
    assert client.post(url(yj), {"action": "reject", "reason": "缺少共享条件说明"}).status_code == 302
    entry = CatalogEntry.objects.get(pk=yj.pk)
    assert entry.status == Status.DRAFT and entry.status_reason == "缺少共享条件说明"
    assert client.post(url(yj), {"action": "bogus"}).status_code == 422


def test_a_version_shows_the_entry_as_it_was(editor, entries):
    yj, _gx, _pub = entries
    client = signed_in(editor)
    response = client.post(url(yj, "edit/"), entry_form(name="余江区婚姻登记信息（2024版）", reason="更名"))
    assert response.status_code == 302, body(response)[:3000]
    old = body(client.get(url(yj, "versions/1/")))
    assert "余江区婚姻登记信息" in old and "余江区婚姻登记信息（2024版）" not in old.split("</h1>", 1)[1]
    new = body(client.get(url(yj, "versions/2/")))
    assert "余江区婚姻登记信息（2024版）" in new and "更名" in new
    assert client.get(url(yj, "versions/9/")).status_code == 404


# --- the entry form -----------------------------------------------------------------------------------

def test_create_an_entry_with_its_data_items(editor):
    client = signed_in(editor)
    page = body(client.get(ADD))
    # Only the departments in the official's scope are offered.
    assert f'value="{dept(YUJIANG_CIVIL_AFFAIRS)}"' in page and f'value="{dept(GUIXI_CIVIL_AFFAIRS)}"' not in page
    response = client.post(ADD, entry_form())
    assert response.status_code == 302, body(response)[:3000]
    entry = CatalogEntry.objects.get(name="余江区婚姻登记信息")
    assert response["Location"] == url(entry)
    assert entry.code.startswith("307000000/") and entry.status == Status.DRAFT
    assert entry.region == entry.department.region
    assert list(entry.items.values_list("name", "data_type", "length", "personal_data")) == [
        ("登记日期", "date", None, "none"), ("男方姓名", "string", 50, "personal")]
    assert audited("catalog.catalogentry.create", actor_id=editor.pk)


def test_bad_input_shows_the_errors_and_writes_nothing(editor):
    client = signed_in(editor)
    before = (CatalogEntry.objects.count(), DataItem.objects.count(), EntryVersion.objects.count())
    cases = [
        entry_form(name=""),  # a required field
        entry_form(items=[{"name": "登记日期", "data_type": ""}]),  # an item without its type
        entry_form(items=[]),  # no items at all (the service's rule)
        entry_form(items=[{"name": "姓名", "data_type": "string"}, {"name": "姓名", "data_type": "string"}]),
        entry_form(sharing_conditions=""),  # shared on conditions without the conditions (the service's rule)
        entry_form(code="101001001/000001"),  # a code that does not begin with the classification's
        entry_form(related_codes="307000000/000001, 12345"),
        entry_form(department=dept(GUIXI_CIVIL_AFFAIRS)),  # outside the scope: not a choice
    ]
    for data in cases:
        response = client.post(ADD, data)
        assert response.status_code == 422, data
        assert 'class="error-summary' in body(response), data
    assert (CatalogEntry.objects.count(), DataItem.objects.count(), EntryVersion.objects.count()) == before
    text = body(client.post(ADD, entry_form(sharing_conditions="")))
    assert zh_html("Say on which conditions it is shared.") in text and 'href="#id_sharing_conditions"' in text
    text = body(client.post(ADD, entry_form(items=[])))
    assert zh_html("An entry lists at least one data item.") in text
    text = body(client.post(ADD, entry_form(items=[{"name": "登记日期", "data_type": ""}])))
    assert 'href="#id_items-0-data_type"' in text
    # What was typed is kept.
    assert 'value="余江区婚姻登记信息"' in text and 'value="登记日期"' in text


def test_a_negative_listed_item_marked_shareable_is_refused_in_the_form(editor, entries):
    yj, _gx, _pub = entries
    negative_list(yj.code, "男方身份证号", legal_basis="《婚姻登记条例》第十条")
    client = signed_in(editor)
    rows = [{"name": "登记日期", "data_type": "date"},
            {"name": "男方身份证号", "data_type": "string", "length": "18", "personal_data": "sensitive",
             "sharing_type": "unconditional"}]
    response = client.post(url(yj, "edit/"), entry_form(items=rows))
    assert response.status_code == 422
    text = body(response)
    assert "《婚姻登记条例》第十条" in text and "男方身份证号" in text
    assert zh_html("Please correct the following:") in text
    assert not DataItem.objects.filter(entry=yj, name="男方身份证号").exists()
    assert CatalogEntry.objects.get(pk=yj.pk).version == 1
    assert audited(f"web:POST {url(yj, 'edit/')}", outcome="failed", actor_id=editor.pk)
    # The same item, not shared and not opened, is accepted.
    rows[1]["sharing_type"] = "none"
    ok = client.post(url(yj, "edit/"), entry_form(items=rows))
    assert ok.status_code == 302, body(ok)[:3000]
    assert DataItem.objects.filter(entry=yj, name="男方身份证号", sharing_type="none").exists()


def test_a_negative_listed_resource_cannot_be_shared(editor, entries):
    yj, _gx, _pub = entries
    NegativeListItem.objects.create(resource_code=yj.code, legal_basis="《中华人民共和国保守国家秘密法》")
    response = signed_in(editor).post(url(yj, "edit/"), entry_form())
    assert response.status_code == 422
    assert 'href="#id_sharing_type"' in body(response) and "保守国家秘密法" in body(response)
    assert CatalogEntry.objects.get(pk=yj.pk).sharing_type == "unconditional"


def test_add_and_remove_data_item_rows(editor, entries):
    yj, _gx, _pub = entries
    client = signed_in(editor)
    page = body(client.get(url(yj, "edit/")))
    assert 'name="items-TOTAL_FORMS" value="2"' in page and 'value="男方姓名"' in page
    # "Add a data item": the form again with one more row, nothing checked or written.
    data = entry_form(name="改了但没保存", add_item="1")
    more = client.post(url(yj, "edit/"), data)
    assert more.status_code == 200
    text = body(more)
    assert 'name="items-TOTAL_FORMS" value="3"' in text and 'value="改了但没保存"' in text
    assert "error-summary" not in text
    assert CatalogEntry.objects.get(pk=yj.pk).name == "余江区婚姻登记信息"
    # Removing a row (and an empty row left over) on saving.
    rows = [{"name": "登记日期", "data_type": "date"},
            {"name": "男方姓名", "data_type": "string", "DELETE": "on"},
            {"name": "", "data_type": ""}]
    saved = client.post(url(yj, "edit/"), entry_form(items=rows))
    assert saved.status_code == 302, body(saved)[:3000]
    assert list(DataItem.objects.filter(entry=yj).values_list("name", flat=True)) == ["登记日期"]


def test_only_a_draft_can_be_edited(editor, entries):
    yj, _gx, _pub = entries
    move(yj, Status.SUBMITTED)
    client = signed_in(editor)
    response = client.get(url(yj, "edit/"))
    assert response.status_code == 302 and response["Location"] == url(yj)
    assert client.post(url(yj, "edit/"), entry_form(name="提交后改名")).status_code == 302
    assert CatalogEntry.objects.get(pk=yj.pk).name == "余江区婚姻登记信息"


# --- the negative list and the classifications ------------------------------------------------------

def test_reviewers_keep_the_negative_list(reviewer, editor, entries):
    yj, gx_draft, _pub = entries
    centre = signed_in(reviewer)
    assert centre.get(NEGATIVE).status_code == 200
    response = centre.post(f"{NEGATIVE}add/", {"resource_code": gx_draft.code, "item_name": "",
                                               "legal_basis": "《社会救助暂行办法》", "scope_note": "共享和开放"})
    assert response.status_code == 302, body(response)[:3000]
    listed = NegativeListItem.objects.get(resource_code=gx_draft.code)
    assert audited("catalog.negativelistitem.create", actor_id=reviewer.pk)
    page = body(centre.get(NEGATIVE))
    assert gx_draft.code in page and "《社会救助暂行办法》" in page
    # The list cannot contradict the catalog: a shared resource is refused, with the reason.
    refused = centre.post(f"{NEGATIVE}add/", {"resource_code": yj.code, "item_name": "",
                                              "legal_basis": "测试", "scope_note": ""})
    assert refused.status_code == 422
    assert zh_html("The catalog still shares or opens this; set it to “not shared” and “not opened” first.") in \
        body(refused)
    assert not NegativeListItem.objects.filter(resource_code=yj.code).exists()
    # Departments read it, but do not change it.
    official = signed_in(editor)
    assert official.get(NEGATIVE).status_code == 200
    assert official.get(f"{NEGATIVE}add/").status_code == 403
    assert official.post(f"{NEGATIVE}{listed.pk}/delete/").status_code == 403
    assert centre.post(f"{NEGATIVE}{listed.pk}/delete/").status_code == 302
    assert not NegativeListItem.objects.filter(pk=listed.pk).exists()


def test_the_classifications(editor):
    client = signed_in(editor)
    page = body(client.get(CLASSIFICATIONS))
    assert "101" in page and "人口基础信息资源" in page
    assert client.get(f"{CLASSIFICATIONS}101/").status_code == 200
    assert "人口基础信息资源" in body(client.get(CLASSIFICATIONS, {"q": "人口"}))


def test_the_navigation_lists_the_catalog_pages(editor):
    page = body(signed_in(editor).get("/workbench/data/"))
    for address in (LIST, NEGATIVE, CLASSIFICATIONS):
        assert f'href="{address}"' in page, address


# --- import -----------------------------------------------------------------------------------------

def csv_upload(rows: list[dict], name: str = "catalog.csv") -> SimpleUploadedFile:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.header for c in COLUMNS])
    for row in rows:
        writer.writerow([row.get(c.key, "") for c in COLUMNS])
    return SimpleUploadedFile(name, out.getvalue().encode("utf-8"), content_type="text/csv")


def import_row(name: str, **overrides) -> dict:
    return {"name": name, "classification": "307", "department": YUJIANG_CIVIL_AFFAIRS, "summary": "导入测试",
            "format": "数据库", "sharing_type": "不予共享", "open_type": "不予开放", "update_cycle": "每月",
            "items": "姓名:string:50:个人信息; 登记日期:date", **overrides}


def test_the_import_page(editor, reviewer):
    client = signed_in(editor)
    assert client.get(IMPORT).status_code == 200
    template = client.get(IMPORT, {"template": 1})
    assert template.status_code == 200 and template["Content-Type"].startswith("application/vnd.openxmlformats")
    assert [c.value for c in load_workbook(io.BytesIO(template.content)).active[1]][:2] == ["资源代码", "资源名称"]

    # Errors by row and column; nothing written.
    bad = client.post(IMPORT, {"file": csv_upload([import_row("导入一"), import_row("导入二", department="999")]),
                               "dry_run": "on"})
    assert bad.status_code == 422
    text = body(bad)
    assert "<td>3</td>" in text and "<td>提供方部门代码</td>" in text
    assert not CatalogEntry.objects.filter(name__startswith="导入").exists()

    # A dry run of a good file: valid, nothing written.
    dry = client.post(IMPORT, {"file": csv_upload([import_row("导入一"), import_row("导入二")]), "dry_run": "on"})
    assert dry.status_code == 200 and "alert-success" in body(dry)
    assert not CatalogEntry.objects.filter(name__startswith="导入").exists()

    # For real.
    done = client.post(IMPORT, {"file": csv_upload([import_row("导入一"), import_row("导入二")])})
    assert done.status_code == 302 and done["Location"] == LIST
    assert CatalogEntry.objects.filter(name__startswith="导入").count() == 2

    # No file: the form says so.
    assert client.post(IMPORT, {"dry_run": "on"}).status_code == 422
    # Reviewers do not add entries.
    assert signed_in(reviewer).post(IMPORT, {"file": csv_upload([import_row("导入三")])}).status_code == 403
    assert not CatalogEntry.objects.filter(name="导入三").exists()
