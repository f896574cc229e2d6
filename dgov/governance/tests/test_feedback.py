"""Ratings: only a consuming department holding a grant; one per entry and department; the provider replies."""

import pytest

from dgov.core.errors import Conflict, PermissionDenied, ValidationError
from dgov.core.testing import audited
from dgov.governance import selectors, services
from dgov.governance.models import ResourceFeedback
from dgov.orgs.models import Department
from dgov.sharing.testing import GUIXI_HRSS

pytestmark = pytest.mark.django_db


def _rate(actor, entry, department=None, score=4):
    return services.feedback_save(actor=actor, feedback=ResourceFeedback(
        entry=entry, department=department or actor.department, score=score, comment="字段齐全"))


def test_consumer_with_a_grant_rates_and_edits(scene, consumer):
    feedback = _rate(consumer, scene.entry)
    assert audited("governance.resourcefeedback.create", object_id=str(feedback.pk))
    with pytest.raises(Conflict):
        _rate(consumer, scene.entry)
    feedback.score = 2
    services.feedback_save(actor=consumer, feedback=feedback)
    assert ResourceFeedback.objects.get(pk=feedback.pk).score == 2


def test_refused_without_a_grant(scene, outsider, provider):
    from dgov.catalog.testing import make_editor

    guixi_hrss = make_editor(GUIXI_HRSS)
    with pytest.raises(ValidationError) as exc:
        _rate(guixi_hrss, scene.entry)
    assert exc.value.code == "no_grant"
    with pytest.raises(ValidationError):  # the provider does not rate its own resource
        _rate(provider, scene.entry)
    with pytest.raises(PermissionDenied):  # a department out of the actor's scope
        _rate(outsider, scene.entry, department=Department.objects.get(code="360603905"))


def test_revoked_grant_refuses(scene, consumer):
    scene.grant.status = "revoked"
    scene.grant.save()
    with pytest.raises(ValidationError):
        _rate(consumer, scene.entry)


def test_provider_replies_and_sees_it(scene, consumer, provider, outsider):
    feedback = _rate(consumer, scene.entry)
    assert list(selectors.visible_feedback(provider)) == [feedback]
    assert list(selectors.visible_feedback(outsider)) == []
    services.feedback_reply(actor=provider, feedback=feedback, reply="已补充更新时间字段")
    assert ResourceFeedback.objects.get(pk=feedback.pk).reply == "已补充更新时间字段"
    assert audited("governance.resourcefeedback.reply", object_id=str(feedback.pk))
    with pytest.raises(PermissionDenied):  # the consumer cannot answer for the provider
        services.feedback_reply(actor=consumer, feedback=feedback, reply="x")
    with pytest.raises(ValidationError):
        services.feedback_reply(actor=provider, feedback=feedback, reply="  ")
