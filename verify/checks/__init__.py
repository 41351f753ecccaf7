"""Check modules; importing this package registers every check, in the paper's order."""

from verify.checks import softmax_lemmas  # noqa: F401
from verify.checks import collapse_checks  # noqa: F401
from verify.checks import oversquashing  # noqa: F401
from verify.checks import counting_checks  # noqa: F401
from verify.checks import appendix_c  # noqa: F401
from verify.checks import real_model  # noqa: F401
from verify.checks import real_c6  # noqa: F401
from verify.checks import tasks  # noqa: F401
from verify.checks import prescription  # noqa: F401
