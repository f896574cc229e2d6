import pytest

from dgov.catalog.models import DataItem
from dgov.catalog.testing import item, make_entry, negative_list
from dgov.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from dgov.core.testing import audited
from dgov.opendata import scan, selectors, services
from dgov.opendata.models import DatasetStatus
from dgov.opendata.testing import make_open_entry, make_published


def test_prepare_submit_publish(editor, reviewer):
    entry = make_open_entry(rows=12)
    dataset = services.prepare(actor=editor, entry=entry, topics=["livelihood", "health"], keywords=["养老", " 民政 "])
    assert (dataset.status, dataset.name, dataset.title) == (DatasetStatus.DRAFT, "yt-" + entry.code.replace("/", "-"),
                                                             entry.name)
    assert sorted(t.code for t in dataset.topics.all()) == ["health", "livelihood"]
    assert dataset.keywords == ["养老", "民政"]
    services.submit(actor=editor, dataset=dataset)
    assert audited("opendata.opendataset.submit", object_id=str(dataset.pk)).actor_username == editor.username
    assert not selectors.published().exists()  # not before the centre publishes
    with pytest.raises(PermissionDenied):
        services.review(actor=editor, dataset=dataset, approve=True)
    published = services.review(actor=reviewer, dataset=dataset, approve=True)
    assert audited("opendata.opendataset.publish", object_id=str(dataset.pk)).actor_username == reviewer.username
    assert published.status == DatasetStatus.PUBLISHED and published.published_at and published.scan["ok"]
    assert published.scan["rows"] == 12
    assert selectors.published_dataset(published.name) == published
    assert selectors.published_dataset(str(published.uuid)) == published
    assert [e.action for e in published.events.all()] == ["prepare", "submit", "publish"]


def test_rows_are_served_masked_and_only_opened_columns(editor):
    dataset = make_published(rows=3)
    rows = services.public_rows(dataset.entry)
    assert list(rows[0]) == ["jgmc", "tyshxydm", "cws", "szxz", "clrq", "fzrsj"]
    assert rows[0]["fzrsj"] == "139****0000" and rows[0]["cws"] == 20 and rows[0]["clrq"] == "2010-01-01"


def test_an_unmasked_id_number_column_blocks_publication_naming_the_column(editor):
    from dgov.accounts.testing import valid_id_number

    entry = make_open_entry(name="老年人补贴名单", rows=5, items=[item("姓名"), item("公民身份号码", length=18),
                                                                item("补贴金额", data_type="decimal", length=None)],
                            columns=[{"name": "xm", "item_name": "姓名", "mask": "name"},
                                     {"name": "sfzh", "item_name": "公民身份号码", "is_key": True},
                                     {"name": "btje", "item_name": "补贴金额"}],
                            values=lambda i: {"xm": f"张{i}", "sfzh": valid_id_number(seq=i + 1), "btje": 100 + i})
    dataset = services.prepare(actor=editor, entry=entry)
    with pytest.raises(ValidationError) as caught:
        services.submit(actor=editor, dataset=dataset)
    assert caught.value.code == "personal_data"
    message = caught.value.details["columns"][0]
    assert "公民身份号码" in message and "sfzh" in message
    dataset.refresh_from_db()
    assert dataset.status == DatasetStatus.DRAFT and dataset.scan["findings"][0]["kind"] == "id_number"
    assert dataset.scan["findings"][0]["count"] == 5 and "*" in dataset.scan["findings"][0]["example"]


def test_a_mobile_number_inside_free_text_is_found():
    found = scan.scan_rows([{"bz": "联系人张三，电话13912345678。"}, {"bz": "办公电话 0701-6221234"},
                            {"bz": "3606**********1234"}, {"bz": "卡号 6222020200112233445"}], {"bz": "备注"})
    assert [(f["kind"], f["count"]) for f in found] == [("mobile", 1)]
    assert scan.findings_in("4111111111111111") == {"bank_card": "4111111111111111"}


def test_entries_that_cannot_be_opened_are_refused(editor):
    closed = make_entry(status="published", open_type="none", name="不开放的资源")
    with pytest.raises(ValidationError) as caught:
        services.prepare(actor=editor, entry=closed)
    assert caught.value.code == "not_openable"
    draft = make_entry(open_type="unconditional", name="草稿资源")
    with pytest.raises(ValidationError):
        services.prepare(actor=editor, entry=draft)


def test_a_negative_listed_item_never_appears(editor):
    dataset = make_published(rows=2)
    DataItem.objects.filter(entry=dataset.entry, name="负责人手机").update(open_type="none", sharing_type="none")
    negative_list(dataset.entry.code, "负责人手机")
    assert "fzrsj" not in services.public_rows(dataset.entry)[0]
    assert [c.item_name for c in services.opened_columns(dataset.entry)] == [
        "机构名称", "统一社会信用代码", "床位数", "所在乡镇", "成立日期"]


def test_a_closed_entry_leaves_the_portal_at_once(editor):
    dataset = make_published(rows=2)
    type(dataset.entry).objects.filter(pk=dataset.entry.pk).update(open_type="none")
    with pytest.raises(NotFound):
        selectors.published_dataset(dataset.name)


def test_scope_return_and_withdraw(editor, outsider, reviewer):
    entry = make_open_entry(rows=2)
    with pytest.raises((PermissionDenied, NotFound)):
        services.prepare(actor=outsider, entry=entry)
    dataset = services.prepare(actor=editor, entry=entry)
    services.submit(actor=editor, dataset=dataset)
    with pytest.raises(Conflict):
        services.prepare(actor=editor, entry=entry, title="改名")
    with pytest.raises(ValidationError):
        services.review(actor=reviewer, dataset=dataset, approve=False)
    returned = services.review(actor=reviewer, dataset=dataset, approve=False, note="请补充数据说明")
    assert returned.status == DatasetStatus.DRAFT
    services.submit(actor=editor, dataset=dataset)
    services.review(actor=reviewer, dataset=dataset, approve=True)
    with pytest.raises(ValidationError):
        services.withdraw(actor=editor, dataset=dataset, note=" ")
    with pytest.raises((PermissionDenied, NotFound)):
        services.withdraw(actor=outsider, dataset=dataset, note="撤回")
    withdrawn = services.withdraw(actor=editor, dataset=dataset, note="数据需要更正")
    assert withdrawn.status == DatasetStatus.WITHDRAWN and not selectors.published().exists()
