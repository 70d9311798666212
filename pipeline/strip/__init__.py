"""Boilerplate stripping: remove everything around the article body.

Public interface (called by the task layer):
    StripSettings, RuleSet, load_rules(paths), build_template(records),
    strip_record(rec, settings, rules, template)
"""
from storydedup.pipeline.strip.rules import RuleSet, check_disabled, rule_paths, load_rules
from storydedup.pipeline.strip.settings import StripSettings
from storydedup.pipeline.strip.strip import strip_record
from storydedup.pipeline.strip.template import build_template

__all__ = ["RuleSet", "StripSettings", "build_template", "check_disabled", "rule_paths", "load_rules",
           "strip_record"]
