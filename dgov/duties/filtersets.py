import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dgov.duties.models import DataDuty, DutyStatus
from dgov.duties.selectors import UNLINKED
from dgov.orgs.models import Department


def _departments(request):
    """The departments whose duties the user sees (the filter offers nothing else)."""
    if request is None:
        return Department.objects.none()
    visible = DataDuty.objects.restrict(request.user, "view").values("department")
    return Department.objects.filter(pk__in=visible).order_by("path")


class DataDutyFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Duty, data or legal basis"), method="search")
    department = django_filters.ModelChoiceFilter(label=_("Responsible department"), queryset=_departments,
                                                  to_field_name="code")
    unlinked = django_filters.ChoiceFilter(label=_("Cataloguing"), method="filter_unlinked",
                                           choices=[("true", _("not in the catalog")), ("false", _("in the catalog"))])
    status = django_filters.ChoiceFilter(label=_("Status"), choices=DutyStatus.choices)

    class Meta:
        model = DataDuty
        fields = ["q", "department", "unlinked", "status"]

    def search(self, qs, name, value):
        return qs.filter(Q(duty__icontains=value) | Q(data_name__icontains=value) | Q(legal_basis__icontains=value))

    def filter_unlinked(self, qs, name, value):
        return qs.filter(UNLINKED) if value == "true" else qs.exclude(UNLINKED)
