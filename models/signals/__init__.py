"""Signals beyond the catalog: targeting of election workers (`targeting`), coordinated posting
(`coordination`) and emerging narratives (`emerging`). Pure logic, callable with no broker."""
