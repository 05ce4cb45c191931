"""Readers turn one raw document (HTML, text, PDF, DOCX, DOC, XLS, image) into an ExtractedDocument."""
