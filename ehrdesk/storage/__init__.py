"""SQLCipher and the vault's files: the only package that writes SQL or touches vault.json."""
