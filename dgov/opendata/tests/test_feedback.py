"""Data requests and ratings: services and pages."""

import pytest
from django.test import Client

from dgov.core.errors import NotFound, PermissionDenied, ValidationError
from dgov.core.testing import signed_in
from dgov.opendata import feedback, selectors
from dgov.opendata.models import DataRequest, DatasetRating, RequestStatus
from dgov.opendata.testing import make_published
from dgov.orgs.models import Department

YUJIANG_MZ = "360603909"


def test_a_citizen_asks_and_the_department_answers_in_public(citizen, editor, outsider):
    client = signed_in(citizen)
    assert client.post("/open/requests/", {"title": "", "description": "x", "department": YUJIANG_MZ}).status_code \
        == 422
    assert client.post("/open/requests/", {"title": "各乡镇养老床位数", "description": "用于研究养老资源分布",
                                            "department": YUJIANG_MZ}).status_code == 302
    item = DataRequest.objects.get()
    assert item.status == RequestStatus.OPEN and item.requester == citizen
    with pytest.raises((PermissionDenied, NotFound)):
        feedback.request_answer(actor=outsider, item=item, status="answered", answer="不归我们管")
    official = signed_in(editor)
    assert "各乡镇养老床位数" in official.get("/data/open/requests/").content.decode()
    dataset = make_published(rows=2)
    bad = official.post(f"/data/open/requests/{item.pk}/", {"status": "answered", "answer": "见数据集",
                                                            "dataset": "yt-nothing"})
    assert bad.status_code == 422
    done = official.post(f"/data/open/requests/{item.pk}/", {"status": "answered", "answer": "已开放，见数据集",
                                                             "dataset": dataset.name})
    assert done.status_code == 302
    text = Client().get("/open/requests/").content.decode()
    assert "已开放，见数据集" in text and f"/open/datasets/{dataset.name}/" in text
    assert selectors.statistics()["totals"]["answered"] == 1


def test_anonymous_visitors_read_requests_but_do_not_ask(db):
    assert Client().get("/open/requests/").status_code == 200
    response = Client().post("/open/requests/", {"title": "x", "description": "y", "department": YUJIANG_MZ})
    assert response.status_code == 302 and DataRequest.objects.count() == 0
    with pytest.raises(PermissionDenied):
        feedback.request_create(actor=type("Anon", (), {"is_authenticated": False})(), title="x", description="y",
                                department=Department.objects.get(code=YUJIANG_MZ))


def test_ratings_once_per_user_and_hidden_comments(citizen, reviewer, editor):
    dataset = make_published(rows=2)
    client = signed_in(citizen)
    client.post(f"/open/datasets/{dataset.name}/rate/", {"score": "2", "comment": "字段说明不够"})
    client.post(f"/open/datasets/{dataset.name}/rate/", {"score": "4", "comment": "更新后好多了"})
    assert DatasetRating.objects.count() == 1 and DatasetRating.objects.get().score == 4
    assert client.post(f"/open/datasets/{dataset.name}/rate/", {"score": "9"}).status_code == 302
    assert DatasetRating.objects.get().score == 4
    text = Client().get(f"/open/datasets/{dataset.name}/").content.decode()
    assert "更新后好多了" in text and "4.0" in text
    rating = DatasetRating.objects.get()
    with pytest.raises(PermissionDenied):
        feedback.rating_hide(actor=editor, rating=rating)
    assert signed_in(citizen).post(f"/open/datasets/{dataset.name}/rate/", {"hide": rating.pk}).status_code == 403
    centre = signed_in(reviewer)
    assert 'name="hide"' in centre.get(f"/open/datasets/{dataset.name}/").content.decode()
    assert centre.post(f"/open/datasets/{dataset.name}/rate/", {"hide": rating.pk}).status_code == 302
    text = Client().get(f"/open/datasets/{dataset.name}/").content.decode()
    assert "更新后好多了" not in text and selectors.ratings(dataset)["count"] == 1
    with pytest.raises(ValidationError):
        feedback.rating_save(actor=citizen, dataset=dataset, score=0)


def test_showcases_are_sent_checked_and_shown(citizen, reviewer):
    from dgov.opendata.models import Showcase

    dataset = make_published(rows=2)
    client = signed_in(citizen)
    bad = client.post("/open/showcases/", {"title": "养老地图", "description": "地图", "datasets": "yt-nothing"})
    assert bad.status_code == 422 and Showcase.objects.count() == 0
    sent = client.post("/open/showcases/", {"title": "养老地图", "description": "在地图上查找养老机构",
                                            "url": "https://example.org/map", "datasets": dataset.name})
    assert sent.status_code == 302
    item = Showcase.objects.get()
    assert not item.is_published and list(item.datasets.all()) == [dataset]
    assert "养老地图" not in Client().get("/open/showcases/").content.decode()  # not before the centre checks it
    assert client.post("/open/showcases/", {"show": item.pk}).status_code == 422  # a citizen cannot show it
    centre = signed_in(reviewer)
    assert "养老地图" in centre.get("/open/showcases/").content.decode()
    assert centre.post("/open/showcases/", {"show": item.pk}).status_code == 302
    assert "养老地图" in Client().get("/open/showcases/").content.decode()
