import django_filters
from django.utils.translation import gettext_lazy as _

from dgov.demands import selectors
from dgov.demands.models import DataDemand, State
from dgov.orgs.filtersets import TwoPartyFilterSet


class DataDemandFilterSet(TwoPartyFilterSet):
    """The list's filters, applied by `selectors.filter_demands` as the API's are."""

    narrow = staticmethod(selectors.filter_demands)
    state = django_filters.ChoiceFilter(label=_("State"), choices=State.choices)
    role = django_filters.ChoiceFilter(label=_("My department as"), method="by_role",
                                       choices=[("requester", _("requester")), ("provider", _("provider"))])

    class Meta:
        model = DataDemand
        fields = ["q", "state", "overdue", "role", "department"]
