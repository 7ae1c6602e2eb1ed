# Two commands do the whole set-up on a fresh machine (Python 3.11 + pip):
#   make demo   OCR the bundled sample PDF and print its text
#   make test   run the test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.docvision-installed

.PHONY: setup demo test poppler ghostscript tesseract fonts gpu-bundle gpu-bench-bundle clean

# Font families for synthetic training pages (docvision synth / train); DejaVu alone also works.
FONT_PACKAGES := fonts-dejavu-core fonts-dejavu-extra fonts-liberation fonts-freefont-ttf fonts-urw-base35 \
  fonts-crosextra-carlito fonts-crosextra-caladea fonts-courier-prime fonts-roboto-unhinted fonts-linuxlibertine \
  fonts-lato fonts-inconsolata fonts-open-sans fonts-go fonts-ebgaramond fonts-texgyre fonts-gnutypewriter \
  fonts-dkg-handwriting fonts-breip fonts-comic-neue fonts-dancingscript fonts-ecolier-court fonts-kristi fonts-rufscript \
  fonts-sjfonts fonts-tlwg-purisa-otf

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements.lock -e ".[test,train,eval,compare,ocrmypdf,ray,openvino]"
	touch $(STAMP)

# $(call apt_tool,COMMAND,PACKAGE,WHAT NEEDS IT): as root with apt, install PACKAGE when COMMAND is missing;
# otherwise say what to install
apt_tool = @command -v $(1) >/dev/null 2>&1 || { \
  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
    echo "installing $(2) ($(3))"; \
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(2) >/dev/null; \
  else \
    echo "$(3) need $(2): e.g. sudo apt-get install $(2)" >&2; exit 1; \
  fi; }

poppler:
	$(call apt_tool,pdftoppm,poppler-utils,the tests and --renderer poppler)

# OCRmyPDF's PDF/A conversion (ocrmypdf --plugin docvision.ocrmypdf, tests/test_ocrmypdf.py)
ghostscript:
	$(call apt_tool,gs,ghostscript,PDF/A from OCRmyPDF and its tests)

# The TSV export's compatibility test and docvision bench --tesseract
tesseract:
	$(call apt_tool,tesseract,tesseract-ocr,the TSV compatibility test and bench --tesseract)

setup: $(STAMP) poppler ghostscript

fonts:
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends fontconfig $(FONT_PACKAGES) >/dev/null

demo: setup
	$(BIN)/docvision ocr data/samples/letter.pdf --format text

test: setup tesseract
	$(BIN)/python -m pytest -q

# What experiments/gpu/train.sh needs on a bare GPU machine (wheels, trimmed wordfreq, fonts): .gpu/
gpu-bundle: $(STAMP)
	$(BIN)/python experiments/gpu/bundle.py

# What experiments/gpu/bench.sh needs there (wheels packed, FUNSD pages): .gpu-bench/; says if the call fits
gpu-bench-bundle: $(STAMP)
	$(BIN)/python experiments/gpu/bundle.py --bench

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
