import django_filters
from django.utils.translation import gettext_lazy as _

from dgov.notifications.models import Channel, OutboxMessage


class OutboxFilterSet(django_filters.FilterSet):
    channel = django_filters.ChoiceFilter(label=_("Channel"), choices=Channel.choices)
    status = django_filters.ChoiceFilter(label=_("Status"), choices=OutboxMessage.Status.choices)

    class Meta:
        model = OutboxMessage
        fields = ["channel", "status"]
