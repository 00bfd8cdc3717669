"""Reference data for API clients: who am I, departments, staff to assign to."""

from ninja import Router, Schema

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


@router.get("/me", response=MeOut)
def me(request):
    u = request.user
    return {"id": u.pk, "username": u.username, "name": str(u), "department_id": u.department_id,
            "roles": sorted(u.groups.values_list("name", flat=True)), "permissions": sorted(u.get_all_permissions())}


@router.get("/departments", response=list[DepartmentOut])
def departments(request):
    from .services import active_departments

    return active_departments()


@router.get("/staff", response=list[StaffOut])
def staff(request, department: int | None = None):
    from .services import active_staff

    return [{"id": u.pk, "username": u.username, "name": str(u), "department_id": u.department_id}
            for u in active_staff(department)]
