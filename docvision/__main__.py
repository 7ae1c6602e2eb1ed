import sys

from docvision.cli import main

sys.exit(main())
