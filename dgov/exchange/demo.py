"""Demo data (`dgov init --demo`): an HMAC-SM3 gateway credential for the demo consumer application
of the sharing demo (`demo-yj-hrss`, 余江区社会救助资格核验系统（演示）). Its secret is generated once
and kept in $DGOV_DATA_DIR/demo-exchange-credentials.json (mode 0600, like demo-accounts.json), so
a second run reuses it and creates nothing."""

import json
import secrets

from django.conf import settings
from django.db import transaction

from dgov.accounts.models import Application
from dgov.core import audit
from dgov.exchange.models import Algorithm, ConsumerCredential
from dgov.exchange.services import new_key_id

DEMO_APPLICATION = "demo-yj-hrss"
FILE_NAME = "demo-exchange-credentials.json"


def demo_file():
    return settings.DATA_DIR / FILE_NAME


def load_demo() -> dict:
    path = demo_file()
    application = Application.objects.filter(code=DEMO_APPLICATION).first()
    if application is None:
        return {"created": 0, "file": "(no demo consumer application)"}
    try:
        known = {c["key_id"]: c for c in json.loads(path.read_text(encoding="utf-8"))}
    except FileNotFoundError:
        known = {}
    created = 0
    with transaction.atomic():
        existing = list(ConsumerCredential.objects.filter(application=application, is_demo=True, enabled=True))
        usable = [c for c in existing if c.key_id in known and known[c.key_id]["secret"] == c.secret]
        if not usable:
            # The file was lost (or this is the first run): a secret cannot be shown again, so the
            # old demo credentials are disabled and a new one is made.
            ConsumerCredential.objects.filter(pk__in=[c.pk for c in existing]).update(enabled=False)
            credential = ConsumerCredential.objects.create(
                application=application, algorithm=Algorithm.HMAC_SM3, key_id=new_key_id(application),
                secret=secrets.token_urlsafe(32), is_demo=True)
            audit.record("exchange.consumercredential.create", credential,
                         changes={"key_id": [None, credential.key_id], "algorithm": [None, "HMAC-SM3"],
                                  "demo": [None, True]})
            usable, created = [credential], 1
        entries = [{"application": application.code, "key_id": c.key_id, "algorithm": c.algorithm,
                    "secret": c.secret, "note": "演示凭据（demo only）"} for c in usable]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(entries, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    path.chmod(0o600)
    return {"created": created, "file": str(path), "credentials": entries}
