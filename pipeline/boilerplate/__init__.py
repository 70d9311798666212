"""Boilerplate stripping: remove everything around the article body.

Public interface (called by the task layer):
    StripSettings, RuleSet, load_rules(paths), build_template(records),
    strip_record(rec, settings, rules, template)
"""
from .rules import RuleSet, check_disabled, default_rule_paths, load_rules
from .settings import StripSettings
from .strip import strip_record
from .template import build_template

__all__ = ["RuleSet", "StripSettings", "build_template", "check_disabled", "default_rule_paths", "load_rules",
           "strip_record"]
