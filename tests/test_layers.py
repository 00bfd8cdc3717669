"""The layers check themselves.

Every import under src/kefu (module level and inside functions, relative ones resolved) is read
with `ast` and held against two sources of rules:

- the "may import" column of the Apps table in docs/architecture.md, the single source of truth
  for who may import whom across apps (parsed here, so the table cannot drift from the code);
- the layers inside an app (the Layers section there): models import no services, no HTTP
  layer, admin, commands or tasks; services import no HTTP layer, admin or commands; only the
  front (kefu.web, kefu.api, kefu.urls) imports kefu.web, kefu.api or another app's HTTP modules
  (api, views, schemas, forms, urls, templatetags).

Two code rules in the spirit of Zulip's semgrep rules ride along:

- `OrderEvent` rows are created only in kefu.orders (`OrderEvent(...)`,
  `OrderEvent.objects.create / bulk_create / get_or_create / update_or_create`). The demo
  seed's raw INSERTs through its row writer (decision 0005) are the documented exception: they
  call none of these, so this rule does not see them.
- `WorkOrder.status` is set only in kefu.orders.services: `x.status = …` (or `setattr`) where
  x is named like an order (order, o, wo, …_order, order_…, or an `.order` attribute), and
  `.update(status=…)` / `.bulk_update(…, ["status", …])` on a chain that names `WorkOrder`.

tests/layers_baseline.txt lists today's known violations, one a line. It may only shrink: the
test fails on a violation it does not list and on a line that is no longer a violation (whoever
fixes one deletes its line). An app's services split into a package (services/*.py) is one
module to it: the violations of the package's modules are listed under the package, so a split
moves no line (a failure still names the file). To write it anew from the code (after a
deliberate change, review the diff):

    KEFU_LAYERS_WRITE_BASELINE=1 .venv/bin/python -m pytest tests/test_layers.py -p no:randomly
"""

import ast
import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
DOC = ROOT / "docs" / "architecture.md"
BASELINE = Path(__file__).with_name("layers_baseline.txt")
WRITE_BASELINE = "KEFU_LAYERS_WRITE_BASELINE"

# Where an app's modules sit among the layers, by the name under the app.
MODELS, SERVICES, HTTP = "models", "services", "http"
KINDS = {"models": MODELS, "services": SERVICES, "admin": "admin", "management": "commands",
         "tasks": "tasks", "migrations": "migrations",
         **dict.fromkeys(("api", "views", "schemas", "forms", "urls", "templatetags"), HTTP)}
FRONT = {"web", "api", "urls"}  # kefu.web, the project's kefu.api and kefu.urls
NOT_FROM_MODELS = {SERVICES, HTTP, "admin", "commands", "tasks"}
NOT_FROM_SERVICES = {HTTP, "admin", "commands"}

EVENT_CREATORS = {"create", "bulk_create", "get_or_create", "update_or_create"}
ORDER_NAME = re.compile(r"^(o|wo|order|work_order|\w+_order|order_\w+)$")


@dataclass(frozen=True)
class Violation:
    path: Path
    line: int
    key: str  # the baseline line: stable across edits (no line numbers)
    rule: str

    def __str__(self):
        return f"{self.path}:{self.line}: {self.rule}  [{self.key}]"


# ---- the table -----------------------------------------------------------------------------

TOKEN = re.compile(r"`([a-z_*][a-z_.*]*)`(?: \([^()]*\))?")


def read_table(text: str, known: set[str] | None = None, package: str = "kefu") -> dict[str, list[str]]:
    """{importer: [tokens]} from the Apps table's "may import" column.

    Each cell is `none` or a comma-separated list of backticked tokens, each optionally followed
    by a note in parentheses: `orders` (the whole app), `orders.models` (one module or package),
    `*.services` (that module of every app), `*` (anything). The first column names the importer
    (an app, or a module right under kefu such as `scopes`), several when they share a row.
    """
    rows: dict[str, list[str]] = {}
    lines = text.split("\n## Apps", 1)[1].splitlines() if "\n## Apps" in text else []
    header = [c.strip() for c in next((line for line in lines if line.startswith("| app")), "").strip("|").split("|")]
    if header[-1:] != ["may import"]:
        raise ValueError("docs/architecture.md: no table under '## Apps' with the header | app | owns | may import |")
    started = False
    for line in lines:
        if line.startswith("| app"):
            started = True
            continue
        if not started or line.startswith("|---"):
            continue
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        names = re.findall(r"`([a-z_]+)`", cells[0])
        cell = cells[-1]
        if not names:
            raise ValueError(f"Apps table: a row names no app in backticks: {cells[0]!r}")
        if cell == "none" or cell.startswith("none ("):
            tokens = []
        else:
            tokens = []
            for item in _split_items(cell):
                m = TOKEN.fullmatch(item)
                if not m:
                    raise ValueError(
                        f"Apps table, row {names[0]!r}: cannot read {item!r} in the 'may import' column; "
                        "write backticked tokens such as `orders`, `orders.models`, `*.services`, "
                        "each optionally followed by a note in parentheses, or `none (…)`")
                tokens.append(m[1])
        for token in tokens:
            if known is not None and "*" not in token and f"{package}.{token}" not in known:
                raise ValueError(f"Apps table, row {names[0]!r}: `{token}` names no module under {package}")
        for name in names:
            rows[name] = tokens
    if not rows:
        raise ValueError("docs/architecture.md: the Apps table has no rows")
    return rows


def _split_items(cell: str) -> list[str]:
    items, depth, start = [], 0, 0
    for i, ch in enumerate(cell):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if ch == "," and depth == 0:
            items.append(cell[start:i].strip())
            start = i + 1
    items.append(cell[start:].strip())
    return items


def allows(token: str, target: str) -> bool:
    """Whether a token of the table covers `target` (a module name without the package)."""
    if token == "*":
        return True
    want, parts = token.split("."), target.split(".")
    return len(parts) >= len(want) and all(w in ("*", p) for w, p in zip(want, parts, strict=False))


# ---- the code ------------------------------------------------------------------------------

def modules(src: Path, package: str) -> dict[str, Path]:
    """{dotted name: path} of every module and package under src/package."""
    found = {}
    for path in sorted((src / package).rglob("*.py")):
        parts = path.relative_to(src).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imports(tree: ast.AST, name: str, is_package: bool, known: set[str], package: str):
    """(line, imported module) for each import of the package's own modules in a module."""
    here = name if is_package else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith(package + "."):
                    yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here.split(".")[: len(here.split(".")) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            if source != package and not source.startswith(package + "."):
                continue
            for alias in node.names:
                target = f"{source}.{alias.name}"  # `from kefu.orders import services` is a module
                yield node.lineno, target if target in known else source


def listed_as(name: str) -> str:
    """The name a module's violations go by in the baseline: its own, but the package's for a
    module of an app's services package (kefu.orders.services.lifecycle: kefu.orders.services)."""
    parts = name.split(".")
    return ".".join(parts[:3]) if len(parts) > 3 and parts[2] == "services" else name


def _app(name: str) -> str:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else ""


def _kind(name: str) -> str:
    parts = name.split(".")
    return KINDS.get(parts[2], "other") if len(parts) > 2 else "other"


def import_rules(importer: str, target: str, table: dict[str, list[str]], package: str = "kefu") -> list[str]:
    """What an import breaks (empty: nothing)."""
    broken = []
    a, b = _app(importer), _app(target)
    short = target.partition(".")[2]
    if b and a != b:
        if a not in table:
            broken.append(f"`{a}` has no row in the Apps table of docs/architecture.md")
        elif not any(allows(t, short) for t in table[a]):
            broken.append(f"`{a}` may not import `{short}` (Apps table, docs/architecture.md)")
    kind, target_kind = _kind(importer), _kind(target)
    other_front = b in FRONT and b != a  # kefu.web, kefu.api, kefu.urls seen from elsewhere
    if kind == MODELS and (target_kind in NOT_FROM_MODELS or other_front):
        broken.append(f"models import no {'front' if other_front else target_kind} module")
    if kind == SERVICES and (target_kind in NOT_FROM_SERVICES or other_front):
        broken.append("services import no HTTP layer, admin or command")
    # core.api (pagination, error schemas, PATCH helpers) is plumbing for every app's api.py.
    if (other_front or (target_kind == HTTP and a != b != "core")) and a not in FRONT:
        broken.append(f"only {package}.web, {package}.api and {package}.urls import the front "
                      "or another app's HTTP modules")
    return broken


class _CodeRules(ast.NodeVisitor):
    """OrderEvent rows created, and WorkOrder.status set, where the module may not."""

    def __init__(self, name: str, package: str):
        self.name, self.package = name, package
        self.may_create_events = name == f"{package}.orders" or name.startswith(f"{package}.orders.")
        self.may_set_status = name == f"{package}.orders.services" or name.startswith(f"{package}.orders.services.")
        self.scope: list[str] = []
        self.found: list[tuple[int, str, str]] = []  # (line, key, rule)

    def _where(self):
        return ".".join(self.scope) or "<module>"

    def _scoped(self, node):
        self.scope.append(node.name)
        self.generic_visit(node)
        self.scope.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _scoped

    def _event(self, node):
        if not self.may_create_events:
            self.found.append((node.lineno, f"{listed_as(self.name)} creates OrderEvent in {self._where()}",
                               f"OrderEvent rows are created only in {self.package}.orders"))

    def _status(self, node):
        if not self.may_set_status:
            self.found.append((node.lineno, f"{listed_as(self.name)} sets WorkOrder.status in {self._where()}",
                               f"WorkOrder.status is set only in {self.package}.orders.services"))

    def visit_Call(self, node):
        func = node.func
        if _named(func, "OrderEvent"):
            self._event(node)
        elif isinstance(func, ast.Attribute):
            if func.attr in EVENT_CREATORS and _chain_names(func.value, "OrderEvent"):
                self._event(node)
            elif func.attr == "update" and any(k.arg == "status" for k in node.keywords) \
                    and _chain_names(func.value, "WorkOrder"):
                self._status(node)
            elif func.attr == "bulk_update" and _chain_names(func.value, "WorkOrder") and _names_status(node):
                self._status(node)
        if _named(func, "setattr") and len(node.args) >= 2 and _is_order(node.args[0]) \
                and isinstance(node.args[1], ast.Constant) and node.args[1].value == "status":
            self._status(node)
        self.generic_visit(node)

    def _targets(self, node, targets):
        for target in targets:
            for t in ast.walk(target):
                if isinstance(t, ast.Attribute) and t.attr == "status" and isinstance(t.ctx, ast.Store) \
                        and _is_order(t.value):
                    self._status(node)
        self.generic_visit(node)

    def visit_Assign(self, node):
        self._targets(node, node.targets)

    def visit_AugAssign(self, node):
        self._targets(node, [node.target])

    def visit_AnnAssign(self, node):
        self._targets(node, [node.target])


def _named(node, name):
    return (isinstance(node, ast.Name) and node.id == name) or (isinstance(node, ast.Attribute) and node.attr == name)


def _chain_names(node, name):
    """Whether a chain such as `WorkOrder.objects.filter(…).select_for_update()` names `name`."""
    while True:
        if _named(node, name):
            return True
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, (ast.Attribute, ast.Subscript)):
            node = node.value
        else:
            return False


def _is_order(node):
    final = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""
    return bool(ORDER_NAME.match(final))


def _names_status(call):
    fields = call.args[1] if len(call.args) > 1 else next((k.value for k in call.keywords if k.arg == "fields"), None)
    return fields is not None and any(isinstance(c, ast.Constant) and c.value == "status" for c in ast.walk(fields))


def check(src: Path, doc_text: str, package: str = "kefu") -> list[Violation]:
    found = modules(src, package)
    known = set(found)
    table = read_table(doc_text, known, package)
    out: list[Violation] = []
    for name, path in found.items():
        rel = path.relative_to(src.parent) if src.parent in path.parents else path
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        seen = set()
        for line, target in imports(tree, name, path.name == "__init__.py", known, package):
            if (name, target) in seen:
                continue
            if broken := import_rules(name, target, table, package):
                seen.add((name, target))
                out.append(Violation(rel, line, f"{listed_as(name)} imports {target}", "; ".join(broken)))
        rules = _CodeRules(name, package)
        rules.visit(tree)
        out.extend(Violation(rel, line, key, rule) for line, key, rule in rules.found)
    return out


def read_baseline(text: str) -> set[str]:
    return {line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")}


def compare(violations: list[Violation], baseline: set[str]) -> list[str]:
    """The failures: violations the baseline does not list, and its lines that no longer hold."""
    keys = {v.key for v in violations}
    new = [f"{v}" for v in violations if v.key not in baseline]
    stale = [f"tests/{BASELINE.name}: '{key}' is no longer a violation: delete its line"
             for key in sorted(baseline - keys)]
    return new + stale


BASELINE_HEADER = """\
# Known violations of the layering rules, checked by tests/test_layers.py. This list may only
# shrink: a violation not listed here fails the test, and so does a line that no longer holds
# (delete it when you fix one). Rewrite it from the code with
#   KEFU_LAYERS_WRITE_BASELINE=1 .venv/bin/python -m pytest tests/test_layers.py -p no:randomly
"""


def test_layers_and_code_rules_hold_but_for_the_baseline():
    violations = check(SRC, DOC.read_text(encoding="utf-8"))
    if os.environ.get(WRITE_BASELINE):
        BASELINE.write_text(BASELINE_HEADER + "".join(f"{k}\n" for k in sorted({v.key for v in violations})),
                            encoding="utf-8")
        pytest.skip(f"wrote {len({v.key for v in violations})} lines to {BASELINE}")
    failures = compare(violations, read_baseline(BASELINE.read_text(encoding="utf-8")))
    assert not failures, "Layering rules broken (docs/architecture.md, tests/test_layers.py):\n" + "\n".join(failures)


# ---- the checker checks itself on a small tree ---------------------------------------------

SHOP_DOC = """\
# Shop

## Apps

| app | owns | may import |
|---|---|---|
| `core` | plumbing | none (Django) |
| `orders` | orders, events | `core` |
| `sla` | clocks | `core`, `orders.models` (clocks of orders) |
| `web` | pages | `*.services`, `core` |
| `api`, `urls` | the project's wiring | `*` |
"""

SHOP = {
    "core/__init__.py": "",
    "core/errors.py": "class Conflict(Exception):\n    pass\n",
    "core/api.py": "class Page:\n    pass\n",
    "orders/__init__.py": "",
    "orders/models.py": (
        "from shop.core.errors import Conflict\n"
        "\n"
        "class WorkOrder:\n"
        "    pass\n"
        "\n"
        "class OrderEvent:\n"
        "    pass\n"
        "\n"
        "def helper():\n"
        "    from . import services\n"  # line 10: models import no services
        "    return services\n"
    ),
    "orders/services.py": (
        "from .models import OrderEvent, WorkOrder\n"
        "\n"
        "def resolve(order):\n"
        "    order.status = 'resolved'\n"
        "    WorkOrder.objects.filter(pk=order.pk).update(status='resolved')\n"
        "    OrderEvent.objects.create(order=order)\n"
        "    from shop.core import api\n"  # line 7: core's API helpers are for api.py, not services
    ),
    "orders/api.py": "from shop.orders import services\nfrom shop.core.api import Page\n",
    "sla/__init__.py": "",
    "sla/models.py": "from shop.orders.models import WorkOrder\n",
    "sla/services.py": (
        "from shop.orders.models import OrderEvent, WorkOrder\n"
        "\n"
        "def react(order):\n"
        "    from shop.orders import services as orders\n"  # line 4: table
        "    OrderEvent.objects.create(order=order)\n"  # line 5: events
        "    order.status = 'escalated'\n"  # line 6: status
        "    WorkOrder.objects.filter(pk=1).select_for_update().update(status='x')\n"  # line 7
        "    orders.resolve(order)\n"
        "\n"
        "def page():\n"
        "    from shop.orders import api\n"  # line 11: front
        "    return api\n"
    ),
    "web/__init__.py": "",
    "web/views.py": "from shop.orders import api, services\nfrom shop.sla import services as sla\n",
    "api.py": "from shop.orders.api import services\nfrom shop.web import views\n",
}


def _shop(tmp_path, **changes):
    src = tmp_path / "src"
    for rel, text in (SHOP | changes).items():
        path = src / "shop" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (src / "shop" / "__init__.py").write_text("", encoding="utf-8")
    return src


def test_checker_names_file_line_and_rule_of_each_violation(tmp_path):
    src = _shop(tmp_path)
    found = {(str(v.path), v.line, v.key): v.rule for v in check(src, SHOP_DOC, "shop")}
    assert found == {
        ("src/shop/orders/services.py", 7, "shop.orders.services imports shop.core.api"):
            "services import no HTTP layer, admin or command",
        ("src/shop/orders/models.py", 10, "shop.orders.models imports shop.orders.services"):
            "models import no services module",
        ("src/shop/sla/services.py", 4, "shop.sla.services imports shop.orders.services"):
            "`sla` may not import `orders.services` (Apps table, docs/architecture.md)",
        ("src/shop/sla/services.py", 11, "shop.sla.services imports shop.orders.api"):
            "`sla` may not import `orders.api` (Apps table, docs/architecture.md); "
            "services import no HTTP layer, admin or command; "
            "only shop.web, shop.api and shop.urls import the front or another app's HTTP modules",
        ("src/shop/sla/services.py", 5, "shop.sla.services creates OrderEvent in react"):
            "OrderEvent rows are created only in shop.orders",
        ("src/shop/sla/services.py", 6, "shop.sla.services sets WorkOrder.status in react"):
            "WorkOrder.status is set only in shop.orders.services",
        ("src/shop/sla/services.py", 7, "shop.sla.services sets WorkOrder.status in react"):
            "WorkOrder.status is set only in shop.orders.services",
        # web/views.py imports orders.api: the front may; but `*.services` does not cover an api.
        ("src/shop/web/views.py", 1, "shop.web.views imports shop.orders.api"):
            "`web` may not import `orders.api` (Apps table, docs/architecture.md)",
    }


def test_baseline_may_only_shrink(tmp_path):
    violations = check(_shop(tmp_path), SHOP_DOC, "shop")
    keys = {v.key for v in violations}
    assert compare(violations, keys) == []
    missing = "shop.sla.services creates OrderEvent in react"
    failures = compare(violations, keys - {missing})
    assert failures == [f"src/shop/sla/services.py:5: OrderEvent rows are created only in shop.orders  [{missing}]"]
    fixed = "shop.sla.services imports shop.sla.models"
    assert compare(violations, keys | {fixed}) == [
        f"tests/layers_baseline.txt: '{fixed}' is no longer a violation: delete its line"]


def test_a_cell_the_checker_cannot_read_fails_with_its_row(tmp_path):
    src = _shop(tmp_path)
    with pytest.raises(ValueError, match=r"row 'sla': cannot read 'orders services'"):
        check(src, SHOP_DOC.replace("`orders.models` (clocks of orders)", "orders services"), "shop")
    with pytest.raises(ValueError, match=r"row 'sla': `orders.modles` names no module under shop"):
        check(src, SHOP_DOC.replace("`orders.models`", "`orders.modles`"), "shop")
    with pytest.raises(ValueError, match=r"no table under '## Apps'"):
        check(src, SHOP_DOC.replace("## Apps", "## Others"), "shop")


def test_a_new_app_without_a_row_is_named(tmp_path):
    src = _shop(tmp_path, **{"hotline/__init__.py": "", "hotline/services.py": "from shop.orders import services\n"})
    rules = [v.rule for v in check(src, SHOP_DOC, "shop") if v.key.startswith("shop.hotline")]
    assert rules == ["`hotline` has no row in the Apps table of docs/architecture.md"]


def test_a_services_package_is_listed_as_one_module(tmp_path):
    """An app's services.py split into a package keeps its baseline lines: the violations of
    the package's modules go by the package's name, and each still names its own file."""
    src = _shop(tmp_path, **{
        "sla/services/__init__.py": "from .clocks import react\nfrom .notices import tell\n",
        "sla/services/clocks.py": "from shop.orders import services as orders\n\ndef react(order):\n    orders.resolve(order)\n",
        "sla/services/notices.py": "from shop.orders import services\n\ndef tell(order):\n    order.status = 'told'\n",
    })
    (src / "shop" / "sla" / "services.py").unlink()
    found = {(str(v.path), v.line, v.key) for v in check(src, SHOP_DOC, "shop") if v.key.startswith("shop.sla.services ")}
    assert found == {
        ("src/shop/sla/services/clocks.py", 1, "shop.sla.services imports shop.orders.services"),
        ("src/shop/sla/services/notices.py", 1, "shop.sla.services imports shop.orders.services"),
        ("src/shop/sla/services/notices.py", 4, "shop.sla.services sets WorkOrder.status in tell"),
    }
