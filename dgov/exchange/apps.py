from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExchangeConfig(AppConfig):
    name = "dgov.exchange"
    label = "exchange"
    verbose_name = _("Data exchange gateway")

    def ready(self):
        from dgov.accounts import roles
        from dgov.core import nav
        from dgov.core.audit import register_action_labels
        from dgov.core.cache import KEYS, invalidate_on_audit
        from dgov.exchange.models import ConsumerCredential, ExchangeLogEntry

        credential = ("exchange.view_consumercredential", "exchange.add_consumercredential",
                      "exchange.change_consumercredential")
        # A department's data administrator manages its applications' credentials and sees their
        # calls; administrators manage credentials in their scope; the big-data centre and the
        # auditors read, export and verify the whole exchange log.
        roles.grant("catalog_editor", *credential, "exchange.view_exchangelogentry")
        roles.grant("city_admin", *credential)
        roles.grant("county_admin", *credential)
        roles.grant("catalog_reviewer", "exchange.view_consumercredential", "exchange.view_exchangelogentry",
                    "exchange.export_exchangelogentry")
        roles.grant("auditor", "exchange.view_exchangelogentry", "exchange.export_exchangelogentry")
        # The gateway keeps credentials per process under the KEYS generation.
        # An application's account deactivated through the user page (not only through
        # application_deactivate, which dgov.kms already watches) must stop its calls at once too.
        invalidate_on_audit(("exchange.consumercredential.", "accounts.user.change"), KEYS)
        # It keeps services (entry, dataset, columns and masks) and active grants per process under
        # SERVICES (and CATALOG): a grant created, revoked, replaced or expired, or a dataset's
        # columns or masks changed, reach every worker at its next call.
        from dgov.exchange.gateway import SERVICES

        invalidate_on_audit(("sharing.grant.", "aggregation.dataset."), SERVICES)
        register_action_labels(events={"exchange.log.verify": _("Verified the exchange log"),
                                       "exchange.log.export": _("Exported the exchange log")})
        nav.register("data", _("Gateway credentials"), "exchange:consumercredential_list",
                     perm=(ConsumerCredential, "view"), order=80)
        nav.register("data", _("Exchange log"), "exchange:exchangelogentry_list",
                     perm=(ExchangeLogEntry, "view"), order=82)
        nav.register("data", _("Data exchange statistics"), "exchange:statistics",
                     perm=(ExchangeLogEntry, "view"), order=83)

    def load_demo(self, out):
        from dgov.exchange.demo import load_demo

        result = load_demo()
        out(f"demo gateway credentials: {result['created']} created; secret in {result['file']}")
        return result
