"""The stand-in's Slack client: a page in the browser that draws the workspace and acts in it as its members."""

from .page import ClockControls, create_page

__all__ = ["ClockControls", "create_page"]
