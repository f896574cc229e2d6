"""Fixtures of the federation tests: this node paired with itself (`loopback`), a dataset published
to the caller (`source`) and a local subscription to it (`target`)."""

import pytest

from dgov.aggregation.testing import datastore, datastore_session, make_dataset  # noqa: F401
from dgov.federation.models import Publication, Subscription
from dgov.federation.testing import loopback


@pytest.fixture
def pair(db, datastore, monkeypatch):  # noqa: F811 (the fixture imported above)
    return loopback(monkeypatch)


@pytest.fixture
def source(pair):
    caller, _remote = pair
    dataset = make_dataset(name="省级源数据")
    Publication.objects.create(peer=caller, dataset=dataset)
    return dataset


@pytest.fixture
def target(pair, source):
    dataset = make_dataset(name="回流目标数据")
    sub = Subscription.objects.create(peer=pair[1], feed=source.entry.code, kind="dataset", dataset=dataset)
    return sub
