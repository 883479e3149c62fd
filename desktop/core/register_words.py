"""Register's own words for a file its "bulk add new trainees" page refuses (SPEC §8.2), verbatim.

In the order Register checks: the first that applies is the first it says. The apostrophe in
"file’s" is U+2019, as Register writes it.
"""

from __future__ import annotations

SELECT_FILE = "Select a CSV file"
TOO_LARGE = "The selected file must be smaller than 1MB"
EMPTY = "The selected file is empty"
NOT_CSV = "The selected file must be a CSV"
STRUCTURE = ("The selected CSV file has structural issues. Check columns for empty headers, an incorrect number of "
             "columns, or additional commas.")
COLUMNS = "Your file’s column names need to match the CSV template."
MISSING = "Your file is missing the following columns: {}"
EXTRA = "Your file has the following extra columns: {}"
NO_TRAINEES = "The selected file must contain at least one trainee"

#: Register's upload refuses files over 1 MB (1,048,576 bytes), measured as UTF-8 with LF line ends
MAX_BYTES = 1_048_576
