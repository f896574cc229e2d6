import sys

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from dgov.core.context import RequestContext, use_context
from dgov.core.errors import ValidationError
from dgov.crypto.keys import verify_master_key
from dgov.federation import node, services
from dgov.federation.models import Peer, PeerRole


class Command(BaseCommand):
    help = ("This node and its peers: `show` prints what a peer needs to pair (code, URL, public key); "
            "`pair` pairs with another node; `list` lists the peers.")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        show = sub.add_parser("show", help="this node's code, name, URL, public key and its fingerprint")
        show.add_argument("--public-key-out", metavar="FILE", help="also write the public key PEM to FILE")
        pair = sub.add_parser("pair", help="pair with a node (or update its pairing)")
        pair.add_argument("--code", required=True, help="the peer's node code, e.g. 360000")
        pair.add_argument("--name", required=True, help="the peer's name, e.g. 江西省")
        pair.add_argument("--url", required=True, help="the peer's base URL, e.g. https://data.jiangxi.gov.cn")
        pair.add_argument("--public-key", required=True, metavar="FILE",
                          help="the peer's SM2 public key (PEM), as its `dgov node show` printed it")
        pair.add_argument("--role", required=True, choices=PeerRole.values,
                          help="upstream (the province for a city) or downstream (a county for a city)")
        sub.add_parser("list", help="the paired nodes")

    def handle(self, *args, action, **options):
        try:
            verify_master_key()  # the node key is wrapped under it
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from None
        with use_context(RequestContext(source="cli")):
            if action == "show":
                pem = node.public_key_pem()
                self.stdout.write(f"code: {node.code()}\nname: {node.name()}\nurl: {node.base_url()}\n"
                                  f"fingerprint (SM3): {node.fingerprint(pem)}\n{pem}")
                if options.get("public_key_out"):
                    with open(options["public_key_out"], "w", encoding="utf-8") as fh:
                        fh.write(pem)
            elif action == "pair":
                try:
                    with open(options["public_key"], encoding="utf-8") as fh:
                        pem = fh.read(4000)
                except OSError as exc:
                    raise CommandError(f"cannot read {options['public_key']}: {exc.strerror}") from None
                try:
                    peer = services.pair(code=options["code"], name=options["name"], base_url=options["url"],
                                         public_key_pem=pem, role=options["role"], system=True)
                except ValidationError as exc:
                    self.stderr.write("pairing refused: " + "; ".join(exc.sentences()))
                    sys.exit(1)
                self.stdout.write(f"paired with {peer.code} {peer.name} ({peer.role}) at {peer.base_url}; "
                                  f"fingerprint {node.fingerprint(peer.public_key_pem)}")
            else:
                for peer in Peer.objects.order_by("code"):
                    self.stdout.write(f"{peer.code}\t{peer.name}\t{peer.role}\t{peer.base_url}\t"
                                      f"{'enabled' if peer.enabled else 'disabled'}")
