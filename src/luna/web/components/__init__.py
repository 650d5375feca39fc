"""Pieces every dashboard page uses: layout, theme, charts, widgets, formats, errors."""
