from django.db import models
from django.utils.translation import gettext_lazy as _


class MasterKeyCheck(models.Model):
    """The key check value of the master key this database was encrypted under (HMAC-SM3 of a fixed
    label: it reveals nothing about the key). A different or missing key is refused before anything
    is encrypted or decrypted with it."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    kcv = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("master key check")
        default_permissions = ()
