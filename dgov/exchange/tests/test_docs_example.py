"""The Python client in docs/exchange.md, run exactly as written (its four settings replaced), with
`urllib.request.urlopen` answered by Django's test client instead of the network."""

import re
import urllib.error
import urllib.request
from email.message import Message
from io import BytesIO
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.test import Client

from dgov.exchange.models import ExchangeLogEntry
from dgov.exchange.testing import make_consumer

pytestmark = pytest.mark.django_db
DOC = Path(__file__).resolve().parents[3] / "docs" / "exchange.md"
BASE_URL = "http://testserver"


def example() -> str:
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## A client in Python", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


class _Answer(BytesIO):
    def __init__(self, response):
        super().__init__(response.content)
        self.status = response.status_code
        self.headers = Message()
        for name, value in response.items():
            self.headers[name] = value


def fake_urlopen(request, timeout=None):
    parts = urlsplit(request.full_url)
    assert f"{parts.scheme}://{parts.netloc}" == BASE_URL
    response = Client().get(parts.path + ("?" + parts.query if parts.query else ""),
                            headers=dict(request.header_items()))
    if response.status_code >= 400:
        raise urllib.error.HTTPError(request.full_url, response.status_code, "refused", Message(),
                                     BytesIO(response.content))
    return _Answer(response)


def configured(code: str, **values) -> str:
    for name, value in values.items():
        code, n = re.subn(rf"^{name} = .*$", f"{name} = {value!r}", code, count=1, flags=re.M)
        assert n == 1, name
    return code


def test_the_documented_client_calls_the_gateway(datastore, monkeypatch, capsys):
    me, grant, dataset = make_consumer()
    monkeypatch.setattr(urllib.request, "urlopen", fake_urlopen)
    exec(configured(example(), BASE_URL=BASE_URL, APP=me.app_code, KEY_ID=me.key_id, SECRET=me.secret),  # noqa: S102
         {"__name__": "example"})
    printed = capsys.readouterr().out
    first_row = {"xm": "张*", "lxdh": "138****5678"}
    assert printed == f"{dataset.entry.code} {dataset.entry.name} 3 rows {[first_row]}\n"
    assert list(ExchangeLogEntry.objects.order_by("seq").values_list("status", "path")) == [
        (200, "/exchange/v1/allowed"), (200, f"/exchange/v1/services/{dataset.entry.code}")]


def test_with_a_wrong_secret_the_documented_client_gets_401(datastore, monkeypatch):
    me, grant, dataset = make_consumer()
    monkeypatch.setattr(urllib.request, "urlopen", fake_urlopen)
    with pytest.raises(urllib.error.HTTPError) as refused:
        exec(configured(example(), BASE_URL=BASE_URL, APP=me.app_code, KEY_ID=me.key_id, SECRET="wrong"),  # noqa: S102
             {"__name__": "example"})
    assert refused.value.code == 401
