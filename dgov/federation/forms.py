from django import forms

from dgov.federation.models import Peer


class PeerForm(forms.ModelForm):
    """Pairing: the peer's code, name, role, URL and SM2 public key, as its `dgov node show` printed them."""

    class Meta:
        model = Peer
        fields = ["code", "name", "role", "base_url", "public_key_pem", "enabled"]
        widgets = {"public_key_pem": forms.Textarea(attrs={"rows": 5, "class": "font-monospace"})}
