"""Demo data governance (`dgov init --demo`): a rating by the consuming department of the sharing demo's
grant (余江区人社局, application `demo-yj-hrss`) on the aggregation demo entry, with the provider's reply, and
one published ranking of the last 30 days. Loaded after the sharing demo; without an active grant on that
entry no rating is written. Running it again adds only what is missing (the rating by entry and
department; the ranking once). One audit entry `governance.demo.load` records a load that wrote anything.
"""

from django.db import transaction
from django.utils import timezone

from dgov.core import audit
from dgov.governance import evaluation
from dgov.governance.models import RankingPublication, ResourceFeedback
from dgov.sharing.models import Grant

APP_CODE = "demo-yj-hrss"  # dgov.sharing.demo.APP_CODE
COMMENT = "（演示数据）数据准确，保障类别字段对就业援助认定很有帮助；希望增加按月更新的时间戳。"
REPLY = "（演示数据）感谢反馈，下一版归集任务将增加数据更新时间字段。"


def load_demo() -> dict:
    feedback = publications = 0
    with transaction.atomic():
        grant = (Grant.objects.usable().filter(application__code=APP_CODE).select_related("entry", "application")
                 .order_by("pk").first())
        if grant is not None and not ResourceFeedback.objects.filter(
                entry=grant.entry, department=grant.application.department_id).exists():
            ResourceFeedback.objects.create(entry=grant.entry, department=grant.application.department, score=4,
                                            comment=COMMENT, reply=REPLY, replied_at=timezone.now(), is_demo=True)
            feedback += 1
        if not RankingPublication.objects.filter(is_demo=True).exists():
            start, end = evaluation.default_period()
            result = evaluation.evaluate(start, end)
            RankingPublication.objects.create(period_start=start, period_end=end, formula=result["formula"],
                                              rows={"resources": result["resources"],
                                                    "departments": result["departments"]}, is_demo=True)
            publications += 1
        if feedback or publications:
            audit.record("governance.demo.load", audit.Target("governance.rankingpublication", "", "demo"),
                         changes={"feedback": feedback, "publications": publications})
    return {"feedback": feedback, "publications": publications}
