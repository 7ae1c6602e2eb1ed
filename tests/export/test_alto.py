"""ALTO 4.4 export: valid against the schema, with the structure and numbers of the Document."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from docvision import __version__
from docvision.document import Block, Document, Line, Page, Word
from docvision.export import export

SCHEMAS = Path(__file__).resolve().parents[2].parent / "shared" / "schemas"
"""../shared/schemas beside the clone (the project's shared folder), with the ALTO XSD."""
NS = {"a": "http://www.loc.gov/standards/alto/ns-v4#"}


@pytest.fixture(scope="module")
def alto_schema() -> etree.XMLSchema:
    if not (SCHEMAS / "alto-4-4.xsd").is_file():
        pytest.skip(f"no ALTO schema at {SCHEMAS}")
    return etree.XMLSchema(etree.parse(str(SCHEMAS / "alto-4-4.xsd")))


def parse(document: Document) -> etree._Element:
    return etree.fromstring(export(document, "alto").encode("utf-8"))


def odd_document() -> Document:
    """A skewed word (with a Shape) and characters XML cannot hold."""
    skewed = Word("tilt", (10, 10, 60, 30), [(10, 14), (58, 10), (60, 26), (12, 30)], 0.9)
    upright = Word("a\x01b", (70, 10, 90, 30), [(70, 10), (90, 10), (90, 30), (70, 30)], 0.5)
    return Document("name\x07.png", {"detector": "d", "recognizer": "r"}, [Page(0, 100, 40, None, [Block([Line([skewed, upright])])])])


def test_alto_validates_against_the_schema(document, alto_schema):
    for doc in (document, odd_document()):
        root = parse(doc)
        assert alto_schema.validate(root), alto_schema.error_log
    broken = parse(document)  # the schema does catch mistakes: a String without CONTENT
    del broken.find(".//a:String", NS).attrib["CONTENT"]
    assert not alto_schema.validate(broken)


def test_alto_structure_and_numbers(document):
    root = parse(document)
    assert root.findtext("a:Description/a:MeasurementUnit", namespaces=NS) == "pixel"
    assert root.findtext(".//a:sourceImageInformation/a:fileName", namespaces=NS) == document.source
    assert root.findtext(".//a:processingSoftware/a:softwareName", namespaces=NS) == "docvision"
    assert root.findtext(".//a:processingSoftware/a:softwareVersion", namespaces=NS) == __version__
    settings = root.findtext(".//a:Processing/a:processingStepSettings", namespaces=NS)
    assert "detector=dbnet-x" in settings and "recognizer=crnn-y" in settings

    pages = root.findall(".//a:Page", NS)
    assert [(p.get("PHYSICAL_IMG_NR"), p.get("WIDTH"), p.get("HEIGHT")) for p in pages] == [
        ("1", "1700", "2200"), ("3", "800", "600"), ("4", "10", "10")
    ]
    assert [p.get("ROTATION") for p in pages] == [None, "90", None]  # page 3 was read turned a quarter
    space = pages[0].find("a:PrintSpace", NS)
    assert [space.get(k) for k in ("HPOS", "VPOS", "WIDTH", "HEIGHT")] == ["0", "0", "1700", "2200"]
    blocks = space.findall("a:TextBlock", NS)
    assert [len(b.findall("a:TextLine", NS)) for b in blocks] == [2, 1]
    first_line = blocks[0].find("a:TextLine", NS)
    assert [e.tag.split("}")[1] for e in first_line] == ["String", "SP", "String"]
    total, sp, amp = first_line
    assert (total.get("CONTENT"), total.get("WC")) == ("Total", "0.8765")
    assert [total.get(k) for k in ("HPOS", "VPOS", "WIDTH", "HEIGHT")] == ["100", "100", "80", "30"]
    assert [sp.get(k) for k in ("HPOS", "WIDTH")] == ["180", "10"]  # from the end of "Total" to "<&>"
    assert amp.get("CONTENT") == "<&>"
    assert [s.get("CONTENT") for s in root.iter("{%s}String" % NS["a"])] == ["Total", "<&>", "€12,50", "Second", "last"]
    ids = [e.get("ID") for e in root.iter() if e.get("ID")]
    assert len(ids) == len(set(ids))
    assert pages[2].find("a:PrintSpace", NS).findall("a:TextBlock", NS) == []


def test_skewed_word_has_its_polygon_and_odd_characters_stay_xml():
    root = parse(odd_document())
    strings = root.findall(".//a:String", NS)
    assert strings[0].find("a:Shape/a:Polygon", NS).get("POINTS") == "10,14 58,10 60,26 12,30"
    assert strings[1].find("a:Shape", NS) is None
    assert strings[1].get("CONTENT") == "a\ufffdb"
    assert root.findtext(".//a:fileName", namespaces=NS) == "name\ufffd.png"


def test_alto_refuses_a_document_without_pages():
    with pytest.raises(ValueError, match="at least one page"):
        export(Document("empty.pdf", {}), "alto")


def test_alto_is_deterministic(document):
    assert export(document, "alto") == export(document, "alto")


def test_page_read_turned_has_its_rotation_and_spaces_along_its_text(alto_schema):
    """Text turned 90 degrees: two words one above the other on the page as input (read bottom to
    top); ROTATION on the page and its block, the SP between them along the text. Boxes of the page
    turned upright have no ROTATION."""
    first = Word("up", (10, 70, 30, 110), [(10, 110), (10, 70), (30, 70), (30, 110)], 0.9)  # starts bottom-left
    second = Word("wards", (10, 20, 30, 60), [(10, 60), (10, 20), (30, 20), (30, 60)], 0.9)
    page = Page(0, 40, 120, None, [Block([Line([first, second])])], orientation=90)
    root = parse(Document("turned.png", {}, [page]))
    assert alto_schema.validate(root), alto_schema.error_log
    assert [root.find(f".//a:{tag}", NS).get("ROTATION") for tag in ("Page", "TextBlock")] == ["90", "90"]
    sp = root.find(".//a:SP", NS)
    assert [sp.get(k) for k in ("HPOS", "VPOS", "WIDTH")] == ["10", "60", "10"]  # 'up' ends at y 70, 'wards' at 60
    page.upright = True
    assert "ROTATION" not in export(Document("turned.png", {}, [page]), "alto")
