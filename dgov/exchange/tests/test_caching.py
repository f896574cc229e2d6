"""What the gateway keeps per process (services, grants) never outlives a change, and the cheaper
log append keeps the chain whole: each test first makes a call, so the grant and the service are
cached, then changes them the way the platform does and expects the very next call to see it."""

import datetime as dt

import pytest
from django.utils import timezone

from dgov.core.testing import assert_error
from dgov.exchange import chain
from dgov.exchange.models import ExchangeLogEntry
from dgov.exchange.testing import make_consumer, signed_get

pytestmark = pytest.mark.django_db


def url(dataset) -> str:
    return f"/exchange/v1/services/{dataset.entry.code}"


def _root():
    from dgov.catalog.testing import make_superuser

    return make_superuser()


def test_a_revoked_grant_is_refused_at_the_next_call(datastore):
    from dgov.sharing.services import revoke

    me, grant, dataset = make_consumer()
    assert signed_get(me, url(dataset)).status_code == 200
    revoke(actor=_root(), grant=grant, reason="测试：撤销")
    assert_error(signed_get(me, url(dataset)), 403, "no_grant")


def test_a_replacing_grant_applies_at_the_next_call(datastore):
    from dgov.sharing.services import grant_create

    me, grant, dataset = make_consumer(items=["姓名", "联系电话"])
    assert list(signed_get(me, url(dataset)).json()["items"][0]) == ["xm", "lxdh"]
    now = timezone.now()
    grant_create(actor=_root(), request=None, application=grant.application, entry=dataset.entry, items=["姓名"],
                 valid_from=now - dt.timedelta(minutes=1), expires_at=now + dt.timedelta(days=1))
    assert list(signed_get(me, url(dataset)).json()["items"][0]) == ["xm"]


def test_a_grant_past_its_expiry_is_refused_without_any_write(datastore, monkeypatch):
    me, grant, dataset = make_consumer()
    assert signed_get(me, url(dataset)).status_code == 200
    later = grant.expires_at + dt.timedelta(seconds=1)
    monkeypatch.setattr("dgov.exchange.gateway.timezone.now", lambda: later)
    assert_error(signed_get(me, url(dataset)), 403, "no_grant")


def test_a_changed_mask_applies_at_the_next_call(datastore):
    from dgov.aggregation.services import dataset_update

    me, grant, dataset = make_consumer(items=["姓名", "联系电话"])
    assert signed_get(me, url(dataset)).json()["items"][0]["lxdh"] == "138****5678"
    columns = [{"name": c.name, "item_name": c.item_name, "is_key": c.is_key,
                "mask": "none" if c.name == "lxdh" else c.mask} for c in dataset.columns.order_by("position")]
    dataset_update(actor=_root(), dataset=dataset, columns=columns)
    assert signed_get(me, url(dataset)).json()["items"][0]["lxdh"] == "13812345678"


def test_pending_rows_are_sealed_before_the_new_one(datastore):
    late = ExchangeLogEntry.objects.create(occurred_at=timezone.now(), request_id="late", method="GET", path="/x",
                                           status=200, body_sm3="0" * 64)
    me, grant, dataset = make_consumer()
    response = signed_get(me, url(dataset))
    late.refresh_from_db()
    new = ExchangeLogEntry.objects.get(request_id=response["X-Request-Id"])
    assert (late.seq, new.seq, new.prev_hash) == (1, 2, late.hash)
    assert chain.verify().ok


def test_a_row_written_while_another_call_seals_is_sealed_in_order_later(monkeypatch):
    def append(request_id):
        return chain.append(occurred_at=timezone.now(), request_id=request_id, app_code="app", key_id="app.k",
                            method="GET", path="/exchange/v1/allowed", status=200, body_sm3="0" * 64,
                            ip="2001:DB8:0:0::0001")

    first = append("first")
    monkeypatch.setattr(chain, "_locked", lambda cursor, block: False)  # another process holds the lock
    busy = append("busy")
    assert busy.seq is None and ExchangeLogEntry.objects.get(pk=busy.pk).seq is None
    monkeypatch.undo()
    last = append("last")
    busy.refresh_from_db()
    assert (first.seq, busy.seq, last.seq) == (1, 2, 3) and last.prev_hash == busy.hash
    assert chain.verify().ok  # the IPv6 address was hashed as the database keeps it


def test_seal_brings_the_head_up_to_date(django_capture_on_commit_callbacks, settings):
    settings.DGOV_EXCHANGE_HEAD_INTERVAL = 3600  # calls leave the head behind
    chain._head_written[0] = float("-inf")  # monotonic() counts from boot: 0.0 may be under the interval
    with django_capture_on_commit_callbacks(execute=True):
        for i in range(3):
            chain.append(occurred_at=timezone.now(), request_id=f"r{i}", method="GET", path="/x", status=200,
                         body_sm3="0" * 64)
    assert chain.read_head()[0] == 1  # only the first call wrote it
    with django_capture_on_commit_callbacks(execute=True):
        assert chain.seal() == 0
    assert chain.read_head() == (3, ExchangeLogEntry.objects.get(seq=3).hash)
    ExchangeLogEntry.objects.filter(seq=3).delete()
    assert "newest entries were deleted" in chain.verify().reason
