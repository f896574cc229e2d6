"""Security administrators see every user's API tokens and can revoke them; others cannot."""

from dgov.accounts.models import ApiToken
from dgov.accounts.services import token_authenticate, token_create
from dgov.core.models import AuditEntry


def _login(client, user):
    client.force_login(user, backend="dgov.accounts.backends.LockoutModelBackend")


def test_security_admin_lists_and_revokes_another_users_token(client, world):
    token, plaintext = token_create(user=world.citizen, name="script")
    _login(client, world.admin)  # holds security_admin over all data
    page = client.get("/system/api-tokens/?user=t_citizen").content.decode()
    assert token.prefix in page and plaintext not in page
    assert client.post(f"/system/api-tokens/{token.pk}/delete/").status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert token_authenticate(plaintext) is None
    assert AuditEntry.objects.filter(action="accounts.apitoken.revoke", actor_id=world.admin.pk).exists()


def test_others_get_403_on_the_token_pages(client, world):
    token, _ = token_create(user=world.citizen, name="script")
    _login(client, world.official)
    assert client.get("/system/api-tokens/").status_code == 403
    assert client.post(f"/system/api-tokens/{token.pk}/delete/").status_code == 403
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None
