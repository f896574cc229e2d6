"""Demo ratings (`dgov init --demo`), marked `is_demo`: the demo citizen (李娜) gets two more decided cases
(made the way the demo cases are, dgov/cases/demo.py) and rates them: one 非常满意, one 不满意 whose
rectification has been verified and awaits its fix. The cases demo's own closed case is left unrated,
for the citizen to rate. The demo official `official` (张伟, of the city) becomes the city-wide rating manager
(好差评管理人员, scope: all), so that the bad ratings of any demo case (other apps' demo data make cases in
other districts too) can be handled with the demo account.

Idempotent: each demo rating's case is known by its key; what exists is kept.
"""

from django.db import transaction

from dgov.accounts.demo import grant_demo_role
from dgov.accounts.models import User
from dgov.cases import demo as cases_demo
from dgov.cases.models import CaseEvent
from dgov.ratings import services
from dgov.ratings.models import Rating, Rectification

ROLE = "rating_manager"
FINISHED = [("accept", {}), ("review", {}), ("approve", {}), ("deliver", {}), ("close", {})]
#: key → (level, indicators, comment, the rectification steps recorded)
RATINGS = [
    ("rating_good", 5, ["efficiency", "attitude"], "网上提交后很快办结，工作人员解答耐心。", []),
    ("rating_bad", 2, ["efficiency", "guide"], "办事指南写的材料和窗口要求不一致，多跑了一趟。",
     [("verify", {"text": "经核实，办事指南中“申请书”格式要求与窗口执行口径不一致，情况属实。", "founded": True})]),
]


def _case(key: str):
    event = CaseEvent.objects.filter(case__is_demo=True, action="start", data__demo=key).select_related("case").first()
    return event.case if event else None


def load_demo() -> dict:
    citizen = User.objects.select_related("person").filter(username=cases_demo.CITIZEN).first()
    official = User.objects.filter(username=cases_demo.OFFICIAL).first()
    region, promised, _instant = cases_demo.demo_implementations()
    total = Rating.objects.filter(is_demo=True).count
    if citizen is None or official is None or region is None:
        return {"created": 0, "total": total(), "note": "no demo accounts or items"}
    created = 0
    with transaction.atomic():
        grant_demo_role(official, ROLE)  # the city-wide rating manager: every demo case, whichever app made it
        for n, (key, level, indicators, comment, steps) in enumerate(RATINGS):
            case = _case(key) or cases_demo.make_demo_case(key, FINISHED, citizen, official,
                                                           promised[(n + 1) % len(promised)])
            if Rating.objects.filter(case=case).exists():
                continue
            rating = services.rate(actor=citizen, case=case, level=level, indicators=indicators, comment=comment)
            Rating.objects.filter(pk=rating.pk).update(is_demo=True)
            for step, data in steps:
                rectification = Rectification.objects.get(rating=rating)
                services.record_step(actor=official, rectification=rectification, step=step, **data)
            created += 1
    return {"created": created, "total": total()}
