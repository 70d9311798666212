"""Packaged defaults: ``storydedup.cfg`` (Luigi settings), ``rules/`` (boilerplate rule groups)
and ``systemd/`` units. Read through ``storydedup.pipeline.resources``, never by a path
relative to the source tree, so an installed wheel finds the same files as a checkout."""
