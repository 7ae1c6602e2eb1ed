"""Exporters: JSON (validated against the published schema), plain text, hOCR (XHTML)."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import jsonschema
import pytest

from docvision.document import Document
from docvision.export import EXPORTERS, FORMATS, SCHEMA_PATH, SCHEMA_VERSION, SUFFIXES, export, format_for, to_dict

XHTML = "{http://www.w3.org/1999/xhtml}"


def test_json_validates_and_has_the_design_shape(document, validate):
    data = json.loads(export(document, "json"))
    validate(data)
    assert data["schema"] == SCHEMA_VERSION == "docvision/2"
    assert data["source"] == document.source
    assert data["models"] == {"detector": "dbnet-x", "recognizer": "crnn-y"}
    page = data["pages"][0]
    assert (page["index"], page["width"], page["height"], page["dpi"]) == (0, 1700, 2200, 200.0)
    first = page["blocks"][0]["lines"][0]["words"][0]
    assert first == {
        "text": "Total",
        "bbox": [100.0, 100.0, 180.0, 130.0],
        "polygon": [[100.0, 100.0], [180.0, 100.0], [180.0, 130.0], [100.0, 130.0]],
        "confidence": 0.8765,
        "source": "ocr",
    }
    assert page["text_layer"] is None
    assert page["blocks"][0]["bbox"] == [100.0, 100.0, 230.0, 170.0]
    assert page["blocks"][0]["lines"][1]["words"][0]["text"] == "€12,50"
    assert data["pages"][1]["dpi"] is None and data["pages"][1]["index"] == 2
    assert (page["orientation"], page["orientation_confidence"], page["upright"]) == (0, None, False)
    second = data["pages"][1]
    assert (second["orientation"], second["orientation_confidence"], second["upright"]) == (90, 0.9123, False)
    assert data["pages"][2]["blocks"] == []
    assert to_dict(document) == data


def test_json_is_utf8_not_escaped(document):
    assert "€12,50" in export(document, "json")


def test_empty_document_validates(validate):
    data = json.loads(export(Document("<bytes>", {"detector": "untrained", "recognizer": "untrained"}), "json"))
    validate(data)
    assert data["pages"] == []


def test_schema_rejects_what_it_should(document, validate):
    data = to_dict(document)
    for mutate in (
        lambda d: d.pop("models"),
        lambda d: d.__setitem__("schema", "docvision/1"),
        lambda d: d["pages"][0].__setitem__("orientation", 45),
        lambda d: d["pages"][0].pop("upright"),
        lambda d: d["pages"][0]["blocks"][0]["lines"][0]["words"][0].__setitem__("confidence", 1.5),
        lambda d: d["pages"][0]["blocks"][0]["lines"][0]["words"][0].__setitem__("bbox", [1, 2, 3]),
        lambda d: d["pages"][0]["blocks"][0]["lines"][0].__setitem__("words", []),
        lambda d: d["pages"][0].__setitem__("extra", 1),
        lambda d: d["models"].pop("recognizer"),
    ):
        broken = json.loads(json.dumps(data))
        mutate(broken)
        with pytest.raises(jsonschema.ValidationError):
            validate(broken)


def test_schema_file_is_packaged_json():
    assert SCHEMA_PATH.name == "docvision-2.schema.json"
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert schema["properties"]["schema"]["const"] == SCHEMA_VERSION


def test_version_1_schema_is_kept_for_older_results(document):
    """Version 2 only adds fields (pages' orientation and text layer, words' source): a result
    without them follows version 1."""
    old = json.loads(SCHEMA_PATH.with_name("docvision-1.schema.json").read_text(encoding="utf-8"))
    data = to_dict(document)
    data["schema"] = "docvision/1"
    for page in data["pages"]:
        for key in ("orientation", "orientation_confidence", "upright", "text_layer"):
            page.pop(key)
        for word in (w for block in page["blocks"] for line in block["lines"] for w in line["words"]):
            word.pop("source")
    jsonschema.validate(data, old)


def test_text_in_reading_order(document):
    assert export(document, "text") == "Total <&>\n€12,50\n\nSecond\flast\f\n"


def test_unknown_format():
    with pytest.raises(ValueError, match="unknown format 'pdf'.*to_pdf"):
        export(Document("x", {}), "pdf")
    with pytest.raises(ValueError, match="unknown format 'md'"):
        export(Document("x", {}), "md")
    assert set(EXPORTERS) == {"json", "text", "hocr", "alto", "tsv"}
    assert set(FORMATS) == set(SUFFIXES) == set(EXPORTERS) | {"pdf"}


@pytest.mark.parametrize(
    ("name", "fmt"),
    [("a.json", "json"), ("a.TXT", "text"), ("a.hocr", "hocr"), ("a.html", "hocr"), ("a.alto.xml", "alto"),
     ("a.xml", "alto"), ("a.tsv", "tsv"), ("scan.searchable.pdf", "pdf"), ("no-suffix", "json")],
)
def test_format_from_the_file_name(name, fmt):
    assert format_for(name) == fmt
    assert format_for(f"x{SUFFIXES[fmt]}") == fmt


@pytest.mark.parametrize("name", ["out.md", "out.docx", "a.json.bak"])
def test_unknown_suffix_is_an_error(name):
    with pytest.raises(ValueError, match=f"{name}: unknown output suffix"):
        format_for(name)


def parse_title(title: str) -> dict[str, str]:
    return {part.strip().split(" ", 1)[0]: part.strip().split(" ", 1)[1] for part in title.split(";")}


def test_hocr_is_xhtml_with_the_hocr_classes(document):
    html = export(document, "hocr")
    root = ET.fromstring(html.encode("utf-8"))  # well-formed XML
    assert root.tag == f"{XHTML}html"
    meta = {m.get("name"): m.get("content") for m in root.iter(f"{XHTML}meta") if m.get("name")}
    assert meta["ocr-capabilities"].split() == ["ocr_page", "ocr_carea", "ocr_line", "ocrx_word"]
    assert meta["ocr-system"].startswith("docvision")

    pages = [e for e in root.iter() if e.get("class") == "ocr_page"]
    assert len(pages) == 3
    title = parse_title(pages[0].get("title"))
    assert title["bbox"] == "0 0 1700 2200" and title["ppageno"] == "0" and title["scan_res"] == "200 200"
    assert "scan_res" not in parse_title(pages[1].get("title"))
    assert "textangle" not in parse_title(pages[0].get("title"))

    areas = [e for e in pages[0] if e.get("class") == "ocr_carea"]
    assert [a.get("title") for a in areas] == ["bbox 100 100 230 170", "bbox 100 400 200 430"]
    lines = [e for e in areas[0] if e.get("class") == "ocr_line"]
    assert [ln.get("title") for ln in lines] == ["bbox 100 100 230 131", "bbox 100 140 190 170"]
    words = [e for e in root.iter() if e.get("class") == "ocrx_word"]
    assert [w.text for w in words] == ["Total", "<&>", "€12,50", "Second", "last"]  # escaped, then parsed back
    assert [parse_title(w.get("title"))["x_wconf"] for w in words] == ["88", "50", "88", "100", "0"]
    assert parse_title(words[0].get("title"))["bbox"] == "100 100 180 130"
    ids = [e.get("id") for e in root.iter() if e.get("id")]
    assert len(ids) == len(set(ids))
    assert "&lt;&amp;&gt;" in html


def test_hocr_image_name_is_escaped_once(document):
    root = ET.fromstring(export(document, "hocr").encode("utf-8"))
    page = next(e for e in root.iter() if e.get("class") == "ocr_page")
    assert root.find(f"{XHTML}head/{XHTML}title").text == document.source
    image = parse_title(page.get("title"))["image"]
    assert image.strip('"') == document.source  # hOCR: image "path"; no '&amp;' left after parsing


def test_hocr_textangle_on_a_turned_page_in_input_coordinates(document):
    """hOCR's textangle: the text's counter-clockwise angle, on the page and its lines; none once
    the boxes are of the upright page."""
    root = ET.fromstring(export(document, "hocr").encode("utf-8"))
    turned = [e for e in root.iter() if e.get("class") == "ocr_page"][1]
    assert parse_title(turned.get("title"))["textangle"] == "90"
    assert [parse_title(e.get("title"))["textangle"] for e in turned.iter() if e.get("class") == "ocr_line"] == ["90"]
    document.pages[1].upright = True
    assert "textangle" not in export(document, "hocr")


def test_hocr_empty_document():
    root = ET.fromstring(export(Document("x", {}), "hocr").encode("utf-8"))
    assert not [e for e in root.iter() if e.get("class") == "ocr_page"]


@pytest.mark.parametrize("fmt", ["json", "text", "hocr", "alto", "tsv"])
def test_exports_end_with_newline(document, fmt):
    assert export(document, fmt).endswith("\n")
    assert not re.search(r"\r", export(document, fmt))
