"""Use cases: check the permission, do the work, audit it, in one transaction."""
