"""The key service as the platform's keyring (DGOV_KEYRING): the system keys that encrypt personal
data, build blind indexes and chain the audit log, read from the per-process key cache."""

from dgov.crypto.keys import SYSTEM_KEYS, Keyring, system_key_v1
from dgov.kms.services import key_state


class DatabaseKeyring(Keyring):
    def current(self, name: str) -> tuple[int, bytes]:
        state = key_state(name)
        if state is None:  # not stored yet (before `dgov init` has run): version 1 is derived
            return 1, system_key_v1(name)
        version = state.encryption_version()
        return version, state.versions[version]

    def version(self, name: str, version: int) -> bytes:
        state = key_state(name)
        if state is None:
            if version == 1 and name in SYSTEM_KEYS:
                return system_key_v1(name)
            raise KeyError(f"{name} v{version}")
        if version not in state.versions or version < state.key.min_decryption_version:
            raise KeyError(f"{name} v{version}")
        return state.versions[version]
