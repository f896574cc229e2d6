"""The pages: lineage (SVG and column table), the ranking with the formula and publishing, the public page,
a resource's feedback."""

import pytest

from dgov.core.testing import signed_in
from dgov.governance import evaluation, services
from dgov.governance.models import RankingPublication, ResourceFeedback

pytestmark = pytest.mark.django_db
LINEAGE, EVALUATION, PUBLISHED = "/data/governance/lineage/", "/data/governance/evaluation/", \
    "/data/governance/evaluation/published/"


def test_lineage_page(scene, governor, plain):
    client = signed_in(governor)
    assert client.get(LINEAGE).status_code == 200
    page = client.get(LINEAGE, {"entry": scene.entry.code}).content.decode()
    assert "<svg" in page and f'data-node="dataset:{scene.dataset.pk}"' in page
    assert "style=" not in page.split('<main', 1)[-1].split("</main>")[0]  # the CSP forbids inline styles
    assert "<script" not in page.split('<main', 1)[-1].split("</main>")[0]
    assert "id_no" in page and "sfzh" in page  # the column-level table
    assert client.get(LINEAGE, {"table": scene.ds_table.pk}).status_code == 200
    assert client.get(LINEAGE, {"entry": "bad"}).status_code == 422
    assert client.get(LINEAGE, {"entry": "399999999/999999"}).status_code == 404
    assert signed_in(plain).get(LINEAGE).status_code == 403


def test_evaluation_page_states_the_formula(scene, consumer, plain):
    page = signed_in(consumer).get(EVALUATION).content.decode()
    assert 'id="formula-text"' in page and "0.3" in page and f'data-code="{scene.entry.code}"' in page
    assert 'id="publish-form"' not in page  # no publish form without the permission
    assert signed_in(consumer).get(EVALUATION, {"start": "2026-03-01", "end": "2026-01-01"}).status_code == 422
    assert signed_in(plain).get(EVALUATION).status_code == 403


def test_publish_from_the_page_and_public_page(scene, governor, client):
    start, end = evaluation.default_period()
    assert 'id="publish-form"' in signed_in(governor).get(EVALUATION).content.decode()
    response = signed_in(governor).post(EVALUATION, {"start": start.isoformat(), "end": end.isoformat()})
    assert response.status_code == 302 and RankingPublication.objects.count() == 1
    public = client.get(PUBLISHED)  # anonymous
    assert public.status_code == 200
    body = public.content.decode()
    assert f'data-code="{scene.entry.code}"' in body and 'id="formula-text"' in body
    assert 'name="viewport"' in body
    bad = signed_in(governor).post(EVALUATION, {"start": end.isoformat(), "end": start.isoformat()})
    assert bad.status_code == 422 and RankingPublication.objects.count() == 1


def test_public_page_without_a_ranking(db, client):
    assert 'id="no-ranking"' in client.get(PUBLISHED).content.decode()


def test_feedback_page_rate_and_reply(scene, consumer, provider, outsider):
    url = f"/data/governance/feedback/{scene.entry.code}/"
    page = signed_in(consumer).get(url).content.decode()
    assert 'id="rate-form"' in page
    response = signed_in(consumer).post(url, {"action": "rate", "score": "3", "comment": "字段清楚"})
    assert response.status_code == 302
    feedback = ResourceFeedback.objects.get()
    assert feedback.score == 3 and feedback.department == consumer.department
    signed_in(consumer).post(url, {"action": "rate", "score": "5", "comment": "改进后很好"})
    assert ResourceFeedback.objects.get().score == 5  # edited, still one
    assert 'id="rate-form"' not in signed_in(provider).get(url).content.decode()
    response = signed_in(provider).post(url, {"action": "reply", "feedback": feedback.pk,
                                              f"r{feedback.pk}-reply": "谢谢"})
    assert response.status_code == 302 and ResourceFeedback.objects.get().reply == "谢谢"
    # another county's administrator holds no grant: no form, and a post is refused
    assert 'id="rate-form"' not in signed_in(outsider).get(url).content.decode()
    assert signed_in(outsider).post(url, {"action": "rate", "score": "1"}).status_code == 422
    assert ResourceFeedback.objects.count() == 1


def test_feedback_reply_by_consumer_is_refused(scene, consumer):
    feedback = services.feedback_save(actor=consumer, feedback=ResourceFeedback(
        entry=scene.entry, department=consumer.department, score=4))
    url = f"/data/governance/feedback/{scene.entry.code}/"
    response = signed_in(consumer).post(url, {"action": "reply", "feedback": feedback.pk,
                                              f"r{feedback.pk}-reply": "x"})
    assert response.status_code == 403 and ResourceFeedback.objects.get().reply == ""


def test_the_catalog_entry_page_links_lineage_contract_score_and_ratings(scene, provider, consumer):
    """The entry page's governance card (`{% entry_governance %}`): lineage, the ODCS contract, the latest
    quality score of its data-store table and the consumers' ratings; the contract link answers YAML."""
    from django.urls import reverse

    url = reverse("catalog:catalogentry_detail", args=[scene.entry.code])
    page = signed_in(provider).get(url).content.decode()
    card = page.split('class="card mt-3 entry-governance"', 1)[1].split("</section>", 1)[0]
    assert f"/api/v1/governance/contracts/{scene.entry.code}.yaml" in card
    assert "/data/governance/lineage/?entry=" in card
    assert f"/data/quality/tables/{scene.ds_table.pk}/" in card and "80.0" in card
    contract = signed_in(provider).get(f"/api/v1/governance/contracts/{scene.entry.code}.yaml")
    assert contract.status_code == 200 and contract["Content-Type"].startswith("application/yaml")
    # the consumer holds a grant: it may rate the resource from the card
    assert f"/data/governance/feedback/{scene.entry.code}/" in signed_in(consumer).get(url).content.decode()
