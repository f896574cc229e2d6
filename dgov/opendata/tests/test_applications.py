import datetime as dt

import pytest
from django.utils import timezone

from dgov.accounts.testing import make_user
from dgov.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from dgov.core.testing import audited
from dgov.notifications.models import OutboxMessage
from dgov.opendata import applications
from dgov.opendata.models import ApplicationStatus
from dgov.opendata.testing import make_published


def _apply(actor, dataset, **fields):
    values = {"purpose": "研究救助政策覆盖情况", "scenario": "高校课题研究", "organisation": "江西某大学",
              "requested_days": 30, "agreed": True, **fields}
    return applications.apply(actor=actor, dataset=dataset, **values)


def test_apply_approve_and_access_until_the_end(conditional, citizen, editor):
    application = _apply(citizen, conditional)
    assert application.status == ApplicationStatus.SUBMITTED
    assert application.agreement_digest == applications.agreement()[1] and len(application.agreement_digest) == 64
    assert OutboxMessage.objects.filter(user=editor, subject__contains="困难群众救助名单").exists()
    assert applications.active_application(citizen, conditional) is None
    approved = applications.decide(actor=editor, application=application, approve=True, days=10)
    entry = audited("opendata.accessapplication.approve", object_id=str(application.pk))
    assert entry.actor_username == editor.username
    assert applications.active_application(citizen, conditional) == approved
    later = timezone.now() + dt.timedelta(days=11)
    assert applications.active_application(citizen, conditional, at=later) is None
    assert OutboxMessage.objects.filter(user=citizen, subject__contains="困难群众救助名单").exists()
    with pytest.raises(Conflict):
        _apply(citizen, conditional)  # already holds access


def test_input_is_checked_and_nothing_is_lost(conditional, citizen):
    with pytest.raises(ValidationError) as caught:
        _apply(citizen, conditional, agreed=False, purpose=" ", requested_days=400)
    assert set(caught.value.details) == {"agreed", "purpose", "requested_days"}
    _apply(citizen, conditional)
    with pytest.raises(Conflict):
        _apply(citizen, conditional)


def test_an_unconditional_dataset_needs_no_application(citizen):
    open_to_all = make_published(rows=2)
    with pytest.raises(Conflict):
        _apply(citizen, open_to_all)


def test_reject_needs_a_reason_and_only_the_provider_decides(conditional, citizen, editor, outsider):
    application = _apply(citizen, conditional)
    with pytest.raises((PermissionDenied, NotFound)):
        applications.decide(actor=outsider, application=application, approve=True)
    with pytest.raises(PermissionDenied):
        applications.decide(actor=citizen, application=application, approve=True)
    with pytest.raises(ValidationError):
        applications.decide(actor=editor, application=application, approve=False)
    with pytest.raises(ValidationError):
        applications.decide(actor=editor, application=application, approve=True, days=31)
    rejected = applications.decide(actor=editor, application=application, approve=False, reason="用途不明确")
    assert rejected.status == ApplicationStatus.REJECTED and rejected.valid_until is None
    with pytest.raises(Conflict):
        applications.decide(actor=editor, application=application, approve=True)


def test_withdraw_and_revoke(conditional, citizen, editor):
    first = _apply(citizen, conditional)
    other = make_user("od_other", kind="citizen")
    with pytest.raises(PermissionDenied):
        applications.withdraw(actor=other, application=first)
    assert applications.withdraw(actor=citizen, application=first).status == ApplicationStatus.WITHDRAWN
    second = applications.decide(actor=editor, application=_apply(citizen, conditional), approve=True)
    with pytest.raises(ValidationError):
        applications.revoke(actor=editor, application=second, reason="")
    applications.revoke(actor=editor, application=second, reason="发现超范围使用")
    assert applications.active_application(citizen, conditional) is None
