"""Test helpers for the census: campaigns in any state with their assignments, made through the
services as a reviewer of the big-data centre."""

import datetime as dt
import io

from openpyxl import Workbook, load_workbook

from dgov.catalog.testing import make_reviewer
from dgov.census import selectors, services
from dgov.census.models import CampaignState, CensusCampaign
from dgov.orgs.models import Department


def make_campaign(*, actor=None, departments=("360603909", "360681909"), state: str = CampaignState.OPEN,
                  year: int = 2026, name: str | None = None, opens_on: dt.date = dt.date(2026, 3, 1),
                  due_on: dt.date = dt.date(2099, 12, 31)) -> CensusCampaign:
    actor = actor or make_reviewer()
    campaign = services.campaign_save(actor=actor, campaign=CensusCampaign(
        year=year, name=name or f"{year}年度数据资源普查", instructions="请核对本部门全部数据资源。",
        opens_on=opens_on, due_on=due_on))
    if departments:
        services.assign(actor=actor, campaign=campaign,
                        departments=list(Department.objects.filter(code__in=departments)))
    if state in (CampaignState.OPEN, CampaignState.CLOSED):
        services.open_campaign(actor=actor, campaign=campaign)
    if state == CampaignState.CLOSED:
        services.close_campaign(actor=actor, campaign=campaign)
    campaign.refresh_from_db()
    return campaign


def template_rows(assignment, user=None) -> list[list]:
    """The assignment's pre-filled template as rows of cell values (header first), as `user`
    (default: a reviewer of the big-data centre) downloads it."""
    _name, data = selectors.template_download(user or make_reviewer(), assignment)
    return [list(r) for r in load_workbook(io.BytesIO(data)).worksheets[0].iter_rows(values_only=True)]


def xlsx(rows: list[list]) -> bytes:
    """Rows of cell values as an .xlsx file."""
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
