from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

#: the built-in role of ratings (added to dgov/accounts/roles.py's from `ready`)
ROLES = {
    "rating_manager": {
        "name": "好差评管理人员",
        "description": "查看数据范围内办件的“好差评”评价；对差评在时限内核实、整改（或解释说明）并回访，直至办结。",
        "requires_2fa": False,
        "perms": ["ratings.view_rating", "ratings.view_rectification", "ratings.handle_rectification",
                  "cases.view_case", "orgs.view_department"],
    },
}


class RatingsConfig(AppConfig):
    name = "dgov.ratings"
    label = "ratings"
    verbose_name = _("Ratings")

    def ready(self):
        from dgov.accounts import roles
        from dgov.cases import panels as case_panels
        from dgov.cases.notify import register_placeholders
        from dgov.core import nav
        from dgov.core.audit import register_action_labels
        from dgov.ratings import panels
        from dgov.ratings.models import Rating

        register_placeholders("rating_", "indicators", "comment", "fix")
        for code, spec in ROLES.items():
            roles.BUILTIN_ROLES.setdefault(code, {**spec, "perms": list(spec["perms"])})
        roles.grant("city_admin", "ratings.view_rating", "ratings.view_rectification")
        roles.grant("county_admin", "ratings.view_rating", "ratings.view_rectification")
        register_action_labels(events={
            "ratings.rectification.verify": _("Bad rating verified"),
            "ratings.rectification.fix": _("Bad rating: fix recorded"),
            "ratings.rectification.callback": _("Bad rating called back and closed"),
            "ratings.rectification.remind": _("Bad rating: reminder sent")})
        case_panels.register("applicant", panels.applicant_panel, order=20)
        case_panels.register("official", panels.official_panel, order=20)
        nav.register("workbench", _("Service ratings"), "ratings:rating_list", perm=(Rating, "view"), order=14)

    def load_demo(self, out):
        from dgov.ratings.demo import load_demo

        result = load_demo()
        out(f"demo ratings: {result['created']} created ({result['total']} in the demo)"
            + (f"; {result['note']}" if result.get("note") else ""))
        return result
