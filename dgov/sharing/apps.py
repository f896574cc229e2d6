from django.apps import AppConfig
from django.db.models.signals import post_save
from django.utils.translation import gettext_lazy as _


def _entry_saved(sender, instance, created=False, raw=False, update_fields=None, **kwargs):
    from dgov.catalog.models import Status
    from dgov.sharing.services import revoke_for_entry

    # A new entry has no grants, and a save that leaves the status alone changes nothing for them.
    if raw or created or (update_fields is not None and "status" not in update_fields):
        return
    if instance.status != Status.PUBLISHED:
        revoke_for_entry(instance)


class SharingConfig(AppConfig):
    name = "dgov.sharing"
    label = "sharing"
    verbose_name = _("Data sharing requests")

    def ready(self):
        from dgov.accounts import roles
        from dgov.catalog.models import CatalogEntry
        from dgov.core import nav
        from dgov.core.audit import register_action_labels
        from dgov.sharing.models import Grant, SharingEvent, SharingRequest

        # A department's data administrator requests data for the department's applications,
        # withdraws its requests, decides as the provider on requests for its own data and revokes
        # grants of it; the big-data centre's reviewers see everything, take the second decision and
        # may revoke any grant.
        roles.grant("catalog_editor", "sharing.view_sharingrequest", "sharing.add_sharingrequest",
                    "sharing.change_sharingrequest", "sharing.review_sharingrequest", "sharing.view_grant",
                    "sharing.revoke_grant")
        roles.grant("catalog_reviewer", "sharing.view_sharingrequest", "sharing.decide_sharingrequest",
                    "sharing.view_grant", "sharing.revoke_grant")
        # The audit administrator reads requests and grants (and their approval times), never decides.
        roles.grant("auditor", "sharing.view_sharingrequest", "sharing.view_grant")
        # Only the verbs no other app uses: the labels are shared by every model's actions.
        register_action_labels(verbs={verb: label for verb, label in SharingEvent.Action.choices
                                      if verb in ("provider_approve", "provider_reject", "centre_approve",
                                                  "centre_reject", "grant")} | {"expire": _("expired")})
        # A catalog entry leaving "published" ends its grants (see services.revoke_for_entry).
        post_save.connect(_entry_saved, sender=CatalogEntry, dispatch_uid="sharing.revoke_for_entry")
        nav.register("data", _("Sharing requests"), "sharing:sharingrequest_list",
                     perm=(SharingRequest, "view"), order=60)
        nav.register("data", _("Sharing grants"), "sharing:grant_list", perm=(Grant, "view"), order=61)

    def load_demo(self, out):
        from dgov.sharing.demo import load_demo

        result = load_demo()
        out(f"demo sharing requests: {result['created']} created ({result['total']} in the demo list), "
            f"grants: {result['grants']}")
        return result
