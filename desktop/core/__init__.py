"""Qt-free domain: reading, mapping, the session, upload, export."""
