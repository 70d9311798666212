"""Extract stage: HTML pages -> main text (``html``: trafilatura with every option fixed)."""
