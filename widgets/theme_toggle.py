"""Light / Dark / System: a theme choice that persists, and never paints the wrong theme first.

    ```widget theme_toggle
    trigger: idle
    ```

(idle, not load: the stored theme is applied before the first paint anyway, and starting the
toggle's script after the page has painted keeps it out of the Largest Contentful Paint.)

Without JavaScript nothing could remember a choice, so render() outputs the group
``hidden`` and the page follows the reader's system setting (prefers-color-scheme in
theme/static/css/10-colors.css). mount() shows it: three native radio buttons in a
fieldset (arrow keys, a legend, checked state: no custom ARIA needed), stores the
choice in localStorage under "islet-theme" (guarded: private modes throw), sets
``<html data-theme>`` and ``<meta name="color-scheme">`` if the page has one, and keeps
every toggle on the page, and in other tabs, in step.

The stored theme is applied before the first paint by islet/theme_script.py's
PREPAINT, inlined in <head> of every page with this widget. That snippet also sets
data-theme="system" when nothing is stored, so the theme CSS can reserve the toggle's
space from the first paint (no layout shift when it appears).
"""
from widgets.html import attrs, escape, slug, tag

PROPS = {
    "label": ["str", "Theme"],      # the legend: names the group
    "light": ["str", "Light"],
    "dark": ["str", "Dark"],
    "system": ["str", "System"],
    "id": ["str", "theme"],         # the radios' group name (mount() makes it unique on the page)
}
KEY = "islet-theme"                 # also in islet/theme_script.py: keep them equal
CHOICES = ["light", "dark", "system"]


def normalize(value: "str | None") -> str:
    """A stored value as a choice: anything but 'light' or 'dark' (None, junk) means 'system'."""
    if value == "light" or value == "dark":
        return value
    return "system"


def color_scheme(choice: str) -> str:
    """The content of <meta name="color-scheme"> for a choice."""
    if choice == "system":
        return "light dark"
    return choice


def group_name(props: "Props") -> str:
    ident = slug(props["id"])
    return (ident if len(ident) > 0 else "theme") + "-choice"


def render(props: "Props") -> str:
    name = group_name(props)
    options = ""
    for choice in CHOICES:
        checked = "" if choice == "system" else None
        radio = "<input" + attrs([["type", "radio"], ["name", name], ["value", choice], ["checked", checked]]) + ">"
        options = options + tag("label", [], radio + tag("span", [], escape(props[choice])))
    legend = tag("legend", [], escape(props["label"]))
    return '<fieldset class="theme-toggle" hidden>' + legend + options + "</fieldset>"


def stored() -> str:
    try:
        return normalize(localStorage.getItem(KEY))
    except:
        return "system"


def store(choice: str) -> None:
    try:
        if choice == "system":
            localStorage.removeItem(KEY)
        else:
            localStorage.setItem(KEY, choice)
    except:
        pass


def apply(choice: str) -> None:
    document.documentElement.setAttribute("data-theme", choice)
    meta = document.querySelector('meta[name="color-scheme"]')
    if meta:
        meta.setAttribute("content", color_scheme(choice))
    for radio in list(document.querySelectorAll(".theme-toggle input")):
        radio.checked = radio.value == choice


def mount(root, props):
    def on_change(event):
        choice = normalize(event.target.value)
        store(choice)
        apply(choice)

    def on_storage(event):
        if event.key == KEY:
            apply(normalize(event.newValue))

    box = root.querySelector(".theme-toggle")
    # Two toggles with the same id (the header's and one in an article) would make one radio
    # group of six, where checking one unchecks the other's: give each its own group.
    number: int = list(document.querySelectorAll(".theme-toggle")).indexOf(box)
    for radio in list(box.querySelectorAll("input")):
        radio.setAttribute("name", radio.getAttribute("name") + "-" + str(number))
    apply(stored())
    box.addEventListener("change", on_change)
    window.addEventListener("storage", on_storage)
    box.hidden = False
