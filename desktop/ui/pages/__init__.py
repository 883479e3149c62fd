"""The four steps of the window: Open, Map, Review, Upload / Export."""
