"""Markdown settings sites use, for the tests that compare islet's shortcuts in Python-Markdown (islet.content.inline,
islet.content.blocks) with Markdown's own HTML: Pelican's default, a typography-heavy set, and extensions that add
inline patterns and block processors of their own."""

SETTINGS = [
    {"extensions": ["codehilite", "extra", "meta"], "extension_configs": {"codehilite": {"css_class": "highlight"}}},
    {"extensions": ["extra", "toc", "smarty", "sane_lists", "admonition", "nl2br", "wikilinks", "attr_list"]},
    {"extensions": ["abbr", "footnotes", "def_list", "tables", "md_in_html"]},
]
IDS = ["pelican", "typography", "extra-parts"]
