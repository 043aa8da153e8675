from typing import Optional

from .base_model import BaseModel
from .enums import Role


class Viewer(BaseModel):
    viewer: "ViewerViewer"


class ViewerViewer(BaseModel):
    role: Role
    user: Optional["ViewerViewerUser"]
    workspace: "ViewerViewerWorkspace"


class ViewerViewerUser(BaseModel):
    id: str
    name: str
    email: str


class ViewerViewerWorkspace(BaseModel):
    id: str
    name: str


Viewer.model_rebuild()
ViewerViewer.model_rebuild()
