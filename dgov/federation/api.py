"""`/api/v1/exchange/federation/…`: this node, its peers (pairing), subscriptions with their sync
status (checkpoint, lag, last success and failure), publications and sync runs. The sync itself runs
from the command line (`dgov sync pull|push`) or the deployment's scheduler."""

from ninja import Router

from dgov.core.api import READ_ERRORS, actor_of, crud_router
from dgov.core.permissions import require_permission
from dgov.federation import node, services
from dgov.federation.models import Peer, Publication, Subscription, SyncRun
from dgov.federation.schemas import (
    NodeOut,
    PeerFilter,
    PeerIn,
    PeerOut,
    PeerPatch,
    PublicationOut,
    SubscriptionFilter,
    SubscriptionOut,
    SyncRunFilter,
    SyncRunOut,
)

TAGS = ["federation"]

peers_router = crud_router(model=Peer, out_schema=PeerOut, in_schema=PeerIn, patch_schema=PeerPatch,
                           filters=PeerFilter, lookup="code", lookup_type=str, save=services.peer_save, tags=TAGS)
subscriptions_router = crud_router(
    model=Subscription, out_schema=SubscriptionOut, filters=SubscriptionFilter, tags=TAGS,
    queryset=lambda: Subscription.objects.select_related("peer", "dataset__entry").order_by("peer__code", "feed"))
publications_router = crud_router(
    model=Publication, out_schema=PublicationOut, tags=TAGS,
    queryset=lambda: Publication.objects.select_related("peer", "dataset__entry").order_by("peer__code", "id"))
runs_router = crud_router(model=SyncRun, out_schema=SyncRunOut, filters=SyncRunFilter, tags=TAGS,
                          queryset=lambda: SyncRun.objects.select_related("peer").order_by("-started_at", "-id"))

router = Router(tags=TAGS)


@router.get("/node", response={200: NodeOut, **READ_ERRORS}, operation_id="get_federation_node")
def get_node(request):
    """This node's code, name, base URL and public key: what a peer needs to pair with it."""
    require_permission(actor_of(request), Peer, "view")
    pem = node.public_key_pem()
    return {"code": node.code(), "name": node.name(), "url": node.base_url(), "public_key_pem": pem,
            "fingerprint": node.fingerprint(pem)}
