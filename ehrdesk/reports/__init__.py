"""Printed documents (PDF via reportlab), one module per document."""
