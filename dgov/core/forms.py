"""Forms render with Bootstrap classes and accessible errors (label `for`, aria-describedby,
an error summary linking to each field), in the UI language (Chinese by default)."""

from django import forms
from django.forms.boundfield import BoundField
from django.forms.renderers import TemplatesSetting


def _css_for(widget) -> str:
    if isinstance(widget, (forms.CheckboxInput, forms.RadioSelect, forms.CheckboxSelectMultiple)):
        return "form-check-input"
    if isinstance(widget, (forms.Select, forms.SelectMultiple)):
        return "form-select"
    return "form-control"


class StyledBoundField(BoundField):
    """Adds Bootstrap classes, and on error `is-invalid`. Django itself sets aria-invalid and
    aria-describedby (`<id>_helptext`, `<id>_error`), the ids core/forms/field.html gives the help
    text and the error message."""

    def build_widget_attrs(self, attrs, widget=None):
        attrs = super().build_widget_attrs(attrs, widget)
        widget = widget or self.field.widget
        classes = [attrs.get("class", ""), _css_for(widget)]
        if self.form.is_bound and self.errors:
            classes.append("is-invalid")
            attrs["aria-invalid"] = "true"
        attrs["class"] = " ".join(c for c in classes if c)
        return attrs


class DgovFormRenderer(TemplatesSetting):
    """The project's FORM_RENDERER: every form, ours or a library's, renders the same way."""

    form_template_name = "core/forms/form.html"
    field_template_name = "core/forms/field.html"
    bound_field_class = StyledBoundField


def apply_error(form, exc) -> None:
    """Put a DgovError's field details onto a form (unknown fields become non-field errors)."""
    details = getattr(exc, "details", None) or {}
    if isinstance(details, dict) and details:
        for field, messages in details.items():
            for message in messages if isinstance(messages, list) else [messages]:
                form.add_error(field if field in form.fields else None, str(message))
    else:
        form.add_error(None, str(exc.message))
