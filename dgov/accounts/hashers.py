from django.contrib.auth.hashers import Argon2PasswordHasher


class TestArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2id with a small cost, so the test suite exercises the real algorithm quickly."""

    algorithm = "argon2"
    time_cost = 1
    memory_cost = 1024
    parallelism = 1
