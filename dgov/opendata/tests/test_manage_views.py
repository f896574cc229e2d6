"""The officials' pages: open an entry, describe it, submit, publish (the centre), withdraw."""

import pytest

from dgov.aggregation.models import DatasetColumn
from dgov.core.testing import signed_in, zh_html
from dgov.opendata.models import DatasetStatus, OpenDataset
from dgov.opendata.testing import make_open_entry


@pytest.fixture
def entry(db):
    return make_open_entry(rows=4)


def test_the_department_opens_an_entry_and_the_centre_publishes_it(entry, editor, reviewer):
    client = signed_in(editor)
    listing = client.get("/data/open/datasets/").content.decode()
    assert f"?entry={entry.code}" in listing
    response = client.post(f"/data/open/datasets/new/?entry={entry.code}",
                           {"title": "", "description": "", "topics": ["livelihood"], "keywords": "养老、民政",
                            "license": "CC-BY-4.0"})
    assert response.status_code == 302
    dataset = OpenDataset.objects.get(entry=entry)
    assert dataset.title == entry.name and dataset.keywords == ["养老", "民政"]
    page = client.get(f"/data/open/datasets/{dataset.pk}/").content.decode()
    assert 'value="submit"' in page and 'value="publish"' not in page
    assert client.post(f"/data/open/datasets/{dataset.pk}/", {"action": "submit"}).status_code == 302
    dataset.refresh_from_db()
    assert dataset.status == DatasetStatus.SUBMITTED and dataset.scan["ok"]

    centre = signed_in(reviewer)
    page = centre.get(f"/data/open/datasets/{dataset.pk}/").content.decode()
    assert 'value="publish"' in page and 'value="return"' in page
    assert centre.post(f"/data/open/datasets/{dataset.pk}/", {"action": "publish", "note": ""}).status_code == 302
    dataset.refresh_from_db()
    assert dataset.status == DatasetStatus.PUBLISHED
    refused = client.post(f"/data/open/datasets/{dataset.pk}/", {"action": "withdraw", "note": ""})
    assert refused.status_code == 422
    assert client.post(f"/data/open/datasets/{dataset.pk}/", {"action": "withdraw", "note": "更正"}).status_code == 302


def test_an_unmasked_column_is_named_on_the_page(entry, editor):
    DatasetColumn.objects.filter(dataset__entry=entry, name="fzrsj").update(mask="none")
    client = signed_in(editor)
    client.post(f"/data/open/datasets/new/?entry={entry.code}", {"license": "CC-BY-4.0"})
    dataset = OpenDataset.objects.get(entry=entry)
    page = client.post(f"/data/open/datasets/{dataset.pk}/", {"action": "submit"})
    text = page.content.decode()
    assert page.status_code == 422 and "负责人手机" in text and 'id="od-findings"' in text
    assert zh_html("mobile phone numbers") in text


def test_other_departments_and_citizens_are_kept_out(entry, editor, outsider):
    from dgov.accounts.testing import make_user

    client = signed_in(editor)
    client.post(f"/data/open/datasets/new/?entry={entry.code}", {"license": "CC-BY-4.0"})
    dataset = OpenDataset.objects.get(entry=entry)
    assert signed_in(outsider).get(f"/data/open/datasets/{dataset.pk}/").status_code == 404
    assert signed_in(outsider).get(f"/data/open/datasets/new/?entry={entry.code}").status_code in (403, 404)
    assert signed_in(make_user("od_cit", kind="citizen")).get("/data/open/datasets/").status_code == 403
