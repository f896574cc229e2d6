from django import template

from dgov.core.audit import action_label

register = template.Library()


@register.filter(name="action_label")
def action_label_filter(action: str) -> str:
    """An audit action code as a readable, translated phrase."""
    return action_label(action)
