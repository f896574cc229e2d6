from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FileExchangeConfig(AppConfig):
    name = "dgov.fileexchange"
    label = "fileexchange"
    verbose_name = _("File exchange")

    def ready(self):
        from dgov.accounts import roles
        from dgov.core import nav
        from dgov.core.audit import register_action_labels
        from dgov.fileexchange.models import FilePackage

        package = ("fileexchange.view_filepackage", "fileexchange.add_filepackage")
        # A department's data administrator prepares packages for its applications (consumer side) or
        # for the applications granted its data (provider side) and downloads its applications'
        # packages; administrators, who manage the applications' credentials, likewise. The big-data
        # centre's reviewers see and prepare packages for everyone but download none: a package is
        # for its recipient.
        roles.grant("catalog_editor", *package, "fileexchange.download_filepackage")
        roles.grant("city_admin", *package, "fileexchange.download_filepackage")
        roles.grant("county_admin", *package, "fileexchange.download_filepackage")
        roles.grant("catalog_reviewer", *package)
        register_action_labels(verbs={"download": _("downloaded")})
        nav.register("data", _("File exchange"), "fileexchange:filepackage_list", perm=(FilePackage, "view"),
                     order=84)

    def load_reference(self, out, *, update=False):
        from dgov.fileexchange.signing import ensure_signing_key

        created = ensure_signing_key()
        out(f"file exchange signing key: {'created' if created else 'present'}")

    def load_demo(self, out):
        from dgov.fileexchange.demo import load_demo

        result = load_demo()
        out(f"demo file packages: {result['created']} created ({result['reason']})")
        return result
