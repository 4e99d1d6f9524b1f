"""Writing workbooks: XlsxWriter books, charts, LibreOffice conversions."""
