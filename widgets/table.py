"""A data table from a data file, sortable and filterable once JavaScript runs.

Without JavaScript it is a complete <table>: caption, column headers, every row,
numbers right-aligned with thousands separators, each column's numbers with the
decimal places its data was written with (3.0, 4.1, 3.8). On narrow screens the table
scrolls sideways inside its own box (focusable, named by the caption, with a shadow
at an edge that has more to see); the caption wraps within the screen and stays in
view while the table scrolls. mount() adds, following the WAI-ARIA sortable table
pattern: a button in each column header (aria-sort on the sorted <th>), a search
box that hides the rows not containing its text, and a polite live region that
says how many rows are shown.

    ```widget table
    rows: data.frameworks
    columns: [name, first_release, requests_per_second]
    caption: Python web frameworks
    id: frameworks
    ```

Sorting, filtering and number formatting are plain functions without DOM access,
so tests run them under CPython and compiled to JavaScript and compare the results.
"""
from widgets.html import MOST_PLACES, cell_text, decimal_places, escape, format_fixed, groups_thousands, is_number, \
    keys_of, label, slug, tag, value_of

PROPS = {
    "rows": ["data", None],      # a CSV file, or a JSON/YAML list of objects
    "columns": ["list", []],     # column keys to show, in order; [] shows every key of the first row
    "caption": ["str", ""],      # names the table (strongly recommended)
    "id": ["str", "table"],      # unique on the page: prefixes the ids inside the widget
    "filter": ["bool", True],    # offer a search box once JavaScript runs
    "labels": ["dict", {}],      # optional headings by key; otherwise 'first_release' reads 'First release'
    "decimals": ["dict", {}],    # optional decimal places by key (0-6); otherwise the most any number of the column has
}

# __pragma__('skip')
def check_props(props: "Props") -> None:
    """Build-time checks with messages an author can act on (CPython only)."""
    rows = props["rows"]
    if not isinstance(rows, (list, tuple)):
        raise ValueError("rows must be a list of rows (a CSV file, or a JSON/YAML list of objects), not "
                         + type(rows).__name__)
    for number, row in enumerate(rows):
        if not isinstance(row, dict):
            raise ValueError("row " + str(number + 1) + " is " + type(row).__name__ + ", not an object with columns")
    for key in props["columns"]:
        if not isinstance(key, str):
            raise ValueError("columns must be a list of column names (text), not " + repr(key))
    for key in props["labels"]:
        if not isinstance(props["labels"][key], str):
            raise ValueError("labels must map columns to text; " + repr(key) + " maps to " + repr(props["labels"][key]))
    for key in props["decimals"]:
        places = props["decimals"][key]
        if isinstance(places, bool) or not isinstance(places, int) or not 0 <= places <= MOST_PLACES:
            raise ValueError("decimals must map columns to a number of decimal places from 0 to "
                             + str(MOST_PLACES) + "; " + repr(key) + " maps to " + repr(places))
    if len(rows) > 0:
        known = keys_of(rows[0])
        for key in props["columns"]:
            if key not in known:
                raise ValueError("column " + repr(key) + " is not in the data; its columns are: " + ", ".join(known))
# __pragma__('noskip')


def widget_id(props: "Props") -> str:
    ident = slug(props["id"])
    return ident if len(ident) > 0 else "table"


def table_columns(props: "Props") -> list[str]:
    """The column keys to show: the `columns` prop, or every key of the first row."""
    names: list[str] = props["columns"]   # check_props: column names are text
    if len(names) > 0:
        return [str(key) for key in names]
    if len(props["rows"]) > 0:
        return keys_of(props["rows"][0])
    return []


def heading(props: "Props", key: str) -> str:
    labels: dict[str, str] = props["labels"]   # check_props: labels map columns to text
    if labels is not None and key in labels:
        return str(labels[key])
    return label(key)


def numeric_column(rows: "list[dict[str, Any]]", key: str) -> bool:
    """True when every non-empty cell of the column is a number and at least one is."""
    found = False
    for row in rows:
        value = value_of(row, key)
        if is_number(value):
            found = True
        elif cell_text(value, False) != "":
            return False
    return found


def rank(value: object) -> int:
    """0 for numbers, 1 for text, 2 for empty cells."""
    if is_number(value):
        return 0
    if cell_text(value, False) == "":
        return 2
    return 1


def compare(a: object, b: object) -> int:
    """-1, 0 or 1. Numbers by value, text case-insensitively; numbers before text before empty cells."""
    first = rank(a)
    second = rank(b)
    if first != second:
        return -1 if first < second else 1
    if first == 2:
        return 0
    # Rank 0 means both are numbers; the isinstance tells the type check so (booleans rank 1: text).
    if first == 0 and isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if a < b:
            return -1
        if b < a:
            return 1
        return 0
    x = cell_text(a, False).lower()
    y = cell_text(b, False).lower()
    if x < y:
        return -1
    if y < x:
        return 1
    return 0


def merge_sort(items: list[int], before: "Any") -> list[int]:
    """A stable sort of `items` with `before(a, b)` (strictly less); no key functions involved."""
    if len(items) < 2:
        return items
    middle = len(items) // 2
    left = merge_sort(items[:middle], before)
    right = merge_sort(items[middle:], before)
    out: list[int] = []
    i = 0
    j = 0
    while i < len(left) and j < len(right):
        right_first: bool = before(right[j], left[i])
        if right_first:
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


def sort_order(values: "list[Any]", descending: bool) -> list[int]:
    """Row indices that sort one column's `values`. Stable both ways; empty cells stay last."""
    def before(i: int, j: int) -> bool:
        order = compare(values[i], values[j])
        if descending and rank(values[i]) != 2 and rank(values[j]) != 2:
            order = 0 - order
        if order == 0:
            return i < j
        return order < 0
    return merge_sort(list(range(len(values))), before)


def column_groups(rows: "list[dict[str, Any]]", columns: list[str]) -> list[bool]:
    """For each column, whether its numbers get thousands separators (see html.groups_thousands)."""
    return [groups_thousands([value_of(row, key) for row in rows]) for key in columns]


def column_places(rows: "list[dict[str, Any]]", columns: list[str], decimals: "dict[str, int]") -> list[int]:
    """For each column, the decimal places its numbers are shown with: `decimals` for the column if it says,
    else the most any of them is written with (a number keeps no trailing zeros: 1.50 is 1.5 once read)."""
    places: list[int] = []
    for key in columns:
        if key in decimals:
            places.append(decimals[key])
        else:
            places.append(decimal_places([value_of(row, key) for row in rows]))
    return places


def cell(value: object, group: bool, places: int) -> str:
    """A cell's text: a number with its column's decimal places (3.0 next to 4.1), anything else as cell_text."""
    if is_number(value) and isinstance(value, (int, float)):
        return format_fixed(value, places, group)
    return cell_text(value, group)


def search_text(cells: list[str], numeric: list[bool]) -> str:
    """What the filter searches in one row: the text of each cell as shown (render() wrote it, mount() reads it
    from the page), and in a column of numbers also without thousands separators (170,000 and 170000)."""
    parts: list[str] = []
    for index, text in enumerate(cells):
        text = text.lower()
        parts.append(text)
        if numeric[index] and "," in text:
            parts.append(text.replace(",", ""))
    return "\n".join(parts)


def filter_rows(texts: list[str], query: str) -> list[int]:
    """Indices of the rows whose search text contains the query (trimmed, case-insensitive)."""
    needle = query.strip().lower()
    return [index for index in range(len(texts)) if len(needle) == 0 or needle in texts[index]]


def status_text(shown: int, total: int, sorted_by: str, descending: bool) -> str:
    """The live region's sentence, e.g. 'Sorted by Name, ascending. Showing 3 of 8 rows.'"""
    noun = " row." if total == 1 else " rows."
    text = "Showing " + str(shown) + " of " + str(total) + noun
    if len(sorted_by) > 0:
        text = "Sorted by " + sorted_by + (", descending. " if descending else ", ascending. ") + text
    return text


def render(props: "Props") -> str:
    # __pragma__('skip')
    check_props(props)
    # __pragma__('noskip')
    rows: "list[dict[str, Any]]" = props["rows"]   # check_props: a list of objects
    ident = widget_id(props)
    columns = table_columns(props)
    numeric = [numeric_column(rows, key) for key in columns]
    groups = column_groups(rows, columns)
    places = column_places(rows, columns, props["decimals"])
    head = ""
    for index, key in enumerate(columns):
        head = head + tag("th", [["scope", "col"], ["class", "num" if numeric[index] else None],
                                 ["data-key", key]], escape(heading(props, key)))
    body = ""
    for row in rows:
        cells = ""
        for index, key in enumerate(columns):
            cells = cells + tag("td", [["class", "num" if numeric[index] else None]],
                                escape(cell(value_of(row, key), groups[index], places[index])))
        body = body + "<tr>" + cells + "</tr>"
    # The box scrolls sideways on narrow screens, so it is focusable and named (axe: scrollable-region-focusable).
    region: list[list[str | None]] = [["class", "table-scroll"], ["role", "region"], ["tabindex", "0"]]
    caption = ""
    if len(props["caption"]) > 0:
        # The span is what CSS keeps in view (sticky, as wide as the box) while the table scrolls under it.
        caption = tag("caption", [["id", ident + "-caption"]], tag("span", [], escape(props["caption"])))
        region.append(["aria-labelledby", ident + "-caption"])
    else:
        region.append(["aria-label", "Table"])
    # A class, so that a theme giving bare <table>s a tabindex (they scroll themselves) leaves this one alone.
    table = tag("table", [["class", "table-data"]],
                caption + "<thead><tr>" + head + "</tr></thead><tbody>" + body + "</tbody>")
    scroll = tag("div", region, table)
    # Empty until mount() fills them; CSS keeps their space when scripts run, so nothing shifts.
    tools = tag("div", [["class", "table-tools"]], "") if props["filter"] else ""
    status = tag("p", [["class", "table-status"], ["aria-live", "polite"]], "")
    return tag("div", [["class", "table-widget"], ["id", ident]], tools + scroll + status)


def mount(root, props: "Props") -> None:
    box = root.querySelector(".table-widget")
    table = box.querySelector("table")
    body = table.tBodies[0]
    trs = list(body.rows)
    heads = list(table.tHead.rows[0].cells)
    rows: "list[dict[str, Any]]" = props["rows"]
    columns: list[str] = [th.getAttribute("data-key") for th in heads]
    total = len(trs)
    texts: list[str] = []   # what the filter searches: made on its first use, so mounting stays a short task
    sorted_column = -1      # the state of the sort and the filter, changed by the handlers below
    descending = False
    shown_count = total
    status = box.querySelector(".table-status")

    def announce() -> None:
        sorted_by = ""
        if sorted_column >= 0:
            sorted_by = heads[sorted_column].textContent
        status.textContent = status_text(shown_count, total, sorted_by, descending)

    def sort_by(column: int) -> None:
        nonlocal sorted_column, descending
        if sorted_column == column:
            descending = not descending
        else:
            sorted_column = column
            descending = False
        values = [value_of(rows[index], columns[column]) for index in range(total)]
        for index in sort_order(values, descending):
            body.appendChild(trs[index])
        for index, th in enumerate(heads):
            if index == column:
                th.setAttribute("aria-sort", "descending" if descending else "ascending")
            else:
                th.removeAttribute("aria-sort")
        announce()

    def on_sort(event) -> None:
        sort_by(heads.indexOf(event.currentTarget.parentNode))

    for th in heads:
        button = document.createElement("button")
        button.setAttribute("type", "button")
        button.className = "sort"
        while th.firstChild:
            button.appendChild(th.firstChild)
        icon = document.createElement("span")
        icon.className = "sort-icon"
        icon.setAttribute("aria-hidden", "true")
        button.appendChild(icon)
        th.appendChild(button)
        button.addEventListener("click", on_sort)

    if props["filter"]:
        tools = box.querySelector(".table-tools")
        field = document.createElement("input")
        field.setAttribute("type", "search")
        field.id = box.id + "-filter"
        field.setAttribute("autocomplete", "off")
        text = document.createElement("label")
        text.setAttribute("for", field.id)
        text.textContent = "Filter rows"
        tools.appendChild(text)
        tools.appendChild(field)

        def on_filter(event) -> None:
            nonlocal shown_count
            if len(texts) == 0:
                numeric = [th.classList.contains("num") for th in heads]
                for tr in trs:
                    texts.append(search_text([td.textContent for td in list(tr.cells)], numeric))
            keep = filter_rows(texts, field.value)
            shown = [False for index in range(total)]
            for index in keep:
                shown[index] = True
            for index in range(total):
                trs[index].hidden = not shown[index]
            shown_count = len(keep)
            announce()

        field.addEventListener("input", on_filter)
    announce()
    root.classList.add("table-ready")
