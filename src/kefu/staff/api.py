"""Reference data for API clients: who am I, departments, staff to assign to."""

from ninja import Router, Schema

from kefu.core.api import ERRORS, Id

router = Router(tags=["reference"])


class DepartmentOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    parent_id: int | None
    lead_id: int | None


class MeOut(Schema):
    id: int
    username: str
    name: str
    department_id: int | None
    roles: list[str]
    permissions: list[str]


class StaffOut(Schema):
    id: int
    username: str
    name: str
    department_id: int | None


@router.get("/me", response={200: MeOut, **ERRORS})
def me(request):
    u = request.user
    return {"id": u.pk, "username": u.username, "name": str(u), "department_id": u.department_id,
            "roles": sorted(u.groups.values_list("name", flat=True)), "permissions": sorted(u.get_all_permissions())}


@router.get("/departments", response={200: list[DepartmentOut], **ERRORS})
def departments(request):
    from .services import active_departments

    return active_departments()


@router.get("/staff", response={200: list[StaffOut], **ERRORS})
def staff(request, department: Id | None = None):
    from .services import active_staff

    return [{"id": u.pk, "username": u.username, "name": str(u), "department_id": u.department_id}
            for u in active_staff(department)]
