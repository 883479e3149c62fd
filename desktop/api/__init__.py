"""Qt-free HTTP: talking to Register's API."""
