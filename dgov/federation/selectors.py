"""Reads of the federation app, scoped: only `all` grants see peers, subscriptions and runs."""

from django.db.models import QuerySet

from dgov.core.permissions import get_scoped
from dgov.federation.models import Peer, Publication, RemoteEntry, Subscription, SyncRun

RECENT_RUNS = 20


def visible_peers(user) -> QuerySet:
    return Peer.objects.restrict(user, "view").order_by("code")


def peer_for(user, code: str, action: str = "view") -> Peer:
    return get_scoped(user, action, Peer.objects.all(), code=code)


def visible_subscriptions(user, *, peer: str = "", kind: str = "") -> QuerySet:
    qs = Subscription.objects.restrict(user, "view").select_related("peer", "dataset__entry")
    if peer:
        qs = qs.filter(peer__code=peer)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("peer__code", "feed")


def subscription_for(user, pk: int, action: str = "view") -> Subscription:
    return get_scoped(user, action, Subscription.objects.select_related("peer", "dataset__entry"), pk=pk)


def visible_publications(user, *, peer: str = "") -> QuerySet:
    qs = Publication.objects.restrict(user, "view").select_related("peer", "dataset__entry")
    if peer:
        qs = qs.filter(peer__code=peer)
    return qs.order_by("peer__code", "dataset__entry__code")


def publication_for(user, pk: int, action: str = "view") -> Publication:
    return get_scoped(user, action, Publication.objects.select_related("peer", "dataset__entry"), pk=pk)


def visible_runs(user, *, peer: str = "", feed: str = "", status: str = "") -> QuerySet:
    qs = SyncRun.objects.restrict(user, "view").select_related("peer")
    if peer:
        qs = qs.filter(peer__code=peer)
    if feed:
        qs = qs.filter(feed=feed)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-started_at", "-id")


def run_for(user, pk: int) -> SyncRun:
    return get_scoped(user, "view", SyncRun.objects.select_related("peer"), pk=pk)


def visible_remote_entries(user) -> QuerySet:
    return RemoteEntry.objects.restrict(user, "view").select_related("peer")


def status(user) -> dict:
    """What the status page shows: subscriptions (lag, last success, last failure), publications,
    peers and the latest runs, failed ones first among equals."""
    subscriptions = list(visible_subscriptions(user))
    return {
        "peers": list(visible_peers(user)),
        "subscriptions": subscriptions,
        "failing": [s for s in subscriptions if s.last_error],
        "publications": list(visible_publications(user)),
        "runs": list(visible_runs(user)[:RECENT_RUNS]),
    }
