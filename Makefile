# Two commands do the whole set-up on a fresh machine (Python 3.11 + pip):
#   make demo   OCR the bundled sample PDF and print its text
#   make test   run the test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.docvision-installed

.PHONY: setup demo test poppler ghostscript fonts gpu-bundle gpu-bench-bundle clean

# Font families for synthetic training pages (docvision synth / train); DejaVu alone also works.
FONT_PACKAGES := fonts-dejavu-core fonts-dejavu-extra fonts-liberation fonts-freefont-ttf fonts-urw-base35 \
  fonts-crosextra-carlito fonts-crosextra-caladea fonts-courier-prime fonts-roboto-unhinted fonts-linuxlibertine \
  fonts-lato fonts-inconsolata fonts-open-sans fonts-go fonts-ebgaramond fonts-texgyre

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements.lock -e ".[test,train,eval,compare,ocrmypdf,ray]"
	touch $(STAMP)

poppler:
	@command -v pdftoppm >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing poppler-utils (pdftoppm, pdfinfo)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils >/dev/null; \
	  else \
	    echo "the tests and --renderer poppler need poppler-utils (pdftoppm, pdfinfo): e.g. sudo apt-get install poppler-utils" >&2; exit 1; \
	  fi; }

# OCRmyPDF's PDF/A conversion (ocrmypdf --plugin docvision.ocrmypdf, tests/test_ocrmypdf.py)
ghostscript:
	@command -v gs >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing ghostscript (PDF/A for OCRmyPDF)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ghostscript >/dev/null; \
	  else \
	    echo "OCRmyPDF makes PDF/A with ghostscript: e.g. sudo apt-get install ghostscript" >&2; exit 1; \
	  fi; }

setup: $(STAMP) poppler ghostscript

fonts:
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends fontconfig $(FONT_PACKAGES) >/dev/null

demo: setup
	$(BIN)/docvision ocr data/samples/letter.pdf --format text

test: setup
	$(BIN)/python -m pytest -q

# What experiments/gpu/train.sh needs on a bare GPU machine (wheels, trimmed wordfreq, fonts): .gpu/
gpu-bundle: $(STAMP)
	$(BIN)/python experiments/gpu/bundle.py

# What experiments/gpu/bench.sh needs there (wheels packed, FUNSD pages): .gpu-bench/; says if the call fits
gpu-bench-bundle: $(STAMP)
	$(BIN)/python experiments/gpu/bundle.py --bench

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
