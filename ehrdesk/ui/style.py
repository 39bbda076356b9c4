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
QLabel#risk {
    color: #c62828;
    font-weight: bold;
    border: 1px solid #c62828;
    border-radius: 4px;
    padding: 0.3em 0.5em;
}
QLabel#banner {
    background: #8e1b1b;
    color: white;
    font-weight: bold;
    padding: 0.5em 0.8em;
    border-radius: 4px;
}
QLabel#saved {
    color: palette(mid);
}
"""
