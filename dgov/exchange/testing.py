"""Test helpers for the gateway: signed requests through Django's test client, and a ready
consumer (dataset with rows, application, grant, credential)."""

import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlencode

from django.test import Client

from dgov.exchange import signing


@dataclass
class Consumer:
    app_code: str
    key_id: str
    secret: str = ""
    private_key: object = None  # SM2PrivateKey for SM2 credentials


def signed_headers(consumer: Consumer, path: str, query: str = "", *, method: str = "GET", body: bytes = b"",
                   timestamp: str | None = None, nonce: str | None = None) -> dict[str, str]:
    timestamp = timestamp or str(int(time.time()))
    nonce = nonce or secrets.token_hex(16)
    message = signing.string_to_sign(method, path, query, timestamp, nonce, body)
    signature = (signing.sm2_signature(consumer.private_key, message) if consumer.private_key is not None
                 else signing.hmac_signature(consumer.secret, message))
    return signing.signed_headers(app=consumer.app_code, key_id=consumer.key_id, timestamp=timestamp, nonce=nonce,
                                  signature=signature)


def signed_get(consumer: Consumer, path: str, params: dict | list | None = None, *, client: Client | None = None,
               headers: dict | None = None, **sign):
    """GET `path` with `params`, signed for `consumer` (override any signing header with `headers`)."""
    query = urlencode(params or {}, doseq=True)
    all_headers = {**signed_headers(consumer, path, query, **sign), **(headers or {})}
    return (client or Client()).get(path + ("?" + query if query else ""), headers=all_headers)


def make_consumer(*, items=("姓名", "联系电话"), rows: list[dict] | None = None, algorithm: str = "HMAC-SM3",
                  **grant_values):
    """A dataset (4 columns: xm 姓名, sfzh 公民身份号码 (key), lxdh 联系电话, djrq 登记日期) with `rows`, a
    consumer application of 余江区人社局, a grant of `items` on it and a credential. Needs the
    `datastore` fixture. Returns (consumer, grant, dataset)."""
    import datetime as dt

    from django.utils import timezone

    from dgov.aggregation import datastore
    from dgov.aggregation.testing import make_dataset
    from dgov.catalog.testing import make_superuser
    from dgov.crypto.primitives import SM2PrivateKey
    from dgov.exchange.services import credential_create
    from dgov.sharing.services import grant_create
    from dgov.sharing.testing import make_app

    root = make_superuser()
    dataset = make_dataset(actor=root)
    datastore.upsert(dataset, rows if rows is not None else ROWS)
    application = make_app()
    now = timezone.now()
    grant = grant_create(actor=root, request=None, application=application, entry=dataset.entry, items=list(items),
                         valid_from=now - dt.timedelta(minutes=1), expires_at=now + dt.timedelta(days=30),
                         **grant_values)
    private = SM2PrivateKey.generate() if algorithm == "SM2" else None
    credential, secret = credential_create(actor=root, application=application, algorithm=algorithm,
                                           public_key=private.public_key().to_pem() if private else "")
    return Consumer(application.code, credential.key_id, secret, private), grant, dataset


ROWS = [
    {"xm": "张三", "sfzh": "360602199001011234", "lxdh": "13812345678", "djrq": "2024-03-01"},
    {"xm": "李四", "sfzh": "360603198505052345", "lxdh": "13900001111", "djrq": "2025-07-15"},
    {"xm": "欧阳娜娜", "sfzh": "360681197712123456", "lxdh": "13722223333", "djrq": "2023-11-30"},
]
