"""A light touch of style on top of the system palette (light or dark alike): sizes
in em and palette roles only, so 200 % scaling and dark mode stay right."""

STYLE_SHEET = """
QFrame#card {
    border: 1px solid palette(mid);
    border-radius: 8px;
    background: palette(base);
}
QLabel#message {
    color: palette(highlight);
    font-weight: bold;
}
QListWidget {
    border: none;
    padding-top: 0.5em;
}
QListWidget::item {
    padding: 0.45em 0.8em;
}
"""
