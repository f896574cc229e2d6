from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from dgov.core.tables import Column, Table


class UserTable(Table):
    default_order = "username"
    columns = [
        Column("username", _("Username"), link=True, order_by="username"),
        Column("real_name", pgettext_lazy("person", "Name"), order_by="real_name"),
        Column("kind", _("Account type"), order_by="kind"),
        Column("region.name", _("Region"), order_by="region__path"),
        Column("department.name", _("Department"), order_by="department__path"),
        Column("post", _("Post")),
        Column("phone_masked", _("Mobile phone")),
        Column("is_active", _("Active"), order_by="is_active"),
        Column("is_locked", _("Locked")),
        Column("last_login", _("Last login"), order_by="last_login"),
    ]


class RoleTable(Table):
    default_order = "code"
    columns = [
        Column("code", _("Code"), link=True, order_by="code"),
        Column("name", _("Name"), order_by="name"),
        Column("requires_2fa", _("Second factor required")),
        Column("is_builtin", _("Built-in")),
        Column("description", _("Description")),
    ]


class RoleAssignmentTable(Table):
    default_order = "user__username"
    columns = [
        Column("user.username", _("User"), order_by="user__username"),
        Column("role.name", _("Role"), link=True, order_by="role__code"),
        Column("scope_kind", _("Data scope"), order_by="scope_kind"),
        Column("region.name", _("Scope region")),
        Column("department.name", _("Scope department")),
        Column("granted_by.username", _("Granted by")),
        Column("created_at", _("Granted at"), order_by="created_at"),
    ]


class ApiTokenTable(Table):
    default_order = "-created_at"
    columns = [
        Column("prefix", _("Token"), link=True, order_by="prefix"),
        Column("user.username", _("User"), order_by="user__username"),
        Column("name", _("Name")),
        Column("created_at", _("Created"), order_by="created_at"),
        Column("expires_at", _("Expires at"), order_by="expires_at"),
        Column("last_used_at", _("Last used"), order_by="last_used_at"),
        Column("revoked_at", _("Revoked at"), order_by="revoked_at"),
    ]


class ApplicationTable(Table):
    default_order = "code"
    columns = [
        Column("code", _("Code"), link=True, order_by="code"),
        Column("name", _("Name"), order_by="name"),
        Column("department.name", _("Owning department"), order_by="department__path"),
        Column("account.username", _("Service account"), order_by="account__username"),
        Column("account.is_active", _("Active"), order_by="account__is_active"),
        Column("created_at", _("Created"), order_by="created_at"),
    ]


APPLICATION_DETAIL_COLUMNS = [
    Column("code", _("Code")),
    Column("name", _("Name")),
    Column("department.name", _("Owning department")),
    Column("description", _("Description")),
    Column("account.username", _("Service account")),
    Column("account.is_active", _("Active")),
    Column("created_at", _("Created")),
]


class ApplicationTokenTable(Table):
    """An application's API tokens on its page (the plaintext is shown only once, when issued)."""

    default_order = "-created_at"
    columns = [
        Column("prefix", _("Token")),
        Column("name", _("Name")),
        Column("created_at", _("Created")),
        Column("expires_at", _("Expires at")),
        Column("last_used_at", _("Last used")),
        Column("revoked_at", _("Revoked at")),
    ]
