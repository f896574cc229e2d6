"""Demo file packages: one csv package for the demo consumer application (`demo-yj-hrss`) on its
demo grant — only when that application holds an SM2 gateway credential (a package is encrypted
for an SM2 public key; the exchange demo gives it an HMAC-SM3 credential only) and the grant's
entry is shared by file or database (the aggregation demo entry is shared by API). Otherwise no
demo package is made and the reason is said. Idempotent: one demo package at most."""

from dgov.fileexchange.models import FilePackage

DEMO_APP = "demo-yj-hrss"


def load_demo() -> dict:
    from dgov.accounts.models import Application
    from dgov.fileexchange import services
    from dgov.sharing.selectors import grants_for_application

    if FilePackage.objects.filter(is_demo=True).exists():
        return {"created": 0, "reason": "present"}
    application = Application.objects.filter(code=DEMO_APP).first()
    if application is None:
        return {"created": 0, "reason": f"no application {DEMO_APP}"}
    for grant in grants_for_application(application):
        if services.refusal(grant, "csv") is None:
            services.package_create(actor=application.account, grant=grant, fmt="csv", is_demo=True)
            return {"created": 1, "reason": f"for {DEMO_APP}"}
    return {"created": 0, "reason": f"skipped: {DEMO_APP} has no SM2 credential or no grant on a resource "
                                    "shared by file or database"}
