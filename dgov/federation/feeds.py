"""The source side: the feeds this node serves to a peer, and their changes after a sequence.

- `catalog`: this node's published catalog entries, numbered by the catalog feed's own sequence
  (`CatalogFeedItem`), brought up to date from the catalog before every read. An entry gets a new
  sequence when its version changes while published, and once more when it stops being published
  (withdrawn, marked `_deleted`), so withdrawals travel too. Drafts never leave the node.
- `<resource code>`: a dataset published to the peer (`Publication`), its changes from the data
  store as COPY text (`datastore.changes_text`, ordered by the table's change sequence, deletions
  included).
"""

from django.db import transaction

from dgov.aggregation import datastore
from dgov.aggregation.models import Dataset
from dgov.catalog.models import CatalogEntry, Status
from dgov.federation import protocol
from dgov.federation.models import CATALOG_FEED, CatalogFeedItem, CatalogFeedState, Publication


class UnknownFeed(Exception):
    pass


class FeedRefused(Exception):
    pass


# --- the catalog feed -------------------------------------------------------------------------------
def _entry_snapshot(entry: CatalogEntry) -> dict:
    return {
        "code": entry.code, "name": entry.name, "department": entry.department.name,
        "department_code": entry.department.code, "region_code": entry.region.code,
        "classification_code": entry.classification.code, "summary": entry.summary, "format": entry.format,
        "sharing_type": entry.sharing_type, "open_type": entry.open_type, "update_cycle": entry.update_cycle,
        "published_on": entry.published_on.isoformat() if entry.published_on else None, "version": entry.version,
        "items": [{"name": i.name, "data_type": i.data_type, "personal_data": i.personal_data,
                   "sharing_type": i.sharing_type, "open_type": i.open_type} for i in entry.items.all()],
    }


def refresh_catalog_feed() -> int:
    """Give every entry whose published state changed since the last refresh its next sequence.
    One transaction holding the feed's state row: concurrent refreshes take turns, so a reader never
    sees a sequence committed after a higher one. Returns the feed's last sequence."""
    with transaction.atomic():
        CatalogFeedState.objects.get_or_create(pk=1)
        state = CatalogFeedState.objects.select_for_update().get(pk=1)
        known = {code: (version, withdrawn) for code, version, withdrawn
                 in CatalogFeedItem.objects.values_list("code", "version", "withdrawn")}
        published = dict(CatalogEntry.objects.filter(status=Status.PUBLISHED).values_list("code", "version"))
        changed = [code for code, version in published.items()
                   if code not in known or known[code] != (version, False)]
        gone = [code for code, (_version, withdrawn) in known.items() if not withdrawn and code not in published]
        if not changed and not gone:
            return state.last_seq
        seq = state.last_seq
        entries = (CatalogEntry.objects.filter(code__in=changed)
                   .select_related("department", "region", "classification").prefetch_related("items"))
        for entry in sorted(entries, key=lambda e: e.code):
            seq += 1
            CatalogFeedItem.objects.update_or_create(code=entry.code, defaults={
                "version": entry.version, "seq": seq, "withdrawn": False, "snapshot": _entry_snapshot(entry)})
        for code in sorted(gone):
            seq += 1
            CatalogFeedItem.objects.filter(code=code).update(seq=seq, withdrawn=True, snapshot={"code": code})
        state.last_seq = seq
        state.save(update_fields=["last_seq"])
        return seq


def catalog_changes(after: int, limit: int) -> list[dict]:
    rows = CatalogFeedItem.objects.filter(seq__gt=after).order_by("seq")[:limit]
    return [{"_key": item.code, "_seq": item.seq, "_deleted": item.withdrawn,
             **({} if item.withdrawn else {"entry": item.snapshot})} for item in rows]


# --- dataset feeds ----------------------------------------------------------------------------------
def columns_of(dataset: Dataset) -> list[dict]:
    return [{"name": c.name, "item_name": c.item_name, "data_type": c.data_type, "is_key": c.is_key}
            for c in dataset.columns.all()]


def published_dataset(peer, feed: str) -> Dataset:
    """The dataset behind `feed` if it is published to `peer`."""
    # its columns once: the data store reads them several times per batch
    dataset = Dataset.objects.filter(entry__code=feed).select_related("entry").prefetch_related("columns").first()
    if dataset is None:
        raise UnknownFeed(feed)
    if not Publication.objects.filter(peer=peer, dataset=dataset).exists():
        raise FeedRefused(feed)
    return dataset


def list_feeds(peer) -> list[dict]:
    feeds = [{"feed": CATALOG_FEED, "kind": "catalog", "name": "数据资源目录", "last_seq": refresh_catalog_feed(),
              "columns": []}]
    for publication in (Publication.objects.filter(peer=peer).select_related("dataset__entry")
                        .order_by("dataset__entry__code")):
        dataset = publication.dataset
        feeds.append({"feed": dataset.entry.code, "kind": "dataset", "name": dataset.entry.name,
                      "last_seq": datastore.stats(dataset)[1], "columns": columns_of(dataset)})
    return feeds


def changes(peer, feed: str, after: int, limit: int) -> dict:
    """The batch of up to `limit` changes after `after`, as it travels (`protocol.batch_payload` for
    the catalog, `protocol.rows_payload` for a dataset)."""
    if feed == CATALOG_FEED:
        last = refresh_catalog_feed()
        return protocol.batch_payload(feed, after, last, catalog_changes(after, limit))
    dataset = published_dataset(peer, feed)
    # The last sequence is read before the batch: the batch never ends beyond what `last` says.
    last = datastore.last_seq(dataset)
    columns, count, rows = datastore.changes_text(dataset, after, limit, last)
    return protocol.rows_payload(feed, after, last, columns, count, rows)
