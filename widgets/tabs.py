"""Tabs following the WAI-ARIA tabs pattern (automatic activation).

Without JavaScript every panel is shown in order under its own heading, so nothing
is hidden from a reader. mount() turns the headings into a tab list: arrow keys,
Home and End move between tabs, and only the selected panel is shown.

Mounting changes the widget's height (stacked panels become one), which is a layout shift
if it happens while the page loads: use the `interaction` trigger (the demo does), so it
happens only when the reader reaches for the tabs.

    ```widget tabs
    id: install
    tabs:
      - label: pip
        code: pip install pelican-islet
      - label: From source
        text: Clone the repository and run ./dev build.
    ```
"""
from widgets.html import escape, tag

PROPS = {
    "tabs": ["list", None],     # [{"label": str, "text": str} or {"label": str, "code": str}]
    "id": ["str", "tabs"],      # unique on the page: prefixes the ids of tabs and panels
    "label": ["str", "Tabs"],   # accessible name of the tab list
}


def panel_body(item: "dict[str, str]") -> str:
    if "code" in item:
        return "<pre><code>" + escape(item["code"]) + "</code></pre>"
    return "<p>" + escape(item["text"]) + "</p>"


def render(props: "Props") -> str:
    prefix = props["id"]
    out = ""
    for index, item in enumerate(props["tabs"]):
        ident = prefix + "-" + str(index)
        heading = tag("h3", [["class", "tabs-heading"], ["id", ident + "-tab"]], escape(item["label"]))
        out = out + tag("section", [["class", "tabs-panel"], ["id", ident], ["aria-labelledby", ident + "-tab"]],
                        heading + panel_body(item))
    return tag("div", [["class", "tabs"], ["data-label", props["label"]]], out)


def select(tabs: "list[Any]", panels: "list[Any]", chosen: int, focus: bool) -> None:
    for index, tab in enumerate(tabs):
        selected = index == chosen
        tab.setAttribute("aria-selected", "true" if selected else "false")
        tab.tabIndex = 0 if selected else -1
        panels[index].hidden = not selected
    if focus:
        tabs[chosen].focus()


def mount(root, props):
    box = root.querySelector(".tabs")
    panels = list(box.querySelectorAll(".tabs-panel"))
    tablist = document.createElement("div")
    tablist.setAttribute("role", "tablist")
    tablist.setAttribute("aria-label", props["label"])
    tabs = []
    for index, panel in enumerate(panels):
        heading = panel.querySelector(".tabs-heading")
        tab = document.createElement("button")
        tab.setAttribute("type", "button")
        tab.setAttribute("role", "tab")
        tab.id = heading.id
        heading.removeAttribute("id")
        heading.hidden = True
        tab.setAttribute("aria-controls", panel.id)
        tab.textContent = heading.textContent
        panel.setAttribute("role", "tabpanel")
        panel.tabIndex = 0
        tablist.appendChild(tab)
        tabs.append(tab)
    box.insertBefore(tablist, box.firstChild)
    count = len(tabs)

    def on_click(event):
        select(tabs, panels, tabs.indexOf(event.currentTarget), True)

    def on_key(event):
        current: int = tabs.indexOf(event.target)
        moves = {"ArrowRight": current + 1, "ArrowLeft": current - 1 + count, "Home": 0, "End": count - 1}
        if event.key in moves:
            event.preventDefault()
            select(tabs, panels, moves[event.key] % count, True)

    for tab in tabs:
        tab.addEventListener("click", on_click)
    tablist.addEventListener("keydown", on_key)
    root.classList.add("tabs-ready")
    select(tabs, panels, 0, False)
