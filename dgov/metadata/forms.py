from django import forms
from django.utils.translation import gettext_lazy as _

#: the "source" value of the harvest form that means the data store
DATASTORE_CHOICE = "datastore"


class TableFilterForm(forms.Form):
    q = forms.CharField(label=_("Table name"), required=False, max_length=128)
    location = forms.ChoiceField(label=_("Location"), required=False)
    department = forms.CharField(label=_("Department code"), required=False, max_length=20)
    dropped = forms.BooleanField(label=_("Include dropped tables"), required=False)

    def __init__(self, *args, sources=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location"].choices = ([("", _("Any")), (DATASTORE_CHOICE, _("data store"))]
                                           + [(str(s.pk), s.name) for s in sources])


class HarvestForm(forms.Form):
    source = forms.ChoiceField(label=_("Harvest"))

    def __init__(self, *args, sources=(), datastore=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = (([(DATASTORE_CHOICE, _("the data store"))] if datastore else [])
                                         + [(str(s.pk), s.name) for s in sources])


class ColumnElementForm(forms.Form):
    column = forms.CharField(widget=forms.HiddenInput, max_length=128)
    element = forms.CharField(label=_("Data element identifier"), required=False, max_length=64,
                              help_text=_("Leave empty to remove the mapping."))
