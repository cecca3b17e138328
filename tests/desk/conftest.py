from tests.availability.conftest import tuesday  # noqa: F401
from tests.notifications.helpers import eager_delivery, flaky_mail  # noqa: F401
