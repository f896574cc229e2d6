from django import forms
from django.utils.translation import gettext_lazy as _

from dgov.supervision.models import TaskState

#: action → (its button's label, the note field's label)
ACTION_LABELS = {
    "acknowledge": (_("Acknowledge the task"), _("Note (optional)")),
    "start": (_("Record that supervision started"), _("How it is supervised (optional)")),
    "close": (_("Close the task"), _("How the supervision ended")),
}


class TaskActionForm(forms.Form):
    note = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, action: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.action = action
        self.label = ACTION_LABELS[action][0]
        self.fields["note"].label = ACTION_LABELS[action][1]


class TaskFilterForm(forms.Form):
    state = forms.ChoiceField(label=_("State"), required=False, choices=[("", _("Any"))] + list(TaskState.choices))
    overdue = forms.ChoiceField(label=_("Overdue"), required=False,
                                choices=[("", _("Any")), ("yes", _("overdue")), ("no", _("not overdue"))])
