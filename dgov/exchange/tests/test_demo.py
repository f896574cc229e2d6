"""The demo credential: made once for the demo consumer application, its secret kept in the demo
file (mode 0600), and usable against the demo dataset's service as shipped."""

import json

import pytest

from dgov.aggregation.demo import load_demo as load_aggregation_demo
from dgov.exchange.demo import DEMO_APPLICATION, load_demo
from dgov.exchange.models import ConsumerCredential
from dgov.exchange.testing import Consumer, signed_get
from dgov.sharing.demo import load_demo as load_sharing_demo


@pytest.fixture
def demo_world(db, datastore, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    load_aggregation_demo()
    load_sharing_demo()


def test_the_demo_credential_is_made_once_and_calls_the_demo_service(demo_world, tmp_path):
    first = load_demo()
    assert first["created"] == 1
    path = tmp_path / "demo-exchange-credentials.json"
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    [entry] = json.loads(path.read_text(encoding="utf-8"))
    assert entry["application"] == DEMO_APPLICATION and entry["algorithm"] == "HMAC-SM3"
    assert load_demo()["created"] == 0
    assert ConsumerCredential.objects.filter(is_demo=True).count() == 1

    me = Consumer(entry["application"], entry["key_id"], entry["secret"])
    allowed = signed_get(me, "/exchange/v1/allowed").json()
    assert allowed["services"], allowed
    service = allowed["services"][0]
    page = signed_get(me, service["url"]).json()
    assert page["items"], page
    masked = [c["column"] for c in service["columns"] if c["masked"]]
    assert masked and all("*" in str(row[masked[0]]) for row in page["items"] if row[masked[0]])


def test_a_lost_demo_file_gives_a_new_credential_and_disables_the_old(demo_world, tmp_path):
    load_demo()
    (tmp_path / "demo-exchange-credentials.json").unlink()
    assert load_demo()["created"] == 1
    assert ConsumerCredential.objects.filter(is_demo=True, enabled=True).count() == 1
    assert ConsumerCredential.objects.filter(is_demo=True, enabled=False).count() == 1
