from operations import billing_console  # noqa: F401  (the billing pages, docs/design.md §8.2)
