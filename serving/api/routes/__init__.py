"""One router per resource, included by `serving.main.create_app`."""
