"""ehrdesk: a desktop health record for small mental-health practices.

The version is defined here and nowhere else; packaging and the About dialog read it.
"""

__version__ = "0.1.0"

#: Reverse-DNS application id: keyring service name, desktop file, AppStream id.
APP_ID = "org.ehrdesk.EhrDesk"
