"""Payment providers: the interface (`base.Provider`) and the one implementation, a client of the
local sandbox provider over HTTP (`sandbox.SandboxClient`)."""

from dgov.payments.providers.base import Provider, ProviderError


def get_provider(base_url: str | None = None) -> Provider:
    """The configured provider. `base_url` is the platform's own address (from the request), used for
    the default provider address and for the callback address given to the provider."""
    from dgov.payments.providers.sandbox import SandboxClient

    return SandboxClient(platform_url=base_url)


__all__ = ["Provider", "ProviderError", "get_provider"]
