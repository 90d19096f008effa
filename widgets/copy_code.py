"""Copy buttons on code blocks. Place it once per page, usually with the idle trigger:

    ```widget copy_code
    trigger: idle
    ```

Without JavaScript code blocks are plain, selectable text, and that is the whole
experience: render() adds only an empty, visually hidden live region, so no dead
button is ever shown. (A live region must exist before its text changes, or screen
readers may not announce the change; that is why it is rendered, not created.)

mount() gives every ``pre`` with a ``code`` inside the `scope` element(s) a real
``<button type="button">`` named after the block's first line ("Copy code: pip install
pelican-islet"). It copies with the Clipboard API; when that is missing (plain http on
another host) or refused, it selects the code and tries the older copy command, and
otherwise asks the reader to copy the selection. The result is announced in the live
region and shown on the button for two seconds.

Not the interaction trigger: that listens on the island itself, and this island is an
invisible live region nobody will ever touch.
"""
from widgets.html import tag

PROPS = {
    "scope": ["str", "main"],           # CSS selector of the element(s) whose code blocks get buttons
    "label": ["str", "Copy"],           # the button's visible text
    "name": ["str", "Copy code"],       # start of its accessible name; keep the label in it (WCAG 2.5.3)
    "done": ["str", "Copied"],          # shown and announced after a copy
    "failed": ["str", "Code selected: press Ctrl+C to copy"],   # when the browser would not copy
}
LONGEST = 40        # characters of the first line kept in a button's accessible name
SHOWN_MS = 2000     # how long "Copied" stays on the button


def render(props: "Props") -> str:
    return tag("div", [["class", "copy-code-status visually-hidden"], ["role", "status"]], "")


def first_line(text: str) -> str:
    """The first line with visible characters, spaces collapsed, at most LONGEST characters (then '…').

    Counted by iterating, which walks code points in both languages (len() counts UTF-16 units in JS)."""
    for line in text.split("\n"):
        out = ""
        count = 0
        space = False
        for char in line:
            if char == " " or char == "\t" or char == "\r" or char == "\u00a0":
                space = len(out) > 0
                continue
            if space:
                if count + 1 >= LONGEST:
                    return out + "\u2026"
                out = out + " "
                count = count + 1
                space = False
            if count == LONGEST:
                return out + "\u2026"
            out = out + char
            count = count + 1
        if len(out) > 0:
            return out
    return ""


def button_name(prefix: str, text: str, number: int) -> str:
    """'Copy code: pip install pelican-islet', or 'Copy code block 2' for a block with no visible text."""
    line = first_line(text)
    if len(line) > 0:
        return prefix + ": " + line
    return prefix + " block " + str(number)


def clean_code(text: str) -> str:
    """The text to copy: without trailing newlines, so a pasted command does not run on its own."""
    end = len(text)
    while end > 0 and (text[end - 1] == "\n" or text[end - 1] == "\r"):
        end = end - 1
    return text[:end]


def mount(root, props: "Props") -> None:
    status = root.querySelector(".copy-code-status")
    blocks: "list[Any]" = []
    try:
        for box in list(document.querySelectorAll(props["scope"])):
            for pre in list(box.querySelectorAll("pre")):
                if pre.querySelector("code") and not pre.hasAttribute("data-copy"):
                    known: int = blocks.indexOf(pre)   # -1 unless a scope inside another found it already
                    if known < 0:
                        blocks.append(pre)
    except:
        console.error("islet copy_code: scope " + props["scope"] + " is not a valid CSS selector")
        return
    for index, block in enumerate(blocks):
        add_button(block, index + 1, props, status)


def add_button(pre: "Any", number: int, props: "Props", status: "Any") -> None:
    code = pre.querySelector("code")
    pre.setAttribute("data-copy", "")
    # The button sits in a box around the block, not inside the scrolling <pre>, so it stays put.
    box = document.createElement("div")
    box.className = "copy-code"
    pre.parentNode.insertBefore(box, pre)
    box.appendChild(pre)
    button = document.createElement("button")
    button.setAttribute("type", "button")
    button.className = "copy-button"
    button.textContent = props["label"]
    button.setAttribute("aria-label", button_name(props["name"], code.textContent, number))
    box.appendChild(button)
    timer = {"id": 0}

    def say(text: str) -> None:
        status.textContent = text
        button.textContent = text if text == props["done"] else props["label"]
        clearTimeout(timer["id"])

        def reset() -> None:
            status.textContent = ""
            button.textContent = props["label"]

        timer["id"] = setTimeout(reset, SHOWN_MS)

    def copied() -> None:
        say(props["done"])

    def fallback() -> None:
        copied_old_way: bool = False
        try:
            document.getSelection().selectAllChildren(code)
            copied_old_way = document.execCommand("copy")
        except:
            pass
        say(props["done"] if copied_old_way else props["failed"])

    def on_click(event) -> None:
        text = clean_code(code.textContent)
        try:
            navigator.clipboard.writeText(text).then(copied, fallback)
        except:
            fallback()

    button.addEventListener("click", on_click)
