"""Serialize an HTML form as a browser would submit it (stdlib only): inputs, checked boxes, selects, textareas."""

from __future__ import annotations

from html.parser import HTMLParser


class _FormParser(HTMLParser):
    def __init__(self, form_id: str | None, action_contains: str | None) -> None:
        super().__init__(convert_charrefs=True)
        self.form_id, self.action_contains = form_id, action_contains
        self.inside = False
        self.done = False
        self.action = ""
        self.fields: list[tuple[str, str]] = []
        self._select: str | None = None
        self._select_first: str | None = None
        self._select_chosen = False
        self._option: str | None = None
        self._textarea: str | None = None
        self._text: list[str] = []

    def _wanted(self, attrs: dict[str, str | None]) -> bool:
        if (attrs.get("method") or "get").lower() != "post":
            return False
        if self.form_id is not None:
            return attrs.get("id") == self.form_id
        return self.action_contains is None or self.action_contains in (attrs.get("action") or "")

    def handle_starttag(self, tag: str, attrs_list: list[tuple[str, str | None]]) -> None:
        attrs = dict(attrs_list)
        if tag == "form" and not self.done and not self.inside and self._wanted(attrs):
            self.inside, self.action = True, attrs.get("action") or ""
            return
        if not self.inside:
            return
        name = attrs.get("name")
        if tag == "input" and name and "disabled" not in attrs:
            kind = (attrs.get("type") or "text").lower()
            if kind in {"checkbox", "radio"}:
                if "checked" in attrs:
                    self.fields.append((name, attrs.get("value") or "on"))
            elif kind not in {"submit", "button", "file", "image", "reset"}:
                self.fields.append((name, attrs.get("value") or ""))
        elif tag == "select" and name:
            self._select, self._select_first, self._select_chosen = name, None, False
        elif tag == "option" and self._select is not None:
            value = attrs.get("value") or ""
            if self._select_first is None:
                self._select_first = value
            if "selected" in attrs and not self._select_chosen:
                self.fields.append((self._select, value))
                self._select_chosen = True
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if not self.inside:
            return
        if tag == "select" and self._select is not None:
            if not self._select_chosen and self._select_first is not None:
                self.fields.append((self._select, self._select_first))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self.fields.append((self._textarea, "".join(self._text).lstrip("\n")))
            self._textarea = None
        elif tag == "form":
            self.inside, self.done = False, True


def form_fields(html: str, *, form_id: str | None = None, action_contains: str | None = None) -> tuple[str, list]:
    """(action, [(name, value), ...]) of the first POST form matching `form_id` or `action_contains`."""
    parser = _FormParser(form_id, action_contains)
    parser.feed(html)
    if not parser.done and not parser.inside:
        raise LookupError(f"no POST form {form_id or action_contains!r} on the page")
    return parser.action, parser.fields
