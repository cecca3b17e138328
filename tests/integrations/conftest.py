from tests.notifications.helpers import eager_delivery  # noqa: F401
