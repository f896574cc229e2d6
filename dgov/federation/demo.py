"""Demo federation data, marked demo (is_demo, 演示 in the name): the province as an upstream peer
(a pairing with a key made here; no province node runs, so a pull from it fails and the status page
shows that failure), the city's demo dataset published to it, and a subscription to its catalog.
Idempotent: a second run creates nothing."""

from django.db import transaction

from dgov.aggregation.models import Dataset
from dgov.crypto.primitives import SM2PrivateKey
from dgov.federation import services
from dgov.federation.models import CATALOG_FEED, Peer, PeerRole, Publication, Subscription

DEMO_PEER_CODE = "360000"
DEMO_PEER_NAME = "江西省数据共享交换平台（演示）"
DEMO_PEER_URL = "http://127.0.0.1:8101"


def load_demo() -> dict:
    created = 0
    with transaction.atomic():
        peer = Peer.objects.filter(code=DEMO_PEER_CODE).first()
        if peer is None:
            peer = Peer(code=DEMO_PEER_CODE, name=DEMO_PEER_NAME, role=PeerRole.UPSTREAM, base_url=DEMO_PEER_URL,
                        public_key_pem=SM2PrivateKey.generate().public_key().to_pem(), is_demo=True)
            services.peer_save(instance=peer, system=True)
            created += 1
        if not Subscription.objects.filter(peer=peer, feed=CATALOG_FEED).exists():
            services._save(actor=None, system=True, instance=Subscription(
                peer=peer, feed=CATALOG_FEED, kind=Subscription.Kind.CATALOG, is_demo=True))
            created += 1
        dataset = Dataset.objects.filter(is_demo=True).order_by("entry__code").first()
        if dataset is not None and not Publication.objects.filter(peer=peer, dataset=dataset).exists():
            services.publication_save(instance=Publication(peer=peer, dataset=dataset, is_demo=True), system=True)
            created += 1
    return {"created": created}
