import django_filters
from django.utils.translation import gettext_lazy as _

from dgov.federation.models import Peer, RemoteEntry, SyncRun


class SyncRunFilterSet(django_filters.FilterSet):
    peer = django_filters.ModelChoiceFilter(label=_("Peer node"), queryset=Peer.objects.order_by("code"),
                                            to_field_name="code")
    feed = django_filters.CharFilter(label=_("Feed"))
    status = django_filters.ChoiceFilter(label=_("Status"), choices=SyncRun.Status.choices)

    class Meta:
        model = SyncRun
        fields = ["peer", "feed", "status"]


class RemoteEntryFilterSet(django_filters.FilterSet):
    name = django_filters.CharFilter(label=_("Resource name"), lookup_expr="icontains")
    withdrawn = django_filters.BooleanFilter(label=_("Withdrawn"))

    class Meta:
        model = RemoteEntry
        fields = ["name", "withdrawn"]
