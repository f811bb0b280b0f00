"""Small reusable widgets."""

from .common import Caption, NumberEdit, captioned, guarded, name_widget, to_qimage

__all__ = ["Caption", "NumberEdit", "captioned", "guarded", "name_widget", "to_qimage"]
