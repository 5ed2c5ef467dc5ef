"""Graphviz's SVG made safe to embed inline in an HTML report."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree

from tsinspect.errors import InputError

_SVG_NS = "http://www.w3.org/2000/svg"

_XLINK_NS = "http://www.w3.org/1999/xlink"

_SVG_UNSAFE_TAGS = frozenset(
    {"script", "foreignObject", "iframe", "object", "embed", "image", "use", "style"}
)


def sanitize_svg(svg_text: str) -> str:
    """The ``<svg>`` element of Graphviz's output, safe to embed inline in HTML.

    Drops the XML declaration, DOCTYPE and comments; removes elements that
    can run code or load other documents (script, foreignObject, image, use,
    style...), every ``on*`` event attribute, and links that leave the
    document. InputError when the text is not an SVG document.
    """
    ElementTree.register_namespace("", _SVG_NS)
    ElementTree.register_namespace("xlink", _XLINK_NS)
    try:
        root = ElementTree.fromstring(svg_text)
    except ElementTree.ParseError as error:
        raise InputError(f"Graphviz returned an unreadable SVG ({error})") from None
    if root.tag != f"{{{_SVG_NS}}}svg":
        raise InputError(f"Graphviz returned {root.tag!r}, not an <svg> element")

    def local(name: str) -> str:
        return name.rpartition("}")[2]

    def clean(element: ElementTree.Element) -> None:
        for child in list(element):
            if local(child.tag) in _SVG_UNSAFE_TAGS:
                element.remove(child)
            else:
                clean(child)
        for attribute in list(element.attrib):
            value = element.attrib[attribute]
            name = local(attribute).lower()
            if (
                name.startswith("on")
                or (name == "href" and not value.startswith("#"))
                or "url(" in value
            ):
                del element.attrib[attribute]

    clean(root)
    return ElementTree.tostring(root, encoding="unicode")
