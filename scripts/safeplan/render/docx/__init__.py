"""SchoolView → an editable Word (.docx) bundle for 备案, from the same HTML the PDF bundle is set from."""
