"""The master workbook: writing it from a consolidation, reading it back as a plan."""
