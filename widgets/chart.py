"""A bar or line chart drawn at build time from a data file: an inline SVG for the bars, lines and gridlines,
HTML for every word and number around it.

Without JavaScript the chart is complete: a caption, a legend, the value of each gridline at its left, the
category under each bar or point, an SVG with a title, a description and a native tooltip (<title>) on every
bar or point, and a visually hidden table with every number for screen readers. The SVG fills the column's
width with no viewBox to scale it: positions across are percentages, so its lines and dots keep their size.
The text is HTML outside it, never scaled either (text in an SVG scaled to fit would shrink with it: a 640-unit
drawing with 13-unit text reads 7 px on a 360 px phone): it stays at the page's size at any width, the legend
wraps, and crowded category labels turn on their side only where the chart is narrow (CSS container queries).
No style attributes anywhere (a strict CSP forbids them): colours come from the classes series-0 … series-5,
which the theme maps to its own colour variables.

mount() makes every bar or point focusable and shows its value in a tooltip on focus and hover (it stays while
the pointer is on the chart; Escape hides it), and turns the legend into a button per series, with
aria-pressed, that shows or hides that series.

    ```widget chart
    rows: data.frameworks
    x: name
    series: [requests_per_second]
    title: Requests per second, plain-text benchmark
    id: rps
    ```

Every coordinate goes through html.num(), which prints the same text under CPython
and in the browser, so the two renderings are byte-identical (tested).
"""
from widgets.html import LARGEST_FLOAT, cell_text, chars, decimal_places, escape, format_fixed, format_number, \
    groups_thousands, is_number, keys_of, label, num, slug, tag, value_of

PROPS = {
    "rows": ["data", None],      # a CSV file, or a JSON/YAML list of objects
    "x": ["str", None],          # the column that labels each bar (or point)
    "series": ["list", None],    # one or more numeric columns
    "kind": ["str", "bar"],      # "bar" or "line"
    "title": ["str", ""],        # defaults to '<series> by <x>'
    "id": ["str", "chart"],      # unique on the page: prefixes the ids inside the widget
    "width": ["int", 640],       # not used: the chart fills its column (kept so that pages setting it still build)
    "height": ["int", 240],      # the plot's height in px (the bars' area; the text around it adds to it)
    "labels": ["dict", {}],      # optional names by column key; otherwise 'github_stars' reads 'Github stars'
}

KINDS = ["bar", "line"]
COLOURS = 6          # series-0 … series-5 in the theme; more series reuse them in turn
AXIS_LABEL = 18      # longest category label shown under the axis; the table has the full text
LABEL_CHAR = 7       # px: the width of a character of the axis labels (13 px text), roughly (a wider one wraps)
# The plot's width in px on a 320 px phone, in a chart 30rem wide and in one 40rem wide (less the gridline
# values at the left), and the class that turns the category labels on their side below that (60-widgets.css).
PLOT_WIDTHS = [230, 415, 575]
TURNED_BELOW = ["", " turn-30", " turn-40"]
SMALLEST_STEP = 2.2250738585072014e-308      # the smallest normal float: a finer step would underflow to 0
TOO_WIDE = "the series' values are too large for an axis: scale them, e.g. to thousands or millions"

# __pragma__('skip')
def check_props(props: "Props") -> None:
    """Build-time checks with messages an author can act on (CPython only)."""
    rows = props["rows"]
    if not isinstance(rows, (list, tuple)) or len(rows) == 0:
        raise ValueError("rows must be a non-empty list of rows (a CSV file, or a JSON/YAML list of objects)")
    for number, row in enumerate(rows):
        if not isinstance(row, dict):
            raise ValueError("row " + str(number + 1) + " is " + type(row).__name__ + ", not an object with columns")
    known = keys_of(rows[0])
    for key in props["labels"]:
        if not isinstance(props["labels"][key], str):
            raise ValueError("labels must map columns to text; " + repr(key) + " maps to " + repr(props["labels"][key]))
    if props["kind"] not in KINDS:
        raise ValueError("kind must be 'bar' or 'line', not " + repr(props["kind"]))
    if len(props["series"]) == 0:
        raise ValueError("series must name at least one numeric column")
    for key in [props["x"]] + list(props["series"]):
        if key not in known:
            raise ValueError("column " + repr(key) + " is not in the data; its columns are: " + ", ".join(known))
    for key in props["series"]:
        bad = [value_of(row, key) for row in rows if value_of(row, key) is not None and not is_number(value_of(row, key))]
        if len(bad) > 0:
            raise ValueError("series " + repr(key) + " must hold numbers; it has " + repr(bad[0]))
    values = [value_of(row, key) for key in props["series"] for row in rows if value_of(row, key) is not None]
    try:
        scale(values)
    except (ValueError, OverflowError):      # the axis could not be divided into steps, or runs past infinity
        raise ValueError("the series' values are too large for an axis (" + repr(min(values)) + " to "
                         + repr(max(values)) + "): scale them, e.g. to thousands or millions") from None
    if props["height"] < 160:
        raise ValueError("height must be at least 160 (px: the plot's height)")
# __pragma__('noskip')


def widget_id(props: "Props") -> str:
    ident = slug(props["id"])
    return ident if len(ident) > 0 else "chart"


def name_of(props: "Props", key: str) -> str:
    labels: dict[str, str] = props["labels"]      # check_props: every label is text
    if labels is not None and key in labels:
        return str(labels[key])
    return label(key)


def chart_title(props: "Props") -> str:
    if len(props["title"]) > 0:
        return props["title"]
    names = [name_of(props, key) for key in props["series"]]
    return " and ".join(names) + " by " + name_of(props, props["x"])


def palette(index: int) -> str:
    return "series-" + str(index % COLOURS)


def nice_step(span: float, count: int) -> float:
    """The smallest of 1, 2, 5 × a power of ten that covers `span` in `count` steps.
    ValueError when no float step can (an infinite or NaN span)."""
    raw = span / count
    if not raw <= LARGEST_FLOAT:
        raise ValueError(TOO_WIDE)
    if not raw >= SMALLEST_STEP:      # 0, negative, or so small that dividing by 10 would reach 0 and loop
        raw = SMALLEST_STEP
    magnitude = 1.0       # a float, as in JavaScript: as an int, CPython's powers of ten grow exact past 2**53
    while magnitude * 10 <= raw:
        magnitude = magnitude * 10
    while magnitude > raw:
        magnitude = magnitude / 10
    for factor in [1, 2, 5, 10]:
        if factor * magnitude >= raw:
            return factor * magnitude
    return 10 * magnitude


def scale(values: list[float]) -> "list[Any]":
    """[first, last, step]: the axis runs from first*step to last*step and always includes 0.
    ValueError when the axis would run past the largest float (values near ±1.8e308)."""
    low: float = 0
    high: float = 0
    for value in values:
        if value < low:
            low = value
        if value > high:
            high = value
    if high - low <= 0:
        high = 1
    step = nice_step(high - low, 5)
    first = 0
    while first * step > low:
        first = first - 1
    last = 0
    while last * step < high:
        last = last + 1
    if not (last - first) * step <= LARGEST_FLOAT:       # each loop above ends: step is a positive float
        raise ValueError(TOO_WIDE)
    return [first, last, step]


def decimals_of(step: float) -> int:
    """Decimal places the tick labels need for this step (0 for 1, 2, 5, 10…; 1 for 0.5…)."""
    places = 0
    shifted = step
    while places < 4 and abs(shifted - round(shifted)) > shifted * 0.000001:
        shifted = shifted * 10
        places = places + 1
    return places


def shorten(text: str, most: int) -> str:
    letters = chars(text)
    if len(letters) <= most:
        return text
    return "".join(letters[:most - 1]) + "\u2026"


def label_room(text: str) -> int:
    """px an upright category label needs: its longest word, or half its characters if longer (it may wrap
    onto a second line), at LABEL_CHAR a character, and a little space between neighbours."""
    letters = chars(text)
    longest = 0
    run = 0
    for letter in letters:
        run = 0 if letter == " " else run + 1
        if run > longest:
            longest = run
    half = (len(letters) + 1) // 2
    return (longest if longest > half else half) * LABEL_CHAR + 8


def labels_class(categories: list[str]) -> str:
    """The class of the category labels: upright at every width, or turned on their side (reading upwards)
    in a chart narrower than 30rem or 40rem, or at every width, when the widest would not fit in its band."""
    widest = 0
    for text in categories:
        room = label_room(text)
        if room > widest:
            widest = room
    need = widest * len(categories)
    for index, width in enumerate(PLOT_WIDTHS):
        if need <= width:
            return "chart-labels" + TURNED_BELOW[index]
    return "chart-labels turn"


def tip_place(mark_left: float, mark_top: float, mark_width: float, mark_height: float, box_width: float,
              tip_width: float, tip_height: float) -> list[float]:
    """[left, top] for a tooltip centred above a mark, kept inside the box (below the mark if no room above)."""
    left = mark_left + mark_width / 2 - tip_width / 2
    if left > box_width - tip_width:
        left = box_width - tip_width
    if left < 0:
        left = 0
    top = mark_top - tip_height - 6
    if top < 0:
        top = mark_top + mark_height + 6
    return [left, top]


def data_table(props: "Props", names: list[str], group: bool, places: list[int]) -> str:
    """The numbers as a visually hidden table, for screen readers and for reading exact values."""
    head = tag("th", [["scope", "col"]], escape(name_of(props, props["x"])))
    for name in names:
        head = head + tag("th", [["scope", "col"]], escape(name))
    rows: "list[dict[str, Any]]" = props["rows"]      # check_props: a list of objects
    body = ""
    for row in rows:
        cells = tag("th", [["scope", "row"]], escape(cell_text(value_of(row, props["x"]), False)))
        for number, key in enumerate(props["series"]):
            cells = cells + tag("td", [], escape(shown(value_of(row, key), group, places[number])))
        body = body + "<tr>" + cells + "</tr>"
    return tag("table", [["class", "visually-hidden"]],
               tag("caption", [], escape(chart_title(props))) + "<thead><tr>" + head + "</tr></thead><tbody>"
               + body + "</tbody>")


def shown(value: object, group: bool, places: int) -> str:
    """A value as the tooltips and the table show it: a number with its series' decimal places (3.0 next to 4.1)."""
    if is_number(value) and isinstance(value, (int, float)):
        return format_fixed(value, places, group)
    return cell_text(value, group)


def render(props: "Props") -> str:
    # __pragma__('skip')
    check_props(props)
    # __pragma__('noskip')
    ident = widget_id(props)
    rows: "list[dict[str, Any]]" = props["rows"]      # check_props: a list of objects
    series: list[str] = props["series"]
    height = props["height"]
    title = chart_title(props)
    names = [name_of(props, key) for key in series]
    values: list[float] = []
    for row in rows:
        for key in series:
            value = value_of(row, key)
            if is_number(value):
                values.append(value)
    group = groups_thousands(values)
    places = [decimal_places([value_of(row, key) for row in rows]) for key in series]
    axis = scale(values)
    first: int = axis[0]
    last: int = axis[1]
    step: float = axis[2]
    tick_places = decimals_of(step)
    tick_group = groups_thousands([first * step, last * step])
    span = (last - first) * step

    # The drawing: percentages of the column's width across, `height` px down, gridlines at the ticks.
    def y_of(value: float) -> float:
        return (last * step - value) / span * height

    zero = y_of(0)
    grid = ""
    ticks = ""
    for k in range(last, first - 1, -1):      # top to bottom, as the values at the left read
        y = num(y_of(k * step))
        grid = grid + tag("line", [["x1", "0"], ["x2", "100%"], ["y1", y], ["y2", y]], "")
        ticks = ticks + tag("span", [], escape(format_number(k * step, tick_places, tick_group)))
    count = len(rows)
    band = 100 / count if count > 0 else 100       # % of the width per category
    categories = [shorten(cell_text(value_of(row, props["x"]), False), AXIS_LABEL) for row in rows]
    under = ""
    for text in categories:
        under = under + tag("span", [], escape(text))

    marks = ""
    for number, key in enumerate(series):
        inner = ""
        line = ""
        before = ""         # x of the point just before, "" after a gap: lines join neighbours only
        y_before = ""
        for index, row in enumerate(rows):
            value = value_of(row, key)
            if not is_number(value):
                before = ""
                continue
            tip = tag("title", [], escape(cell_text(value_of(row, props["x"]), False) + ", " + names[number] + ": "
                                          + shown(value, group, places[number])))
            if props["kind"] == "line":
                x = num(band * index + band / 2) + "%"
                y = num(y_of(value))
                if len(before) > 0:
                    line = line + tag("line", [["x1", before], ["y1", y_before], ["x2", x], ["y2", y]], "")
                before = x
                y_before = y
                inner = inner + tag("circle", [["class", "point"], ["cx", x], ["cy", y], ["r", "4"]], tip)
            else:
                thickness = band * 0.8 / len(series)
                x = band * index + band * 0.1 + thickness * number
                y = y_of(value)
                inner = inner + tag("rect", [["class", "bar"], ["x", num(x) + "%"], ["y", num(zero if y > zero else y)],
                                             ["width", num(thickness) + "%"], ["height", num(abs(y - zero))]], tip)
        if len(line) > 0:
            inner = tag("g", [["class", "line"]], line) + inner
        marks = marks + tag("g", [["class", "series " + palette(number)], ["data-series", str(number)],
                                  ["data-label", names[number]]], inner)

    legend = ""
    for number, name in enumerate(names):
        legend = legend + tag("span", [["class", "chart-key"]],
                              tag("span", [["class", "swatch " + palette(number)]], "") + escape(name))
    kind = "Line chart" if props["kind"] == "line" else "Bar chart"
    description = kind + " of " + " and ".join(names) + " by " + name_of(props, props["x"]) \
        + ". The values follow in a table."
    svg = tag("svg", [["width", "100%"], ["height", str(height)], ["role", "img"],
                      ["aria-labelledby", ident + "-title " + ident + "-desc"]],
              tag("title", [["id", ident + "-title"]], escape(title))
              + tag("desc", [["id", ident + "-desc"]], escape(description))
              + tag("g", [["class", "grid"]], grid)
              + tag("line", [["class", "axis"], ["x1", "0"], ["x2", "100%"], ["y1", num(zero)],
                             ["y2", num(zero)]], "")
              + marks)
    # The values at the left and the categories below repeat what the table says: hidden from screen readers.
    plot = tag("div", [["class", "chart-plot"]],
               tag("div", [["class", "chart-ticks"], ["aria-hidden", "true"]], ticks) + svg
               + tag("div", [["class", labels_class(categories)], ["aria-hidden", "true"]], under))
    # mount() turns the legend into the series toggles, the same size: nothing shifts.
    return tag("figure", [["class", "chart"], ["id", ident]],
               tag("figcaption", [], escape(title)) + tag("div", [["class", "chart-legend"]], legend) + plot
               + data_table(props, names, group, places))


def mount(root, props):
    figure = root.querySelector(".chart")
    svg = figure.querySelector("svg")
    # The marks become focusable, and an img's children are presentational: make the drawing a named group.
    svg.setAttribute("role", "group")
    tip = document.createElement("div")
    tip.className = "chart-tip"
    tip.setAttribute("aria-hidden", "true")
    tip.hidden = True
    figure.appendChild(tip)

    def hide():
        tip.hidden = True

    def show(mark):
        tip.textContent = mark.querySelector("title").textContent
        tip.hidden = False
        box = figure.getBoundingClientRect()
        place = mark.getBoundingClientRect()
        spot = tip_place(place.left - box.left, place.top - box.top, place.width, place.height, box.width,
                         tip.offsetWidth, tip.offsetHeight)
        tip.style.left = num(spot[0]) + "px"
        tip.style.top = num(spot[1]) + "px"

    def on_show(event):
        show(event.currentTarget)

    def on_leave(event):
        # The tooltip stays while the pointer is anywhere on the figure, so it can be read and
        # hovered (WCAG 1.4.13); leaving the figure brings back the focused mark's tooltip, if any.
        focused = document.activeElement
        if focused is not None and focused.closest("svg") is svg and focused.getAttribute("tabindex") == "0":
            show(focused)
        else:
            hide()

    def on_key(event):
        if event.key == "Escape":
            hide()

    for mark in list(svg.querySelectorAll(".bar, .point")):
        mark.setAttribute("tabindex", "0")
        mark.setAttribute("role", "img")
        mark.addEventListener("focus", on_show)
        mark.addEventListener("mouseenter", on_show)
        mark.addEventListener("blur", hide)
    figure.addEventListener("mouseleave", on_leave)
    document.addEventListener("keydown", on_key)

    groups = list(svg.querySelectorAll("g.series"))
    buttons = []
    bar = figure.querySelector(".chart-legend")
    bar.textContent = ""        # the legend of the page without JavaScript: the toggles take its place
    bar.setAttribute("role", "group")
    bar.setAttribute("aria-label", "Show series")

    def on_toggle(event):
        button = event.currentTarget
        showing: bool = button.getAttribute("aria-pressed") == "true"
        button.setAttribute("aria-pressed", "false" if showing else "true")
        chosen = groups[buttons.indexOf(button)]
        if showing:
            chosen.classList.add("off")
        else:
            chosen.classList.remove("off")
        hide()

    for number, chosen in enumerate(groups):
        button = document.createElement("button")
        button.setAttribute("type", "button")
        button.className = "series-toggle"
        button.setAttribute("aria-pressed", "true")
        swatch = document.createElement("span")
        swatch.className = "swatch " + palette(number)
        button.appendChild(swatch)
        button.appendChild(document.createTextNode(chosen.getAttribute("data-label")))
        button.addEventListener("click", on_toggle)
        bar.appendChild(button)
        buttons.append(button)
    root.classList.add("chart-ready")
