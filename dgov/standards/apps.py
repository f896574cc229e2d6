from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

#: the big-data centre's governance role (added to dgov/accounts/roles.py's from `ready`); the metadata,
#: quality and governance apps grant it their permissions
ROLES = {
    "data_governor": {
        "name": "数据治理管理员",
        "description": "市大数据中心：维护数据标准（数据元、代码集）并审核发布，管理数据模型，采集元数据，"
                       "配置和运行数据质量规则，跟踪整改任务，发布数据应用评价排名。",
        "requires_2fa": False,
        "perms": ["standards.view_codeset", "standards.add_codeset", "standards.change_codeset",
                  "standards.delete_codeset",
                  "standards.view_dataelement", "standards.add_dataelement", "standards.change_dataelement",
                  "standards.review_dataelement",
                  "standards.view_datamodel", "standards.add_datamodel", "standards.change_datamodel",
                  "standards.delete_datamodel",
                  "orgs.view_department"],
    },
}


class StandardsConfig(AppConfig):
    name = "dgov.standards"
    label = "standards"
    verbose_name = _("Data standards")

    def ready(self):
        from dgov.accounts import roles
        from dgov.catalog.services import register_item_check
        from dgov.core import nav
        from dgov.core.audit import register_action_labels
        from dgov.standards.models import CodeSet, DataElement, DataModel
        from dgov.standards.services import data_item_errors

        for code, spec in ROLES.items():
            roles.BUILTIN_ROLES.setdefault(code, {**spec, "perms": list(spec["perms"])})
        # a department's data administrator reads the standards, drafts elements and keeps its own models
        roles.grant("catalog_editor", "standards.view_codeset", "standards.view_dataelement",
                    "standards.add_dataelement", "standards.change_dataelement",
                    "standards.view_datamodel", "standards.add_datamodel", "standards.change_datamodel")
        roles.grant("catalog_reviewer", "standards.view_codeset", "standards.view_dataelement",
                    "standards.view_datamodel")
        register_action_labels(events={
            "standards.dataelement.review": _("Data element reviewed"),
            "standards.dataelement.return": _("Data element returned to draft"),
            "standards.dataelement.release": _("Data element released"),
            "standards.dataelement.retire": _("Data element retired"),
            "standards.dataelement.new_version": _("Data element: new version started"),
            "standards.modelversion.release": _("Data model version released"),
            "standards.demo.load": _("Loaded demo data standards")})
        register_item_check(data_item_errors)
        nav.register("data", _("Data elements"), "standards:dataelement_list", perm=(DataElement, "view"), order=100)
        nav.register("data", _("Code sets"), "standards:codeset_list", perm=(CodeSet, "view"), order=101)
        nav.register("data", _("Data models"), "standards:datamodel_list", perm=(DataModel, "view"), order=102)

    def load_reference(self, out, *, update=False):
        from dgov.standards import reference

        out(f"code sets: {reference.load_code_sets(update=update)} created or changed")
        out(f"data elements: {reference.load_elements(update=update)} created or changed")

    def load_demo(self, out):
        from dgov.standards.demo import load_demo

        result = load_demo()
        out(f"demo standards: {result['created']} created")
        return result
