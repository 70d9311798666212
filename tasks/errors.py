"""The one error type of the task layer, so every module can raise it without importing the CLI."""


class UsageError(Exception):
    """Bad arguments or environment: one line saying what is wrong and what to do (exit 2)."""
