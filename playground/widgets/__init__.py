"""Small reusable widgets."""

from .common import Caption, NumberEdit, captioned, name_widget

__all__ = ["Caption", "NumberEdit", "captioned", "name_widget"]
