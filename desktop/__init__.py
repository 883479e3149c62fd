"""Register Desktop: from a provider's spreadsheet to trainees registered with DfE's Register."""

__version__ = "0.1.0"
