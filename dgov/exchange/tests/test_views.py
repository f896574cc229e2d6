"""The pages: credentials (create with the secret shown once, disable), what an application may
call, a service with its OpenAPI, and the exchange log (scope, export, verification, the JSON Lines
chain export)."""

import pytest

from dgov.accounts.testing import make_user
from dgov.catalog.testing import make_reviewer
from dgov.core.testing import audited, signed_in, zh, zh_html
from dgov.exchange import offline
from dgov.exchange.models import ConsumerCredential, ExchangeLogEntry
from dgov.exchange.testing import Consumer, make_consumer, signed_get
from dgov.sharing.testing import GUIXI_HRSS, YUJIANG_HRSS, make_app

pytestmark = pytest.mark.django_db
CREDENTIALS = "/data/exchange/credentials/"
LOG = "/data/exchange/log/"


@pytest.fixture
def editor():
    return make_user(department_code=YUJIANG_HRSS, roles=[("catalog_editor", "department", YUJIANG_HRSS),
                                                          ("staff", "all", None)])


def test_create_an_hmac_credential_and_see_the_secret_once(editor):
    app = make_app(YUJIANG_HRSS)
    make_app(GUIXI_HRSS, code="guixi-app")
    client = signed_in(editor)
    form = client.get(CREDENTIALS + "add/").content.decode()
    assert app.code in form and "guixi-app" not in form  # only the applications of the scope
    response = client.post(CREDENTIALS + "add/", {"application": app.pk, "algorithm": "HMAC-SM3"})
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    credential = ConsumerCredential.objects.get(application=app)
    assert credential.secret in response.content.decode()
    detail = client.get(f"{CREDENTIALS}{credential.key_id}/").content.decode()
    assert credential.key_id in detail and credential.secret not in detail


def test_the_form_refuses_an_sm2_credential_without_a_key(editor):
    app = make_app(YUJIANG_HRSS)
    response = signed_in(editor).post(CREDENTIALS + "add/", {"application": app.pk, "algorithm": "SM2"})
    assert response.status_code == 422
    assert zh_html("An SM2 credential needs the application's public key.") in response.content.decode()
    assert not ConsumerCredential.objects.exists()


def test_disable_and_enable(editor, datastore):
    me, grant, dataset = make_consumer()
    credential = ConsumerCredential.objects.get(key_id=me.key_id)
    ConsumerCredential.objects.filter(pk=credential.pk).update(application=make_app(YUJIANG_HRSS))
    client = signed_in(editor)
    client.post(f"{CREDENTIALS}{me.key_id}/", {"enabled": "false"})
    assert not ConsumerCredential.objects.get(pk=credential.pk).enabled
    assert audited("exchange.consumercredential.change").changes["enabled"] == [True, False]
    client.post(f"{CREDENTIALS}{me.key_id}/", {"enabled": "true"})
    assert ConsumerCredential.objects.get(pk=credential.pk).enabled


def test_out_of_scope_and_unauthorised(editor, world):
    theirs = make_app(GUIXI_HRSS)
    from dgov.exchange.services import credential_create

    credential, _ = credential_create(actor=world.admin, application=theirs, algorithm="HMAC-SM3")
    assert signed_in(editor).get(f"{CREDENTIALS}{credential.key_id}/").status_code == 404
    assert signed_in(editor).get(f"/data/exchange/applications/{theirs.code}/allowed/").status_code == 404
    assert signed_in(world.official).get(CREDENTIALS).status_code == 403
    assert signed_in(world.official).get(LOG).status_code == 403


def test_what_an_application_may_call(datastore, world):
    me, grant, dataset = make_consumer()
    page = signed_in(world.admin).get(f"/data/exchange/applications/{me.app_code}/allowed/").content.decode()
    assert dataset.entry.name in page and "<code>xm</code>" in page and "<code>sfzh</code>" not in page
    assert me.key_id in page


def test_a_service_page_shows_its_openapi(datastore):
    me, grant, dataset = make_consumer()
    page = signed_in(make_reviewer()).get(f"/data/exchange/services/{dataset.entry.code}/").content.decode()
    assert "&quot;openapi&quot;: &quot;3.1.0&quot;" in page and "sfzh" in page
    download = signed_in(make_reviewer()).get(f"/data/exchange/services/{dataset.entry.code}/?format=json")
    assert download["Content-Disposition"] == 'attachment; filename="openapi.json"'
    assert set(download.json()["components"]["schemas"]["Row"]["properties"]) == {"xm", "sfzh", "lxdh", "djrq"}


def test_the_exchange_log_for_the_centre(datastore):
    me, grant, dataset = make_consumer()
    call = signed_get(me, f"/exchange/v1/services/{dataset.entry.code}")
    centre = signed_in(make_reviewer())
    page = centre.get(LOG).content.decode()
    assert call["X-Request-Id"] in page and zh("Verify the exchange log chain") in page
    assert call["X-Request-Id"] not in centre.get(LOG + f"?app_code={me.app_code}&outcome=refused").content.decode()
    assert call["X-Request-Id"] in centre.get(LOG + f"?app_code={me.app_code}&outcome=ok").content.decode()
    export = centre.get(LOG + "?export=csv")
    assert export.status_code == 200 and ExchangeLogEntry.objects.get().hash in export.content.decode("utf-8-sig")
    response = centre.post(LOG + "verify/")
    assert response.status_code == 302 and audited("exchange.log.verify").changes["ok"] is True
    chain_file = centre.get(LOG + "chain.jsonl")
    assert offline.verify_lines(chain_file.content.decode().splitlines())[0]
    assert audited("exchange.log.export").changes["entries"] == 1


def test_a_department_sees_its_own_applications_calls_only(datastore, editor):
    me, grant, dataset = make_consumer()  # an application of 余江区人社局
    other, _g, other_dataset = make_consumer()
    ExchangeLogEntry.objects.all().delete()
    mine = signed_get(me, f"/exchange/v1/services/{dataset.entry.code}")
    guixi = make_app(GUIXI_HRSS)
    from dgov.exchange.models import ConsumerCredential as C

    C.objects.filter(key_id=other.key_id).update(application=guixi)
    from dgov.core.cache import KEYS

    KEYS.bump()
    theirs = signed_get(Consumer(guixi.code, other.key_id, other.secret), "/exchange/v1/allowed")
    assert theirs.status_code == 200
    page = signed_in(editor).get(LOG).content.decode()
    assert mine["X-Request-Id"] in page and theirs["X-Request-Id"] not in page and guixi.code not in page
    # the whole chain is for scope "all" only
    assert signed_in(editor).get(LOG + "chain.jsonl").status_code == 403
