"""The sync engine: the change log, scopes, mutation execution, push, pull, pokes and sync health."""
