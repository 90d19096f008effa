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
run them under CPython and compiled to JavaScript and compare the results. `fold`, `tokenize` and
STOPWORDS mirror islet/search_index.py, which builds the index with them (tests check they agree).
"""
from widgets.html import attrs, escape, slug, tag

PROPS = {
    "index": ["str", "search.json"],      # the index, relative to the site root
    "fallback": ["str", "archives.html"],  # where the form goes without JavaScript, relative to THIS page
    "label": ["str", "Search articles"],   # the visible label of the box
    "limit": ["int", 8],                   # results shown at most
    "id": ["str", "search"],               # unique on the page: prefixes the ids inside the widget
}

FORMAT_VERSION = 1
DEBOUNCE_MS = 120
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]
# Per query word, the best field it matches decides its points: [exact word, start of a word].
TITLE_POINTS = [12, 8]
TAG_POINTS = [6, 4]
BODY_POINTS = [2, 1]

STOPWORDS = ("a about after all also an and any are as at be because been before but by can could did do does "
             "doing done each for from had has have having he her here hers him his how i if in into is it its just "
             "like me more most my no nor not now of off on once only or other our ours out over own same she should "
             "so some such than that the their theirs them then there these they this those through to too under "
             "until up very was we were what when where which while who whom why will with would you your "
             "yours").split(" ")
APOSTROPHES = "'\u2019"


# ---------------------------------------------------------------- text (mirrors islet/search_index.py)

def nfd(text):
    """Compatibility decomposition: 'é' → 'e' + U+0301."""
    # __pragma__('ecom')
    #?return text.normalize("NFKD")
    # __pragma__('noecom')
    # __pragma__('skip')
    import unicodedata
    return unicodedata.normalize("NFKD", text)
    # __pragma__('noskip')


def fold(text):
    """Lower case without accents: 'Été' → 'ete'."""
    out = ""
    for char in nfd(str(text).lower()):
        if not ("\u0300" <= char <= "\u036f"):
            out = out + char
    return out


def is_word_char(char):
    code = ord(char)
    if code < 0xC0:
        return ("a" <= char <= "z") or ("0" <= char <= "9")
    if code == 0xD7 or code == 0xF7:
        return False
    if (0x2000 <= code <= 0x2BFF) or (0x3000 <= code <= 0x303F) or (0xD800 <= code <= 0xDFFF) or code > 0xFFFF:
        return False
    if (0xFE10 <= code <= 0xFE6F) or (0xFF00 <= code <= 0xFF0F) or (0xFF1A <= code <= 0xFF20):
        return False
    return True


def tokenize(text):
    """Folded words in order: "Don't panic — it's Été!" → ['dont', 'panic', 'its', 'ete']."""
    words = []
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

def field_text(words):
    """Words as one string with a space on each side, so ' ' + w is a word start and ' ' + w + ' ' a whole word."""
    return " " + " ".join(words) + " "


def prepare(index):
    """The parsed search.json → one record per article: what is shown, and the three texts to match."""
    docs = []
    for row in index["docs"]:
        tags = row[4]
        docs.append({
            "title": row[0], "url": row[1], "date": row[2], "snippet": row[5],
            "t": field_text(tokenize(row[0])),
            "g": field_text(tokenize(row[3] + " " + " ".join(tags))),
            "b": field_text(tokenize(row[5])) + row[6] + " ",
        })
    return docs


def query_words(query):
    """The words to look for. Every word but the last must be a whole word of two letters or more that is not a
    stopword (the index has none of those); the last may be the start of a longer word, so it is always kept."""
    words = tokenize(query)
    out = []
    for position in range(len(words)):
        word = words[position]
        last = position == len(words) - 1
        if last or (len(word) > 1 and word not in STOPWORDS):
            out.append(word)
    return out


def points(text, word, table):
    """What `word` earns in one field: table[0] as a whole word, table[1] as the start of one, else 0."""
    if (" " + word + " ") in text:
        return table[0]
    if (" " + word) in text:
        return table[1]
    return 0


def score(doc, words):
    """Sum over the words of the best field each matches; 0 unless every word matches somewhere."""
    total = 0
    for word in words:
        best = max(points(doc["t"], word, TITLE_POINTS), points(doc["g"], word, TAG_POINTS),
                   points(doc["b"], word, BODY_POINTS))
        if best == 0:
            return 0
        total = total + best
    return total


def ranks_before(a, b):
    """a = [score, date, position]: higher score first, then newer, then index order (the sort is stable)."""
    if a[0] != b[0]:
        return a[0] > b[0]
    if a[1] != b[1]:
        return a[1] > b[1]
    return a[2] < b[2]


def merge_sort(items, before):
    """A stable sort with `before(a, b)` (strictly before); no key functions, which compile differently."""
    if len(items) < 2:
        return items
    middle = len(items) // 2
    left = merge_sort(items[:middle], before)
    right = merge_sort(items[middle:], before)
    out = []
    i = 0
    j = 0
    while i < len(left) and j < len(right):
        if before(right[j], left[i]):
            out.append(right[j])
            j = j + 1
        else:
            out.append(left[i])
            i = i + 1
    while i < len(left):
        out.append(left[i])
        i = i + 1
    while j < len(right):
        out.append(right[j])
        j = j + 1
    return out


def search(docs, query):
    """Positions in `docs` of every match, best first. An empty query (or one of only punctuation) matches nothing."""
    words = query_words(query)
    if len(words) == 0:
        return []
    found = []
    for position in range(len(docs)):
        points_total = score(docs[position], words)
        if points_total > 0:
            found.append([points_total, docs[position]["date"], position])
    return [hit[2] for hit in merge_sort(found, ranks_before)]


# ---------------------------------------------------------------- text shown

def readable_date(iso):
    """'2026-06-30' → '30 June 2026' (the site's date format); anything else is shown as it is."""
    parts = str(iso).split("-")
    if len(parts) != 3 or len(parts[0]) != 4 or len(parts[1]) != 2 or len(parts[2]) != 2:
        return str(iso)
    month = -1
    for number in range(12):
        two = str(number + 1)
        if len(two) == 1:
            two = "0" + two
        if parts[1] == two:
            month = number
    day = parts[2][1:] if parts[2][:1] == "0" else parts[2]
    if month < 0 or len(day) == 0 or day == "0":
        return str(iso)
    return day + " " + MONTHS[month] + " " + parts[0]


def status_text(count, shown, query):
    """The live region's sentence: '3 results for “x”', '12 results for “x”, showing the first 8', …"""
    quoted = "\u201c" + " ".join(str(query).split()) + "\u201d"
    if count == 0:
        return "No results for " + quoted
    text = str(count) + (" result for " if count == 1 else " results for ") + quoted
    if shown < count:
        text = text + ", showing the first " + str(shown)
    return text


def result_html(doc, site, ident, position):
    link = tag("a", [["href", site + doc["url"]], ["id", ident + "-r" + str(position)]], escape(doc["title"]))
    when = ""
    if len(doc["date"]) > 0:
        when = " " + tag("time", [["datetime", doc["date"]]], escape(readable_date(doc["date"])))
    text = ""
    if len(doc["snippet"]) > 0:
        text = tag("p", [], escape(doc["snippet"]))
    return "<li>" + link + when + text + "</li>"


def results_html(docs, hits, site, ident, limit):
    """The <li> items for the first `limit` hits; links are `site` + the url in the index."""
    out = ""
    for position in range(min(limit, len(hits))):
        out = out + result_html(docs[hits[position]], site, ident, position)
    return out


# ---------------------------------------------------------------- HTML without JavaScript

def widget_id(props):
    ident = slug(props["id"])
    return ident if len(ident) > 0 else "search"


def render(props):
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

def mount(root, props, site):
    if not site:   # a loader that passes no site root: resolve against the page
        site = ""
    ident = widget_id(props)
    form = root.querySelector("form")
    box = document.getElementById(ident + "-q")
    status = document.getElementById(ident + "-status")
    results = document.getElementById(ident + "-results")
    limit = props["limit"]
    # go: Enter was pressed before the index arrived, so follow the first result once it has.
    state = {"docs": None, "loading": False, "failed": False, "timer": 0, "hits": [], "query": "", "go": False}

    def links():
        return list(results.querySelectorAll("a"))

    def close():
        results.hidden = True

    def show(query):
        state["query"] = query
        if len(query.strip()) == 0 or state["docs"] is None:
            results.innerHTML = ""
            results.hidden = True
            status.textContent = ""
            state["hits"] = []
            return
        hits = search(state["docs"], query)
        state["hits"] = hits
        shown = min(limit, len(hits))
        results.innerHTML = results_html(state["docs"], hits, site, ident, limit)
        results.hidden = shown == 0
        status.textContent = status_text(len(hits), shown, query)

    def loaded(index):
        if index is None or index["version"] != FORMAT_VERSION:
            failed(None)
            return
        state["docs"] = prepare(index)
        show(box.value)
        if state["go"]:
            state["go"] = False
            follow()

    def failed(error):
        state["failed"] = True
        status.textContent = "Search is not available right now; press Search to browse every article."

    def load():
        if state["loading"]:
            return
        state["loading"] = True
        try:
            fetch(site + props["index"]).then(lambda response: response.json() if response.ok else None) \
                .then(loaded).catch(failed)
        except:   # noqa: E722  (a JS error is not a Python Exception)
            failed(None)

    def on_input(event):
        load()
        clearTimeout(state["timer"])
        state["timer"] = setTimeout(lambda: show(box.value), DEBOUNCE_MS)

    def on_focus(event):
        load()
        if len(state["hits"]) > 0 and state["query"] == box.value:
            results.hidden = False

    def focus_result(event, position):
        """Focus result `position` (clamped to the last); -1 is the box."""
        items = links()
        if len(items) == 0:
            return
        event.preventDefault()
        results.hidden = False
        if position < 0:
            box.focus()
        else:
            items[min(position, len(items) - 1)].focus()

    def on_key(event):
        key = event.key
        current = links().indexOf(document.activeElement)   # -1: the box (or the button)
        in_results = current >= 0
        if key == "ArrowDown":
            focus_result(event, current + 1)
        elif key == "ArrowUp" and in_results:
            focus_result(event, current - 1)
        elif key == "Home" and in_results:
            focus_result(event, 0)
        elif key == "End" and in_results:
            focus_result(event, len(links()) - 1)
        elif key == "Escape" and (len(box.value) > 0 or not results.hidden):
            event.preventDefault()
            box.value = ""
            show("")
            box.focus()

    def follow():
        items = links()
        if len(items) > 0:
            window.location.assign(items[0].href)

    def on_submit(event):
        if state["failed"] or len(box.value.strip()) == 0:
            return   # the form does what it does without JavaScript: open the list of every article
        event.preventDefault()
        clearTimeout(state["timer"])
        if state["docs"] is None:
            state["go"] = True
            load()
            return
        show(box.value)
        follow()

    def on_focus_out(event):
        if event.relatedTarget is None or not form.contains(event.relatedTarget):
            close()

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
        if len(box.value) > 0:
            show(box.value)
