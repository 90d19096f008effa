"""Site search: a search form that works without JavaScript, searching a build-time index once it does.

Without JavaScript it is a real search form (role="search") whose action is the archives page, so
submitting it lands on the list of every article, where the browser's find-in-page does the rest.
mount() downloads the index (search.json, written by islet/search_index.py at build time) the first
time the box is used, never on page load, then searches as the reader types:

    ```widget search
    trigger: interaction
    ```

Results are links (title, date, snippet) in a list under the box; a polite live region says how many
there are. Arrow Down moves from the box into the results, Up/Down move between them, Escape clears,
Enter goes to the first result. Nothing is sent anywhere: the whole search runs in the page.

Tokenizing, folding, scoring and the results HTML are pure functions without DOM access, so tests
run them under CPython and compiled to JavaScript and compare the results. `fold` and `tokenize`
mirror islet/search_index.py, which builds the index with them (tests check they agree); the
stopwords and the dates as the site prints them come in the index, to keep this script small.
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

FORMAT_VERSION = 1
DEBOUNCE_MS = 120
# Per query word, the best field it matches decides its points: [exact word, start of a word].
TITLE_POINTS = [12, 8]
TAG_POINTS = [6, 4]
BODY_POINTS = [2, 1]
APOSTROPHES = "'\u2019"


# ---------------------------------------------------------------- text (mirrors islet/search_index.py)

def fold(text: str) -> str:
    """Lower case without accents: 'Été' → 'ete' (compatibility decomposition, then combining marks dropped)."""
    # __pragma__('ecom')
    #?decomposed: str = str(text).lower().normalize("NFKD")
    # __pragma__('noecom')
    # __pragma__('skip')
    import unicodedata
    decomposed = unicodedata.normalize("NFKD", str(text).lower())
    # __pragma__('noskip')
    out = ""
    for char in decomposed:
        if not ("\u0300" <= char <= "\u036f"):
            out = out + char
    return out


def is_word_char(char: str) -> bool:
    code = ord(char)
    if code < 0xC0:
        return ("a" <= char <= "z") or ("0" <= char <= "9")
    if code == 0xD7 or code == 0xF7:
        return False
    if (0x2000 <= code <= 0x2BFF) or (0x3000 <= code <= 0x303F) or (0xD800 <= code <= 0xDFFF) or code > 0xFFFF:
        return False
    return True


def tokenize(text: str) -> list[str]:
    """Folded words in order: "Don't panic — it's Été!" → ['dont', 'panic', 'its', 'ete']."""
    words: list[str] = []
    word = ""
    for char in fold(text):
        if char in APOSTROPHES:
            continue
        if is_word_char(char):
            word = word + char
        elif len(word) > 0:
            words.append(word)
            word = ""
    if len(word) > 0:
        words.append(word)
    return words


# ---------------------------------------------------------------- searching

def field_text(words: list[str]) -> str:
    """Words as one string with a space on each side, so ' ' + w is a word start and ' ' + w + ' ' a whole word."""
    return " " + " ".join(words) + " "


def prepare(index: "dict[str, Any]") -> "dict[str, Any]":
    """The parsed search.json (see islet/search_index.py) → {"docs": one record per article, what is shown and
    the three texts to match; "stop": the stopwords, as one text}."""
    rows: "list[list[Any]]" = index["docs"]
    stopwords: str = index["stopwords"]
    docs: list[dict[str, str]] = []
    for row in rows:
        category: str = row[4]
        tags: list[str] = row[5]
        terms: str = row[7]
        docs.append({
            "title": row[0], "url": row[1], "date": row[2], "day": row[3], "snippet": row[6],
            "t": field_text(tokenize(row[0])),
            "g": field_text(tokenize(category + " " + " ".join(tags))),
            "b": field_text(tokenize(row[6])) + terms + " ",
        })
    return {"docs": docs, "stop": " " + stopwords + " "}


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


def points(text: str, word: str, table: list[int]) -> int:
    """What `word` earns in one field: table[0] as a whole word, table[1] as the start of one, else 0."""
    if (" " + word + " ") in text:
        return table[0]
    if (" " + word) in text:
        return table[1]
    return 0


def score(doc: dict[str, str], words: list[str]) -> int:
    """Sum over the words of the best field each matches; 0 unless every word matches somewhere."""
    total = 0
    for word in words:
        best = max(points(doc["t"], word, TITLE_POINTS), points(doc["g"], word, TAG_POINTS),
                   points(doc["b"], word, BODY_POINTS))
        if best == 0:
            return 0
        total = total + best
    return total


def best_first(found: list[list[int]]) -> list[list[int]]:
    """[[score, position], …] → the same, higher score first, then lower position (the index is newest first)."""
    # __pragma__('skip')
    return sorted(found, key=lambda hit: (0 - hit[0], hit[1]))
    # __pragma__('noskip')
    # Array.prototype.sort: a comparator, so no key tuples (which Transcrypt would compare as strings).
    # __pragma__('ecom')
    #?def higher_then_earlier(a: list[int], b: list[int]) -> int:
    #?    return (b[0] - a[0]) or (a[1] - b[1])
    #?return found["sort"](higher_then_earlier)
    # __pragma__('noecom')


def search(index: "dict[str, Any]", query: str) -> list[int]:
    """Positions in index["docs"] of every match, best first. A query of no words matches nothing."""
    words = query_words(query, index["stop"])
    if len(words) == 0:
        return []
    docs: list[dict[str, str]] = index["docs"]
    found: list[list[int]] = []
    for position in range(len(docs)):
        total = score(docs[position], words)
        if total > 0:
            found.append([total, position])
    return [hit[1] for hit in best_first(found)]


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


def result_html(doc: dict[str, str], site: str) -> str:
    link = tag("a", [["href", site + doc["url"]]], escape(doc["title"]))
    when = ""
    if len(doc["date"]) > 0:
        when = " " + tag("time", [["datetime", doc["date"]]], escape(doc["day"]))
    text = ""
    if len(doc["snippet"]) > 0:
        text = tag("p", [], escape(doc["snippet"]))
    return "<li>" + link + when + text + "</li>"


def results_html(index: "dict[str, Any]", hits: list[int], site: str, limit: int) -> str:
    """The <li> items for the first `limit` hits; links are `site` + the url in the index."""
    out = ""
    for position in range(min(limit, len(hits))):
        out = out + result_html(index["docs"][hits[position]], site)
    return out


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
    # "index": prepare(search.json) once loaded; "shown": the query whose results are on the page
    state: "dict[str, Any]" = {"index": None, "loading": False, "timer": 0, "shown": None}

    def links() -> "list[Any]":
        return list(results.querySelectorAll("a"))

    def show() -> None:
        query: str = box.value
        drawn: "str | None" = state["shown"]
        if state["index"] is not None and query == drawn:
            return      # the same results: drawing them again would take the focus from the one the reader is on
        state["shown"] = None if state["index"] is None else query
        if len(query.strip()) == 0 or state["index"] is None:
            results.innerHTML = ""
            status.textContent = ""
            results.hidden = True
            return
        hits = search(state["index"], query)
        shown = min(limit, len(hits))
        results.innerHTML = results_html(state["index"], hits, site, limit)
        results.hidden = shown == 0
        status.textContent = status_text(len(hits), shown, query)

    def loaded(index: "dict[str, Any] | None") -> None:
        version: int | None = None if index is None else index["version"]
        if index is None or version != FORMAT_VERSION:
            failed(None)
            return
        state["index"] = prepare(index)
        show()

    def failed(error: "Any") -> None:
        status.textContent = "Search is unavailable; Search lists all articles."

    def parsed(response: "Any") -> "Any":
        """The index from a fetch response, or None when the server answered with an error status."""
        ok: bool = response.ok
        return response.json() if ok else None

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
            show()
            items = links()
            if len(items) > 0:
                window.location.assign(items[0].href)

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
