"""Settings of the boilerplate stage; every field changes results, so every field is a task parameter."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StripSettings:
    # The learned line classifier (config/models/strip.json.gz) decides plain-text inputs; the
    # rules and detectors below become its evidence. False: the rules and detectors decide alone.
    use_model: bool = True
    # A page whose lines no rule file names is judged by the model alone unless a rule removes
    # one of its lines of at most this many words: labels, buttons and box sentences tell that
    # the rules know the page's language and widgets; paragraphs seldom do, and trying each
    # against every rule cost a third of the stage on such pages.
    reach_max_words: int = 25
    # Texts with fewer non-empty lines keep the rules path, and there every line above the
    # article's first paragraph that no rule names stays: a frame needs lines to be told from
    # the article (a 4-line brief has no thread or box to find, only a headline to lose).
    model_min_lines: int = 8
    # Rule groups (names of ``[group.<name>]`` tables in config/rules/*.toml) to ignore.
    disabled_groups: tuple[str, ...] = ()
    # Structure-aware detectors; each can be switched off on its own.
    detect_core: bool = True  # keep only the densest run of prose (plus headline) = article core
    detect_thread: bool = True  # cut reader-comment threads found by their shape
    # Inside the article core, drop runs of three or more headline-shaped lines that follow a
    # chrome label such as "Read more" (links to other stories placed between paragraphs).
    detect_link_lists: bool = True
    use_template: bool = True  # drop lines repeated across many documents of the same site
    # Text that an HTML main-content extractor produced already is the article region: apply
    # rules, template and the comment cut to it, but not the core detector (which would cut
    # list-like parts of real articles the extractor rightly kept).
    trust_extractor: bool = True
    # A sentence-like line is prose from this many words on; fewer makes captions count.
    prose_min_words: int = 6
    # Documents with fewer words than this (or a single line) pass through unchanged: too
    # little text to tell an article from its frame, and short items are usually all body.
    short_doc_words: int = 60
    # Score a non-prose line costs inside the core: higher splits articles at sub-headings.
    short_line_cost: float = 2.0
    # Score per word of an item of a numbered list (1., 2., 3., ...): below 1 so that a short
    # "most read" ranking cannot outweigh an end-matter heading, above 0 so that a long list
    # that is the article is kept whole.
    list_item_weight: float = 0.5
    # Score a line with comment-thread evidence (timestamp, "Reply", "X says:") costs.
    thread_line_cost: float = 10.0
    # Score an end-matter line ("Leave a reply", "Related articles", newsletter box) costs.
    end_line_cost: float = 120.0
    # Core score (about: prose words) needed above a comment-section marker or thread before it
    # may cut the text
    # (markers above the article, e.g. a "Comments" menu link, must not cut it).
    min_core_words: int = 80
    # Headline search: how many non-empty lines above the core are considered.
    head_lines: int = 4
    # Site template: a line counts as template when it occurs in at least this many documents
    # of the site and in at least this share of them.
    template_min_docs: int = 4
    template_min_share: float = 0.3
    # Documents without url or source use the batch as their template: a line of at most
    # ``batch_template_words`` words found in at least this share of all documents (and in
    # ``template_min_docs``) is chrome. 0 words switches this off.
    batch_template_share: float = 0.05
    batch_template_words: int = 4
    # Template lines longer than this many words are kept anyway (repeated long prose is more
    # likely a syndicated or duplicated article than page chrome).
    template_max_words: int = 25

    def brief(self, nonempty_lines: int) -> bool:
        """Is a text of this many non-empty lines under ``model_min_lines`` (see there)?"""
        return nonempty_lines < self.model_min_lines
