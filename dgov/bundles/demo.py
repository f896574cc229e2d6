"""Demo one-thing bundles (`dgov init --demo`), built from the demo implementations of
`dgov/services/data/demo-service-items.json` and marked `is_demo`:

- 新生儿出生一件事 (月湖区 and the city): 出生登记 (户口), 城乡居民基本医疗保险参保登记, 社会保障卡申领 —
  after 国办发〔2024〕 “高效办成一件事” 新生儿出生一件事. (出生医学证明首次签发 is applied for online only in
  余江区 in the demo, so it is not a member.)
- 企业开办一件事 (余江区): 企业设立登记 and 职工参保登记.

Idempotent: a bundle whose code exists is kept; a bundle whose members are missing is left out."""

from django.db import transaction

from dgov.bundles import services
from dgov.bundles.models import Bundle, BundleStatus
from dgov.core.errors import DgovError

BUNDLES = [
    {"code": "newborn", "name": "新生儿出生一件事", "audience": "person",
     "description": "孩子出生后，一次填表、一次提交，同时办理出生登记（户口）、城乡居民医保参保登记和社会保障卡申领，"
                    "各部门并联办理，全部办结后一次告知结果。（演示数据）",
     "members": [("360700005000", "360602904"), ("362000009000", "360600028"), ("362000002000", "360600010")]},
    {"code": "enterprise-opening", "name": "企业开办一件事", "audience": "enterprise",
     "description": "新开办企业一次填表、一次提交，同时办理企业设立登记和职工参保登记，"
                    "全部办结后一次告知结果。（演示数据）",
     "members": [("360100001000", "360603907"), ("362000003000", "360603905")]},
]


def load_demo() -> dict:
    from dgov.accounts.models import User
    from dgov.services.models import Implementation

    created, skipped = 0, []
    actor = User.objects.filter(username="admin").first()
    if actor is None:
        return {"created": 0, "total": Bundle.objects.filter(is_demo=True).count(), "skipped": ["no admin"]}
    for spec in BUNDLES:
        if Bundle.objects.filter(code=spec["code"]).exists():
            continue
        impls = [Implementation.objects.filter(item__base_code=item, department__code=dept).select_related("item")
                 .first() for item, dept in spec["members"]]
        if any(i is None for i in impls):
            skipped.append(spec["code"])
            continue
        try:
            with transaction.atomic():
                bundle = services.bundle_save(actor=actor, data={**{k: spec[k] for k in (
                    "code", "name", "audience", "description")}, "is_demo": True}, implementations=impls)
                services.set_status(actor=actor, bundle=bundle, status=BundleStatus.PUBLISHED)
        except DgovError as exc:
            skipped.append(f"{spec['code']} ({'；'.join(exc.sentences())})")
            continue
        created += 1
    return {"created": created, "total": Bundle.objects.filter(is_demo=True).count(), "skipped": skipped}
