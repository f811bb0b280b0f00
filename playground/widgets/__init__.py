"""Small reusable widgets."""

from .common import Caption, NumberEdit, captioned, guarded, name_widget

__all__ = ["Caption", "NumberEdit", "captioned", "guarded", "name_widget"]
