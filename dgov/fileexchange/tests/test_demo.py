"""The demo: a package only for an SM2-holding demo consumer on a file-shared grant; idempotent."""

import datetime as dt

import pytest
from django.utils import timezone

from dgov.fileexchange.demo import DEMO_APP, load_demo
from dgov.fileexchange.models import FilePackage

pytestmark = pytest.mark.django_db


def test_skipped_without_sm2_then_made_once(dataset):
    from dgov.catalog.testing import make_superuser
    from dgov.crypto.primitives import SM2PrivateKey
    from dgov.exchange.services import credential_create
    from dgov.sharing.services import grant_create
    from dgov.sharing.testing import make_app

    assert load_demo()["created"] == 0
    root = make_superuser()
    app = make_app(code=DEMO_APP)
    now = timezone.now()
    grant_create(actor=root, request=None, application=app, entry=dataset.entry, items=["姓名"],
                 valid_from=now - dt.timedelta(minutes=1), expires_at=now + dt.timedelta(days=30))
    credential_create(actor=root, application=app, algorithm="HMAC-SM3")
    result = load_demo()
    assert result["created"] == 0 and "SM2" in result["reason"]
    credential_create(actor=root, application=app, algorithm="SM2",
                      public_key=SM2PrivateKey.generate().public_key().to_pem())
    assert load_demo()["created"] == 1
    assert load_demo()["created"] == 0
    package = FilePackage.objects.get()
    assert package.is_demo and package.application == app
