"""Pages under 数据平台 → 节点级联: the sync status (this node, its peers, subscriptions with lag, last
success and failure, publications, recent runs), the peers (pairing), the sync runs and the catalog
entries received from peers."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from dgov.core.permissions import has_permission
from dgov.core.views import CrudView, CrudViews
from dgov.federation import node, selectors, services
from dgov.federation.filtersets import RemoteEntryFilterSet, SyncRunFilterSet
from dgov.federation.forms import PeerForm
from dgov.federation.models import Peer, RemoteEntry, Subscription, SyncRun
from dgov.federation.tables import PeerTable, RemoteEntryTable, SubscriptionTable, SyncRunTable

NAMESPACE = "federation"


class PeerViews(CrudViews):
    nav_section = "data"
    model = Peer
    table = PeerTable
    form = PeerForm
    save = staticmethod(services.peer_save)
    lookup = "code"

    @classmethod
    def deletable(cls) -> bool:
        return False  # a pairing is disabled, never deleted: its runs and received entries refer to it


class SyncRunViews(CrudViews):
    nav_section = "data"
    model = SyncRun
    table = SyncRunTable
    filterset = SyncRunFilterSet
    queryset = staticmethod(lambda: SyncRun.objects.select_related("peer"))


class RemoteEntryViews(CrudViews):
    nav_section = "data"
    model = RemoteEntry
    table = RemoteEntryTable
    filterset = RemoteEntryFilterSet
    queryset = staticmethod(lambda: RemoteEntry.objects.select_related("peer"))


class StatusViews(CrudViews):
    """The subscriptions' list and pages; the status page shows them with the rest."""

    nav_section = "data"
    model = Subscription
    table = SubscriptionTable
    queryset = staticmethod(lambda: Subscription.objects.select_related("peer", "dataset__entry"))


class StatusView(CrudView):
    crud = StatusViews
    template_name = "federation/status.html"

    def get(self, request):
        user = request.user
        if not has_permission(user, Subscription, "view"):
            raise PermissionDenied()
        data = selectors.status(user)
        pem = node.public_key_pem()
        return render(request, self.template_name, self.context(
            node_code=node.code(), node_name=node.name(), node_url=node.base_url(), public_key_pem=pem,
            fingerprint=node.fingerprint(pem), can_pair=has_permission(user, Peer, "add"), **data))
