from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "dgov.accounts"
    label = "accounts"
    verbose_name = _("Unified identity")

    def ready(self):
        from dgov.accounts.models import ApiToken, Application, Role, RoleAssignment, User
        from dgov.core import nav
        from dgov.core.cache import IDENTITY, invalidate_on_audit

        # Every identity write is audited; the audit log tells the caches (token → user, profiles, grants).
        invalidate_on_audit(("accounts.", "auth.", "demo."), IDENTITY)

        nav.register("system", _("Users"), "accounts:user_list", perm=(User, "view"), order=10)
        nav.register("system", _("Roles"), "accounts:role_list", perm=(Role, "view"), order=20)
        nav.register("system", _("Role assignments"), "accounts:roleassignment_list",
                     perm=(RoleAssignment, "view"), order=30)
        nav.register("system", _("API tokens"), "accounts:apitoken_list", perm=(ApiToken, "view"), order=35)
        nav.register("system", _("Applications"), "accounts:application_list", perm=(Application, "view"),
                     order=37)

    def load_reference(self, out, *, update=False):
        # Built-in roles are defined by the platform and always brought in line, whatever `update` says.
        from dgov.accounts.roles import load_builtin_roles

        out(f"built-in roles: {load_builtin_roles()} created or changed")

    def load_demo(self, out):
        from dgov.accounts.demo import load_demo

        accounts = load_demo()
        out(f"demo accounts: {len(accounts)}")
        return accounts
