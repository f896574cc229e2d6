"""Test helpers: one node talking to itself through Django's test client.

`loopback()` pairs this node with two peer rows holding its own public key: `CALLER` (this node's
own code, as the server side sees a request from it) and `REMOTE` (360000, as the client side
addresses it). `protocol.transport` is replaced by the test client, and while the server side
answers, the node's code is REMOTE's, so the answer verifies as coming from REMOTE. Pulls and
pushes then run the real protocol, signatures and all, inside one test database and data store.
"""

from django.test import Client, override_settings

from dgov.federation import node, protocol
from dgov.federation.models import Peer, PeerRole

REMOTE = "360000"


def peer_row(code: str, *, role: str = PeerRole.UPSTREAM, pem: str | None = None, **fields) -> Peer:
    from django.utils import timezone

    return Peer.objects.create(code=code, name=fields.pop("name", f"节点{code}"), role=role,
                               base_url=fields.pop("base_url", "http://127.0.0.1:8101"),
                               public_key_pem=pem or node.public_key_pem(), paired_at=timezone.now(), **fields)


def client_transport(method: str, url: str, body: bytes | None, headers: dict):
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    with override_settings(DGOV_NODE_CODE=REMOTE):
        response = Client().generic(method, path, data=body or b"", content_type=headers.get("Content-Type", ""),
                                    headers={k: v for k, v in headers.items() if k != "Content-Type"})
    return response.status_code, response.content, response.headers


def loopback(monkeypatch) -> tuple[Peer, Peer]:
    """(the caller as the server knows it, the remote as the client knows it)."""
    caller = peer_row(node.code(), role=PeerRole.DOWNSTREAM, name="本节点（作为对端）")
    remote = peer_row(REMOTE, name="江西省（测试）")
    monkeypatch.setattr(protocol, "transport", client_transport)
    return caller, remote


def dataset_batch(dataset, after: int = 0, limit: int = 100, *, feed: str = "") -> dict:
    """A dataset's batch of changes after `after`, as the source sends it (`feeds.changes`)."""
    from dgov.aggregation import datastore

    last = datastore.last_seq(dataset)
    columns, count, rows = datastore.changes_text(dataset, after, limit, last)
    return protocol.rows_payload(feed or dataset.entry.code, after, last, columns, count, rows)


def lines(batch: dict) -> list[list[str]]:
    """A dataset batch's rows as lists of fields (COPY text, escapes kept)."""
    return [line.split("\t") for line in batch["rows"].split("\n")[:-1]]


def rebuilt(batch: dict, rows: list[list[str]], columns: list[str] | None = None) -> dict:
    """`batch` carrying these rows (lists of fields) instead, with a digest that matches them."""
    columns = batch["columns"] if columns is None else columns
    text = "".join("\t".join(fields) + "\n" for fields in rows)
    return {**batch, "columns": columns, "count": len(rows), "rows": text,
            "digest": protocol.rows_digest(columns, text)}
