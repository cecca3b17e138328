from tests.notifications.helpers import eager_delivery, flaky_mail  # noqa: F401
