"""The officials' forms: the inbox filters, the case list's search, and one form per action on a
case (`ACTION_FORMS`), each giving the `reason` and the data `services.transition` takes. A bad
submission comes back with every value kept and the errors in Chinese."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dgov.cases.models import Case, MessageTemplate, State
from dgov.cases.services import PROCEDURES
from dgov.orgs.models import Department
from dgov.services.models import Implementation

REASON_MAX = 2000
#: free items of a correction notice (besides the item's materials)
FREE_ITEMS = 3

WARNINGS = [("yellow", _("yellow warning")), ("red", _("red warning")), ("overdue", _("overdue"))]



class InboxFilterForm(forms.Form):
    """The inbox's filters: state, warning, item and department (only those of the cases in scope)."""

    state = forms.ChoiceField(label=_("State"), required=False)
    warning = forms.ChoiceField(label=_("Warning"), required=False, choices=[("", _("any"))] + WARNINGS)
    item = forms.ModelChoiceField(label=_("Item"), required=False, queryset=Implementation.objects.none(),
                                  to_field_name="code", empty_label=_("any"))
    department = forms.ModelChoiceField(label=_("Department"), required=False, queryset=Department.objects.none(),
                                        to_field_name="code", empty_label=_("any"))

    def __init__(self, *args, cases=None, states=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["state"].choices = [("", _("any"))] + [(s, label) for s, label in State.choices if s in states]
        if cases is not None:
            ids = cases.order_by().values("implementation_id")
            self.fields["item"].queryset = Implementation.objects.filter(pk__in=ids).order_by("name", "code")
            self.fields["item"].label_from_instance = lambda impl: f"{impl.name}（{impl.department.name}）" \
                if impl.department_id else impl.name
            self.fields["item"].queryset = self.fields["item"].queryset.select_related("department")
            self.fields["department"].queryset = Department.objects.filter(
                pk__in=cases.order_by().values("department_id")).order_by("path")


class CaseFilterSet(django_filters.FilterSet):
    """The case list's search (reference, item or applicant's name) and filters."""

    q = django_filters.CharFilter(label=_("Reference, item or applicant"), method="search")
    state = django_filters.ChoiceFilter(label=_("State"), choices=[c for c in State.choices if c[0] != State.DRAFT])
    department = django_filters.ModelChoiceFilter(label=_("Department"), queryset=Department.objects.all(),
                                                  to_field_name="code", field_name="department")
    submitted_after = django_filters.DateFilter(label=_("Submitted on or after"), field_name="submitted_at",
                                                lookup_expr="date__gte",
                                                widget=forms.DateInput(attrs={"type": "date"}))

    class Meta:
        model = Case
        fields = ["q", "state", "department", "submitted_after"]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        if request is not None:
            from dgov.orgs.selectors import departments_for

            self.filters["department"].queryset = departments_for(request.user, Case, "view")

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(reference__icontains=value) | Q(title__icontains=value)
                               | Q(applicant_name__icontains=value))


class MessageTemplateForm(forms.ModelForm):
    """The wording of a message to applicants; its code (the step it belongs to) is fixed. Only the
    ((placeholders)) the step fills are allowed."""

    class Meta:
        model = MessageTemplate
        fields = ["name", "subject", "body", "sms", "active"]
        widgets = {"body": forms.Textarea(attrs={"rows": 5})}

    def clean(self):
        data = super().clean()
        from dgov.cases.notify import PLACEHOLDER, placeholders_for

        known = set(PLACEHOLDER.findall(f"{self.instance.subject} {self.instance.body}")) if self.instance.pk else set()
        known |= placeholders_for(self.instance.code or "")
        for field in ("subject", "body"):
            unknown = sorted(set(PLACEHOLDER.findall(data.get(field) or "")) - known)
            if unknown:
                self.add_error(field, _("Unknown placeholder: %(names)s.") % {
                    "names": "、".join(f"(({n}))" for n in unknown)})
        return data


# --- the actions on a case ------------------------------------------------------------------------

def _reason(label, *, required: bool, help_text=""):
    return forms.CharField(label=label, required=required, max_length=REASON_MAX, help_text=help_text,
                           widget=forms.Textarea(attrs={"rows": 3}))


class ActionForm(forms.Form):
    """An action with a note (optional) or a reason (required where the law wants one in writing)."""

    reason_label = _("Note")
    reason_required = False
    reason_help = ""

    def __init__(self, *args, case=None, **kwargs):
        self.case = case
        super().__init__(*args, **kwargs)
        self.fields["reason"] = _reason(self.reason_label, required=self.reason_required, help_text=self.reason_help)

    def transition_data(self) -> dict:
        """The keyword arguments for `services.transition` beyond `action`."""
        return {"reason": self.cleaned_data.get("reason", "").strip()}


class AcceptForm(ActionForm):
    reason_label = _("Note (optional)")


class NotAcceptForm(ActionForm):
    reason_label = _("Reason for not accepting")
    reason_required = True
    reason_help = _("Shown to the applicant in the written decision: the legal ground and where else to apply.")


class ReviewForm(ActionForm):
    reason_label = _("Review opinion")
    reason_required = True


class SuspendForm(ActionForm):
    reason_label = _("Reason")
    reason_required = True
    reason_help = _("The time the special procedure takes does not count against the time limit.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        procedure = forms.ChoiceField(label=_("Special procedure"), choices=list(PROCEDURES.items()))
        self.fields = {"procedure": procedure, **self.fields}

    def transition_data(self) -> dict:
        return {**super().transition_data(), "procedure": self.cleaned_data["procedure"]}


class ResumeForm(ActionForm):
    reason_label = _("Outcome of the special procedure (optional)")


class ApproveForm(ActionForm):
    reason_label = _("Decision note (optional)")


class RefuseForm(ActionForm):
    reason_label = _("Reasons for refusal")
    reason_required = True
    reason_help = _("Shown to the applicant: the reasons, and the right to apply for reconsideration or sue.")


class DeliverForm(ActionForm):
    reason_label = _("How the result was delivered (optional)")


class CloseForm(ActionForm):
    reason_label = _("Note (optional)")


class CorrectionForm(ActionForm):
    """A 补正 notice: one complete list. Tick each of the item's materials that is missing or wrong
    and say why; add anything else in the free rows. `items` for the service:
    [{"material": id or None, "name": "…", "reason": "…"}]."""

    reason_label = _("Note to the applicant (optional)")

    def __init__(self, *args, case=None, **kwargs):
        super().__init__(*args, case=case, **kwargs)
        self.materials = list(case.implementation.materials.all()) if case is not None else []
        for material in self.materials:
            self.fields[f"m{material.pk}"] = forms.BooleanField(label=material.name, required=False)
            self.fields[f"m{material.pk}_reason"] = forms.CharField(
                label=_("What is missing or wrong: %(name)s") % {"name": material.name}, required=False,
                max_length=500, widget=forms.TextInput(attrs={"placeholder": _("What is missing or wrong")}))
        for i in range(FREE_ITEMS):
            self.fields[f"extra{i}_name"] = forms.CharField(
                label=_("Other item %(n)d") % {"n": i + 1}, required=False, max_length=200,
                widget=forms.TextInput(attrs={"placeholder": _("Other item, e.g. a signature or a date")}))
            self.fields[f"extra{i}_reason"] = forms.CharField(
                label=_("What is missing or wrong (other item %(n)d)") % {"n": i + 1}, required=False, max_length=500,
                widget=forms.TextInput(attrs={"placeholder": _("What is missing or wrong")}))

    def material_rows(self):
        """(material, its tick box, its reason) for the template."""
        return [(m, self[f"m{m.pk}"], self[f"m{m.pk}_reason"]) for m in self.materials]

    def free_rows(self):
        return [(self[f"extra{i}_name"], self[f"extra{i}_reason"]) for i in range(FREE_ITEMS)]

    def clean(self):
        data = super().clean()
        items = []
        for material in self.materials:
            ticked, reason = data.get(f"m{material.pk}"), (data.get(f"m{material.pk}_reason") or "").strip()
            if ticked and not reason:
                self.add_error(f"m{material.pk}_reason", _("Say what is missing or wrong with this material."))
            elif reason and not ticked:
                self.add_error(f"m{material.pk}", _("Tick the material to include it in the notice."))
            elif ticked:
                items.append({"material": material.pk, "name": material.name, "reason": reason})
        for i in range(FREE_ITEMS):
            name = (data.get(f"extra{i}_name") or "").strip()
            reason = (data.get(f"extra{i}_reason") or "").strip()
            if name and not reason:
                self.add_error(f"extra{i}_reason", _("Say what is missing or wrong."))
            elif reason and not name:
                self.add_error(f"extra{i}_name", _("Name the item."))
            elif name:
                items.append({"material": None, "name": name, "reason": reason})
        if not items and not self.errors:
            raise forms.ValidationError(_("List everything the applicant must correct: tick at least one material "
                                          "or name another item."), code="empty")
        data["items"] = items
        return data

    def transition_data(self) -> dict:
        return {**super().transition_data(), "items": self.cleaned_data["items"]}


#: action → (form, button label, button style), in the order the page shows them
ACTION_FORMS = {
    "accept": (AcceptForm, _("Accept the case"), "btn-gov"),
    "request_correction": (CorrectionForm, _("Send the correction notice"), "btn-warning"),
    "not_accept": (NotAcceptForm, _("Do not accept"), "btn-outline-danger"),
    "review": (ReviewForm, _("Complete this review step"), "btn-gov"),
    "suspend": (SuspendForm, _("Start the special procedure"), "btn-outline-secondary"),
    "resume": (ResumeForm, _("Resume the clock"), "btn-gov"),
    "approve": (ApproveForm, _("Approve the application"), "btn-success"),
    "refuse": (RefuseForm, _("Refuse the application"), "btn-outline-danger"),
    "deliver": (DeliverForm, _("Record delivery of the result"), "btn-gov"),
    "close": (CloseForm, _("Close the case"), "btn-gov"),
}
