"""Keys, passwords and second factors. No Qt, no SQL: pure functions over bytes and text."""
