import django_filters
from django.utils.translation import gettext_lazy as _

from dgov.census.models import AssignmentState, CampaignState, CensusAssignment, CensusCampaign
from dgov.census.selectors import filter_assignments
from dgov.core.permissions import has_permission


class AssignmentFilterSet(django_filters.FilterSet):
    """The assignment list's filters. Assignments of campaigns still in draft are left out for those
    who do not manage campaigns (the departments see a campaign once it is opened)."""

    campaign = django_filters.ModelChoiceFilter(label=_("Census campaign"),
                                                queryset=CensusCampaign.objects.exclude(state=CampaignState.DRAFT))
    state = django_filters.ChoiceFilter(label=_("State"), choices=AssignmentState.choices)
    department = django_filters.CharFilter(label=_("Department code"), field_name="department__code")
    overdue = django_filters.BooleanFilter(label=_("Overdue"), method="filter_overdue")

    class Meta:
        model = CensusAssignment
        fields = ["campaign", "state", "department", "overdue"]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        if request is not None and has_permission(request.user, CensusCampaign, "change"):
            self.filters["campaign"].queryset = CensusCampaign.objects.all()

    def filter_queryset(self, queryset):
        if self.request is not None and not has_permission(self.request.user, CensusCampaign, "change"):
            queryset = queryset.exclude(campaign__state=CampaignState.DRAFT)
        return super().filter_queryset(queryset)

    def filter_overdue(self, qs, name, value):
        return filter_assignments(qs, overdue=value)
