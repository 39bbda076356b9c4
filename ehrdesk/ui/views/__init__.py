"""The main window's pages: sign-in, lock screen, the workspace and its views."""
