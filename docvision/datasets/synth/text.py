"""Document-like text: frequent words, names, addresses, dates, amounts, codes, e-mails, URLs."""

from __future__ import annotations

import string

import numpy as np

from docvision.extras import require
from docvision.recognition.vocab import Vocab

wordfreq = require("wordfreq", "train")

FIRST_NAMES = (
    "James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara "
    "Richard Susan Joseph Jessica Thomas Sarah Charles Karen Daniel Nancy Matthew Lisa Anthony "
    "Betty Mark Sandra Paul Ashley Steven Kimberly Andrew Donna Kenneth Emily Joshua Michelle "
    "Kevin Carol Brian Amanda George Melissa Timothy Deborah Ronald Stephanie José María Zoë "
    "François Søren Jürgen Ángel Chloé Noël Björn Inés Raúl Günter Hélène"
).split()
LAST_NAMES = (
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez "
    "Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris "
    "Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill "
    "Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Müller Dubois "
    "Ødegaard Peña O'Brien McDonald Schäfer Lefèvre Håkansson Łukasiewicz O'Neil D'Angelo O'Connor "
    "Dvořák Nováček Kovačević Wałęsa Szőke Erdoğan Ţiriac Æbelø"
).split()
STREET_TYPES = "Street St. Avenue Ave. Road Rd. Boulevard Blvd. Lane Drive Dr. Court Way Place Suite".split()
STATES = "AL AK AZ CA CO CT DE FL GA IL IN KY MA MD MI MN NC NJ NY OH PA TX VA WA WI".split()
MONTHS = "January February March April May June July August September October November December".split()
TLDS = "com org net edu gov io co.uk de fr".split()
LOANWORDS = (
    "naïve naïveté café cafés résumé façade fiancé fiancée cliché déjà protégé rôle élite entrée "
    "crème brûlée soufflé sauté purée coöperate reëlect Ångström Zürich Malmö Kraków Łódź Gdańsk "
    "Plzeň Brontë Noël Citroën Škoda São Paulo Bogotá Málaga jalapeño piñata señor über doppelgänger "
    "smörgåsbord œuvre Œuvre hors-d'œuvre façades pâté tête-à-tête vis-à-vis à la carte"
).split()
"""Words of English text that keep their accents (greedy readers drop them)."""
Q_WORDS = (
    "Iraq Iraqi Qatar Qatari Nasdaq Compaq Qantas Tariq Qing Qigong burqa niqab qi FAQ FAQs Qty Qty. Qtr. Qtrs. "
    "Req. Reqd. req. sq. sq.ft. SQ. SQL QA QC Q&A QA/QC RA/QA CQA IQ HQ Q1 Q2 Q3 Q4 Q.E.D. Aqaba"
).split()
"""Words with a ``q`` not followed by ``u``: English text hardly has them, so readers write a ``g`` (v11:
"iraq's" -> "irag's" in clean print, FUNSD's "QIP" -> "GIP")."""
UNITS = "mm cm m km g kg mg ml oz lb lbs ft in. hrs h min sec s yd yds kW V Hz dpi pt px".split()
BLOCKED = frozenset(
    "fuck fucking fucked shit bitch cunt dick cock pussy nigga nigger fag faggot whore slut porn asshole".split()
)
"""Words a business document does not print, left out of the frequency list."""
FORM_LABELS = (
    "Name|Date|Address|Phone|Fax|E-mail|Signature|Title|Company|Department|City|State|ZIP Code|"
    "Country|Account No.|Invoice No.|Order No.|Customer ID|Reference|Subject|Amount|Total|"
    "Date of Birth|Social Security No.|Tax ID|Description|Quantity|Unit Price|Approved by|"
    "Prepared by|Received|Remarks|Comments|Project|Supervisor|Telephone|Contact|Due Date|Terms|"
    "Ship To|Bill To|P.O. Number|Brand|Program|Budget|Cost Center|Period|Region|Status"
).split("|")


class TextSource:
    """Draws document-like tokens; everything it returns is covered by the vocabulary."""

    def __init__(
        self,
        vocab: Vocab | None = None,
        n_words: int = 30000,
        languages: tuple[str, ...] = ("en", "fr", "de", "es", "pl", "cs", "hu"),
    ) -> None:
        self.vocab = vocab or Vocab.load()
        words: list[str] = []
        weights: list[float] = []
        for k, lang in enumerate(languages):
            ranked = [
                w
                for w in wordfreq.top_n_list(lang, n_words // (1 + 2 * k))
                if w.isprintable() and w not in BLOCKED and self.vocab.covers(w)
            ]
            words += ranked
            # Zipf-like rank weights, flattened so rare words still show up; other languages rarer.
            weights += [(1.0 / (r + 20) ** 0.7) / (1 + 4 * k) for r in range(len(ranked))]
        self.words = words
        self.first_names = [n for n in FIRST_NAMES if self.vocab.covers(n)]
        self.last_names = [n for n in LAST_NAMES if self.vocab.covers(n)]
        self.loanwords = [w for w in LOANWORDS if self.vocab.covers(w)]
        self.q_words = [w for w in Q_WORDS if self.vocab.covers(w)]
        p = np.asarray(weights)
        self._cdf = np.cumsum(p / p.sum())
        self._symbols = [c for c in self.vocab.chars if c != " "]
        self._marks = [c for c in "&-/*+#%=—–$" if self.vocab.covers(c)]

    def _pick(self, rng: np.random.Generator, items: list[str] | tuple[str, ...]) -> str:
        return items[int(rng.integers(len(items)))]

    def word(self, rng: np.random.Generator) -> str:
        """A frequency-weighted dictionary word, lower case."""
        return self.words[min(int(np.searchsorted(self._cdf, rng.random())), len(self.words) - 1)]

    def case(self, rng: np.random.Generator, text: str, upper: float = 0.1, title: float = 0.12) -> str:
        """``text`` in ALL CAPS, Title case or unchanged."""
        r = rng.random()
        return text.upper() if r < upper else text[:1].upper() + text[1:] if r < upper + title else text

    def sentence(self, rng: np.random.Generator, n: int) -> list[str]:
        """``n`` tokens of running text with capitals, punctuation and the odd special token."""
        out: list[str] = []
        start = True
        closes_after = -1  # tokens left in an open parenthesis, -1 when none is open
        for _ in range(n):
            r = rng.random()
            if r < 0.03:
                tok = self.number(rng)
            elif r < 0.04:
                tok = self.figure(rng)
            elif r < 0.05:
                tok = self.special(rng)
            elif r < 0.055:
                tok = self.garble(rng)
            elif r < 0.07:
                tok = self.mark(rng)
            elif r < 0.085:
                tok = self.compound(rng)
            else:
                tok = self.case(rng, self.word(rng))
            if start:
                tok = tok[:1].upper() + tok[1:]
            start = False
            if closes_after < 0 and rng.random() < 0.012:
                # A parenthesis over several words: forms cut it into "(If" ... "applicable)".
                tok, closes_after = "(" + tok, int(rng.integers(1, 5))
            elif closes_after == 0:
                tok, closes_after = tok + ")", -1
                out.append(tok)
                continue
            elif closes_after > 0:
                closes_after -= 1
            r = rng.random()
            if r < 0.08:
                tok += "."
                start = True
            elif r < 0.16:
                tok += ","
            elif r < 0.175:
                tok += self._pick(rng, (";", ":", "?", "!", "…"))
            elif r < 0.19 and not tok.startswith("("):
                q = self._pick(rng, ('""', "“”", "()", "‘’", "''", "[]", "«»"))
                tok = q[0] + tok + q[1]
            out.append(tok)
        if closes_after >= 0 and out:
            out[-1] += ")"
        if out and out[-1][-1] not in ".?!":
            out[-1] += "."
        return out

    @staticmethod
    def _initial(rng: np.random.Generator) -> str:
        return string.ascii_uppercase[int(rng.integers(26))] + "."

    def name(self, rng: np.random.Generator) -> str:
        """A person's name, sometimes with initials (``J. S.`` spaced, now and then ``J.S.``
        joined: readers must tell the two apart by the gap) or a title."""
        first, last = self._pick(rng, self.first_names), self._pick(rng, self.last_names)
        r = rng.random()
        if r < 0.15:
            first = first[0] + "."
        elif r < 0.25:
            first = f"{first[0]}. {self._initial(rng)}" if r < 0.22 else f"{first[0]}.{self._initial(rng)}"
        elif r < 0.35:
            first = self._pick(rng, ("Mr.", "Ms.", "Dr.", "Mrs.", "Prof.")) + " " + first
        if rng.random() < 0.1:
            last = last.upper()
        return (
            f"{first} {self._initial(rng)} {last}"
            if rng.random() < 0.15
            else f"{first} {last}"
        )

    def address(self, rng: np.random.Generator) -> list[str]:
        """Two or three address lines."""
        street = f"{int(rng.integers(1, 9999))} {self.word(rng).title()} {self._pick(rng, STREET_TYPES)}"
        city = f"{self.word(rng).title()}, {self._pick(rng, STATES)} {int(rng.integers(10000, 99999))}"
        lines = [street, city]
        if rng.random() < 0.3:
            lines.insert(1, f"{self._pick(rng, ('Suite', 'Room', 'P.O. Box', 'Floor'))} {int(rng.integers(1, 999))}")
        return lines

    def date(self, rng: np.random.Generator) -> str:
        """A date in one of several common formats (``9/ 3/ 92`` too, seldom: a form's date typed into its
        blanks; as often as the others, it taught readers a space after any sign between figures, "78, 183")."""
        y, m, d = int(rng.integers(1960, 2030)), int(rng.integers(1, 13)), int(rng.integers(1, 29))
        fmt = int(rng.integers(8))
        fmt = 0 if fmt == 1 and rng.random() < 0.7 else fmt
        return [
            f"{m}/{d}/{y % 100:02d}",
            f"{m}/ {d}/ {y % 100:02d}",
            f"{m:02d}/{d:02d}/{y}",
            f"{d:02d}.{m:02d}.{y}",
            f"{y}-{m:02d}-{d:02d}",
            f"{MONTHS[m - 1]} {d}, {y}",
            f"{d} {MONTHS[m - 1][:3]} {y}",
            f"{MONTHS[m - 1][:3].upper()} {d:02d} {y}",
        ][fmt]

    def amount(self, rng: np.random.Generator) -> str:
        """A money amount or a percentage (whole ones too: forms print "100%", and "$" apart from its figure)."""
        value = float(np.exp(rng.uniform(0, 11)))
        r = rng.random()
        if r < 0.45:
            return f"${value:,.2f}"
        if r < 0.52:
            return f"{value:,.2f}".replace(",", " ").replace(".", ",") + " €"
        if r < 0.6:
            return f"€{value:,.2f}"
        if r < 0.7:
            return f"£{value:,.2f}"
        if r < 0.8:
            return f"({value:,.2f})"
        if r < 0.85:
            return f"{value % 100:.1f}%" if rng.random() < 0.4 else f"{int(value) % 101}%"
        if r < 0.9:
            return f"$ {value:,.2f}" if rng.random() < 0.5 else f"${int(value):,}"  # "$" alone in its column
        return f"{value:,.2f}"

    def number(self, rng: np.random.Generator) -> str:
        """A plain number, quantity, year (``'85`` too), signed figure or decimal (``.25`` without its leading
        zero too)."""
        r = rng.random()
        if r < 0.04:
            return self._pick(rng, ("'", "’")) + f"{int(rng.integers(0, 100)):02d}"
        if r < 0.08:
            return self._pick(rng, ("+", "-", "±")) + str(int(rng.integers(1, 100)))
        if r < 0.3:
            return str(int(rng.integers(1, 100)))
        if r < 0.5:
            return str(int(rng.integers(1900, 2030)))
        if r < 0.8:  # thousands separated tight ("78,183"), beside prose's "5, 9"
            return f"{int(rng.integers(1000, 10**7)):,}"
        return self._decimal(rng, 0.5, 3)

    @staticmethod
    def _decimal(rng: np.random.Generator, large: float, places: int) -> str:
        """A decimal under 100 (a share ``large`` of them) or under 1, with 1 to ``places`` places; half of
        those under 1 without their leading zero (``.25``)."""
        value = rng.uniform(0, 100 if rng.random() < large else 1)
        text = f"{value:.{int(rng.integers(1, places + 1))}f}"
        return text[1:] if text.startswith("0.") and rng.random() < 0.5 else text

    def figure(self, rng: np.random.Generator) -> str:
        """A figure with signs or letters around its digits, as forms and tables print them: a percentage
        (``50%``, ``.38%``, ``(52.6%)``), a range (``16-25``, ``1982-83``, ``10-15%``), a fraction or ratio
        (``3/4``, ``2:1``), a time (``9:00``, ``05:49PM``), a measure (``370mm``, ``24.7mm``, ``10mg``), an ordinal
        (``68th``) or a plural (``100's``, ``1990s``). FUNSD's crops of these were misread most among figures
        ("50%" -> "508", "5-9" -> "$-9")."""
        small = int(rng.integers(0, 100))
        decimal = self._decimal(rng, 0.7, 2)
        r = rng.random()
        if r < 0.3:
            pct = f"{self._pick(rng, (str(small), decimal, str(small), '100'))}%"
            s = rng.random()
            return pct if s < 0.6 else f"({pct})" if s < 0.75 else self._pick(rng, ("+", "-", "±", "~", "<", ">")) + pct
        if r < 0.5:
            lo = int(rng.integers(0, 100))
            hi = lo + int(rng.integers(1, 40))
            s = rng.random()
            if s < 0.2:
                y = int(rng.integers(1950, 2029))
                return f"{y}-{(y + int(rng.integers(1, 3))) % 100:02d}"
            span = f"{lo}{self._pick(rng, ('-', '-', '–'))}{hi}"
            return span + "%" if s < 0.35 else f"({span})" if s < 0.45 else span
        if r < 0.6:
            a, b = int(rng.integers(1, 20)), int(rng.integers(1, 20))
            return self._pick(rng, (f"{a}/{b}", f"{a}:{b}", f"{a}/{b * 10}", f"1/{b}", f"{a}x{b}"))
        if r < 0.7:
            h, m = int(rng.integers(0, 24)), int(rng.integers(0, 60))
            s = rng.random()
            if s < 0.5:
                return f"{h}:{m:02d}" if h < 10 and rng.random() < 0.5 else f"{h:02d}:{m:02d}"
            return f"{h % 12 or 12:02d}:{m:02d}{self._pick(rng, ('PM', 'AM', 'pm', 'am', 'P.M.', 'a.m.'))}"
        if r < 0.85:
            value = self._pick(rng, (str(small), decimal, f"{int(rng.integers(100, 100000)):,}"))
            return value + self._pick(rng, UNITS)
        if r < 0.93:
            n = int(rng.integers(1, 120))
            suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
            return f"{n}{suffix}"
        return self._pick(rng, (f"{small * 10}'s", f"{int(rng.integers(195, 203))}0s", f"'{int(rng.integers(5, 10))}0s"))

    def code(self, rng: np.random.Generator) -> str:
        """An identifier: invoice or order number, ZIP code, phone number, long digit string."""
        r = rng.random()
        letters = "".join(rng.choice(list(string.ascii_uppercase), int(rng.integers(1, 4))))
        if r < 0.3:
            return f"{letters}-{int(rng.integers(10**3, 10**6))}"
        if r < 0.5:
            return str(int(rng.integers(10**6, 10**10)))
        if r < 0.7:
            return f"({int(rng.integers(200, 999))}) {int(rng.integers(200, 999))}-{int(rng.integers(1000, 9999))}"
        if r < 0.85:
            return f"#{int(rng.integers(1, 99999)):05d}"
        return f"{letters}{int(rng.integers(10, 999))}/{int(rng.integers(1, 99)):02d}"

    def email(self, rng: np.random.Generator) -> str:
        """An e-mail address."""
        user = self._pick(
            rng,
            (
                f"{self._pick(rng, self.first_names)[0]}.{self._pick(rng, self.last_names)}",
                self.word(rng),
                f"{self.word(rng)}{int(rng.integers(1, 99))}",
            ),
        )
        user = "".join(c for c in user.lower() if c.isascii() and (c.isalnum() or c in "._"))
        return f"{user or 'info'}@{self.word(rng)}.{self._pick(rng, TLDS)}"

    def url(self, rng: np.random.Generator) -> str:
        """A web address."""
        host = f"{self._pick(rng, ('www.', '', 'https://', 'http://www.'))}{self.word(rng)}.{self._pick(rng, TLDS)}"
        return host + (f"/{self.word(rng)}" if rng.random() < 0.4 else "")

    def special(self, rng: np.random.Generator) -> str:
        """One of the structured tokens: date, amount, figure, code, e-mail or URL."""
        return [self.date, self.amount, self.figure, self.code, self.email, self.url][int(rng.integers(6))](rng)

    def mark(self, rng: np.random.Generator) -> str:
        """A short token forms and tables are full of: a lone sign (``$``, ``(+)``, ``(s)``), capitals joined by
        ``&`` (``R&D``), a word or figure broken at a hyphen or slash (``two-``, ``(625-``, ``Manager/``, ``9/``,
        ``/26``: FUNSD's words with a ``/`` were read right 39% of the time by v11), a figure with footnote stars
        (``3.45**``)."""
        r = rng.random()
        if r < 0.3:
            return self._pick(rng, self._marks)
        if r < 0.38:
            return self._pick(rng, ("(+)", "(-)", "+/-", "(s)", "(S)", "#", "No.", "%", "N/A", "Y/N", "c/o", "w/"))
        if r < 0.48:
            return "&".join(rng.choice(list(string.ascii_uppercase), 2))
        if r < 0.62:
            return self.case(rng, self.word(rng)) + self._pick(rng, ("-", "-", "/"))
        if r < 0.85:
            digits = str(int(rng.integers(0, 1000 if rng.random() < 0.7 else 100)))
            broken = (f"{digits}-", f"({digits}-", f"{digits}/", f"/{digits}", f"{digits}/", f"-{digits})")
            return self._pick(rng, broken)  # a slash after the figure twice as often: dates typed "9/ 3/ 92"
        return f"{rng.uniform(0, 100):.{int(rng.integers(3))}f}" + "*" * int(rng.integers(1, 4))

    def compound(self, rng: np.random.Generator) -> str:
        """A word readers cut or merge at its inner signs: a hyphenated or slashed compound (``co-operate``,
        ``Name/Title``), a plural in brackets (``name(s)``), an elided name (``O'Neil``, ``d'Arcy``), a ``q``
        without ``u`` (``Iraq``, ``Qty.``) or an English word with accents (``naïve``)."""
        r = rng.random()
        if r < 0.28:
            return self.case(rng, f"{self.word(rng)}-{self.word(rng)}")
        if r < 0.35:
            return self.case(rng, f"{self.word(rng)}/{self.word(rng)}")  # Manager/Supervisor, and/or
        if r < 0.45:
            return self.case(rng, self.word(rng) + "(s)")  # NUMBER(S), name(s)
        if r < 0.65:
            prefix = self._pick(rng, ("O'", "D'", "d'", "L'", "l'", "O’", "d’"))
            return prefix + self.word(rng).title()
        if r < 0.8:
            return self.case(rng, self._pick(rng, self.q_words), upper=0.2, title=0.0)
        return self.case(rng, self._pick(rng, self.loanwords))

    def garble(self, rng: np.random.Generator) -> str:
        """A short random string over the whole vocabulary, so that rare characters appear."""
        return "".join(rng.choice(self._symbols, int(rng.integers(1, 6))))

    def label(self, rng: np.random.Generator) -> str:
        """A form field label such as ``Invoice No.``."""
        return self.case(rng, self._pick(rng, FORM_LABELS), upper=0.5, title=0.0)
