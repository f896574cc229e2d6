"""Demo quality rules (`dgov init --demo`, after metadata's demo has harvested the data store): eight rules
on the aggregation demo's data-store table (城乡低保对象联系信息（归集演示）: xm, sfzh, lxdh, jzdz, bzlb, ybzje,
djrq, gxsj) and one run, so the demo shows a run, a score and — where a rule fails — a remediation task for
余江区民政局. The code-set rule on bzlb is defined only when the standards app has a code set for that column
(mapped through the column's data element, or a code set named for the 低保 categories). Idempotent: rules are
matched by name and the table is run only when it has no run yet."""

import logging

from django.db import transaction

from dgov.core.errors import ValidationError
from dgov.quality import rules, services
from dgov.quality.models import QualityRule, RuleKind

log = logging.getLogger(__name__)
ENTRY_NAME = "城乡低保对象联系信息（归集演示）"
RULES = [
    ("姓名完整性", RuleKind.COMPLETENESS, ["xm"], {}, "姓名不得为空（NULL 与空串均计为缺失）。"),
    ("联系电话完整性", RuleKind.COMPLETENESS, ["lxdh"], {}, "联系电话不得为空。"),
    ("身份证号唯一性", RuleKind.UNIQUENESS, ["sfzh"], {"nulls": "any"}, "同一保障对象只应登记一次。"),
    ("身份证号校验位", RuleKind.ID_NUMBER, ["sfzh"], {}, "GB 11643 公民身份号码校验位。"),
    ("联系电话格式", RuleKind.REGEX, ["lxdh"], {"pattern": "^1[3-9][0-9]{9}$"}, "11 位手机号码。"),
    ("月保障金额范围", RuleKind.RANGE, ["ybzje"], {"min": 0, "max": 5000}, "月保障金额应在 0–5000 元之间。"),
    ("保障类别代码", RuleKind.CODE_SET, ["bzlb"], None, "保障类别应取自代码集。"),
    ("数据更新及时性", RuleKind.FRESHNESS, ["gxsj"], {"max_age_hours": 48, "timezone": "Asia/Shanghai"},
     "每日归集：记录更新时间不应早于 48 小时前。"),
]


def demo_table():
    from dgov.metadata.models import DATASTORE, MetaTable

    return (MetaTable.objects.filter(location=DATASTORE, dataset__entry__name=ENTRY_NAME, dropped_at__isnull=True)
            .select_related("department").first())


def _category_code_set(table):
    from dgov.standards.models import CodeSet

    column = table.columns.filter(name="bzlb", element__code_set__isnull=False).select_related(
        "element__code_set").first()
    if column is not None:
        return column.element.code_set
    return CodeSet.objects.filter(name__contains="低保").order_by("code").first()


def load_demo() -> dict:
    table = demo_table()
    if table is None:
        return {"rules": 0, "run": None, "tasks": 0}
    created = 0
    with transaction.atomic():
        for name, kind, columns, params, description in RULES:
            if QualityRule.objects.filter(table=table, name=name).exists():
                continue
            if params is None:
                code_set = _category_code_set(table)
                if code_set is None:
                    continue
                params = {"code_set": code_set.code}
            try:
                columns, params = rules.validate(table=table, kind=kind, columns=columns, params=params)
            except ValidationError as exc:  # the harvested table differs from the demo's: leave the rule out
                log.warning("demo quality rule %s skipped: %s", name, exc.details)
                continue
            QualityRule.objects.create(table=table, name=name, kind=kind, columns=columns, params=params,
                                       description=description, is_demo=True)
            created += 1
    run = None
    if not table.quality_runs.exists() and table.quality_rules.exists():
        run = services.run_table(table)
        table.remediation_tasks.update(is_demo=True)
    return {"rules": created, "run": run, "tasks": table.remediation_tasks.count()}
