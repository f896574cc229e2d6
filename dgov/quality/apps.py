from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QualityConfig(AppConfig):
    name = "dgov.quality"
    label = "quality"
    verbose_name = _("Data quality")

    def ready(self):
        from dgov.accounts import roles
        from dgov.core import nav
        from dgov.core.audit import register_action_labels
        from dgov.quality.models import QualityRule, QualityRun, RemediationTask

        rules = ("quality.view_qualityrule", "quality.add_qualityrule", "quality.change_qualityrule",
                 "quality.delete_qualityrule", "quality.run_qualityrule", "quality.view_qualityrun",
                 "quality.view_remediationtask", "quality.fix_remediationtask")
        roles.grant("data_governor", *rules)
        roles.grant("catalog_editor", *rules)
        roles.grant("catalog_reviewer", "quality.view_qualityrule", "quality.view_qualityrun",
                    "quality.view_remediationtask")
        register_action_labels(events={
            "quality.qualityrun.create": _("Quality check run"),
            "quality.qualityplan.change": _("Quality schedule changed"),
            "quality.remediationtask.create": _("Remediation task opened"),
            "quality.remediationtask.fix": _("Remediation recorded"),
            "quality.remediationtask.close": _("Remediation task closed"),
            "quality.remediationtask.escalate": _("Remediation task escalated")})
        nav.register("data", _("Quality rules"), "quality:qualityrule_list", perm=(QualityRule, "view"), order=105)
        nav.register("data", _("Quality runs"), "quality:qualityrun_list", perm=(QualityRun, "view"), order=106)
        nav.register("data", _("Remediation tasks"), "quality:remediationtask_list",
                     perm=(RemediationTask, "view"), order=107)

    def load_demo(self, out):
        from dgov.quality.demo import load_demo

        result = load_demo()
        run = result["run"]
        out(f"demo quality rules: {result['rules']} created"
            + (f", run {run.status} with score {run.score}" if run is not None else "")
            + f", {result['tasks']} remediation tasks")
        return result
