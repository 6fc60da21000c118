"""Rendered document → PDF structure WeasyPrint leaves out: /PageLabels, so viewers show the printed numbers."""

from __future__ import annotations

import pydyf

BODY_ANCHOR = "body-start"  # id of the element whose page is printed as the first numbered page


def page_labels(restart: bool):
    """A write_pdf finisher: front matter labelled i, ii, iii…, the body in printed numbers.

    `restart`: the body's numbers start at 1 (the bundles); otherwise they run on from the
    cover, as the forms pack prints them.
    """

    def finish(document, pdf) -> None:
        start = next((index for index, page in enumerate(document.pages) if BODY_ANCHOR in page.anchors), None)
        if start is None:
            return
        ranges = pydyf.Array()
        if start:
            ranges.extend([0, pydyf.Dictionary({"S": "/r"})])
        ranges.extend([start, pydyf.Dictionary({"S": "/D", "St": 1 if restart else start + 1})])
        pdf.catalog["PageLabels"] = pydyf.Dictionary({"Nums": ranges})

    return finish
