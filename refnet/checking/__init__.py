"""The checking engine: one flattener, the judge, the reports, batched verification, and the
judging of refnet's own functions that ``refnet verify`` and the tests drive."""
