"""The rating pages: the applicant's panel and rating, the official's panel with the step form, the
workbench list with its filters, and the rating detail page's step forms."""

import pytest
from django.urls import reverse

from dgov.accounts.testing import make_citizen
from dgov.core.testing import signed_in
from dgov.ratings import services
from dgov.ratings.models import Rating, Step


def my_case_url(case):
    return reverse("cases:my_case", kwargs={"reference": case.reference})


def test_the_applicant_sees_the_form_rates_and_then_sees_the_progress(world, decided):
    client = signed_in(world.citizen)
    page = client.get(my_case_url(decided)).content.decode()
    assert 'class="rating-form"' in page and 'name="level"' in page
    response = client.post(reverse("ratings:rate", kwargs={"reference": decided.reference}),
                           {"level": "1", "indicators": ["attitude", "result"], "comment": "不满意"})
    assert response.status_code == 302
    rating = Rating.objects.get(case=decided)
    assert (rating.level, rating.indicators) == (1, ["attitude", "result"])
    page = client.get(my_case_url(decided)).content.decode()
    assert 'data-rated="yes"' in page and 'data-state="verify"' in page and 'class="rating-form"' not in page


def test_a_refused_rating_comes_back_with_the_errors(world, decided):
    response = signed_in(world.citizen).post(reverse("ratings:rate", kwargs={"reference": decided.reference}),
                                             {"level": "2"})
    assert response.status_code == 422 and b"error-summary" in response.content
    assert not Rating.objects.exists()


def test_no_form_before_the_decision_and_not_for_another_citizen(world, officials, decided):
    from dgov.cases.testing import make_implementation, submitted_case

    running = submitted_case(world.citizen, make_implementation())
    assert b"rating-form" not in signed_in(world.citizen).get(my_case_url(running)).content
    other = signed_in(make_citizen("r_view_other"))
    assert other.post(reverse("ratings:rate", kwargs={"reference": decided.reference}),
                      {"level": "5"}).status_code == 404
    assert not Rating.objects.exists()


@pytest.fixture
def bad_rating(world, decided):
    return services.rate(actor=world.citizen, case=decided, level=2, indicators=["efficiency"], comment="慢")


def test_the_official_records_the_steps_from_the_case_page(manager, bad_rating):
    client = signed_in(manager)
    case_url = reverse("cases:case_detail", kwargs={"key": bad_rating.case.reference})
    page = client.get(case_url).content.decode()
    assert 'class="rectification-form" data-step="verify"' in page
    post_url = reverse("ratings:rating_detail", kwargs={"pk": bad_rating.pk})
    response = client.post(post_url, {"step-text": "属实", "step-founded": "yes", "next": case_url})
    assert response.status_code == 302 and response.url == case_url
    response = client.post(post_url, {"step-text": "已整改"})
    assert response.status_code == 302
    response = client.post(post_url, {"step-text": "", "step-satisfied": "yes"})  # no text: refused
    assert response.status_code == 422
    assert Rating.objects.get(pk=bad_rating.pk).rectification.state == Step.CALLBACK
    client.post(post_url, {"step-text": "已回访", "step-satisfied": "yes", "next": "https://evil.example/"})
    rect = Rating.objects.get(pk=bad_rating.pk).rectification
    assert rect.state == Step.CLOSED
    assert 'data-state="closed"' in client.get(case_url).content.decode()


def test_the_step_form_is_only_for_managers_in_scope(guixi_manager, officials, bad_rating):
    post_url = reverse("ratings:rating_detail", kwargs={"pk": bad_rating.pk})
    assert signed_in(guixi_manager).get(post_url).status_code == 404
    assert signed_in(guixi_manager).post(post_url, {"step-text": "x", "step-founded": "yes"}).status_code == 404
    # a case official sees the rating on the case page but has no step form
    page = signed_in(officials.all_roles).get(
        reverse("cases:case_detail", kwargs={"key": bad_rating.case.reference})).content.decode()
    assert 'data-level="2"' in page and "rectification-form" not in page
    assert Rating.objects.get(pk=bad_rating.pk).rectification.state == Step.VERIFY


def test_the_workbench_list_filters(manager, bad_rating, world, guixi_decided):
    services.rate(actor=world.citizen, case=guixi_decided, level=5)
    client = signed_in(manager)
    url = reverse("ratings:rating_list")
    page = client.get(url).content.decode()
    assert page.count('data-level="2" data-state="verify"') == 1 and 'data-state="none"' not in page
    assert 'data-state="verify"' not in client.get(url, {"state": "closed"}).content.decode()
    assert 'data-state="verify"' in client.get(url, {"level": "2", "overdue": "no"}).content.decode()
    assert client.get(url, {"level": "9"}).status_code == 200
    assert signed_in(world.official).get(url).status_code == 403
