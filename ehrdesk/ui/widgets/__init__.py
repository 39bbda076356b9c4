"""Small reusable widgets: the new-password field and the QR code."""

from ehrdesk.ui.widgets.password_field import PasswordField
from ehrdesk.ui.widgets.qr_code import QrCodeWidget

__all__ = ["PasswordField", "QrCodeWidget"]
