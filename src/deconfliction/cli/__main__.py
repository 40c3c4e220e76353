"""`python -m deconfliction.cli …`"""

from . import main

main()
