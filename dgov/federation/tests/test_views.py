"""The status page and the pairing pages: who may see them, what they show, the demo data."""

import pytest
from django.test import Client

from dgov.accounts.testing import make_user
from dgov.federation import demo
from dgov.federation.models import CATALOG_FEED, Peer, Subscription
from dgov.federation.testing import peer_row


@pytest.fixture
def centre(db):
    return make_user("fed_admin", department_code="360600036", roles=[("city_admin", "all", None)])


def client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_the_status_page_shows_lag_and_failures(centre):
    peer = peer_row("360000", name="江西省")
    Subscription.objects.create(peer=peer, feed=CATALOG_FEED, kind="catalog", checkpoint=3, source_seq=10,
                                last_error="360000 cannot be reached")
    page = client(centre).get("/data/federation/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "360000:catalog" in text and "cannot be reached" in text and ">7<" in text


def test_officials_without_the_permission_get_403(world):
    assert client(world.official).get("/data/federation/").status_code == 403
    assert client(world.official).get("/data/federation/peers/add/").status_code == 403


def test_the_pairing_form_refuses_a_bad_key_in_chinese(centre):
    response = client(centre).post("/data/federation/peers/add/", {
        "code": "360681", "name": "贵溪市", "role": "downstream", "base_url": "http://127.0.0.1:8103",
        "public_key_pem": "nonsense", "enabled": "on"})
    assert response.status_code == 422
    assert not Peer.objects.filter(code="360681").exists()


def test_demo_data_is_marked_and_idempotent(db, datastore):
    first = demo.load_demo()
    again = demo.load_demo()
    assert first["created"] >= 2 and again["created"] == 0
    peer = Peer.objects.get(code=demo.DEMO_PEER_CODE)
    assert peer.is_demo and "演示" in peer.name
