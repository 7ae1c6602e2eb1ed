"""The "done means" check of docs/batches.md: a folder of 200 small inputs (one-line PNGs and 1-page
PDFs, 10 broken in the ways the README lists, one page that takes minutes to render), OCRed by
`docvision ocr FOLDER -o OUT --page-timeout S` uninterrupted, then again killed with SIGKILL at three
random moments and restarted each time; the outputs of the two are compared byte for byte and the
manifest says which input was read twice. Optionally the Ray example on the same folder.

    python docs/batch_check.py /tmp/batch200 --seed 1 [--ray]
"""

from __future__ import annotations

import argparse
import filecmp
import io
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import img2pdf
import pikepdf
from PIL import Image, ImageDraw, ImageFont
from pypdf import PdfReader, PdfWriter

ROOT = Path(__file__).resolve().parent.parent
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
WORDS = "invoice total order shipped paid due north wind rotterdam march account number balance credit".split()


def line_image(rng: random.Random) -> Image.Image:
    """One line of text at about 11 pt for 200 dpi."""
    text = " ".join(rng.choice(WORDS).capitalize() if i == 0 else rng.choice(WORDS) for i in range(rng.randint(2, 5)))
    text += f" {rng.randint(1, 9999)}"
    font = ImageFont.truetype(FONT, 30)
    width = int(font.getlength(text)) + 60
    image = Image.new("L", (width, 70), 255)
    ImageDraw.Draw(image).text((30, 15), text, font=font, fill=0)
    return image


def slow_pdf(segments: int) -> bytes:
    """One page holding one stroked path of ``segments`` dashed, wide, round-capped segments: a
    single page object, so PDFium's progressive rendering cannot pause inside it (measured 2.6 ms
    a segment at 200 dpi: minutes for this page)."""
    rng = random.Random(0)
    path = b" ".join(b"%d %d l" % (rng.randrange(612), rng.randrange(792)) for _ in range(segments))
    pdf = pikepdf.new()
    page = pdf.add_blank_page(page_size=(612, 792))
    page.Contents = pdf.make_stream(b"0 0 0 RG 20 w 1 J 1 j [0.2 0.2] 0 d 300 400 m " + path + b" S")
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def make_folder(folder: Path, seed: int) -> dict[str, str]:
    """189 good inputs, 10 broken ones and the slow page; returns broken name -> expected reason."""
    rng = random.Random(seed)
    for i in range(189):
        sub = folder / f"box{i % 4}"
        sub.mkdir(parents=True, exist_ok=True)
        image = line_image(rng)
        if i % 2:
            image.save(sub / f"line{i:03d}.png", dpi=(200, 200))
        else:
            buffer = io.BytesIO()
            image.save(buffer, "PNG", dpi=(200, 200))
            (sub / f"line{i:03d}.pdf").write_bytes(img2pdf.convert(buffer.getvalue()))
    bad = folder / "bad"
    bad.mkdir()
    good = (folder / "box0" / "line000.pdf").read_bytes()
    (bad / "notes.pdf").write_text("not a pdf at all\n")
    (bad / "empty.pdf").write_bytes(b"")
    (bad / "cut.pdf").write_bytes(good[: len(good) // 2])
    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(good)))
    writer.encrypt(user_password="pw", owner_password="owner", algorithm="AES-128")
    writer.write(str(bad / "locked.pdf"))
    PdfWriter().write(str(bad / "nopages.pdf"))
    writer = PdfWriter()
    writer.add_blank_page(width=300 * 72, height=300 * 72)
    writer.write(str(bad / "poster.pdf"))
    png = (folder / "box1" / "line001.png").read_bytes()
    (bad / "cut.png").write_bytes(png[:200])
    (bad / "gone.pdf").symlink_to(bad / "nowhere.pdf")
    Image.new("1", (10_000, 9_000)).save(bad / "huge.png", optimize=True)  # 90 Mpx: over the 60 Mpx limit
    (bad / "noise.jpg").write_bytes(b"\xff\xd8\xff\xe0" + rng.randbytes(300))
    (folder / "slow.pdf").write_bytes(slow_pdf(100_000))
    return {"notes.pdf": "not a PDF or a supported image", "empty.pdf": "empty file",
            "cut.pdf": "corrupt or truncated PDF", "locked.pdf": "encrypted PDF: a password is needed",
            "nopages.pdf": "document has no pages", "poster.pdf": "page 1: page size 300 x 300 in is absurd",
            "cut.png": "unreadable image", "gone.pdf": "no such file", "huge.png": "over the limit",
            "noise.jpg": "unreadable image", "slow.pdf": "page 1: timed out after"}


def command(folder: Path, out: Path, timeout: float) -> list[str]:
    return [sys.executable, "-m", "docvision", "ocr", str(folder), "-o", str(out), "--threads", "1",
            "--page-timeout", str(timeout)]


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid``."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    return found


def run(cmd: list[str], kill: Callable[[], bool] | None = None) -> tuple[int, float, str, int]:
    """The command's exit status, seconds, stderr and how many of its children outlived it by 3 s;
    SIGKILL to it alone (not its workers) as soon as ``kill()`` says so (asked every 0.1 s)."""
    start = time.monotonic()
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(ROOT))
    left = 0
    with subprocess.Popen(cmd, cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True) as process:
        while kill is not None and process.poll() is None and not kill():
            time.sleep(0.1)
        if process.poll() is None and kill is not None:
            workers = children(process.pid)
            process.send_signal(signal.SIGKILL)
            process.wait()
            time.sleep(3)
            left = sum(Path(f"/proc/{pid}").exists() for pid in workers)
        _, err = process.communicate()
    return process.returncode, time.monotonic() - start, err, left


def records(out: Path) -> list[dict]:
    """The manifest's lines about inputs (whole lines: a kill may cut the last)."""
    lines = (out / "docvision-manifest.jsonl").read_text().splitlines()
    return [r for r in (json.loads(line) for line in lines if line.endswith("}")) if "input" in r]


def outputs(out: Path) -> list[str]:
    return sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())


def reads(lines: list[dict], marks: list[int]) -> str:
    """Each time a run began to read an input, by what the manifest said of it when that run started:
    nothing yet (first read), done (read twice: must not happen), failed (retried, as asked), or in
    flight when the run before was killed."""
    kinds: Counter = Counter()
    twice = []
    state: dict[str, str] = {}
    for a, b in zip([0, *marks], [*marks, len(lines)]):
        before = dict(state)
        for r in lines[a:b]:
            if r["event"] == "start":
                kind = {None: "first", "done": "done", "failed": "failed", "start": "in flight"}[before.get(r["input"])]
                kinds[kind] += 1
                if kind == "in flight":
                    twice.append(Path(r["input"]).name)
            state[r["input"]] = r["event"]
    return (f"reads: {kinds['first']} first, {kinds['in flight']} of inputs in flight at a kill {sorted(twice)}, "
            f"{kinds['failed']} retries of failed inputs, {kinds['done']} of inputs done before")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("work", type=Path)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--page-timeout", type=float, default=30)
    parser.add_argument("--ray", action="store_true", help="also the Ray example with 2 actors, and 1 vs 2 actors")
    args = parser.parse_args()
    folder, whole, killed = args.work / "in", args.work / "out-whole", args.work / "out-killed"
    if not folder.exists():
        expected = make_folder(folder, args.seed)
    else:
        expected = None
    print(f"inputs: {sum(1 for p in folder.rglob('*') if p.is_file() or p.is_symlink())}")

    code, seconds, err, _ = run(command(folder, whole, args.page_timeout))
    lines = err.splitlines()
    print(f"uninterrupted: exit {code}, {seconds:.0f} s; {lines[-1]}")
    failed = {Path(r["input"]).name: r["reason"] for r in records(whole) if r["event"] == "failed"}
    done = [r for r in records(whole) if r["event"] == "done"]
    print(f"  done {len(done)} inputs, {sum(r['pages_done'] for r in done)} pages; failed {len(failed)}:")
    for name, reason in sorted(failed.items()):
        print(f"    {name}: {reason}")
    if expected:
        wrong = {n: failed.get(n) for n, r in expected.items() if r not in (failed.get(n) or "")}
        print(f"  broken inputs with the expected reason: {len(expected) - len(wrong)} of {len(expected)}", wrong or "")
    slow = [r["time"] for r in records(whole) if r["input"].endswith("slow.pdf")]
    print(f"  slow.pdf: started, failed {slow[-1] - slow[0]:.1f} s later")

    # three random moments of the work: once the killed runs have finished a random number of inputs,
    # and a random 0-1.5 s later (inside a page, an output's writing or the manifest's, as it falls)
    rng = random.Random(args.seed)
    targets = sorted(rng.sample(range(5, len(done) - 5), 3))
    marks = []
    for target in targets:
        delay = rng.uniform(0, 1.5)

        def now(target=target, delay=delay, reached=[]) -> bool:
            if not reached and (killed / "docvision-manifest.jsonl").exists():
                if sum(r["event"] == "done" for r in records(killed)) >= target:
                    reached.append(time.monotonic())
            return bool(reached) and time.monotonic() - reached[0] >= delay

        code, spent, _, left = run(command(folder, killed, args.page_timeout), now)
        marks.append(len(records(killed)))
        print(f"killed {delay:.1f} s after input {target} was done, {spent:.0f} s into the run (exit {code}); "
              f"manifest lines {marks[-1]}; its workers alive 3 s later: {left}")
    code, spent, err, _ = run(command(folder, killed, args.page_timeout))
    print(f"final restart: exit {code}, {spent:.0f} s; {err.splitlines()[-1]}")

    names = outputs(whole)
    temporaries = [n for n in outputs(killed) if n.endswith(".tmp")]
    same = names == [n for n in outputs(killed) if not n.endswith(".tmp")]
    differ = [n for n in names if n.endswith(".json") and not filecmp.cmp(whole / n, killed / n, shallow=False)]
    print(f"same files: {same} ({len(names)}); JSON differing: {len(differ)} {differ[:5]}; "
          f"temporaries left: {temporaries}")

    print(reads(records(killed), marks))

    if args.ray:
        ray_out = args.work / "out-ray"
        for actors in (1, 2):
            cmd = [sys.executable, "examples/ray_ocr_folder.py", str(folder), str(ray_out), "--actors", str(actors),
                   "--threads", "1", "--page-timeout", str(args.page_timeout)]
            code, spent, err, _ = run(cmd)
            print(f"ray, {actors} actor(s): exit {code}, {spent:.0f} s; {err.splitlines()[-1]}")
        json_names = [n for n in names if n.endswith(".json")]
        differ = [n for n in json_names if not filecmp.cmp(whole / n, ray_out / n, shallow=False)]
        print(f"ray vs docvision ocr: {len(json_names)} JSON files, differing: {len(differ)} {differ[:5]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
