"""`sheetsync.table.Grid`, where it was before the core got its own folder (see CHANGELOG)."""

from sheetsync.core.table import Grid, column_letter, has_content, is_blank

__all__ = ["Grid", "column_letter", "has_content", "is_blank"]
