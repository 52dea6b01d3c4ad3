"""The library's layering: no import cycle between avtool's modules (imports inside functions
count), the library never imports the CLI, metrics read no files and import no formats."""

import ast
import pathlib

import avtool

ROOT = pathlib.Path(avtool.__file__).parent


def _modules() -> dict[str, pathlib.Path]:
    out = {}
    for path in ROOT.rglob("*.py"):
        name = ".".join(path.relative_to(ROOT.parent).with_suffix("").parts)
        out[name.removesuffix(".__init__")] = path
    return out


def _imports(name: str, path: pathlib.Path, modules) -> dict[str, int]:
    """Modules of avtool that `name` imports (through package faces too), with a line."""
    found: dict[str, int] = {}
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            node.body = []
    for node in ast.walk(ast.parse(path.read_text())):
        targets = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            targets = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        for target in targets:
            if target in modules and target != name:
                found.setdefault(target, node.lineno)
    return found


def _is_package(path: pathlib.Path) -> bool:
    return path.name == "__init__.py"


def test_no_import_cycles():
    modules = _modules()
    # A package face re-exporting its own submodules is not a cycle of its submodules.
    edges = {m: {t: line for t, line in _imports(m, p, modules).items()
                 if not (_is_package(modules[t]) and m.startswith(t + "."))
                 and not (_is_package(p) and t.startswith(m + "."))}
             for m, p in modules.items()}
    cycles, index, low, stack, on = [], {}, {}, [], set()

    def visit(v):  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in edges:
        if v not in index:
            visit(v)
    detail = [f"{a} ({modules[a].relative_to(ROOT.parent)}:{edges[a][b]}) -> {b}"
              for comp in cycles for a in comp for b in edges[a] if b in comp]
    assert not cycles, "import cycles:\n" + "\n".join(detail)


def test_library_never_imports_the_cli():
    modules = _modules()
    leaks = [f"{p.relative_to(ROOT.parent)}:{line} imports {t}"
             for m, p in modules.items()
             if not (m.startswith("avtool.cli") or ".cli" in m)
             for t, line in _imports(m, p, modules).items()
             if t.startswith("avtool.cli") or ".cli." in t or t.endswith(".cli")]
    assert not leaks, "\n".join(leaks)


def test_metrics_are_pure():
    modules = _modules()
    bad = []
    for m, p in modules.items():
        if not m.startswith("avtool.metrics."):
            continue
        bad += [f"{p.name} imports {t}" for t in _imports(m, p, modules)
                if t.startswith(("avtool.formats", "avtool.store", "avtool.io", "avtool.tasks"))]
        tree = ast.parse(p.read_text())
        bad += [f"{p.name}:{n.lineno} calls open()" for n in ast.walk(tree)
                if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "open"]
    assert not bad, "\n".join(bad)
