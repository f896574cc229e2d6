"""Template filters for identity pages."""

from django import template

from dgov.accounts.permissions import permission_label as _permission_label

register = template.Library()


@register.filter
def permission_label(permission) -> str:
    """`{{ perm|permission_label }}`: the permission's name in the active language."""
    return _permission_label(permission)
