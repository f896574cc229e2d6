from django.utils.translation import gettext_lazy as _

from dgov.core.tables import Column, Table
from dgov.policies import industry


def _tags(value) -> str:
    return "、".join(value or [])


class EnterpriseProfileTable(Table):
    default_order = "enterprise"
    columns = [
        Column("credit_code", _("Unified social credit code"), order_by="credit_code"),
        Column("enterprise.name", _("Enterprise"), link=True, order_by="enterprise__name"),
        Column("industry", _("Industry code"), order_by="industry"),
        Column("industry", _("Industry"), display=industry.industry_name, export=False),
        Column("size", _("Enterprise size"), order_by="size"),
        Column("size_basis", _("Size determined by"), export=False),
        Column("registered_on", _("Registration date"), order_by="registered_on"),
        Column("region.code", _("Region code"), order_by="region__code"),
        Column("employees", _("Employees"), order_by="employees"),
        Column("annual_revenue", _("Annual revenue (10,000 yuan)"), order_by="annual_revenue"),
        Column("tax_paid", _("Tax paid (10,000 yuan)")),
        Column("tags", _("Qualifications"), display=_tags),
        Column("credit_rating", _("Tax credit rating"), order_by="credit_rating"),
        Column("source", _("Data source")),
        Column("as_of", _("Data as of"), order_by="as_of"),
        Column("is_demo", _("Demo data"), export=False),
    ]


class PolicyTable(Table):
    default_order = "-valid_from"
    columns = [
        Column("title", _("Title"), link=True, order_by="title"),
        Column("department.name", _("Issuing department"), order_by="department__path"),
        Column("document_number", _("Document number")),
        Column("kind", _("Kind"), order_by="kind"),
        Column("status", _("Status"), order_by="status"),
        Column("valid_from", _("Valid from"), order_by="valid_from"),
        Column("valid_until", _("Valid until"), order_by="valid_until"),
    ]


class PolicyMatchTable(Table):
    default_order = "-matched_at"
    columns = [
        Column("policy.title", _("Policy"), link=True, order_by="policy__title"),
        Column("enterprise.name", _("Enterprise"), order_by="enterprise__name"),
        Column("eligible", _("Eligible"), order_by="eligible"),
        Column("matched_at", _("Matched at"), order_by="matched_at"),
        Column("notified_at", _("Told at")),
        Column("case.reference", _("Benefit case")),
    ]


class MatchRunTable(Table):
    default_order = "-started_at"
    columns = [
        Column("started_at", _("Started at"), link=True, order_by="started_at"),
        Column("policy.title", _("Policy")),
        Column("actor.username", _("Run by")),
        Column("policies", _("Policies")),
        Column("evaluated", _("Evaluated")),
        Column("eligible", _("Eligible")),
        Column("changed", _("Changed")),
        Column("notified", _("Told")),
        Column("cases", _("Benefit cases opened")),
    ]
