from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FederationConfig(AppConfig):
    name = "dgov.federation"
    label = "federation"
    verbose_name = _("Node federation")

    def ready(self):
        from dgov.accounts import roles
        from dgov.core import nav
        from dgov.core.audit import register_action_labels
        from dgov.federation.models import Subscription

        # Federation is the big-data centre's: its system administrators pair nodes, publish datasets
        # and subscribe to feeds; its reviewers watch the sync status.
        roles.grant("city_admin", "federation.view_peer", "federation.add_peer", "federation.change_peer",
                    "federation.view_publication", "federation.add_publication",
                    "federation.delete_publication", "federation.view_subscription",
                    "federation.add_subscription", "federation.change_subscription", "federation.view_syncrun",
                    "federation.view_remoteentry")
        roles.grant("catalog_reviewer", "federation.view_peer", "federation.view_publication",
                    "federation.view_subscription", "federation.view_syncrun", "federation.view_remoteentry")
        register_action_labels(events={
            "federation.syncrun.start": _("Sync run started"),
            "federation.syncrun.finish": _("Sync run finished"),
            "federation.syncrun.receive": _("Pushed batch received"),
            "federation.syncrun.interrupted": _("Sync run interrupted"),
        })
        nav.register("data", _("Node federation"), "federation:status", perm=(Subscription, "view"), order=90)

    def load_reference(self, out, *, update=False):
        from dgov.federation.node import ensure_node_key

        created = ensure_node_key()
        out(f"federation node key: {'created' if created else 'present'}")

    def load_demo(self, out):
        from dgov.federation.demo import load_demo

        result = load_demo()
        out(f"demo federation: {result['created']} created")
        return result
