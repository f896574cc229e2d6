import pytest
from django.test import override_settings

from dgov.core.errors import Conflict, PermissionDenied
from dgov.core.testing import signed_in
from dgov.opendata import keys, selectors
from dgov.opendata.models import DeveloperKey, KeyUsage


def test_a_key_is_shown_once_and_kept_as_its_digest(citizen):
    key, text = keys.key_create(actor=citizen, name="我的应用")
    assert text.startswith(f"odk_{key.prefix}_") and text not in key.digest and len(key.digest) == 64
    assert keys.authenticate(text) == key
    assert keys.authenticate(text[:-1] + ("A" if text[-1] != "A" else "B")) is None
    assert keys.authenticate("odk_00000000_" + "x" * 43) is None and keys.authenticate("") is None
    keys.key_disable(actor=citizen, key=key)
    assert keys.authenticate(text) is None


@override_settings(DGOV_OPENDATA_KEY_DAILY_QUOTA=2, DGOV_OPENDATA_MAX_KEYS=1)
def test_quota_and_the_number_of_keys(citizen, editor):
    key, _text = keys.key_create(actor=citizen, name="a")
    with pytest.raises(Conflict):
        keys.key_create(actor=citizen, name="b")
    with pytest.raises(PermissionDenied):
        keys.key_disable(actor=editor, key=key)
    assert [keys.count_call(key) for _ in range(3)] == [True, True, False]
    usage = KeyUsage.objects.get(key=key)
    assert (usage.calls, usage.refused) == (2, 1)
    listed = selectors.my_keys(citizen)[0]
    assert listed.use == {"today": 2, "month": 2, "refused": 1}


def test_the_keys_page(citizen):
    client = signed_in(citizen)
    assert client.post("/open/keys/", {"name": ""}).status_code == 422
    response = client.post("/open/keys/", {"name": "城市养老地图"})
    text = response.content.decode()
    key = DeveloperKey.objects.get(user=citizen)
    assert response.status_code == 200 and 'id="od-new-key"' in text and response["Cache-Control"] == "no-store"
    assert f"odk_{key.prefix}_" in text
    again = client.get("/open/keys/").content.decode()
    assert 'id="od-new-key"' not in again and f"odk_{key.prefix}_…" in again  # never shown again
    assert client.post("/open/keys/", {"disable": str(key.pk)}).status_code == 302
    key.refresh_from_db()
    assert not key.is_active
