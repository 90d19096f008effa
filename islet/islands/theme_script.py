"""The theme's pre-paint snippet: apply the reader's stored light/dark choice before the first paint.

Why inline, and why here: the theme toggle (widgets/theme_toggle.py) stores a choice in
localStorage under "islet-theme". If that choice were applied by the widget, or by any
external script, the browser would first paint the page in the system's theme and switch
once the script arrived: a flash of the wrong theme on every page load, longest on the
slow connections this site is built for. Only a script that runs *before* the CSS paints
avoids it, and only an inline one costs no network round trip. So `PREPAINT` is a tiny,
hand-minified, synchronous script that goes into ``<head>`` right after ``<meta charset>``,
before the inline ``<style>``: `insert_prepaint(html)` puts it there.

Contract of PREPAINT:
  - sets ``<html data-theme>`` to the stored "light" or "dark", else to "system" (also when
    localStorage throws, as it does in some private modes); the theme CSS treats "system"
    like no attribute (follow prefers-color-scheme), and uses ``[data-theme]`` to know that
    scripts run, so it can reserve the toggle's space before the toggle appears;
  - defines no globals (one function expression, called at once) and never throws;
  - under 300 bytes; its exact text is allowed by a strict CSP through its hash:
    ``islet.output.headers.content_security_policy([islet.islands.hydrate.csp_hash(PREPAINT), …], …)``.
    Any edit changes the hash, which is why the text is a constant and not generated.
"""
from __future__ import annotations

import re

KEY = "islet-theme"     # the localStorage key; widgets/theme_toggle.py uses the same one

PREPAINT = ('(function(){var t;try{t=localStorage.getItem("islet-theme")}catch(e){}'
            'try{document.documentElement.setAttribute("data-theme",t=="light"||t=="dark"?t:"system")}'
            'catch(e){}})()')

CHARSET = re.compile(r"<meta\s+charset\s*=[^>]*>", re.I)
FIRST_STYLE = re.compile(r"<style[\s>]|<link\s[^>]*rel\s*=\s*[\"']?stylesheet", re.I)
HEAD = re.compile(r"<head(\s[^>]*)?>", re.I)


def insert_prepaint(html: str) -> str:
    """The page with ``<script>PREPAINT</script>`` before its first style (idempotent).

    Goes right after ``<meta charset>`` (which must stay within the first 1024 bytes), unless a
    ``<style>`` or stylesheet ``<link>`` comes earlier: then right before that. A page without
    ``<head>`` or styles gets it after ``<head>``; a page without ``<head>`` is returned as it is.
    """
    tag = "<script>" + PREPAINT + "</script>"
    if tag in html:
        return html
    head = HEAD.search(html)
    if head is None:
        return html
    style = FIRST_STYLE.search(html, head.end())
    charset = CHARSET.search(html, head.end())
    if charset is not None and (style is None or charset.start() < style.start()):
        at = charset.end()
    elif style is not None:
        at = style.start()
    else:
        at = head.end()
    return html[:at] + tag + html[at:]
