"""Site search: a search form that works without JavaScript, searching a sharded build-time index once it does.

Without JavaScript it is a real search form (role="search") whose action is the archives page, so
submitting it lands on the list of every article, where the browser's find-in-page does the rest.
mount() downloads the index's small manifest (search.json, written by islet/output/search_index.py at build
time) the first time the box is used, never on page load, then searches as the reader types. A query
downloads only the shards of its words (islet/output/search_shards.py), then the doc tables and fragments of
the results it shows:

    ```widget search
    trigger: interaction
    ```

Results are links (title, date, the text around the words found) in a list under the box; a polite live
region says how many there are. Arrow Down moves from the box into the results, Up/Down move between them,
Escape clears, Enter goes to the first result. Nothing is sent anywhere but requests for the index's files.

Tokenizing, folding, decoding, ranking, snippets and the results HTML are pure functions without DOM access,
so tests run them under CPython and compiled to JavaScript and compare the results. `fold` and `tokenize`
mirror islet/output/search_index.py, which builds the index with them (tests check they agree); the
stopwords come in the manifest, to keep this script small.
"""
from widgets.html import attrs, escape, slug, tag

# Read by the build (CPython) only; skipped in the JavaScript, where it would be dead weight on every page.
# __pragma__('skip')
PROPS = {
    "index": ["str", "search.json"],      # the index, relative to the site root
    "fallback": ["str", "archives.html"],  # where the form goes without JavaScript, relative to THIS page
    "label": ["str", "Search articles"],   # the visible label of the box
    "limit": ["int", 8],                   # results shown at most
    "id": ["str", "search"],               # unique on the page: prefixes the ids inside the widget
}
# __pragma__('noskip')

FORMAT_VERSION = 2
DEBOUNCE_MS = 60
PREFIX_SHARDS = 3       # a last word that starts the words of more shards than this is matched whole
SNIPPET_WORDS = 30
SNIPPET_BEFORE = 8      # words shown before the first one found
# Per query word, the best field it matches decides its points: [exact word, start of a word].
TITLE_POINTS = [12, 8]
TAG_POINTS = [6, 4]
BODY_POINTS = [2, 1]
# The text rules of islet/output/search_index.py, as regular expressions both languages read alike: letters and
# digits of any script are word characters; ASCII/Latin-1 punctuation, general punctuation and symbols
# (U+2000–U+2BFF), CJK punctuation and anything outside the BMP (in JavaScript: surrogates) separate words.
COMBINING = "[\u0300-\u036f]"
APOSTROPHES = "['\u2019]"
WORD_CHARS = "[a-z0-9\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u1fff\u2c00-\u2fff\u3040-\ud7ff\ue000-\uffff]"
# __pragma__('ecom')
#?PATTERNS = [__new__(RegExp(COMBINING, "g")), __new__(RegExp(APOSTROPHES, "g")), __new__(RegExp(WORD_CHARS + "+", "g"))]
# __pragma__('noecom')


# ---------------------------------------------------------------- text (mirrors islet/search_index.py)

def fold(text: str) -> str:
    """Lower case without accents: 'Été' → 'ete' (compatibility decomposition, then combining marks dropped)."""
    # __pragma__('ecom')
    #?return str(text).lower().normalize("NFKD").js_replace(PATTERNS[0], "")
    # __pragma__('noecom')
    # __pragma__('skip')
    import re
    import unicodedata
    return re.sub(COMBINING, "", unicodedata.normalize("NFKD", str(text).lower()))
    # __pragma__('noskip')


def tokenize(text: str) -> list[str]:
    """Folded words in order: "Don't panic — it's Été!" → ['dont', 'panic', 'its', 'ete']. A word is a run of
    WORD_CHARS; apostrophes join (reader's → readers)."""
    # __pragma__('ecom')
    #?found = fold(text).js_replace(PATTERNS[1], "").match(PATTERNS[2])
    #?return [] if found is None else list(found)
    # __pragma__('noecom')
    # __pragma__('skip')
    import re
    return re.findall(WORD_CHARS + "+", re.sub(APOSTROPHES, "", fold(text)))
    # __pragma__('noskip')


# ---------------------------------------------------------------- searching

def query_words(query: str, stop: str) -> list[str]:
    """The words to look for. Every word but the last must be a whole word of two letters or more that is not a
    stopword (the index has none of those); the last may be the start of a longer word, so it is always kept."""
    words = tokenize(query)
    out: list[str] = []
    for position in range(len(words)):
        word = words[position]
        if position == len(words) - 1 or (len(word) > 1 and (" " + word + " ") not in stop):
            out.append(word)
    return out


def shard_of(firsts: list[str], term: str) -> int:
    """The shard that would hold `term`: the last whose first term is not after it; -1 when none is."""
    low = 0
    high = len(firsts)
    while low < high:
        middle = (low + high) // 2
        if term < firsts[middle]:
            high = middle
        else:
            low = middle + 1
    return low - 1


def plan(firsts: list[str], words: list[str]) -> "list[Any]":
    """[shards to fetch, whether the last word matches the words it starts]: the shard of every word, and for
    the last, each shard that may hold a word starting with it, unless that is more than PREFIX_SHARDS (a
    word of a letter or two): then it is matched whole until the reader types more."""
    wanted: list[int] = []
    for word in words:
        found = shard_of(firsts, word)
        if found >= 0 and found not in wanted:
            wanted.append(found)
    last = words[len(words) - 1]
    start = max(shard_of(firsts, last), 0)
    end = start + 1
    while end < len(firsts) and firsts[end].startswith(last):
        end = end + 1
    prefixed = end - start <= PREFIX_SHARDS
    if prefixed:
        for shard in range(start, end):
            if shard not in wanted:
                wanted.append(shard)
    return [wanted, prefixed]


def names_of(table: "dict[str, Any]") -> list[str]:
    """The keys of a parsed JSON object (a plain object in JavaScript, a dict in CPython)."""
    # __pragma__('skip')
    return list(table.keys())
    # __pragma__('noskip')
    # __pragma__('ecom')
    #?return Object.js_keys(table)
    # __pragma__('noecom')


def decode(postings: str) -> list[int]:
    """A term's postings (islet/output/search_shards.py) → [doc, weight, doc, weight, …]."""
    out: list[int] = []
    value = 0
    doc = -1
    gap = True
    for position in range(len(postings)):
        digit = ord(postings[position]) - 48
        if digit >= 32:
            value = value * 32 + digit - 32
        else:
            value = value * 32 + digit
            if gap:
                doc = doc + value
                out.append(doc)
            else:
                out.append(value)
            gap = not gap
            value = 0
    return out


def points(weight: int, exact: bool) -> int:
    """What a word earns in a doc from one term's weight: its best field, whole word or start of one."""
    table = BODY_POINTS
    if weight & 2:
        table = TITLE_POINTS
    elif weight & 1:
        table = TAG_POINTS
    elif weight < 4:
        return 0
    return table[0] if exact else table[1]


def zeros(count: int) -> list[int]:
    # __pragma__('ecom')
    #?return __new__(Array(max(count, 0))).fill(0)
    # __pragma__('noecom')
    # __pragma__('skip')
    return [0 for position in range(count)]
    # __pragma__('noskip')


def best_first(found: list[list[int]]) -> list[list[int]]:
    """[[score, level, doc], …] → higher score first, then the body saying it more often, then the newer doc."""
    # __pragma__('skip')
    return sorted(found, key=lambda hit: (0 - hit[0], 0 - hit[1], 0 - hit[2]))
    # __pragma__('noskip')
    # Array.prototype.sort: a comparator, so no key tuples (which Transcrypt would compare as strings).
    # __pragma__('ecom')
    #?def higher_then_newer(a: list[int], b: list[int]) -> int:
    #?    return (b[0] - a[0]) or (b[1] - a[1]) or (b[2] - a[2])
    #?return found["sort"](higher_then_newer)
    # __pragma__('noecom')


def rank(shards: "list[dict[str, str]]", words: list[str], prefixed: bool, count: int) -> list[int]:
    """The docs (of `count`) that match every word, best first. A word's points in a doc are those of its best
    field (title, then category and tags, then body), for the word itself or, if it is the last and
    `prefixed`, any word of the shards it starts; ties go to the doc whose body says the words most often."""
    total = zeros(count)
    level = zeros(count)
    hits = zeros(count)
    for index in range(len(words)):
        word = words[index]
        prefix = prefixed and index == len(words) - 1
        best = zeros(count)
        often = zeros(count)
        for shard in shards:
            for term in names_of(shard):
                exact = term == word
                if exact or (prefix and term.startswith(word)):
                    pairs = decode(shard[term])
                    for at in range(0, len(pairs), 2):
                        doc = pairs[at]
                        earned = points(pairs[at + 1], exact)
                        best[doc] = max(best[doc], earned)
                        often[doc] = max(often[doc], pairs[at + 1] >> 2)
        for doc in range(count):
            if best[doc] > 0:
                total[doc] = total[doc] + best[doc]
                level[doc] = level[doc] + often[doc]
                hits[doc] = hits[doc] + 1
    found: list[list[int]] = []
    for doc in range(count):
        if hits[doc] == len(words):
            found.append([total[doc], level[doc], doc])
    return [hit[2] for hit in best_first(found)]


# ---------------------------------------------------------------- text shown

def status_text(count: int, shown: int, query: str) -> str:
    """The live region's sentence: '3 results for “x”', '12 results for “x”, showing the first 8', …"""
    quoted = "\u201c" + " ".join(str(query).split()) + "\u201d"
    if count == 0:
        return "No results for " + quoted
    text = str(count) + (" result for " if count == 1 else " results for ") + quoted
    if shown < count:
        text = text + ", showing the first " + str(shown)
    return text


def found_in(raw: str, words: list[str], prefixed: bool) -> bool:
    """Whether a word of the text as written (with its punctuation) is one of the query's words."""
    for token in tokenize(raw):
        for index in range(len(words)):
            if token == words[index] or (prefixed and index == len(words) - 1 and token.startswith(words[index])):
                return True
    return False


def snippet_html(text: str, fallback: str, words: list[str], prefixed: bool) -> str:
    """About SNIPPET_WORDS words of `text` around the first query word it holds, each such word in <mark>;
    the start of `fallback` (the summary) or of the text when none is there. Escaped."""
    parts = text.split()
    start = -1
    for position in range(len(parts)):
        if found_in(parts[position], words, prefixed):
            start = max(0, position - SNIPPET_BEFORE)
            break
    if start < 0:
        if len(fallback.strip()) > 0:
            parts = fallback.split()
        start = 0
    end = min(len(parts), start + SNIPPET_WORDS)
    shown: list[str] = []
    for position in range(start, end):
        word = escape(parts[position])
        shown.append("<mark>" + word + "</mark>" if found_in(parts[position], words, prefixed) else word)
    return ("\u2026 " if start > 0 else "") + " ".join(shown) + (" \u2026" if end < len(parts) else "")


def result_html(fragment: "list[str]", words: list[str], prefixed: bool, site: str) -> str:
    """One result from its fragment [title, url, date, day, summary, body]; the link is `site` + url."""
    link = tag("a", [["href", site + fragment[1]]], escape(fragment[0]))
    when = ""
    if len(fragment[2]) > 0:
        when = " " + tag("time", [["datetime", fragment[2]]], escape(fragment[3]))
    text = snippet_html(fragment[5], fragment[4], words, prefixed)
    if len(text) > 0:
        text = tag("p", [], text)
    return "<li>" + link + when + text + "</li>"


# ---------------------------------------------------------------- HTML without JavaScript

def widget_id(props: "Props") -> str:
    ident = slug(props["id"])
    return ident if len(ident) > 0 else "search"


def render(props: "Props") -> str:
    ident = widget_id(props)
    field = tag("label", [["for", ident + "-q"]], escape(props["label"]))
    box = "<input" + attrs([["type", "search"], ["id", ident + "-q"], ["name", "q"], ["autocomplete", "off"],
                            ["spellcheck", "false"], ["aria-describedby", ident + "-status"]]) + ">"
    button = tag("button", [["type", "submit"]], "Search")
    row = tag("div", [["class", "search-row"]], box + button)
    status = tag("p", [["class", "search-status"], ["id", ident + "-status"], ["aria-live", "polite"],
                       ["aria-atomic", "true"]], "")
    results = tag("ol", [["class", "search-results"], ["id", ident + "-results"], ["hidden", ""],
                         ["aria-label", "Search results"]], "")
    inner = field + row + tag("div", [["class", "search-drop"]], status + results)
    return tag("form", [["class", "search"], ["id", ident], ["role", "search"], ["action", props["fallback"]],
                        ["method", "get"]], inner)


# ---------------------------------------------------------------- the browser

def mount(root, props: "Props", site: str) -> None:
    ident = widget_id(props)
    form = root.querySelector("form")
    box = document.getElementById(ident + "-q")
    status = document.getElementById(ident + "-status")
    results = document.getElementById(ident + "-results")
    limit: int = props["limit"]
    index_path: str = props["index"]
    # "index": the manifest once loaded; "files": each index file fetched, by path (a promise of its JSON);
    # "shown": the query last asked for; "drawn": the query whose results are on the page; "ticket": the latest
    # query (older answers are dropped); "go": open the first result once the latest query's results are drawn
    state: "dict[str, Any]" = {"index": None, "loading": False, "timer": 0, "shown": None, "drawn": None,
                               "ticket": 0, "files": {}, "go": False}

    def links() -> "list[Any]":
        return list(results.querySelectorAll("a"))

    def parsed(response: "Any") -> "Any":
        """The JSON of a fetch response; an error status is a failure."""
        ok: bool = response.ok
        if not ok:
            raise Exception(index_path)
        return response.json()

    def get(path: str) -> "Any":
        files: "dict[str, Any]" = state["files"]
        if path not in files:
            files[path] = fetch(site + path).then(parsed)
        return files[path]

    def get_all(folder: str, names: list[str]) -> "Any":
        return Promise.all([get("search/" + folder + "/" + name + ".json") for name in names])

    def draw(ticket: int, hits: "list[int] | None", html: str, query: str) -> None:
        """Show the results of the query numbered `ticket`, unless a later one was asked since; no hits: none."""
        latest: int = state["ticket"]
        if ticket == latest:
            results.innerHTML = html
            results.hidden = len(html) == 0
            status.textContent = "" if hits is None else status_text(len(hits), min(limit, len(hits)), query)
            state["drawn"] = query
            go: bool = state["go"]
            if go:
                open_first()

    def open_first() -> None:
        state["go"] = False
        items = links()
        if len(items) > 0:
            window.location.assign(items[0].href)

    def show() -> None:
        query: str = box.value
        index = state["index"]
        asked: "str | None" = state["shown"]
        if index is not None and query == asked:
            return      # the same results: drawing them again would take the focus from the one the reader is on
        state["shown"] = None if index is None else query
        ticket: int = state["ticket"]
        ticket = ticket + 1
        state["ticket"] = ticket
        if index is None or len(query.strip()) == 0:
            draw(ticket, None, "", query)
            return
        words = query_words(query, index["stop"])
        if len(words) == 0:
            draw(ticket, [], "", query)
            return
        wanted = plan(index["firsts"], words)
        needed: list[int] = wanted[0]
        prefixed: bool = wanted[1]
        size: int = index["table"]

        def ranked(shards: "list[dict[str, str]]") -> "Any":
            hits = rank(shards, words, prefixed, index["docs"])
            top = hits[:limit]

            def fragments(tables: "list[list[str]]") -> "Any":
                def shown(found: "list[list[str]]") -> None:
                    draw(ticket, hits, "".join([result_html(f, words, prefixed, site) for f in found]), query)

                return get_all("f", [tables[at][top[at] % size] for at in range(len(top))]).then(shown)

            return get_all("d", [index["tables"][doc // size] for doc in top]).then(fragments)

        get_all("t", [index["shards"][shard][1] for shard in needed]).then(ranked).catch(failed)

    def loaded(manifest: "Any") -> None:
        version: int | None = None if manifest is None else manifest["version"]
        if manifest is None or version != FORMAT_VERSION:
            failed(None)
            return
        shards: "list[list[str]]" = manifest["shards"]
        state["index"] = {"docs": manifest["docs"], "stop": " " + manifest["stopwords"] + " ",
                          "table": manifest["table"], "tables": manifest["tables"], "shards": shards,
                          "firsts": [shard[0] for shard in shards]}
        show()

    def failed(error: "Any") -> None:
        status.textContent = "Search is unavailable; Search lists all articles."

    def load() -> None:
        loading: bool = state["loading"]
        if not loading:
            state["loading"] = True
            fetch(site + index_path).then(parsed).then(loaded).catch(failed)

    def on_input(event) -> None:
        load()
        clearTimeout(state["timer"])
        state["timer"] = setTimeout(show, DEBOUNCE_MS)

    def on_focus(event) -> None:
        load()
        results.hidden = len(links()) == 0

    def focus_result(event, position: int) -> None:
        """Focus result `position` (clamped to the last); -1 is the box."""
        items = links()
        if len(items) > 0:
            event.preventDefault()
            results.hidden = False
            if position < 0:
                box.focus()
            else:
                items[min(position, len(items) - 1)].focus()

    def on_key(event) -> None:
        key = event.key
        current: int = links().indexOf(document.activeElement)   # -1: the box (or the button)
        if key == "ArrowDown":
            focus_result(event, current + 1)
        elif key == "ArrowUp" and current >= 0:
            focus_result(event, current - 1)
        elif key == "Escape" and (len(box.value) > 0 or not results.hidden):
            event.preventDefault()
            box.value = ""
            show()
            box.focus()

    def on_submit(event) -> None:
        # Until the index is here (or if it never comes), and for an empty box, the form does what it does
        # without JavaScript: it opens the list of all articles.
        if state["index"] is not None and len(box.value.strip()) > 0:
            event.preventDefault()
            clearTimeout(state["timer"])
            drawn: "str | None" = state["drawn"]
            if drawn == box.value:
                open_first()
            else:                   # its results are on their way: open the first once they are drawn
                state["go"] = True
                show()

    def on_focus_out(event) -> None:
        if event.relatedTarget is None or not form.contains(event.relatedTarget):
            results.hidden = True

    form.addEventListener("input", on_input)
    box.addEventListener("focus", on_focus)
    form.addEventListener("keydown", on_key)
    form.addEventListener("submit", on_submit)
    form.addEventListener("focusout", on_focus_out)
    root.classList.add("search-ready")
    # The loader mounts on the first interaction with the widget: if that was focusing or typing in the box,
    # the reader is already using it, so fetch now (and search what was typed before the script arrived).
    if document.activeElement == box or len(box.value) > 0:
        load()
