"""The password hasher: Argon2id with the parameters OWASP's Password Storage Cheat Sheet
recommends as its first choice (19 MiB of memory, 2 iterations, 1 lane).

Django's own Argon2 hasher asks for 100 MiB and 8 lanes, and its PBKDF2 for 1,000,000
iterations: on a two-core web pod each costs a large share of a core per login, so a burst of
logins (the start of a shift, `make load`) queues behind them. These parameters stay memory-hard
at a fraction of that. The parameters are stored in every hash, so changing them later only
re-hashes each password at its owner's next login (`must_update`)."""

from __future__ import annotations

from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idHasher(Argon2PasswordHasher):
    # The same algorithm name as Django's: hashes stay readable by it, and by this.
    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
