"""Identity resolution: which manager and customer records are the same
person or company, across connections.

normalise -> keys (deterministic, with the shared-key guard) -> scoring
(blocking + string similarity) -> clusters (union-find under people's
decisions) -> survivorship -> the identity tables. `resolve.match_all` is the
one entry point the sync, the CLI and the workers call.
"""
