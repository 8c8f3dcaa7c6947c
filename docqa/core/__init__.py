"""Ground level: facts every stage may use (errors, the process, valid text). Imports nothing of docqa."""
