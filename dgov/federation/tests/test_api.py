"""`/api/v1/exchange/federation/…`: the contract of every endpoint. Federation is the centre's: a
holder of the permission with region scope (a county administrator) sees none of it (404), which
stands in for "out of scope" on every endpoint."""

import pytest
from django.utils import timezone

from dgov.accounts.testing import api_client, make_user
from dgov.core.testing import ApiContract, Case, assert_error
from dgov.crypto.primitives import SM2PrivateKey
from dgov.federation.models import CATALOG_FEED, Publication, Subscription, SyncRun
from dgov.federation.testing import peer_row

BASE = "/api/v1/exchange/federation"


@pytest.fixture
def centre(db):
    return make_user("fed_admin", department_code="360600036", roles=[("city_admin", "all", None)])


@pytest.fixture
def county(db):
    return make_user("fed_county", region_code="360603", roles=[("city_admin", "region", "360603")])


@pytest.fixture
def peer(db):
    return peer_row("360000", pem=SM2PrivateKey.generate().public_key().to_pem())


@pytest.fixture
def run(peer):
    return SyncRun.objects.create(peer=peer, feed=CATALOG_FEED, direction="pull", started_at=timezone.now())


@pytest.fixture
def subscription(peer):
    return Subscription.objects.create(peer=peer, feed=CATALOG_FEED, kind="catalog", last_error="超时")


def pem() -> str:
    return SM2PrivateKey.generate().public_key().to_pem()


class TestPeers(ApiContract):
    @pytest.fixture
    def case(self, world, centre, peer):
        return Case(method="get", url=f"{BASE}/peers?role=upstream", authorised=centre,
                    unauthorised=world.official, bad_url=f"{BASE}/peers?role=sideways")

    test_out_of_scope = None  # a list: see test_a_county_holder_sees_nothing


class TestPeer(ApiContract):
    @pytest.fixture
    def case(self, world, centre, peer):
        return Case(method="get", url=f"{BASE}/peers/360000", authorised=centre, unauthorised=world.official,
                    bad_url=f"{BASE}/peers/360000?x=1")

    test_out_of_scope = None
    test_bad_input = None  # the code is free text in the path: an unknown one is 404


class TestPair(ApiContract):
    @pytest.fixture
    def case(self, world, centre):
        return Case(method="post", url=f"{BASE}/peers", authorised=centre, unauthorised=world.official,
                    payload={"code": "360681", "name": "贵溪市", "role": "downstream",
                             "base_url": "http://127.0.0.1:8103", "public_key_pem": pem()},
                    bad_payload={"code": "贵溪", "name": "", "role": "downstream", "base_url": "x",
                                 "public_key_pem": "x"}, ok_status=201)

    test_out_of_scope = None  # see test_a_county_holder_sees_nothing


class TestPeerUpdate(ApiContract):
    @pytest.fixture
    def case(self, world, centre, peer):
        return Case(method="patch", url=f"{BASE}/peers/360000", authorised=centre, unauthorised=world.official,
                    payload={"enabled": False}, bad_payload={"role": "sideways"})

    test_out_of_scope = None


class TestSubscriptions(ApiContract):
    @pytest.fixture
    def case(self, world, centre, subscription):
        return Case(method="get", url=f"{BASE}/subscriptions?failing=true", authorised=centre,
                    unauthorised=world.official, bad_url=f"{BASE}/subscriptions?kind=video")

    test_out_of_scope = None


class TestSubscription(ApiContract):
    @pytest.fixture
    def case(self, world, centre, subscription):
        return Case(method="get", url=f"{BASE}/subscriptions/{subscription.pk}", authorised=centre,
                    unauthorised=world.official, bad_url=f"{BASE}/subscriptions/abc")

    test_out_of_scope = None


class TestPublications(ApiContract):
    @pytest.fixture
    def case(self, world, centre, peer):
        return Case(method="get", url=f"{BASE}/publications", authorised=centre, unauthorised=world.official,
                    bad_url=f"{BASE}/publications?limit=0")

    test_out_of_scope = None


class TestRuns(ApiContract):
    @pytest.fixture
    def case(self, world, centre, run):
        return Case(method="get", url=f"{BASE}/runs?status=running", authorised=centre,
                    unauthorised=world.official, bad_url=f"{BASE}/runs?status=sleeping")

    test_out_of_scope = None


class TestRun(ApiContract):
    @pytest.fixture
    def case(self, world, centre, run):
        return Case(method="get", url=f"{BASE}/runs/{run.pk}", authorised=centre, unauthorised=world.official,
                    bad_url=f"{BASE}/runs/abc")

    test_out_of_scope = None


class TestNode(ApiContract):
    @pytest.fixture
    def case(self, world, centre):
        return Case(method="get", url=f"{BASE}/node", authorised=centre, unauthorised=world.official,
                    bad_url=f"{BASE}/node?limit=x")

    test_out_of_scope = None
    test_bad_input = None  # no input


def test_a_county_holder_sees_nothing(county, peer, run, subscription):
    client = api_client(county)
    assert client.get(f"{BASE}/peers").json()["count"] == 0
    assert_error(client.get(f"{BASE}/peers/360000"), 404)
    assert_error(client.get(f"{BASE}/runs/{run.pk}"), 404)
    assert_error(client.get(f"{BASE}/subscriptions/{subscription.pk}"), 404)
    assert_error(client.patch(f"{BASE}/peers/360000", data={"enabled": False}, content_type="application/json"), 404)
    response = client.post(f"{BASE}/peers", data={"code": "360681", "name": "贵溪市", "role": "downstream",
                                                  "base_url": "http://127.0.0.1:8103", "public_key_pem": pem()},
                           content_type="application/json")
    assert_error(response, 403, "out_of_scope")


def test_pairing_through_the_api_refuses_a_bad_key_with_a_field_error(centre):
    response = api_client(centre).post(f"{BASE}/peers", data={
        "code": "360681", "name": "贵溪市", "role": "downstream", "base_url": "http://127.0.0.1:8103",
        "public_key_pem": "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"},
        content_type="application/json")
    assert_error(response, 422, "invalid")
    assert "public_key_pem" in response.json()["details"]


def test_subscription_shows_lag(centre, subscription):
    Subscription.objects.filter(pk=subscription.pk).update(source_seq=30, checkpoint=12)
    body = api_client(centre).get(f"{BASE}/subscriptions/{subscription.pk}").json()
    assert body["lag"] == 18 and body["last_error"] == "超时"
    assert Publication.objects.count() == 0
