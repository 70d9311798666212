"""storydedup library code: plain functions and small classes, no Luigi."""

__version__ = "0.1.0"
