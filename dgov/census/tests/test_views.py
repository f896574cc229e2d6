"""The census pages: the campaign list with its completion rates, a campaign's progress page and
its export, the centre's actions (assign, open, close), an assignment's page with the pre-filled
template, the upload (errors by row and column in Chinese, nothing written), the history, and the
review; scope and permissions as everywhere."""

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from dgov.catalog.importer import COLUMNS
from dgov.catalog.models import CatalogEntry
from dgov.catalog.testing import GUIXI_CIVIL_AFFAIRS, YUJIANG_CIVIL_AFFAIRS, make_editor, make_entry, make_reviewer
from dgov.census.models import CampaignState, CensusAssignment, CensusCampaign
from dgov.census.testing import make_campaign, template_rows, xlsx
from dgov.core.testing import audited, signed_in, zh

pytestmark = pytest.mark.django_db
HEADERS = [c.header for c in COLUMNS]
LIST = "/data/catalog/census/"


@pytest.fixture
def cast(db):
    reviewer = make_reviewer("census_reviewer")
    editor = make_editor(YUJIANG_CIVIL_AFFAIRS, "census_editor")
    draft = make_entry(name="低保救助对象信息")
    campaign = make_campaign(actor=reviewer)
    return {"reviewer": reviewer, "editor": editor, "campaign": campaign, "draft": draft,
            "mine": campaign.assignments.get(department__code=YUJIANG_CIVIL_AFFAIRS),
            "theirs": campaign.assignments.get(department__code=GUIXI_CIVIL_AFFAIRS)}


def page(assignment) -> str:
    return f"{LIST}assignments/{assignment.pk}/"


def test_the_campaign_list_shows_completion_and_exports(cast):
    client = signed_in(cast["reviewer"])
    response = client.get(LIST)
    assert response.status_code == 200
    html = response.content.decode()
    assert "2026年度数据资源普查" in html and 'value="0.0"' in html
    assert zh("Data resource census") in html
    export = client.get(LIST + "?export=xlsx")
    rows = list(load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True))
    assert rows[1][1] == "2026年度数据资源普查" and rows[1][5] == "2" and rows[1][8] == "0.0%"
    assert audited("census.censuscampaign.export") is not None


def test_departments_see_neither_drafts_nor_other_departments(cast, world):
    draft = make_campaign(actor=cast["reviewer"], state=CampaignState.DRAFT, name="草稿普查")
    client = signed_in(cast["editor"])
    assert "草稿普查" not in client.get(LIST).content.decode()
    assert client.get(f"{LIST}{draft.pk}/").status_code == 404
    assert client.get(page(cast["theirs"])).status_code == 404
    assert client.get(f"{LIST}add/").status_code == 403
    assert signed_in(world.official).get(LIST).status_code == 403
    html = client.get(f"{LIST}{cast['campaign'].pk}/").content.decode()
    assert "余江区民政局" in html and "贵溪市民政局" not in html
    listed = client.get(f"{LIST}assignments/").content.decode()
    assert "余江区民政局" in listed and "贵溪市民政局" not in listed and "草稿普查" not in listed


def test_the_centre_creates_assigns_and_opens_a_campaign(cast):
    client = signed_in(cast["reviewer"])
    response = client.post(f"{LIST}add/", {"year": 2027, "name": "2027年度数据资源普查", "opens_on": "2027-03-01",
                                           "due_on": "2027-02-01", "instructions": ""})
    assert response.status_code == 422 and zh("The due date cannot be before the opening date.") in \
        response.content.decode()
    response = client.post(f"{LIST}add/", {"year": 2027, "name": "2027年度数据资源普查", "opens_on": "2027-03-01",
                                           "due_on": "2027-05-31", "instructions": "按期完成"})
    campaign = CensusCampaign.objects.get(year=2027)
    assert response.status_code == 302 and campaign.created_by == cast["reviewer"]
    url = f"{LIST}{campaign.pk}/"
    response = client.post(url, {"action": "assign", "department_codes": "999999999"}, follow=True)
    assert "999999999" in response.content.decode() and campaign.assignments.count() == 0
    client.post(url, {"action": "assign", "department_codes": f"{YUJIANG_CIVIL_AFFAIRS}, 360600007",
                      "under": "", "region_code": "360681"})
    assert campaign.assignments.filter(department__code=GUIXI_CIVIL_AFFAIRS).exists()
    assert campaign.assignments.filter(department__code="360600007").exists()
    client.post(url, {"action": "open"})
    campaign.refresh_from_db()
    assert campaign.state == "open"
    response = client.post(url, {"action": "open"}, follow=True)
    assert zh("Only a draft campaign can be opened; this one is “%(state)s”.") % {"state": zh("in progress")} in \
        response.content.decode()
    assert signed_in(cast["editor"]).post(url, {"action": "close"}).status_code == 403
    client.post(url, {"action": "close"})
    html = client.get(url).content.decode()
    assert "census-reopen" in html and zh("Reopen the campaign") in html
    response = client.post(url, {"action": "reopen", "due_on": ""})
    assert response.status_code == 422 and "census-reopen" in response.content.decode()
    client.post(url, {"action": "reopen", "due_on": "2099-12-31"})
    campaign.refresh_from_db()
    assert (campaign.state, str(campaign.due_on)) == ("open", "2099-12-31")


def test_upload_errors_by_row_and_column_in_chinese_then_submit(cast):
    client = signed_in(cast["editor"])
    html = client.get(page(cast["mine"])).content.decode()
    assert zh("Download the pre-filled template") in html
    template = client.get(page(cast["mine"]) + "?template=1")
    rows = [list(r) for r in load_workbook(io.BytesIO(template.content)).active.iter_rows(values_only=True)]
    assert rows[1][1] == "低保救助对象信息"
    rows[1][HEADERS.index("更新周期")] = "每十年"
    upload = SimpleUploadedFile("普查.xlsx", xlsx(rows))
    response = client.post(page(cast["mine"]), {"action": "upload", "file": upload})
    assert response.status_code == 422
    html = response.content.decode()
    assert "census-upload-errors" in html and "<td>2</td><td>更新周期</td>" in html and "每十年" in html
    assert CensusAssignment.objects.get(pk=cast["mine"].pk).state == "assigned"

    rows[1][HEADERS.index("更新周期")] = "每月"
    rows.append(["", "余江区临时救助信息", "307", YUJIANG_CIVIL_AFFAIRS, "临时救助对象。", "电子表格", "不予共享", "",
                 "", "不予开放", "", "每月", None, None, "", "", None, "姓名:string:50"])
    response = client.post(page(cast["mine"]), {"action": "upload", "file": SimpleUploadedFile("a.xlsx", xlsx(rows)),
                                                "dry_run": "on"})
    assert response.status_code == 200 and CatalogEntry.objects.filter(name="余江区临时救助信息").count() == 0
    response = client.post(page(cast["mine"]), {"action": "upload", "file": SimpleUploadedFile("a.xlsx", xlsx(rows))})
    assert response.status_code == 302
    mine = CensusAssignment.objects.get(pk=cast["mine"].pk)
    assert (mine.state, mine.created, mine.confirmed) == ("submitted", 1, 1)
    html = client.get(page(mine)).content.decode()
    assert html.count("a.xlsx") == 2 and html.count("普查.xlsx") == 1  # the upload history


def test_the_page_lists_the_entries_in_force_the_file_leaves_out(cast):
    published = make_entry(name="婚姻登记信息", status="published")
    client = signed_in(cast["editor"])
    rows = [r for r in template_rows(cast["mine"]) if r[0] != published.code]
    response = client.post(page(cast["mine"]), {"action": "upload", "dry_run": "on",
                                                "file": SimpleUploadedFile("少一行.xlsx", xlsx(rows))})
    assert response.status_code == 200
    html = response.content.decode()
    assert "census-left-out" in html and published.code in html and "婚姻登记信息" in html
    assert zh("The census confirms what the department holds: withdraw the entries whose data no longer exists, "
              "or put their rows back in the file.") in html
    client.post(page(cast["mine"]), {"action": "upload", "file": SimpleUploadedFile("少一行.xlsx", xlsx(rows))})
    assert published.code in client.get(page(cast["mine"])).content.decode()  # the submitted file's, kept
    whole = SimpleUploadedFile("全部.xlsx", xlsx(template_rows(cast["mine"])))
    html = client.post(page(cast["mine"]), {"action": "upload", "dry_run": "on", "file": whole}).content.decode()
    assert "census-left-out" not in html


def test_the_centre_returns_with_a_reason_and_accepts(cast):
    mine = cast["mine"]
    signed_in(cast["editor"]).post(page(mine), {"action": "upload",
                                                "file": SimpleUploadedFile("a.xlsx", xlsx(template_rows(mine)))})
    client = signed_in(cast["reviewer"])
    assert zh("Review the submission") in client.get(page(mine)).content.decode()
    response = client.post(page(mine), {"action": "return", "reason": ""})
    assert response.status_code == 422
    client.post(page(mine), {"action": "return", "reason": "请补充社会救助类资源"})
    mine.refresh_from_db()
    assert mine.state == "returned"
    assert "请补充社会救助类资源" in signed_in(cast["editor"]).get(page(mine)).content.decode()
    assert signed_in(cast["editor"]).post(page(mine), {"action": "accept"}).status_code == 403


def test_progress_page_filters_flags_overdue_and_exports(cast):
    CensusCampaign.objects.filter(pk=cast["campaign"].pk).update(due_on=dt.date(2026, 3, 2))
    client = signed_in(cast["reviewer"])
    url = f"{LIST}{cast['campaign'].pk}/"
    html = client.get(url + "?overdue=1").content.decode()
    assert "贵溪市民政局" in html and "余江区民政局" in html
    assert client.get(url + "?state=submitted").content.decode().count("民政局</a>") == 0
    export = client.get(url + "?export=xlsx&state=assigned")
    rows = list(load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True))
    assert len(rows) == 3 and rows[1][4] == zh("yes")
    assert client.get(f"{LIST}assignments/?export=xlsx").status_code == 200
