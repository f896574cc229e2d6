"""Helpers for the cryptography-service tests."""

import base64
import json

from dgov.accounts.models import Application
from dgov.accounts.services import application_create
from dgov.accounts.testing import department
from dgov.kms import services
from dgov.kms.models import Key, KeyPolicy

YUJIANG_DEPT = "360603902"  # 余江区发展改革委 (in 余江区's region scope)
GUIXI_DEPT = "360681902"  # 贵溪市发展改革委 (outside it)


def b64(data: bytes | str) -> str:
    return base64.b64encode(data.encode() if isinstance(data, str) else data).decode()


def unb64(value: str) -> bytes:
    return base64.b64decode(value)


def make_key(actor, name: str, type: str = "sm4-gcm", dept: str = YUJIANG_DEPT, **kwargs) -> Key:
    return services.key_create(actor=actor, name=name, type=type, department=department(dept), **kwargs)


def make_app(actor, code: str, dept: str = YUJIANG_DEPT) -> Application:
    return application_create(actor=actor, code=code, name=f"应用 {code}", department=department(dept))


def allow(actor, app: Application, key: Key, *ops: str) -> KeyPolicy:
    return services.policy_save(actor=actor, policy=KeyPolicy(key=key, application=app, operations=list(ops)))


def post(client, url: str, payload: dict | None = None):
    return client.post(url, data=json.dumps(payload or {}), content_type="application/json")


def patch(client, url: str, payload: dict):
    return client.patch(url, data=json.dumps(payload), content_type="application/json")
