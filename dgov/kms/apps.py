from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KmsConfig(AppConfig):
    name = "dgov.kms"
    label = "kms"
    verbose_name = _("Cryptography service")

    def ready(self):
        from dgov.core import nav
        from dgov.core.audit import register_action_labels
        from dgov.core.cache import KEYS, invalidate_on_audit
        from dgov.kms.models import Key, KeyPolicy

        register_action_labels(
            events={
                "kms.encrypt": _("Encrypted with a key"), "kms.decrypt": _("Decrypted with a key"),
                "kms.rewrap": _("Re-encrypted under a key's latest version"),
                "kms.datakey": _("Generated a data key"), "kms.sign": _("Signed with a key"),
                "kms.verify": _("Verified with a key"), "kms.hmac": _("Computed an HMAC with a key"),
                "kms.export": _("Exported key material"), "kms.hash": _("Computed an SM3 digest"),
                "kms.random": _("Drew random bytes"),
            },
            verbs={"rotate": _("rotated"), "reindex": _("re-indexed"),
                   "rewrap_fields": _("personal data re-encrypted"), "deactivate": _("deactivated")},
        )

        # Key and policy writes (not the cryptographic operations, which are audited too).
        invalidate_on_audit(("kms.key.", "kms.keypolicy.", "accounts.application."), KEYS)

        nav.register("system", _("Key management"), "kms:key_list", perm=(Key, "view"), order=60)
        nav.register("system", _("Key policies"), "kms:keypolicy_list", perm=(KeyPolicy, "view"), order=65)

    def load_reference(self, out, *, update=False):
        from dgov.kms.services import ensure_system_keys

        out(f"platform keys: {ensure_system_keys()} created")
