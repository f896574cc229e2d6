import sys

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from dgov.core.context import RequestContext, use_context
from dgov.core.errors import DgovError
from dgov.crypto.keys import verify_master_key
from dgov.federation import protocol, services
from dgov.federation.models import Peer, Subscription, SyncRun


def _peer(code: str | None) -> Peer | None:
    if not code:
        return None
    peer = Peer.objects.filter(code=code).first()
    if peer is None:
        raise CommandError(f"no paired node {code}: pair with `dgov node pair` first")
    return peer


class Command(BaseCommand):
    help = ("Federation sync: `pull` the subscribed feeds from their peers (backflow, or upload pulled by "
            "the province), `push` this node's feeds to its upstream peers (upload), `subscribe` to a "
            "peer's feed, `publish` a dataset to a peer, `status`. Runs resume from the last checkpoint.")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        for name, text in (("pull", "pull every enabled subscription (or --peer / --feed) until up to date"),
                           ("push", "push to every upstream peer (or --peer) the feeds it subscribes to")):
            p = sub.add_parser(name, help=text)
            p.add_argument("--peer", help="only this peer (node code)")
            p.add_argument("--feed", default="", help="only this feed: catalog or a resource code")
            p.add_argument("--batch", type=int, default=protocol.DEFAULT_BATCH,
                           help=f"changes per batch (1–{protocol.MAX_BATCH}, default {protocol.DEFAULT_BATCH})")
        s = sub.add_parser("subscribe", help="copy a peer's feed here")
        s.add_argument("--peer", required=True)
        s.add_argument("--feed", required=True, help="catalog, or the peer's resource code")
        s.add_argument("--entry", default="", help="for a dataset feed: the local published entry it fills")
        p = sub.add_parser("publish", help="let a peer pull (and receive pushes of) a local dataset")
        p.add_argument("--peer", required=True)
        p.add_argument("--dataset", required=True, help="the dataset's resource code")
        sub.add_parser("status", help="subscriptions with checkpoint, lag, last success and failure")

    def handle(self, *args, action, **options):
        try:
            verify_master_key()
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from None
        with use_context(RequestContext(source="cli")):
            try:
                getattr(self, f"do_{action}")(**options)
            except DgovError as exc:
                self.stderr.write(f"{action} refused: " + "; ".join(exc.sentences()))
                sys.exit(1)

    def _runs(self, runs: list[SyncRun]) -> None:
        failed = 0
        for run in runs:
            rate = f", {run.rows_per_second} rows/s" if run.rows_per_second else ""
            self.stdout.write(f"{run.direction} {run.peer.code}:{run.feed} {run.status}: {run.batches} batches, "
                              f"{run.rows_applied} changes, {run.rows_deleted} deletions, sequence {run.from_seq}"
                              f"→{run.to_seq}{rate}" + (f" — {run.error}" if run.error else ""))
            failed += run.status != SyncRun.Status.SUCCEEDED
        if failed:
            sys.exit(1)

    def _batch(self, batch: int) -> int:
        if not 1 <= batch <= protocol.MAX_BATCH:
            raise CommandError(f"--batch is between 1 and {protocol.MAX_BATCH}")
        return batch

    def do_pull(self, *, peer=None, feed="", batch=protocol.DEFAULT_BATCH, **_):
        self._runs(services.pull_all(peer=_peer(peer), feed=feed, batch=self._batch(batch)))

    def do_push(self, *, peer=None, feed="", batch=protocol.DEFAULT_BATCH, **_):
        self._runs(services.push_all(peer=_peer(peer), feed=feed, batch=self._batch(batch)))

    def do_subscribe(self, *, peer, feed, entry="", **_):
        sub = services.subscribe(peer=_peer(peer), feed=feed, entry_code=entry, system=True)
        self.stdout.write(f"subscribed to {sub.peer.code}:{sub.feed}"
                          + (f" into dataset {sub.dataset.table_name}" if sub.dataset_id else ""))

    def do_publish(self, *, peer, dataset, **_):
        publication = services.publish(peer=_peer(peer), entry_code=dataset, system=True)
        self.stdout.write(f"published {publication.dataset.entry.code} to {publication.peer.code}")

    def do_status(self, **_):
        for sub in Subscription.objects.select_related("peer").order_by("peer__code", "feed"):
            self.stdout.write(f"{sub.peer.code}:{sub.feed}\tcheckpoint {sub.checkpoint}\tlag {sub.lag}\t"
                              f"last success {sub.last_success_at or '-'}\tlast failure {sub.last_failure_at or '-'}"
                              + (f"\t{sub.last_error}" if sub.last_error else ""))
