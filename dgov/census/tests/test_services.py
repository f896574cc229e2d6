"""Census services: campaigns and their life cycle, assignment by code, unit and region, the
opening's notifications, uploads (all rows checked, nothing written unless all pass, the history
kept), submission, acceptance and return, progress and overdue flags."""

import datetime as dt

import pytest
from django.utils import translation

from dgov.catalog.importer import COLUMNS
from dgov.catalog.models import CatalogEntry, EntryVersion
from dgov.catalog.testing import GUIXI_CIVIL_AFFAIRS, YUJIANG_CIVIL_AFFAIRS, make_editor, make_entry, make_reviewer
from dgov.census import selectors, services
from dgov.census.models import CampaignState, CensusAssignment, CensusCampaign, CensusUpload
from dgov.census.testing import make_campaign, template_rows, xlsx
from dgov.core.errors import Conflict, PermissionDenied, ValidationError
from dgov.core.testing import audited
from dgov.crypto.primitives import sm3
from dgov.notifications.models import OutboxMessage

pytestmark = pytest.mark.django_db
HEADERS = [c.header for c in COLUMNS]


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def new_row(name="余江区临时救助信息", department=YUJIANG_CIVIL_AFFAIRS, **cells) -> list:
    values = {"资源名称": name, "分类代码": "307", "提供方部门代码": department, "摘要": "临时救助对象及救助金额。",
              "资源格式": "电子表格", "共享类型": "有条件共享", "共享条件": "限民政部门使用", "共享方式": "文件",
              "开放类型": "不予开放", "更新周期": "每月", "信息项": "姓名:string:50:个人信息; 救助金额:decimal",
              **cells}
    return [values.get(h, "") for h in HEADERS]


@pytest.fixture
def setup(db):
    reviewer = make_reviewer()
    editor = make_editor(YUJIANG_CIVIL_AFFAIRS)
    guixi_editor = make_editor(GUIXI_CIVIL_AFFAIRS)
    draft = make_entry(name="低保救助对象信息")
    published = make_entry(name="婚姻登记信息", status="published")
    campaign = make_campaign(actor=reviewer)
    mine = campaign.assignments.get(department__code=YUJIANG_CIVIL_AFFAIRS)
    return {"reviewer": reviewer, "editor": editor, "guixi_editor": guixi_editor, "draft": draft,
            "published": published, "campaign": campaign, "mine": mine,
            "theirs": campaign.assignments.get(department__code=GUIXI_CIVIL_AFFAIRS)}


def test_opening_counts_entries_and_notifies_the_departments_editors(setup):
    assert setup["mine"].entries_before == 2 and setup["theirs"].entries_before == 0
    messages = OutboxMessage.objects.filter(subject__contains="2026年度数据资源普查")
    assert {m.user for m in messages} == {setup["editor"], setup["guixi_editor"]}
    assert messages.first().channel == "in_app"
    assert audited("census.censuscampaign.open").actor_id == setup["reviewer"].pk


def test_the_campaign_life_cycle(setup):
    reviewer = setup["reviewer"]
    draft = make_campaign(actor=reviewer, departments=(), state=CampaignState.DRAFT, name="补充普查")
    with pytest.raises(ValidationError) as exc:
        services.open_campaign(actor=reviewer, campaign=draft)
    assert "assignments" in exc.value.details
    with pytest.raises(Conflict):
        services.close_campaign(actor=reviewer, campaign=draft)
    campaign = services.close_campaign(actor=reviewer, campaign=setup["campaign"])
    assert campaign.state == "closed"
    campaign.name = "改名"
    with pytest.raises(Conflict):
        services.campaign_save(actor=reviewer, campaign=campaign)
    with pytest.raises(Conflict):
        services.open_campaign(actor=reviewer, campaign=campaign)
    with pytest.raises(PermissionDenied):
        services.campaign_save(actor=setup["editor"], campaign=CensusCampaign(
            year=2027, name="x", opens_on=dt.date(2027, 1, 1), due_on=dt.date(2027, 2, 1)))


def test_a_closed_campaign_reopens_until_a_new_due_date_and_tells_the_departments_still_missing(setup):
    reviewer, campaign = setup["reviewer"], setup["campaign"]
    services.upload(actor=setup["editor"], assignment=setup["mine"], data=xlsx(template_rows(setup["mine"])),
                    filename="a.xlsx", dry_run=False)
    services.close_campaign(actor=reviewer, campaign=campaign)
    with pytest.raises(ValidationError) as exc:
        services.reopen_campaign(actor=reviewer, campaign=campaign, due_on=dt.date(2000, 1, 1))
    assert "due_on" in exc.value.details
    with pytest.raises(PermissionDenied):
        services.reopen_campaign(actor=setup["editor"], campaign=campaign, due_on=dt.date(2099, 12, 31))
    sent = OutboxMessage.objects.count()
    campaign = services.reopen_campaign(actor=reviewer, campaign=campaign, due_on=dt.date(2099, 12, 31))
    assert (campaign.state, campaign.due_on) == ("open", dt.date(2099, 12, 31))
    entry = audited("census.censuscampaign.reopen")
    assert entry.changes["state"] == ["closed", "open"] and entry.changes["due_on"][1] == "2099-12-31"
    # 余江 has submitted: only 贵溪's editor is told of the new date
    told = list(OutboxMessage.objects.order_by("pk")[sent:])
    assert [m.recipient for m in told] == [setup["guixi_editor"].username] and "2099-12-31" in told[0].body
    with pytest.raises(Conflict):
        services.reopen_campaign(actor=reviewer, campaign=campaign, due_on=dt.date(2099, 12, 31))


def test_due_date_before_opening_is_refused(setup):
    with pytest.raises(ValidationError) as exc:
        services.campaign_save(actor=setup["reviewer"], campaign=CensusCampaign(
            year=2027, name="x", opens_on=dt.date(2027, 3, 1), due_on=dt.date(2027, 2, 1)))
    assert "due date" in str(exc.value.details)


def test_departments_by_code_unit_and_region():
    by_unit = services.departments_to_assign(under="360603000")
    assert YUJIANG_CIVIL_AFFAIRS in [d.code for d in by_unit] and "360603000" not in [d.code for d in by_unit]
    assert all(d.region.code.startswith("360603") for d in by_unit)
    by_region = services.departments_to_assign(region_code="360681")
    assert GUIXI_CIVIL_AFFAIRS in [d.code for d in by_region]
    assert [d.code for d in services.departments_to_assign(codes=["360600007", " 360600007"])] == ["360600007"]
    with pytest.raises(ValidationError) as exc:
        services.departments_to_assign(codes=["999"], under="888", region_code="123456")
    assert set(exc.value.details) == {"department_codes", "under", "region_code"}
    with pytest.raises(ValidationError):
        services.departments_to_assign()


def test_assigning_to_an_open_campaign_starts_and_notifies_the_new_ones_only(setup):
    campaign, reviewer = setup["campaign"], setup["reviewer"]
    before = OutboxMessage.objects.count()
    new = services.assign(actor=reviewer, campaign=campaign, departments=services.departments_to_assign(
        codes=[YUJIANG_CIVIL_AFFAIRS, "360600007"]))
    assert [a.department.code for a in new] == ["360600007"]
    assert new[0].entries_before == 0
    assert OutboxMessage.objects.count() == before  # 360600007 has no editor here
    assert campaign.assignments.count() == 3


def test_upload_unchanged_template_confirms_and_submits(setup):
    mine, editor = setup["mine"], setup["editor"]
    data = xlsx(template_rows(mine))
    versions = EntryVersion.objects.count()
    upload = services.upload(actor=editor, assignment=mine, data=data, filename="普查.xlsx", dry_run=False)
    assert upload.ok and (upload.created_count, upload.updated_count, upload.unchanged_count) == (0, 0, 2)
    assert upload.digest == sm3(data).hex() and upload.size == len(data) and upload.uploaded_by == editor
    assert EntryVersion.objects.count() == versions
    mine.refresh_from_db()
    assert mine.state == "submitted" and mine.confirmed == 2 and mine.entries_after == 2
    assert mine.submitted_by == editor and mine.submitted_at is not None
    assert audited("census.censusassignment.submit").object_id == str(mine.pk)


def test_upload_with_a_bad_row_writes_nothing_keeps_the_errors_then_the_fixed_file_submits(setup):
    mine, editor = setup["mine"], setup["editor"]
    rows = template_rows(mine)
    draft_row = next(r for r in rows if r[0] == setup["draft"].code)
    draft_row[HEADERS.index("记录数")] = 42
    rows += [new_row(), new_row(name="贵溪的资源", department=GUIXI_CIVIL_AFFAIRS), new_row(name="", 更新周期="每十年")]
    upload = services.upload(actor=editor, assignment=mine, data=xlsx(rows), filename="普查.xlsx", dry_run=False)

    assert upload.ok is False
    assert [(e["row"], e["column"]) for e in upload.errors] == [(5, "提供方部门代码"), (6, "资源名称"), (6, "更新周期")]
    assert CatalogEntry.objects.filter(department__code=YUJIANG_CIVIL_AFFAIRS).count() == 2
    assert CatalogEntry.objects.get(pk=setup["draft"].pk).record_count != 42
    mine.refresh_from_db()
    assert mine.state == "assigned"

    rows = rows[:-2]
    dry = services.upload(actor=editor, assignment=mine, data=xlsx(rows), filename="普查.xlsx", dry_run=True)
    assert dry.ok and dry.dry_run and (dry.created_count, dry.updated_count, dry.unchanged_count) == (1, 1, 1)
    mine.refresh_from_db()
    assert mine.state == "assigned" and CatalogEntry.objects.filter(department=mine.department).count() == 2

    done = services.upload(actor=editor, assignment=mine, data=xlsx(rows), filename="普查.xlsx", dry_run=False)
    assert done.ok
    mine.refresh_from_db()
    assert (mine.state, mine.created, mine.updated, mine.confirmed, mine.entries_after) == ("submitted", 1, 1, 1, 3)
    assert CatalogEntry.objects.get(pk=setup["draft"].pk).record_count == 42
    assert list(selectors.uploads(editor, mine)) == [done, dry, upload]


def test_an_upload_names_the_entries_in_force_it_leaves_out(setup):
    """A file without the rows of some of the department's entries still passes (the census
    confirms what is there), but names the entries in force it left out; withdrawn ones are not."""
    mine, editor = setup["mine"], setup["editor"]
    withdrawn = make_entry(name="已撤销的资源", status="withdrawn")
    rows = [r for r in template_rows(mine) if r[0] != setup["published"].code]
    rows = [r for r in rows if r[0] != withdrawn.code]
    dry = services.upload(actor=editor, assignment=mine, data=xlsx(rows), filename="普查.xlsx", dry_run=True)
    assert dry.ok and dry.not_in_file == [setup["published"].code]
    assert [e.code for e in selectors.left_out(editor, dry)] == [setup["published"].code]
    assert audited("census.censusupload.create").changes["not_in_file"] == 1

    whole = services.upload(actor=editor, assignment=mine, data=xlsx(template_rows(mine)), filename="全部.xlsx",
                            dry_run=True)
    assert whole.ok and whole.not_in_file == [] and selectors.left_out(editor, whole) == []
    # another department's reader sees none of them
    assert selectors.left_out(setup["guixi_editor"], dry) == []


def test_uploads_are_refused_out_of_scope_when_closed_or_accepted(setup):
    data = xlsx(template_rows(setup["theirs"]))
    with pytest.raises(PermissionDenied):
        services.upload(actor=setup["editor"], assignment=setup["theirs"], data=data, filename="a.xlsx",
                        dry_run=True)
    with pytest.raises(PermissionDenied):
        services.upload(actor=setup["reviewer"], assignment=setup["mine"], data=data, filename="a.xlsx",
                        dry_run=True)
    mine = setup["mine"]
    services.upload(actor=setup["editor"], assignment=mine, data=xlsx(template_rows(mine)), filename="a.xlsx",
                    dry_run=False)
    services.review(actor=setup["reviewer"], assignment=mine, action="accept")
    with pytest.raises(Conflict):
        services.upload(actor=setup["editor"], assignment=mine, data=data, filename="a.xlsx", dry_run=True)
    services.close_campaign(actor=setup["reviewer"], campaign=setup["campaign"])
    with pytest.raises(Conflict):
        services.upload(actor=setup["guixi_editor"], assignment=setup["theirs"], data=data, filename="a.xlsx",
                        dry_run=True)
    assert CensusUpload.objects.filter(assignment=setup["theirs"]).count() == 0


def test_return_needs_a_reason_notifies_and_allows_a_new_upload(setup):
    mine, reviewer, editor = setup["mine"], setup["reviewer"], setup["editor"]
    with pytest.raises(Conflict):
        services.review(actor=reviewer, assignment=mine, action="accept")
    services.upload(actor=editor, assignment=mine, data=xlsx(template_rows(mine)), filename="a.xlsx", dry_run=False)
    with pytest.raises(PermissionDenied):
        services.review(actor=editor, assignment=mine, action="accept")
    with pytest.raises(ValidationError):
        services.review(actor=reviewer, assignment=mine, action="return", reason=" ")
    services.review(actor=reviewer, assignment=mine, action="return", reason="缺少社会救助类资源")
    mine.refresh_from_db()
    assert mine.state == "returned" and mine.return_reason == "缺少社会救助类资源" and mine.reviewed_by == reviewer
    assert OutboxMessage.objects.filter(user=editor, subject__startswith="Census returned").exists()
    services.upload(actor=editor, assignment=mine, data=xlsx(template_rows(mine) + [new_row()]), filename="a.xlsx",
                    dry_run=False)
    mine.refresh_from_db()
    assert mine.state == "submitted" and mine.return_reason == "" and mine.created == 1


def test_progress_overdue_and_scope(setup):
    campaign, mine = setup["campaign"], setup["mine"]
    services.upload(actor=setup["editor"], assignment=mine, data=xlsx(template_rows(mine)), filename="a.xlsx",
                    dry_run=False)
    progress = selectors.progress(setup["reviewer"], campaign)
    assert (progress["assigned"], progress["done"], progress["rate"], progress["overdue"]) == (2, 1, 50.0, 0)
    assert progress["by_state"] == {"assigned": 1, "submitted": 1, "accepted": 0, "returned": 0}
    assert selectors.progress(setup["editor"], campaign)["assigned"] == 1  # their own only
    CensusCampaign.objects.filter(pk=campaign.pk).update(due_on=dt.date(2026, 3, 2))
    campaign.refresh_from_db()
    assert selectors.progress(setup["reviewer"], campaign)["overdue"] == 1
    theirs = CensusAssignment.objects.get(pk=setup["theirs"].pk)
    assert theirs.is_overdue and not CensusAssignment.objects.get(pk=mine.pk).is_overdue
    assert list(selectors.filter_assignments(selectors.assignments(setup["reviewer"]), overdue=True)) == [theirs]
    assert list(selectors.assignments(setup["editor"])) == [mine]


def test_departments_do_not_see_draft_campaigns(setup):
    draft = make_campaign(actor=setup["reviewer"], state=CampaignState.DRAFT, name="草稿普查")
    assert draft not in selectors.campaigns(setup["editor"])
    assert draft in selectors.campaigns(setup["reviewer"])
    assert not selectors.assignments(setup["editor"]).filter(campaign=draft).exists()


def test_a_closed_campaigns_submission_can_be_accepted_but_not_returned(setup):
    """A return after the close would leave the department unable to upload again."""
    mine = setup["mine"]
    services.upload(actor=setup["editor"], assignment=mine, data=xlsx(template_rows(mine)), filename="a.xlsx",
                    dry_run=False)
    services.close_campaign(actor=setup["reviewer"], campaign=setup["campaign"])
    with pytest.raises(Conflict, match="no longer returned"):
        services.review(actor=setup["reviewer"], assignment=mine, action="return", reason="缺少资源")
    assert CensusAssignment.objects.get(pk=mine.pk).state == "submitted"
    services.review(actor=setup["reviewer"], assignment=mine, action="accept")
    assert CensusAssignment.objects.get(pk=mine.pk).state == "accepted"


def test_overdue_starts_the_day_after_the_due_date(setup):
    from django.utils import timezone

    campaign, theirs = setup["campaign"], setup["theirs"]
    today = timezone.localdate()
    for due_on, overdue in ((today, False), (today - dt.timedelta(days=1), True)):
        CensusCampaign.objects.filter(pk=campaign.pk).update(due_on=due_on)
        assignment = CensusAssignment.objects.select_related("campaign").get(pk=theirs.pk)
        assert assignment.is_overdue is overdue
        assert CensusAssignment.objects.overdue().filter(pk=theirs.pk).exists() is overdue
        assert selectors.progress(setup["reviewer"], assignment.campaign)["overdue"] == (2 if overdue else 0)


def test_the_template_lists_the_departments_entries_and_its_download_is_audited(setup):
    mine = setup["mine"]
    make_entry(name="贵溪市低保信息", department_code=GUIXI_CIVIL_AFFAIRS)
    rows = template_rows(mine, setup["editor"])
    assert sorted(r[1] for r in rows[1:]) == ["低保救助对象信息", "婚姻登记信息"]
    record = audited("census.censusassignment.template")
    assert record.actor_id == setup["editor"].pk and record.changes == {"entries": 2}


def test_the_campaign_form_bounds_the_year_as_the_api_does():
    from dgov.census.forms import CampaignForm

    data = {"name": "普查", "opens_on": "2026-03-01", "due_on": "2026-04-30", "instructions": ""}
    assert CampaignForm({**data, "year": "2026"}).is_valid()
    assert "year" in CampaignForm({**data, "year": "1999"}).errors
    assert "year" in CampaignForm({**data, "year": "2101"}).errors
