import django_filters
from django.utils.translation import gettext_lazy as _

from dgov.policies.industry import Size
from dgov.policies.models import EnterpriseProfile, Policy, PolicyKind, PolicyMatch, PolicyStatus


class EnterpriseProfileFilterSet(django_filters.FilterSet):
    name = django_filters.CharFilter(label=_("Enterprise"), field_name="enterprise__name", lookup_expr="icontains")
    industry = django_filters.CharFilter(label=_("Industry code"), lookup_expr="startswith")
    size = django_filters.ChoiceFilter(label=_("Enterprise size"), choices=Size.choices)

    class Meta:
        model = EnterpriseProfile
        fields = ["name", "industry", "size"]


class PolicyFilterSet(django_filters.FilterSet):
    title = django_filters.CharFilter(label=_("Title"), lookup_expr="icontains")
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=PolicyKind.choices)
    status = django_filters.ChoiceFilter(label=_("Status"), choices=PolicyStatus.choices)

    class Meta:
        model = Policy
        fields = ["title", "kind", "status"]


class PolicyMatchFilterSet(django_filters.FilterSet):
    policy = django_filters.NumberFilter(label=_("Policy"), field_name="policy_id")
    enterprise = django_filters.CharFilter(label=_("Enterprise"), field_name="enterprise__name",
                                           lookup_expr="icontains")
    eligible = django_filters.BooleanFilter(label=_("Eligible"))

    class Meta:
        model = PolicyMatch
        fields = ["policy", "enterprise", "eligible"]
