"""Register's rulebook: the template, the code lists, the rules per template version, findings."""
